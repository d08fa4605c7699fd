//! The metric catalogue: one definition of every value a node may release, shared by node and
//! aggregator. Its SHA-256 ([`catalogue_hash`]) is part of the signed round parameters, so the two
//! sides can never disagree silently about what a value means.
//!
//! Version 1 holds the five self-test dimensions (`selftest.*`, bounded integers 1-5, OpenDP
//! discrete Laplace) and the derived total `selftest.total`, which is never released: the
//! aggregator estimates it as the sum of the five dimension estimates.

use serde::Serialize;

use crate::i18n::Lang;
use crate::pb;
use crate::selftest::{Dimension, MAX_SCORE, MIN_SCORE};

/// Version of the catalogue; bumped whenever a definition changes meaning.
pub const CATALOGUE_VERSION: u32 = 1;

/// Type of a metric's true value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueType {
    /// An integer between `lower` and `upper`.
    BoundedInteger,
}

/// Mechanism that privatises a released metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MechanismKind {
    /// OpenDP `make_laplace` on `AtomDomain<i64>` with `AbsoluteDistance<i64>` (discrete Laplace).
    DiscreteLaplace,
}

impl MechanismKind {
    /// Wire representation.
    pub fn to_pb(self) -> pb::Mechanism {
        match self {
            MechanismKind::DiscreteLaplace => pb::Mechanism::DiscreteLaplace,
        }
    }
}

/// One released metric.
#[derive(Debug, Clone, Serialize)]
pub struct MetricDef {
    /// Stable dotted id, grouped by source.
    pub id: String,
    /// German label.
    pub label_de: String,
    /// English label.
    pub label_en: String,
    /// Type of the true value.
    pub value_type: ValueType,
    /// Lowest true value; smaller values are clamped up to it.
    pub lower: i64,
    /// Highest true value; larger values are clamped down to it.
    pub upper: i64,
    /// How the true value is brought into bounds before privatisation.
    pub clamp: &'static str,
    /// The mechanism.
    pub mechanism: MechanismKind,
}

impl MetricDef {
    /// Label in `lang`.
    pub fn label(&self, lang: Lang) -> &str {
        lang.pick(&self.label_de, &self.label_en)
    }

    /// Sensitivity of one administration's value: the width of the bounds.
    pub fn sensitivity(&self) -> i64 {
        self.upper - self.lower
    }

    /// Clamps a true value into the bounds.
    pub fn clamp_value(&self, v: i64) -> i64 {
        v.clamp(self.lower, self.upper)
    }

    /// The wire description of this metric in a round.
    pub fn spec(&self) -> pb::MetricSpec {
        pb::MetricSpec {
            id: self.id.clone(),
            mechanism: self.mechanism.to_pb() as i32,
            lower: self.lower,
            upper: self.upper,
        }
    }

    /// Whether a round's spec says the same as this definition.
    pub fn matches(&self, spec: &pb::MetricSpec) -> bool {
        *spec == self.spec()
    }
}

/// A metric that is never released but computed by the aggregator from released ones.
#[derive(Debug, Clone, Serialize)]
pub struct DerivedDef {
    /// Stable dotted id.
    pub id: String,
    /// German label.
    pub label_de: String,
    /// English label.
    pub label_en: String,
    /// The released metrics whose estimates are summed.
    pub sum_of: Vec<String>,
}

impl DerivedDef {
    /// Label in `lang`.
    pub fn label(&self, lang: Lang) -> &str {
        lang.pick(&self.label_de, &self.label_en)
    }
}

/// The whole catalogue.
#[derive(Debug, Clone, Serialize)]
pub struct Catalogue {
    /// Catalogue version.
    pub version: u32,
    /// Released metrics.
    pub metrics: Vec<MetricDef>,
    /// Derived metrics.
    pub derived: Vec<DerivedDef>,
}

/// Id of the derived self-test total.
pub const SELFTEST_TOTAL: &str = "selftest.total";

