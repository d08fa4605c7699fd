//! `trustee.toml`: where the aggregator is, the key it signs with, and (once the DKG is complete)
//! the committee this trustee belongs to. Written atomically with
//! [`sovbench_core::files::write_atomically`].

use std::path::Path;

use serde::{Deserialize, Serialize};
use sovbench_core::envelope;

use crate::error::TrusteeError;

/// File name of the configuration in the data directory.
pub const FILE: &str = "trustee.toml";

/// The trustee's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// gRPC address of the aggregator, e.g. `http://aggregator.example:7700`.
    pub aggregator_url: String,
    /// The aggregator's raw Ed25519 public key, base64: every answer must be signed with it.
    pub aggregator_key: String,
    /// SHA-256 of the committee document (hex), once the DKG is complete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub committee_fingerprint: Option<String>,
    /// TLS (`https://`): the CA (PEM) that signed the aggregator's certificate, relative to the
    /// data directory or absolute; without it the system's trust store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggregator_ca: Option<String>,
    /// mTLS: the trustee's client certificate (PEM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_cert: Option<String>,
    /// mTLS: the private key (PEM) of `client_cert`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_key: Option<String>,
    /// Allow plaintext `http://` to an address that is not loopback. Off by default.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_plaintext: bool,
}

/// Whether the host of an `http(s)://` address is `localhost` or a loopback IP address.
fn is_loopback_url(url: &str) -> bool {
    let Ok(uri) = url.trim().parse::<tonic::codegen::http::Uri>() else {
        return false;
    };
    let host = uri.host().unwrap_or_default();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl Config {
    /// Checks the address and the key; returns the raw key.
    pub fn check(&self) -> Result<Vec<u8>, TrusteeError> {
        // As on the node: https:// (TLS), or plaintext http:// only to loopback unless
        // allow_plaintext says otherwise.
        let url = &self.aggregator_url;
        let lower = url.to_ascii_lowercase();
        if !(lower.starts_with("https://") || lower.starts_with("http://")) {
            return Err(TrusteeError::Config(format!(
                "aggregator_url {url:?} in trustee.toml must start with https:// (TLS) or http://"
            )));
        }
        if lower.starts_with("http://") && !self.allow_plaintext && !is_loopback_url(url) {
            return Err(TrusteeError::Tls(crate::error::TlsProblem::Plaintext {
                url: url.to_string(),
            }));
        }
        if self.client_cert.is_some() != self.client_key.is_some() {
            return Err(TrusteeError::Config(
                "client_cert and client_key in trustee.toml go together (mTLS): set both or neither"
                    .into(),
            ));
        }
        let key = envelope::unb64(self.aggregator_key.trim())
            .map_err(|e| TrusteeError::Config(format!("aggregator_key is not base64: {e}")))?;
        envelope::check_public_key(&key)
            .map_err(|e| TrusteeError::Config(format!("aggregator_key: {e}")))?;
        if let Some(fp) = &self.committee_fingerprint {
            match hex::decode(fp) {
                Ok(b) if b.len() == 32 => {}
                _ => {
                    return Err(TrusteeError::Config(format!(
                        "committee_fingerprint {fp:?} is not 64 hex digits"
                    )))
                }
            }
        }
        Ok(key)
    }

    /// Reads and checks `dir/trustee.toml`.
    pub fn load(dir: &Path) -> Result<Config, TrusteeError> {
        let path = dir.join(FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| TrusteeError::io(&path, e))?;
        let config: Config = toml::from_str(&text)
            .map_err(|e| TrusteeError::Config(format!("{}: {e}", path.display())))?;
        config.check()?;
        Ok(config)
    }

    /// Writes `dir/trustee.toml` atomically (mode 0600).
    pub fn save(&self, dir: &Path) -> Result<(), TrusteeError> {
        let path = dir.join(FILE);
        let text = toml::to_string(self)
            .map_err(|e| TrusteeError::Config(format!("cannot encode {FILE}: {e}")))?;
        sovbench_core::private::write_private(&path, text.as_bytes())
            .map_err(|e| TrusteeError::io(&path, e))
    }
}

/// Sets `aggregator_ca` in `dir/trustee.toml` to `file` (made absolute), after checking that the
/// file holds a PEM certificate (the CA that signed the aggregator's TLS certificate); the other
/// settings stay. Needs no store, so it works while `serve` runs (which reads the change at its
/// next start). Returns the new configuration and the previous value.
pub fn set_aggregator_ca(
    dir: &Path,
    file: &Path,
) -> Result<(Config, Option<String>), TrusteeError> {
    let abs = std::path::absolute(file).map_err(|e| TrusteeError::io(file, e))?;
    // The check the link makes when it connects: readable, and a PEM certificate.
    sovbench_core::tls_text::ClientFiles {
        ca: Some(abs.clone()),
        ..Default::default()
    }
    .client_config()
    .map_err(TrusteeError::Tls)?;
    let mut config = Config::load(dir)?;
    let previous = config.aggregator_ca.replace(abs.display().to_string());
    config.check()?;
    config.save(dir)?;
    Ok((config, previous))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(url: &str) -> Config {
        Config {
            aggregator_url: url.into(),
            aggregator_key: envelope::b64(envelope::Identity::generate().unwrap().0.public_key()),
            committee_fingerprint: None,
            aggregator_ca: None,
            client_cert: None,
            client_key: None,
            allow_plaintext: false,
        }
    }

    #[test]
    fn plaintext_only_to_loopback_unless_allowed() {
        assert!(config("https://agg.example:7443").check().is_ok());
        assert!(config("http://127.0.0.1:7443").check().is_ok());
        assert!(config("http://localhost:7443").check().is_ok());
        let e = config("http://agg.example:7443").check().unwrap_err();
        assert!(e.to_string().contains("allow_plaintext"), "{e}");
        let mut c = config("http://agg.example:7443");
        c.allow_plaintext = true;
        assert!(c.check().is_ok());
        assert!(config("agg.example:7443").check().is_err());
        let mut half = config("https://agg.example");
        half.client_cert = Some("t.pem".into());
        assert!(half.check().is_err());
    }

    /// `config aggregator-ca FILE`: a file that is missing or holds no PEM certificate is refused
    /// naming `aggregator_ca` and leaves `trustee.toml` as it was; a PEM certificate is set as an
    /// absolute path, and the other settings stay. Old behaviour: no command, a hand edit.
    #[test]
    fn aggregator_ca_is_checked_and_set_keeping_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = config("https://agg.example:7443");
        c.committee_fingerprint = Some("ab".repeat(32));
        c.save(dir.path()).unwrap();
        let before = std::fs::read_to_string(dir.path().join(FILE)).unwrap();
        let not_pem = dir.path().join("ca.txt");
        std::fs::write(&not_pem, "hello").unwrap();
        for bad in [not_pem, dir.path().join("missing.pem")] {
            let e = set_aggregator_ca(dir.path(), &bad).unwrap_err();
            assert!(matches!(e, TrusteeError::Tls(_)), "{e}");
            assert!(e.to_string().contains("aggregator_ca"), "{e}");
            assert!(
                e.localised(sovbench_core::i18n::Lang::De)
                    .contains("aggregator_ca in trustee.toml"),
                "{e}"
            );
        }
        assert_eq!(
            std::fs::read_to_string(dir.path().join(FILE)).unwrap(),
            before
        );
        let pem = dir.path().join("ca.pem");
        std::fs::write(
            &pem,
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let (set, previous) = set_aggregator_ca(dir.path(), &pem).unwrap();
        assert_eq!(previous, None);
        assert_eq!(set.aggregator_ca.as_deref(), pem.to_str());
        let loaded = Config::load(dir.path()).unwrap();
        assert_eq!(loaded, set);
        assert_eq!(loaded.committee_fingerprint, Some("ab".repeat(32)));
        assert_eq!(loaded.aggregator_key, c.aggregator_key);
        let (_, previous) = set_aggregator_ca(dir.path(), &pem).unwrap();
        assert_eq!(previous.as_deref(), pem.to_str());
    }
}
