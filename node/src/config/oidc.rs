//! The optional section `[oidc]` of `node.toml`: log-in to the workplace through the identity
//! provider of the administration (or of the operator of a hosted node), with OpenID Connect.
//!
//! ```toml
//! [oidc]
//! issuer = "https://login.example.de/realms/verwaltung"
//! client_id = "sovbench"
//! client_secret_file = "oidc-secret"     # relative to the data directory; mode 0600
//! redirect_url = "https://sovbench.example.de/oidc/callback"
//! # name = "Landesportal"                # on the log-in button; default: the issuer's host
//! # groups_claim = "groups"              # the claim of the ID token with the person's groups
//! # scopes = ["profile"]                 # besides "openid"
//!
//! [oidc.roles]                           # group → role; the most privileged one applies
//! "sovbench-approver" = "approver"
//! "sovbench-editor" = "editor"
//! ```
//!
//! `docs/samples/oidc.toml` explains every setting (a test parses it). The secret never stands in `node.toml`: only the path of a file that holds it, readable by
//! the node's user alone. The mapping of groups to roles is [`crate::people::idp::roles_of`].

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::config::is_loopback_url;
use crate::error::NodeError;
use crate::people::Role;

/// The path of the workplace that the identity provider sends the browser back to.
pub const CALLBACK_PATH: &str = "/oidc/callback";

/// Largest client secret file read (a secret is a few dozen bytes).
const MAX_SECRET_BYTES: u64 = 4096;

/// The section `[oidc]`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcConfig {
    /// The issuer URL; its discovery document is `{issuer}/.well-known/openid-configuration`.
    pub issuer: String,
    /// The client ID the provider gave the workplace.
    pub client_id: String,
    /// A file holding the client secret (relative to the data directory or absolute), readable
    /// by the node's user alone (mode 0600).
    pub client_secret_file: String,
    /// The workplace's public address followed by [`CALLBACK_PATH`], registered at the
    /// provider as the client's redirect URI.
    pub redirect_url: String,
    /// The provider's name on the log-in button; default: the issuer's host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The claim of the ID token that lists the person's groups.
    #[serde(default = "default_groups_claim")]
    pub groups_claim: String,
    /// Scopes asked for besides `openid`.
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// Group value → role (a node of one administration).
    #[serde(default)]
    pub roles: BTreeMap<String, Role>,
    /// Hosted mode (reserved): a claim naming the administrations (tenants) the person belongs
    /// to; the groups of [`OidcConfig::roles`] apply to those tenants only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_claim: Option<String>,
    /// Hosted mode (reserved): groups `{prefix}{tenant}/{role}`, e.g. with the prefix
    /// `/sovbench/` Keycloak's group path `/sovbench/musterstadt/editor` (full group path on)
    /// makes the person an editor of the tenant `musterstadt`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_group_prefix: Option<String>,
}

/// The secret stays out of logs: only the file's path is shown.
impl std::fmt::Debug for OidcConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcConfig")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret_file", &self.client_secret_file)
            .field("redirect_url", &self.redirect_url)
            .field("groups_claim", &self.groups_claim)
            .field("roles", &self.roles)
            .finish_non_exhaustive()
    }
}

fn default_groups_claim() -> String {
    "groups".into()
}

fn default_scopes() -> Vec<String> {
    vec!["profile".into()]
}

fn bad(text: String) -> NodeError {
    NodeError::Config(text)
}

/// `url` is https, or http to a loopback address (a provider for tests on the same machine).
fn check_url(key: &str, url: &str) -> Result<(), NodeError> {
    let lower = url.trim().to_ascii_lowercase();
    let ok =
        lower.starts_with("https://") || (lower.starts_with("http://") && is_loopback_url(url));
    if !ok {
        return Err(bad(format!(
            "oidc.{key} {url:?} in node.toml must be an https:// address (http:// only to \
             127.0.0.1, ::1 or localhost)"
        )));
    }
    if openidconnect::url::Url::parse(url.trim()).is_err() {
        return Err(bad(format!("oidc.{key} {url:?} in node.toml is not a URL")));
    }
    Ok(())
}

impl OidcConfig {
    /// Checks the section (the secret file is read by [`OidcConfig::secret`]).
    pub fn validate(&self) -> Result<(), NodeError> {
        check_url("issuer", &self.issuer)?;
        check_url("redirect_url", &self.redirect_url)?;
        let path = self
            .redirect_url
            .trim()
            .split(['?', '#'])
            .next()
            .unwrap_or_default();
        if !path.ends_with(CALLBACK_PATH) {
            return Err(bad(format!(
                "oidc.redirect_url {:?} in node.toml must end with {CALLBACK_PATH} (the \
                 workplace's public address followed by {CALLBACK_PATH})",
                self.redirect_url
            )));
        }
        for (key, value) in [
            ("client_id", &self.client_id),
            ("client_secret_file", &self.client_secret_file),
            ("groups_claim", &self.groups_claim),
        ] {
            if value.trim().is_empty() {
                return Err(bad(format!("oidc.{key} in node.toml must not be empty")));
            }
        }
        if let Some(p) = &self.tenant_group_prefix {
            if !(p.starts_with('/') && p.ends_with('/') && p.len() > 1) {
                return Err(bad(format!(
                    "oidc.tenant_group_prefix {p:?} in node.toml must start and end with / \
                     (a group path such as \"/sovbench/\")"
                )));
            }
        }
        if self.roles.is_empty() && self.tenant_group_prefix.is_none() {
            return Err(bad(
                "oidc.roles in node.toml maps no group to a role: nobody could log in through \
                 the identity provider (add e.g. [oidc.roles] \"sovbench-editor\" = \"editor\")"
                    .into(),
            ));
        }
        if let Some(g) = self.roles.keys().find(|g| g.trim().is_empty()) {
            return Err(bad(format!(
                "oidc.roles in node.toml has an empty group name {g:?}"
            )));
        }
        Ok(())
    }

