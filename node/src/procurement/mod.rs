//! Sovereignty as a procurement criterion (Stufe 2 of the report): a weighted criteria matrix
//! (Datenhoheit, Exitfähigkeit, Hostingstandort, Quelloffenheit, API-Verfügbarkeit, plus the
//! administration's own criteria) that scores candidate products for a tender and explains every
//! score.
//!
//! Candidates come from a TOML file:
//!
//! ```toml
//! [[candidate]]
//! name = "Open-Xchange (gehostet im Landesrechenzentrum)"
//! jurisdiction = "eu_ewr"
//! hosting = "oeffentlicher_dienstleister"
//! licence = "open_source"
//! exit_clause = true
//! formats = ["IMAP", "iCalendar/CalDAV", "CardDAV"]
//! api = true
//! [candidate.scores]        # own criteria, 0-5
//! barrierefreiheit = 4
//! ```
//!
//! Built-in criteria, each scored 0-5:
//!
//! | criterion | score |
//! |---|---|
//! | Datenhoheit | EU/EEA vendor and own or public hosting 5, EU vendor in an EU cloud 4, EU vendor with a non-EU provider 2, non-EU vendor hosted in the EU 1, hosted outside the EU 0 |
//! | Exitfähigkeit | exit clause 2.5 + open export format 1.5 + API 1 |
//! | Hostingstandort | own data centre or public provider 5, EU cloud 4, non-EU provider in an EU region 2, outside the EU 0 |
//! | Quelloffenheit | open source 5, proprietary 0 |
//! | API-Verfügbarkeit | API 5, none 0 |
//!
//! The total is the weighted mean, scaled to 0-100. [`criteria`] changes the stored matrix.

pub mod criteria;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sovbench_core::files::write_atomically;
use sovbench_core::i18n::Lang;

use crate::error::NodeError;
use crate::inventory::io;
use crate::inventory::{is_open_format, Hosting, Jurisdiction, Licence};

/// A criterion with its weight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Criterion {
    /// Key (built-in: `datenhoheit`, `exitfaehigkeit`, `hostingstandort`, `quelloffenheit`, `api`).
    pub key: String,
    /// Label shown in tables.
    pub label: String,
    /// Weight (any non-negative number; only ratios matter).
    pub weight: f64,
}

/// Keys of the built-in criteria.
pub const BUILTIN: [&str; 5] = [
    "datenhoheit",
    "exitfaehigkeit",
    "hostingstandort",
    "quelloffenheit",
    "api",
];

/// The default matrix.
pub fn default_criteria() -> Vec<Criterion> {
    [
        ("datenhoheit", "Datenhoheit", 25.0),
        ("exitfaehigkeit", "Exitfähigkeit", 25.0),
        ("hostingstandort", "Hostingstandort", 20.0),
        ("quelloffenheit", "Quelloffenheit", 15.0),
        ("api", "API-Verfügbarkeit", 15.0),
    ]
    .into_iter()
    .map(|(k, l, w)| Criterion {
        key: k.into(),
        label: l.into(),
        weight: w,
    })
    .collect()
}

/// A candidate product.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Candidate {
    /// Name.
    pub name: String,
    /// Vendor's jurisdiction key.
    pub jurisdiction: String,
    /// Hosting key.
    pub hosting: String,
    /// Licence key.
    pub licence: String,
    /// Exit clause offered.
    #[serde(default)]
    pub exit_clause: bool,
    /// Export formats.
    #[serde(default)]
    pub formats: Vec<String>,
    /// API available.
    #[serde(default)]
    pub api: bool,
    /// Scores 0-5 for the administration's own criteria.
    #[serde(default)]
    pub scores: BTreeMap<String, f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CandidateFile {
    candidate: Vec<Candidate>,
}

/// One criterion's contribution.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Part {
    /// Criterion key.
    pub key: String,
    /// Score 0-5.
    pub score: f64,
    /// Weight.
    pub weight: f64,
    /// Why this score.
    pub why: String,
}

/// A scored candidate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scored {
    /// Rank (1 = best).
    pub rank: usize,
    /// Name.
    pub name: String,
    /// Total 0-100.
    pub total: f64,
    /// Contributions.
    pub parts: Vec<Part>,
}

/// A candidate file that cannot be scored.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CandidateError {
    /// Not valid TOML, or fields that a candidate does not have.
    #[error("{0}")]
    Syntax(String),
    /// A closed value that is not known.
    #[error("candidate {name:?}: {field} {value:?} unknown; use {allowed}")]
    Unknown {
        /// Candidate name.
        name: String,
        /// Field.
        field: &'static str,
        /// The value given.
        value: String,
        /// The accepted keys.
        allowed: String,
    },
    /// An own criterion's score outside 0-5.
    #[error("candidate {name:?}: score {key} = {value} must be between 0 and 5")]
    Score {
        /// Candidate name.
        name: String,
        /// Criterion key.
        key: String,
        /// The score given.
        value: f64,
    },
    /// The file has no candidate.
    #[error("no [[candidate]] in the file")]
    Empty,
}

