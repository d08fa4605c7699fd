//! The node's configuration file, `node.toml` in the data directory.
//!
//! ```toml
//! # Where the consortium's aggregator listens, and its Ed25519 public key (base64).
//! aggregator_url = "http://127.0.0.1:7443"
//! aggregator_key = "…"
//! lang = "de"
//! # Mode secure: SHA-256 (64 hex digits) of the trustee committee's document, checked with the
//! # consortium out of band. Without it the node refuses every round in mode secure.
//! # committee_fingerprint = "…"
//! # TLS: https:// addresses; the aggregator's CA (else the system's trust store), and for mTLS
//! # the node's certificate and key (paths relative to the data directory).
//! # aggregator_ca = "tls/ca.pem"
//! # client_cert = "tls/node.pem"
//! # client_key = "tls/node.key"
//! # allow_plaintext = false      # http:// to an address that is not loopback
//!
//! [privacy]
//! max_epsilon_per_round = 2.0
//! max_epsilon_per_year = 4.0     # in any 365 days, not per calendar year
//! min_cohort = 10
//! # max_epsilon_lifetime = 20.0   # optional cap over the node's lifetime (none by default)
//! min_trustees = 3               # mode secure: smallest committee size m accepted
//! min_threshold = 2              # mode secure: smallest threshold t (trustees needed to decrypt)
//!
//! # Optional: log-in to the workplace through an identity provider, see [`oidc`].
//! # [oidc]
//! # issuer = "https://login.example.de/realms/verwaltung"
//! ```
//!
//! See `docs/samples/node.toml`, which a unit test parses.

use std::path::Path;

use serde::{Deserialize, Serialize};
use sovbench_core::i18n::Lang;

use crate::error::NodeError;

pub mod oidc;
mod transport;
pub use oidc::OidcConfig;
pub use transport::{check_transport, is_loopback_url};

/// File name of the configuration inside the data directory.
pub const CONFIG_FILE: &str = "node.toml";

/// The administration's own privacy policy; the node refuses rounds that ask for more.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PrivacyPolicy {
    /// Largest total epsilon one round may cost this node.
    pub max_epsilon_per_round: f64,
    /// Largest total epsilon over all rounds of any 365 days (a rolling window, so that no
    /// New Year doubles it).
    pub max_epsilon_per_year: f64,
    /// Smallest cohort minimum k a round must promise.
    pub min_cohort: u32,
    /// Largest total epsilon over the node's lifetime, if set (none by default: the rolling
    /// window alone bounds what any year of releases can reveal).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_epsilon_lifetime: Option<f64>,
    /// Mode secure: the smallest trustee committee (m) the node encrypts to.
    pub min_trustees: u32,
    /// Mode secure: the smallest threshold (t, the trustees needed to decrypt) the node accepts.
    pub min_threshold: u32,
}

/// Default largest epsilon per round.
pub const DEFAULT_MAX_EPSILON_PER_ROUND: f64 = 2.0;
/// Default largest epsilon in any 365 days.
pub const DEFAULT_MAX_EPSILON_PER_YEAR: f64 = 4.0;
/// Default smallest accepted cohort minimum.
pub const DEFAULT_MIN_COHORT: u32 = 10;
/// Default smallest committee size m (mode secure).
pub const DEFAULT_MIN_TRUSTEES: u32 = 3;
/// Default smallest threshold t (mode secure).
pub const DEFAULT_MIN_THRESHOLD: u32 = 2;

impl Default for PrivacyPolicy {
    fn default() -> Self {
        PrivacyPolicy {
            max_epsilon_per_round: DEFAULT_MAX_EPSILON_PER_ROUND,
            max_epsilon_per_year: DEFAULT_MAX_EPSILON_PER_YEAR,
            min_cohort: DEFAULT_MIN_COHORT,
            max_epsilon_lifetime: None,
            min_trustees: DEFAULT_MIN_TRUSTEES,
            min_threshold: DEFAULT_MIN_THRESHOLD,
        }
    }
}

