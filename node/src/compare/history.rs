//! `compare --history`: the administration against its cohorts across rounds. [`history`]
//! fetches the publication of every round this node took part in (and of the latest it has
//! kept) by round id, verifies each as `compare --round` does and keeps it in the store;
//! [`history_of`] lines them up, per cohort and metric a point per round, with the own value as
//! it stood when each round closed (the self-test then in force; inventory and migration paths
//! as they are today, since the node keeps no history of them).

use serde::Serialize;
use sovbench_core::pb;

use super::stale::decode_body;
use super::{check_included, check_publication, rows, Verdict};
use crate::error::NodeError;
use crate::facts::Facts;
use crate::node::Node;

/// One round of a history.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryRound {
    /// Round id.
    pub round_id: String,
    /// When its publication was published (Unix seconds); `None` if there is none yet.
    pub published_at: Option<i64>,
    /// Contributors to the round, if published.
    pub contributors: Option<u32>,
    /// Why there is no publication (the aggregator's answer), if there is none.
    pub missing: Option<String>,
}

/// One round's value of one cohort's metric.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryPoint {
    /// Round id.
    pub round_id: String,
    /// When the round's publication was published (Unix seconds).
    pub published_at: i64,
    /// The own value as it stood when the round closed (never sent).
    pub own: Option<f64>,
    /// The published estimate, unless suppressed.
    pub estimate: Option<f64>,
    /// Lower end of the 95% interval, clipped to the metric's range.
    pub ci_low: Option<f64>,
    /// Upper end of the 95% interval, clipped to the metric's range.
    pub ci_high: Option<f64>,
    /// Contributors in the cohort.
    pub n: u32,
    /// Why the cell was suppressed, if it was.
    pub suppressed: Option<String>,
    /// For a suppressed cell: the nearest coarser cohort where the metric is published.
    pub fallback_cohort: Option<String>,
    /// Where the own value lies against the interval.
    pub verdict: Option<Verdict>,
    /// The cell as published (for localised rendering).
    #[serde(skip)]
    pub cell: pb::Cell,
    /// The round's minimum cohort size k.
    #[serde(skip)]
    pub min_cohort: u32,
}

/// One cohort's metric across rounds.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryRow {
    /// Cohort id.
    pub cohort: String,
    /// Cell id.
    pub metric: String,
    /// Whether the value is a share.
    pub share: bool,
    /// Lowest possible value.
    pub range_low: f64,
    /// Highest possible value.
    pub range_high: f64,
    /// One point per published round that has the cell, oldest first.
    pub points: Vec<HistoryPoint>,
}

/// The administration against its cohorts across rounds.
#[derive(Debug, Clone, Serialize)]
pub struct History {
    /// The rounds, oldest first.
    pub rounds: Vec<HistoryRound>,
    /// Cohort by cohort (coarsest first), metric by metric.
    pub rows: Vec<HistoryRow>,
}

/// Fetches, verifies and keeps the publication of every round this node took part in and of
/// the latest it has kept, and lines them up. A round without a publication yet is listed as
/// missing; an unreachable aggregator or a publication that fails verification is an error.
pub async fn history(node: &Node) -> Result<History, NodeError> {
    node.link().url()?;
    node.config().aggregator_key()?;
    let mut ids: Vec<String> = node
        .store()
        .ledger()?
        .into_iter()
        .map(|e| e.round_id)
        .collect();
    if let Some(p) = super::latest_publication(node)? {
        if !ids.contains(&p.round_id) {
            ids.push(p.round_id);
        }
    }
    let mut publications = Vec::new();
    let mut missing = Vec::new();
    for id in ids {
        match fetch(node, &id).await {
            Ok(p) => publications.push(p),
            Err(NodeError::Refused {
                code: tonic::Code::NotFound,
                message,
            }) => missing.push(Missing {
                opens_at: opens_at(node, &id)?,
                round: HistoryRound {
                    round_id: id,
                    published_at: None,
                    contributors: None,
                    missing: Some(message),
                },
            }),
            Err(e) => return Err(e),
        }
    }
    let mut h = history_of(node, &publications)?;
    // Rounds without a publication take their place by their opening time.
    let mut all: Vec<(i64, HistoryRound)> = Vec::new();
    for r in h.rounds.drain(..) {
        all.push((opens_at(node, &r.round_id)?.unwrap_or(i64::MAX), r));
    }
    all.extend(
        missing
            .into_iter()
            .map(|m| (m.opens_at.unwrap_or(i64::MAX), m.round)),
    );
    all.sort_by_key(|a| a.0);
    h.rounds = all.into_iter().map(|(_, r)| r).collect();
    Ok(h)
}

