//! The open round as a person decides about it (the workplace's rounds page): [`offer`] fetches
//! and verifies the aggregator's open round and says, without recording anything or spending
//! budget, what it asks for, in which mode the values would leave, what it costs against the
//! budget, whether the policy allows it (the same checks as [`super::prepare_round`]), whether
//! the aggregator has this node enrolled, and what the last kept publication says about this
//! administration's cohorts against the round's minimum cohort size k. [`send`] is
//! [`super::submit`] for the round the person saw: it refuses if another round is open by now.

use sovbench_core::catalogue::Catalogue;
use sovbench_core::cell::Cohort;
use sovbench_core::envelope;
use sovbench_core::pb;
use sovbench_secure::round::SecureRound;

use super::policy::{self, Budget};
use super::{secure, Prepared, Skip, SubmitReport};
use crate::error::NodeError;
use crate::model::{LedgerEntry, ReleaseMode};
use crate::node::Node;

/// What the open round asks of this node.
#[derive(Debug)]
pub struct Offer {
    /// The round's parameters as signed by the aggregator (verified).
    pub params: pb::RoundParams,
    /// How the values would leave the node.
    pub mode: ReleaseMode,
    /// How many values leave (mode direct: `releases_per_node` of the metrics, drawn at
    /// random; mode secure: every metric, encrypted).
    pub released: usize,
    /// Epsilon the round would cost; `None` if the round's secure parameters are unusable.
    pub epsilon: Option<f64>,
    /// The budget now, before the round.
    pub budget: Budget,
    /// Why the policy refuses the round (`None`: allowed).
    pub refusal: Option<NodeError>,
    /// Why the aggregator would refuse this node (not enrolled, revoked, unreachable).
    pub enrolment: Option<NodeError>,
    /// The ledger entry, if the node already took part in this round.
    pub taken_part: Option<LedgerEntry>,
    /// The administration's cohorts, coarsest first, with what the last publication says.
    pub cohorts: Vec<CohortOutlook>,
}

/// What is known about one cohort of the administration before the round.
#[derive(Debug, Clone, PartialEq)]
pub struct CohortOutlook {
    /// Cohort id (`all`, `kind=gemeinde`, ...).
    pub cohort: String,
    /// What the last kept publication says.
    pub last: Outlook,
}

/// A cohort in the last kept publication.
#[derive(Debug, Clone, PartialEq)]
pub enum Outlook {
    /// Published in `round` with up to `n` contributors in its cells.
    Published {
        /// Round id of the publication.
        round: String,
        /// The largest number of contributors of the cohort's published cells.
        n: u32,
    },
    /// Every cell of the cohort was suppressed in `round` (too few contributors or too noisy).
    Suppressed {
        /// Round id of the publication.
        round: String,
    },
    /// No kept publication mentions the cohort: the node cannot know.
    Unknown,
}

impl Offer {
    /// Whether any cohort of the administration may stay without a published value: suppressed
    /// or below k last time, or unknown.
    pub fn may_publish_nothing_for(&self) -> Vec<&CohortOutlook> {
        let k = self.params.min_cohort;
        self.cohorts
            .iter()
            .filter(|c| match &c.last {
                Outlook::Published { n, .. } => *n < k,
                Outlook::Suppressed { .. } | Outlook::Unknown => true,
            })
            .collect()
    }
}

/// Fetches and verifies the open round and describes what taking part would mean; `None` if the
/// aggregator has no open round. Nothing is recorded and no budget is spent.
pub async fn offer(node: &Node) -> Result<Option<Offer>, NodeError> {
    node.link().url()?;
    node.config().aggregator_key()?;
    let msg = match node.link().get_round(None).await {
        Ok(m) => m,
        Err(NodeError::NoOpenRound) => return Ok(None),
        Err(e) => return Err(e),
    };
    let params = round_params(node, &msg)?;
    let enrolment = super::enrolment::check(node).await.err();
    let store = node.store();
    let now = node.now();
    let policy = &node.config().privacy;
    let budget = policy::budget(&store.ledger()?, policy, now);
    let catalogue = Catalogue::shared();
    let (mode, released, epsilon, refusal) =
        if params.mode == pb::RoundMode::SecureAggregation as i32 {
            let epsilon = SecureRound::from_params(&params).ok().map(|r| r.epsilon);
            let pinned = node.config().committee_fingerprint()?;
            let refusal = secure::check(&params, policy, pinned, catalogue, &budget, now).err();
            (ReleaseMode::Secure, params.metrics.len(), epsilon, refusal)
        } else {
            let (count, eps) = policy::direct_cost(&params);
            let refusal = policy::check_round(&params, policy, catalogue, &budget, now).err();
            (ReleaseMode::Direct, count, Some(eps), refusal)
        };
    let taken_part = store.ledger_entry(&params.round_id)?;
    let cohorts = outlook(node)?;
    Ok(Some(Offer {
        params,
        mode,
        released,
        epsilon,
        budget,
        refusal,
        enrolment,
        taken_part,
        cohorts,
    }))
}

