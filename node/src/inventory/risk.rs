//! The dependency-risk score of a system and the risk matrix.
//!
//! Dependency points (0-12), each factor with its reason:
//!
//! | factor | points |
//! |---|---|
//! | vendor's jurisdiction | EU/EEA 0, other 2, US 3 |
//! | hosting | own data centre or public IT service provider 0, EU cloud 1, non-EU provider in an EU region 2, outside the EU 3 |
//! | licence | open source 0, proprietary 1 |
//! | exit clause | yes 0, no 2 |
//! | open export format | yes 0, none 2 |
//! | API | yes 0, no 1 |
//!
//! Dependency level: low 0-3, medium 4-7, high 8-12. Relevance weight: kritisch 4, hoch 3,
//! mittel 2, niedrig 1. Risk = dependency points x relevance weight (0-48). Risk class from the
//! matrix of dependency level and relevance:
//!
//! | | niedrig | mittel | hoch | kritisch |
//! |---|---|---|---|---|
//! | high dependency | C | B | A | A |
//! | medium dependency | C | C | B | A |
//! | low dependency | C | C | C | B |
//!
//! Class A: act now (exit scenario, contract clause); B: plan; C: watch.

use serde::Serialize;
use sovbench_core::i18n::Lang;

use super::{Hosting, Jurisdiction, Licence, Relevance, System};

/// One contribution to a dependency score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reason {
    /// Points.
    pub points: u32,
    /// Why, in German.
    pub de: String,
    /// Why, in English.
    pub en: String,
}

impl Reason {
    /// Text in `lang`.
    pub fn text(&self, lang: Lang) -> &str {
        lang.pick(&self.de, &self.en)
    }
}

/// Dependency level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// 0-3 points.
    Low,
    /// 4-7 points.
    Medium,
    /// 8-12 points.
    High,
}

/// Risk class of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum RiskClass {
    /// Act now.
    A,
    /// Plan.
    B,
    /// Watch.
    C,
}

/// The risk assessment of one system.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Risk {
    /// System name.
    pub system: String,
    /// Dependency points (0-12).
    pub dependency: u32,
    /// Dependency level.
    pub level: Level,
    /// Relevance weight (1-4).
    pub weight: u32,
    /// Risk score (0-48).
    pub score: u32,
    /// Class of the risk matrix.
    pub class: RiskClass,
    /// The factors that add points.
    pub reasons: Vec<Reason>,
}

fn reason(points: u32, de: &str, en: &str) -> Reason {
    Reason {
        points,
        de: de.to_string(),
        en: en.to_string(),
    }
}

/// Scores one system.
pub fn assess(s: &System) -> Risk {
    let mut reasons = Vec::new();
    match s.jurisdiction {
        Jurisdiction::EuEea => {}
        Jurisdiction::Other => reasons.push(reason(
            2,
            "Anbieter außerhalb von EU/EWR",
            "vendor outside the EU/EEA",
        )),
        Jurisdiction::Us => reasons.push(reason(
            3,
            "Anbieter unter US-Recht (CLOUD Act)",
            "vendor under US law (CLOUD Act)",
        )),
    }
    match s.hosting {
        Hosting::OwnDataCentre | Hosting::PublicProvider => {}
        Hosting::EuCloud => reasons.push(reason(
            1,
            "Betrieb bei EU-Cloud-Anbieter",
            "run by an EU cloud provider",
        )),
        Hosting::NonEuProviderEuRegion => reasons.push(reason(
            2,
            "Nicht-EU-Anbieter, nur EU-Region",
            "non-EU provider, EU region only",
        )),
        Hosting::OutsideEu => reasons.push(reason(
            3,
            "Betrieb außerhalb der EU",
            "hosted outside the EU",
        )),
    }
    if s.licence == Licence::Proprietary {
        reasons.push(reason(1, "proprietäre Lizenz", "proprietary licence"));
    }
    if !s.exit_clause {
        reasons.push(reason(2, "keine Ausstiegsklausel", "no exit clause"));
    }
    if !s.has_open_format() {
        reasons.push(reason(
            2,
            "kein offenes Exportformat",
            "no open export format",
        ));
    }
    if !s.api {
        reasons.push(reason(1, "keine API", "no API"));
    }
    let dependency: u32 = reasons.iter().map(|r| r.points).sum();
    let level = match dependency {
        0..=3 => Level::Low,
        4..=7 => Level::Medium,
        _ => Level::High,
    };
    let weight = match s.relevance {
        Relevance::Kritisch => 4,
        Relevance::Hoch => 3,
        Relevance::Mittel => 2,
        Relevance::Niedrig => 1,
    };
    let class = match (level, s.relevance) {
        (Level::High, Relevance::Kritisch | Relevance::Hoch) => RiskClass::A,
        (Level::Medium, Relevance::Kritisch) => RiskClass::A,
        (Level::High, Relevance::Mittel) => RiskClass::B,
        (Level::Medium, Relevance::Hoch) => RiskClass::B,
        (Level::Low, Relevance::Kritisch) => RiskClass::B,
        _ => RiskClass::C,
    };
    Risk {
        system: s.name.clone(),
        dependency,
        level,
        weight,
        score: dependency * weight,
        class,
        reasons,
    }
}

