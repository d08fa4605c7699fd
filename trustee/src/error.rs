//! The trustee's one error type.

use sovbench_core::envelope::EnvelopeError;
use sovbench_core::kv::KvError;
use sovbench_secure::SecureError;

mod text;
mod tls;

pub(crate) use text::chain_text;
pub use tls::TlsProblem;

/// Everything that can go wrong in the trustee.
#[derive(Debug, thiserror::Error)]
pub enum TrusteeError {
    /// The data directory or a file in it could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// `init` found an existing trustee.
    #[error("{0} holds a trustee already; refusing to overwrite its key share")]
    Exists(String),
    /// `open` found no trustee.
    #[error("{0} holds no trustee; run `sovbench-trustee init` first")]
    NotInitialised(String),
    /// `trustee.toml` is missing a value or holds a bad one.
    #[error("configuration: {0}")]
    Config(String),
    /// A TLS setting of `trustee.toml` cannot be used; names the file and the setting.
    #[error("{}", .0.message(sovbench_core::i18n::Lang::En, &tls::TRUSTEE))]
    Tls(TlsProblem),
    /// The store failed or is locked by another process.
    #[error(transparent)]
    Store(#[from] KvError),
    /// Signing, verification or the key file.
    #[error(transparent)]
    Envelope(#[from] EnvelopeError),
    /// The cryptographic core refused something.
    #[error(transparent)]
    Secure(#[from] SecureError),
    /// The aggregator could not be reached.
    #[error("aggregator {url} unreachable: {reason}")]
    Unreachable {
        /// Its address.
        url: String,
        /// Why (transport error chain or gRPC status).
        reason: String,
    },
    /// The aggregator answered a call with a gRPC error status (for example `Unimplemented` from
    /// an aggregator without the trustee service).
    #[error("aggregator answered {call} with {code:?}: {message}")]
    Status {
        /// The RPC.
        call: &'static str,
        /// The gRPC status code.
        code: tonic::Code,
        /// The status text.
        message: String,
    },
    /// The aggregator's answer is not what it should be (wrong signer, wrong kind, wrong round).
    #[error("answer to {call}: {why}")]
    BadAnswer {
        /// The RPC.
        call: &'static str,
        /// What is wrong with it.
        why: String,
    },
    /// This trustee's key is not among the ceremony's or the committee's trustee keys.
    #[error("this trustee's key {0} is not in {1}")]
    NotAMember(String, String),
    /// A DKG board message or step that the trustee refuses.
    #[error("key generation {ceremony}: {why}")]
    Dkg {
        /// Ceremony id.
        ceremony: String,
        /// Why.
        why: String,
    },
    /// The trustee has no committee yet (run `dkg` first).
    #[error("no committee yet; run `sovbench-trustee dkg` first")]
    NoCommittee,
    /// A round's announcement, bulletin or noise set that the trustee refuses; nothing is posted.
    #[error("round {round} refused: {reason}")]
    Refusal {
        /// Round id.
        round: String,
        /// Which entry or cell, and why.
        reason: String,
    },
}

impl TrusteeError {
    /// An I/O error naming its path.
    pub fn io(path: &std::path::Path, source: std::io::Error) -> TrusteeError {
        TrusteeError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod tls_tests {
    use super::*;
    use sovbench_core::i18n::Lang;

    #[test]
    fn tls_errors_render_in_german_and_english_and_name_the_setting() {
        let e = TrusteeError::Tls(TlsProblem::Unreadable {
            setting: "aggregator_ca",
            path: "/t/ca.pem".into(),
            reason: "No such file or directory".into(),
        });
        let de = e.localised(Lang::De);
        assert!(
            de.contains("nicht lesbar") && de.contains("aggregator_ca in trustee.toml"),
            "{de}"
        );
        assert!(de.contains("/t/ca.pem"), "{de}");
        let en = e.localised(Lang::En);
        assert!(
            en.contains("cannot read") && en.contains("aggregator_ca in trustee.toml"),
            "{en}"
        );
        assert_eq!(e.to_string(), en);
        let plain = TrusteeError::Tls(TlsProblem::Plaintext {
            url: "http://agg.example".into(),
        });
        let de = plain.localised(Lang::De);
        assert!(
            de.contains("unverschlüsselt") && de.contains("allow_plaintext"),
            "{de}"
        );
        let hs = TrusteeError::Unreachable {
            url: "https://agg.example".into(),
            reason: "invalid peer certificate: UnknownIssuer".into(),
        };
        assert!(hs
            .localised(Lang::De)
            .contains("aggregator_ca in trustee.toml"));
        assert!(hs.localised(Lang::En).contains("TLS handshake"));
    }
}
