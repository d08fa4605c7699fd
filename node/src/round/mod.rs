//! Taking part in a round: [`prepare`] fetches and verifies the open round, checks it against the
//! privacy policy ([`policy`]), checks with the aggregator that the node is enrolled
//! ([`enrolment`]), privatises the requested values (mode direct) or encrypts them to
//! the trustee committee ([`secure`], mode secure) and records them in the ledger and the outbox
//! in one durable transaction; [`submit`] retries the outbox and sends this round's
//! release; [`flush_outbox`] delivers what is queued, always as the exact signed bytes first
//! recorded, and keeps the receipts.

pub mod enrolment;
pub mod offer;
pub mod policy;
pub mod secure;

use ring::rand::{SecureRandom as _, SystemRandom};
use serde::Serialize;
use sovbench_core::catalogue::{Catalogue, TrueValue};
use sovbench_core::envelope;
use sovbench_core::pb;

use crate::error::NodeError;
use crate::facts::Facts;
use crate::model::{DeliveryState, LedgerEntry, ReleaseMode, ReleaseRecord};
use crate::node::Node;

/// Outcome of delivering one queued submission.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    /// Round id.
    pub round_id: String,
    /// Delivered, still pending, or refused.
    pub state: DeliveryState,
    /// Why it is still pending or was refused.
    pub detail: Option<String>,
}

/// Outcome of `submit`.
#[derive(Debug, Clone, Serialize)]
pub struct SubmitReport {
    /// Earlier queued submissions and what became of them.
    pub retried: Vec<Delivery>,
    /// This round's submission, if the aggregator had an open round the node could take part in.
    pub current: Option<Delivery>,
    /// Epsilon the current round's release cost.
    pub epsilon: Option<f64>,
    /// Metrics released in the current round.
    pub metrics: Vec<String>,
    /// How the current round's values left the node.
    pub mode: Option<ReleaseMode>,
    /// Why the node did not release anything this time.
    pub skipped: Option<Skip>,
}

/// Why a node released nothing new.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "reason", content = "detail")]
pub enum Skip {
    /// The aggregator has no open round.
    NoOpenRound,
    /// The node already took part in the open round.
    AlreadyTookPart(String),
    /// The round could not be fetched (the outbox was still retried).
    Unreachable(String),
}

impl Skip {
    /// Localised text.
    pub fn text(&self, lang: sovbench_core::i18n::Lang) -> String {
        match self {
            Skip::NoOpenRound => lang
                .pick(
                    "der Aggregator hat keine offene Runde",
                    "the aggregator has no open round",
                )
                .to_string(),
            Skip::AlreadyTookPart(r) => format!(
                "{} {r}",
                lang.pick(
                    "bereits teilgenommen an Runde",
                    "already took part in round"
                )
            ),
            Skip::Unreachable(e) => format!(
                "{}: {e}",
                lang.pick("Runde nicht abrufbar", "round could not be fetched")
            ),
        }
    }
}

/// A release recorded in the ledger and the outbox, not yet sent.
#[derive(Debug, Clone)]
pub enum Prepared {
    /// Recorded; these exact bytes will be sent.
    Recorded {
        /// Round id.
        round_id: String,
        /// The signed submission.
        signed: pb::SignedMessage,
        /// Epsilon charged.
        epsilon: f64,
        /// Metrics released.
        metrics: Vec<String>,
        /// Mode direct (noisy values) or secure (encrypted values).
        mode: ReleaseMode,
    },
    /// Nothing to release, and why.
    Skipped(Skip),
}

/// Delivers every queued submission (same signed bytes as first recorded, no new noise).
pub async fn flush_outbox(node: &Node) -> Result<Vec<Delivery>, NodeError> {
    let mut out = Vec::new();
    for (round_id, msg) in node.store().outbox()? {
        out.push(deliver(node, &round_id, msg).await?);
    }
    Ok(out)
}

