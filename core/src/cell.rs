//! The grammar of a publication's cells, parsed in one place: a [`CellId`] names what a cell
//! estimates (`selftest.souveraenitaet`, `selftest.band=hybrid`,
//! `path.videokonferenzen.bigbluebutton#rollback_rate`), a [`Cohort`] names for whom (`all`,
//! `kind=stadt`, `state=DE-SH`, `size=5k-20k`, `kind=gemeinde,size=5k-20k`).
//!
//! ```
//! use sovbench_core::cell::{CellId, Cohort};
//! let c: CellId = "path.crm.espocrm#rollback_rate".parse().unwrap();
//! assert_eq!(c.metric(), "path.crm.espocrm");
//! assert!(c.is_rollback_rate());
//! let k: Cohort = "kind=gemeinde,size=5k-20k".parse().unwrap();
//! assert_eq!(k.fallbacks(), vec!["size=5k-20k".parse().unwrap(), "kind=gemeinde".parse().unwrap(), Cohort::All]);
//! ```

use std::fmt;
use std::str::FromStr;

use crate::cohort::{parse_state, state_name, CohortAttributes, Kind, SizeClass};
use crate::i18n::Lang;

/// Suffix of the roll-back-rate cell of a path metric.
pub const ROLLBACK_SUFFIX: &str = "#rollback_rate";

/// What a cell estimates.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CellId {
    /// A released or derived metric's mean, e.g. `selftest.total`.
    Metric(String),
    /// The share of one category (or item) of a category or item-set metric: `metric=category`.
    Category {
        /// The metric id.
        metric: String,
        /// The category key.
        category: String,
    },
    /// The roll-back rate of a path metric: `metric#rollback_rate`.
    RollbackRate(String),
}

impl CellId {
    /// Parses a cell id; any text without `=` or the roll-back suffix is a metric id.
    pub fn parse(text: &str) -> CellId {
        if let Some(m) = text.strip_suffix(ROLLBACK_SUFFIX) {
            return CellId::RollbackRate(m.to_string());
        }
        match text.split_once('=') {
            Some((metric, category)) => CellId::Category {
                metric: metric.to_string(),
                category: category.to_string(),
            },
            None => CellId::Metric(text.to_string()),
        }
    }

    /// The metric the cell belongs to.
    pub fn metric(&self) -> &str {
        match self {
            CellId::Metric(m) | CellId::RollbackRate(m) => m,
            CellId::Category { metric, .. } => metric,
        }
    }

    /// The category key, for a category cell.
    pub fn category(&self) -> Option<&str> {
        match self {
            CellId::Category { category, .. } => Some(category),
            _ => None,
        }
    }

    /// Whether this is a roll-back-rate cell.
    pub fn is_rollback_rate(&self) -> bool {
        matches!(self, CellId::RollbackRate(_))
    }
}

impl fmt::Display for CellId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CellId::Metric(m) => f.write_str(m),
            CellId::Category { metric, category } => write!(f, "{metric}={category}"),
            CellId::RollbackRate(m) => write!(f, "{m}{ROLLBACK_SUFFIX}"),
        }
    }
}

impl FromStr for CellId {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(CellId::parse(s))
    }
}

/// For whom a cell estimates: a cohort of administrations.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Cohort {
    /// Every contributor.
    All,
    /// One kind of administration.
    Kind(Kind),
    /// One Bundesland (ISO 3166-2:DE code).
    State(String),
    /// One size class.
    Size(SizeClass),
    /// One kind within one size class.
    KindSize(Kind, SizeClass),
}

/// A cohort label that does not follow the grammar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown cohort {0:?}; use all, kind=…, state=…, size=… or kind=…,size=…")]
pub struct CohortParseError(pub String);

impl Cohort {
    /// Order in a publication: `all`, kinds, Länder, size classes, kind × size.
    pub fn rank(&self) -> u8 {
        match self {
            Cohort::All => 0,
            Cohort::Kind(_) => 1,
            Cohort::State(_) => 2,
            Cohort::Size(_) => 3,
            Cohort::KindSize(..) => 4,
        }
    }

    /// The coarser cohorts to fall back to when this one is suppressed, nearest first.
    pub fn fallbacks(&self) -> Vec<Cohort> {
        match self {
            Cohort::All => Vec::new(),
            Cohort::KindSize(k, s) => vec![Cohort::Size(*s), Cohort::Kind(*k), Cohort::All],
            _ => vec![Cohort::All],
        }
    }

