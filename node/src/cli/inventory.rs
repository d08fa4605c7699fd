//! `sovbench-node inventory`: the system inventory, its risks, exit scenarios and the catalogue
//! of alternatives.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde::Serialize;

use super::{json_line, json_pretty, Out};
use crate::inventory::edit::{self, ExitEdit, SystemFields};
use crate::inventory::risk::{self, Risk};
use crate::inventory::System;
use crate::node::Node;
use crate::present::inventory as present;

/// One system as `--json` shows it.
#[derive(Serialize)]
struct SystemJson {
    risk: Risk,
    system: System,
}

/// `inventory remove|import|export --json`.
#[derive(Serialize)]
#[serde(untagged)]
enum DoneJson {
    Removed { removed: String },
    Imported { imported: usize, replaced: bool },
    Exported { exported: usize, file: PathBuf },
}

/// Fields of a system; `add` requires the starred ones, `edit` changes those given.
#[derive(Debug, Args, Default)]
pub struct SystemArgs {
    /// Category*: e.g. email_kalender, textverarbeitung, fachverfahren, datenbank, identitaet.
    #[arg(long)]
    pub category: Option<String>,
    /// Product.
    #[arg(long)]
    pub product: Option<String>,
    /// Vendor.
    #[arg(long)]
    pub vendor: Option<String>,
    /// Vendor's jurisdiction*: eu_ewr, us, andere.
    #[arg(long)]
    pub jurisdiction: Option<String>,
    /// Hosting*: eigenes_rz, oeffentlicher_dienstleister, eu_cloud, nicht_eu_anbieter_eu_region, ausserhalb_eu.
    #[arg(long)]
    pub hosting: Option<String>,
    /// Licence*: open_source, proprietaer.
    #[arg(long)]
    pub licence: Option<String>,
    /// Open standards and export formats, comma separated (ODF, OOXML, CSV, CalDAV, ...).
    #[arg(long, value_delimiter = ',')]
    pub formats: Option<Vec<String>>,
    /// API available*: ja / nein.
    #[arg(long)]
    pub api: Option<String>,
    /// Contract end (YYYY-MM-DD); "-" clears it.
    #[arg(long)]
    pub contract_end: Option<String>,
    /// Notice period in months.
    #[arg(long)]
    pub notice_months: Option<u32>,
    /// Exit clause in the contract*: ja / nein.
    #[arg(long)]
    pub exit_clause: Option<String>,
    /// Relevance*: kritisch, hoch, mittel, niedrig.
    #[arg(long)]
    pub relevance: Option<String>,
    /// Number of users*.
    #[arg(long)]
    pub users: Option<u32>,
}

impl From<SystemArgs> for SystemFields {
    fn from(a: SystemArgs) -> SystemFields {
        SystemFields {
            category: a.category,
            product: a.product,
            vendor: a.vendor,
            jurisdiction: a.jurisdiction,
            hosting: a.hosting,
            licence: a.licence,
            formats: a.formats,
            api: a.api,
            contract_end: a.contract_end,
            notice_months: a.notice_months,
            exit_clause: a.exit_clause,
            relevance: a.relevance,
            users: a.users,
        }
    }
}

