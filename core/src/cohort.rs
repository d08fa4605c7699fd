//! Who an administration is, for benchmarking: its kind, its Bundesland and its size class, and
//! the cohorts (peer groups) a publication reports on.
//!
//! Size classes: territorial bodies (Gemeinde, Stadt, Landkreis, Land) are classed by population,
//! non-territorial bodies (Bund, kommunaler IT-Dienstleister) by staff count:
//!
//! | population | label | | staff | label |
//! |---|---|---|---|---|
//! | < 5,000 | `lt5k` | | < 250 | `staff-lt250` |
//! | 5,000 - 19,999 | `5k-20k` | | 250 - 999 | `staff-250-1k` |
//! | 20,000 - 49,999 | `20k-50k` | | 1,000 - 4,999 | `staff-1k-5k` |
//! | 50,000 - 99,999 | `50k-100k` | | ≥ 5,000 | `staff-5k+` |
//! | 100,000 - 499,999 | `100k-500k` | | | |
//! | ≥ 500,000 | `500k+` | | | |

use serde::{Deserialize, Serialize};

use crate::i18n::Lang;

/// Kind of administration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Gemeinde (municipality).
    Gemeinde,
    /// Stadt (town or city, including kreisfreie Städte).
    Stadt,
    /// Landkreis (district).
    Landkreis,
    /// Land (state administration).
    Land,
    /// Bund (federal administration).
    Bund,
    /// Kommunaler IT-Dienstleister (municipal IT service provider).
    ItDienstleister,
}

impl Kind {
    /// All kinds.
    pub const ALL: [Kind; 6] = [
        Kind::Gemeinde,
        Kind::Stadt,
        Kind::Landkreis,
        Kind::Land,
        Kind::Bund,
        Kind::ItDienstleister,
    ];

    /// Stable key used on the command line and in cohort labels.
    pub fn key(self) -> &'static str {
        match self {
            Kind::Gemeinde => "gemeinde",
            Kind::Stadt => "stadt",
            Kind::Landkreis => "landkreis",
            Kind::Land => "land",
            Kind::Bund => "bund",
            Kind::ItDienstleister => "it-dienstleister",
        }
    }

    /// Display name.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Kind::Gemeinde => lang.pick("Gemeinde", "Municipality"),
            Kind::Stadt => lang.pick("Stadt", "Town or city"),
            Kind::Landkreis => lang.pick("Landkreis", "District"),
            Kind::Land => lang.pick("Land", "State administration"),
            Kind::Bund => lang.pick("Bund", "Federal administration"),
            Kind::ItDienstleister => lang.pick(
                "Kommunaler IT-Dienstleister",
                "Municipal IT service provider",
            ),
        }
    }

    /// Whether the size is a population (true) or a staff count (false).
    pub fn is_territorial(self) -> bool {
        !matches!(self, Kind::Bund | Kind::ItDienstleister)
    }
}

impl std::str::FromStr for Kind {
    type Err = CohortError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_lowercase();
        let norm = match lower.as_str() {
            "kommunaler-it-dienstleister" | "kommunaler it-dienstleister" | "it_dienstleister" => {
                "it-dienstleister"
            }
            other => other,
        };
        Kind::ALL
            .into_iter()
            .find(|k| k.key() == norm)
            .ok_or_else(|| CohortError::UnknownKind(s.to_string()))
    }
}

/// The sixteen Länder as ISO 3166-2:DE codes, with their names.
pub const BUNDESLAENDER: [(&str, &str); 16] = [
    ("DE-BW", "Baden-Württemberg"),
    ("DE-BY", "Bayern"),
    ("DE-BE", "Berlin"),
    ("DE-BB", "Brandenburg"),
    ("DE-HB", "Bremen"),
    ("DE-HH", "Hamburg"),
    ("DE-HE", "Hessen"),
    ("DE-MV", "Mecklenburg-Vorpommern"),
    ("DE-NI", "Niedersachsen"),
    ("DE-NW", "Nordrhein-Westfalen"),
    ("DE-RP", "Rheinland-Pfalz"),
    ("DE-SL", "Saarland"),
    ("DE-SN", "Sachsen"),
    ("DE-ST", "Sachsen-Anhalt"),
    ("DE-SH", "Schleswig-Holstein"),
    ("DE-TH", "Thüringen"),
];

/// Checks and normalises an ISO 3166-2:DE code ("de-nw" becomes "DE-NW").
pub fn parse_state(code: &str) -> Result<String, CohortError> {
    let upper = code.trim().to_uppercase();
    let upper = if upper.len() == 2 {
        format!("DE-{upper}")
    } else {
        upper
    };
    BUNDESLAENDER
        .iter()
        .find(|(c, _)| *c == upper)
        .map(|(c, _)| (*c).to_string())
        .ok_or_else(|| CohortError::UnknownState(code.to_string()))
}

/// Size class of an administration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SizeClass {
    /// Population below 5,000.
    PopLt5k,
    /// Population 5,000 to 19,999.
    Pop5kTo20k,
    /// Population 20,000 to 49,999.
    Pop20kTo50k,
    /// Population 50,000 to 99,999.
    Pop50kTo100k,
    /// Population 100,000 to 499,999.
    Pop100kTo500k,
    /// Population 500,000 and more.
    Pop500kPlus,
    /// Staff below 250.
    StaffLt250,
    /// Staff 250 to 999.
    Staff250To1k,
    /// Staff 1,000 to 4,999.
    Staff1kTo5k,
    /// Staff 5,000 and more.
    Staff5kPlus,
}

