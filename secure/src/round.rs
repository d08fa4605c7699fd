//! A round in mode secure as node, aggregator and trustees read it: the committee, the metrics and
//! their encrypted components, the sensitivity of one administration, and the noise scale of each
//! partition of the publication grid (docs/SECURE-AGGREGATION.md, "Noise" and "Publication grid").
//!
//! Every party derives the same numbers from the same signed round parameters, so the node charges
//! exactly the epsilon the trustees' noise gives.

use sovbench_core::catalogue::{Catalogue, MetricDef, ValueType};
use sovbench_core::paths::{path_by_id, NOT_ON_PATH};
use sovbench_core::pb;

use crate::committee::Committee;
use crate::SecureError;

/// Which partitions a secure round releases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grid {
    /// Kind × size class only; coarser cohorts by summation.
    KindSize,
    /// The partition `all` (share `all_weight` of epsilon) and kind × size class.
    AllKindSize,
}

impl Grid {
    /// Name on the command line and in documents.
    pub fn key(self) -> &'static str {
        match self {
            Grid::KindSize => "kind-size",
            Grid::AllKindSize => "all+kind-size",
        }
    }

    /// Parses [`Grid::key`].
    pub fn from_key(key: &str) -> Option<Grid> {
        match key {
            "kind-size" => Some(Grid::KindSize),
            "all+kind-size" => Some(Grid::AllKindSize),
            _ => None,
        }
    }

    /// Wire value.
    pub fn to_pb(self) -> pb::Grid {
        match self {
            Grid::KindSize => pb::Grid::KindSize,
            Grid::AllKindSize => pb::Grid::AllKindSize,
        }
    }
}

/// Which partition a cell belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Partition {
    /// The single cell `all` (grid [`Grid::AllKindSize`]).
    All,
    /// Kind × size class cells, with small cells merged.
    KindSize,
}

/// The checked parameters of a secure round.
#[derive(Debug, Clone)]
pub struct SecureRound {
    /// Round id.
    pub round_id: String,
    /// The committee the values are encrypted to.
    pub committee: Committee,
    /// Raw Ed25519 keys of the trustees, in committee index order.
    pub trustee_keys: Vec<Vec<u8>>,
    /// The publication grid.
    pub grid: Grid,
    /// Privacy loss of one administration's whole submission.
    pub epsilon: f64,
    /// Share of epsilon on the partition `all` (0 for [`Grid::KindSize`]).
    pub all_weight: f64,
    /// The metrics, in the round's order.
    pub metrics: Vec<MetricDef>,
    /// Smallest number of administrations in a decrypted cell.
    pub min_cohort: u32,
    /// Path bound b (0: none): the round's path metrics are encrypted together as b slots, so one
    /// administration contributes to at most b paths; "not on the path" is not decrypted.
    pub path_bound: u32,
}

/// Metric id of the shared encrypted value of the path metrics in a round with a path bound.
pub const PATH_BLOCK: &str = "path.*";

/// Largest path bound a round may name.
pub const MAX_PATH_BOUND: u32 = 8;

/// Most encrypted options in a path block (b slots × (options + 1)): a block costs about 230
/// bytes per option, and a node's whole signed submission must stay within the 64 KiB message
/// limit (`MAX_MESSAGE_BYTES`). With b = 3 a round can ask for 13 paths.
pub const MAX_BLOCK_OPTIONS: usize = 240;

/// Whether `def` is a migration path metric (`path.<category>.<product>`).
pub fn is_path(def: &MetricDef) -> bool {
    def.value_type == ValueType::Category && path_by_id(&def.id).is_some()
}

/// Largest epsilon a secure round may name.
pub const MAX_EPSILON: f64 = 100.0;

