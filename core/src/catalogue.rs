//! The metric catalogue: one definition of every value a node may release, shared by node and
//! aggregator. Its SHA-256 ([`catalogue_hash`]) is part of the signed round parameters, so the two
//! sides can never disagree silently about what a value means.
//!
//! Every metric has a stable dotted id grouped by source (`selftest.*`; later `inventory.*`,
//! `path.*`), German and English labels, a value type, bounds, a clamping rule, the mechanism that
//! privatises it, and a usefulness limit: the largest 95% half-width at which a published cell
//! still says something (wider cells are suppressed).
//!
//! | type | true value | released as | mechanism | published |
//! |---|---|---|---|---|
//! | bounded integer | integer in `[lower, upper]` | noisy integer | discrete Laplace | mean |
//! | bounded share | share in `[0, 1]`, on a grid of `1/grid` | noisy grid integer | discrete Laplace | mean share |
//! | boolean | yes / no | noisy bit | randomized response | share of yes |
//! | category | one of `categories` | noisy category | k-ary randomized response | share per category |
//! | set of items | a subset of `categories` (at most one item) | noisy bit vector | bit-vector randomized response | share per item |

use serde::Serialize;

use crate::cell::CellId;
use crate::i18n::Lang;
use crate::pb;

/// Version of the catalogue; bumped whenever a definition changes meaning.
pub const CATALOGUE_VERSION: u32 = 4;

/// Type of a metric's true value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueType {
    /// An integer between `lower` and `upper`.
    BoundedInteger,
    /// A share between 0 and 1, released on a grid of `1 / grid`.
    BoundedShare,
    /// Yes or no.
    Boolean,
    /// One of the categories.
    Category,
    /// A set of the items (at most one set bit is released).
    SetOfItems,
}

/// Mechanism that privatises a released metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MechanismKind {
    /// OpenDP `make_laplace` on `AtomDomain<i64>` with `AbsoluteDistance<i64>` (discrete Laplace).
    DiscreteLaplace,
    /// OpenDP `make_randomized_response_bool`.
    RandomizedResponseBool,
    /// OpenDP `make_randomized_response` over the categories.
    RandomizedResponse,
    /// OpenDP `make_randomized_response_bitvec` with `max_weight` 1.
    RandomizedResponseBitvec,
}

impl MechanismKind {
    /// Wire representation.
    pub fn to_pb(self) -> pb::Mechanism {
        match self {
            MechanismKind::DiscreteLaplace => pb::Mechanism::DiscreteLaplace,
            MechanismKind::RandomizedResponseBool => pb::Mechanism::RandomizedResponseBool,
            MechanismKind::RandomizedResponse => pb::Mechanism::RandomizedResponse,
            MechanismKind::RandomizedResponseBitvec => pb::Mechanism::RandomizedResponseBitvec,
        }
    }

    /// From the wire representation.
    pub fn from_pb(m: i32) -> Option<MechanismKind> {
        match pb::Mechanism::try_from(m).ok()? {
            pb::Mechanism::DiscreteLaplace => Some(MechanismKind::DiscreteLaplace),
            pb::Mechanism::RandomizedResponseBool => Some(MechanismKind::RandomizedResponseBool),
            pb::Mechanism::RandomizedResponse => Some(MechanismKind::RandomizedResponse),
            pb::Mechanism::RandomizedResponseBitvec => {
                Some(MechanismKind::RandomizedResponseBitvec)
            }
            pb::Mechanism::Unspecified => None,
        }
    }

    /// Name of the OpenDP constructor.
    pub fn opendp_constructor(self) -> &'static str {
        match self {
            MechanismKind::DiscreteLaplace => {
                "make_laplace (AtomDomain<i64>, AbsoluteDistance<i64>)"
            }
            MechanismKind::RandomizedResponseBool => "make_randomized_response_bool",
            MechanismKind::RandomizedResponse => "make_randomized_response",
            MechanismKind::RandomizedResponseBitvec => {
                "make_randomized_response_bitvec (max_weight 1)"
            }
        }
    }

    /// Short display name.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            MechanismKind::DiscreteLaplace => lang.pick(
                "diskreter Laplace-Mechanismus",
                "discrete Laplace mechanism",
            ),
            MechanismKind::RandomizedResponseBool => lang.pick(
                "Randomized Response (ja/nein)",
                "randomized response (yes/no)",
            ),
            MechanismKind::RandomizedResponse => lang.pick(
                "Randomized Response (Kategorie)",
                "randomized response (category)",
            ),
            MechanismKind::RandomizedResponseBitvec => lang.pick(
                "Randomized Response (Bitvektor)",
                "randomized response (bit vector)",
            ),
        }
    }
}