/// Contents of `node.toml`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    /// gRPC address of the aggregator, e.g. `http://agg.example:7443`.
    #[serde(default)]
    pub aggregator_url: Option<String>,
    /// The aggregator's Ed25519 public key, base64 of the raw 32 bytes.
    #[serde(default)]
    pub aggregator_key: Option<String>,
    /// Language of output (`de` or `en`).
    #[serde(default)]
    pub lang: Lang,
    /// Mode secure: hex SHA-256 of the trustee committee's document, pinned like the aggregator
    /// key (checked with the consortium out of band). Rounds in mode secure whose committee has
    /// another fingerprint are refused; without it, every round in mode secure is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub committee_fingerprint: Option<String>,
    /// TLS (`https://` addresses): the CA certificate (PEM) that signed the aggregator's
    /// certificate, a path relative to the data directory or absolute. Without it the system's
    /// trust store is used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggregator_ca: Option<String>,
    /// mTLS: the node's client certificate (PEM), if the aggregator asks for one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_cert: Option<String>,
    /// mTLS: the private key (PEM) of `client_cert`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_key: Option<String>,
    /// Allow a plaintext `http://` address that is not loopback (a trusted network or a
    /// TLS-terminating proxy on the node's side). Off by default.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_plaintext: bool,
    /// Privacy policy.
    #[serde(default)]
    pub privacy: PrivacyPolicy,
    /// Log-in to the workplace through an identity provider (OpenID Connect), if set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc: Option<OidcConfig>,
}

/// Length of a committee fingerprint in hex digits (SHA-256).
pub const COMMITTEE_FINGERPRINT_HEX: usize = 64;

/// Parses a committee fingerprint: 64 hex digits (either case, surrounding blanks ignored).
pub fn parse_committee_fingerprint(text: &str) -> Result<[u8; 32], NodeError> {
    let t = text.trim();
    let bad = || {
        NodeError::Config(format!(
            "committee_fingerprint {t:?} in node.toml must be {COMMITTEE_FINGERPRINT_HEX} hex digits \
             (the SHA-256 of the committee document)"
        ))
    };
    if t.len() != COMMITTEE_FINGERPRINT_HEX {
        return Err(bad());
    }
    let raw = hex::decode(t).map_err(|_| bad())?;
    raw.try_into().map_err(|_| bad())
}

/// Sets `committee_fingerprint` in `dir`'s `node.toml`, keeping every other line (and comment)
/// as it is: an existing top-level `committee_fingerprint` line is replaced, otherwise the
/// setting is inserted before the first table. The result is checked before it is written
/// atomically; returns the new configuration.
pub fn set_committee_fingerprint(dir: &Path, fingerprint: &str) -> Result<NodeConfig, NodeError> {
    let fp = hex::encode(parse_committee_fingerprint(fingerprint)?);
    set_top_level(dir, "committee_fingerprint", &format!("\"{fp}\""))
}

/// Sets `aggregator_ca` in the node's `node.toml` to `file` (the CA certificate, PEM, that signed
/// the aggregator's TLS certificate), after checking that the file holds a PEM certificate; the
/// rest of the file is kept as it is.
pub fn set_aggregator_ca(dir: &Path, file: &Path) -> Result<NodeConfig, NodeError> {
    let abs = std::path::absolute(file).map_err(|source| NodeError::Io {
        path: file.display().to_string(),
        source,
    })?;
    let pem = std::fs::read_to_string(&abs).map_err(|source| NodeError::Io {
        path: abs.display().to_string(),
        source,
    })?;
    if !pem.contains("-----BEGIN CERTIFICATE-----") {
        return Err(NodeError::Config(format!(
            "{} holds no PEM certificate (-----BEGIN CERTIFICATE-----); aggregator_ca in \
             node.toml needs the CA certificate that signed the aggregator's TLS certificate",
            abs.display()
        )));
    }
    let value = toml::Value::String(abs.display().to_string()).to_string();
    set_top_level(dir, "aggregator_ca", &value)
}