async fn deliver(
    node: &Node,
    round_id: &str,
    msg: pb::SignedMessage,
) -> Result<Delivery, NodeError> {
    let mut entry = node.store().ledger_entry(round_id)?.ok_or_else(|| {
        NodeError::Storage(format!("outbox entry {round_id} has no ledger entry"))
    })?;
    let payload_hash = sovbench_core::sha256(&msg.payload);
    let signature_hash = sovbench_core::sha256(&msg.signature);
    // Sent to the address configured now; the ledger records where it went.
    let url = node.link().url()?.to_string();
    match node.link().submit(msg).await {
        Ok(receipt) => {
            // A receipt that does not verify leaves the submission queued (and the other
            // queued submissions unaffected): the next attempt sends the same bytes again.
            let r = match check_receipt(node, round_id, &payload_hash, &signature_hash, &receipt) {
                Ok(r) => r,
                Err(e) => {
                    return Ok(Delivery {
                        round_id: round_id.to_string(),
                        state: DeliveryState::Pending,
                        detail: Some(e.to_string()),
                    })
                }
            };
            if let Some(s) = entry
                .secure
                .as_mut()
                .filter(|_| !r.bulletin_head.is_empty())
            {
                s.bulletin_position = Some(r.bulletin_position);
                s.bulletin_head = Some(hex::encode(&r.bulletin_head));
            }
            entry.state = DeliveryState::Delivered;
            entry.aggregator = url;
            node.store().deliver(&entry, &receipt)?;
            Ok(Delivery {
                round_id: round_id.to_string(),
                state: DeliveryState::Delivered,
                detail: None,
            })
        }
        Err(e) if e.is_transient() => Ok(Delivery {
            round_id: round_id.to_string(),
            state: DeliveryState::Pending,
            detail: Some(e.to_string()),
        }),
        Err(e) => {
            entry.state = DeliveryState::Refused;
            entry.aggregator = url;
            node.store().refuse(&entry)?;
            Ok(Delivery {
                round_id: round_id.to_string(),
                state: DeliveryState::Refused,
                detail: Some(e.to_string()),
            })
        }
    }
}

fn check_receipt(
    node: &Node,
    round_id: &str,
    payload_hash: &[u8; 32],
    signature_hash: &[u8; 32],
    receipt: &pb::SignedMessage,
) -> Result<pb::Receipt, NodeError> {
    let v = node.open_from_aggregator(receipt)?;
    match v.body {
        // The signature hash is what `compare` looks for in the publication (empty from
        // aggregators before it was added).
        pb::payload::Body::Receipt(r)
            if r.round_id == round_id
                && r.submission_hash == payload_hash
                && r.node_key == node.public_key()
                && (r.signature_sha256.is_empty() || r.signature_sha256 == signature_hash) =>
        {
            Ok(r)
        }
        pb::payload::Body::Receipt(_) => Err(NodeError::BadAnswer(
            "receipt does not acknowledge this submission".into(),
        )),
        other => Err(NodeError::BadAnswer(format!(
            "expected a receipt, got a {}",
            envelope::kind_name(&other)
        ))),
    }
}

/// Takes part in the aggregator's open round: retries the outbox, then [`prepare`]s this
/// round's release and sends it, keeping the receipt.
pub async fn submit(node: &Node) -> Result<SubmitReport, NodeError> {
    let retried = flush_outbox(node).await?;
    let mut report = SubmitReport {
        retried,
        current: None,
        epsilon: None,
        metrics: Vec::new(),
        mode: None,
        skipped: None,
    };
    match prepare(node).await {
        Ok(Prepared::Recorded {
            round_id,
            signed,
            epsilon,
            metrics,
            mode,
        }) => {
            report.epsilon = Some(epsilon);
            report.metrics = metrics;
            report.mode = Some(mode);
            report.current = Some(deliver(node, &round_id, signed).await?);
        }
        Ok(Prepared::Skipped(why)) => report.skipped = Some(why),
        // Queued submissions are reported (exit code 3) even when the round cannot be fetched.
        Err(e) if e.is_transient() && !report.retried.is_empty() => {
            report.skipped = Some(Skip::Unreachable(e.to_string()))
        }
        Err(e) => return Err(e),
    }
    Ok(report)
}

/// Fetches and verifies the open round, checks it against the privacy policy, privatises the
/// requested values (mode direct) or encrypts them to the trustee committee (mode secure) and
/// records them in the ledger and the outbox, durably, without sending. The release is then
/// delivered by [`flush_outbox`] (or [`submit`]), always as these exact signed bytes.
pub async fn prepare(node: &Node) -> Result<Prepared, NodeError> {
    node.link().url()?;
    node.config().aggregator_key()?;
    let round_msg = match node.link().get_round(None).await {
        Ok(m) => m,
        Err(NodeError::NoOpenRound) => return Ok(Prepared::Skipped(Skip::NoOpenRound)),
        Err(e) => return Err(e),
    };
    // Before anything is recorded (and budget spent): is this node enrolled and not revoked?
    enrolment::check(node).await?;
    prepare_round(node, &round_msg)
}

