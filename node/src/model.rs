//! Records the node keeps about itself: profile, self-tests, ledger.

use serde::{Deserialize, Serialize};
use sovbench_core::cohort::{CohortAttributes, Kind, SizeClass};
use sovbench_core::selftest::Assessment;

/// The administration's profile, set by `init`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// Name of the administration.
    pub name: String,
    /// Kind of administration.
    pub kind: Kind,
    /// ISO 3166-2:DE code of the Bundesland.
    pub state: String,
    /// Population (territorial bodies) or staff count (others).
    pub size: u64,
    /// Size class that follows from kind and size.
    pub size_class: SizeClass,
    /// When the node was initialised (Unix seconds).
    pub created_at: i64,
}

impl Profile {
    /// The cohort attributes the aggregator should enrol this administration with.
    pub fn cohort(&self) -> CohortAttributes {
        CohortAttributes {
            kind: self.kind,
            state: self.state.clone(),
            size: self.size_class,
        }
    }
}

/// A stored self-test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssessmentRecord {
    /// When it was recorded (Unix microseconds).
    pub recorded_at_micros: u64,
    /// The five scores in the report's order.
    pub scores: [u8; 5],
}

impl AssessmentRecord {
    /// The validated assessment.
    pub fn assessment(&self) -> Option<Assessment> {
        Assessment::from_scores(self.scores.map(i64::from)).ok()
    }

    /// Recorded-at in Unix seconds.
    pub fn recorded_at(&self) -> i64 {
        (self.recorded_at_micros / 1_000_000) as i64
    }
}

/// Where a released submission stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Recorded and queued; not yet acknowledged.
    Pending,
    /// Acknowledged with a signed receipt.
    Delivered,
    /// Refused by the aggregator for good; still counted, since the bytes may have been seen.
    Refused,
}

impl DeliveryState {
    /// Localised name (the command line and the workplace say the same).
    pub fn label(self, lang: sovbench_core::i18n::Lang) -> &'static str {
        match self {
            DeliveryState::Pending => {
                lang.pick("ausstehend (im Postausgang)", "pending (in the outbox)")
            }
            DeliveryState::Delivered => {
                lang.pick("zugestellt, Quittung erhalten", "delivered, receipt kept")
            }
            DeliveryState::Refused => lang.pick("abgelehnt", "refused"),
        }
    }
}

/// One privatised value as it left (or will leave) the node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReleaseRecord {
    /// Metric id.
    pub metric: String,
    /// Mechanism name (`discrete_laplace`, `randomized_response_bool`, ...).
    pub mechanism: String,
    /// The noisy value exactly as sent (discrete Laplace: the integer; randomized response: 1/0
    /// or the category index).
    pub value: i64,
    /// Noise scale set by the privacy map (discrete Laplace).
    pub scale: f64,
    /// Probability of the truth (randomized response) or flip parameter f (bit vector).
    #[serde(default)]
    pub probability: f64,
    /// The noisy bits exactly as sent (bit vector).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bits: Vec<bool>,
    /// Epsilon charged by the privacy map.
    pub epsilon: f64,
}

impl ReleaseRecord {
    /// The ledger's copy of a release.
    pub fn from_release(r: &sovbench_core::pb::Release) -> ReleaseRecord {
        let mechanism = sovbench_core::catalogue::MechanismKind::from_pb(r.mechanism)
            .and_then(|m| serde_json::to_value(m).ok())
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_else(|| "unknown".to_string());
        ReleaseRecord {
            metric: r.metric.clone(),
            mechanism,
            value: r.value,
            scale: r.scale,
            probability: r.probability,
            bits: r.bits.clone(),
            epsilon: r.epsilon,
        }
    }
}

/// How a round collected the node's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseMode {
    /// Mode direct: noisy values (local differential privacy), listed in `releases`.
    #[default]
    Direct,
    /// Mode secure: true values encrypted to the trustee committee with range proofs; only noisy
    /// cohort sums are ever decrypted. Details in [`SecureRecord`].
    Secure,
}

impl ReleaseMode {
    /// Localised name.
    pub fn label(self, lang: sovbench_core::i18n::Lang) -> &'static str {
        match self {
            ReleaseMode::Direct => lang.pick("direkt (lokal verrauscht)", "direct (local noise)"),
            ReleaseMode::Secure => lang.pick(
                "sicher (verschlüsselt an das Treuhändergremium)",
                "secure (encrypted to the trustee committee)",
            ),
        }
    }
}

/// One metric's encrypted value as it left the node: only a hash of the bytes, never the value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EncryptedRecord {
    /// Metric id.
    pub metric: String,
    /// SHA-256 (hex) of the encrypted value's bytes exactly as sent (ciphertexts and proof).
    pub sha256: String,
}

/// What a release in mode secure went to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecureRecord {
    /// Hex SHA-256 of the committee document the values were encrypted to.
    pub committee_fingerprint: String,
    /// Committee size m.
    pub trustees: u32,
    /// Threshold t: trustees needed to decrypt anything.
    pub threshold: u32,
    /// Publication grid (`kind-size`, `all+kind-size`).
    pub grid: String,
    /// Per metric, the hash of the encrypted value sent.
    pub encrypted: Vec<EncryptedRecord>,
    /// Position of the submission in the round's bulletin, from the receipt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bulletin_position: Option<u64>,
    /// The bulletin's chain hash (hex) after the submission, from the receipt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bulletin_head: Option<String>,
}

/// One entry of the privacy ledger: everything one round released.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// Round id.
    pub round_id: String,
    /// When the release was recorded (Unix seconds); the budget year follows from it.
    pub recorded_at: i64,
    /// Total epsilon of the round's releases (mode direct: the sum over `releases`; mode secure:
    /// the round's epsilon for the whole submission).
    pub epsilon: f64,
    /// The released values.
    pub releases: Vec<ReleaseRecord>,
    /// SHA-256 (hex) of the exact signed payload bytes.
    pub payload_sha256: String,
    /// Delivery state.
    pub state: DeliveryState,
    /// Aggregator address it was sent to.
    pub aggregator: String,
    /// How the values were collected (entries written before mode secure are direct).
    #[serde(default)]
    pub mode: ReleaseMode,
    /// Mode secure: the committee and the hashes of the encrypted values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secure: Option<SecureRecord>,
}
