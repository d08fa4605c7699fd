//! `sovbench-node hosting init` and `sovbench-node tenants …`: hosted mode, for an IT service
//! provider that runs one node for many administrations (`--data` is then the hosting
//! directory; see docs/HOSTING.md).

use std::path::{Path, PathBuf};

use clap::Subcommand;
use sovbench_core::clock::SystemClock;
use sovbench_core::i18n::Lang;

use super::json_line;
use super::node::{announce, NewNode};
use crate::hosting::Hosting;

#[derive(Debug, Subcommand)]
pub enum HostingAction {
    /// Create a hosting directory (at --data) for many administrations.
    Init {
        /// The provider's name, shown on the workplace's entry page.
        #[arg(long)]
        provider: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TenantsAction {
    /// Add an administration: a node of its own (key, node.toml, store, first account) under
    /// tenants/ID; its workplace is /t/ID/.
    Add {
        /// Id of the administration (lowercase letters, digits, '-'), e.g. gemeinde-musterhausen.
        id: String,
        #[command(flatten)]
        node: NewNode,
    },
    /// List the administrations (and those removed whose ledger is kept).
    List,
    /// Remove an administration: withdraws its peer offers, ends its sessions, and keeps its
    /// data under removed/ID until its report for the data protection officer is exported.
    Remove {
        /// Id of the administration.
        id: String,
    },
    /// Write the report for the data protection officer of an administration (active or
    /// removed).
    Export {
        /// Id of the administration.
        id: String,
        /// The report (Markdown).
        #[arg(long, value_name = "FILE")]
        output: PathBuf,
    },
    /// Delete a removed administration whose report has been exported.
    Purge {
        /// Id of the administration.
        id: String,
    },
}

/// `hosting init`.
pub(super) fn hosting(dir: &Path, action: HostingAction, lang: Lang) -> anyhow::Result<()> {
    match action {
        HostingAction::Init { provider } => {
            Hosting::init(dir, &provider)?;
            println!(
                "{} {}",
                lang.pick(
                    "Hosting-Verzeichnis angelegt:",
                    "Hosting directory created:"
                ),
                dir.display()
            );
            println!(
                "{}",
                lang.pick(
                    "Verwaltungen hinzufügen mit: sovbench-node --data DIR tenants add ID --name … --kind … --state … --population …",
                    "Add administrations with: sovbench-node --data DIR tenants add ID --name … --kind … --state … --population …"
                )
            );
            Ok(())
        }
    }
}

/// `tenants …`.
pub(super) fn run(
    dir: &Path,
    action: TenantsAction,
    lang: Option<Lang>,
    json: bool,
) -> anyhow::Result<()> {
    let hosting = Hosting::open(dir)?;
    let l = lang.unwrap_or_default();
    match action {
        TenantsAction::Add { id, node } => {
            let args = node.into_args()?;
            let created = hosting.add(&id, args.options(), SystemClock::shared())?;
            if !json {
                println!(
                    "{} {id}: {}",
                    l.pick("Verwaltung hinzugefügt", "Administration added"),
                    hosting.tenant_dir(&id).display()
                );
                println!("{} /t/{id}/", l.pick("Arbeitsplatz:", "Workplace:"));
            }
            announce(created, &args, lang, json)
        }
        TenantsAction::List => {
            let active = hosting.tenants()?;
            let removed = hosting.removed()?;
            if json {
                return json_line(&serde_json::json!({"tenants": active, "removed": removed}));
            }
            if active.is_empty() {
                println!("{}", l.pick("Keine Verwaltungen.", "No administrations."));
            }
            for t in &active {
                println!("{:<32} {:<40} {}", t.id, t.name, t.fingerprint);
            }
            for t in &removed {
                println!(
                    "{:<32} {:<40} {}",
                    t.id,
                    t.name,
                    l.pick("(entfernt, Ledger aufbewahrt)", "(removed, ledger kept)")
                );
            }
            Ok(())
        }
        TenantsAction::Remove { id } => {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let pending = rt.block_on(hosting.remove(&id, SystemClock::shared()))?;
            println!(
                "{} {id}",
                l.pick("Verwaltung entfernt:", "Administration removed:")
            );
            println!(
                "{}",
                l.pick(
                    "Ihre Daten bleiben unter removed/ bis der Bericht für die Datenschutzbeauftragte exportiert ist (tenants export).",
                    "Its data stays under removed/ until the report for the data protection officer is exported (tenants export)."
                )
            );
            if !pending.is_empty() {
                println!(
                    "{}: {}",
                    l.pick(
                        "Rückzug der Peer-Angebote noch ausstehend (serve sendet ihn erneut)",
                        "Withdrawal of peer offers still pending (serve sends it again)"
                    ),
                    pending.join(", ")
                );
            }
            Ok(())
        }
        TenantsAction::Export { id, output } => {
            hosting.export(&id, &output, l, SystemClock::shared())?;
            println!(
                "{} {}",
                l.pick("Bericht geschrieben:", "Report written:"),
                output.display()
            );
            Ok(())
        }
        TenantsAction::Purge { id } => {
            hosting.purge(&id)?;
            println!("{} {id}", l.pick("Gelöscht:", "Deleted:"));
            Ok(())
        }
    }
}
