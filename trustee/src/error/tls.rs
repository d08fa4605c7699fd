//! The TLS problems of the trustee's link to the aggregator, in German and English: each names
//! the file and the setting of `trustee.toml` to fix (`aggregator_ca`, `client_cert`,
//! `client_key`, `aggregator_url`, `allow_plaintext`). The texts are shared with the node
//! ([`sovbench_core::tls_text`]).

use sovbench_core::i18n::Lang;
use sovbench_core::tls_text::TlsClient;
pub use sovbench_core::tls_text::TlsProblem;

/// The trustee as the TLS texts name it.
pub const TRUSTEE: TlsClient = TlsClient {
    file: "trustee.toml",
    whose_de: "des Treuhänders",
    whose_en: "the trustee's",
    ca_command: Some("sovbench-trustee config aggregator-ca FILE"),
};

/// For a failed connection to an `https://` address whose transport error points at TLS: the
/// hint to check `aggregator_ca`.
pub(crate) fn handshake_hint(url: &str, reason: &str, lang: Lang) -> Option<String> {
    TRUSTEE.handshake_hint(url, reason, lang)
}
