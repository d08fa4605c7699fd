//! The node's error type, [`NodeError`]. Errors of the aggregator's answers come in through one
//! mapping from `tonic::Status` in [`crate::link`]; storage errors through
//! `From<KvError>`. Every variant has an English message (`Display`) and a German one
//! ([`NodeError::localised`]); [`localised_chain`] is the line the command line prints.

use sovbench_core::cohort::CohortError;
use sovbench_core::envelope::EnvelopeError;
use sovbench_core::i18n::Lang;
use sovbench_core::kv::KvError;
use sovbench_core::peers::PeerError;
use sovbench_core::selftest::AssessmentError;

mod de;
mod tls;

pub use tls::TlsProblem;

/// Everything that can go wrong on a node.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// No node has been initialised in the data directory.
    #[error("no node in {0}; run `sovbench-node init` first")]
    NotInitialised(String),
    /// `init` found an existing node.
    #[error("a node is already initialised in {0}; refusing to overwrite its identity")]
    AlreadyInitialised(String),
    /// Another process holds the store.
    #[error(
        "the store {0} is in use by another sovbench-node process: a running `sovbench-node serve` \
         holds it only for a moment per cycle, so this is another command, or a daemon of an \
         older version; try again, or stop that process"
    )]
    Locked(String),
    /// The storage engine failed.
    #[error("storage: {0}")]
    Storage(String),
    /// A stored record could not be (de)serialised.
    #[error("stored record: {0}")]
    Json(#[from] serde_json::Error),
    /// A stored or received message could not be decoded.
    #[error("message decoding: {0}")]
    Decode(#[from] prost::DecodeError),
    /// Signing or verifying failed.
    #[error(transparent)]
    Envelope(#[from] EnvelopeError),
    /// The self-test answers are invalid.
    #[error("self-test: {0}")]
    Assessment(#[from] AssessmentError),
    /// Invalid profile attribute.
    #[error(transparent)]
    Cohort(#[from] CohortError),
    /// The configuration is invalid or incomplete.
    #[error("configuration: {0}")]
    Config(String),
    /// A TLS setting of `node.toml` cannot be used; names the file and the setting.
    #[error("{}", .0.message(Lang::En, &tls::NODE))]
    Tls(TlsProblem),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// An account or password is not acceptable.
    #[error(transparent)]
    People(#[from] crate::people::PeopleError),
    /// Submitting needs a self-test.
    #[error("no self-test recorded yet; run `sovbench-node assess` first")]
    NoAssessment,
    /// The round asks for inventory metrics and there is no inventory.
    #[error("no system inventory recorded yet; add systems with `sovbench-node inventory add` or `inventory import`")]
    NoInventory,
    /// A round asks for more than the node's privacy policy allows.
    #[error(
        "round {round} refused by the privacy policy: {parameter} is {value}, the policy allows \
         {limit} (set by {} in node.toml)",
        policy_setting(parameter)
    )]
    Policy {
        /// Round id.
        round: String,
        /// Name of the parameter.
        parameter: &'static str,
        /// The round's value.
        value: String,
        /// The policy's limit.
        limit: String,
    },
    /// The round is inconsistent with this node's catalogue or protocol.
    #[error("round {round} is not acceptable: {reason}")]
    BadRound {
        /// Round id.
        round: String,
        /// What is wrong.
        reason: String,
    },
    /// A round in mode secure names a trustee committee, and `node.toml` pins none.
    #[error(
        "round {round} encrypts to the trustee committee {fingerprint} ({threshold} of {size}), \
         but node.toml pins no committee: check this fingerprint with the consortium out of band \
         (not through the aggregator), then set committee_fingerprint = \"{fingerprint}\" in \
         node.toml (or run `sovbench-node config committee {fingerprint}`)"
    )]
    CommitteeNotPinned {
        /// Round id.
        round: String,
        /// Hex SHA-256 of the round's committee document.
        fingerprint: String,
        /// Threshold t.
        threshold: u32,
        /// Committee size m.
        size: u32,
    },
    /// A round in mode secure names another committee than the one pinned in `node.toml`.
    #[error(
        "round {round} encrypts to the trustee committee {got}, but committee_fingerprint in \
         node.toml is {expected}: nothing is encrypted to another committee; ask the consortium \
         out of band which committee is right and change committee_fingerprint in node.toml \
         only if it confirms {got}"
    )]
    WrongCommittee {
        /// Round id.
        round: String,
        /// The pinned fingerprint (hex).
        expected: String,
        /// The round's fingerprint (hex).
        got: String,
    },
    /// Encrypting a value for a round in mode secure failed.
    #[error("encryption (mode secure): {0}")]
    Secure(#[from] sovbench_secure::SecureError),
    /// The node has already released values for this round.
    #[error("values for round {0} have already been released; see `sovbench-node status`")]
    AlreadyReleased(String),
    /// The aggregator says this node's key is not enrolled (or was revoked): nothing was
    /// recorded and no budget spent.
    #[error(
        "the aggregator has {} this node's key (fingerprint {fingerprint}); nothing was released \
         and no privacy budget spent: give the public key and fingerprint from `sovbench-node \
         status` to the aggregator's operator for `sovbench-aggregator enrol`, and check \
         aggregator_url in node.toml",
        if *revoked { "revoked" } else { "not enrolled" }
    )]
    NotEnrolled {
        /// Fingerprint of the node's key.
        fingerprint: String,
        /// The key was enrolled and has been revoked.
        revoked: bool,
    },
    /// The aggregator has no open round.
    #[error("the aggregator has no open round")]
    NoOpenRound,
    /// A message claims to come from the aggregator but is signed by another key than the one
    /// pinned in `node.toml`.
    #[error("the aggregator answered with key {got}, but aggregator_key in node.toml is {expected}: check aggregator_key in node.toml (the operator's `sovbench-aggregator key` prints the right one) and aggregator_url")]
    WrongAggregatorKey {
        /// Fingerprint of the pinned key.
        expected: String,
        /// Fingerprint of the key that signed.
        got: String,
    },
    /// The aggregator could not be reached.
    #[error("aggregator {url} unreachable: {reason}")]
    Unreachable {
        /// Address.
        url: String,
        /// Transport error.
        reason: String,
    },
    /// The aggregator answered with an error.
    #[error("aggregator refused: {code:?}: {message}")]
    Refused {
        /// The gRPC status code.
        code: tonic::Code,
        /// Its message.
        message: String,
    },
    /// The aggregator's answer is not what the protocol promises.
    #[error("aggregator answer rejected: {0}")]
    BadAnswer(String),
    /// The publication of a round this node took part in does not count the node's submission,
    /// although the aggregator acknowledged it with a signed receipt.
    #[error(
        "the publication of round {round} does not count this node's submission, which the \
         aggregator acknowledged (signature hash {signature}); keep the receipt and report this \
         to the aggregator's operator"
    )]
    NotInPublication {
        /// Round id.
        round: String,
        /// SHA-256 of the node's signature (hex, first 8 bytes).
        signature: String,
    },
    /// The latest publication the aggregator offers is older than what this node has seen or
    /// than a closed round it took part in (an old publication replayed, or one not yet made).
    #[error("the aggregator offers the publication of round {got} as the latest, but {newer}; use `compare --round {got}` to look at it anyway")]
    StalePublication {
        /// The round of the publication offered.
        got: String,
        /// What makes it stale.
        newer: String,
    },
    /// Peer matching: a local precondition or a card problem.
    #[error("peers: {0}")]
    Peers(String),
    /// OpenDP refused to build or run a measurement.
    #[error("privatisation of {metric}: {reason}")]
    Privacy {
        /// Metric id.
        metric: String,
        /// OpenDP's message.
        reason: String,
    },
}