    /// Whether an administration with these attributes belongs to the cohort.
    pub fn contains(&self, a: &CohortAttributes) -> bool {
        match self {
            Cohort::All => true,
            Cohort::Kind(k) => a.kind == *k,
            Cohort::State(s) => a.state == *s,
            Cohort::Size(s) => a.size == *s,
            Cohort::KindSize(k, s) => a.kind == *k && a.size == *s,
        }
    }

    /// The five cohorts an administration belongs to, coarsest first.
    pub fn of(a: &CohortAttributes) -> [Cohort; 5] {
        [
            Cohort::All,
            Cohort::Kind(a.kind),
            Cohort::State(a.state.clone()),
            Cohort::Size(a.size),
            Cohort::KindSize(a.kind, a.size),
        ]
    }
}

/// The readable name of a cohort in German or English, for people rather than programs:
/// "alle Verwaltungen", "Gemeinden", "Verwaltungen in Schleswig-Holstein",
/// "Verwaltungen 5.000–20.000 Einw.", "Gemeinden 5.000–20.000 Einw." (en: "all administrations",
/// "Municipalities", "Administrations in Schleswig-Holstein", "Administrations 5,000–20,000
/// inhabitants", "Municipalities 5,000–20,000 inhabitants"). A state code that names no Land is
/// shown as it is.
///
/// ```
/// use sovbench_core::cell::{cohort_label, Cohort};
/// use sovbench_core::i18n::Lang;
/// let c: Cohort = "kind=gemeinde,size=5k-20k".parse().unwrap();
/// assert_eq!(cohort_label(&c, Lang::De), "Gemeinden 5.000–20.000 Einw.");
/// ```
pub fn cohort_label(cohort: &Cohort, lang: Lang) -> String {
    match cohort {
        Cohort::All => lang
            .pick("alle Verwaltungen", "all administrations")
            .to_string(),
        Cohort::Kind(k) => k.plural(lang).to_string(),
        Cohort::State(code) => format!(
            "{} {}",
            lang.pick("Verwaltungen in", "Administrations in"),
            state_name(code, lang).unwrap_or(code)
        ),
        Cohort::Size(s) => format!(
            "{} {}",
            lang.pick("Verwaltungen", "Administrations"),
            s.label(lang)
        ),
        Cohort::KindSize(k, s) => format!("{} {}", k.plural(lang), s.label(lang)),
    }
}

/// [`cohort_label`] of a cohort id as published (`kind=stadt,size=5k-20k`); an id that does not
/// parse is returned as it is.
pub fn cohort_id_label(id: &str, lang: Lang) -> String {
    id.parse::<Cohort>()
        .map_or_else(|_| id.to_string(), |c| cohort_label(&c, lang))
}

// The cohort grammar lives here, so the labels of an administration's cohorts are made here too
// (`cohort` knows nothing of the grammar).
impl CohortAttributes {
    /// The labels of the cohorts this administration belongs to, coarsest first:
    /// `all`, `kind=…`, `state=…`, `size=…`, `kind=…,size=…`.
    pub fn cohorts(&self) -> Vec<String> {
        Cohort::of(self).iter().map(ToString::to_string).collect()
    }
}

impl fmt::Display for Cohort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cohort::All => f.write_str("all"),
            Cohort::Kind(k) => write!(f, "kind={}", k.key()),
            Cohort::State(s) => write!(f, "state={s}"),
            Cohort::Size(s) => write!(f, "size={}", s.key()),
            Cohort::KindSize(k, s) => write!(f, "kind={},size={}", k.key(), s.key()),
        }
    }
}

