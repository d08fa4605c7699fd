//! Comparing the administration with its cohorts: [`compare`] fetches a signed publication,
//! verifies it (signature, the round asked for, the round parameters this node saw, and that it
//! counts this node's acknowledged submission: [`check_included`]) and keeps it;
//! [`comparison`] puts the administration's own values (which never leave the node) next to each
//! published cell of its cohorts, each with a [`Verdict`] where the interval supports one, and
//! the publication's round with its [`Stale`] flags. [`history`] does the same across rounds.
//! Rendering is in [`crate::present::compare`] (text with position bars),
//! [`crate::present::history`] and [`crate::present::compare_html`] (the report's SVG charts).

use prost::Message as _;
use serde::Serialize;
use sovbench_core::catalogue::{Catalogue, ValueType};
use sovbench_core::cell::{CellId, Cohort};
use sovbench_core::envelope;
use sovbench_core::pb;

use crate::error::NodeError;
use crate::facts::Facts;
use crate::node::Node;

mod history;
mod stale;
mod verdict;

pub use history::{
    history, history_of, kept_history, History, HistoryPoint, HistoryRound, HistoryRow,
};
pub use stale::{staleness, Stale, STALE_AFTER_DAYS};
pub use verdict::Verdict;

/// One line of a comparison.
#[derive(Debug, Clone, Serialize)]
pub struct ComparisonRow {
    /// Cohort label.
    pub cohort: String,
    /// Metric id.
    pub metric: String,
    /// The administration's own true value (never sent).
    pub own: Option<f64>,
    /// The published cell.
    pub estimate: Option<f64>,
    /// Lower end of the 95% interval, clipped to the metric's range for display.
    pub ci_low: Option<f64>,
    /// Upper end of the 95% interval, clipped to the metric's range for display.
    pub ci_high: Option<f64>,
    /// Contributors in the cohort.
    pub n: u32,
    /// Whether the cell was suppressed, and why.
    pub suppressed: Option<String>,
    /// For a suppressed cell: the nearest coarser cohort where the metric is published.
    pub fallback_cohort: Option<String>,
    /// Where the own value lies against the interval; none for a suppressed cell.
    pub verdict: Option<Verdict>,
    /// Whether the value is a share (shown as a percentage) rather than a score or count.
    pub share: bool,
    /// The published cell as received (for localised rendering).
    #[serde(skip)]
    pub cell: pb::Cell,
    /// Lowest possible value of the metric.
    pub range_low: f64,
    /// Highest possible value of the metric.
    pub range_high: f64,
}

/// The administration's standing against its cohorts in one publication.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// Round id.
    pub round_id: String,
    /// When it was published (Unix seconds).
    pub published_at: i64,
    /// Contributors to the round.
    pub contributors: u32,
    /// The round's minimum cohort size k.
    pub min_cohort: u32,
    /// Why the publication may be stale for this node (empty: current).
    pub stale: Vec<Stale>,
    /// Rows, cohort by cohort.
    pub rows: Vec<ComparisonRow>,
}

/// Fetches and verifies a publication (the latest for `None`) and compares the
/// administration's own values with it.
pub async fn compare(node: &Node, round: Option<&str>) -> Result<Comparison, NodeError> {
    // The address is checked before the key, so that a node without either hears of the address.
    node.link().url()?;
    node.config().aggregator_key()?;
    let msg = node.link().get_publication(round).await?;
    let publication = match node.open_from_aggregator(&msg)?.body {
        pb::payload::Body::Publication(p) => p,
        other => {
            return Err(NodeError::BadAnswer(format!(
                "expected a publication, got a {}",
                envelope::kind_name(&other)
            )))
        }
    };
    check_publication(node, &publication, round)?;
    check_included(node, &publication)?;
    node.store().put_publication(&publication.round_id, &msg)?;
    comparison(node, &publication)
}

/// Checks a verified publication against what this node knows: the round asked for; the round
/// parameters this node received for that round; and, when the latest was asked for (`asked` is
/// `None`), that it is not older than a publication this node has already seen, nor older than
/// the closing of the latest round this node took part in (an old publication replayed as the
/// latest, or the newer one not made yet). An older round can always be asked for by its id.
pub fn check_publication(
    node: &Node,
    publication: &pb::Publication,
    asked: Option<&str>,
) -> Result<(), NodeError> {
    if let Some(r) = asked {
        if publication.round_id != r {
            return Err(NodeError::BadAnswer(format!(
                "asked for the publication of round {r}, got round {}",
                publication.round_id
            )));
        }
    }
    if let Some(seen) = node.store().round(&publication.round_id)? {
        if publication.round_params_hash != sovbench_core::sha256(&seen.payload) {
            return Err(NodeError::BadAnswer(format!(
                "publication of round {} refers to other round parameters than this node received",
                publication.round_id
            )));
        }
    }
    if asked.is_some() {
        return Ok(());
    }
    for flag in staleness(node, publication)? {
        let newer = match flag {
            Stale::NewerPublication {
                round_id,
                published_at,
            } => format!(
                "this node has already seen the publication of round {round_id} (published {})",
                sovbench_core::time::format_utc(published_at)
            ),
            Stale::LaterRound {
                round_id,
                closes_at,
                closed: true,
            } => format!(
                "this node took part in round {round_id}, which closed at {}; its publication is not there yet",
                sovbench_core::time::format_utc(closes_at)
            ),
            // A round still open, or age alone: shown as a flag, not refused.
            Stale::LaterRound { .. } | Stale::Old { .. } => continue,
        };
        return Err(NodeError::StalePublication {
            got: publication.round_id.clone(),
            newer,
        });
    }
    Ok(())
}

