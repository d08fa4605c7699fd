//! The TLS problems of the node's link to the aggregator, in German and English: each names the
//! file and the setting of `node.toml` to fix (`aggregator_ca`, `client_cert`, `client_key`,
//! `aggregator_url`, `allow_plaintext`, or `sovbench-node config aggregator-ca FILE`). The texts
//! are shared with the trustee ([`sovbench_core::tls_text`]).

use sovbench_core::i18n::Lang;
use sovbench_core::tls_text::TlsClient;
pub use sovbench_core::tls_text::TlsProblem;

/// The node as the TLS texts name it.
pub const NODE: TlsClient = TlsClient {
    file: "node.toml",
    whose_de: "des Knotens",
    whose_en: "the node's",
    ca_command: Some("sovbench-node config aggregator-ca FILE"),
};

/// For a failed connection to an `https://` address whose transport error points at TLS: the
/// hint to check `aggregator_ca`.
pub(crate) fn handshake_hint(url: &str, reason: &str, lang: Lang) -> Option<String> {
    NODE.handshake_hint(url, reason, lang)
}
