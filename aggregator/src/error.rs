//! The aggregator's error type and its one mapping to gRPC status codes. Every variant is named
//! in `impl From<AggError> for tonic::Status` (no catch-all arm), so that a new variant cannot
//! reach the wire without a deliberate code; `error/tests.rs` checks each variant's code.

use sovbench_core::cohort::CohortError;
use sovbench_core::display::echo;
use sovbench_core::envelope::EnvelopeError;
use sovbench_core::kv::KvError;
use sovbench_core::peers::{PeerError, MAX_SEALED_CARD};
use sovbench_core::vocab::Stage;
use tonic::Code;

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
    #[error("round {} does not exist", echo(.0))]
    UnknownRound(String),
    /// No round is open.
    #[error("no round is open")]
    NoOpenRound,
    /// The round is closed.
    #[error("round {} closed at {at}", echo(.round))]
    RoundClosed {
        /// Round id.
        round: String,
        /// When it closed (formatted).
        at: String,
    },
    /// The round is still open (for publishing).
    #[error("round {} is still open; close it before publishing", echo(.0))]
    RoundOpen(String),
    /// The submission's parameters differ from the round's.
    #[error("submission does not match round {}: {detail}", echo(.round))]
    ParamsMismatch {
        /// Round id.
        round: String,
        /// What differs.
        detail: String,
    },
    /// The node already submitted something else for this round.
    #[error("key {key} already submitted a different submission to round {}", echo(.round))]
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
    /// `init` was given an empty consortium name.
    #[error("the consortium name must not be empty")]
    EmptyConsortium,
    /// A key to enrol is not a raw Ed25519 public key; holds its length in bytes.
    #[error("public key must be 32 bytes (base64 of the raw Ed25519 key), got {0}")]
    BadPublicKey(usize),
    /// A key to enrol is 32 bytes but not a usable Ed25519 public key (off the curve,
    /// non-canonical, or of small order).
    #[error("refusing to enrol: {0}")]
    WeakPublicKey(EnvelopeError),
    /// A new round's id does not follow the grammar.
    #[error("round id {:?} must be {}", echo(.0), sovbench_core::ids::ID_RULE_EN)]
    BadRoundId(String),
    /// A new round's id is taken.
    #[error("round {} exists already", echo(.0))]
    RoundExists(String),
    /// A new round was asked for while this one is open.
    #[error("round {} is still open; close it first (one round is open at a time)", echo(.0))]
    AnotherRoundOpen(String),
    /// A new round names a metric the catalogue does not know.
    #[error("unknown metric {}; known: {known}", echo(.metric))]
    UnknownMetric {
        /// The metric id given.
        metric: String,
        /// The catalogue's metric ids, comma separated.
        known: String,
    },
    /// A new round names a metric twice.
    #[error("metric {} given twice", echo(.0))]
    DuplicateMetric(String),
    /// A new round's epsilon per release is not a positive number.
    #[error("epsilon per release must be a positive number, got {0}")]
    BadEpsilon(f64),
    /// A new round asks each node for more releases than it has metrics.
    #[error("releases per node ({releases}) exceeds the number of metrics ({metrics})")]
    TooManyReleases {
        /// Releases per node asked for.
        releases: u32,
        /// Metrics of the round.
        metrics: usize,
    },
    /// A new round's minimum cohort size k is below 2; holds the k given.
    #[error("minimum cohort size k must be at least 2")]
    MinCohortTooSmall(u32),
    /// A new round's closing time is not in the future; holds the closing time given.
    #[error("closing time must be in the future")]
    ClosesInThePast(i64),
    /// A peer message names a path outside the published path catalogue.
    #[error("{:?} is not a path of the published path catalogue", echo(.0))]
    UnknownPath(String),
    /// A peer offer names an unknown migration stage.
    #[error("unknown stage {:?}; stages: {stages}", echo(.0), stages = Stage::keys())]
    UnknownStage(String),
    /// A peer message's X25519 key field has the wrong length.
    #[error("{field} must be a 32-byte X25519 public key, got {len} bytes")]
    BadExchangeKey {
        /// The message field.
        field: &'static str,
        /// Its length in bytes.
        len: usize,
    },
    /// A sealed contact card is shorter than an empty sealed card or longer than the limit; holds
    /// its length in bytes.
    #[error("a sealed card must be 29 to {max} bytes, got {0}", max = MAX_SEALED_CARD)]
    BadCardSize(usize),
    /// A publication export lacks one of its string fields.
    #[error("export has no string field {0:?}")]
    ExportFieldMissing(&'static str),
    /// A publication export field is not valid base64.
    #[error("export field {field}: {detail}")]
    ExportFieldInvalid {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        detail: String,
    },
    /// No publication is available.
    #[error("no publication {}", echo(.0))]
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
    #[error("you do not offer {}; offer it first (`sovbench-node peers offer`)", echo(.0))]
    NotOffered(String),
    /// No listed peer has this pseudonym for the signer.
    #[error("no listed peer {} for you on {} (withdrawn, or not from your match list)", echo(.0), echo(.1))]
    UnknownPeer(String, String),
    /// No request with this id concerns the signer.
    #[error("no contact request {} for you", echo(.0))]
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
    #[error("contact request {}: {reason}", echo(.id))]
    RequestState {
        /// Request id.
        id: String,
        /// Why not.
        reason: String,
    },
    /// The store holds less or other than the acknowledgement record says was acknowledged
    /// (see [`crate::acks`]); the aggregator refuses to start.
    #[error(
        "round {round}: {detail}; the store is damaged (restore it from a backup, see \
         docs/OPERATIONS.md, \"The aggregator refuses to start\")"
    )]
    StoreDamaged {
        /// Round id.
        round: String,
        /// What differs.
        detail: String,
    },
    /// A round's submission record file disagrees with the store at start: damaged or missing
    /// before the committed end that sled holds, or of a round the store does not know; the
    /// aggregator refuses to start (with or without `acks.log`).
    #[error("{}", text::record_file(.round, .path, .problem, sovbench_core::i18n::Lang::En))]
    RecordFile {
        /// Round id (from the file's name when the store does not know the round).
        round: String,
        /// The file.
        path: String,
        /// What is wrong with it.
        problem: crate::store::logs::RecordProblem,
    },
    /// The acknowledgement record cannot be read.
    #[error("acknowledgement record {path}: {detail}")]
    AckRecord {
        /// The file.
        path: String,
        /// What is wrong.
        detail: String,
    },
    /// A new DKG ceremony's id, threshold or trustee keys are invalid.
    #[error("ceremony: {0}")]
    BadCeremony(String),
    /// A ceremony with this id exists already.
    #[error("ceremony {} exists already", echo(.0))]
    CeremonyExists(String),
    /// There is no ceremony with this id.
    #[error("ceremony {} does not exist", echo(.0))]
    UnknownCeremony(String),
    /// The ceremony has not produced an agreed committee yet.
    #[error("ceremony {}: {detail}", echo(.id))]
    CeremonyIncomplete {
        /// Ceremony id.
        id: String,
        /// What is missing.
        detail: String,
    },
    /// The signer is not the trustee the message needs.
    #[error("key {key} is not {role}")]
    NotTrustee {
        /// Fingerprint of the signer.
        key: String,
        /// What it should be, e.g. "trustee 2 of ceremony c1".
        role: String,
    },
    /// A trustee posted a different message where one is stored already.
    #[error("{0}; a different message was stored before (a post may only be repeated with identical bytes)")]
    TrusteeConflict(String),
    /// A trustee message is malformed or does not verify (noise, decryption shares, DKG steps).
    #[error("{0}")]
    BadTrusteeMessage(String),
    /// A new secure round does not fit together.
    #[error("mode secure: {0}")]
    BadSecureRound(String),
    /// An encrypted submission is malformed or its proofs do not verify.
    #[error("submission to round {} refused: {detail}", echo(.round))]
    BadEncryption {
        /// Round id.
        round: String,
        /// What is wrong.
        detail: String,
    },
    /// A secure submission repeats a ciphertext accepted before (a copy or a replay).
    #[error(
        "submission to round {} refused: it repeats a ciphertext accepted in round {}; \
         every ciphertext is accepted once",
        echo(.round),
        echo(.earlier)
    )]
    CopiedCiphertext {
        /// Round of the submission.
        round: String,
        /// Round in which the ciphertext was accepted.
        earlier: String,
    },
    /// The round was abandoned by the operator and will not be published.
    #[error("round {} was abandoned and will not be published: {reason}", echo(.round))]
    RoundAbandoned {
        /// Round id.
        round: String,
        /// The operator's reason.
        reason: String,
    },
    /// An operator request meant for another aggregator.
    #[error(
        "the operator request is meant for aggregator {meant}, this is {this}; \
         it is refused so that a request cannot be replayed at another aggregator"
    )]
    WrongAggregator {
        /// Fingerprint of the key the request names (or "none").
        meant: String,
        /// Fingerprint of this aggregator's key.
        this: String,
    },
    /// A secure round waits for its trustees (or the message comes in the wrong phase).
    #[error("round {}: {detail}", echo(.round))]
    TrusteePhase {
        /// Round id.
        round: String,
        /// The phase and what is missing, e.g. "waiting for trustees: noise 2 of 5 (3 needed)".
        detail: String,
    },
    /// No announcement is available.
    #[error("no announcement {}", echo(.0))]
    NoAnnouncement(String),
    /// An admin request is signed by a key that is no operator key.
    #[error(
        "key {0} is not an operator key of this aggregator (aggregator.key or operators.toml)"
    )]
    NotOperator(String),
    /// `operators.toml` cannot be used.
    #[error("{path}: {detail}")]
    BadOperators {
        /// The file.
        path: String,
        /// What is wrong.
        detail: String,
    },
    /// An operator command's argument is invalid (the command line's parse error).
    #[error("{0}")]
    BadCommand(String),
    /// A re-enrolment would change an enrolled key's attributes without `--update`.
    #[error("key {key} is enrolled as {was}; enrolling it as {now} changes its attributes (pass --update to change them)")]
    AttributesChanged {
        /// Fingerprint of the key.
        key: String,
        /// The enrolled name and cohort attributes.
        was: String,
        /// The requested ones.
        now: String,
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

/// What a client is told about an internal error.
pub const INTERNAL_MESSAGE: &str = "internal error (see the aggregator's log)";

impl AggError {
    /// Whether the error only says that there is nothing to do yet: a trustee asked for the
    /// pending announcement and none is there ([`AggError::NoAnnouncement`]). It is still
    /// NOT_FOUND on the wire, but counted and logged as idle, not as a refusal.
    pub fn is_nothing_to_do(&self) -> bool {
        matches!(self, AggError::NoAnnouncement(_))
    }
}

impl From<AggError> for tonic::Status {
    fn from(e: AggError) -> Self {
        let code = match &e {
            AggError::Envelope(inner) => envelope_code(inner),
            AggError::Peer(inner) => peer_code(inner),
            AggError::WrongKind { .. }
            | AggError::ParamsMismatch { .. }
            | AggError::EmptyConsortium
            | AggError::BadPublicKey(_)
            | AggError::WeakPublicKey(_)
            | AggError::BadRoundId(_)
            | AggError::RoundExists(_)
            | AggError::AnotherRoundOpen(_)
            | AggError::UnknownMetric { .. }
            | AggError::DuplicateMetric(_)
            | AggError::BadEpsilon(_)
            | AggError::TooManyReleases { .. }
            | AggError::MinCohortTooSmall(_)
            | AggError::ClosesInThePast(_)
            | AggError::UnknownPath(_)
            | AggError::UnknownStage(_)
            | AggError::BadExchangeKey { .. }
            | AggError::BadCardSize(_)
            | AggError::ExportFieldMissing(_)
            | AggError::ExportFieldInvalid { .. }
            | AggError::BadCeremony(_)
            | AggError::BadTrusteeMessage(_)
            | AggError::BadSecureRound(_)
            | AggError::BadEncryption { .. }
            | AggError::CopiedCiphertext { .. }
            | AggError::BadCommand(_) => Code::InvalidArgument,
            AggError::NotOperator(_) | AggError::WrongAggregator { .. } => Code::PermissionDenied,
            AggError::RoundAbandoned { .. } => Code::FailedPrecondition,
            AggError::AttributesChanged { .. } => Code::FailedPrecondition,
            AggError::UnknownKey(_) => Code::Unauthenticated,
            AggError::Revoked(_) | AggError::NotTrustee { .. } => Code::PermissionDenied,
            AggError::UnknownRound(_)
            | AggError::NoOpenRound
            | AggError::NoPublication(_)
            | AggError::NotOffered(_)
            | AggError::UnknownPeer(..)
            | AggError::UnknownRequest(_)
            | AggError::UnknownCeremony(_)
            | AggError::NoAnnouncement(_) => Code::NotFound,
            AggError::RoundClosed { .. }
            | AggError::RoundOpen(_)
            | AggError::RequestState { .. }
            | AggError::IssuedBeforeStart(..)
            | AggError::CeremonyIncomplete { .. }
            | AggError::TrusteePhase { .. } => Code::FailedPrecondition,
            AggError::Conflict { .. }
            | AggError::Replay(_)
            | AggError::CeremonyExists(_)
            | AggError::TrusteeConflict(_) => Code::AlreadyExists,
            AggError::TooLarge(..) | AggError::Busy | AggError::RateLimited { .. } => {
                Code::ResourceExhausted
            }
            AggError::ShuttingDown => Code::Unavailable,
            AggError::NotInitialised(_)
            | AggError::AlreadyInitialised(_)
            | AggError::Locked(_)
            | AggError::Storage(_)
            | AggError::Json(_)
            | AggError::Decode(_)
            | AggError::Cohort(_)
            | AggError::Io { .. }
            | AggError::AckRecord { .. }
            | AggError::BadOperators { .. } => Code::Internal,
            AggError::StoreDamaged { .. } | AggError::RecordFile { .. } => Code::DataLoss,
        };
        if code == Code::Internal {
            // The text may name the server's store path or key file: log it, do not send it.
            tracing::error!(error = %e, "internal error");
            return tonic::Status::new(code, INTERNAL_MESSAGE);
        }
        tonic::Status::new(code, e.to_string())
    }
}

/// The status code of a signature or envelope problem.
fn envelope_code(e: &EnvelopeError) -> Code {
    match e {
        EnvelopeError::Decode(_) | EnvelopeError::Version(..) | EnvelopeError::WrongKind { .. } => {
            Code::InvalidArgument
        }
        EnvelopeError::BadSignature(_)
        | EnvelopeError::BadSignerLength(_)
        | EnvelopeError::WeakKey { .. } => Code::Unauthenticated,
        // Our own key file and random generator: not the caller's fault.
        EnvelopeError::KeyFile { .. }
        | EnvelopeError::KeyExists(_)
        | EnvelopeError::KeyInvalid(_)
        | EnvelopeError::Random => Code::Internal,
    }
}

/// The status code of a malformed or stale peer message.
fn peer_code(e: &PeerError) -> Code {
    match e {
        PeerError::Card(_) | PeerError::BadKey | PeerError::Sealing | PeerError::NonceLength(_) => {
            Code::InvalidArgument
        }
        PeerError::Stale { .. } => Code::FailedPrecondition,
        PeerError::Random => Code::Internal,
    }
}

mod text;

#[cfg(test)]
mod tests;
