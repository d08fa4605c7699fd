//! `sovbench-node migration`: migration paths with their stage history.

use clap::Subcommand;

use super::{json_pretty, Out};
use crate::migration::edit::{self, NewPath};
use crate::migration::MigrationPath;
use crate::node::Node;

/// Migration path actions.
#[derive(Debug, Subcommand)]
pub enum MigrationAction {
    /// Record a migration path.
    Add {
        /// Category, e.g. videokonferenzen, email_kalender.
        #[arg(long)]
        category: String,
        /// Product migrated from.
        #[arg(long)]
        from: String,
        /// Product migrated to (see `inventory alternatives`; any product is allowed, but only
        /// targets of the published path catalogue enter the benchmark).
        #[arg(long)]
        to: String,
        /// Initial stage: erwogen, geplant, pilot, rollout, abgeschlossen, zurueckgerollt.
        #[arg(long, default_value = "erwogen")]
        stage: String,
        /// Affected workplaces.
        #[arg(long, default_value_t = 0)]
        workplaces: u32,
        /// Inventory systems it concerns, comma separated (must exist in the inventory).
        #[arg(long, value_delimiter = ',')]
        systems: Vec<String>,
        /// Local notes (never leave the node).
        #[arg(long, default_value = "")]
        notes: String,
        /// Date of the stage (YYYY-MM-DD, default today).
        #[arg(long)]
        date: Option<String>,
    },
    /// Move a path to its next stage (or to --to).
    Advance {
        /// Path id.
        id: String,
        /// Target stage instead of the next one.
        #[arg(long)]
        to: Option<String>,
        /// Date of the change (YYYY-MM-DD, default today).
        #[arg(long)]
        date: Option<String>,
    },
    /// Record that a path was rolled back.
    Rollback {
        /// Path id.
        id: String,
        /// Date of the roll-back (YYYY-MM-DD, default today).
        #[arg(long)]
        date: Option<String>,
    },
    /// List the paths.
    List,
    /// Show one path with its stage history.
    Show {
        /// Path id.
        id: String,
    },
}

/// Runs a migration action.
pub(super) fn run(node: &Node, action: MigrationAction, out: Out) -> anyhow::Result<()> {
    let lang = out.lang;
    let show = |p: &MigrationPath| -> anyhow::Result<()> {
        if out.json {
            return json_pretty(p);
        }
        println!("{}", p.line(lang));
        for c in &p.history {
            println!(
                "    {}  {}",
                sovbench_core::time::format_days(c.on),
                c.stage.label(lang)
            );
        }
        if !p.systems.is_empty() {
            println!(
                "    {}: {}",
                lang.pick("Systeme", "Systems"),
                p.systems.join(", ")
            );
        }
        match p.catalogue_item() {
            Some(i) => println!(
                "    {}: {}",
                lang.pick("Pfadkatalog", "Path catalogue"),
                i.id
            ),
            None => println!(
                "    {}",
                lang.pick(
                    "Ziel nicht im Pfadkatalog: geht nicht in den Benchmark ein.",
                    "Target not in the path catalogue: not part of the benchmark."
                )
            ),
        }
        if !p.notes.is_empty() {
            println!("    {}: {}", lang.pick("Notizen", "Notes"), p.notes);
        }
        Ok(())
    };
    match action {
        MigrationAction::Add {
            category,
            from,
            to,
            stage,
            workplaces,
            systems,
            notes,
            date,
        } => {
            let new = NewPath {
                category,
                from,
                to,
                stage,
                workplaces,
                systems,
                notes,
                date,
            };
            show(&edit::add(node, new)?)?;
        }
        MigrationAction::Advance { id, to, date } => {
            show(&edit::advance(node, &id, to.as_deref(), date.as_deref())?)?;
        }
        MigrationAction::Rollback { id, date } => {
            show(&edit::rollback(node, &id, date.as_deref())?)?;
        }
        MigrationAction::List => {
            let all = node.store().migrations()?;
            if out.json {
                json_pretty(&all)?;
            } else {
                for p in &all {
                    println!("{}", p.line(lang));
                }
                println!(
                    "{} {}",
                    all.len(),
                    lang.pick("Migrationspfade", "migration paths")
                );
            }
        }
        MigrationAction::Show { id } => show(&edit::get(node, &id)?)?,
    }
    Ok(())
}