/// A category of a category metric, or an item of a set metric.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryDef {
    /// Stable key.
    pub key: String,
    /// German label.
    pub label_de: String,
    /// English label.
    pub label_en: String,
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
    /// Lowest released integer (bounded integers: the value; shares: 0).
    pub lower: i64,
    /// Highest released integer (bounded integers: the value; shares: `grid`).
    pub upper: i64,
    /// Shares: number of grid steps per 1 (e.g. 1000 for per mille); 1 otherwise.
    pub grid: i64,
    /// Categories or items.
    pub categories: Vec<CategoryDef>,
    /// How the true value is brought into the domain before privatisation.
    pub clamp: &'static str,
    /// The mechanism.
    pub mechanism: MechanismKind,
    /// Largest 95% half-width of a published cell, in published units (score points, shares).
    pub max_half_width: f64,
    /// Asked for by rounds that name no metrics.
    pub in_default_round: bool,
}

/// A true value on the node, before privatisation. It never leaves the node.
#[derive(Debug, Clone, PartialEq)]
pub enum TrueValue {
    /// Bounded integer.
    Int(i64),
    /// Share in `[0, 1]`.
    Share(f64),
    /// Yes / no.
    Bool(bool),
    /// A category key.
    Category(String),
    /// Item keys.
    Set(Vec<String>),
}

impl MetricDef {
    /// Label in `lang`.
    pub fn label(&self, lang: Lang) -> &str {
        lang.pick(&self.label_de, &self.label_en)
    }

    /// Sensitivity of one administration's released integer: the width of the bounds.
    pub fn sensitivity(&self) -> i64 {
        self.upper - self.lower
    }

    /// Clamps a released integer into the bounds.
    pub fn clamp_value(&self, v: i64) -> i64 {
        v.clamp(self.lower, self.upper)
    }

    /// Index of a category or item key.
    pub fn category_index(&self, key: &str) -> Option<usize> {
        self.categories.iter().position(|c| c.key == key)
    }

    /// Label of a category or item key.
    pub fn category_label(&self, key: &str, lang: Lang) -> String {
        self.categories
            .iter()
            .find(|c| c.key == key)
            .map(|c| lang.pick(&c.label_de, &c.label_en).to_string())
            .unwrap_or_else(|| key.to_string())
    }

    /// The ids of the cells this metric produces in a publication: the id itself, or
    /// `id=category` for each category or item.
    pub fn cell_ids(&self) -> Vec<String> {
        match self.value_type {
            ValueType::Category | ValueType::SetOfItems => self
                .categories
                .iter()
                .map(|c| {
                    CellId::Category {
                        metric: self.id.clone(),
                        category: c.key.clone(),
                    }
                    .to_string()
                })
                .collect(),
            _ => vec![self.id.clone()],
        }
    }

    /// Range of a published cell's value.
    pub fn published_range(&self) -> (f64, f64) {
        match self.value_type {
            ValueType::BoundedInteger => (self.lower as f64, self.upper as f64),
            _ => (0.0, 1.0),
        }
    }