impl SecureRound {
    /// Checks the secure part of signed round parameters: the committee document decodes and
    /// matches its fingerprint, t and m and the trustee keys fit it, the grid is known, epsilon
    /// and the `all` weight are in their domains, and every metric is in the shared catalogue
    /// with the catalogue's definition.
    pub fn from_params(p: &pb::RoundParams) -> Result<SecureRound, SecureError> {
        let bad = |what: String| SecureError::Round(what);
        if p.mode != pb::RoundMode::SecureAggregation as i32 {
            return Err(bad("the round is not in mode secure".into()));
        }
        let s = p
            .secure
            .as_ref()
            .ok_or_else(|| bad("the round names no committee".into()))?;
        let c = s
            .committee
            .as_ref()
            .ok_or_else(|| bad("the round names no committee".into()))?;
        if sovbench_core::sha256(&c.document).as_slice() != c.fingerprint.as_slice() {
            return Err(bad(
                "the committee fingerprint is not the SHA-256 of its document".into(),
            ));
        }
        let committee = Committee::from_bytes(&c.document)?;
        if committee.threshold() != c.threshold as usize || committee.size() != c.size as usize {
            return Err(bad(format!(
                "the committee document says {} of {}, the round {} of {}",
                committee.threshold(),
                committee.size(),
                c.threshold,
                c.size
            )));
        }
        if c.trustee_keys.len() != committee.size() || c.trustee_keys.iter().any(|k| k.len() != 32)
        {
            return Err(bad(format!(
                "the round lists {} trustee keys for {} trustees",
                c.trustee_keys.len(),
                committee.size()
            )));
        }
        let grid = match pb::Grid::try_from(s.grid) {
            Ok(pb::Grid::KindSize) => Grid::KindSize,
            Ok(pb::Grid::AllKindSize) => Grid::AllKindSize,
            _ => return Err(bad(format!("unknown publication grid {}", s.grid))),
        };
        if !(s.epsilon.is_finite() && s.epsilon > 0.0 && s.epsilon <= MAX_EPSILON) {
            return Err(bad(format!(
                "epsilon {} is not in (0, {MAX_EPSILON}]",
                s.epsilon
            )));
        }
        let all_weight = match grid {
            Grid::KindSize if s.all_weight == 0.0 => 0.0,
            Grid::AllKindSize if s.all_weight > 0.0 && s.all_weight < 1.0 => s.all_weight,
            _ => {
                return Err(bad(format!(
                    "weight {} of the partition all does not fit the grid {}",
                    s.all_weight,
                    grid.key()
                )))
            }
        };
        if p.min_cohort < 2 {
            return Err(bad(format!("minimum cohort {} is below 2", p.min_cohort)));
        }
        let catalogue = Catalogue::shared();
        let mut metrics = Vec::with_capacity(p.metrics.len());
        for spec in &p.metrics {
            let def = catalogue
                .metric(&spec.id)
                .filter(|d| d.matches(spec))
                .ok_or_else(|| bad(format!("metric {} is not the catalogue's", spec.id)))?;
            if metrics.iter().any(|m: &MetricDef| m.id == def.id) {
                return Err(bad(format!("metric {} is named twice", def.id)));
            }
            metrics.push(def.clone());
        }
        if metrics.is_empty() {
            return Err(bad("the round names no metrics".into()));
        }
        let paths = metrics.iter().filter(|m| is_path(m)).count();
        if s.path_bound > 0 && (s.path_bound > MAX_PATH_BOUND || s.path_bound as usize > paths) {
            return Err(bad(format!(
                "path bound {} with {paths} path metrics (at most {MAX_PATH_BOUND} and at most the \
                 number of path metrics)",
                s.path_bound
            )));
        }
        let round = SecureRound {
            round_id: p.round_id.clone(),
            committee,
            trustee_keys: c.trustee_keys.clone(),
            grid,
            epsilon: s.epsilon,
            all_weight,
            metrics,
            min_cohort: p.min_cohort,
            path_bound: s.path_bound,
        };
        let block = round.path_bound as usize * (round.path_options().len() + 1);
        if round.bounded_paths() && block > MAX_BLOCK_OPTIONS {
            return Err(bad(format!(
                "path bound {} over {} path options is a block of {block} encrypted options, \
                 more than {MAX_BLOCK_OPTIONS} fit into a submission (ask for fewer paths per \
                 round or a smaller bound)",
                round.path_bound,
                round.path_options().len()
            )));
        }
        Ok(round)
    }