/// The history of the publications this node has verified and kept, without asking the
/// aggregator (the workplace's comparison page): [`history_of`] over the store's publications.
pub fn kept_history(node: &Node) -> Result<History, NodeError> {
    let publications: Vec<pb::Publication> = node
        .store()
        .publications()?
        .iter()
        .filter_map(|m| match decode_body(m) {
            Some(pb::payload::Body::Publication(p)) => Some(p),
            _ => None,
        })
        .collect();
    history_of(node, &publications)
}

/// A round without a publication, with its opening time for ordering.
struct Missing {
    opens_at: Option<i64>,
    round: HistoryRound,
}

/// Fetches one round's publication by id, verifies it and keeps it.
async fn fetch(node: &Node, round: &str) -> Result<pb::Publication, NodeError> {
    let msg = node.link().get_publication(Some(round)).await?;
    let publication = match node.open_from_aggregator(&msg)?.body {
        pb::payload::Body::Publication(p) => p,
        other => {
            return Err(NodeError::BadAnswer(format!(
                "expected a publication, got a {}",
                sovbench_core::envelope::kind_name(&other)
            )))
        }
    };
    check_publication(node, &publication, Some(round))?;
    check_included(node, &publication)?;
    node.store().put_publication(&publication.round_id, &msg)?;
    Ok(publication)
}

/// When the node's kept parameters of a round say it opened.
fn opens_at(node: &Node, round: &str) -> Result<Option<i64>, NodeError> {
    Ok(node
        .store()
        .round(round)?
        .and_then(|m| match decode_body(&m) {
            Some(pb::payload::Body::Round(r)) => Some(r.opens_at),
            _ => None,
        }))
}

/// Lines up verified publications (in any order; shown oldest first by publication time): per
/// cohort of the administration and cell, one point per round that publishes the cell.
pub fn history_of(node: &Node, publications: &[pb::Publication]) -> Result<History, NodeError> {
    let mut pubs: Vec<&pb::Publication> = publications.iter().collect();
    pubs.sort_by_key(|p| (p.published_at, p.round_id.clone()));
    let current = Facts::of(node)?;
    let assessments = node.store().assessments()?;
    let mut out: Vec<HistoryRow> = Vec::new();
    let mut rounds = Vec::new();
    for p in pubs {
        // The self-test in force when the round closed (or, without kept parameters, when it
        // was published).
        let cutoff = match node
            .store()
            .round(&p.round_id)?
            .and_then(|m| decode_body(&m))
        {
            Some(pb::payload::Body::Round(r)) => r.closes_at,
            _ => p.published_at,
        };
        let facts = Facts {
            assessment: assessments
                .iter()
                .rev()
                .find(|a| a.recorded_at() <= cutoff)
                .and_then(|a| a.assessment()),
            ..current.clone()
        };
        rounds.push(HistoryRound {
            round_id: p.round_id.clone(),
            published_at: Some(p.published_at),
            contributors: Some(p.contributors),
            missing: None,
        });
        for r in rows(node, p, &facts)? {
            let point = HistoryPoint {
                round_id: p.round_id.clone(),
                published_at: p.published_at,
                own: r.own,
                estimate: r.estimate,
                ci_low: r.ci_low,
                ci_high: r.ci_high,
                n: r.n,
                suppressed: r.suppressed,
                fallback_cohort: r.fallback_cohort,
                verdict: r.verdict,
                cell: r.cell,
                min_cohort: p.min_cohort,
            };
            match out
                .iter_mut()
                .find(|h| h.cohort == r.cohort && h.metric == r.metric)
            {
                Some(h) => h.points.push(point),
                None => out.push(HistoryRow {
                    cohort: r.cohort,
                    metric: r.metric,
                    share: r.share,
                    range_low: r.range_low,
                    range_high: r.range_high,
                    points: vec![point],
                }),
            }
        }
    }
    // Cohorts coarsest first, as in a single comparison; metrics in order of first appearance.
    let rank = |id: &str| {
        id.parse::<sovbench_core::cell::Cohort>()
            .map_or(u8::MAX, |c| c.rank())
    };
    out.sort_by_key(|h| rank(&h.cohort));
    Ok(History { rounds, rows: out })
}