/// [`prepare`] for signed round parameters already received: verifies them against the pinned
/// aggregator key, checks them, computes the release and records it in the ledger and the
/// outbox, durably. Nothing is sent, and the enrolment is not checked: callers that did not
/// (through [`prepare`], or [`enrolment::check`] themselves) may record a release the aggregator
/// will refuse.
pub fn prepare_round(node: &Node, round_msg: &pb::SignedMessage) -> Result<Prepared, NodeError> {
    let url = node.link().url()?.to_string();
    let verified = node.open_from_aggregator(round_msg)?;
    let params = match verified.body {
        pb::payload::Body::Round(p) => p,
        other => {
            return Err(NodeError::BadAnswer(format!(
                "expected round parameters, got a {}",
                envelope::kind_name(&other)
            )))
        }
    };
    let store = node.store();
    if let Some(entry) = store.ledger_entry(&params.round_id)? {
        return Ok(Prepared::Skipped(Skip::AlreadyTookPart(entry.round_id)));
    }
    let now = node.now();
    let catalogue = Catalogue::shared();
    let policy = &node.config().privacy;
    let budget = policy::budget(&store.ledger()?, policy, now);
    let facts = Facts::of(node)?;
    let mut submission = pb::Submission {
        round_id: params.round_id.clone(),
        round_params_hash: verified.payload_hash.to_vec(),
        releases: Vec::new(),
        created_at: now,
        nonce: nonce()?.to_vec(),
        encrypted: Vec::new(),
    };
    let mut entry = LedgerEntry {
        round_id: params.round_id.clone(),
        recorded_at: now,
        epsilon: 0.0,
        releases: Vec::new(),
        payload_sha256: String::new(),
        state: DeliveryState::Pending,
        aggregator: url,
        mode: ReleaseMode::Direct,
        secure: None,
    };
    let metrics: Vec<String>;
    if params.mode == pb::RoundMode::SecureAggregation as i32 {
        let pinned = node.config().committee_fingerprint()?;
        let round = secure::check(&params, policy, pinned, catalogue, &budget, now)?;
        let ids: Vec<&str> = round.metrics.iter().map(|d| d.id.as_str()).collect();
        let truths = truths(&facts, &params.round_id, &ids)?;
        submission.encrypted = secure::encrypt(&round, &truths, node.public_key())?;
        entry.epsilon = round.epsilon;
        entry.mode = ReleaseMode::Secure;
        entry.secure = Some(secure::record(&round, &submission.encrypted));
        metrics = ids.iter().map(|s| s.to_string()).collect();
    } else {
        let defs = policy::check_round(&params, policy, catalogue, &budget, now)?;
        let ids: Vec<&str> = defs.iter().map(|d| d.id.as_str()).collect();
        // Every metric of the round must have a value here before anything is drawn, so that
        // which metrics are released never depends on which values exist.
        let truths = truths(&facts, &params.round_id, &ids)?;
        let chosen = crate::privacy::privatise::choose_indices(
            defs.len(),
            params.releases_per_node as usize,
        )?;
        for i in chosen {
            submission.releases.push(crate::privacy::privatise::release(
                defs[i],
                &truths[i],
                params.epsilon_per_release,
            )?);
        }
        entry.epsilon = submission.releases.iter().map(|r| r.epsilon).sum();
        entry.releases = submission
            .releases
            .iter()
            .map(ReleaseRecord::from_release)
            .collect();
        metrics = entry.releases.iter().map(|r| r.metric.clone()).collect();
    }
    let signed = node.seal(pb::payload::Body::Submission(submission));
    entry.payload_sha256 = hex::encode(sovbench_core::sha256(&signed.payload));
    store.put_round(&params.round_id, round_msg)?;
    // The ledger and the outbox are written together and made durable before sending.
    store.record_release(&entry, &signed)?;
    Ok(Prepared::Recorded {
        round_id: params.round_id,
        signed,
        epsilon: entry.epsilon,
        metrics,
        mode: entry.mode,
    })
}

/// The true value of every metric in `ids` (in that order), or why one is missing. The values
/// of both modes come from here.
pub(crate) fn truths(
    facts: &Facts,
    round_id: &str,
    ids: &[&str],
) -> Result<Vec<TrueValue>, NodeError> {
    let mut truths = Vec::with_capacity(ids.len());
    for id in ids {
        match facts.true_value(id) {
            Some(t) => truths.push(t),
            None if id.starts_with("selftest.") => return Err(NodeError::NoAssessment),
            None if id.starts_with("inventory.") => return Err(NodeError::NoInventory),
            None => {
                return Err(NodeError::BadRound {
                    round: round_id.to_string(),
                    reason: format!("this node has no value for metric {id}"),
                })
            }
        }
    }
    Ok(truths)
}

fn nonce() -> Result<[u8; 16], NodeError> {
    let mut nonce = [0u8; 16];
    SystemRandom::new()
        .fill(&mut nonce)
        .map_err(|_| NodeError::Storage("system random generator failed".into()))?;
    Ok(nonce)
}
