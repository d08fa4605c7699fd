//! The sovereignty self-test (Souveränitäts-Check) of the report: five dimensions, each scored
//! from 1 (trifft gar nicht zu) to 5 (trifft voll zu), a total from 5 to 25 and three maturity
//! bands.

use serde::{Deserialize, Serialize};

use crate::i18n::Lang;

/// The five dimensions, in the report's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// 1. Datenhoheit.
    Datenhoheit,
    /// 2. Technologische Unabhängigkeit.
    TechnologischeUnabhaengigkeit,
    /// 3. Interne IT-Kompetenz.
    ItKompetenz,
    /// 4. Offene Standards & Schnittstellen.
    OffeneStandards,
    /// 5. Governance & Exit-Strategie.
    GovernanceExit,
}

/// Lowest score of a dimension.
pub const MIN_SCORE: u8 = 1;
/// Highest score of a dimension.
pub const MAX_SCORE: u8 = 5;

impl Dimension {
    /// All dimensions in the report's order.
    pub const ALL: [Dimension; 5] = [
        Dimension::Datenhoheit,
        Dimension::TechnologischeUnabhaengigkeit,
        Dimension::ItKompetenz,
        Dimension::OffeneStandards,
        Dimension::GovernanceExit,
    ];

    /// Key used in assessment files (TOML/JSON) and the suffix of the metric id.
    pub fn key(self) -> &'static str {
        match self {
            Dimension::Datenhoheit => "datenhoheit",
            Dimension::TechnologischeUnabhaengigkeit => "technologische_unabhaengigkeit",
            Dimension::ItKompetenz => "it_kompetenz",
            Dimension::OffeneStandards => "offene_standards",
            Dimension::GovernanceExit => "governance_exit",
        }
    }

    /// Metric id in the catalogue, e.g. `selftest.datenhoheit`.
    pub fn metric_id(self) -> String {
        format!("selftest.{}", self.key())
    }

    /// Finds a dimension by its key.
    pub fn from_key(key: &str) -> Option<Dimension> {
        Dimension::ALL.into_iter().find(|d| d.key() == key)
    }

    /// Name of the dimension.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Dimension::Datenhoheit => lang.pick("Datenhoheit", "Data sovereignty"),
            Dimension::TechnologischeUnabhaengigkeit => lang.pick(
                "Technologische Unabhängigkeit",
                "Technological independence",
            ),
            Dimension::ItKompetenz => lang.pick("Interne IT-Kompetenz", "In-house IT competence"),
            Dimension::OffeneStandards => lang.pick(
                "Offene Standards & Schnittstellen",
                "Open standards & interfaces",
            ),
            Dimension::GovernanceExit => {
                lang.pick("Governance & Exit-Strategie", "Governance & exit strategy")
            }
        }
    }

    /// The statement to be rated from 1 to 5.
    pub fn statement(self, lang: Lang) -> &'static str {
        match self {
            Dimension::Datenhoheit => lang.pick(
                "Unsere sensiblen Daten liegen ausschließlich auf Servern mit deutschem oder EU-Hosting.",
                "Our sensitive data is held exclusively on servers hosted in Germany or the EU.",
            ),
            Dimension::TechnologischeUnabhaengigkeit => lang.pick(
                "Wir können zentrale Softwarelösungen innerhalb von 6 Monaten austauschen, ohne Kontrollverlust.",
                "We can replace central software solutions within 6 months without losing control.",
            ),
            Dimension::ItKompetenz => lang.pick(
                "Unsere IT kann souveräne Werkzeuge selbst bewerten, integrieren und betreiben.",
                "Our IT can evaluate, integrate and operate sovereign tools by itself.",
            ),
            Dimension::OffeneStandards => lang.pick(
                "Unsere Verfahren und Systeme beruhen auf offenen Schnittstellen und Formaten (API, ODF, OAuth usw.).",
                "Our procedures and systems rest on open interfaces and formats (API, ODF, OAuth etc.).",
            ),
            Dimension::GovernanceExit => lang.pick(
                "Für alle Kernsysteme gibt es belastbare Exit-Szenarien und dokumentierte Alternativen.",
                "For every core system there are robust exit scenarios and documented alternatives.",
            ),
        }
    }
}

/// Maturity band (Reifegrad) of a total score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    /// 5-10: kritisch abhängig.
    KritischAbhaengig,
    /// 11-18: hybrid geprägt.
    Hybrid,
    /// 19-25: souverän auf Kurs.
    SouveraenAufKurs,
}

impl Band {
    /// The band of a total between 5 and 25 (values outside are put in the nearest band).
    pub fn of_total(total: u32) -> Band {
        match total {
            0..=10 => Band::KritischAbhaengig,
            11..=18 => Band::Hybrid,
            _ => Band::SouveraenAufKurs,
        }
    }

    /// Stable key (category key in the catalogue).
    pub fn key(self) -> &'static str {
        match self {
            Band::KritischAbhaengig => "kritisch_abhaengig",
            Band::Hybrid => "hybrid",
            Band::SouveraenAufKurs => "souveraen_auf_kurs",
        }
    }

    /// Name of the band.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Band::KritischAbhaengig => lang.pick("kritisch abhängig", "critically dependent"),
            Band::Hybrid => lang.pick("hybrid geprägt", "hybrid"),
            Band::SouveraenAufKurs => lang.pick("souverän auf Kurs", "sovereign on course"),
        }
    }

    /// Score range of the band, for display.
    pub fn range(self) -> (u32, u32) {
        match self {
            Band::KritischAbhaengig => (5, 10),
            Band::Hybrid => (11, 18),
            Band::SouveraenAufKurs => (19, 25),
        }
    }
}