/// Sets a top-level `key = value` (value already in TOML syntax) in `node.toml`, replacing an
/// earlier one, keeping comments and tables; refuses (and leaves the file) if the result does
/// not parse.
fn set_top_level(dir: &Path, key_name: &str, value: &str) -> Result<NodeConfig, NodeError> {
    let path = dir.join(CONFIG_FILE);
    let io = |source| NodeError::Io {
        path: path.display().to_string(),
        source,
    };
    let text = std::fs::read_to_string(&path).map_err(io)?;
    let setting = format!("{key_name} = {value}");
    let mut lines: Vec<String> = Vec::new();
    let (mut replaced, mut in_table) = (false, false);
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('[') {
            if !in_table && !replaced {
                lines.push(setting.clone());
                replaced = true;
            }
            in_table = true;
        }
        let key = trimmed.split('=').next().unwrap_or("").trim();
        if !in_table && key == key_name {
            if !replaced {
                lines.push(setting.clone());
                replaced = true;
            }
            continue;
        }
        lines.push(line.to_string());
    }
    if !replaced {
        lines.push(setting);
    }
    let mut new_text = lines.join("\n");
    new_text.push('\n');
    let cfg = NodeConfig::parse(&new_text)?;
    sovbench_core::private::write_private(&path, new_text.as_bytes()).map_err(io)?;
    Ok(cfg)
}

impl NodeConfig {
    /// Parses and checks a configuration text.
    pub fn parse(text: &str) -> Result<NodeConfig, NodeError> {
        let cfg: NodeConfig = toml::from_str(text).map_err(|e| NodeError::Config(e.to_string()))?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Reads `node.toml` from `dir`.
    pub fn load(dir: &Path) -> Result<NodeConfig, NodeError> {
        let path = dir.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&path).map_err(|source| NodeError::Io {
            path: path.display().to_string(),
            source,
        })?;
        NodeConfig::parse(&text).map_err(|e| NodeError::Config(format!("{}: {e}", path.display())))
    }

    /// Writes `node.toml` to `dir` atomically (mode 0600).
    pub fn save(&self, dir: &Path) -> Result<(), NodeError> {
        let text = toml::to_string_pretty(self).map_err(|e| NodeError::Config(e.to_string()))?;
        let path = dir.join(CONFIG_FILE);
        sovbench_core::private::write_private(&path, text.as_bytes()).map_err(|source| {
            NodeError::Io {
                path: path.display().to_string(),
                source,
            }
        })
    }

    /// Checks value ranges.
    pub fn validate(&self) -> Result<(), NodeError> {
        let p = &self.privacy;
        if !(p.max_epsilon_per_round.is_finite() && p.max_epsilon_per_round > 0.0) {
            return Err(NodeError::Config(
                "privacy.max_epsilon_per_round must be a positive number".into(),
            ));
        }
        if !(p.max_epsilon_per_year.is_finite()
            && p.max_epsilon_per_year >= p.max_epsilon_per_round)
        {
            return Err(NodeError::Config(
                "privacy.max_epsilon_per_year must be at least privacy.max_epsilon_per_round"
                    .into(),
            ));
        }
        if let Some(l) = p.max_epsilon_lifetime {
            if !(l.is_finite() && l >= p.max_epsilon_per_year) {
                return Err(NodeError::Config(
                    "privacy.max_epsilon_lifetime must be at least privacy.max_epsilon_per_year"
                        .into(),
                ));
            }
        }
        if p.min_cohort < 2 {
            return Err(NodeError::Config(
                "privacy.min_cohort must be at least 2".into(),
            ));
        }
        if p.min_threshold < 1 || p.min_trustees < 1 {
            return Err(NodeError::Config(
                "privacy.min_trustees and privacy.min_threshold in node.toml must be at least 1"
                    .into(),
            ));
        }
        if let Some(fp) = &self.committee_fingerprint {
            parse_committee_fingerprint(fp)?;
        }
        if let Some(o) = &self.oidc {
            o.validate()?;
        }
        if let Some(url) = &self.aggregator_url {
            check_transport(url, self.allow_plaintext)?;
        }
        if self.client_cert.is_some() != self.client_key.is_some() {
            return Err(NodeError::Config(
                "client_cert and client_key in node.toml go together (mTLS): set both or neither"
                    .into(),
            ));
        }
        if let Some(k) = &self.aggregator_key {
            let raw = sovbench_core::envelope::unb64(k)
                .map_err(|e| NodeError::Config(format!("aggregator_key is not base64: {e}")))?;
            if raw.len() != sovbench_core::envelope::PUBLIC_KEY_LEN {
                return Err(NodeError::Config(format!(
                    "aggregator_key must be 32 bytes, got {}",
                    raw.len()
                )));
            }
            // A small-order or non-canonical key would let anyone forge "aggregator" signatures.
            sovbench_core::envelope::check_public_key(&raw).map_err(|e| {
                NodeError::Config(format!("aggregator_key in node.toml is not usable: {e}"))
            })?;
        }
        Ok(())
    }