impl SizeClass {
    /// All size classes.
    pub const ALL: [SizeClass; 10] = [
        SizeClass::PopLt5k,
        SizeClass::Pop5kTo20k,
        SizeClass::Pop20kTo50k,
        SizeClass::Pop50kTo100k,
        SizeClass::Pop100kTo500k,
        SizeClass::Pop500kPlus,
        SizeClass::StaffLt250,
        SizeClass::Staff250To1k,
        SizeClass::Staff1kTo5k,
        SizeClass::Staff5kPlus,
    ];

    /// The class of a body of `kind` with `size` inhabitants (territorial) or staff (others).
    pub fn classify(kind: Kind, size: u64) -> SizeClass {
        if kind.is_territorial() {
            match size {
                0..=4_999 => SizeClass::PopLt5k,
                5_000..=19_999 => SizeClass::Pop5kTo20k,
                20_000..=49_999 => SizeClass::Pop20kTo50k,
                50_000..=99_999 => SizeClass::Pop50kTo100k,
                100_000..=499_999 => SizeClass::Pop100kTo500k,
                _ => SizeClass::Pop500kPlus,
            }
        } else {
            match size {
                0..=249 => SizeClass::StaffLt250,
                250..=999 => SizeClass::Staff250To1k,
                1_000..=4_999 => SizeClass::Staff1kTo5k,
                _ => SizeClass::Staff5kPlus,
            }
        }
    }

    /// Label used in cohort names, e.g. `20k-50k`.
    pub fn key(self) -> &'static str {
        match self {
            SizeClass::PopLt5k => "lt5k",
            SizeClass::Pop5kTo20k => "5k-20k",
            SizeClass::Pop20kTo50k => "20k-50k",
            SizeClass::Pop50kTo100k => "50k-100k",
            SizeClass::Pop100kTo500k => "100k-500k",
            SizeClass::Pop500kPlus => "500k+",
            SizeClass::StaffLt250 => "staff-lt250",
            SizeClass::Staff250To1k => "staff-250-1k",
            SizeClass::Staff1kTo5k => "staff-1k-5k",
            SizeClass::Staff5kPlus => "staff-5k+",
        }
    }

    /// Finds a size class by its label.
    pub fn from_key(key: &str) -> Option<SizeClass> {
        SizeClass::ALL.into_iter().find(|s| s.key() == key)
    }
}

/// What an aggregator knows about an enrolled administration, and all it needs for cohorts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CohortAttributes {
    /// Kind of administration.
    pub kind: Kind,
    /// ISO 3166-2:DE code of its Bundesland.
    pub state: String,
    /// Its size class.
    pub size: SizeClass,
}

/// Invalid cohort attribute.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CohortError {
    /// Not a known kind of administration.
    #[error("unknown kind of administration {0:?}; use gemeinde, stadt, landkreis, land, bund or it-dienstleister")]
    UnknownKind(String),
    /// Not an ISO 3166-2:DE code.
    #[error("unknown Bundesland {0:?}; use an ISO 3166-2:DE code such as DE-NW or DE-BY")]
    UnknownState(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn size_class_edges() {
        assert_eq!(
            SizeClass::classify(Kind::Gemeinde, 4_999),
            SizeClass::PopLt5k
        );
        assert_eq!(
            SizeClass::classify(Kind::Gemeinde, 5_000),
            SizeClass::Pop5kTo20k
        );
        assert_eq!(
            SizeClass::classify(Kind::Stadt, 49_999),
            SizeClass::Pop20kTo50k
        );
        assert_eq!(
            SizeClass::classify(Kind::Stadt, 50_000),
            SizeClass::Pop50kTo100k
        );
        assert_eq!(
            SizeClass::classify(Kind::Land, 17_900_000),
            SizeClass::Pop500kPlus
        );
        assert_eq!(
            SizeClass::classify(Kind::ItDienstleister, 249),
            SizeClass::StaffLt250
        );
        assert_eq!(
            SizeClass::classify(Kind::Bund, 5_000),
            SizeClass::Staff5kPlus
        );
    }

    #[test]
    fn states_and_kinds_parse() {
        assert_eq!(parse_state("de-nw").unwrap(), "DE-NW");
        assert_eq!(parse_state("BY").unwrap(), "DE-BY");
        assert!(parse_state("DE-XX").is_err());
        assert_eq!("Gemeinde".parse::<Kind>().unwrap(), Kind::Gemeinde);
        assert_eq!(
            "kommunaler-it-dienstleister".parse::<Kind>().unwrap(),
            Kind::ItDienstleister
        );
        assert!("bezirk".parse::<Kind>().is_err());
    }

    proptest! {
        #[test]
        fn size_classes_are_monotone(a in 0u64..2_000_000, b in 0u64..2_000_000, k in 0usize..6) {
            let kind = Kind::ALL[k];
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(SizeClass::classify(kind, lo) <= SizeClass::classify(kind, hi));
            prop_assert_eq!(SizeClass::from_key(SizeClass::classify(kind, lo).key()), Some(SizeClass::classify(kind, lo)));
        }
    }
}
