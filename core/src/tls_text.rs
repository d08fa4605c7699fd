//! The TLS problems of a client's link to the aggregator (the node, a trustee), in German and
//! English: each names the file and the setting of the client's configuration file to fix
//! (`aggregator_ca`, `client_cert`, `client_key`, `aggregator_url`, `allow_plaintext`). The
//! client is described by a [`TlsClient`], so that both programs share one text.

use std::path::{Path, PathBuf};

use tonic::transport::{Certificate, ClientTlsConfig, Identity};

use crate::i18n::Lang;

/// The client whose configuration a text names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TlsClient {
    /// Its configuration file, e.g. `node.toml`.
    pub file: &'static str,
    /// Genitive in German, e.g. "des Knotens".
    pub whose_de: &'static str,
    /// Possessive in English, e.g. "the node's".
    pub whose_en: &'static str,
    /// A command that sets `aggregator_ca` and checks the file, if the client has one.
    pub ca_command: Option<&'static str>,
}

/// A TLS setting of the client's configuration that cannot be used.
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

impl TlsClient {
    /// What the file behind a setting must hold.
    fn expected(&self, setting: &str, lang: Lang) -> String {
        match (setting, lang) {
            ("aggregator_ca", _) => lang
                .pick(
                    "das CA-Zertifikat, das das Zertifikat des Aggregators signiert hat (PEM, -----BEGIN CERTIFICATE-----)",
                    "the CA certificate that signed the aggregator's certificate (PEM, -----BEGIN CERTIFICATE-----)",
                )
                .to_string(),
            ("client_cert", Lang::De) => format!(
                "das Client-Zertifikat {} (PEM, -----BEGIN CERTIFICATE-----)",
                self.whose_de
            ),
            ("client_cert", Lang::En) => format!(
                "{} client certificate (PEM, -----BEGIN CERTIFICATE-----)",
                self.whose_en
            ),
            _ => lang
                .pick(
                    "den privaten Schlüssel zum Client-Zertifikat (PEM, -----BEGIN … PRIVATE KEY-----)",
                    "the private key of the client certificate (PEM, -----BEGIN … PRIVATE KEY-----)",
                )
                .to_string(),
        }
    }

    /// For `aggregator_ca`: the command that sets it, if the client has one.
    fn ca_command(&self, setting: &str, lang: Lang) -> String {
        match (self.ca_command, setting) {
            (Some(cmd), "aggregator_ca") => match lang {
                Lang::De => format!(", oder `{cmd}` ausführen"),
                Lang::En => format!(", or run `{cmd}`"),
            },
            _ => String::new(),
        }
    }

    /// For a failed connection to an `https://` address whose transport error points at TLS:
    /// when the aggregator refused the client's certificate (mTLS, [`refused_client_cert`]), the
    /// text naming `client_cert` and `client_key`; otherwise the hint to check `aggregator_ca`
    /// (the certificate is not trusted, or the handshake failed). `None` for other errors.
    pub fn handshake_hint(&self, url: &str, reason: &str, lang: Lang) -> Option<String> {
        let https = url
            .trim_start()
            .to_ascii_lowercase()
            .starts_with("https://");
        if https && refused_client_cert(reason) {
            return Some(self.client_cert_refused(url, reason, lang));
        }
        let r = reason.to_ascii_lowercase();
        let tls = ["certificate", "handshake", "tls", "unknownissuer", "alert"]
            .iter()
            .any(|w| r.contains(w));
        let file = self.file;
        let how = match (self.ca_command, lang) {
            (Some(cmd), _) => format!("`{cmd}`"),
            (None, Lang::De) => "relativ zum Datenverzeichnis".to_string(),
            (None, Lang::En) => "relative to the data directory".to_string(),
        };
        (https && tls).then(|| match lang {
            Lang::De => format!(
                "TLS-Handshake mit dem Aggregator {url} fehlgeschlagen ({reason}): aggregator_ca \
                 in {file} muss die CA nennen, die das Zertifikat des Aggregators signiert hat \
                 ({how}), und der Hostname in aggregator_url muss im Zertifikat stehen; bei mTLS \
                 auch client_cert und client_key prüfen"
            ),
            Lang::En => format!(
                "TLS handshake with the aggregator {url} failed ({reason}): aggregator_ca in \
                 {file} must name the CA that signed the aggregator's certificate ({how}), and \
                 the host name in aggregator_url must be in the certificate; with mTLS also \
                 check client_cert and client_key"
            ),
        })
    }
}