/// The `node.toml` setting behind a policy limit, for [`NodeError::Policy`].
fn policy_setting(parameter: &str) -> &'static str {
    match parameter {
        "minimum cohort size k" => "[privacy] min_cohort",
        "epsilon per round" => "[privacy] max_epsilon_per_round",
        "epsilon in the last 365 days" => "[privacy] max_epsilon_per_year",
        "epsilon over the node's lifetime" => "[privacy] max_epsilon_lifetime",
        "committee size m" => "[privacy] min_trustees",
        "threshold t" => "[privacy] min_threshold",
        _ => "the [privacy] section",
    }
}

impl From<KvError> for NodeError {
    fn from(e: KvError) -> Self {
        match e {
            KvError::Locked(path) => NodeError::Locked(path.display().to_string()),
            KvError::Engine(reason) => NodeError::Storage(reason),
            KvError::Decode(reason) => {
                NodeError::Storage(format!("stored value does not decode: {reason}"))
            }
        }
    }
}

impl From<PeerError> for NodeError {
    fn from(e: PeerError) -> Self {
        NodeError::Peers(e.to_string())
    }
}

impl NodeError {
    /// Whether the error is worth retrying later (the aggregator was unreachable or overloaded).
    pub fn is_transient(&self) -> bool {
        matches!(self, NodeError::Unreachable { .. })
    }

    /// The error in `lang`: for [`Lang::De`] the German text (every variant has one), for
    /// [`Lang::En`] the English message; for a failed TLS handshake with the aggregator, in
    /// both languages, the hint that names `aggregator_ca`.
    pub fn localised(&self, lang: Lang) -> String {
        match lang {
            Lang::De => de::german(self),
            Lang::En => match self {
                NodeError::Unreachable { url, reason } => {
                    tls::handshake_hint(url, reason, lang).unwrap_or_else(|| self.to_string())
                }
                _ => self.to_string(),
            },
        }
    }
}

/// An error and its causes as one line in `lang`, as the command line prints it: like
/// [`sovbench_core::display::error_chain`] (`context: cause: cause`, leaving out a cause whose
/// text the line already holds), with every [`NodeError`] of the chain in its localised text,
/// so the context lines of an `anyhow` chain stay in front of the localised node error.
pub fn localised_chain(err: &(dyn std::error::Error + 'static), lang: Lang) -> String {
    let mut line = String::new();
    let mut cause = Some(err);
    while let Some(c) = cause {
        let text = match c.downcast_ref::<NodeError>() {
            Some(n) => n.localised(lang),
            None => c.to_string(),
        };
        if line.is_empty() {
            line = text;
        } else if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        cause = c.source();
    }
    line
}

#[cfg(test)]
mod tests;