impl FromStr for Cohort {
    type Err = CohortParseError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || CohortParseError(text.to_string());
        if text == "all" {
            return Ok(Cohort::All);
        }
        let kind = |v: &str| Kind::ALL.into_iter().find(|k| k.key() == v).ok_or_else(bad);
        let size = |v: &str| SizeClass::from_key(v).ok_or_else(bad);
        if let Some((k, s)) = text.split_once(',') {
            let k = k.strip_prefix("kind=").ok_or_else(bad)?;
            let s = s.strip_prefix("size=").ok_or_else(bad)?;
            return Ok(Cohort::KindSize(kind(k)?, size(s)?));
        }
        match text.split_once('=') {
            Some(("kind", v)) => Ok(Cohort::Kind(kind(v)?)),
            Some(("state", v)) if parse_state(v).ok().as_deref() == Some(v) => {
                Ok(Cohort::State(v.to_string()))
            }
            Some(("size", v)) => Ok(Cohort::Size(size(v)?)),
            _ => Err(bad()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_ids_round_trip() {
        for text in [
            "selftest.total",
            "selftest.band=hybrid",
            "path.crm.espocrm=pilot",
            "path.crm.espocrm#rollback_rate",
        ] {
            assert_eq!(CellId::parse(text).to_string(), text);
        }
        assert_eq!(
            CellId::parse("selftest.band=hybrid").category(),
            Some("hybrid")
        );
        assert_eq!(CellId::parse("selftest.total").category(), None);
    }

    #[test]
    fn cohort_labels_name_each_form_in_both_languages() {
        let cases = [
            ("all", "alle Verwaltungen", "all administrations"),
            ("kind=gemeinde", "Gemeinden", "Municipalities"),
            (
                "kind=it-dienstleister",
                "Kommunale IT-Dienstleister",
                "Municipal IT service providers",
            ),
            (
                "state=DE-SH",
                "Verwaltungen in Schleswig-Holstein",
                "Administrations in Schleswig-Holstein",
            ),
            (
                "state=DE-BY",
                "Verwaltungen in Bayern",
                "Administrations in Bavaria",
            ),
            (
                "size=5k-20k",
                "Verwaltungen 5.000–20.000 Einw.",
                "Administrations 5,000–20,000 inhabitants",
            ),
            (
                "size=staff-5k+",
                "Verwaltungen 5.000 Beschäftigte und mehr",
                "Administrations 5,000 staff and more",
            ),
            (
                "kind=gemeinde,size=5k-20k",
                "Gemeinden 5.000–20.000 Einw.",
                "Municipalities 5,000–20,000 inhabitants",
            ),
            (
                "kind=stadt,size=500k+",
                "Städte 500.000 Einw. und mehr",
                "Towns and cities 500,000 inhabitants and more",
            ),
            (
                "kind=bund,size=staff-lt250",
                "Bundesverwaltungen unter 250 Beschäftigte",
                "Federal administrations under 250 staff",
            ),
        ];
        for (id, de, en) in cases {
            let c: Cohort = id.parse().unwrap();
            assert_eq!(cohort_label(&c, Lang::De), de, "{id}");
            assert_eq!(cohort_label(&c, Lang::En), en, "{id}");
            assert_eq!(cohort_id_label(id, Lang::De), de);
        }
        // A state the grammar does not know (built directly) and an id that does not parse.
        assert_eq!(
            cohort_label(&Cohort::State("DE-XX".into()), Lang::En),
            "Administrations in DE-XX"
        );
        assert_eq!(cohort_id_label("kind=dorf", Lang::De), "kind=dorf");
        // Every cohort of every administration has a label without raw keys.
        for kind in Kind::ALL {
            for size in SizeClass::ALL {
                for (code, _) in crate::cohort::BUNDESLAENDER {
                    let a = CohortAttributes {
                        kind,
                        state: code.into(),
                        size,
                    };
                    for c in Cohort::of(&a) {
                        for lang in [Lang::De, Lang::En] {
                            let l = cohort_label(&c, lang);
                            assert!(!l.contains('=') && !l.contains("DE-"), "{l}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn every_cohort_of_every_administration_round_trips() {
        for kind in Kind::ALL {
            for size in SizeClass::ALL {
                let a = CohortAttributes {
                    kind,
                    state: "DE-SH".into(),
                    size,
                };
                for c in Cohort::of(&a) {
                    let text = c.to_string();
                    assert_eq!(text.parse::<Cohort>(), Ok(c.clone()), "{text}");
                    assert!(c.contains(&a));
                }
                let ranks: Vec<u8> = Cohort::of(&a).iter().map(Cohort::rank).collect();
                assert_eq!(ranks, [0, 1, 2, 3, 4]);
            }
        }
        for bad in [
            "",
            "alle",
            "kind=dorf",
            "state=DE-XX",
            "size=huge",
            "size=5k-20k,kind=stadt",
            "state=sh",
        ] {
            assert!(bad.parse::<Cohort>().is_err(), "{bad}");
        }
    }
}