impl TlsClient {
    /// The aggregator refused the client's certificate: none was configured, or it is not
    /// signed by the CA the aggregator accepts for clients.
    fn client_cert_refused(&self, url: &str, reason: &str, lang: Lang) -> String {
        let file = self.file;
        match lang {
            Lang::De => format!(
                "der Aggregator {url} hat das Client-Zertifikat {} abgelehnt (er verlangt mTLS; \
                 {reason}): client_cert und client_key in {file} müssen ein Client-Zertifikat, \
                 das von der CA signiert ist, die der Aggregator für Clients annimmt (seine \
                 --client-ca), und dessen privaten Schlüssel nennen (PEM; relative Pfade gelten \
                 ab dem Datenverzeichnis)",
                self.whose_de
            ),
            Lang::En => format!(
                "the aggregator {url} refused {} client certificate (it requires mTLS; \
                 {reason}): client_cert and client_key in {file} must name a client certificate \
                 signed by the CA the aggregator accepts for clients (its --client-ca) and its \
                 private key (PEM; relative paths start at the data directory)",
                self.whose_en
            ),
        }
    }
}

/// The TLS alerts (rustls's names) with which a server refuses a client's certificate: none was
/// sent (`CertificateRequired`, TLS 1.3), or it is not signed by a CA the server accepts, has
/// expired, or is otherwise unusable.
const CLIENT_CERT_ALERTS: [&str; 8] = [
    "CertificateRequired",
    "BadCertificate",
    "UnknownCA",
    "CertificateExpired",
    "CertificateRevoked",
    "CertificateUnknown",
    "UnsupportedCertificate",
    "AccessDenied",
];

/// Whether a transport error's text says that the server refused the client's certificate: a
/// *received* fatal alert of [`CLIENT_CERT_ALERTS`] (a certificate the client itself refuses,
/// the server's, is reported by rustls as "invalid peer certificate" instead).
pub fn refused_client_cert(reason: &str) -> bool {
    reason
        .split("received fatal alert: ")
        .skip(1)
        .any(|rest| CLIENT_CERT_ALERTS.iter().any(|a| rest.starts_with(a)))
}

impl TlsProblem {
    /// The problem in `lang` for `client`, naming the file and the setting to fix.
    pub fn message(&self, lang: Lang, client: &TlsClient) -> String {
        let file = client.file;
        match (self, lang) {
            (
                TlsProblem::Unreadable {
                    setting,
                    path,
                    reason,
                },
                Lang::De,
            ) => format!(
                "TLS: {setting} in {file}: die Datei {path} ist nicht lesbar ({reason}); \
                 {setting} in {file} korrigieren (relative Pfade gelten ab dem \
                 Datenverzeichnis){}",
                client.ca_command(setting, lang)
            ),
            (
                TlsProblem::Unreadable {
                    setting,
                    path,
                    reason,
                },
                Lang::En,
            ) => format!(
                "TLS: {setting} in {file}: cannot read {path} ({reason}); correct {setting} in \
                 {file} (relative paths start at the data directory){}",
                client.ca_command(setting, lang)
            ),
            (TlsProblem::NotPem { setting, path }, Lang::De) => format!(
                "TLS: {setting} in {file}: {path} ist keine passende PEM-Datei; {setting} muss \
                 auf {} zeigen{}",
                client.expected(setting, lang),
                client.ca_command(setting, lang)
            ),
            (TlsProblem::NotPem { setting, path }, Lang::En) => format!(
                "TLS: {setting} in {file}: {path} is not a suitable PEM file; {setting} must \
                 name {}{}",
                client.expected(setting, lang),
                client.ca_command(setting, lang)
            ),
            (TlsProblem::Settings { url, reason }, Lang::De) => format!(
                "TLS-Einstellungen für {url} (aggregator_ca, client_cert, client_key in {file}) \
                 unbrauchbar: {reason}"
            ),
            (TlsProblem::Settings { url, reason }, Lang::En) => format!(
                "TLS settings for {url} (aggregator_ca, client_cert, client_key in {file}) are \
                 unusable: {reason}"
            ),
            (TlsProblem::Plaintext { url }, Lang::De) => format!(
                "aggregator_url {url:?} in {file} ist unverschlüsselt zu einer Adresse, die nicht \
                 Loopback ist: https:// verwenden (mit aggregator_ca, wenn die CA des Aggregators \
                 nicht im Vertrauensspeicher des Systems ist) oder allow_plaintext = true in \
                 {file} setzen (nur in einem vertrauenswürdigen Netz)"
            ),
            (TlsProblem::Plaintext { url }, Lang::En) => format!(
                "aggregator_url {url:?} in {file} is plaintext to an address that is not \
                 loopback: use https:// (with aggregator_ca if the aggregator's CA is not in the \
                 system's trust store), or set allow_plaintext = true in {file} for a trusted \
                 network"
            ),
        }
    }
}

/// The TLS files of a client's link, for `https://` addresses (absolute paths).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientFiles {
    /// The CA (PEM) that signed the aggregator's certificate; `None`: the system's trust store.
    pub ca: Option<PathBuf>,
    /// mTLS: the client's certificate (PEM).
    pub client_cert: Option<PathBuf>,
    /// mTLS: its private key (PEM).
    pub client_key: Option<PathBuf>,
}