/// Checks that a publication counts this node's submission if the aggregator acknowledged one
/// for its round: the signature hash named in the kept receipt (checked against the signature
/// sent when the receipt arrived) must be in the publication's sorted list. Nothing to check
/// without a receipt, or for receipts and publications of aggregators before the list existed.
pub fn check_included(node: &Node, publication: &pb::Publication) -> Result<(), NodeError> {
    let Some(receipt) = node.store().receipt(&publication.round_id)? else {
        return Ok(());
    };
    let pb::payload::Body::Receipt(r) = node.open_from_aggregator(&receipt)?.body else {
        return Err(NodeError::Storage(format!(
            "the kept receipt of round {} is not a receipt",
            publication.round_id
        )));
    };
    if r.signature_sha256.is_empty() {
        return Ok(());
    }
    let listed = &publication.submission_signatures_sha256;
    if !listed.contains(&r.signature_sha256) {
        return Err(NodeError::NotInPublication {
            round: publication.round_id.clone(),
            signature: hex::encode(&r.signature_sha256[..8.min(r.signature_sha256.len())]),
        });
    }
    Ok(())
}

/// Compares the administration's own latest self-test with a verified publication.
pub fn comparison(node: &Node, publication: &pb::Publication) -> Result<Comparison, NodeError> {
    let facts = Facts::of(node)?;
    let rows = rows(node, publication, &facts)?;
    Ok(Comparison {
        round_id: publication.round_id.clone(),
        published_at: publication.published_at,
        contributors: publication.contributors,
        min_cohort: publication.min_cohort,
        stale: staleness(node, publication)?,
        rows,
    })
}

/// Whether a cell's value is a share (a category, a yes/no metric, a share metric, a roll-back
/// rate) rather than a score or a count.
pub fn is_share(cell_id: &str) -> bool {
    let catalogue = Catalogue::shared();
    let cell = CellId::parse(cell_id);
    if cell.is_rollback_rate() || cell.category().is_some() {
        return true;
    }
    catalogue.derived(cell_id).is_none()
        && catalogue
            .metric(cell.metric())
            .is_some_and(|m| m.value_type != ValueType::BoundedInteger)
}

/// The rows of a comparison of `facts` with a publication, cohort by cohort (coarsest first).
pub(crate) fn rows(
    node: &Node,
    publication: &pb::Publication,
    facts: &Facts,
) -> Result<Vec<ComparisonRow>, NodeError> {
    let profile = node.profile()?;
    let catalogue = Catalogue::shared();
    let mut rows = Vec::new();
    // Path statistics are shown for the paths the administration is on.
    let own_paths: Vec<String> = facts
        .paths
        .iter()
        .filter_map(|p| p.catalogue_item().map(|i| i.id))
        .collect();
    let relevant = |cell: &pb::Cell| {
        let id = CellId::parse(&cell.metric);
        !id.metric().starts_with("path.") || own_paths.iter().any(|p| p == id.metric())
    };
    for cohort in Cohort::of(&profile.cohort()) {
        let label = cohort.to_string();
        for cell in publication
            .cells
            .iter()
            .filter(|c| c.cohort.parse::<Cohort>().as_ref() == Ok(&cohort) && relevant(c))
        {
            let (lo, hi) = catalogue.range(&cell.metric);
            let own = facts.own_cell_value(&cell.metric);
            rows.push(ComparisonRow {
                cohort: label.clone(),
                metric: cell.metric.clone(),
                own,
                verdict: Verdict::of(own, cell),
                share: is_share(&cell.metric),
                fallback_cohort: (cell.suppressed && !cell.fallback_cohort.is_empty())
                    .then(|| cell.fallback_cohort.clone()),
                estimate: (!cell.suppressed).then_some(cell.estimate),
                ci_low: (!cell.suppressed).then_some(cell.ci_low.clamp(lo, hi)),
                ci_high: (!cell.suppressed).then_some(cell.ci_high.clamp(lo, hi)),
                cell: cell.clone(),
                range_low: lo,
                range_high: hi,
                n: cell.n,
                suppressed: cell.suppressed.then(|| cell.suppression_reason.clone()),
            });
        }
    }
    Ok(rows)
}

/// The latest publication the node has verified and kept, if any.
pub fn latest_publication(node: &Node) -> Result<Option<pb::Publication>, NodeError> {
    let Some(msg) = node.store().latest_publication()? else {
        return Ok(None);
    };
    // A stored message that does not decode is skipped, as if there were none.
    let body = pb::Payload::decode(msg.payload.as_slice())
        .ok()
        .and_then(|p| p.body);
    Ok(match body {
        Some(pb::payload::Body::Publication(p)) => Some(p),
        _ => None,
    })
}

#[cfg(test)]
mod tests;