/// Why a self-test answer is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssessmentError {
    /// A dimension has no answer.
    #[error("dimension {0} ({1}) has no answer")]
    Missing(&'static str, &'static str),
    /// A dimension's answer is outside 1-5.
    #[error("dimension {dimension} ({label}) must be scored 1 to 5, got {value}")]
    OutOfRange {
        /// Key of the dimension.
        dimension: &'static str,
        /// German name of the dimension.
        label: &'static str,
        /// The value given.
        value: i64,
    },
    /// An answer names no known dimension.
    #[error("unknown dimension {0:?}; known: datenhoheit, technologische_unabhaengigkeit, it_kompetenz, offene_standards, governance_exit")]
    Unknown(String),
}

/// A complete, valid self-test: one score from 1 to 5 per dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    scores: [u8; 5],
}

impl Assessment {
    /// Builds an assessment from the five scores in the report's order.
    pub fn from_scores(scores: [i64; 5]) -> Result<Assessment, AssessmentError> {
        let mut out = [0u8; 5];
        for (i, d) in Dimension::ALL.into_iter().enumerate() {
            out[i] = check(d, scores[i])?;
        }
        Ok(Assessment { scores: out })
    }

    /// Builds an assessment from `(key, value)` answers, as read from a file. Every dimension must
    /// be answered exactly once, with a value from 1 to 5.
    pub fn from_answers<'a, I>(answers: I) -> Result<Assessment, AssessmentError>
    where
        I: IntoIterator<Item = (&'a str, i64)>,
    {
        let mut got: [Option<i64>; 5] = [None; 5];
        for (key, value) in answers {
            let d = Dimension::from_key(key).ok_or_else(|| AssessmentError::Unknown(key.into()))?;
            got[index(d)] = Some(value);
        }
        let mut out = [0u8; 5];
        for d in Dimension::ALL {
            let v = got[index(d)].ok_or(AssessmentError::Missing(d.key(), d.label(Lang::De)))?;
            out[index(d)] = check(d, v)?;
        }
        Ok(Assessment { scores: out })
    }

    /// Score of one dimension.
    pub fn score(&self, d: Dimension) -> u8 {
        self.scores[index(d)]
    }

    /// The five scores in the report's order.
    pub fn scores(&self) -> [u8; 5] {
        self.scores
    }

    /// Total from 5 to 25.
    pub fn total(&self) -> u32 {
        self.scores.iter().map(|&s| u32::from(s)).sum()
    }

    /// Maturity band of the total.
    pub fn band(&self) -> Band {
        Band::of_total(self.total())
    }
}

fn index(d: Dimension) -> usize {
    Dimension::ALL.iter().position(|x| *x == d).unwrap_or(0)
}

fn check(d: Dimension, v: i64) -> Result<u8, AssessmentError> {
    if (i64::from(MIN_SCORE)..=i64::from(MAX_SCORE)).contains(&v) {
        Ok(v as u8)
    } else {
        Err(AssessmentError::OutOfRange {
            dimension: d.key(),
            label: d.label(Lang::De),
            value: v,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn band_edges_follow_the_report() {
        assert_eq!(Band::of_total(5), Band::KritischAbhaengig);
        assert_eq!(Band::of_total(10), Band::KritischAbhaengig);
        assert_eq!(Band::of_total(11), Band::Hybrid);
        assert_eq!(Band::of_total(18), Band::Hybrid);
        assert_eq!(Band::of_total(19), Band::SouveraenAufKurs);
        assert_eq!(Band::of_total(25), Band::SouveraenAufKurs);
    }

    #[test]
    fn missing_and_out_of_range_answers_name_the_dimension() {
        let err = Assessment::from_answers([("datenhoheit", 3)]).unwrap_err();
        assert!(
            err.to_string().contains("technologische_unabhaengigkeit"),
            "{err}"
        );
        let err = Assessment::from_scores([1, 2, 6, 3, 3]).unwrap_err();
        assert!(err.to_string().contains("it_kompetenz"), "{err}");
        assert!(err.to_string().contains("got 6"), "{err}");
        let err = Assessment::from_answers([("souveraenitaet", 3)]).unwrap_err();
        assert!(matches!(err, AssessmentError::Unknown(_)));
    }

    proptest! {
        #[test]
        fn total_and_band_agree(scores in proptest::array::uniform5(1i64..=5)) {
            let a = Assessment::from_scores(scores).unwrap();
            let total: i64 = scores.iter().sum();
            prop_assert_eq!(i64::from(a.total()), total);
            let (lo, hi) = a.band().range();
            prop_assert!(lo <= a.total() && a.total() <= hi);
        }

        #[test]
        fn any_score_outside_one_to_five_is_refused(i in 0usize..5, v in prop_oneof![-100i64..1, 6i64..100]) {
            let mut scores = [3i64; 5];
            scores[i] = v;
            prop_assert!(Assessment::from_scores(scores).is_err());
        }
    }
}
