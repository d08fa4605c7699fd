//! The TLS errors as the operator reads them, in German or English: each names the file and the
//! option of `serve` to fix.

use sovbench_core::i18n::Lang;

use super::TlsError;

/// What the file behind an option must hold, for the hint of a PEM error.
fn expected(flag: &str, lang: Lang) -> &'static str {
    match flag {
        "--tls-cert" => lang.pick(
            "die Zertifikatskette des Servers (PEM, -----BEGIN CERTIFICATE-----, Blattzertifikat zuerst)",
            "the server's certificate chain (PEM, -----BEGIN CERTIFICATE-----, leaf first)",
        ),
        "--tls-key" => lang.pick(
            "den privaten Schlüssel des Servers (PEM: PKCS#8, PKCS#1 oder SEC1)",
            "the server's private key (PEM: PKCS#8, PKCS#1 or SEC1)",
        ),
        _ => lang.pick(
            "das CA-Zertifikat, das die Client-Zertifikate signiert (PEM)",
            "the CA certificate that signs the client certificates (PEM)",
        ),
    }
}

impl TlsError {
    /// The error in `lang`, naming the file and the option of `sovbench-aggregator serve` to fix.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            TlsError::Io { flag, path, source } => match lang {
                Lang::De => format!(
                    "TLS: die Datei {path} ({flag}) ist nicht lesbar: {source}; Pfad bei {flag} \
                     FILE und die Leserechte des Dienstkontos prüfen"
                ),
                Lang::En => format!(
                    "TLS: cannot read {path} ({flag}): {source}; check the path given to {flag} \
                     FILE and the service account's read permission"
                ),
            },
            TlsError::Pem { flag, path, what } => match lang {
                Lang::De => format!(
                    "TLS: {path} ({flag}) ist unbrauchbar: {what}; {flag} muss auf {} zeigen",
                    expected(flag, lang)
                ),
                Lang::En => format!(
                    "TLS: {path} ({flag}) is unusable: {what}; {flag} must name {}",
                    expected(flag, lang)
                ),
            },
            TlsError::Config { cert, key, source } => match lang {
                Lang::De => format!(
                    "TLS: Zertifikat {cert} (--tls-cert) und Schlüssel {key} (--tls-key) ergeben \
                     keine gültige Konfiguration: {source}; gehört der Schlüssel zum Zertifikat?"
                ),
                Lang::En => format!(
                    "TLS: certificate {cert} (--tls-cert) and key {key} (--tls-key) make no valid \
                     configuration: {source}; does the key belong to the certificate?"
                ),
            },
            TlsError::ClientCa { path, why } => match lang {
                Lang::De => format!(
                    "mTLS: die Client-CA {path} (--client-ca) kann keine Client-Zertifikate \
                     prüfen: {why}"
                ),
                Lang::En => format!(
                    "mTLS: the client CA {path} (--client-ca) cannot verify client certificates: \
                     {why}"
                ),
            },
            TlsError::PlaintextNotLoopback(addr) => match lang {
                Lang::De => format!(
                    "unverschlüsseltes gRPC auf {addr} abgelehnt, denn das ist keine \
                     Loopback-Adresse: --tls-cert FILE und --tls-key FILE angeben (TLS) oder \
                     --insecure-plaintext (nur hinter einem TLS-terminierenden Proxy in einem \
                     vertrauenswürdigen Netz)"
                ),
                Lang::En => self.to_string(),
            },
        }
    }
}

/// The message of the first [`TlsError`] in the chain of `e`, in `lang`, if there is one.
pub fn localised(e: &anyhow::Error, lang: Lang) -> Option<String> {
    e.chain()
        .find_map(|c| c.downcast_ref::<TlsError>())
        .map(|t| t.message(lang))
}

#[cfg(test)]
mod tests {
    use super::super::{check_plaintext, TlsOptions, TlsServer};
    use super::*;

    #[test]
    fn tls_errors_render_in_german_and_english_naming_file_and_option() {
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("cert.pem");
        let key = dir.path().join("key.pem");
        let e = TlsServer::load(TlsOptions::new(&cert, &key)).unwrap_err();
        let (de, en) = (e.message(Lang::De), e.message(Lang::En));
        assert!(
            de.contains("nicht lesbar") && de.contains("cert.pem"),
            "{de}"
        );
        assert!(de.contains("--tls-cert"), "{de}");
        assert!(
            en.contains("cannot read") && en.contains("--tls-cert"),
            "{en}"
        );

        std::fs::write(&cert, "no pem here").unwrap();
        std::fs::write(&key, "no pem here").unwrap();
        let e = TlsServer::load(TlsOptions::new(&cert, &key)).unwrap_err();
        let (de, en) = (e.message(Lang::De), e.message(Lang::En));
        assert!(
            de.contains("unbrauchbar") && de.contains("Zertifikatskette"),
            "{de}"
        );
        assert!(
            en.contains("unusable") && en.contains("certificate chain"),
            "{en}"
        );

        let plain = check_plaintext("10.0.0.1:7443".parse().unwrap(), false).unwrap_err();
        let anyhow = anyhow::Error::new(plain).context("serve");
        let de = localised(&anyhow, Lang::De).expect("a TLS error in the chain");
        assert!(
            de.contains("abgelehnt") && de.contains("--insecure-plaintext"),
            "{de}"
        );
        let en = localised(&anyhow, Lang::En).expect("a TLS error in the chain");
        assert!(en.contains("refusing") && en.contains("--tls-cert"), "{en}");
        assert!(localised(&anyhow::anyhow!("other"), Lang::De).is_none());
    }
}
