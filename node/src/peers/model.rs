//! The peer-matching records a node stores: its offers with their contact cards, the log of the
//! stages it sent, the contact requests it sent (with their X25519 secrets) and the requests it
//! answered. Plain data: this module imports nothing from the rest of the node, so that the store
//! can hold these records.

use serde::{Deserialize, Serialize};
use sovbench_core::peers::ContactCard;

/// When a changed stage of an offered path may leave the node (`peers offer
/// --share-stage-changes`). A roll-back is a stage change too: nothing about it is sent without
/// this consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StageSharing {
    /// Hold a changed stage until `peers confirm PATH` (or a new `peers offer PATH`).
    #[default]
    Ask,
    /// Send every stage change on the next contact with the aggregator.
    Always,
    /// Never send a stage change; the offer keeps the stage it was made with until offered again.
    Never,
}

impl StageSharing {
    /// The key used on the command line and in JSON.
    pub fn key(self) -> &'static str {
        match self {
            StageSharing::Ask => "ask",
            StageSharing::Always => "always",
            StageSharing::Never => "never",
        }
    }

    /// Parses `ask|always|never` (also German: `fragen|immer|nie`).
    pub fn parse(s: &str) -> Option<StageSharing> {
        match s.trim().to_lowercase().as_str() {
            "ask" | "fragen" => Some(StageSharing::Ask),
            "always" | "immer" => Some(StageSharing::Always),
            "never" | "nie" => Some(StageSharing::Never),
            _ => None,
        }
    }
}

/// Why a stage is sent (the `why` of a [`StageSent`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageSending {
    /// `peers offer`.
    Offer,
    /// `peers confirm`.
    Confirm,
    /// Automatically, by [`StageSharing::Always`].
    Always,
    /// An unacknowledged send repeated.
    Retry,
}

impl StageSending {
    /// The key logged.
    pub fn key(self) -> &'static str {
        match self {
            StageSending::Offer => "offer",
            StageSending::Confirm => "confirm",
            StageSending::Always => "always",
            StageSending::Retry => "retry",
        }
    }
}

/// One stage this node sent to the aggregator for an offered path (written before the message
/// is sent, marked acknowledged after): the administration's record of what it disclosed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageSent {
    /// Catalogue path id.
    pub path_id: String,
    /// The stage sent (key).
    pub stage: String,
    /// When it was sent (Unix seconds).
    pub sent_at: i64,
    /// Why: `offer` (offered), `confirm` (a held change confirmed), `always` (shared
    /// automatically by the offer's setting) or `retry` (an unacknowledged send repeated).
    pub why: String,
    /// Whether the aggregator acknowledged it (if not, it may still have received it).
    pub acknowledged: bool,
}

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
    /// A withdrawal has been decided and is pending until the aggregator acknowledges it
    /// (stored before it is sent, so that a crash or an unreachable aggregator never leaves the
    /// offer in force: `serve` and every later command that talks to the aggregator re-send it).
    #[serde(default)]
    pub withdrawing: bool,
    /// When a changed local stage may be sent.
    #[serde(default)]
    pub share_stage_changes: StageSharing,
    /// A changed local stage held back (waiting for `peers confirm`, or kept back for good).
    #[serde(default)]
    pub held_stage: Option<String>,
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
