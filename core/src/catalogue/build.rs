//! The metric catalogue of this build: every released metric and derived cell, in order.

use crate::i18n::Lang;
use crate::selftest::{Band, Dimension, MAX_SCORE, MIN_SCORE};

use super::*;

pub(super) fn build() -> Catalogue {
    let mut metrics = Dimension::ALL
        .into_iter()
        .map(|d| MetricDef {
            id: d.metric_id(),
            label_de: d.label(Lang::De).to_string(),
            label_en: d.label(Lang::En).to_string(),
            value_type: ValueType::BoundedInteger,
            lower: i64::from(MIN_SCORE),
            upper: i64::from(MAX_SCORE),
            grid: 1,
            categories: Vec::new(),
            clamp: "clamp to [lower, upper]",
            mechanism: MechanismKind::DiscreteLaplace,
            max_half_width: 1.0,
            in_default_round: true,
        })
        .collect::<Vec<_>>();
    let dims: Vec<String> = metrics.iter().map(|m| m.id.clone()).collect();
    metrics.push(MetricDef {
        id: SELFTEST_BAND.to_string(),
        label_de: "Reifegrad".to_string(),
        label_en: "Maturity band".to_string(),
        value_type: ValueType::Category,
        lower: 0,
        upper: 2,
        grid: 1,
        categories: [
            Band::KritischAbhaengig,
            Band::Hybrid,
            Band::SouveraenAufKurs,
        ]
        .into_iter()
        .map(|b| CategoryDef {
            key: b.key().to_string(),
            label_de: b.label(Lang::De).to_string(),
            label_en: b.label(Lang::En).to_string(),
        })
        .collect(),
        clamp: "the band of the latest self-test total",
        mechanism: MechanismKind::RandomizedResponse,
        max_half_width: 0.2,
        in_default_round: false,
    });
    metrics.push(MetricDef {
        id: SELFTEST_EXIT.to_string(),
        label_de: "Belastbare Exit-Szenarien (Governance ≥ 4)".to_string(),
        label_en: "Robust exit scenarios (governance ≥ 4)".to_string(),
        value_type: ValueType::Boolean,
        lower: 0,
        upper: 1,
        grid: 1,
        categories: Vec::new(),
        clamp: "yes if Governance & Exit-Strategie is scored 4 or 5",
        mechanism: MechanismKind::RandomizedResponseBool,
        max_half_width: 0.2,
        in_default_round: false,
    });
    let share = |id: &str, de: &str, en: &str, clamp: &'static str| MetricDef {
        id: id.to_string(),
        label_de: de.to_string(),
        label_en: en.to_string(),
        value_type: ValueType::BoundedShare,
        lower: 0,
        upper: 100,
        grid: 100,
        categories: Vec::new(),
        clamp,
        mechanism: MechanismKind::DiscreteLaplace,
        max_half_width: 0.2,
        in_default_round: false,
    };
    metrics.push(share(
        INVENTORY_CRITICAL_WITH_EXIT,
        "Anteil kritischer Systeme mit Exit-Szenario",
        "Share of critical systems with an exit scenario",
        "share in [0, 1] on a grid of 1/100; 1 without critical systems",
    ));
    metrics.push(share(
        INVENTORY_NON_EU,
        "Anteil Systeme unter Nicht-EU-Rechtsraum",
        "Share of systems under non-EU jurisdiction",
        "share in [0, 1] on a grid of 1/100 (vendor or hosting outside EU law)",
    ));
    metrics.push(share(
        INVENTORY_OPEN_SOURCE,
        "Anteil Open-Source-Systeme",
        "Share of open-source systems",
        "share in [0, 1] on a grid of 1/100",
    ));
    metrics.push(MetricDef {
        id: INVENTORY_CONTRACTS_24M.to_string(),
        label_de: "Verträge, die in 24 Monaten ohne Ausstiegsklausel enden".to_string(),
        label_en: "Contracts ending within 24 months without an exit clause".to_string(),
        value_type: ValueType::BoundedInteger,
        lower: 0,
        upper: 10,
        grid: 1,
        categories: Vec::new(),
        clamp: "count, clamped to [0, 10]",
        mechanism: MechanismKind::DiscreteLaplace,
        max_half_width: 2.0,
        in_default_round: false,
    });
    metrics.push(share(
        INVENTORY_OPEN_FORMAT,
        "Anteil Systeme mit offenem Exportformat",
        "Share of systems with an open export format",
        "share in [0, 1] on a grid of 1/100",
    ));
    for item in crate::paths::path_catalogue().iter().cloned() {
        let mut categories = vec![CategoryDef {
            key: crate::paths::NOT_ON_PATH.to_string(),
            label_de: "nicht auf dem Pfad".to_string(),
            label_en: "not on the path".to_string(),
        }];
        categories.extend(crate::vocab::Stage::ALL.iter().map(|s| CategoryDef {
            key: s.key().to_string(),
            label_de: s.label(Lang::De).to_string(),
            label_en: s.label(Lang::En).to_string(),
        }));
        metrics.push(MetricDef {
            id: item.id,
            label_de: item.label_de,
            label_en: item.label_en,
            value_type: ValueType::Category,
            lower: 0,
            upper: 6,
            grid: 1,
            categories,
            clamp: "the stage of the most recently changed own path to this target, else keiner",
            mechanism: MechanismKind::RandomizedResponse,
            max_half_width: 0.2,
            in_default_round: false,
        });
    }
    let derived = vec![DerivedDef {
        id: SELFTEST_TOTAL.to_string(),
        label_de: "Selbsttest gesamt (5-25)".to_string(),
        label_en: "Self-test total (5-25)".to_string(),
        sum_of: dims,
        max_half_width: 4.0,
    }];
    Catalogue {
        version: CATALOGUE_VERSION,
        metrics,
        derived,
    }
}
