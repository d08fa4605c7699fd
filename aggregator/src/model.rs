//! Records the aggregator keeps.

use serde::{Deserialize, Serialize};
use sovbench_core::cohort::CohortAttributes;

/// An enrolled administration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Enrolment {
    /// Raw public key, base64.
    pub public_key: String,
    /// Fingerprint of the key.
    pub fingerprint: String,
    /// Name, for the operator's lists only; never published.
    pub name: String,
    /// Cohort attributes.
    pub attributes: CohortAttributes,
    /// Population or staff count as given at enrolment.
    pub size: u64,
    /// When enrolled (Unix seconds).
    pub enrolled_at: i64,
    /// When revoked, if revoked.
    pub revoked_at: Option<i64>,
}

/// Life-cycle state of a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundStatus {
    /// Accepting submissions.
    Open,
    /// Closed; can be published.
    Closed,
    /// Published.
    Published,
}

/// State of a round beside its signed parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoundState {
    /// Status.
    pub status: RoundStatus,
    /// When it was closed (Unix seconds).
    pub closed_at: Option<i64>,
}

/// A durably stored submission.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredSubmission {
    /// The encoded `SignedMessage` exactly as received.
    pub message: Vec<u8>,
    /// The encoded signed receipt returned to the node.
    pub receipt: Vec<u8>,
    /// SHA-256 of the submission payload bytes.
    pub payload_hash: Vec<u8>,
    /// The node's cohort attributes at the time of submission.
    pub attributes: CohortAttributes,
    /// When stored (Unix seconds).
    pub stored_at: i64,
}
