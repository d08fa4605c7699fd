//! The publication grid of a secure round: which cells the trustees decrypt, and which cohorts
//! follow from them by summation.
//!
//! The aggregator announces a **partition** of the round's contributors, built from their finest
//! cells (kind × size class) by [`announce`]:
//!
//! The size that counts is not k alone but the **merge size** n* = max(k, the smallest n at which
//! a single cell could publish any metric of the round within its usefulness limit, given the
//! round's noise; [`merge_size`]): a cell below n* would be suppressed as too imprecise anyway,
//! and merging it makes the sums of coarser cohorts less noisy (fewer cells, less noise).
//!
//! 1. a kind with fewer than n* administrations in all goes to the global `rest`;
//! 2. in every other kind, a finest cell with at least n* administrations is announced as it is,
//!    and the smaller ones are merged into `kind=…,size=rest`; while that is non-empty and below
//!    k, the kind's smallest announced cell joins it (so the kind stays a union of cells);
//! 3. while `rest` is non-empty and below n*, the smallest remaining kind joins it whole; the rest
//!    is announced if it has at least k (when every kind is in it, it is the cohort all).
//!
//! So every contributor is in exactly one announced cell, every announced cell has at least k
//! (or nothing is announced, when the round has fewer than k contributors), and every kind with
//! at least k administrations stays derivable unless its cells had to fill the global rest. Grid
//! [`Grid::AllKindSize`] adds the cell `all`. A cohort is published when it is a union of
//! announced cells ([`derivable`]); its sum is the sum of theirs, so totals are consistent.
//! Trustees recompute the announcement from the bulletin and refuse any other ([`check`]).

use std::collections::BTreeMap;

use sovbench_core::cell::Cohort;
use sovbench_core::cohort::{CohortAttributes, Kind, SizeClass};
use sovbench_core::pb;

use crate::round::{Grid, Partition, SecureRound};
use crate::SecureError;

/// Label of the cell `all`.
pub const ALL: &str = "all";
/// Label of the global rest.
pub const REST: &str = "rest";

/// A cell being built: label, finest cells merged into it, administrations.
type Merged = (String, Vec<String>, u32);

/// The finest cell of an administration: `kind=…,size=…`.
pub fn finest_cell(a: &CohortAttributes) -> String {
    Cohort::KindSize(a.kind, a.size).to_string()
}

/// Parses a finest-cell label back into kind and size class.
pub fn parse_finest(label: &str) -> Option<(Kind, SizeClass)> {
    match label.parse::<Cohort>() {
        Ok(Cohort::KindSize(k, s)) => Some((k, s)),
        _ => None,
    }
}

/// The partition of `round` for contributors counted per finest cell (`counts`: label → n).
/// Labels that are not finest cells are refused.
pub fn announce(
    round: &SecureRound,
    counts: &BTreeMap<String, u32>,
) -> Result<Vec<pb::AnnouncedCell>, SecureError> {
    for label in counts.keys() {
        if parse_finest(label).is_none() {
            return Err(SecureError::Grid(format!(
                "{label:?} is not a kind × size cell"
            )));
        }
    }
    let k = merge_size(round)?;
    let scale = round.scale(Partition::KindSize);
    // Per kind: its finest cells (label, n) with n > 0.
    let mut kinds: BTreeMap<String, Vec<(String, u32)>> = BTreeMap::new();
    for (label, &n) in counts.iter().filter(|(_, &n)| n > 0) {
        if let Some((kind, _)) = parse_finest(label) {
            kinds
                .entry(kind.key().to_string())
                .or_default()
                .push((label.clone(), n));
        }
    }
    // (label, members, n) per kind that reaches k; the others go to the global rest.
    let mut groups: Vec<(u32, String, Vec<Merged>)> = Vec::new();
    let mut rest: (Vec<String>, u32) = (Vec::new(), 0);
    for (kind, finest) in kinds {
        let total: u32 = finest.iter().map(|(_, n)| n).sum();
        if total < k {
            rest.0.extend(finest.into_iter().map(|(l, _)| l));
            rest.1 += total;
            continue;
        }
        let mut cells: Vec<Merged> = Vec::new();
        let mut small: (Vec<String>, u32) = (Vec::new(), 0);
        for (label, n) in finest {
            if n >= k {
                cells.push((label.clone(), vec![label], n));
            } else {
                small.0.push(label);
                small.1 += n;
            }
        }
        while small.1 > 0 && small.1 < k && !cells.is_empty() {
            let i = smallest(&cells)?;
            let (_, members, n) = cells.remove(i);
            small.0.extend(members);
            small.1 += n;
        }
        if small.1 > 0 {
            cells.push((format!("kind={kind},size=rest"), small.0, small.1));
        }
        groups.push((total, kind, cells));
    }
    while rest.1 > 0 && rest.1 < k && !groups.is_empty() {
        // The smallest kind (ties: the first key) joins the rest whole.
        let (i, _) = groups
            .iter()
            .enumerate()
            .min_by(|a, b| a.1 .0.cmp(&b.1 .0).then(a.1 .1.cmp(&b.1 .1)))
            .ok_or_else(|| SecureError::Grid("no kind".into()))?;
        let (total, _, cells) = groups.remove(i);
        rest.0.extend(cells.into_iter().flat_map(|(_, m, _)| m));
        rest.1 += total;
    }
    let mut cells: Vec<Merged> = groups.into_iter().flat_map(|(_, _, c)| c).collect();
    // Only when every kind is in it can the rest stay below n*; it is still announced from k on
    // (one cell with every contributor: the cohort all).
    if rest.1 >= round.min_cohort {
        cells.push((REST.to_string(), rest.0, rest.1));
    }
    // Fewer than k in the whole round: nothing is announced.
    let mut out: Vec<pb::AnnouncedCell> = cells
        .into_iter()
        .map(|(cell, mut members, n)| {
            members.sort();
            pb::AnnouncedCell {
                cell,
                members,
                n,
                scale,
            }
        })
        .collect();
    out.sort_by(|a, b| a.cell.cmp(&b.cell));
    if round.grid == Grid::AllKindSize && !out.is_empty() {
        let mut members: Vec<String> = out.iter().flat_map(|c| c.members.clone()).collect();
        members.sort();
        out.insert(
            0,
            pb::AnnouncedCell {
                cell: ALL.to_string(),
                members,
                n: out.iter().map(|c| c.n).sum(),
                scale: round.scale(Partition::All),
            },
        );
    }
    Ok(out)
}

