//! The enrolment check before a release: the node asks the aggregator, with a signed
//! `EnrolmentQuery` (fresh, with a random nonce), whether its key is enrolled and not revoked, and
//! verifies the signed `EnrolmentStatus` (the pinned aggregator key, bound to the query by its
//! payload hash). [`super::prepare`] runs it before anything is recorded in the ledger, so an
//! unenrolled or revoked node spends no privacy budget.

use sovbench_core::envelope::{self, fingerprint};
use sovbench_core::pb;
use sovbench_core::peers::NONCE_LEN;

use crate::error::NodeError;
use crate::node::Node;

/// What the aggregator says about this node's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolment {
    /// Kind key of the enrolment.
    pub kind: String,
    /// Bundesland of the enrolment.
    pub state: String,
    /// Size class key of the enrolment.
    pub size_class: String,
}

/// Asks the aggregator whether this node is enrolled and not revoked. `Ok` with the enrolment's
/// cohort attributes if so; [`NodeError::NotEnrolled`] if not (a refusal for good); the link's
/// errors otherwise (unreachable: retried later).
pub async fn check(node: &Node) -> Result<Enrolment, NodeError> {
    let nonce = envelope::random_bytes(NONCE_LEN)?;
    let query = node.seal(pb::payload::Body::EnrolmentQuery(pb::EnrolmentQuery {
        issued_at: node.now(),
        nonce,
    }));
    let query_hash = sovbench_core::sha256(&query.payload);
    let answer = node.link().check_enrolment(query).await?;
    let v = node.open_from_aggregator(&answer)?;
    let status = match v.body {
        pb::payload::Body::EnrolmentStatus(s) => s,
        other => {
            return Err(NodeError::BadAnswer(format!(
                "expected an enrolment status, got a {}",
                envelope::kind_name(&other)
            )))
        }
    };
    if status.query_hash != query_hash {
        return Err(NodeError::BadAnswer(
            "the enrolment status answers another query".into(),
        ));
    }
    if !status.enrolled {
        return Err(NodeError::NotEnrolled {
            fingerprint: fingerprint(node.public_key()),
            revoked: status.revoked,
        });
    }
    let enrolment = Enrolment {
        kind: status.kind,
        state: status.state,
        size_class: status.size_class,
    };
    if let Ok(p) = node.profile() {
        if (p.kind.key(), p.state.as_str(), p.size_class.key())
            != (
                enrolment.kind.as_str(),
                enrolment.state.as_str(),
                enrolment.size_class.as_str(),
            )
        {
            tracing::warn!(
                enrolled = ?enrolment,
                profile_kind = p.kind.key(),
                profile_state = %p.state,
                profile_size = p.size_class.key(),
                "the aggregator enrolled this node with other cohort attributes than its profile"
            );
        }
    }
    Ok(enrolment)
}