/// Parses a candidate file; errors name the candidate and field.
pub fn parse_candidates(text: &str) -> Result<Vec<Candidate>, CandidateError> {
    let f: CandidateFile =
        toml::from_str(text).map_err(|e| CandidateError::Syntax(e.to_string()))?;
    for c in &f.candidate {
        let unknown = |field: &'static str, value: &str, allowed: String| CandidateError::Unknown {
            name: c.name.clone(),
            field,
            value: value.to_string(),
            allowed,
        };
        if Jurisdiction::parse(&c.jurisdiction).is_none() {
            return Err(unknown(
                "jurisdiction",
                &c.jurisdiction,
                Jurisdiction::keys(),
            ));
        }
        if Hosting::parse(&c.hosting).is_none() {
            return Err(unknown("hosting", &c.hosting, Hosting::keys()));
        }
        if Licence::parse(&c.licence).is_none() {
            return Err(unknown("licence", &c.licence, Licence::keys()));
        }
        if let Some((k, v)) = c.scores.iter().find(|(_, v)| !(0.0..=5.0).contains(*v)) {
            return Err(CandidateError::Score {
                name: c.name.clone(),
                key: k.clone(),
                value: *v,
            });
        }
    }
    if f.candidate.is_empty() {
        return Err(CandidateError::Empty);
    }
    Ok(f.candidate)
}

/// The scores of candidates for criteria the matrix does not have, as (candidate, key): they
/// would count for nothing, so they are shown to the person, never silently ignored.
pub fn unknown_scores(candidates: &[Candidate], criteria: &[Criterion]) -> Vec<(String, String)> {
    candidates
        .iter()
        .flat_map(|c| {
            c.scores
                .keys()
                .filter(|k| !criteria.iter().any(|cr| &cr.key == *k))
                .map(|k| (c.name.clone(), k.clone()))
        })
        .collect()
}