    /// The aggregator's address, or a clear error.
    pub fn aggregator_url(&self) -> Result<&str, NodeError> {
        self.aggregator_url.as_deref().ok_or_else(|| {
            NodeError::Config(
                "aggregator_url is not set in node.toml (or pass --aggregator at init)".into(),
            )
        })
    }

    /// The pinned committee fingerprint (raw SHA-256), if set.
    pub fn committee_fingerprint(&self) -> Result<Option<[u8; 32]>, NodeError> {
        self.committee_fingerprint
            .as_deref()
            .map(parse_committee_fingerprint)
            .transpose()
    }

    /// The aggregator's raw public key, or a clear error.
    pub fn aggregator_key(&self) -> Result<Vec<u8>, NodeError> {
        let k = self.aggregator_key.as_deref().ok_or_else(|| {
            NodeError::Config(
                "aggregator_key is not set in node.toml (or pass --aggregator-key at init)".into(),
            )
        })?;
        sovbench_core::envelope::unb64(k)
            .map_err(|e| NodeError::Config(format!("aggregator_key is not base64: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_config_in_docs_parses() {
        let text = include_str!("../../docs/samples/node.toml");
        let cfg = NodeConfig::parse(text).unwrap();
        // The sample sets the documented lifetime cap; everything else is the default.
        assert_eq!(
            cfg.privacy,
            PrivacyPolicy {
                max_epsilon_lifetime: Some(20.0),
                ..PrivacyPolicy::default()
            }
        );
        assert_eq!(cfg.lang, Lang::De);
    }

    #[test]
    fn unknown_fields_and_bad_values_are_refused() {
        assert!(NodeConfig::parse("agregator_url = \"x\"").is_err());
        assert!(NodeConfig::parse("[privacy]\nmax_epsilon_per_round = -1.0").is_err());
        assert!(NodeConfig::parse("[privacy]\nmax_epsilon_per_year = 0.5").is_err());
        assert!(NodeConfig::parse("aggregator_key = \"AAAA\"").is_err());
        assert!(NodeConfig::parse("[privacy]\nmax_epsilon_lifetime = 3.0").is_err());
        let c = NodeConfig::parse("[privacy]\nmax_epsilon_lifetime = 20.0").unwrap();
        assert_eq!(c.privacy.max_epsilon_lifetime, Some(20.0));
        assert_eq!(NodeConfig::parse(&toml::to_string(&c).unwrap()).unwrap(), c);
        assert_eq!(NodeConfig::parse("").unwrap(), NodeConfig::default());
    }

    #[test]
    fn committee_fingerprint_and_secure_policy_are_checked() {
        let fp = "ab".repeat(32);
        let c = NodeConfig::parse(&format!("committee_fingerprint = \"{fp}\"")).unwrap();
        assert_eq!(c.committee_fingerprint().unwrap(), Some([0xab; 32]));
        let upper = NodeConfig::parse(&format!("committee_fingerprint = \"{}\"", "AB".repeat(32)));
        assert_eq!(
            upper.unwrap().committee_fingerprint().unwrap(),
            Some([0xab; 32])
        );
        for bad in ["ab".repeat(31), "zz".repeat(32), "ab".repeat(33)] {
            let e = NodeConfig::parse(&format!("committee_fingerprint = \"{bad}\"")).unwrap_err();
            assert!(e.to_string().contains("64 hex digits"), "{e}");
        }
        assert_eq!(NodeConfig::default().committee_fingerprint().unwrap(), None);
        let p = NodeConfig::parse("[privacy]\nmin_trustees = 5\nmin_threshold = 3").unwrap();
        assert_eq!((p.privacy.min_trustees, p.privacy.min_threshold), (5, 3));
        assert_eq!(
            (
                PrivacyPolicy::default().min_trustees,
                PrivacyPolicy::default().min_threshold
            ),
            (3, 2)
        );
        assert!(NodeConfig::parse("[privacy]\nmin_threshold = 0").is_err());
    }

    #[test]
    fn setting_the_committee_keeps_the_rest_of_node_toml() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CONFIG_FILE);
        let original = "# our comment\nlang = \"en\"\n\n[privacy]\n# keep me\nmin_cohort = 12\n";
        std::fs::write(&path, original).unwrap();
        let fp = "0f".repeat(32);
        let cfg = set_committee_fingerprint(dir.path(), &fp.to_uppercase()).unwrap();
        assert_eq!(cfg.committee_fingerprint.as_deref(), Some(fp.as_str()));
        assert_eq!(cfg.privacy.min_cohort, 12);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("# our comment") && text.contains("# keep me"),
            "{text}"
        );
        // Before the first table, so that it is a top-level setting.
        assert!(
            text.find("committee_fingerprint").unwrap() < text.find("[privacy]").unwrap(),
            "{text}"
        );
        // Setting it again replaces the line; a bad value leaves the file as it was.
        let other = "1a".repeat(32);
        set_committee_fingerprint(dir.path(), &other).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.matches("committee_fingerprint").count(), 1, "{text}");
        assert_eq!(
            NodeConfig::load(dir.path()).unwrap().committee_fingerprint,
            Some(other)
        );
        assert!(set_committee_fingerprint(dir.path(), "nope").is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
        // A file without tables gets the setting at the end.
        std::fs::write(&path, "lang = \"de\"\n").unwrap();
        set_committee_fingerprint(dir.path(), &fp).unwrap();
        assert_eq!(
            NodeConfig::load(dir.path()).unwrap().committee_fingerprint,
            Some(fp)
        );
    }