/// Takes part in the open round if it is `round_id` (the round the person saw), exactly as
/// [`super::submit`]: retries the outbox, checks the enrolment, records the release in the
/// ledger and the outbox durably, then sends it and keeps the receipt.
pub async fn send(node: &Node, round_id: &str) -> Result<SubmitReport, NodeError> {
    let retried = super::flush_outbox(node).await?;
    let mut report = SubmitReport {
        retried,
        current: None,
        epsilon: None,
        metrics: Vec::new(),
        mode: None,
        skipped: None,
    };
    node.link().url()?;
    node.config().aggregator_key()?;
    let msg = match node.link().get_round(None).await {
        Ok(m) => m,
        Err(NodeError::NoOpenRound) => {
            report.skipped = Some(Skip::NoOpenRound);
            return Ok(report);
        }
        Err(e) => return Err(e),
    };
    let open = round_params(node, &msg)?.round_id;
    if open != round_id {
        return Err(NodeError::BadRound {
            round: round_id.to_string(),
            reason: format!("the aggregator's open round is now {open}; nothing was sent"),
        });
    }
    super::enrolment::check(node).await?;
    match super::prepare_round(node, &msg)? {
        Prepared::Recorded {
            round_id,
            signed,
            epsilon,
            metrics,
            mode,
        } => {
            report.epsilon = Some(epsilon);
            report.metrics = metrics;
            report.mode = Some(mode);
            report.current = Some(super::deliver(node, &round_id, signed).await?);
        }
        Prepared::Skipped(why) => report.skipped = Some(why),
    }
    Ok(report)
}

/// The verified parameters of a signed round message.
fn round_params(node: &Node, msg: &pb::SignedMessage) -> Result<pb::RoundParams, NodeError> {
    match node.open_from_aggregator(msg)?.body {
        pb::payload::Body::Round(p) => Ok(p),
        other => Err(NodeError::BadAnswer(format!(
            "expected round parameters, got a {}",
            envelope::kind_name(&other)
        ))),
    }
}

/// The administration's cohorts with what the last kept publication says about each.
fn outlook(node: &Node) -> Result<Vec<CohortOutlook>, NodeError> {
    let profile = node.profile()?;
    let last = crate::compare::latest_publication(node)?;
    Ok(Cohort::of(&profile.cohort())
        .iter()
        .map(|cohort| {
            let id = cohort.to_string();
            let last = match &last {
                None => Outlook::Unknown,
                Some(p) => cohort_in(p, cohort),
            };
            CohortOutlook { cohort: id, last }
        })
        .collect())
}

/// What publication `p` says about `cohort`.
fn cohort_in(p: &pb::Publication, cohort: &Cohort) -> Outlook {
    let cells: Vec<&pb::Cell> = p
        .cells
        .iter()
        .filter(|c| c.cohort.parse::<Cohort>().as_ref() == Ok(cohort))
        .collect();
    if cells.is_empty() {
        return Outlook::Unknown;
    }
    match cells.iter().filter(|c| !c.suppressed).map(|c| c.n).max() {
        Some(n) => Outlook::Published {
            round: p.round_id.clone(),
            n,
        },
        None => Outlook::Suppressed {
            round: p.round_id.clone(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(cohort: &str, n: u32, suppressed: bool) -> pb::Cell {
        pb::Cell {
            cohort: cohort.into(),
            n,
            suppressed,
            ..Default::default()
        }
    }

    #[test]
    fn a_cohort_is_published_suppressed_or_unknown() {
        let p = pb::Publication {
            round_id: "r1".into(),
            cells: vec![
                cell("all", 40, false),
                cell("all", 38, false),
                cell("kind=gemeinde", 3, true),
            ],
            ..Default::default()
        };
        assert_eq!(
            cohort_in(&p, &Cohort::All),
            Outlook::Published {
                round: "r1".into(),
                n: 40
            }
        );
        let gemeinde: Cohort = "kind=gemeinde".parse().unwrap();
        assert_eq!(
            cohort_in(&p, &gemeinde),
            Outlook::Suppressed { round: "r1".into() }
        );
        let state: Cohort = "state=DE-BY".parse().unwrap();
        assert_eq!(cohort_in(&p, &state), Outlook::Unknown);
    }
}
