//! What a node knows about itself that its metrics are computed from ([`Facts`]): the latest
//! self-test, the inventory summary and the migration paths; the true value of each released
//! metric ([`Facts::true_value`]) and the own value of each published cell
//! ([`Facts::own_cell_value`]). None of it leaves the node.

use sovbench_core::catalogue::{
    Catalogue, TrueValue, INVENTORY_CONTRACTS_24M, INVENTORY_CRITICAL_WITH_EXIT, INVENTORY_NON_EU,
    INVENTORY_OPEN_FORMAT, INVENTORY_OPEN_SOURCE, SELFTEST_BAND, SELFTEST_EXIT, SELFTEST_TOTAL,
};
use sovbench_core::cell::CellId;
use sovbench_core::selftest::{Assessment, Dimension};

use crate::error::NodeError;
use crate::node::Node;

/// Everything a node knows about itself that metrics are computed from. It never leaves the node.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// The latest self-test.
    pub assessment: Option<Assessment>,
    /// The inventory summary, if there is an inventory.
    pub inventory: Option<crate::inventory::InventorySummary>,
    /// The migration paths.
    pub paths: Vec<crate::migration::MigrationPath>,
}

impl Facts {
    /// What `node` knows about itself now: its latest self-test, its inventory as of today (by
    /// the node's clock) and its migration paths.
    pub fn of(node: &Node) -> Result<Facts, NodeError> {
        let store = node.store();
        Ok(Facts {
            assessment: store.latest_assessment()?.and_then(|r| r.assessment()),
            inventory: crate::inventory::summarise(&store.systems()?, node.today()),
            paths: store.migrations()?,
        })
    }

    /// The true value of a released metric.
    pub fn true_value(&self, metric: &str) -> Option<TrueValue> {
        if metric.starts_with("path.") {
            return Some(TrueValue::Category(
                crate::migration::stage_on(&self.paths, metric)
                    .map_or(sovbench_core::paths::NOT_ON_PATH, |s| s.key())
                    .to_string(),
            ));
        }
        if metric.starts_with("inventory.") {
            let inv = self.inventory.as_ref()?;
            return Some(match metric {
                INVENTORY_CRITICAL_WITH_EXIT => TrueValue::Share(inv.critical_with_exit_share),
                INVENTORY_NON_EU => TrueValue::Share(inv.non_eu_share),
                INVENTORY_OPEN_SOURCE => TrueValue::Share(inv.open_source_share),
                // The metric is the count clamped to the catalogue's bounds.
                INVENTORY_CONTRACTS_24M => TrueValue::Int(
                    Catalogue::shared()
                        .metric(INVENTORY_CONTRACTS_24M)
                        .map_or(inv.contracts_24m_no_exit as i64, |d| {
                            d.clamp_value(inv.contracts_24m_no_exit as i64)
                        }),
                ),
                INVENTORY_OPEN_FORMAT => TrueValue::Share(inv.open_format_share),
                _ => return None,
            });
        }
        true_value(self.assessment.as_ref()?, metric)
    }

    /// The own value of a published cell, in the cell's units.
    pub fn own_cell_value(&self, cell_id: &str) -> Option<f64> {
        let cell = CellId::parse(cell_id);
        if cell.metric().starts_with("path.") {
            let CellId::Category { metric, category } = &cell else {
                return None;
            };
            return match self.true_value(metric)? {
                TrueValue::Category(k) => Some(if k == *category { 1.0 } else { 0.0 }),
                _ => None,
            };
        }
        if cell.metric().starts_with("inventory.") {
            let CellId::Metric(metric) = &cell else {
                return None;
            };
            return match self.true_value(metric)? {
                TrueValue::Share(s) => Some(s),
                TrueValue::Int(v) => Some(v as f64),
                _ => None,
            };
        }
        own_cell_value(self.assessment.as_ref()?, cell_id)
    }
}

/// The administration's true value of a released metric (it never leaves the node).
pub fn true_value(a: &Assessment, metric: &str) -> Option<TrueValue> {
    match metric {
        SELFTEST_BAND => Some(TrueValue::Category(a.band().key().to_string())),
        SELFTEST_EXIT => Some(TrueValue::Bool(a.score(Dimension::GovernanceExit) >= 4)),
        _ => {
            let key = metric.strip_prefix("selftest.")?;
            Dimension::from_key(key).map(|d| TrueValue::Int(i64::from(a.score(d))))
        }
    }
}