    #[test]
    fn setting_the_aggregator_ca_needs_a_pem_certificate_and_keeps_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CONFIG_FILE);
        std::fs::write(
            &path,
            "# ours\nlang = \"en\"\n\n[privacy]\nmin_cohort = 12\n",
        )
        .unwrap();
        let not_pem = dir.path().join("ca.txt");
        std::fs::write(&not_pem, "hello").unwrap();
        let before = std::fs::read_to_string(&path).unwrap();
        let err = set_aggregator_ca(dir.path(), &not_pem).unwrap_err();
        assert!(err.to_string().contains("aggregator_ca"), "{err}");
        assert!(set_aggregator_ca(dir.path(), &dir.path().join("missing.pem")).is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
        let pem = dir.path().join("ca.pem");
        std::fs::write(
            &pem,
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let cfg = set_aggregator_ca(dir.path(), &pem).unwrap();
        assert_eq!(cfg.aggregator_ca.as_deref(), Some(pem.to_str().unwrap()));
        assert_eq!(cfg.privacy.min_cohort, 12);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("# ours"), "{text}");
        assert!(
            text.find("aggregator_ca").unwrap() < text.find("[privacy]").unwrap(),
            "{text}"
        );
    }

    #[test]
    fn weak_aggregator_keys_are_refused() {
        // The identity point (small order) and a non-canonical encoding (y = p, i.e. 2^255 − 19).
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let mut p = [0xffu8; 32];
        p[0] = 0xed;
        p[31] = 0x7f;
        for key in [identity, p] {
            let text = format!(
                "aggregator_key = \"{}\"",
                sovbench_core::envelope::b64(&key)
            );
            let err = NodeConfig::parse(&text).expect_err("weak key");
            assert!(err.to_string().contains("aggregator_key"), "{err}");
        }
        let real = sovbench_core::envelope::Identity::generate().unwrap().0;
        let text = format!(
            "aggregator_key = \"{}\"",
            sovbench_core::envelope::b64(real.public_key())
        );
        assert!(NodeConfig::parse(&text).is_ok());
    }
}
