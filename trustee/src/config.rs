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
}

impl Config {
    /// Checks the address and the key; returns the raw key.
    pub fn check(&self) -> Result<Vec<u8>, TrusteeError> {
        // As on the node: no TLS in this build, so an https:// address is refused rather than
        // spoken to in plaintext.
        if !self.aggregator_url.starts_with("http://") {
            return Err(TrusteeError::Config(format!(
                "aggregator_url {:?} must start with http:// (this build speaks no TLS)",
                self.aggregator_url
            )));
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
        sovbench_core::files::write_atomically(&path, text.as_bytes())
            .map_err(|e| TrusteeError::io(&path, e))?;
        crate::store::restrict(&path)
    }
}
