//! What the peer-matching operations return for display: the outcome of an offer, match lists
//! with explained scores, and both directions of contact requests. Serialised as they are for
//! `--json`.

use serde::Serialize;
use sovbench_core::pb;
use sovbench_core::peers::ContactCard;

use super::model::StageSharing;

/// What `peers offer` or `peers confirm` did.
#[derive(Debug, Clone, Serialize)]
pub struct OfferReport {
    /// Catalogue path id.
    pub path_id: String,
    /// Stage sent.
    pub stage: String,
    /// Whether this replaced an earlier offer.
    pub updated: bool,
    /// When later stage changes may be sent.
    pub share_stage_changes: StageSharing,
}

/// What `peers withdraw` did.
#[derive(Debug, Clone, Serialize)]
pub struct WithdrawReport {
    /// Catalogue path id.
    pub path_id: String,
    /// The aggregator has not acknowledged the withdrawal yet: it is re-sent by `serve` and by
    /// every later command that talks to the aggregator, and the offer may still be listed.
    pub pending: bool,
    /// Why it is pending.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// One listed peer.
#[derive(Debug, Clone, Serialize)]
pub struct MatchView {
    /// Pseudonym (for this node and this path only).
    pub pseudonym: String,
    /// The peer's path.
    pub path_id: String,
    /// Whether it is this node's own path.
    pub same_path: bool,
    /// Stage key.
    pub stage: String,
    /// Kind key.
    pub kind: String,
    /// Size class key.
    pub size_class: String,
    /// Score.
    pub score: i32,
    /// Score parts: reason and points.
    pub parts: Vec<(String, i32)>,
    /// Whether a request to this peer was sent already.
    pub requested: bool,
}

/// The match list of one offered path.
#[derive(Debug, Clone, Serialize)]
pub struct PathMatches {
    /// Catalogue path id.
    pub path_id: String,
    /// Own stage as the aggregator has it.
    pub stage: String,
    /// Candidates before the limit.
    pub candidates: u32,
    /// The best matches.
    pub matches: Vec<MatchView>,
    /// Why there is no list, if the aggregator refused the query.
    pub problem: Option<String>,
}

/// An incoming request as shown to the user.
#[derive(Debug, Clone, Serialize)]
pub struct IncomingView {
    /// Request id (for `peers accept|decline`).
    pub request_id: String,
    /// Own path that the requester matched.
    pub path_id: String,
    /// Requester's pseudonym.
    pub pseudonym: String,
    /// Requester's path.
    pub requester_path_id: String,
    /// Requester's stage, kind and size class.
    pub stage: String,
    /// Kind key.
    pub kind: String,
    /// Size class key.
    pub size_class: String,
    /// When requested.
    pub requested_at: i64,
    /// `no_answer_yet`, `accepted` or `declined`.
    pub status: String,
    /// The requester's card, once exchanged.
    pub card: Option<ContactCard>,
    /// Why the card could not be opened, if it could not.
    pub problem: Option<String>,
}

/// An outgoing request as shown to the user.
#[derive(Debug, Clone, Serialize)]
pub struct OutgoingView {
    /// Request id.
    pub request_id: String,
    /// Own path.
    pub path_id: String,
    /// Peer's pseudonym.
    pub pseudonym: String,
    /// Peer's path.
    pub target_path_id: String,
    /// When requested.
    pub requested_at: i64,
    /// `no_answer_yet` (also after a decline) or `accepted`.
    pub status: String,
    /// The peer's card, once exchanged.
    pub card: Option<ContactCard>,
    /// Whether our own card has been handed over.
    pub own_card_sent: bool,
    /// Why the exchange could not be completed, if it could not.
    pub problem: Option<String>,
}

/// Both directions of contact requests.
#[derive(Debug, Clone, Serialize, Default)]
pub struct RequestsView {
    /// Requests to this node.
    pub incoming: Vec<IncomingView>,
    /// Requests from this node.
    pub outgoing: Vec<OutgoingView>,
}

pub(crate) fn status_key(s: i32) -> &'static str {
    match pb::RequestStatus::try_from(s) {
        Ok(pb::RequestStatus::Accepted) => "accepted",
        Ok(pb::RequestStatus::Declined) => "declined",
        _ => "no_answer_yet",
    }
}

pub(crate) fn reason_key(r: i32) -> String {
    pb::ScoreReason::try_from(r)
        .map(|r| {
            r.as_str_name()
                .trim_start_matches("SCORE_REASON_")
                .to_ascii_lowercase()
        })
        .unwrap_or_else(|_| "unspecified".into())
}
