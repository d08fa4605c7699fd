//! The trustee's errors as the operator reads them, in German or English. The English text is
//! the `Display` of [`TrusteeError`]; the German text keeps every id, count, path and the
//! `trustee.toml` setting or command to fix. Every variant is named (no catch-all arm), so that a
//! new variant cannot go without a German text.

use sovbench_core::i18n::Lang;
use sovbench_core::kv::KvError;

use super::{tls, TrusteeError};

impl TrusteeError {
    /// The error in `lang`. TLS problems name the file and the `trustee.toml` setting; a failed
    /// TLS handshake with the aggregator names `aggregator_ca`; in English the others are their
    /// `Display`.
    pub fn localised(&self, lang: Lang) -> String {
        match self {
            TrusteeError::Tls(p) => p.message(lang, &tls::TRUSTEE),
            TrusteeError::Unreachable { url, reason } => tls::handshake_hint(url, reason, lang)
                .unwrap_or_else(|| match lang {
                    Lang::De => format!("Aggregator {url} nicht erreichbar: {reason}"),
                    Lang::En => self.to_string(),
                }),
            _ if lang == Lang::En => self.to_string(),
            other => other.german(),
        }
    }

    /// The German text of every variant.
    fn german(&self) -> String {
        match self {
            TrusteeError::Io { path, source } => {
                format!("Datei {path} nicht lesbar oder schreibbar: {source}")
            }
            TrusteeError::Exists(dir) => format!(
                "in {dir} ist bereits ein Treuhänder angelegt; sein Schlüsselanteil wird nicht \
                 überschrieben"
            ),
            TrusteeError::NotInitialised(dir) => format!(
                "in {dir} ist kein Treuhänder angelegt; zuerst `sovbench-trustee init` ausführen"
            ),
            TrusteeError::Config(detail) => format!("Konfiguration (trustee.toml): {detail}"),
            TrusteeError::Tls(p) => p.message(Lang::De, &tls::TRUSTEE),
            TrusteeError::Store(e) => store_german(e),
            TrusteeError::Envelope(e) => e.localised(Lang::De),
            TrusteeError::Secure(e) => format!("der Kryptokern lehnt ab: {e}"),
            TrusteeError::Unreachable { url, reason } => {
                format!("Aggregator {url} nicht erreichbar: {reason}")
            }
            TrusteeError::Status {
                call,
                code,
                message,
            } => format!("der Aggregator beantwortet {call} mit {code:?}: {message}"),
            TrusteeError::BadAnswer { call, why } => {
                format!("ungültige Antwort auf {call}: {why}")
            }
            TrusteeError::NotAMember(key, what) => {
                format!("der Schlüssel {key} dieses Treuhänders ist nicht in {what}")
            }
            TrusteeError::Dkg { ceremony, why } => {
                format!("Schlüsselerzeugung {ceremony}: {why}")
            }
            TrusteeError::NoCommittee => {
                "noch kein Treuhändergremium; zuerst `sovbench-trustee dkg` ausführen".to_string()
            }
            TrusteeError::Refusal { round, reason } => {
                format!("Runde {round} abgelehnt: {reason}")
            }
        }
    }
}

/// A store error in German.
fn store_german(e: &KvError) -> String {
    match e {
        KvError::Locked(path) => format!(
            "der Speicher {} wird von einem anderen Prozess benutzt (läuft \
             `sovbench-trustee serve`?)",
            path.display()
        ),
        KvError::Engine(detail) => format!("Speicher: {detail}"),
        KvError::Decode(detail) => format!("gespeicherter Wert nicht dekodierbar: {detail}"),
    }
}

/// An error of the command line as the operator reads it: the trustee's own error in `lang`
/// (after any context around it), other errors as their cause chain.
pub(crate) fn chain_text(e: &anyhow::Error, lang: Lang) -> String {
    let mut line = String::new();
    for link in e.chain() {
        let text = match link.downcast_ref::<TrusteeError>() {
            Some(t) => t.localised(lang),
            None => link.to_string(),
        };
        if !line.contains(&text) {
            if !line.is_empty() {
                line.push_str(": ");
            }
            line.push_str(&text);
        }
        if link.is::<TrusteeError>() {
            // Its text holds its causes already.
            break;
        }
    }
    line
}
