//! How an operator command reaches the aggregator, in this order:
//! 1. `--admin URL`: the admin API at that address (TLS checked against `--admin-ca`);
//! 2. the local socket `admin.sock` of a `serve` running on this data directory;
//! 3. the store itself, when no server holds it;
//! 4. the address in `serve.addr` (a server without its local socket).
//!
//! Through the admin API the command is signed with the operator key and bound to the
//! aggregator's public key (from `--aggregator-key`, or the data directory's `aggregator.key`).
//! The output is the same every way.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use sovbench_core::envelope::Identity;
use sovbench_core::pb;
use sovbench_core::pb::admin_request::Command;

use super::context::{runtime, Output};
use crate::admin::client::{serving_addr, AdminClient, Via, ADDR_FILE, SOCKET_FILE};
use crate::admin::commands::{execute, Outcome, Style};
use crate::aggregator::{Aggregator, KEY_FILE};
use crate::error::AggError;

/// Where and as whom operator commands go.
#[derive(Debug, Clone)]
pub struct Target {
    /// Data directory.
    pub dir: PathBuf,
    /// `--admin URL`: always use the admin API at this address.
    pub admin: Option<String>,
    /// `--operator-key FILE`: sign with this key instead of the aggregator's.
    pub operator_key: Option<PathBuf>,
    /// `--aggregator-key KEY`: the aggregator's public key (base64).
    pub aggregator_key: Option<String>,
    /// `--admin-ca FILE`: the CA of the aggregator's certificate.
    pub admin_ca: Option<PathBuf>,
}

/// Runs `command` on the store, or through the admin API when `serve` holds the store (or
/// `--admin` is given).
pub fn operate(target: &Target, command: Command, out: Output) -> anyhow::Result<Outcome> {
    let style = Style {
        json: out.json,
        lang: out.lang,
    };
    if let Some(url) = &target.admin {
        let via = Via::Url {
            url: url.clone(),
            ca: target.admin_ca.clone(),
        };
        let client = client(target, via)?;
        return runtime()?.block_on(client.call(command, style));
    }
    let socket = target.dir.join(SOCKET_FILE);
    if socket.exists() {
        let client = client(target, Via::Socket(socket.clone()))?;
        let rt = runtime()?;
        match rt.block_on(client.connect()) {
            Ok(channel) => return rt.block_on(client.call_on(channel, command, style)),
            // A socket left by a server that did not stop cleanly: nobody listens.
            Err(e) => {
                tracing::debug!(socket = %socket.display(), error = %e, "admin socket unused")
            }
        }
    }
    match Aggregator::open(&target.dir) {
        Ok(agg) => {
            let req = pb::AdminRequest {
                command: Some(command),
                json: out.json,
                lang: lang_key(out),
                ..Default::default()
            };
            return Ok(execute(&agg, &req)?);
        }
        Err(AggError::Locked(_)) => {}
        Err(e) => return Err(e.into()),
    }
    let url = serving_addr(&target.dir).with_context(|| {
        format!(
            "the store in {} is in use, but neither {} nor {} reaches a running server \
             (pass --admin URL)",
            target.dir.display(),
            target.dir.join(SOCKET_FILE).display(),
            target.dir.join(ADDR_FILE).display()
        )
    })?;
    let via = Via::Url {
        url,
        ca: target.admin_ca.clone(),
    };
    runtime()?.block_on(client(target, via)?.call(command, style))
}

/// The admin client of `target`: its operator key (default: the data directory's
/// `aggregator.key`) and the aggregator's public key it binds requests to.
fn client(target: &Target, via: Via) -> anyhow::Result<AdminClient> {
    let key_file = target
        .operator_key
        .clone()
        .unwrap_or_else(|| target.dir.join(KEY_FILE));
    let aggregator_key = match &target.aggregator_key {
        Some(k) => {
            let raw = sovbench_core::envelope::unb64(k.trim())
                .ok()
                .filter(|r| r.len() == sovbench_core::envelope::PUBLIC_KEY_LEN)
                .with_context(|| {
                    format!("--aggregator-key {k:?} is not a base64 Ed25519 public key")
                })?;
            raw
        }
        None => Identity::load_file(&target.dir.join(KEY_FILE))
            .map(|i| i.public_key().to_vec())
            .with_context(|| {
                format!(
                    "the aggregator's public key is needed to bind the request to it: pass \
                     --aggregator-key KEY (printed by `sovbench-aggregator key` on the server), \
                     or run as the service account that can read {}",
                    target.dir.join(KEY_FILE).display()
                )
            })?,
    };
    AdminClient::new(via, &key_file, aggregator_key)
}

fn lang_key(out: Output) -> String {
    out.lang.pick("de", "en").to_string()
}

/// Prints an outcome as the command prints it.
pub fn print(outcome: &Outcome) {
    print!("{}", outcome.output);
}

/// The default operator key file of a data directory.
pub fn default_key(dir: &Path) -> PathBuf {
    dir.join(KEY_FILE)
}
