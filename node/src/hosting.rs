//! Hosted mode: one `sovbench-node` of an IT service provider (kommunaler IT-Dienstleister,
//! Landkreis, state data centre) for many administrations.
//!
//! A hosting directory holds `hosting.toml` (the provider's name) and one complete node data
//! directory per administration (tenant) under `tenants/<id>/`: its own key, `node.toml`
//! (aggregator, privacy policy), store (self-test, inventory, ledger, outbox, accounts,
//! sessions). To the aggregator each tenant is a separate node, exactly as a node of its own.
//! A removed tenant moves to `removed/<id>/`: its peer offers are withdrawn (pending withdrawals
//! are retried by `serve` until acknowledged) and its ledger stays for the data protection
//! officer until the report has been exported ([`export`]); only then [`purge`] deletes it.
//!
//! Nothing here reads a tenant's assessments; the provider sees the files on its disks, which is
//! processing on behalf of the administration (Auftragsverarbeitung, docs/HOSTING.md).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sovbench_core::clock::SharedClock;

use crate::error::NodeError;
use crate::node::{InitOptions, Node};

/// The marker and settings file of a hosting directory.
pub const HOSTING_FILE: &str = "hosting.toml";
/// The file beside a tenant's node data that names it (read by `tenants list` without opening
/// the store).
pub const TENANT_FILE: &str = "tenant.toml";
/// Written into a removed tenant's directory once its report has been exported.
const EXPORTED_FILE: &str = "exported";
/// Longest tenant id.
pub const MAX_ID_CHARS: usize = 48;

/// `hosting.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HostingConfig {
    /// The provider's name, shown on the workplace's entry page.
    pub provider: String,
}

/// What `tenant.toml` says about a tenant.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TenantInfo {
    /// The id (the path `/t/<id>/` of its workplace).
    pub id: String,
    /// The administration's name.
    pub name: String,
    /// Added, Unix seconds.
    pub added_at: i64,
    /// The key fingerprint given to the aggregator's operator for enrolment.
    pub fingerprint: String,
}

/// A hosting directory.
#[derive(Debug, Clone)]
pub struct Hosting {
    dir: PathBuf,
    config: HostingConfig,
}

/// Checks a tenant id: 1 to 48 lowercase letters, digits and '-', not starting with '-'.
pub fn check_id(id: &str) -> Result<(), NodeError> {
    let ok = !id.is_empty()
        && id.len() <= MAX_ID_CHARS
        && !id.starts_with('-')
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(NodeError::Config(format!(
            "tenant id {id:?} is not usable: 1 to {MAX_ID_CHARS} lowercase letters, digits and \
             '-', not starting with '-' (it becomes the workplace's path /t/<id>/)"
        )))
    }
}

impl Hosting {
    /// Whether `dir` is a hosting directory.
    pub fn is_hosting(dir: &Path) -> bool {
        dir.join(HOSTING_FILE).is_file()
    }

    /// Creates a hosting directory.
    pub fn init(dir: &Path, provider: &str) -> Result<Hosting, NodeError> {
        let provider = provider.trim();
        if provider.is_empty() {
            return Err(NodeError::Config(
                "the provider's name must not be empty".into(),
            ));
        }
        if Hosting::is_hosting(dir) || dir.join(crate::node::KEY_FILE).exists() {
            return Err(NodeError::AlreadyInitialised(dir.display().to_string()));
        }
        for d in [dir.to_path_buf(), dir.join("tenants"), dir.join("removed")] {
            sovbench_core::private::create_dir(&d).map_err(|source| io(&d, source))?;
        }
        let config = HostingConfig {
            provider: provider.to_string(),
        };
        write_toml(&dir.join(HOSTING_FILE), &config)?;
        Ok(Hosting {
            dir: dir.to_path_buf(),
            config,
        })
    }

