//! How an operator command reaches the aggregator: directly on its store when no server holds
//! it, else through the admin API of the running `serve` (its address from `serve.addr` in the
//! data directory, or `--admin URL`), signed with the operator key. The output is the same.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use sovbench_core::envelope::Identity;
use sovbench_core::pb;
use sovbench_core::pb::admin_request::Command;

use super::context::{runtime, Output};
use crate::admin::client::{serving_addr, AdminClient, ADDR_FILE};
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
}

/// Runs `command` on the store, or through the admin API when `serve` holds the store (or
/// `--admin` is given).
pub fn operate(target: &Target, command: Command, out: Output) -> anyhow::Result<Outcome> {
    let style = Style {
        json: out.json,
        lang: out.lang,
    };
    if target.admin.is_none() {
        match Aggregator::open(&target.dir) {
            Ok(agg) => {
                let req = pb::AdminRequest {
                    command: Some(command),
                    ..Default::default()
                };
                let mut req = req;
                req.json = out.json;
                req.lang = lang_key(out);
                return Ok(execute(&agg, &req)?);
            }
            Err(AggError::Locked(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let url = match &target.admin {
        Some(u) => u.clone(),
        None => serving_addr(&target.dir).with_context(|| {
            format!(
                "the store in {} is in use, but {} names no running server (pass --admin URL)",
                target.dir.display(),
                target.dir.join(ADDR_FILE).display()
            )
        })?,
    };
    let (key_file, aggregator_key) = match &target.operator_key {
        Some(f) => (f.clone(), None),
        None => {
            let f = target.dir.join(KEY_FILE);
            let own = Identity::load_file(&f)
                .ok()
                .map(|i| i.public_key().to_vec());
            (f, own)
        }
    };
    let client = AdminClient::new(&url, &key_file, aggregator_key)?;
    runtime()?.block_on(client.call(command, style))
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