/// Inventory actions.
#[derive(Debug, Subcommand)]
pub enum InventoryAction {
    /// Add a system.
    Add {
        /// Unique name.
        name: String,
        #[command(flatten)]
        fields: SystemArgs,
    },
    /// Change fields of a system.
    Edit {
        /// Name of the system.
        name: String,
        #[command(flatten)]
        fields: SystemArgs,
    },
    /// Remove a system.
    Remove {
        /// Name of the system.
        name: String,
    },
    /// List the systems.
    List,
    /// Show one system with its risk and exit scenario.
    Show {
        /// Name of the system.
        name: String,
    },
    /// Import systems from CSV (German or English column names), XLSX (first sheet), JSON or ODS.
    /// Nothing is stored if any row has an error; errors name line (the sheet's row) and column.
    Import {
        /// File (.csv, .xlsx, .json, .ods).
        file: PathBuf,
        /// Replace the whole inventory instead of adding to it.
        #[arg(long)]
        replace: bool,
        /// With --replace: accept a file without systems, which empties the inventory (refused
        /// otherwise).
        #[arg(long, requires = "replace")]
        allow_empty: bool,
    },
    /// Export the inventory as CSV, JSON or ODS (by extension).
    Export {
        /// File (.csv, .json, .ods).
        file: PathBuf,
    },
    /// List the systems by dependency risk, with the reasons.
    Risks,
    /// Define or change the exit scenario of a system.
    Exit {
        /// Name of the system.
        name: String,
        /// Alternatives, comma separated (see `inventory alternatives`).
        #[arg(long, value_delimiter = ',')]
        alternatives: Option<Vec<String>>,
        /// Estimated switch duration in months (needed for a new scenario).
        #[arg(long)]
        months: Option<u32>,
        /// Data export formats to use, comma separated.
        #[arg(long, value_delimiter = ',')]
        formats: Option<Vec<String>>,
        /// Migration cost per workplace in EUR (report: 5,000-7,000, mostly training; a new
        /// scenario: 6,000).
        #[arg(long)]
        cost_per_workplace: Option<u32>,
        /// Status: entwurf, abgestimmt, getestet (a new scenario: entwurf).
        #[arg(long)]
        status: Option<String>,
    },
    /// The catalogue of European alternatives (from the report), with your own additions.
    Alternatives {
        /// Only this category.
        #[arg(long)]
        category: Option<String>,
        /// Add your own alternative for --category.
        #[arg(long, value_name = "PRODUCT", requires = "category")]
        add: Option<String>,
    },
}

/// Runs an inventory action.
pub(super) fn run(node: &Node, action: InventoryAction, out: Out) -> anyhow::Result<()> {
    let lang = out.lang;
    let show = |s: System| -> anyhow::Result<()> {
        let r = risk::assess(&s);
        if out.json {
            json_pretty(&SystemJson { risk: r, system: s })
        } else {
            print!("{}", present::system(&s, &r, lang));
            Ok(())
        }
    };
    match action {
        InventoryAction::Add { name, fields } => show(edit::add(node, &name, fields.into())?)?,
        InventoryAction::Edit { name, fields } => show(edit::edit(node, &name, fields.into())?)?,
        InventoryAction::Show { name } => show(edit::get(node, &name)?)?,
        InventoryAction::Remove { name } => {
            edit::remove(node, &name)?;
            if out.json {
                json_line(&DoneJson::Removed { removed: name })?;
            } else {
                println!("{} {name}", lang.pick("Entfernt:", "Removed:"));
            }
        }
        InventoryAction::List => {
            let systems = node.store().systems()?;
            if out.json {
                json_pretty(&systems)?;
            } else {
                print!("{}", present::list(&systems, lang));
            }
        }
        InventoryAction::Import {
            file,
            replace,
            allow_empty,
        } => {
            let n = edit::import(
                node,
                &file,
                edit::ImportMode {
                    replace,
                    allow_empty,
                },
            )?;
            if out.json {
                json_line(&DoneJson::Imported {
                    imported: n,
                    replaced: replace,
                })?;
            } else {
                println!(
                    "{n} {} {}",
                    lang.pick("Systeme importiert aus", "systems imported from"),
                    file.display()
                );
            }
        }
        InventoryAction::Export { file } => {
            let n = edit::export(node, &file, lang)?;
            if out.json {
                json_line(&DoneJson::Exported { exported: n, file })?;
            } else {
                println!(
                    "{n} {} {}",
                    lang.pick("Systeme exportiert nach", "systems exported to"),
                    file.display()
                );
            }
        }
        InventoryAction::Risks => {
            let ranked = risk::ranked(&node.store().systems()?);
            if out.json {
                json_pretty(&ranked)?;
            } else {
                print!("{}", present::risks(ranked, lang));
            }
        }
        InventoryAction::Exit {
            name,
            alternatives,
            months,
            formats,
            cost_per_workplace,
            status,
        } => {
            let exit = ExitEdit {
                alternatives,
                months,
                formats,
                cost_per_workplace,
                status,
            };
            show(edit::set_exit(node, &name, exit)?)?;
        }
        InventoryAction::Alternatives { category, add } => {
            let all = edit::list_alternatives(node, category.as_deref(), add)?;
            if out.json {
                json_pretty(&all)?;
            } else {
                print!("{}", present::alternatives(&all, lang));
            }
        }
    }
    Ok(())
}