/// The administration's own value of a published cell, in the cell's units: a score, the total,
/// or 1 / 0 for a share cell (its own band, its own yes / no).
pub fn own_cell_value(a: &Assessment, cell_id: &str) -> Option<f64> {
    if cell_id == SELFTEST_TOTAL {
        return Some(f64::from(a.total()));
    }
    let cell = CellId::parse(cell_id);
    let (metric, category) = match &cell {
        CellId::Metric(m) => (m.as_str(), None),
        CellId::Category { metric, category } => (metric.as_str(), Some(category.as_str())),
        CellId::RollbackRate(_) => return None,
    };
    match (true_value(a, metric)?, category) {
        (TrueValue::Int(v), None) => Some(v as f64),
        (TrueValue::Bool(b), None) => Some(if b { 1.0 } else { 0.0 }),
        (TrueValue::Category(k), Some(c)) => Some(if k == c { 1.0 } else { 0.0 }),
        (TrueValue::Set(items), Some(c)) => Some(if items.iter().any(|i| i == c) {
            1.0
        } else {
            0.0
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_cover_every_metric_of_the_catalogue() {
        let a = Assessment::from_scores([1, 2, 3, 4, 5]).unwrap();
        let systems =
            crate::inventory::io::parse_csv(include_str!("../../docs/samples/inventar.csv"))
                .unwrap();
        let facts = Facts {
            assessment: Some(a),
            inventory: crate::inventory::summarise(&systems, 20_000),
            paths: Vec::new(),
        };
        for m in &Catalogue::current().metrics {
            assert!(
                facts.true_value(&m.id).is_some(),
                "{} has no true value",
                m.id
            );
        }
        assert!(Facts::default()
            .true_value("inventory.non_eu_share")
            .is_none());
    }

    #[test]
    fn true_values_cover_every_selftest_metric() {
        let a = Assessment::from_scores([1, 2, 3, 4, 5]).unwrap();
        assert_eq!(
            true_value(&a, "selftest.datenhoheit"),
            Some(TrueValue::Int(1))
        );
        assert_eq!(
            true_value(&a, "selftest.governance_exit"),
            Some(TrueValue::Int(5))
        );
        assert_eq!(
            true_value(&a, SELFTEST_BAND),
            Some(TrueValue::Category("hybrid".into()))
        );
        assert_eq!(true_value(&a, SELFTEST_EXIT), Some(TrueValue::Bool(true)));
        assert_eq!(true_value(&a, "inventory.x"), None);
        for m in Catalogue::current()
            .metrics
            .iter()
            .filter(|m| m.id.starts_with("selftest."))
        {
            assert!(
                true_value(&a, &m.id).is_some(),
                "{} has no true value",
                m.id
            );
        }
        assert_eq!(own_cell_value(&a, SELFTEST_TOTAL), Some(15.0));
        assert_eq!(own_cell_value(&a, "selftest.band=hybrid"), Some(1.0));
        assert_eq!(
            own_cell_value(&a, "selftest.band=souveraen_auf_kurs"),
            Some(0.0)
        );
        assert_eq!(own_cell_value(&a, SELFTEST_EXIT), Some(1.0));
    }

    #[test]
    fn path_cells_compare_the_own_stage_and_roll_back_cells_have_no_own_value() {
        use crate::migration::{MigrationPath, Stage, StageChange};
        let facts = Facts {
            paths: vec![MigrationPath {
                id: "videokonferenzen-bigbluebutton".into(),
                category: crate::inventory::Category::Videokonferenzen,
                from_product: "Microsoft Teams".into(),
                to_product: "BigBlueButton".into(),
                stage: Stage::Pilot,
                history: vec![StageChange {
                    stage: Stage::Pilot,
                    on: 100,
                    reason: None,
                }],
                workplaces: 10,
                systems: Vec::new(),
                notes: String::new(),
            }],
            ..Facts::default()
        };
        let p = "path.videokonferenzen.bigbluebutton";
        assert_eq!(facts.own_cell_value(&format!("{p}=pilot")), Some(1.0));
        assert_eq!(facts.own_cell_value(&format!("{p}=rollout")), Some(0.0));
        assert_eq!(facts.own_cell_value(&format!("{p}#rollback_rate")), None);
        assert_eq!(facts.own_cell_value(p), None);
        assert_eq!(facts.own_cell_value("selftest.total"), None, "no self-test");
    }
}