/// Reads and parses a candidate file.
pub fn read_candidates(path: &Path) -> Result<Vec<Candidate>, ProcurementError> {
    let text = std::fs::read_to_string(path).map_err(|source| ProcurementError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_candidates(&text).map_err(|source| ProcurementError::Candidates {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes a ranking as CSV or ODS (by extension; JSON writes the scored candidates).
pub fn export(
    path: &Path,
    scored: &[Scored],
    criteria: &[Criterion],
    lang: Lang,
) -> Result<(), ProcurementError> {
    let t = table(scored, criteria, lang);
    let bytes = match io::FileFormat::of(path)? {
        io::FileFormat::Csv => io::table_to_csv(&t)?.into_bytes(),
        io::FileFormat::Ods => io::to_ods(&[(lang.pick("Bewertung", "Scoring"), t)])?,
        io::FileFormat::Json => serde_json::to_vec_pretty(scored)
            .map_err(|e| ProcurementError::File(io::IoError::File(e.to_string())))?,
    };
    write_atomically(path, &bytes)
        .map_err(|e| ProcurementError::File(io::IoError::File(e.to_string())))
}

/// A change of the criteria matrix that is not valid; nothing is stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CriteriaError {
    /// The argument does not have the form asked for.
    #[error("--{flag} {arg:?}: use {form}")]
    Form {
        /// `set` or `add`.
        flag: &'static str,
        /// The argument.
        arg: String,
        /// The form asked for.
        form: &'static str,
    },
    /// The weight is not a number.
    #[error("--{flag} {arg:?}: weight is not a number")]
    NotANumber {
        /// `set` or `add`.
        flag: &'static str,
        /// The argument.
        arg: String,
    },
    /// A weight below zero (or not finite).
    #[error("--set {0:?}: weight must be zero or positive")]
    Negative(String),
    /// No criterion with that key.
    #[error("--set: no criterion {0:?}")]
    NoSuchCriterion(String),
    /// A criterion with that key exists.
    #[error("--add: criterion {0:?} exists already")]
    Exists(String),
    /// Built-in criteria cannot be removed.
    #[error("--remove {0}: built-in criteria stay; set their weight to 0 instead")]
    BuiltIn(String),
}

/// A procurement command that could not be carried out.
#[derive(Debug, thiserror::Error)]
pub enum ProcurementError {
    /// The candidate file could not be read.
    #[error("reading {}: {source}", .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The candidate file is not valid.
    #[error("{}: {source}", .path.display())]
    Candidates {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        source: CandidateError,
    },
    /// Writing the ranking failed.
    #[error(transparent)]
    File(#[from] io::IoError),
    /// A change of the criteria matrix is not valid.
    #[error(transparent)]
    Criteria(#[from] CriteriaError),
    /// The store failed.
    #[error(transparent)]
    Node(#[from] NodeError),
}

fn hosting_score(h: Hosting) -> f64 {
    match h {
        Hosting::OwnDataCentre | Hosting::PublicProvider => 5.0,
        Hosting::EuCloud => 4.0,
        Hosting::NonEuProviderEuRegion => 2.0,
        Hosting::OutsideEu => 0.0,
    }
}

fn builtin_part(key: &str, c: &Candidate, lang: Lang) -> Option<(f64, String)> {
    let j = Jurisdiction::parse(&c.jurisdiction)?;
    let h = Hosting::parse(&c.hosting)?;
    let l = Licence::parse(&c.licence)?;
    let open = c.formats.iter().any(|f| is_open_format(f));
    Some(match key {
        "datenhoheit" => {
            let s = match (j, h) {
                (_, Hosting::OutsideEu) => 0.0,
                (Jurisdiction::EuEea, Hosting::OwnDataCentre | Hosting::PublicProvider) => 5.0,
                (Jurisdiction::EuEea, Hosting::EuCloud) => 4.0,
                (Jurisdiction::EuEea, Hosting::NonEuProviderEuRegion) => 2.0,
                _ => 1.0,
            };
            (s, format!("{}, {}", j.label(lang), h.label(lang)))
        }
        "exitfaehigkeit" => {
            let s = if c.exit_clause { 2.5 } else { 0.0 }
                + if open { 1.5 } else { 0.0 }
                + if c.api { 1.0 } else { 0.0 };
            let yn = |b: bool| {
                if b {
                    lang.pick("ja", "yes")
                } else {
                    lang.pick("nein", "no")
                }
            };
            (
                s,
                format!(
                    "{} {}, {} {}, API {}",
                    lang.pick("Ausstiegsklausel", "exit clause"),
                    yn(c.exit_clause),
                    lang.pick("offenes Format", "open format"),
                    yn(open),
                    yn(c.api)
                ),
            )
        }
        "hostingstandort" => (hosting_score(h), h.label(lang).to_string()),
        "quelloffenheit" => (
            if l == Licence::OpenSource { 5.0 } else { 0.0 },
            l.label(lang).to_string(),
        ),
        "api" => (
            if c.api { 5.0 } else { 0.0 },
            if c.api {
                lang.pick("API vorhanden", "API available")
            } else {
                lang.pick("keine API", "no API")
            }
            .to_string(),
        ),
        _ => return None,
    })
}

/// Scores and ranks candidates.
pub fn score(candidates: &[Candidate], criteria: &[Criterion], lang: Lang) -> Vec<Scored> {
    let total_weight: f64 = criteria.iter().map(|c| c.weight.max(0.0)).sum();
    let mut out: Vec<Scored> = candidates
        .iter()
        .map(|cand| {
            let parts: Vec<Part> = criteria
                .iter()
                .map(|cr| {
                    let (s, why) = builtin_part(&cr.key, cand, lang).unwrap_or_else(|| match cand
                        .scores
                        .get(&cr.key)
                    {
                        Some(v) => (*v, lang.pick("eigene Bewertung", "own rating").to_string()),
                        None => (0.0, lang.pick("nicht bewertet", "not rated").to_string()),
                    });
                    Part {
                        key: cr.key.clone(),
                        score: s,
                        weight: cr.weight.max(0.0),
                        why,
                    }
                })
                .collect();
            let total = if total_weight > 0.0 {
                parts.iter().map(|p| p.score * p.weight).sum::<f64>() / (5.0 * total_weight) * 100.0
            } else {
                0.0
            };
            Scored {
                rank: 0,
                name: cand.name.clone(),
                total,
                parts,
            }
        })
        .collect();
    out.sort_by(|a, b| b.total.total_cmp(&a.total).then(a.name.cmp(&b.name)));
    for (i, s) in out.iter_mut().enumerate() {
        s.rank = i + 1;
    }
    out
}

/// The ranking as a table (header in `lang`).
pub fn table(scored: &[Scored], criteria: &[Criterion], lang: Lang) -> Vec<Vec<String>> {
    let mut header = vec![
        lang.pick("Rang", "Rank").to_string(),
        lang.pick("Kandidat", "Candidate").to_string(),
        lang.pick("Gesamt (0-100)", "Total (0-100)").to_string(),
    ];
    header.extend(
        criteria
            .iter()
            .map(|c| format!("{} ({})", c.label, c.weight)),
    );
    let mut rows = vec![header];
    for s in scored {
        let mut r = vec![
            s.rank.to_string(),
            s.name.clone(),
            format!("{:.1}", s.total),
        ];
        r.extend(s.parts.iter().map(|p| format!("{:.1}", p.score)));
        rows.push(r);
    }
    rows
}

#[cfg(test)]
mod tests;
