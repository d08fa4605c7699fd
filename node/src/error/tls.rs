//! The TLS problems of the node's link to the aggregator, in German and English: each names the
//! file and the setting of `node.toml` to fix (`aggregator_ca`, `client_cert`, `client_key`,
//! `aggregator_url`, `allow_plaintext`, or `sovbench-node config aggregator-ca FILE`).

use sovbench_core::i18n::Lang;

/// A TLS setting of `node.toml` that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsProblem {
    /// A file named by a setting cannot be read.
    Unreadable {
        /// The setting (`aggregator_ca`, `client_cert`, `client_key`).
        setting: &'static str,
        /// The file.
        path: String,
        /// The I/O error.
        reason: String,
    },
    /// A file named by a setting holds no PEM block of the expected kind.
    NotPem {
        /// The setting.
        setting: &'static str,
        /// The file.
        path: String,
    },
    /// tonic refused the TLS settings for the address.
    Settings {
        /// The aggregator's address.
        url: String,
        /// tonic's reason.
        reason: String,
    },
    /// Plaintext `http://` to an address that is not loopback, without `allow_plaintext`.
    Plaintext {
        /// The aggregator's address.
        url: String,
    },
}

/// What the file behind a setting must hold.
fn expected(setting: &str, lang: Lang) -> &'static str {
    match setting {
        "aggregator_ca" => lang.pick(
            "das CA-Zertifikat, das das Zertifikat des Aggregators signiert hat (PEM, -----BEGIN CERTIFICATE-----)",
            "the CA certificate that signed the aggregator's certificate (PEM, -----BEGIN CERTIFICATE-----)",
        ),
        "client_cert" => lang.pick(
            "das Client-Zertifikat des Knotens (PEM, -----BEGIN CERTIFICATE-----)",
            "the node's client certificate (PEM, -----BEGIN CERTIFICATE-----)",
        ),
        _ => lang.pick(
            "den privaten Schlüssel zum Client-Zertifikat (PEM, -----BEGIN … PRIVATE KEY-----)",
            "the private key of the client certificate (PEM, -----BEGIN … PRIVATE KEY-----)",
        ),
    }
}

impl TlsProblem {
    /// The problem in `lang`, naming the file and the setting to fix.
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (
                TlsProblem::Unreadable {
                    setting,
                    path,
                    reason,
                },
                Lang::De,
            ) => format!(
                "TLS: {setting} in node.toml: die Datei {path} ist nicht lesbar ({reason}); \
                 {setting} in node.toml korrigieren (relative Pfade gelten ab dem \
                 Datenverzeichnis){}",
                ca_command(setting, lang)
            ),
            (
                TlsProblem::Unreadable {
                    setting,
                    path,
                    reason,
                },
                Lang::En,
            ) => format!(
                "TLS: {setting} in node.toml: cannot read {path} ({reason}); correct {setting} \
                 in node.toml (relative paths start at the data directory){}",
                ca_command(setting, lang)
            ),
            (TlsProblem::NotPem { setting, path }, Lang::De) => format!(
                "TLS: {setting} in node.toml: {path} ist keine passende PEM-Datei; {setting} muss \
                 auf {} zeigen{}",
                expected(setting, lang),
                ca_command(setting, lang)
            ),
            (TlsProblem::NotPem { setting, path }, Lang::En) => format!(
                "TLS: {setting} in node.toml: {path} is not a suitable PEM file; {setting} must \
                 name {}{}",
                expected(setting, lang),
                ca_command(setting, lang)
            ),
            (TlsProblem::Settings { url, reason }, Lang::De) => format!(
                "TLS-Einstellungen für {url} (aggregator_ca, client_cert, client_key in \
                 node.toml) unbrauchbar: {reason}"
            ),
            (TlsProblem::Settings { url, reason }, Lang::En) => format!(
                "TLS settings for {url} (aggregator_ca, client_cert, client_key in node.toml) \
                 are unusable: {reason}"
            ),
            (TlsProblem::Plaintext { url }, Lang::De) => format!(
                "aggregator_url {url:?} in node.toml ist unverschlüsselt zu einer Adresse, die \
                 nicht Loopback ist: https:// verwenden (mit aggregator_ca, wenn die CA des \
                 Aggregators nicht im Vertrauensspeicher des Systems ist) oder \
                 allow_plaintext = true in node.toml setzen (nur in einem vertrauenswürdigen Netz)"
            ),
            (TlsProblem::Plaintext { url }, Lang::En) => format!(
                "aggregator_url {url:?} in node.toml is plaintext to an address that is not \
                 loopback: use https:// (with aggregator_ca if the aggregator's CA is not in the \
                 system's trust store), or set allow_plaintext = true in node.toml for a trusted \
                 network"
            ),
        }
    }
}

/// For `aggregator_ca`: the command that sets it and checks the file.
fn ca_command(setting: &str, lang: Lang) -> &'static str {
    if setting != "aggregator_ca" {
        return "";
    }
    lang.pick(
        ", oder `sovbench-node config aggregator-ca FILE` ausführen",
        ", or run `sovbench-node config aggregator-ca FILE`",
    )
}

/// For a failed connection to an `https://` address whose transport error points at TLS: the
/// hint to check `aggregator_ca` (the certificate is not trusted, or the handshake failed).
pub(crate) fn handshake_hint(url: &str, reason: &str, lang: Lang) -> Option<String> {
    let https = url
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("https://");
    let r = reason.to_ascii_lowercase();
    let tls = ["certificate", "handshake", "tls", "unknownissuer", "alert"]
        .iter()
        .any(|w| r.contains(w));
    (https && tls).then(|| match lang {
        Lang::De => format!(
            "TLS-Handshake mit dem Aggregator {url} fehlgeschlagen ({reason}): aggregator_ca in \
             node.toml muss die CA nennen, die das Zertifikat des Aggregators signiert hat \
             (`sovbench-node config aggregator-ca FILE`), und der Hostname in aggregator_url muss \
             im Zertifikat stehen; bei mTLS auch client_cert und client_key prüfen"
        ),
        Lang::En => format!(
            "TLS handshake with the aggregator {url} failed ({reason}): aggregator_ca in \
             node.toml must name the CA that signed the aggregator's certificate \
             (`sovbench-node config aggregator-ca FILE`), and the host name in aggregator_url must \
             be in the certificate; with mTLS also check client_cert and client_key"
        ),
    })
}