    /// The wire description of this metric in a round.
    pub fn spec(&self) -> pb::MetricSpec {
        pb::MetricSpec {
            id: self.id.clone(),
            mechanism: self.mechanism.to_pb() as i32,
            lower: self.lower,
            upper: self.upper,
            categories: self.categories.iter().map(|c| c.key.clone()).collect(),
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
    /// Usefulness limit of the 95% half-width.
    pub max_half_width: f64,
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
/// Id of the maturity band (category).
pub const SELFTEST_BAND: &str = "selftest.band";
/// Id of "has robust exit scenarios" (boolean: Governance & Exit-Strategie scored 4 or 5).
pub const SELFTEST_EXIT: &str = "selftest.exit_strategy";
/// Usefulness limit of a roll-back rate's 95% half-width.
pub const ROLLBACK_MAX_HALF_WIDTH: f64 = 0.25;

/// Share of critical systems with an exit scenario.
pub const INVENTORY_CRITICAL_WITH_EXIT: &str = "inventory.critical_with_exit_share";
/// Share of systems under non-EU jurisdiction.
pub const INVENTORY_NON_EU: &str = "inventory.non_eu_share";
/// Share of open-source systems.
pub const INVENTORY_OPEN_SOURCE: &str = "inventory.open_source_share";
/// Contracts ending within 24 months without an exit clause (count, clamped to 10).
pub const INVENTORY_CONTRACTS_24M: &str = "inventory.contracts_24m_no_exit";
/// Share of systems with an open export format.
pub const INVENTORY_OPEN_FORMAT: &str = "inventory.open_format_share";

impl Catalogue {
    /// The catalogue of this build, built once and shared.
    pub fn shared() -> &'static Catalogue {
        static CATALOGUE: std::sync::OnceLock<Catalogue> = std::sync::OnceLock::new();
        CATALOGUE.get_or_init(build::build)
    }

    /// A copy of the catalogue of this build (to modify, e.g. in tests).
    pub fn current() -> Catalogue {
        Catalogue::shared().clone()
    }

    /// A released metric by id.
    pub fn metric(&self, id: &str) -> Option<&MetricDef> {
        self.metrics.iter().find(|m| m.id == id)
    }

    /// A derived metric by id.
    pub fn derived(&self, id: &str) -> Option<&DerivedDef> {
        self.derived.iter().find(|m| m.id == id)
    }

    /// The metrics asked for by a round that names none.
    pub fn default_round_metrics(&self) -> Vec<&MetricDef> {
        self.metrics.iter().filter(|m| m.in_default_round).collect()
    }

    /// Label of any cell id (released, derived, `id=category`, `id#rollback_rate`), or the id
    /// itself if unknown.
    pub fn label(&self, id: &str, lang: Lang) -> String {
        if let Some(d) = self.derived(id) {
            return d.label(lang).to_string();
        }
        let cell = CellId::parse(id);
        match (self.metric(cell.metric()), &cell) {
            (Some(m), CellId::RollbackRate(_)) => format!(
                "{}: {}",
                m.label(lang),
                lang.pick("Rückfallquote", "roll-back rate")
            ),
            (Some(m), CellId::Metric(_)) => m.label(lang).to_string(),
            (Some(m), CellId::Category { category, .. }) => {
                format!("{}: {}", m.label(lang), m.category_label(category, lang))
            }
            (None, _) => id.to_string(),
        }
    }

    /// Possible range of a cell's value (a derived metric: the sum of its components' ranges);
    /// unbounded for unknown ids.
    pub fn range(&self, id: &str) -> (f64, f64) {
        if let Some(d) = self.derived(id) {
            return d.sum_of.iter().filter_map(|c| self.metric(c)).fold(
                (0.0, 0.0),
                |(lo, hi), m| {
                    let (a, b) = m.published_range();
                    (lo + a, hi + b)
                },
            );
        }
        let cell = CellId::parse(id);
        if cell.is_rollback_rate() {
            return (0.0, 1.0);
        }
        match self.metric(cell.metric()) {
            Some(m) => m.published_range(),
            None => (f64::NEG_INFINITY, f64::INFINITY),
        }
    }

    /// Usefulness limit of a cell id.
    pub fn max_half_width(&self, id: &str) -> f64 {
        if let Some(d) = self.derived(id) {
            return d.max_half_width;
        }
        let cell = CellId::parse(id);
        if cell.is_rollback_rate() {
            return ROLLBACK_MAX_HALF_WIDTH;
        }
        match self.metric(cell.metric()) {
            Some(m) => m.max_half_width,
            None => f64::INFINITY,
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

/// SHA-256 of the catalogue of this build (computed once).
pub fn catalogue_hash() -> [u8; 32] {
    static HASH: std::sync::OnceLock<[u8; 32]> = std::sync::OnceLock::new();
    *HASH.get_or_init(|| Catalogue::shared().hash())
}

mod build;

#[cfg(test)]
mod tests;
