//! The aggregator's error type and its one mapping to gRPC status codes.

use sovbench_core::cohort::CohortError;
use sovbench_core::envelope::EnvelopeError;
use sovbench_core::kv::KvError;
use sovbench_core::peers::PeerError;

/// Everything that can go wrong in the aggregator.
#[derive(Debug, thiserror::Error)]
pub enum AggError {
    /// No aggregator has been initialised in the data directory.
    #[error("no aggregator in {0}; run `sovbench-aggregator init` first")]
    NotInitialised(String),
    /// `init` found an existing aggregator.
    #[error("an aggregator is already initialised in {0}; refusing to overwrite its key")]
    AlreadyInitialised(String),
    /// Another process holds the store.
    #[error(
        "the store {0} is in use by another process (is `sovbench-aggregator serve` running?)"
    )]
    Locked(String),
    /// The storage engine failed.
    #[error("storage: {0}")]
    Storage(String),
    /// A stored record could not be (de)serialised.
    #[error("stored record: {0}")]
    Json(#[from] serde_json::Error),
    /// A stored message could not be decoded.
    #[error("message decoding: {0}")]
    Decode(#[from] prost::DecodeError),
    /// Signature or envelope problem.
    #[error(transparent)]
    Envelope(#[from] EnvelopeError),
    /// Invalid cohort attribute.
    #[error(transparent)]
    Cohort(#[from] CohortError),
    /// The signer is not enrolled.
    #[error("key {0} is not enrolled in this consortium")]
    UnknownKey(String),
    /// The signer's enrolment was revoked.
    #[error("key {0} was revoked")]
    Revoked(String),
    /// The message is of the wrong kind for this call.
    #[error("expected a {expected} message, got a {got}")]
    WrongKind {
        /// Expected kind.
        expected: &'static str,
        /// Received kind.
        got: &'static str,
    },
    /// There is no round with that id.
    #[error("round {0} does not exist")]
    UnknownRound(String),
    /// No round is open.
    #[error("no round is open")]
    NoOpenRound,
    /// The round is closed.
    #[error("round {round} closed at {at}")]
    RoundClosed {
        /// Round id.
        round: String,
        /// When it closed (formatted).
        at: String,
    },
    /// The round is still open (for publishing).
    #[error("round {0} is still open; close it before publishing")]
    RoundOpen(String),
    /// The submission's parameters differ from the round's.
    #[error("submission does not match round {round}: {detail}")]
    ParamsMismatch {
        /// Round id.
        round: String,
        /// What differs.
        detail: String,
    },
    /// The node already submitted something else for this round.
    #[error("key {key} already submitted a different submission to round {round}")]
    Conflict {
        /// Fingerprint of the node.
        key: String,
        /// Round id.
        round: String,
    },
    /// The message exceeds the size limit.
    #[error("message of {0} bytes exceeds the limit of {1} bytes")]
    TooLarge(usize, usize),
    /// The commit queue is full.
    #[error("aggregator busy, try again shortly")]
    Busy,
    /// The commit worker has stopped.
    #[error("aggregator is shutting down")]
    ShuttingDown,
    /// A round or enrolment request is invalid.
    #[error("{0}")]
    Invalid(String),
    /// No publication is available.
    #[error("no publication {0}")]
    NoPublication(String),
    /// A peer message is malformed or outside the replay window.
    #[error(transparent)]
    Peer(#[from] PeerError),
    /// The same signed peer message (same nonce) arrived before.
    #[error("replayed message: this nonce of key {0} was seen before")]
    Replay(String),
    /// A query signed before this aggregator process started: its nonce may have been seen by
    /// the previous process without being stored (queries are not committed).
    #[error("query issued at {0}, before the aggregator started at {1}; send a new one")]
    IssuedBeforeStart(i64, i64),
    /// The signer has no offer for the path it asks about.
    #[error("you do not offer {0}; offer it first (`sovbench-node peers offer`)")]
    NotOffered(String),
    /// No listed peer has this pseudonym for the signer.
    #[error("no listed peer {0} for you on {1} (withdrawn, or not from your match list)")]
    UnknownPeer(String, String),
    /// No request with this id concerns the signer.
    #[error("no contact request {0} for you")]
    UnknownRequest(String),
    /// The signer sent too many contact requests.
    #[error(
        "at most {limit} contact requests per node within 24 hours; the next is possible at {next}"
    )]
    RateLimited {
        /// Requests per 24 hours.
        limit: u32,
        /// When the next is possible (formatted).
        next: String,
    },
    /// The request cannot take this step in its state.
    #[error("contact request {id}: {reason}")]
    RequestState {
        /// Request id.
        id: String,
        /// Why not.
        reason: String,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
}

impl From<KvError> for AggError {
    fn from(e: KvError) -> Self {
        match e {
            KvError::Locked(path) => AggError::Locked(path.display().to_string()),
            KvError::Engine(detail) => AggError::Storage(detail),
            KvError::Decode(detail) => {
                AggError::Storage(format!("stored value does not decode: {detail}"))
            }
        }
    }
}

impl From<AggError> for tonic::Status {
    fn from(e: AggError) -> Self {
        use tonic::Code;
        let code = match &e {
            AggError::Envelope(EnvelopeError::Decode(_))
            | AggError::Envelope(EnvelopeError::Version(..))
            | AggError::Envelope(EnvelopeError::WrongKind { .. })
            | AggError::WrongKind { .. }
            | AggError::ParamsMismatch { .. }
            | AggError::Invalid(_)
            | AggError::Peer(PeerError::Card(_))
            | AggError::Peer(PeerError::BadKey)
            | AggError::Peer(PeerError::Sealing)
            | AggError::Peer(PeerError::NonceLength(_)) => Code::InvalidArgument,
            AggError::Peer(PeerError::Stale { .. })
            | AggError::RequestState { .. }
            | AggError::IssuedBeforeStart(..) => Code::FailedPrecondition,
            AggError::Replay(_) => Code::AlreadyExists,
            AggError::UnknownPeer(..) | AggError::UnknownRequest(_) | AggError::NotOffered(_) => {
                Code::NotFound
            }
            AggError::RateLimited { .. } => Code::ResourceExhausted,
            AggError::Envelope(EnvelopeError::BadSignature(_))
            | AggError::Envelope(EnvelopeError::BadSignerLength(_))
            | AggError::UnknownKey(_) => Code::Unauthenticated,
            AggError::Revoked(_) => Code::PermissionDenied,
            AggError::UnknownRound(_) | AggError::NoOpenRound | AggError::NoPublication(_) => {
                Code::NotFound
            }
            AggError::RoundClosed { .. } | AggError::RoundOpen(_) => Code::FailedPrecondition,
            AggError::Conflict { .. } => Code::AlreadyExists,
            AggError::TooLarge(..) | AggError::Busy => Code::ResourceExhausted,
            AggError::ShuttingDown => Code::Unavailable,
            _ => Code::Internal,
        };
        if code == Code::Internal {
            tracing::error!(error = %e, "internal error");
        }
        tonic::Status::new(code, e.to_string())
    }
}