impl ClientFiles {
    /// The files named by the settings `aggregator_ca`, `client_cert` and `client_key`, with
    /// relative paths taken from the data directory `dir`.
    pub fn in_dir(
        dir: &Path,
        ca: Option<&str>,
        client_cert: Option<&str>,
        client_key: Option<&str>,
    ) -> ClientFiles {
        ClientFiles {
            ca: ca.map(|p| dir.join(p)),
            client_cert: client_cert.map(|p| dir.join(p)),
            client_key: client_key.map(|p| dir.join(p)),
        }
    }

    /// tonic's client TLS configuration. The files are read now and must hold the PEM block
    /// they are for (tonic checks only at the handshake, with a message that names no file), so
    /// that a wrong path is named with its setting.
    pub fn client_config(&self) -> Result<ClientTlsConfig, TlsProblem> {
        const CERT: &str = "-----BEGIN CERTIFICATE-----";
        const KEY: &str = "PRIVATE KEY-----";
        let read = |path: &Path, setting: &'static str, marker: &str| {
            let bytes = std::fs::read(path).map_err(|e| TlsProblem::Unreadable {
                setting,
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
            if !String::from_utf8_lossy(&bytes).contains(marker) {
                return Err(TlsProblem::NotPem {
                    setting,
                    path: path.display().to_string(),
                });
            }
            Ok(bytes)
        };
        let mut tls = ClientTlsConfig::new();
        tls = match &self.ca {
            Some(ca) => tls.ca_certificate(Certificate::from_pem(read(ca, "aggregator_ca", CERT)?)),
            None => tls.with_native_roots(),
        };
        if let (Some(cert), Some(key)) = (&self.client_cert, &self.client_key) {
            tls = tls.identity(Identity::from_pem(
                read(cert, "client_cert", CERT)?,
                read(key, "client_key", KEY)?,
            ));
        }
        Ok(tls)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: TlsClient = TlsClient {
        file: "a.toml",
        whose_de: "des A",
        whose_en: "A's",
        ca_command: Some("a config ca FILE"),
    };
    const B: TlsClient = TlsClient {
        file: "b.toml",
        whose_de: "des B",
        whose_en: "B's",
        ca_command: None,
    };

    #[test]
    fn texts_name_the_clients_file_and_setting_in_both_languages() {
        let ca = TlsProblem::NotPem {
            setting: "aggregator_ca",
            path: "/x/ca.pem".into(),
        };
        for lang in [Lang::De, Lang::En] {
            let a = ca.message(lang, &A);
            assert!(a.contains("a.toml") && a.contains("/x/ca.pem"), "{a}");
            assert!(a.contains("a config ca FILE"), "{a}");
            let b = ca.message(lang, &B);
            assert!(b.contains("b.toml") && !b.contains("config ca"), "{b}");
        }
        assert_ne!(ca.message(Lang::De, &A), ca.message(Lang::En, &A));
        let cert = TlsProblem::NotPem {
            setting: "client_cert",
            path: "c.pem".into(),
        };
        assert!(cert
            .message(Lang::De, &B)
            .contains("Client-Zertifikat des B"));
        assert!(cert
            .message(Lang::En, &B)
            .contains("B's client certificate"));
        let hint = B
            .handshake_hint(
                "https://agg:7443",
                "invalid peer certificate: UnknownIssuer",
                Lang::De,
            )
            .expect("a TLS failure");
        assert!(hint.contains("b.toml") && hint.contains("relativ zum Datenverzeichnis"));
        assert!(A
            .handshake_hint("http://agg:7443", "certificate", Lang::En)
            .is_none());
        assert!(A
            .handshake_hint("https://agg:7443", "connection refused", Lang::En)
            .is_none());
    }

    #[test]
    fn a_refused_client_certificate_names_client_cert_and_client_key() {
        let reason = "Unknown: transport error: connection error: received fatal alert: \
                      CertificateRequired";
        assert!(refused_client_cert(reason));
        assert!(refused_client_cert("received fatal alert: UnknownCA"));
        // The client refusing the server's certificate is another problem (aggregator_ca).
        assert!(!refused_client_cert(
            "invalid peer certificate: UnknownIssuer"
        ));
        assert!(!refused_client_cert(
            "received fatal alert: ProtocolVersion"
        ));
        for (lang, refused) in [
            (Lang::De, "Client-Zertifikat des A abgelehnt"),
            (Lang::En, "refused A's client certificate"),
        ] {
            let t = A
                .handshake_hint("https://agg:7443", reason, lang)
                .expect("a TLS failure");
            assert!(t.contains(refused), "{t}");
            assert!(
                t.contains("client_cert") && t.contains("client_key") && t.contains("a.toml"),
                "{t}"
            );
            assert!(
                t.contains("CertificateRequired") && t.contains("--client-ca"),
                "{t}"
            );
            // Not the hint about aggregator_ca, which does not help here.
            assert!(!t.contains("aggregator_ca"), "{t}");
        }
        let unknown_issuer = A
            .handshake_hint(
                "https://agg:7443",
                "invalid peer certificate: UnknownIssuer",
                Lang::En,
            )
            .expect("a TLS failure");
        assert!(unknown_issuer.contains("aggregator_ca"), "{unknown_issuer}");
    }
}