/// Every system's risk, highest first (ties by name).
pub fn ranked(systems: &[System]) -> Vec<Risk> {
    let mut r: Vec<Risk> = systems.iter().map(assess).collect();
    r.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then(a.class.cmp(&b.class))
            .then(a.system.cmp(&b.system))
    });
    r
}

#[cfg(test)]
mod tests {
    use super::super::tests::system;
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn worst_and_best_cases() {
        let mut s = system("x");
        s.hosting = Hosting::OutsideEu;
        s.formats.clear();
        s.api = false;
        let r = assess(&s);
        assert_eq!(r.dependency, 12);
        assert_eq!((r.score, r.class), (48, RiskClass::A));
        assert_eq!(r.reasons.len(), 6);
        s.jurisdiction = Jurisdiction::EuEea;
        s.hosting = Hosting::OwnDataCentre;
        s.licence = Licence::OpenSource;
        s.exit_clause = true;
        s.formats = vec!["ODF".into()];
        s.api = true;
        s.relevance = Relevance::Niedrig;
        let r = assess(&s);
        assert_eq!((r.dependency, r.score, r.class), (0, 0, RiskClass::C));
        assert!(r.reasons.is_empty());
    }

    fn arb_system() -> impl Strategy<Value = System> {
        (
            0usize..3,
            0usize..5,
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            0usize..4,
        )
            .prop_map(|(j, h, oss, exit, open, api, rel)| {
                let mut s = system("p");
                s.jurisdiction = Jurisdiction::ALL[j];
                s.hosting = Hosting::ALL[h];
                s.licence = if oss {
                    Licence::OpenSource
                } else {
                    Licence::Proprietary
                };
                s.exit_clause = exit;
                s.formats = if open {
                    vec!["CSV".into()]
                } else {
                    vec!["OOXML".into()]
                };
                s.api = api;
                s.relevance = Relevance::ALL[rel];
                s
            })
    }

    proptest! {
        #[test]
        fn score_is_bounded_explained_and_monotone(s in arb_system()) {
            let r = assess(&s);
            prop_assert!(r.dependency <= 12 && r.score <= 48);
            prop_assert_eq!(r.dependency, r.reasons.iter().map(|x| x.points).sum::<u32>());
            // Adding an exit clause never raises the risk; losing the API never lowers it.
            let mut better = s.clone();
            better.exit_clause = true;
            prop_assert!(assess(&better).score <= r.score);
            let mut worse = s.clone();
            worse.api = false;
            prop_assert!(assess(&worse).score >= r.score);
            // A more relevant system with the same dependency is never in a milder class.
            let mut crit = s.clone();
            crit.relevance = Relevance::Kritisch;
            prop_assert!(assess(&crit).class <= r.class);
        }
    }
}
