//! The population's true values per cohort and metric, for checking a publication's intervals
//! (`sovbench-demo --truth`, `--check-coverage`).

use serde_json::{json, Value};
use sovbench_aggregator::estimate::cohort_labels;
use sovbench_core::catalogue::Catalogue;
use sovbench_core::cohort::CohortAttributes;
use sovbench_node::facts::Facts;

use crate::population::Administration;

/// True values per cohort and metric (`cells` with `cohort`, `metric`, `value`, `n`), from each
/// administration's self-test and the inventory the simulation gave it, as of `today` (days
/// since 1970-01-01; the day the nodes summarised their inventories).
pub fn truth_json(population: &[Administration], seed: u64, today: i64) -> Value {
    let catalogue = Catalogue::shared();
    let facts: Vec<Facts> = population
        .iter()
        .enumerate()
        .map(|(i, a)| Facts {
            assessment: Some(a.assessment),
            inventory: sovbench_node::inventory::summarise(
                &crate::population::inventory_for(a, i, seed),
                today,
            ),
            paths: crate::population::paths_for(a, i, seed),
        })
        .collect();
    let attrs: Vec<CohortAttributes> = population
        .iter()
        .map(|a| CohortAttributes {
            kind: a.kind,
            state: a.state.clone(),
            size: a.size_class(),
        })
        .collect();
    let mut cells = Vec::new();
    for cohort in cohort_labels(&attrs) {
        let members: Vec<&Facts> = facts
            .iter()
            .zip(&attrs)
            .filter(|(_, at)| at.cohorts().contains(&cohort))
            .map(|(f, _)| f)
            .collect();
        let n = members.len();
        let mut ids: Vec<String> = catalogue
            .metrics
            .iter()
            .flat_map(|m| m.cell_ids())
            .collect();
        ids.extend(catalogue.derived.iter().map(|d| d.id.clone()));
        for id in ids {
            let sum: f64 = members.iter().filter_map(|f| f.own_cell_value(&id)).sum();
            cells.push(json!({"cohort": cohort, "metric": id, "value": sum / n as f64, "n": n}));
        }
        // Roll-back rates: rolled back among those beyond the pilot.
        for m in catalogue
            .metrics
            .iter()
            .filter(|m| m.id.starts_with("path."))
        {
            let stage =
                |f: &Facts, key: &str| f.own_cell_value(&format!("{}={key}", m.id)).unwrap_or(0.0);
            let beyond: f64 = members
                .iter()
                .map(|f| {
                    stage(f, "rollout") + stage(f, "abgeschlossen") + stage(f, "zurueckgerollt")
                })
                .sum();
            let back: f64 = members.iter().map(|f| stage(f, "zurueckgerollt")).sum();
            let value = if beyond > 0.0 {
                json!(back / beyond)
            } else {
                Value::Null
            };
            cells.push(json!({"cohort": cohort, "metric": sovbench_core::cell::CellId::RollbackRate(m.id.clone()).to_string(), "value": value, "n": n}));
        }
    }
    json!({ "format": "sovbench-truth/1", "cells": cells })
}
