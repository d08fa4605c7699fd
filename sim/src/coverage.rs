//! How often a publication's 95% intervals contain the population's true values: the check the
//! demo runs against its own ground truth (`sovbench-demo --check-coverage`, run by CI).
//!
//! A cell counts when it is published (not suppressed) and the truth file has a value for the same
//! cohort and metric. With N such cells and nominal coverage 95%, the number of misses is about
//! Binomial(N, 0.05); the check fails when the misses exceed the mean by more than five standard
//! deviations, or when fewer than `min_cells` cells are published, because then the check would
//! say nothing. Five rather than four, because cells of overlapping cohorts share contributors, so
//! their misses are correlated and the tail is heavier than the binomial's; the estimator tests
//! check coverage and variance precisely, this check catches intervals that are grossly too
//! narrow (at 63 cells: more than 11 misses, coverage below about 82%).

use std::collections::HashMap;

use serde_json::Value;

/// Nominal coverage of the published intervals.
pub const NOMINAL: f64 = 0.95;

/// The outcome over the cells published and known to the truth.
#[derive(Debug, Clone, PartialEq)]
pub struct Coverage {
    /// Cells compared.
    pub cells: usize,
    /// Cells whose interval contains the true value.
    pub covered: usize,
    /// Cells whose interval misses the truth: `cohort metric truth [low, high]`.
    pub misses: Vec<String>,
}

impl Coverage {
    /// Covered share.
    pub fn share(&self) -> f64 {
        if self.cells == 0 {
            return 0.0;
        }
        self.covered as f64 / self.cells as f64
    }

    /// The most misses the check tolerates for this many cells: mean plus five standard
    /// deviations of Binomial(cells, 1 − NOMINAL).
    pub fn tolerated_misses(&self) -> f64 {
        let n = self.cells as f64;
        let q = 1.0 - NOMINAL;
        n * q + 5.0 * (n * q * (1.0 - q)).sqrt()
    }

    /// Passes when at least `min_cells` cells were compared and the misses stay within
    /// [`Coverage::tolerated_misses`].
    pub fn check(&self, min_cells: usize) -> Result<(), String> {
        if self.cells < min_cells {
            return Err(format!(
                "only {} published cells to compare with the truth, at least {min_cells} needed",
                self.cells
            ));
        }
        let misses = (self.cells - self.covered) as f64;
        if misses > self.tolerated_misses() {
            return Err(format!(
                "{} of {} intervals miss the true value (at most {:.1} expected at 95%): {}",
                self.cells - self.covered,
                self.cells,
                self.tolerated_misses(),
                self.misses.join("; ")
            ));
        }
        Ok(())
    }
}

/// Compares the cells of a publication (the `cells` of an export's `benchmark`, or of
/// `benchmark_json`) with a truth document (`sovbench-truth/1`).
pub fn coverage(benchmark: &Value, truth: &Value) -> Coverage {
    let mut truths: HashMap<(&str, &str), f64> = HashMap::new();
    for c in truth["cells"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
        if let (Some(cohort), Some(metric), Some(v)) = (
            c["cohort"].as_str(),
            c["metric"].as_str(),
            c["value"].as_f64(),
        ) {
            truths.insert((cohort, metric), v);
        }
    }
    let mut out = Coverage {
        cells: 0,
        covered: 0,
        misses: Vec::new(),
    };
    for c in benchmark["cells"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
    {
        if c["suppressed"].as_bool() != Some(false) {
            continue;
        }
        let (Some(cohort), Some(metric)) = (c["cohort"].as_str(), c["metric"].as_str()) else {
            continue;
        };
        let (Some(lo), Some(hi)) = (c["ci_low"].as_f64(), c["ci_high"].as_f64()) else {
            continue;
        };
        let Some(&t) = truths.get(&(cohort, metric)) else {
            continue;
        };
        out.cells += 1;
        // A tolerance for the printing of floats in JSON.
        if lo - 1e-9 <= t && t <= hi + 1e-9 {
            out.covered += 1;
        } else {
            out.misses
                .push(format!("{cohort} {metric} {t:.3} [{lo:.3}, {hi:.3}]"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cell(cohort: &str, lo: f64, hi: f64, suppressed: bool) -> Value {
        json!({"cohort": cohort, "metric": "m", "ci_low": lo, "ci_high": hi, "suppressed": suppressed})
    }

    #[test]
    fn counts_only_published_cells_known_to_the_truth() {
        let truth = json!({"cells": [
            {"cohort": "a", "metric": "m", "value": 2.0},
            {"cohort": "b", "metric": "m", "value": 2.0},
            {"cohort": "c", "metric": "m", "value": 2.0},
        ]});
        let publ = json!({"cells": [
            cell("a", 1.0, 3.0, false),
            cell("b", 2.5, 3.0, false),
            cell("c", 0.0, 9.0, true),
            cell("d", 0.0, 9.0, false),
        ]});
        let c = coverage(&publ, &truth);
        assert_eq!((c.cells, c.covered), (2, 1));
        assert_eq!(c.misses, vec!["b m 2.000 [2.500, 3.000]".to_string()]);
        assert!(c.check(3).is_err(), "too few cells");
    }

    #[test]
    fn the_band_fails_intervals_that_are_too_narrow() {
        // 100 cells: 5 misses expected, 15.9 tolerated.
        let ok = Coverage {
            cells: 100,
            covered: 85,
            misses: Vec::new(),
        };
        assert!(ok.check(20).is_ok());
        let bad = Coverage {
            cells: 100,
            covered: 83,
            misses: Vec::new(),
        };
        assert!(bad.check(20).is_err());
    }
}
