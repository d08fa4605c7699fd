//! `committee create|list`: the DKG ceremonies of trustee committees (mode secure).

use anyhow::Context as _;
use clap::Subcommand;
use serde_json::json;
use sovbench_core::envelope::{b64, fingerprint, unb64};

use super::context::Output;
use crate::aggregator::Aggregator;

/// Committee actions.
#[derive(Debug, Subcommand)]
pub enum CommitteeAction {
    /// Register a DKG ceremony: the trustees then run the key generation through this
    /// aggregator (`DkgPost` / `DkgFetch`); it is complete when all agree on one committee.
    Create {
        /// Ceremony id, e.g. nord-2026.
        id: String,
        /// Threshold t: trustees needed to decrypt (1 ≤ t ≤ m).
        #[arg(long)]
        threshold: u32,
        /// A trustee's raw Ed25519 public key (base64), in committee order; 2 to 64 of them.
        #[arg(long = "trustee", value_name = "KEY_B64", required = true)]
        trustees: Vec<String>,
    },
    /// List ceremonies: t of m, messages posted, complete, committee fingerprint.
    List,
}

/// Runs a committee action.
pub fn run(agg: &Aggregator, action: CommitteeAction, out: Output) -> anyhow::Result<()> {
    let lang = out.lang;
    match action {
        CommitteeAction::Create {
            id,
            threshold,
            trustees,
        } => {
            let keys = trustees
                .iter()
                .map(|k| {
                    unb64(k.trim()).with_context(|| format!("trustee key {k:?} is not base64"))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            agg.create_ceremony(&id, threshold, keys)?;
            let c = agg.ceremony(&id)?;
            if out.json {
                println!(
                    "{}",
                    json!({"id": c.id, "threshold": c.threshold, "trustees": c.trustee_keys.len()})
                );
            } else {
                println!(
                    "{} {} ({} {} {})",
                    lang.pick("Zeremonie angelegt:", "Ceremony created:"),
                    c.id,
                    c.threshold,
                    lang.pick("von", "of"),
                    c.trustee_keys.len()
                );
            }
        }
        CommitteeAction::List => {
            let all = agg.ceremonies()?;
            if out.json {
                let v: Vec<_> = all
                    .iter()
                    .map(|c| {
                        json!({"id": c.id, "threshold": c.threshold,
                        "trustee_keys": c.trustee_keys.iter().map(|k| b64(k)).collect::<Vec<_>>(),
                        "posted": c.posted, "complete": c.complete,
                        "fingerprint": c.fingerprint.map(hex::encode)})
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&v)?);
                return Ok(());
            }
            for c in all {
                println!(
                    "{:<16} {} {} {}  {} {}  {}  {}",
                    c.id,
                    c.threshold,
                    lang.pick("von", "of"),
                    c.trustee_keys.len(),
                    c.posted,
                    lang.pick("Nachrichten", "messages"),
                    if c.complete {
                        lang.pick("vollständig", "complete")
                    } else {
                        lang.pick("läuft", "running")
                    },
                    c.fingerprint.map(hex::encode).unwrap_or_else(|| "-".into())
                );
                for (i, k) in c.trustee_keys.iter().enumerate() {
                    println!("    {i}: {}", fingerprint(k));
                }
            }
        }
    }
    Ok(())
}
