//! Comparing the administration with its cohorts: [`compare`] fetches a signed publication,
//! verifies it (signature, the round asked for, the round parameters this node saw, and that it
//! counts this node's acknowledged submission: [`check_included`]) and keeps it;
//! [`comparison`] puts the administration's own values (which never leave the node) next to each
//! published cell of its cohorts. Rendering is in [`crate::present::compare`].

use prost::Message as _;
use serde::Serialize;
use sovbench_core::catalogue::Catalogue;
use sovbench_core::cell::{CellId, Cohort};
use sovbench_core::envelope;
use sovbench_core::pb;

use crate::error::NodeError;
use crate::facts::Facts;
use crate::node::Node;

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
    let stale = |newer: String| NodeError::StalePublication {
        got: publication.round_id.clone(),
        newer,
    };
    if let Some(seen) = node.store().latest_publication()? {
        if let Some(pb::payload::Body::Publication(p)) = decode_body(&seen) {
            if p.published_at > publication.published_at && p.round_id != publication.round_id {
                return Err(stale(format!(
                    "this node has already seen the publication of round {} (published {})",
                    p.round_id,
                    sovbench_core::time::format_utc(p.published_at)
                )));
            }
        }
    }
    let now = node.now();
    let mut latest_taken: Option<pb::RoundParams> = None;
    for entry in node.store().ledger()? {
        let Some(msg) = node.store().round(&entry.round_id)? else {
            continue;
        };
        if let Some(pb::payload::Body::Round(r)) = decode_body(&msg) {
            if latest_taken
                .as_ref()
                .is_none_or(|l| r.opens_at > l.opens_at)
            {
                latest_taken = Some(r);
            }
        }
    }
    if let Some(r) = latest_taken {
        if r.round_id != publication.round_id
            && r.closes_at <= now
            && publication.published_at < r.closes_at
        {
            return Err(stale(format!(
                "this node took part in round {}, which closed at {}; its publication is not there yet",
                r.round_id,
                sovbench_core::time::format_utc(r.closes_at)
            )));
        }
    }
    Ok(())
}

/// The body of a stored signed message (stored messages were verified when they arrived).
fn decode_body(msg: &pb::SignedMessage) -> Option<pb::payload::Body> {
    pb::Payload::decode(msg.payload.as_slice()).ok()?.body
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
    let profile = node.profile()?;
    let facts = Facts::of(node)?;
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
            rows.push(ComparisonRow {
                cohort: label.clone(),
                metric: cell.metric.clone(),
                own: facts.own_cell_value(&cell.metric),
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
    Ok(Comparison {
        round_id: publication.round_id.clone(),
        published_at: publication.published_at,
        contributors: publication.contributors,
        min_cohort: publication.min_cohort,
        rows,
    })
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
