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

    /// Plural display name, as cohort names use it: "Gemeinden" / "Municipalities".
    pub fn plural(self, lang: Lang) -> &'static str {
        match self {
            Kind::Gemeinde => lang.pick("Gemeinden", "Municipalities"),
            Kind::Stadt => lang.pick("Städte", "Towns and cities"),
            Kind::Landkreis => lang.pick("Landkreise", "Districts"),
            Kind::Land => lang.pick("Landesverwaltungen", "State administrations"),
            Kind::Bund => lang.pick("Bundesverwaltungen", "Federal administrations"),
            Kind::ItDienstleister => lang.pick(
                "Kommunale IT-Dienstleister",
                "Municipal IT service providers",
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

/// English names of the sixteen Länder, in the order of [`BUNDESLAENDER`].
const BUNDESLAENDER_EN: [&str; 16] = [
    "Baden-Württemberg",
    "Bavaria",
    "Berlin",
    "Brandenburg",
    "Bremen",
    "Hamburg",
    "Hesse",
    "Mecklenburg-Western Pomerania",
    "Lower Saxony",
    "North Rhine-Westphalia",
    "Rhineland-Palatinate",
    "Saarland",
    "Saxony",
    "Saxony-Anhalt",
    "Schleswig-Holstein",
    "Thuringia",
];

/// The name of a Land by its ISO 3166-2:DE code (`DE-SH`, case as in [`parse_state`]) in
/// German or English; `None` for a code that names no Land.
///
/// ```
/// use sovbench_core::{cohort::state_name, i18n::Lang};
/// assert_eq!(state_name("DE-BY", Lang::De), Some("Bayern"));
/// assert_eq!(state_name("DE-BY", Lang::En), Some("Bavaria"));
/// ```
pub fn state_name(code: &str, lang: Lang) -> Option<&'static str> {
    let code = parse_state(code).ok()?;
    let i = BUNDESLAENDER.iter().position(|(c, _)| *c == code)?;
    Some(lang.pick(BUNDESLAENDER[i].1, BUNDESLAENDER_EN[i]))
}

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

    /// Readable name of the class, e.g. "5.000–20.000 Einw." (de) or "5,000–20,000
    /// inhabitants" (en); staff classes in "Beschäftigte" / "staff". The bounds are those of the
    /// key (`5k-20k` is 5,000 to 19,999).
    pub fn label(self, lang: Lang) -> String {
        let n = |v: u64| crate::display::thousands(v, lang);
        let (lo, hi, pop) = match self {
            SizeClass::PopLt5k => (None, Some(5_000), true),
            SizeClass::Pop5kTo20k => (Some(5_000), Some(20_000), true),
            SizeClass::Pop20kTo50k => (Some(20_000), Some(50_000), true),
            SizeClass::Pop50kTo100k => (Some(50_000), Some(100_000), true),
            SizeClass::Pop100kTo500k => (Some(100_000), Some(500_000), true),
            SizeClass::Pop500kPlus => (Some(500_000), None, true),
            SizeClass::StaffLt250 => (None, Some(250), false),
            SizeClass::Staff250To1k => (Some(250), Some(1_000), false),
            SizeClass::Staff1kTo5k => (Some(1_000), Some(5_000), false),
            SizeClass::Staff5kPlus => (Some(5_000), None, false),
        };
        let unit = match (pop, lang) {
            (true, Lang::De) => "Einw.",
            (true, Lang::En) => "inhabitants",
            (false, Lang::De) => "Beschäftigte",
            (false, Lang::En) => "staff",
        };
        match (lo, hi) {
            (Some(lo), Some(hi)) => format!("{}–{} {unit}", n(lo), n(hi)),
            (None, Some(hi)) => format!("{} {} {unit}", lang.pick("unter", "under"), n(hi)),
            (Some(lo), None) => format!("{} {unit} {}", n(lo), lang.pick("und mehr", "and more")),
            (None, None) => unit.to_string(),
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

    #[test]
    fn every_land_has_a_german_and_an_english_name() {
        let en = [
            ("DE-BW", "Baden-Württemberg"),
            ("DE-BY", "Bavaria"),
            ("DE-BE", "Berlin"),
            ("DE-BB", "Brandenburg"),
            ("DE-HB", "Bremen"),
            ("DE-HH", "Hamburg"),
            ("DE-HE", "Hesse"),
            ("DE-MV", "Mecklenburg-Western Pomerania"),
            ("DE-NI", "Lower Saxony"),
            ("DE-NW", "North Rhine-Westphalia"),
            ("DE-RP", "Rhineland-Palatinate"),
            ("DE-SL", "Saarland"),
            ("DE-SN", "Saxony"),
            ("DE-ST", "Saxony-Anhalt"),
            ("DE-SH", "Schleswig-Holstein"),
            ("DE-TH", "Thuringia"),
        ];
        for ((code, de), (code_en, en)) in BUNDESLAENDER.iter().zip(en) {
            assert_eq!(*code, code_en);
            assert_eq!(state_name(code, Lang::De), Some(*de));
            assert_eq!(state_name(code, Lang::En), Some(en));
        }
        assert_eq!(state_name("DE-SH", Lang::De), Some("Schleswig-Holstein"));
        assert_eq!(state_name("DE-TH", Lang::De), Some("Thüringen"));
        assert_eq!(state_name("nw", Lang::De), Some("Nordrhein-Westfalen"));
        assert_eq!(state_name("DE-XX", Lang::De), None);
        assert_eq!(state_name("", Lang::En), None);
    }

    #[test]
    fn size_classes_read_in_both_languages() {
        let want = [
            (
                SizeClass::PopLt5k,
                "unter 5.000 Einw.",
                "under 5,000 inhabitants",
            ),
            (
                SizeClass::Pop5kTo20k,
                "5.000–20.000 Einw.",
                "5,000–20,000 inhabitants",
            ),
            (
                SizeClass::Pop20kTo50k,
                "20.000–50.000 Einw.",
                "20,000–50,000 inhabitants",
            ),
            (
                SizeClass::Pop50kTo100k,
                "50.000–100.000 Einw.",
                "50,000–100,000 inhabitants",
            ),
            (
                SizeClass::Pop100kTo500k,
                "100.000–500.000 Einw.",
                "100,000–500,000 inhabitants",
            ),
            (
                SizeClass::Pop500kPlus,
                "500.000 Einw. und mehr",
                "500,000 inhabitants and more",
            ),
            (
                SizeClass::StaffLt250,
                "unter 250 Beschäftigte",
                "under 250 staff",
            ),
            (
                SizeClass::Staff250To1k,
                "250–1.000 Beschäftigte",
                "250–1,000 staff",
            ),
            (
                SizeClass::Staff1kTo5k,
                "1.000–5.000 Beschäftigte",
                "1,000–5,000 staff",
            ),
            (
                SizeClass::Staff5kPlus,
                "5.000 Beschäftigte und mehr",
                "5,000 staff and more",
            ),
        ];
        assert_eq!(want.len(), SizeClass::ALL.len());
        for (class, de, en) in want {
            assert_eq!(class.label(Lang::De), de);
            assert_eq!(class.label(Lang::En), en);
        }
        for k in Kind::ALL {
            assert_ne!(k.plural(Lang::De), k.plural(Lang::En));
        }
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
