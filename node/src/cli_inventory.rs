//! The inventory, readiness, procurement and report commands of `sovbench-node`.

use std::path::PathBuf;

use anyhow::{bail, Context as _};
use clap::{Args, Subcommand};
use serde_json::json;
use sovbench_core::i18n::Lang;

use crate::inventory::alternatives::{self, Alternative};
use crate::inventory::io::{self, write_atomically, IoError};
use crate::inventory::risk;
use crate::inventory::{
    Category, ExitScenario, ExitStatus, Hosting, Jurisdiction, Licence, Relevance, System,
    DEFAULT_COST_PER_WORKPLACE,
};
use crate::node::Node;
use crate::procurement::{self, Criterion};
use crate::readiness;

/// Fields of a system; `add` requires the starred ones, `edit` changes those given.
#[derive(Debug, Args, Default)]
pub struct SystemFields {
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

/// Inventory actions.
#[derive(Debug, Subcommand)]
pub enum InventoryAction {
    /// Add a system.
    Add {
        /// Unique name.
        name: String,
        #[command(flatten)]
        fields: SystemFields,
    },
    /// Change fields of a system.
    Edit {
        /// Name of the system.
        name: String,
        #[command(flatten)]
        fields: SystemFields,
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
    /// Import systems from CSV (German or English column names), JSON or ODS. Nothing is stored
    /// if any row has an error; errors name line and column.
    Import {
        /// File (.csv, .json, .ods).
        file: PathBuf,
        /// Replace the whole inventory instead of adding to it.
        #[arg(long)]
        replace: bool,
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
        alternatives: Vec<String>,
        /// Estimated switch duration in months.
        #[arg(long)]
        months: u32,
        /// Data export formats to use, comma separated.
        #[arg(long, value_delimiter = ',')]
        formats: Vec<String>,
        /// Migration cost per workplace in EUR (report: 5,000-7,000, mostly training).
        #[arg(long, default_value_t = DEFAULT_COST_PER_WORKPLACE)]
        cost_per_workplace: u32,
        /// Status: entwurf, abgestimmt, getestet.
        #[arg(long, default_value = "entwurf")]
        status: String,
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

fn date_arg(date: Option<String>) -> anyhow::Result<i64> {
    match date {
        Some(d) => sovbench_core::time::parse_date(&d)
            .with_context(|| format!("--date {d:?}: use YYYY-MM-DD")),
        None => Ok(sovbench_core::now_unix().div_euclid(86_400)),
    }
}

/// Runs a migration action.
pub fn migration(
    node: &Node,
    action: MigrationAction,
    lang: Lang,
    as_json: bool,
) -> anyhow::Result<()> {
    use crate::migration::{new_id, MigrationPath, Stage, StageChange};
    let store = node.store();
    let show = |p: &MigrationPath| -> anyhow::Result<()> {
        if as_json {
            println!("{}", serde_json::to_string_pretty(p)?);
            return Ok(());
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
            let category = parsed("category", &category, Category::parse, Category::keys())?;
            let stage = parsed("stage", &stage, Stage::parse, Stage::keys())?;
            let systems: Vec<String> = systems
                .into_iter()
                .map(|x| x.trim().to_string())
                .filter(|x| !x.is_empty())
                .collect();
            let unknown: Vec<&String> = systems
                .iter()
                .filter(|n| store.system(n).ok().flatten().is_none())
                .collect();
            if !unknown.is_empty() {
                bail!(
                    "--systems: not in the inventory: {}",
                    unknown
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            if to.trim().is_empty() || from.trim().is_empty() {
                bail!("--from and --to must name products");
            }
            let on = date_arg(date)?;
            let id = new_id(category, &to, &|id| {
                store.migration(id).ok().flatten().is_some()
            });
            let p = MigrationPath {
                id,
                category,
                from_product: from.trim().into(),
                to_product: to.trim().into(),
                stage,
                history: vec![StageChange { stage, on }],
                workplaces,
                systems,
                notes,
            };
            store.put_migration(&p)?;
            show(&p)?;
        }
        MigrationAction::Advance { id, to, date } => {
            let mut p = store
                .migration(&id)?
                .with_context(|| format!("no migration path {id:?}"))?;
            let next = match to {
                Some(t) => parsed("to", &t, Stage::parse, Stage::keys())?,
                None => p
                    .stage
                    .next()
                    .with_context(|| format!("path {id} is {}; nothing follows", p.stage.key()))?,
            };
            p.change(next, date_arg(date)?)
                .map_err(anyhow::Error::msg)?;
            store.put_migration(&p)?;
            show(&p)?;
        }
        MigrationAction::Rollback { id, date } => {
            let mut p = store
                .migration(&id)?
                .with_context(|| format!("no migration path {id:?}"))?;
            p.change(Stage::Zurueckgerollt, date_arg(date)?)
                .map_err(anyhow::Error::msg)?;
            store.put_migration(&p)?;
            show(&p)?;
        }
        MigrationAction::List => {
            let all = store.migrations()?;
            if as_json {
                println!("{}", serde_json::to_string_pretty(&all)?);
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
        MigrationAction::Show { id } => {
            let p = store
                .migration(&id)?
                .with_context(|| format!("no migration path {id:?}"))?;
            show(&p)?;
        }
    }
    Ok(())
}

/// Procurement actions.
#[derive(Debug, Subcommand)]
pub enum ProcurementAction {
    /// Show or change the criteria matrix.
    Criteria {
        /// Set a weight: KEY=WEIGHT (repeatable).
        #[arg(long, value_name = "KEY=WEIGHT")]
        set: Vec<String>,
        /// Add an own criterion: KEY=WEIGHT:LABEL (repeatable).
        #[arg(long, value_name = "KEY=WEIGHT:LABEL")]
        add: Vec<String>,
        /// Remove an own criterion.
        #[arg(long, value_name = "KEY")]
        remove: Vec<String>,
        /// Back to the default matrix.
        #[arg(long)]
        reset: bool,
    },
    /// Rank candidate products from a TOML file and explain each score.
    Score {
        /// Candidate file (see docs/samples/kandidaten.toml).
        file: PathBuf,
        /// Also write the ranking as CSV or ODS (by extension).
        #[arg(long, value_name = "FILE")]
        export: Option<PathBuf>,
    },
}

fn bool_arg(field: &str, v: &str) -> anyhow::Result<bool> {
    io::parse_bool(v).with_context(|| format!("--{field} {v:?}: use ja or nein"))
}

fn parsed<T>(
    field: &str,
    v: &str,
    parse: fn(&str) -> Option<T>,
    keys: String,
) -> anyhow::Result<T> {
    parse(v).with_context(|| format!("--{field} {v:?} is not allowed; use one of: {keys}"))
}

fn apply(s: &mut System, f: SystemFields) -> anyhow::Result<()> {
    if let Some(v) = f.category {
        s.category = parsed("category", &v, Category::parse, Category::keys())?;
    }
    if let Some(v) = f.product {
        s.product = v;
    }
    if let Some(v) = f.vendor {
        s.vendor = v;
    }
    if let Some(v) = f.jurisdiction {
        s.jurisdiction = parsed(
            "jurisdiction",
            &v,
            Jurisdiction::parse,
            Jurisdiction::keys(),
        )?;
    }
    if let Some(v) = f.hosting {
        s.hosting = parsed("hosting", &v, Hosting::parse, Hosting::keys())?;
    }
    if let Some(v) = f.licence {
        s.licence = parsed("licence", &v, Licence::parse, Licence::keys())?;
    }
    if let Some(v) = f.formats {
        s.formats = v
            .into_iter()
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect();
    }
    if let Some(v) = f.api {
        s.api = bool_arg("api", &v)?;
    }
    if let Some(v) = f.contract_end {
        s.contract_end = if v.trim() == "-" {
            None
        } else {
            Some(
                sovbench_core::time::parse_date(&v)
                    .with_context(|| format!("--contract-end {v:?}: use YYYY-MM-DD"))?,
            )
        };
    }
    if let Some(v) = f.notice_months {
        s.notice_months = Some(v);
    }
    if let Some(v) = f.exit_clause {
        s.exit_clause = bool_arg("exit-clause", &v)?;
    }
    if let Some(v) = f.relevance {
        s.relevance = parsed("relevance", &v, Relevance::parse, Relevance::keys())?;
    }
    if let Some(v) = f.users {
        s.users = v;
    }
    s.validate().map_err(anyhow::Error::msg)
}

fn missing(f: &SystemFields) -> Vec<&'static str> {
    let mut m = Vec::new();
    if f.category.is_none() {
        m.push("--category");
    }
    if f.jurisdiction.is_none() {
        m.push("--jurisdiction");
    }
    if f.hosting.is_none() {
        m.push("--hosting");
    }
    if f.licence.is_none() {
        m.push("--licence");
    }
    if f.api.is_none() {
        m.push("--api");
    }
    if f.exit_clause.is_none() {
        m.push("--exit-clause");
    }
    if f.relevance.is_none() {
        m.push("--relevance");
    }
    if f.users.is_none() {
        m.push("--users");
    }
    m
}

fn yes(b: bool, lang: Lang) -> &'static str {
    if b {
        lang.pick("ja", "yes")
    } else {
        lang.pick("nein", "no")
    }
}

/// Runs an inventory action.
pub fn inventory(
    node: &Node,
    action: InventoryAction,
    lang: Lang,
    as_json: bool,
) -> anyhow::Result<()> {
    let store = node.store();
    match action {
        InventoryAction::Add { name, fields } => {
            if store.system(&name)?.is_some() {
                bail!("a system named {name:?} exists already; use `inventory edit`");
            }
            let m = missing(&fields);
            if !m.is_empty() {
                bail!("inventory add needs {}", m.join(", "));
            }
            let mut s = System {
                name: name.trim().to_string(),
                category: Category::Sonstiges,
                product: String::new(),
                vendor: String::new(),
                jurisdiction: Jurisdiction::EuEea,
                hosting: Hosting::OwnDataCentre,
                licence: Licence::Proprietary,
                formats: Vec::new(),
                api: false,
                contract_end: None,
                notice_months: None,
                exit_clause: false,
                relevance: Relevance::Mittel,
                users: 0,
                exit: None,
            };
            apply(&mut s, fields)?;
            store.put_system(&s)?;
            print_system(&s, lang, as_json)?;
        }
        InventoryAction::Edit { name, fields } => {
            let mut s = store
                .system(&name)?
                .with_context(|| format!("no system named {name:?}"))?;
            apply(&mut s, fields)?;
            store.put_system(&s)?;
            print_system(&s, lang, as_json)?;
        }
        InventoryAction::Remove { name } => {
            if !store.remove_system(&name)? {
                bail!("no system named {name:?}");
            }
            if !as_json {
                println!("{} {name}", lang.pick("Entfernt:", "Removed:"));
            }
        }
        InventoryAction::List => {
            let systems = store.systems()?;
            if as_json {
                println!("{}", serde_json::to_string_pretty(&systems)?);
            } else {
                for s in &systems {
                    println!(
                        "{:<36} {:<28} {:<24} {:<9} {:<10} {}",
                        s.name,
                        s.category.label(lang),
                        s.product,
                        s.relevance.label(lang),
                        s.jurisdiction.label(lang),
                        if s.exit.is_some() {
                            lang.pick("Exit-Szenario", "exit scenario")
                        } else {
                            ""
                        }
                    );
                }
                println!("{} {}", systems.len(), lang.pick("Systeme", "systems"));
            }
        }
        InventoryAction::Show { name } => {
            let s = store
                .system(&name)?
                .with_context(|| format!("no system named {name:?}"))?;
            print_system(&s, lang, as_json)?;
        }
        InventoryAction::Import { file, replace } => {
            let systems = io::read_file(&file).map_err(|e| match e {
                IoError::Invalid(_) => anyhow::anyhow!("{}: {e}", file.display()),
                other => anyhow::anyhow!(other),
            })?;
            if !replace {
                let clashes: Vec<String> = systems
                    .iter()
                    .filter_map(|s| store.system(&s.name).ok().flatten().map(|_| s.name.clone()))
                    .collect();
                if !clashes.is_empty() {
                    bail!(
                        "{} system(s) exist already, nothing imported: {} (use --replace to replace the whole inventory)",
                        clashes.len(),
                        clashes.join(", ")
                    );
                }
            }
            store.put_systems(&systems, replace)?;
            if as_json {
                println!(
                    "{}",
                    json!({"imported": systems.len(), "replaced": replace})
                );
            } else {
                println!(
                    "{} {} {}",
                    systems.len(),
                    lang.pick("Systeme importiert aus", "systems imported from"),
                    file.display()
                );
            }
        }
        InventoryAction::Export { file } => {
            let systems = store.systems()?;
            io::write_file(&file, &systems, lang)?;
            if !as_json {
                println!(
                    "{} {} {}",
                    systems.len(),
                    lang.pick("Systeme exportiert nach", "systems exported to"),
                    file.display()
                );
            }
        }
        InventoryAction::Risks => {
            let ranked = risk::ranked(&store.systems()?);
            if as_json {
                println!("{}", serde_json::to_string_pretty(&ranked)?);
            } else {
                println!(
                    "{:<5} {:>6} {:>5}  {:<36} {}",
                    lang.pick("Klasse", "Class"),
                    lang.pick("Risiko", "Risk"),
                    lang.pick("Abh.", "Dep."),
                    "System",
                    lang.pick("Gründe", "Reasons")
                );
                for r in ranked {
                    println!(
                        "{:<5} {:>6} {:>5}  {:<36} {}",
                        format!("{:?}", r.class),
                        r.score,
                        r.dependency,
                        r.system,
                        r.reasons
                            .iter()
                            .map(|x| format!("{} (+{})", x.text(lang), x.points))
                            .collect::<Vec<_>>()
                            .join("; ")
                    );
                }
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
            let mut s = store
                .system(&name)?
                .with_context(|| format!("no system named {name:?}"))?;
            s.exit = Some(ExitScenario {
                alternatives: alternatives
                    .into_iter()
                    .filter(|a| !a.trim().is_empty())
                    .collect(),
                switch_months: months,
                export_formats: formats
                    .into_iter()
                    .filter(|a| !a.trim().is_empty())
                    .collect(),
                cost_per_workplace,
                status: parsed("status", &status, ExitStatus::parse, ExitStatus::keys())?,
            });
            s.validate().map_err(anyhow::Error::msg)?;
            store.put_system(&s)?;
            print_system(&s, lang, as_json)?;
        }
        InventoryAction::Alternatives { category, add } => {
            let cat = category
                .as_deref()
                .map(|c| parsed("category", c, Category::parse, Category::keys()))
                .transpose()?;
            if let (Some(product), Some(category)) = (add, cat) {
                store.add_alternative(&Alternative {
                    category,
                    product,
                    source: "user".into(),
                })?;
            }
            let own = store.alternatives()?;
            let all: Vec<Alternative> = match cat {
                Some(c) => alternatives::for_category(c, &own),
                None => alternatives::builtin().into_iter().chain(own).collect(),
            };
            if as_json {
                println!("{}", serde_json::to_string_pretty(&all)?);
            } else {
                for a in all {
                    println!(
                        "{:<30} {:<45} {}",
                        a.category.label(lang),
                        a.product,
                        a.source
                    );
                }
            }
        }
    }
    Ok(())
}

fn print_system(s: &System, lang: Lang, as_json: bool) -> anyhow::Result<()> {
    let r = risk::assess(s);
    if as_json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({"system": s, "risk": r}))?
        );
        return Ok(());
    }
    println!("{} ({})", s.name, s.category.label(lang));
    println!(
        "  {}: {} / {}",
        lang.pick("Produkt / Hersteller", "Product / vendor"),
        s.product,
        s.vendor
    );
    println!(
        "  {}: {}, {}, {}",
        lang.pick(
            "Rechtsraum, Hosting, Lizenz",
            "Jurisdiction, hosting, licence"
        ),
        s.jurisdiction.label(lang),
        s.hosting.label(lang),
        s.licence.label(lang)
    );
    println!(
        "  {}: {}; API: {}",
        lang.pick("Formate", "Formats"),
        s.formats.join(", "),
        yes(s.api, lang)
    );
    println!(
        "  {}: {}; {}: {}; {}: {}",
        lang.pick("Vertragsende", "Contract end"),
        s.contract_end
            .map(sovbench_core::time::format_days)
            .unwrap_or_else(|| "-".into()),
        lang.pick("Kündigungsfrist", "Notice"),
        s.notice_months
            .map(|m| format!("{m} M."))
            .unwrap_or_else(|| "-".into()),
        lang.pick("Ausstiegsklausel", "Exit clause"),
        yes(s.exit_clause, lang)
    );
    println!(
        "  {}: {}; {}: {}",
        lang.pick("Relevanz", "Relevance"),
        s.relevance.label(lang),
        lang.pick("Nutzende", "Users"),
        s.users
    );
    println!(
        "  {}: {:?}, {} {} ({}: {})",
        lang.pick("Risiko", "Risk"),
        r.class,
        r.score,
        lang.pick("Punkte", "points"),
        lang.pick("Gründe", "reasons"),
        r.reasons
            .iter()
            .map(|x| x.text(lang).to_string())
            .collect::<Vec<_>>()
            .join("; ")
    );
    match &s.exit {
        Some(e) => println!(
            "  {}: {} ({} {}, {}: {}, {}: {} EUR, {})",
            lang.pick("Exit-Szenario", "Exit scenario"),
            e.alternatives.join(", "),
            e.switch_months,
            lang.pick("Monate", "months"),
            lang.pick("Exportformate", "export formats"),
            e.export_formats.join(", "),
            lang.pick("geschätzte Kosten", "estimated cost"),
            sovbench_core::display::thousands(e.estimated_cost(s.users), lang),
            e.status.label(lang)
        ),
        None => println!(
            "  {}",
            lang.pick("Kein Exit-Szenario.", "No exit scenario.")
        ),
    }
    Ok(())
}

/// Runs the readiness check, stores it, prints it with the changes since the previous one.
pub fn readiness(node: &Node, lang: Lang, as_json: bool) -> anyhow::Result<()> {
    let now = sovbench_core::now_unix();
    let systems = node.store().systems()?;
    if systems.is_empty() {
        bail!("the inventory is empty; add systems with `inventory add` or `inventory import`");
    }
    let previous = node.store().latest_readiness()?;
    let result = readiness::check(
        &systems,
        &node.store().migrations()?,
        now.div_euclid(86_400),
        now,
    );
    node.store().add_readiness(&result)?;
    let d = previous.as_ref().map(|p| readiness::diff(p, &result));
    if as_json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({"result": result, "changes": d}))?
        );
    } else {
        print!("{}", readiness::render(&result, d.as_ref(), lang));
    }
    Ok(())
}

/// Runs a procurement action.
pub fn procurement(
    node: &Node,
    action: ProcurementAction,
    lang: Lang,
    as_json: bool,
) -> anyhow::Result<()> {
    match action {
        ProcurementAction::Criteria {
            set,
            add,
            remove,
            reset,
        } => {
            let mut c = if reset {
                procurement::default_criteria()
            } else {
                node.store().criteria()?
            };
            for s in set {
                let (k, w) = s
                    .split_once('=')
                    .with_context(|| format!("--set {s:?}: use KEY=WEIGHT"))?;
                let w: f64 = w
                    .trim()
                    .parse()
                    .with_context(|| format!("--set {s:?}: weight is not a number"))?;
                if !(w >= 0.0 && w.is_finite()) {
                    bail!("--set {s:?}: weight must be zero or positive");
                }
                let cr = c
                    .iter_mut()
                    .find(|x| x.key == k.trim())
                    .with_context(|| format!("--set: no criterion {k:?}"))?;
                cr.weight = w;
            }
            for a in add {
                let (k, rest) = a
                    .split_once('=')
                    .with_context(|| format!("--add {a:?}: use KEY=WEIGHT:LABEL"))?;
                let (w, label) = rest.split_once(':').unwrap_or((rest, k));
                let w: f64 = w
                    .trim()
                    .parse()
                    .with_context(|| format!("--add {a:?}: weight is not a number"))?;
                if c.iter().any(|x| x.key == k.trim()) {
                    bail!("--add: criterion {k:?} exists already");
                }
                c.push(Criterion {
                    key: k.trim().into(),
                    label: label.trim().into(),
                    weight: w.max(0.0),
                });
            }
            for k in remove {
                if procurement::BUILTIN.contains(&k.as_str()) {
                    bail!("--remove {k}: built-in criteria stay; set their weight to 0 instead");
                }
                c.retain(|x| x.key != k);
            }
            node.store().put_criteria(&c)?;
            if as_json {
                println!("{}", serde_json::to_string_pretty(&c)?);
            } else {
                for x in &c {
                    println!("{:<18} {:<28} {}", x.key, x.label, x.weight);
                }
            }
        }
        ProcurementAction::Score { file, export } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let cands = procurement::parse_candidates(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let criteria = node.store().criteria()?;
            let scored = procurement::score(&cands, &criteria, lang);
            if let Some(path) = export {
                let t = procurement::table(&scored, &criteria, lang);
                let bytes = match io::FileFormat::of(&path)? {
                    io::FileFormat::Csv => io::table_to_csv(&t)?.into_bytes(),
                    io::FileFormat::Ods => io::to_ods(&[(lang.pick("Bewertung", "Scoring"), t)])?,
                    io::FileFormat::Json => serde_json::to_vec_pretty(&scored)?,
                };
                write_atomically(&path, &bytes)?;
            }
            if as_json {
                println!("{}", serde_json::to_string_pretty(&scored)?);
            } else {
                for s in &scored {
                    println!("{}. {} — {:.1} / 100", s.rank, s.name, s.total);
                    for p in &s.parts {
                        let label = criteria
                            .iter()
                            .find(|c| c.key == p.key)
                            .map_or(p.key.as_str(), |c| c.label.as_str());
                        println!(
                            "     {:<24} {:.1}/5 x {:>5}  {}",
                            label, p.score, p.weight, p.why
                        );
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::InitOptions;

    fn node(dir: &std::path::Path) -> Node {
        Node::init(
            dir,
            InitOptions {
                name: "Stadt Beispiel".into(),
                kind: "stadt".into(),
                state: "DE-NW".into(),
                size: 45_000,
                aggregator_url: None,
                aggregator_key: None,
                policy: None,
            },
        )
        .unwrap()
    }

    fn sample_path() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/samples/inventar.csv")
    }

    #[test]
    fn import_export_and_broken_files_store_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let n = node(&dir.path().join("n"));
        inventory(
            &n,
            InventoryAction::Import {
                file: sample_path(),
                replace: false,
            },
            Lang::De,
            true,
        )
        .unwrap();
        assert_eq!(n.store().systems().unwrap().len(), 60);
        // Importing the same names again is refused as a whole.
        let e = inventory(
            &n,
            InventoryAction::Import {
                file: sample_path(),
                replace: false,
            },
            Lang::De,
            true,
        )
        .unwrap_err();
        assert!(e.to_string().contains("exist already"), "{e}");
        // A broken file: nothing of it is stored, the error names line and column.
        let bad = dir.path().join("kaputt.csv");
        std::fs::write(&bad, "name,category,jurisdiction,hosting,licence,api,exit_clause,relevance,users\nNeu,textverarbeitung,eu,eigenes_rz,open_source,ja,ja,hoch,5\nKaputt,textverarbeitung,eu,eigenes_rz,open_source,ja,ja,sehr hoch,5\n").unwrap();
        let e = inventory(
            &n,
            InventoryAction::Import {
                file: bad,
                replace: false,
            },
            Lang::De,
            true,
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("line 3, column 8 (relevance / Relevanz)"),
            "{e}"
        );
        assert!(n.store().system("Neu").unwrap().is_none());
        // Export and re-import with --replace gives the same inventory.
        for ext in ["csv", "json", "ods"] {
            let out = dir.path().join(format!("export.{ext}"));
            inventory(
                &n,
                InventoryAction::Export { file: out.clone() },
                Lang::En,
                true,
            )
            .unwrap();
            let before = n.store().systems().unwrap();
            inventory(
                &n,
                InventoryAction::Import {
                    file: out,
                    replace: true,
                },
                Lang::De,
                true,
            )
            .unwrap();
            assert_eq!(n.store().systems().unwrap(), before, "{ext}");
        }
    }

    #[test]
    fn add_edit_exit_and_remove() {
        let dir = tempfile::tempdir().unwrap();
        let n = node(&dir.path().join("n"));
        let fields = || SystemFields {
            category: Some("videokonferenzen".into()),
            jurisdiction: Some("us".into()),
            hosting: Some("nicht_eu_anbieter_eu_region".into()),
            licence: Some("proprietaer".into()),
            api: Some("ja".into()),
            exit_clause: Some("nein".into()),
            relevance: Some("hoch".into()),
            users: Some(300),
            ..Default::default()
        };
        inventory(
            &n,
            InventoryAction::Add {
                name: "Video".into(),
                fields: fields(),
            },
            Lang::De,
            true,
        )
        .unwrap();
        let e = inventory(
            &n,
            InventoryAction::Add {
                name: "Video".into(),
                fields: fields(),
            },
            Lang::De,
            true,
        )
        .unwrap_err();
        assert!(e.to_string().contains("exists already"));
        let e = inventory(
            &n,
            InventoryAction::Add {
                name: "Halb".into(),
                fields: SystemFields::default(),
            },
            Lang::De,
            true,
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("--category") && e.to_string().contains("--users"),
            "{e}"
        );
        let bad = SystemFields {
            relevance: Some("egal".into()),
            ..Default::default()
        };
        let e = inventory(
            &n,
            InventoryAction::Edit {
                name: "Video".into(),
                fields: bad,
            },
            Lang::De,
            true,
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("kritisch, hoch, mittel, niedrig"),
            "{e}"
        );
        inventory(
            &n,
            InventoryAction::Edit {
                name: "Video".into(),
                fields: SystemFields {
                    exit_clause: Some("ja".into()),
                    ..Default::default()
                },
            },
            Lang::De,
            true,
        )
        .unwrap();
        inventory(
            &n,
            InventoryAction::Exit {
                name: "Video".into(),
                alternatives: vec!["BigBlueButton".into()],
                months: 6,
                formats: vec![],
                cost_per_workplace: 5_000,
                status: "abgestimmt".into(),
            },
            Lang::De,
            true,
        )
        .unwrap();
        let s = n.store().system("Video").unwrap().unwrap();
        assert!(s.exit_clause);
        assert_eq!(s.exit.unwrap().estimated_cost(300), 1_500_000);
        inventory(
            &n,
            InventoryAction::Remove {
                name: "Video".into(),
            },
            Lang::De,
            true,
        )
        .unwrap();
        assert!(inventory(
            &n,
            InventoryAction::Remove {
                name: "Video".into()
            },
            Lang::De,
            true
        )
        .is_err());
    }

    #[test]
    fn readiness_is_stored_and_the_report_is_self_contained() {
        let dir = tempfile::tempdir().unwrap();
        let n = node(&dir.path().join("n"));
        assert!(readiness(&n, Lang::De, true).is_err(), "empty inventory");
        inventory(
            &n,
            InventoryAction::Import {
                file: sample_path(),
                replace: false,
            },
            Lang::De,
            true,
        )
        .unwrap();
        readiness(&n, Lang::De, true).unwrap();
        assert!(n.store().latest_readiness().unwrap().is_some());
        n.record_assessment(
            sovbench_core::selftest::Assessment::from_scores([2, 2, 3, 3, 1]).unwrap(),
        )
        .unwrap();
        for lang in [Lang::De, Lang::En] {
            let html = crate::report::render(&n, lang, sovbench_core::now_unix()).unwrap();
            assert!(html.starts_with("<!DOCTYPE html>") && html.ends_with("</html>"));
            assert!(
                !html.contains("<script")
                    && !html.contains("http://")
                    && !html.contains("https://")
                    && !html.contains("<link")
            );
            assert!(html.contains("@media print"));
            assert!(html.contains(lang.pick("Wechselbereitschaft", "Switch readiness")));
            assert!(html.contains(lang.pick("hybrid geprägt", "hybrid")));
            assert!(html.contains("Verzeichnisdienst"), "a top risk is listed");
        }
    }

    #[test]
    fn migration_paths_are_recorded_advanced_and_rolled_back() {
        let dir = tempfile::tempdir().unwrap();
        let n = node(&dir.path().join("n"));
        inventory(
            &n,
            InventoryAction::Import {
                file: sample_path(),
                replace: false,
            },
            Lang::De,
            true,
        )
        .unwrap();
        let add = |systems: Vec<String>| MigrationAction::Add {
            category: "videokonferenzen".into(),
            from: "Microsoft Teams".into(),
            to: "BigBlueButton".into(),
            stage: "erwogen".into(),
            workplaces: 500,
            systems,
            notes: "Ausschreibung mit Nachbarkreis".into(),
            date: Some("2026-01-15".into()),
        };
        let e = migration(&n, add(vec!["Gibt es nicht".into()]), Lang::De, true).unwrap_err();
        assert!(e.to_string().contains("not in the inventory"), "{e}");
        migration(&n, add(vec!["Videokonferenzen".into()]), Lang::De, true).unwrap();
        migration(&n, add(vec![]), Lang::De, true).unwrap();
        let ids: Vec<String> = n
            .store()
            .migrations()
            .unwrap()
            .into_iter()
            .map(|p| p.id)
            .collect();
        assert_eq!(
            ids,
            vec![
                "videokonferenzen-bigbluebutton",
                "videokonferenzen-bigbluebutton-2"
            ]
        );
        migration(
            &n,
            MigrationAction::Advance {
                id: ids[0].clone(),
                to: None,
                date: Some("2026-03-01".into()),
            },
            Lang::De,
            true,
        )
        .unwrap();
        migration(
            &n,
            MigrationAction::Advance {
                id: ids[0].clone(),
                to: Some("pilot".into()),
                date: Some("2026-05-01".into()),
            },
            Lang::De,
            true,
        )
        .unwrap();
        migration(
            &n,
            MigrationAction::Rollback {
                id: ids[0].clone(),
                date: Some("2026-09-01".into()),
            },
            Lang::De,
            true,
        )
        .unwrap();
        let p = n.store().migration(&ids[0]).unwrap().unwrap();
        assert_eq!(p.history.len(), 4);
        assert_eq!(p.stage, crate::migration::Stage::Zurueckgerollt);
        assert!(migration(
            &n,
            MigrationAction::Advance {
                id: ids[0].clone(),
                to: None,
                date: None
            },
            Lang::De,
            true
        )
        .is_err());
        // The most recently changed path to the target is what the node reports.
        let f = n.facts().unwrap();
        assert_eq!(
            f.true_value("path.videokonferenzen.bigbluebutton"),
            Some(sovbench_core::catalogue::TrueValue::Category(
                "zurueckgerollt".into()
            ))
        );
        assert_eq!(
            f.true_value("path.email_kalender.tuta"),
            Some(sovbench_core::catalogue::TrueValue::Category(
                "keiner".into()
            ))
        );
    }

    #[test]
    fn the_sample_candidates_score_and_export() {
        let dir = tempfile::tempdir().unwrap();
        let n = node(&dir.path().join("n"));
        procurement(
            &n,
            ProcurementAction::Criteria {
                set: vec!["api=5".into()],
                add: vec!["barrierefreiheit=10:Barrierefreiheit".into()],
                remove: vec![],
                reset: false,
            },
            Lang::De,
            true,
        )
        .unwrap();
        assert_eq!(n.store().criteria().unwrap().len(), 6);
        let e = procurement(
            &n,
            ProcurementAction::Criteria {
                set: vec![],
                add: vec![],
                remove: vec!["api".into()],
                reset: false,
            },
            Lang::De,
            true,
        )
        .unwrap_err();
        assert!(e.to_string().contains("built-in"));
        let file =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/samples/kandidaten.toml");
        for ext in ["csv", "ods"] {
            let out = dir.path().join(format!("bewertung.{ext}"));
            procurement(
                &n,
                ProcurementAction::Score {
                    file: file.clone(),
                    export: Some(out.clone()),
                },
                Lang::De,
                true,
            )
            .unwrap();
            assert!(std::fs::metadata(&out).unwrap().len() > 100);
        }
        let csv = std::fs::read_to_string(dir.path().join("bewertung.csv")).unwrap();
        assert!(
            csv.lines()
                .nth(1)
                .unwrap()
                .starts_with("1,Open-Xchange im Landesrechenzentrum"),
            "{csv}"
        );
    }
}
