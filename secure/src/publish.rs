//! From the decrypted noisy sums of the announced cells to the published cells: estimates of
//! every cohort that is a union of announced cells ([`crate::grid::derivable`]), with 95%
//! intervals from the exact distribution of the noise, and suppression of the others.

use std::collections::BTreeMap;

use sovbench_core::catalogue::Catalogue;
use sovbench_core::cell::Cohort;
use sovbench_core::pb;

use crate::round::SecureRound;

/// What the trustees' decryption gave.
#[derive(Debug, Clone)]
pub struct Decrypted {
    /// Noisy sums, announced cells × components (the plaintext grid: value − lower bound).
    pub sums: Vec<i64>,
    /// How many trustees' noise shares are in every sum.
    pub noise_shares: usize,
}

/// The published cells of a secure round. `cohorts` holds every cohort (all five kinds of
/// cohort labels, as in mode direct) of the round's contributors with its number of
/// contributors.
pub fn cells(
    round: &SecureRound,
    announced: &[pb::AnnouncedCell],
    cohorts: &BTreeMap<Cohort, u32>,
    decrypted: &Decrypted,
    catalogue: &Catalogue,
) -> Vec<pb::Cell> {
    let _ = (round, announced, cohorts, decrypted, catalogue);
    todo!("helper")
}