    /// The provider's name for the log-in button.
    pub fn display_name(&self) -> String {
        if let Some(n) = self.name.as_deref().filter(|n| !n.trim().is_empty()) {
            return n.trim().to_string();
        }
        openidconnect::url::Url::parse(self.issuer.trim())
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_else(|| self.issuer.clone())
    }

    /// Reads the client secret from [`OidcConfig::client_secret_file`] (relative to `dir`),
    /// refusing a file that others than the node's user may read.
    pub fn secret(&self, dir: &Path) -> Result<String, NodeError> {
        let path = dir.join(self.client_secret_file.trim());
        let io = |source| NodeError::Io {
            path: path.display().to_string(),
            source,
        };
        let meta = std::fs::metadata(&path).map_err(io)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(bad(format!(
                    "oidc.client_secret_file {} has mode {mode:o}: others than the node's user \
                     may read the secret; chmod 600 it",
                    path.display()
                )));
            }
        }
        if meta.len() > MAX_SECRET_BYTES {
            return Err(bad(format!(
                "oidc.client_secret_file {} is larger than {MAX_SECRET_BYTES} bytes: not a \
                 client secret",
                path.display()
            )));
        }
        let text = std::fs::read_to_string(&path).map_err(io)?;
        let secret = text.trim();
        if secret.is_empty() {
            return Err(bad(format!(
                "oidc.client_secret_file {} is empty",
                path.display()
            )));
        }
        Ok(secret.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::NodeConfig;

    const GOOD: &str = "[oidc]\nissuer = \"https://login.example.de/realms/v\"\n\
        client_id = \"sovbench\"\nclient_secret_file = \"oidc-secret\"\n\
        redirect_url = \"https://sovbench.example.de/oidc/callback\"\n\
        [oidc.roles]\n\"sovbench-editor\" = \"editor\"\n";

    #[test]
    fn a_good_section_parses_with_defaults() {
        let cfg = NodeConfig::parse(GOOD).unwrap();
        let o = cfg.oidc.unwrap();
        assert_eq!(o.groups_claim, "groups");
        assert_eq!(o.scopes, vec!["profile".to_string()]);
        assert_eq!(o.roles.get("sovbench-editor"), Some(&Role::Editor));
        assert_eq!(o.display_name(), "login.example.de");
        assert!(NodeConfig::parse("").unwrap().oidc.is_none());
    }

    #[test]
    fn the_sample_in_docs_parses() {
        let cfg = NodeConfig::parse(include_str!("../../../docs/samples/oidc.toml")).unwrap();
        let o = cfg.oidc.unwrap();
        assert_eq!(o.display_name(), "Landesportal");
        assert_eq!(o.roles.len(), 4);
        assert_eq!(o.roles.get("datenschutz"), Some(&Role::Dpo));
    }

    #[test]
    fn bad_sections_are_refused_with_the_setting_named() {
        let cases = [
            (GOOD.replace("https://login", "http://login"), "oidc.issuer"),
            (
                GOOD.replace("/oidc/callback", "/callback"),
                "oidc.redirect_url",
            ),
            (
                GOOD.replace("client_id = \"sovbench\"", "client_id = \" \""),
                "oidc.client_id",
            ),
            (
                GOOD.replace("\"sovbench-editor\" = \"editor\"\n", ""),
                "oidc.roles",
            ),
            (
                GOOD.replace("= \"editor\"", "= \"boss\""),
                "unknown variant",
            ),
            (
                GOOD.replace("client_id =", "client_secret = \"x\"\nclient_id ="),
                "unknown field",
            ),
            (format!("{GOOD}[oidc.x]\n"), "unknown field"),
        ];
        for (text, needle) in cases {
            let e = NodeConfig::parse(&text).unwrap_err().to_string();
            assert!(e.contains(needle), "{needle}: {e}");
        }
        // A provider on the loopback interface may speak http (tests).
        let local = GOOD
            .replace("https://login.example.de", "http://127.0.0.1:9")
            .replace("https://sovbench.example.de", "http://localhost:8080");
        assert!(NodeConfig::parse(&local).is_ok());
        let prefix = GOOD.replace(
            "[oidc.roles]",
            "tenant_group_prefix = \"sovbench\"\n[oidc.roles]",
        );
        assert!(NodeConfig::parse(&prefix)
            .unwrap_err()
            .to_string()
            .contains("tenant_group_prefix"));
    }

    #[test]
    fn the_secret_file_must_be_private_and_never_shows_in_debug() {
        let dir = tempfile::tempdir().unwrap();
        let o = NodeConfig::parse(GOOD).unwrap().oidc.unwrap();
        assert!(o.secret(dir.path()).is_err(), "missing file");
        let path = dir.path().join("oidc-secret");
        std::fs::write(&path, "s3cret-value\n").unwrap();
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = o.secret(dir.path()).unwrap_err().to_string();
        assert!(e.contains("chmod 600"), "{e}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(o.secret(dir.path()).unwrap(), "s3cret-value");
        assert!(!format!("{o:?}").contains("s3cret"));
    }
}