    /// The secure part of round parameters, for the aggregator opening a round.
    pub fn params(
        committee: &Committee,
        trustee_keys: Vec<Vec<u8>>,
        grid: Grid,
        epsilon: f64,
        all_weight: f64,
    ) -> pb::SecureParams {
        let document = committee.to_bytes();
        pb::SecureParams {
            committee: Some(pb::CommitteeSpec {
                fingerprint: sovbench_core::sha256(&document).to_vec(),
                document,
                trustee_keys,
                threshold: committee.threshold() as u32,
                size: committee.size() as u32,
            }),
            grid: grid.to_pb() as i32,
            epsilon,
            all_weight: if grid == Grid::KindSize {
                0.0
            } else {
                all_weight
            },
            path_bound: 0,
        }
    }

    /// Whether the round's path metrics are encrypted together under a path bound.
    pub fn bounded_paths(&self) -> bool {
        self.path_bound > 0 && self.metrics.iter().any(is_path)
    }

    /// Whether metric `def` of this round is one of the bounded path metrics.
    pub fn in_path_block(&self, def: &MetricDef) -> bool {
        self.path_bound > 0 && is_path(def)
    }

    /// The category keys of `def` that are decrypted: all of them, except "not on the path" for
    /// the bounded path metrics. Empty for metrics without categories.
    pub fn released_keys<'a>(&self, def: &'a MetricDef) -> Vec<&'a str> {
        let bounded = self.in_path_block(def);
        def.categories
            .iter()
            .map(|c| c.key.as_str())
            .filter(|k| !(bounded && *k == NOT_ON_PATH))
            .collect()
    }

    /// The published cell id of every decrypted component of `def`, in component order.
    pub fn cell_ids(&self, def: &MetricDef) -> Vec<String> {
        let keys = self.released_keys(def);
        def.cell_ids()
            .into_iter()
            .zip(
                def.categories
                    .iter()
                    .map(|c| c.key.as_str())
                    .chain(std::iter::repeat("")),
            )
            .filter(|(_, key)| key.is_empty() || keys.contains(key))
            .map(|(id, _)| id)
            .collect()
    }

    /// The (path metric index in the round, category key) of every option of the path block, in
    /// the order of the block's slots (the empty option comes last and is not listed).
    pub fn path_options(&self) -> Vec<(usize, &str)> {
        self.metrics
            .iter()
            .enumerate()
            .filter(|(_, m)| self.in_path_block(m))
            .flat_map(|(i, m)| self.released_keys(m).into_iter().map(move |k| (i, k)))
            .collect()
    }

    /// Decrypted components of each metric: 1, or one per category or item (bounded path
    /// metrics: one per stage, without "not on the path").
    pub fn components(&self) -> Vec<usize> {
        self.metrics.iter().map(|m| self.width_of(m)).collect()
    }

    fn width_of(&self, m: &MetricDef) -> usize {
        if self.in_path_block(m) {
            self.released_keys(m).len()
        } else {
            components(m)
        }
    }

    /// Components of one cell: the sum over the metrics.
    pub fn cell_width(&self) -> usize {
        self.components().iter().sum()
    }

    /// Largest plaintext of each component of one administration, flattened in cell order.
    pub fn component_max(&self) -> Vec<u64> {
        self.metrics
            .iter()
            .flat_map(|m| {
                // A bounded path's option can be set in every slot.
                let max = if self.in_path_block(m) {
                    u64::from(self.path_bound)
                } else {
                    component_max(m)
                };
                std::iter::repeat_n(max, self.width_of(m))
            })
            .collect()
    }

    /// L1 sensitivity of one administration's decrypted vector (in one partition): the sum over
    /// the metrics of the range (integers, shares on their grid), 1 (yes / no), 2 (one category
    /// replaced by another) or k (a set of k items); with a path bound b the path metrics
    /// together cost 2·b instead of 2 each (each slot moves one count from an option to another,
    /// or adds or removes one; "not on the path" is not decrypted).
    pub fn sensitivity(&self) -> f64 {
        let others: f64 = self
            .metrics
            .iter()
            .filter(|m| !self.in_path_block(m))
            .map(sensitivity)
            .sum();
        if self.bounded_paths() {
            others + 2.0 * f64::from(self.path_bound)
        } else {
            others
        }
    }

    /// Share of epsilon a partition receives.
    pub fn weight(&self, p: Partition) -> f64 {
        match (self.grid, p) {
            (Grid::KindSize, Partition::KindSize) => 1.0,
            (Grid::KindSize, Partition::All) => 0.0,
            (Grid::AllKindSize, Partition::All) => self.all_weight,
            (Grid::AllKindSize, Partition::KindSize) => 1.0 - self.all_weight,
        }
    }

    /// Scale of the discrete Laplace noise on every component of a cell of partition `p`:
    /// sensitivity / (weight · epsilon). Zero if the grid has no such partition.
    pub fn scale(&self, p: Partition) -> f64 {
        let w = self.weight(p);
        if w <= 0.0 {
            0.0
        } else {
            self.sensitivity() / (w * self.epsilon)
        }
    }

    /// h = m − t + 1: the noise shares that together carry the round's guarantee.
    pub fn honest(&self) -> usize {
        self.committee.size() - self.committee.threshold() + 1
    }
}