/// The merge size n*: at least k, and the smallest n at which one announced cell (all m noise
/// shares, the kind × size scale) could publish any metric of the round, or a derived metric all
/// of whose parts are in the round (the self-test total), within its usefulness limit (catalogue
/// `max_half_width`).
pub fn merge_size(round: &SecureRound) -> Result<u32, SecureError> {
    let k = round.min_cohort;
    let scale = round.scale(Partition::KindSize);
    if scale <= 0.0 {
        return Ok(k);
    }
    let alpha = (-1.0 / scale).exp();
    let shape = round.committee.size() as f64 / round.honest() as f64;
    let mut best = f64::INFINITY;
    for m in &round.metrics {
        let q = crate::noise::half_width(shape, alpha, 0.95)? as f64;
        // Half-width in published units: q / (n · unit) ≤ limit.
        let unit = match m.value_type {
            sovbench_core::catalogue::ValueType::BoundedShare => (m.upper - m.lower).max(1) as f64,
            _ => 1.0,
        };
        best = best.min(q / (unit * m.max_half_width));
    }
    let catalogue = sovbench_core::catalogue::Catalogue::shared();
    for d in &catalogue.derived {
        if d.sum_of
            .iter()
            .all(|id| round.metrics.iter().any(|m| &m.id == id))
        {
            let q = crate::noise::half_width(shape * d.sum_of.len() as f64, alpha, 0.95)? as f64;
            best = best.min(q / d.max_half_width);
        }
    }
    let needed = if best.is_finite() {
        best.ceil().min(f64::from(u32::MAX)) as u32
    } else {
        k
    };
    Ok(needed.max(k))
}

/// Index of the smallest cell (ties: the first label).
fn smallest(cells: &[Merged]) -> Result<usize, SecureError> {
    cells
        .iter()
        .enumerate()
        .min_by(|a, b| a.1 .2.cmp(&b.1 .2).then(a.1 .0.cmp(&b.1 .0)))
        .map(|(i, _)| i)
        .ok_or_else(|| SecureError::Grid("no cell".into()))
}

/// A trustee's check of an announcement: it must be exactly the partition the bulletin's counts
/// give, and every cell must have at least k administrations.
pub fn check(
    round: &SecureRound,
    counts: &BTreeMap<String, u32>,
    announced: &[pb::AnnouncedCell],
) -> Result<(), SecureError> {
    if let Some(c) = announced.iter().find(|c| c.n < round.min_cohort) {
        return Err(SecureError::Grid(format!(
            "cell {} has {} administrations, fewer than k = {}",
            c.cell, c.n, round.min_cohort
        )));
    }
    let expected = announce(round, counts)?;
    if expected.as_slice() != announced {
        return Err(SecureError::Grid(
            "the announced cells are not the partition of the bulletin".into(),
        ));
    }
    Ok(())
}

/// The partition of an announced cell.
pub fn partition(cell: &pb::AnnouncedCell) -> Partition {
    if cell.cell == ALL {
        Partition::All
    } else {
        Partition::KindSize
    }
}

/// The cell an entry of finest cell `label` falls into in the partition kind × size: its index
/// in `announced`.
pub fn cell_of(announced: &[pb::AnnouncedCell], label: &str) -> Option<usize> {
    announced.iter().position(|c| {
        c.cell != ALL
            && c.members
                .binary_search_by(|m| m.as_str().cmp(label))
                .is_ok()
    })
}

/// Whether a cohort is a union of announced kind × size cells, and which: the indices of the
/// cells inside it. `None` when some cell lies partly inside (the cohort is not released).
pub fn derivable(announced: &[pb::AnnouncedCell], cohort: &Cohort) -> Option<Vec<usize>> {
    let mut inside = Vec::new();
    for (i, c) in announced.iter().enumerate() {
        if c.cell == ALL {
            continue;
        }
        let flags: Vec<bool> = c
            .members
            .iter()
            .map(|m| {
                parse_finest(m).is_some_and(|(kind, size)| match cohort {
                    Cohort::All => true,
                    Cohort::Kind(k) => *k == kind,
                    Cohort::Size(s) => *s == size,
                    Cohort::KindSize(k, s) => *k == kind && *s == size,
                    Cohort::State(_) => false,
                })
            })
            .collect();
        if flags.iter().all(|&f| f) {
            inside.push(i);
        } else if flags.iter().any(|&f| f) {
            return None;
        }
    }
    if inside.is_empty() {
        None
    } else {
        Some(inside)
    }
}

#[cfg(test)]
mod tests;
