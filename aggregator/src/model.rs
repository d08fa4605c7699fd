//! Records the aggregator keeps.

use serde::{Deserialize, Serialize};
use sovbench_core::cohort::CohortAttributes;
use sovbench_core::vocab::{Category, Stage};

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
    /// Abandoned by the operator (it could not be decrypted); never published.
    Abandoned,
}

impl RoundStatus {
    /// The state in `lang`, for the operator's lists.
    pub fn label(self, lang: sovbench_core::i18n::Lang) -> &'static str {
        match self {
            RoundStatus::Open => lang.pick("offen", "open"),
            RoundStatus::Closed => lang.pick("geschlossen", "closed"),
            RoundStatus::Published => lang.pick("veröffentlicht", "published"),
            RoundStatus::Abandoned => lang.pick("aufgegeben", "abandoned"),
        }
    }
}

/// State of a round beside its signed parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoundState {
    /// Status.
    pub status: RoundStatus,
    /// When it was closed (Unix seconds).
    pub closed_at: Option<i64>,
    /// Why and when the operator abandoned it (status [`RoundStatus::Abandoned`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abandoned: Option<Abandonment>,
}

/// The operator's abandonment of a round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Abandonment {
    /// When (Unix seconds).
    pub at: i64,
    /// The operator's reason, as the nodes are told.
    pub reason: String,
}

/// A durably stored submission. Stored compactly (see [`crate::store`]); records of older
/// versions, stored as JSON with the whole signed receipt, still read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredSubmission {
    /// The encoded `SignedMessage` exactly as received.
    pub message: Vec<u8>,
    /// The encoded signed receipt, as older versions stored it; empty in the compact format,
    /// where the receipt is signed again from the fields below (Ed25519 is deterministic, so the
    /// bytes are the same every time).
    #[serde(default)]
    pub receipt: Vec<u8>,
    /// SHA-256 of the submission payload bytes.
    pub payload_hash: Vec<u8>,
    /// The node's cohort attributes at the time of submission.
    pub attributes: CohortAttributes,
    /// When stored (Unix seconds).
    pub stored_at: i64,
    /// Acknowledged submissions of the round, this one included, when it was acknowledged (0 in
    /// records of older versions).
    #[serde(default)]
    pub acknowledged: u64,
    /// The round's acknowledged digest then (sum of SHA-256(signature) mod 2^256).
    #[serde(default)]
    pub acknowledged_digest: Vec<u8>,
    /// Number of the group commit that stored it (0 in records of older versions); the
    /// acknowledgement record names the last group commit of each round ([`crate::acks`]).
    #[serde(default)]
    pub seq: u64,
}

impl StoredSubmission {
    /// A new record of a checked submission, before the commit worker numbers it.
    pub fn new(
        message: Vec<u8>,
        payload_hash: Vec<u8>,
        attributes: CohortAttributes,
        stored_at: i64,
    ) -> StoredSubmission {
        StoredSubmission {
            message,
            receipt: Vec::new(),
            payload_hash,
            attributes,
            stored_at,
            acknowledged: 0,
            acknowledged_digest: Vec::new(),
            seq: 0,
        }
    }
}

/// A node's offer to be found for one path (peer matching).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredOffer {
    /// Raw public key of the offering node.
    pub node_key: Vec<u8>,
    /// Catalogue path id.
    pub path_id: String,
    /// Category key of the path.
    pub category: Category,
    /// Stage key.
    pub stage: Stage,
    /// Cohort attributes from the enrolment at the time of the offer.
    pub attributes: CohortAttributes,
    /// When stored (Unix seconds).
    pub offered_at: i64,
    /// Position in the order of offers and updates; ranks ties (most recent first).
    pub seq: u64,
}

/// State of a contact request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactStatus {
    /// Not answered.
    Pending,
    /// Accepted: cards are exchanged.
    Accepted,
    /// Declined (the requester keeps seeing "no answer yet").
    Declined,
    /// The offer behind it was withdrawn before an answer.
    Closed,
}

/// A contact request between two offering nodes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredRequest {
    /// Request id (random, hex).
    pub id: String,
    /// Raw key of the requesting node.
    pub requester: Vec<u8>,
    /// Raw key of the requested node.
    pub target: Vec<u8>,
    /// The requester's path.
    pub requester_path: String,
    /// The target's path.
    pub target_path: String,
    /// The requester's stage at the time of the request.
    pub requester_stage: Stage,
    /// The requester's cohort attributes at the time of the request.
    pub requester_attributes: CohortAttributes,
    /// The requester's X25519 key for this request.
    pub requester_key: Vec<u8>,
    /// When requested (Unix seconds).
    pub created_at: i64,
    /// Status.
    pub status: ContactStatus,
    /// When answered.
    pub answered_at: Option<i64>,
    /// The answerer's X25519 key (accept).
    pub answerer_key: Vec<u8>,
    /// The answerer's sealed card (accept).
    pub answerer_card: Vec<u8>,
    /// The requester's sealed card (sent after the accept).
    pub requester_card: Vec<u8>,
    /// The target declined this pair's request before (kept when a withdrawal closes it, so
    /// that a new request of the pair stays declined, silently).
    #[serde(default)]
    pub was_declined: bool,
}

/// A DKG ceremony registered by the operator (mode secure).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredCeremony {
    /// Threshold t.
    pub threshold: u32,
    /// Raw Ed25519 keys of the m trustees, in index order.
    pub trustee_keys: Vec<Vec<u8>>,
    /// When registered (Unix seconds).
    pub created_at: i64,
}

/// What the aggregator keeps of a closed secure round between its trustee phases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredAnnouncement {
    /// When the NOISE announcement was signed (Unix seconds).
    pub announced_at: i64,
    /// The announced cells' ciphertext sums without noise, cells × components
    /// (`sovbench_secure::bulletin::ciphertext_to_bytes`).
    pub sums: Vec<Vec<u8>>,
    /// Every cohort label of the contributors with its number of contributors.
    pub cohorts: Vec<(String, u32)>,
    /// SHA-256 of the contributors' submission signatures, sorted.
    pub signatures: Vec<Vec<u8>>,
}