    /// Opens a hosting directory.
    pub fn open(dir: &Path) -> Result<Hosting, NodeError> {
        let file = dir.join(HOSTING_FILE);
        let text = std::fs::read_to_string(&file).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => NodeError::Config(format!(
                "{} is not a hosting directory (no {HOSTING_FILE}); create one with \
                 `sovbench-node --data {} hosting init --provider NAME`",
                dir.display(),
                dir.display()
            )),
            _ => io(&file, e),
        })?;
        let config: HostingConfig = toml::from_str(&text)
            .map_err(|e| NodeError::Config(format!("{}: {e}", file.display())))?;
        Ok(Hosting {
            dir: dir.to_path_buf(),
            config,
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The provider's settings.
    pub fn config(&self) -> &HostingConfig {
        &self.config
    }

    /// The node data directory of tenant `id` (whether it exists or not).
    pub fn tenant_dir(&self, id: &str) -> PathBuf {
        self.dir.join("tenants").join(id)
    }

    /// The directory of a removed tenant.
    pub fn removed_dir(&self, id: &str) -> PathBuf {
        self.dir.join("removed").join(id)
    }

    /// Whether tenant `id` exists (and is not removed).
    pub fn has(&self, id: &str) -> bool {
        check_id(id).is_ok() && self.tenant_dir(id).join(TENANT_FILE).is_file()
    }

    /// Adds a tenant: a node of its own (key, `node.toml`, store, profile) under `tenants/<id>/`.
    pub fn add(&self, id: &str, opts: InitOptions, clock: SharedClock) -> Result<Node, NodeError> {
        check_id(id)?;
        if self.tenant_dir(id).exists() || self.removed_dir(id).exists() {
            return Err(NodeError::Config(format!(
                "a tenant {id:?} exists already (or was removed and not yet purged)"
            )));
        }
        let name = opts.name.trim().to_string();
        let node = Node::init_with_clock(&self.tenant_dir(id), opts, clock)?;
        let info = TenantInfo {
            id: id.to_string(),
            name,
            added_at: node.now(),
            fingerprint: sovbench_core::envelope::fingerprint(node.public_key()),
        };
        write_toml(&node.dir().join(TENANT_FILE), &info)?;
        Ok(node)
    }

    /// The tenants, by id.
    pub fn tenants(&self) -> Result<Vec<TenantInfo>, NodeError> {
        self.read_infos(&self.dir.join("tenants"))
    }

    /// The removed tenants whose directories are kept, by id.
    pub fn removed(&self) -> Result<Vec<TenantInfo>, NodeError> {
        self.read_infos(&self.dir.join("removed"))
    }

    fn read_infos(&self, dir: &Path) -> Result<Vec<TenantInfo>, NodeError> {
        let mut out = Vec::new();
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(io(dir, e)),
        };
        for entry in entries {
            let entry = entry.map_err(|e| io(dir, e))?;
            let file = entry.path().join(TENANT_FILE);
            match std::fs::read_to_string(&file) {
                Ok(text) => match toml::from_str::<TenantInfo>(&text) {
                    Ok(info) => out.push(info),
                    Err(e) => {
                        tracing::warn!(file = %file.display(), error = %e, "unreadable tenant file")
                    }
                },
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io(&file, e)),
            }
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    /// Removes tenant `id`: withdraws its peer offers (a withdrawal the aggregator does not
    /// acknowledge now stays pending and `serve` retries it), ends its sessions, and moves its
    /// directory to `removed/<id>/`, where its ledger stays until the report is exported.
    /// Returns the paths whose withdrawal is still pending.
    pub async fn remove(&self, id: &str, clock: SharedClock) -> Result<Vec<String>, NodeError> {
        if !self.has(id) {
            return Err(NodeError::Config(format!("no tenant {id:?}")));
        }
        let dir = self.tenant_dir(id);
        let mut pending = Vec::new();
        {
            let node = open_waiting(&dir, clock).await?;
            for o in crate::peers::offers(&node)? {
                let report = crate::peers::withdraw(&node, &o.path_id).await?;
                if report.pending {
                    pending.push(report.path_id);
                }
            }
            node.store().purge_sessions(i64::MAX)?;
        }
        let to = self.removed_dir(id);
        std::fs::rename(&dir, &to).map_err(|e| io(&to, e))?;
        if let Ok(d) = std::fs::File::open(self.dir.join("removed")) {
            let _ = d.sync_all();
        }
        Ok(pending)
    }

    /// Writes the report for the data protection officer of tenant `id` (active or removed) to
    /// `output`, and marks a removed tenant as exported.
    pub fn export(
        &self,
        id: &str,
        output: &Path,
        lang: sovbench_core::i18n::Lang,
        clock: SharedClock,
    ) -> Result<(), NodeError> {
        check_id(id)?;
        let (dir, removed) = if self.has(id) {
            (self.tenant_dir(id), false)
        } else if self.removed_dir(id).join(TENANT_FILE).is_file() {
            (self.removed_dir(id), true)
        } else {
            return Err(NodeError::Config(format!(
                "no tenant {id:?}, active or removed"
            )));
        };
        let node = Node::open_with_clock(&dir, clock)?;
        let report = crate::privacy::report::render(&node, lang, node.now())?;
        sovbench_core::private::write_private(output, report.as_bytes())
            .map_err(|e| io(output, e))?;
        if removed {
            write_toml(
                &dir.join(EXPORTED_FILE),
                &serde_json::json!({"at": node.now()}),
            )?;
        }
        Ok(())
    }

    /// Deletes a removed tenant whose report has been exported.
    pub fn purge(&self, id: &str) -> Result<(), NodeError> {
        check_id(id)?;
        let dir = self.removed_dir(id);
        if !dir.join(TENANT_FILE).is_file() {
            return Err(NodeError::Config(format!("no removed tenant {id:?}")));
        }
        if !dir.join(EXPORTED_FILE).is_file() {
            return Err(NodeError::Config(format!(
                "the ledger of {id:?} has not been exported for the data protection officer: \
                 run `sovbench-node tenants export {id} --output FILE` first"
            )));
        }
        std::fs::remove_dir_all(&dir).map_err(|e| io(&dir, e))
    }
}

/// Opens a tenant's node, waiting up to ten seconds while a running `serve` holds its store (it
/// closes it two seconds after the workplace's last request).
async fn open_waiting(dir: &Path, clock: SharedClock) -> Result<Node, NodeError> {
    let start = std::time::Instant::now();
    loop {
        match Node::open_with_clock(dir, clock.clone()) {
            Err(NodeError::Locked(_)) if start.elapsed() < std::time::Duration::from_secs(10) => {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            other => return other,
        }
    }
}

fn write_toml<T: Serialize>(path: &Path, value: &T) -> Result<(), NodeError> {
    let text = toml::to_string(value).map_err(|e| NodeError::Config(e.to_string()))?;
    sovbench_core::private::write_private(path, text.as_bytes()).map_err(|e| io(path, e))
}

fn io(path: &Path, source: std::io::Error) -> NodeError {
    NodeError::Io {
        path: path.display().to_string(),
        source,
    }
}

#[cfg(test)]
mod tests;
