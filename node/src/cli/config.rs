//! `sovbench-node config`: settings of `node.toml` that are pinned after checking them out of
//! band (today the trustee committee of mode secure). The file is changed in place, keeping its
//! comments; the running node must be restarted (`serve`) to see the change.

use clap::Subcommand;
use serde::Serialize;

use super::{json_line, Out};
use crate::node::Node;

/// Actions of `config`.
#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Pin the trustee committee of mode secure: set committee_fingerprint in node.toml.
    ///
    /// Take the fingerprint from the consortium through a channel other than the aggregator
    /// (letter, signed e-mail, the consortium's meeting); a round naming another committee is
    /// refused.
    Committee {
        /// SHA-256 of the committee document, 64 hex digits.
        #[arg(value_name = "HEX")]
        fingerprint: String,
    },
    /// Trust this CA for the aggregator's TLS certificate: set aggregator_ca in node.toml.
    ///
    /// For an `https://` aggregator address whose certificate is not signed by a CA in the
    /// system's trust store (e.g. the consortium's own CA).
    AggregatorCa {
        /// The CA certificate (PEM).
        #[arg(value_name = "FILE")]
        file: std::path::PathBuf,
    },
}

/// `config committee --json`.
#[derive(Serialize)]
struct CommitteeJson {
    committee_fingerprint: Option<String>,
    previous: Option<String>,
}

/// Runs a `config` action.
pub(super) fn run(node: &Node, action: ConfigAction, out: Out) -> anyhow::Result<()> {
    let lang = out.lang;
    match action {
        ConfigAction::Committee { fingerprint } => {
            let previous = node.config().committee_fingerprint.clone();
            let cfg = crate::config::set_committee_fingerprint(node.dir(), &fingerprint)?;
            if out.json {
                return json_line(&CommitteeJson {
                    committee_fingerprint: cfg.committee_fingerprint,
                    previous,
                });
            }
            println!(
                "{}: {}",
                lang.pick(
                    "Treuhändergremium gepinnt (committee_fingerprint in node.toml)",
                    "Trustee committee pinned (committee_fingerprint in node.toml)"
                ),
                cfg.committee_fingerprint.as_deref().unwrap_or("-")
            );
            if let Some(p) = previous.filter(|p| Some(p) != cfg.committee_fingerprint.as_ref()) {
                println!("{}: {p}", lang.pick("vorher", "previously"));
            }
        }
        ConfigAction::AggregatorCa { file } => {
            let cfg = crate::config::set_aggregator_ca(node.dir(), &file)?;
            if out.json {
                return json_line(&serde_json::json!({ "aggregator_ca": cfg.aggregator_ca }));
            }
            println!(
                "{}: {}",
                lang.pick(
                    "CA für das TLS-Zertifikat des Aggregators gesetzt (aggregator_ca in node.toml)",
                    "CA for the aggregator's TLS certificate set (aggregator_ca in node.toml)"
                ),
                cfg.aggregator_ca.as_deref().unwrap_or("-")
            );
        }
    }
    Ok(())
}