fn components(m: &MetricDef) -> usize {
    match m.value_type {
        ValueType::Category | ValueType::SetOfItems => m.categories.len(),
        _ => 1,
    }
}

fn component_max(m: &MetricDef) -> u64 {
    match m.value_type {
        ValueType::BoundedInteger | ValueType::BoundedShare => (m.upper - m.lower).max(0) as u64,
        _ => 1,
    }
}

fn sensitivity(m: &MetricDef) -> f64 {
    match m.value_type {
        ValueType::BoundedInteger | ValueType::BoundedShare => (m.upper - m.lower) as f64,
        ValueType::Boolean => 1.0,
        ValueType::Category => 2.0,
        ValueType::SetOfItems => m.categories.len() as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sovbench_core::paths::path_catalogue;

    fn params(paths: usize, bound: u32) -> pb::RoundParams {
        let (committee, _) =
            crate::committee::deal_for_tests(3, 2, &mut rand::rngs::OsRng).expect("committee");
        let cat = Catalogue::shared();
        let mut secure =
            SecureRound::params(&committee, vec![vec![1; 32]; 3], Grid::KindSize, 2.0, 0.0);
        secure.path_bound = bound;
        pb::RoundParams {
            round_id: "r".into(),
            mode: pb::RoundMode::SecureAggregation as i32,
            metrics: path_catalogue()
                .iter()
                .take(paths)
                .map(|p| cat.metric(&p.id).expect("path metric").spec())
                .collect(),
            min_cohort: 10,
            secure: Some(secure),
            ..Default::default()
        }
    }

    #[test]
    fn the_path_bound_is_checked_against_the_paths_and_the_message_limit() {
        let r = SecureRound::from_params(&params(7, 3)).expect("7 paths, bound 3");
        assert_eq!(r.path_bound, 3);
        assert_eq!(r.sensitivity(), 6.0);
        // 13 paths with bound 3: 3 × (78 + 1) = 237 options fit; 14 paths do not.
        assert!(SecureRound::from_params(&params(13, 3)).is_ok());
        let err = SecureRound::from_params(&params(14, 3)).expect_err("too large a block");
        assert!(err.to_string().contains("fit into a submission"), "{err}");
        // A bound above the number of paths, or above the largest bound, is refused.
        let err = SecureRound::from_params(&params(2, 3)).expect_err("bound above paths");
        assert!(
            err.to_string().contains("path bound 3 with 2 path metrics"),
            "{err}"
        );
        assert!(SecureRound::from_params(&params(9, MAX_PATH_BOUND + 1)).is_err());
        // Without a bound every path costs 2.
        let free = SecureRound::from_params(&params(7, 0)).expect("no bound");
        assert_eq!(free.sensitivity(), 14.0);
    }
}
