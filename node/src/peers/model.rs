//! The peer-matching records a node stores: its offers with their contact cards, the contact
//! requests it sent (with their X25519 secrets) and the requests it answered. Plain data: this
//! module imports nothing from the rest of the node, so that the store can hold these records.

use serde::{Deserialize, Serialize};
use sovbench_core::peers::ContactCard;

/// The administration's offer for one path, with the card it hands out after a double yes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocalOffer {
    /// Catalogue path id.
    pub path_id: String,
    /// The local migration path behind it.
    pub migration_id: String,
    /// The stage last sent.
    pub stage: String,
    /// The contact card.
    pub card: ContactCard,
    /// When offered or last updated (Unix seconds).
    pub offered_at: i64,
    /// Whether the aggregator acknowledged the last offer.
    pub acknowledged: bool,
    /// A withdrawal has been decided (stored before it is sent, so that a crash in between
    /// never leads to offering the path again).
    #[serde(default)]
    pub withdrawing: bool,
}

/// A contact request this node sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutgoingContact {
    /// The node's own path.
    pub path_id: String,
    /// The peer's pseudonym.
    pub pseudonym: String,
    /// X25519 secret of this request (base64).
    pub secret: String,
    /// Request id, once acknowledged.
    pub request_id: Option<String>,
    /// When requested.
    pub created_at: i64,
    /// The node's own card at the time of the request.
    pub own_card: ContactCard,
    /// The node's card sealed to the peer (kept so that a retry sends the same bytes).
    pub sealed_own_card: Vec<u8>,
    /// Whether the aggregator has the sealed card.
    pub card_sent: bool,
    /// The peer's card, once received and opened.
    pub peer_card: Option<ContactCard>,
}

/// An incoming request this node answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncomingContact {
    /// Request id.
    pub request_id: String,
    /// The node's own path.
    pub path_id: String,
    /// Accepted or declined.
    pub accepted: bool,
    /// X25519 secret (accept only, base64).
    pub secret: Option<String>,
    /// Our card sealed to the requester (accept only).
    pub sealed_card: Vec<u8>,
    /// When answered.
    pub answered_at: i64,
    /// Whether the aggregator acknowledged the answer.
    pub acknowledged: bool,
    /// The requester's card, once received and opened.
    pub peer_card: Option<ContactCard>,
}