impl Catalogue {
    /// The catalogue of this build.
    pub fn current() -> Catalogue {
        let metrics = Dimension::ALL
            .into_iter()
            .map(|d| MetricDef {
                id: d.metric_id(),
                label_de: d.label(Lang::De).to_string(),
                label_en: d.label(Lang::En).to_string(),
                value_type: ValueType::BoundedInteger,
                lower: i64::from(MIN_SCORE),
                upper: i64::from(MAX_SCORE),
                clamp: "clamp to [lower, upper]",
                mechanism: MechanismKind::DiscreteLaplace,
            })
            .collect::<Vec<_>>();
        let derived = vec![DerivedDef {
            id: SELFTEST_TOTAL.to_string(),
            label_de: "Selbsttest gesamt (5-25)".to_string(),
            label_en: "Self-test total (5-25)".to_string(),
            sum_of: metrics.iter().map(|m| m.id.clone()).collect(),
        }];
        Catalogue {
            version: CATALOGUE_VERSION,
            metrics,
            derived,
        }
    }

    /// A released metric by id.
    pub fn metric(&self, id: &str) -> Option<&MetricDef> {
        self.metrics.iter().find(|m| m.id == id)
    }

    /// A derived metric by id.
    pub fn derived(&self, id: &str) -> Option<&DerivedDef> {
        self.derived.iter().find(|m| m.id == id)
    }

    /// Label of any metric (released or derived), or the id itself if unknown.
    pub fn label<'a>(&'a self, id: &'a str, lang: Lang) -> &'a str {
        if let Some(m) = self.metric(id) {
            m.label(lang)
        } else if let Some(d) = self.derived(id) {
            d.label(lang)
        } else {
            id
        }
    }

    /// Possible range of a metric's true value (a derived metric: the sum of its components'
    /// ranges); unbounded for unknown ids.
    pub fn range(&self, id: &str) -> (f64, f64) {
        if let Some(m) = self.metric(id) {
            (m.lower as f64, m.upper as f64)
        } else if let Some(d) = self.derived(id) {
            d.sum_of
                .iter()
                .filter_map(|c| self.metric(c))
                .fold((0.0, 0.0), |(lo, hi), m| {
                    (lo + m.lower as f64, hi + m.upper as f64)
                })
        } else {
            (f64::NEG_INFINITY, f64::INFINITY)
        }
    }

    /// SHA-256 over the canonical JSON encoding of the catalogue.
    pub fn hash(&self) -> [u8; 32] {
        // Serialising plain structs and vectors cannot fail; fall back to the version alone.
        let bytes =
            serde_json::to_vec(self).unwrap_or_else(|_| self.version.to_be_bytes().to_vec());
        crate::sha256(&bytes)
    }
}

/// SHA-256 of the catalogue of this build.
pub fn catalogue_hash() -> [u8; 32] {
    Catalogue::current().hash()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_stable_and_changes_with_meaning() {
        let a = Catalogue::current();
        assert_eq!(a.hash(), catalogue_hash());
        let mut b = Catalogue::current();
        b.metrics[0].upper = 6;
        assert_ne!(a.hash(), b.hash());
    }

    #[test]
    fn ids_are_unique_and_dotted() {
        let c = Catalogue::current();
        let mut ids: Vec<&str> = c.metrics.iter().map(|m| m.id.as_str()).collect();
        ids.extend(c.derived.iter().map(|d| d.id.as_str()));
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n);
        assert!(ids.iter().all(|id| id.starts_with("selftest.")));
    }

    #[test]
    fn clamping_and_specs() {
        let c = Catalogue::current();
        let m = c.metric("selftest.datenhoheit").unwrap();
        assert_eq!(m.clamp_value(9), 5);
        assert_eq!(m.clamp_value(-3), 1);
        assert_eq!(m.sensitivity(), 4);
        assert!(m.matches(&m.spec()));
        let mut s = m.spec();
        s.upper = 10;
        assert!(!m.matches(&s));
    }
}
