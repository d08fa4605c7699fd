//! Command-line interface of `sovbench-node`. `main.rs` only calls [`main`].

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use clap::{Parser, Subcommand};
use serde_json::json;
use sovbench_core::catalogue::Catalogue;
use sovbench_core::display::{clipped, suppression_text};
use sovbench_core::envelope::{b64, fingerprint};
use sovbench_core::i18n::Lang;
use sovbench_core::selftest::{Assessment, Dimension};
use sovbench_core::time::format_utc;

use crate::model::DeliveryState;
use crate::node::{Comparison, InitOptions, Node, SubmitReport};
use crate::NodeError;

const EXIT_CODES: &str = "Exit codes: 0 success; 1 error (the message says what and where); \
2 invalid command line; 3 submission stored in the outbox but not yet delivered (aggregator \
unreachable; run `submit` again or keep `serve` running).";

/// sovbench node: the administration's own sovereignty data, kept locally; only signed,
/// differentially private values leave it.
#[derive(Debug, Parser)]
#[command(name = "sovbench-node", version, after_help = EXIT_CODES)]
pub struct Cli {
    /// Data directory of the node (key, node.toml, store).
    #[arg(long, global = true, env = "SOVBENCH_NODE_DATA", value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Machine-readable JSON output.
    #[arg(long, global = true)]
    pub json: bool,
    /// Output language: de (default) or en. Overrides `lang` in node.toml.
    #[arg(long, global = true, env = "SOVBENCH_LANG", value_name = "de|en")]
    pub lang: Option<Lang>,
    #[command(subcommand)]
    pub command: Command,
}

/// Commands of the node.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the local store and the administration's Ed25519 identity, and record its profile.
    ///
    /// Prints the public key and its fingerprint: give both to the consortium's aggregator
    /// operator for enrolment. Refuses to overwrite an existing identity.
    Init {
        /// Name of the administration.
        #[arg(long)]
        name: String,
        /// Kind: gemeinde, stadt, landkreis, land, bund, it-dienstleister.
        #[arg(long)]
        kind: String,
        /// Bundesland as ISO 3166-2:DE code, e.g. DE-NW.
        #[arg(long)]
        state: String,
        /// Population (Gemeinde, Stadt, Landkreis, Land).
        #[arg(long, conflicts_with = "staff", required_unless_present = "staff")]
        population: Option<u64>,
        /// Staff count (Bund, kommunaler IT-Dienstleister).
        #[arg(long)]
        staff: Option<u64>,
        /// gRPC address of the aggregator, e.g. http://agg.example:7443.
        #[arg(long)]
        aggregator: Option<String>,
        /// The aggregator's public key (base64), as printed by `sovbench-aggregator init`.
        #[arg(long)]
        aggregator_key: Option<String>,
    },
    /// Record the sovereignty self-test (five dimensions, each 1-5).
    ///
    /// With --file, reads a TOML or JSON file with the keys datenhoheit,
    /// technologische_unabhaengigkeit, it_kompetenz, offene_standards, governance_exit.
    /// Without, asks for each dimension, showing its statement. Nothing is stored unless all five
    /// answers are valid.
    Assess {
        /// TOML or JSON file with the five answers.
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
        /// Show the history of self-tests instead of recording one.
        #[arg(long, conflicts_with = "file")]
        history: bool,
    },
    /// Take part in the aggregator's open round (and deliver anything waiting in the outbox).
    ///
    /// Verifies the round's signature, checks it against the privacy policy in node.toml,
    /// privatises the requested values with OpenDP, records them in the ledger and the outbox,
    /// signs and sends them, and keeps the signed receipt.
    Submit,
    /// Compare the administration's own values with the latest (or a given) publication.
    Compare {
        /// Round id of the publication (default: the latest).
        #[arg(long)]
        round: Option<String>,
    },
    /// Show profile, key fingerprint, latest self-test, privacy budget, ledger and outbox.
    Status,
    /// Show the privacy budget spent and remaining per calendar year; with --report, write the
    /// report for the data protection officer (every release, the exact values sent, mechanisms,
    /// epsilon, and what the guarantee means), in German or (--lang en) English.
    Privacy {
        /// Write the report (Markdown) to this file.
        #[arg(long, value_name = "FILE")]
        report: Option<PathBuf>,
    },
    /// The system inventory: add, edit, remove, list, show, import, export, risks, exit
    /// scenarios, the catalogue of European alternatives.
    Inventory {
        #[command(subcommand)]
        action: crate::cli_inventory::InventoryAction,
    },
    /// Migration paths: add, advance, rollback, list, show (stage history kept).
    Migration {
        #[command(subcommand)]
        action: crate::cli_inventory::MigrationAction,
    },
    /// Peer matching with double opt-in: find administrations on the same migration path.
    ///
    /// Without an action: the best matches for each path you offer, with pseudonym, stage, kind,
    /// size class and an explained score. Nothing happens without an explicit `offer` per path;
    /// contact cards are exchanged only after the other side accepted your request (or you
    /// accepted theirs), end-to-end encrypted.
    Peers {
        #[command(subcommand)]
        action: Option<crate::cli_peers::PeersAction>,
        /// Matches listed per offered path (at most 50).
        #[arg(long, default_value_t = 10)]
        limit: u32,
    },
    /// Perform the annual switch-readiness check (Wechselbereitschaftsprüfung) on the inventory,
    /// store its dated result and show what changed since the previous one.
    Readiness,
    /// Procurement criteria (weighted matrix) and scoring of candidate products for a tender.
    Procurement {
        #[command(subcommand)]
        action: crate::cli_inventory::ProcurementAction,
    },
    /// Write a self-contained HTML report of the administration's status (self-test, inventory,
    /// risks, switch readiness, procurement gaps, comparison with the cohorts).
    Report {
        /// Output file.
        #[arg(long, default_value = "sovbench-bericht.html", value_name = "FILE")]
        output: PathBuf,
    },
    /// Keep running: every INTERVAL seconds deliver the outbox, take part in open rounds, and
    /// (if you offer paths) keep peer offers current and hand over contact cards for accepted
    /// requests.
    Serve {
        /// Seconds between attempts.
        #[arg(long, default_value_t = 300, value_name = "SECS")]
        interval: u64,
    },
}

/// Entry point used by the binary.
pub fn main() -> ExitCode {
    sovbench_core::quiet_on_broken_pipe();
    let cli = Cli::parse();
    init_tracing();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("sovbench-node: error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SOVBENCH_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::io::stderr().is_terminal() {
        builder.init();
    } else {
        builder.json().init();
    }
}

/// Default data directory: the per-user data folder, `sovbench-node` inside it.
pub fn default_data_dir() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("sovbench-node")
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let dir = cli.data.clone().unwrap_or_else(default_data_dir);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    match cli.command {
        Command::Init {
            name,
            kind,
            state,
            population,
            staff,
            aggregator,
            aggregator_key,
        } => {
            let size = population
                .or(staff)
                .context("give --population or --staff")?;
            let node = Node::init(
                &dir,
                InitOptions {
                    name,
                    kind,
                    state,
                    size,
                    aggregator_url: aggregator,
                    aggregator_key,
                    policy: None,
                },
            )?;
            let lang = cli.lang.unwrap_or(node.config().lang);
            print_init(&node, lang, cli.json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Assess { file, history } => {
            let node = Node::open(&dir)?;
            let lang = cli.lang.unwrap_or(node.config().lang);
            if history {
                print_history(&node, lang, cli.json)?;
                return Ok(ExitCode::SUCCESS);
            }
            let a = match file {
                Some(f) => read_assessment_file(&f)?,
                None => ask_assessment(lang)?,
            };
            let rec = node.record_assessment(a)?;
            if cli.json {
                println!(
                    "{}",
                    json!({"recorded_at": rec.recorded_at(), "scores": a.scores(), "total": a.total(), "band": a.band()})
                );
            } else {
                print_assessment(&a, lang);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Submit => {
            let node = Node::open(&dir)?;
            let lang = cli.lang.unwrap_or(node.config().lang);
            let report = rt.block_on(node.submit())?;
            print_submit(&report, lang, cli.json)?;
            let queued = report
                .current
                .iter()
                .chain(report.retried.iter())
                .any(|d| d.state == DeliveryState::Pending);
            Ok(if queued {
                ExitCode::from(3)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Compare { round } => {
            let node = Node::open(&dir)?;
            let lang = cli.lang.unwrap_or(node.config().lang);
            let cmp = rt.block_on(node.compare(round.as_deref()))?;
            if cli.json {
                println!("{}", serde_json::to_string_pretty(&cmp)?);
            } else {
                print!("{}", render_comparison(&cmp, lang));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Status => {
            let node = Node::open(&dir)?;
            let lang = cli.lang.unwrap_or(node.config().lang);
            print_status(&node, lang, cli.json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Privacy { report } => {
            let node = Node::open(&dir)?;
            let lang = cli.lang.unwrap_or(node.config().lang);
            let now = sovbench_core::now_unix();
            let budgets = crate::privacy_report::budgets(
                &node.store().ledger()?,
                &node.config().privacy,
                now,
            );
            if let Some(path) = &report {
                let text = crate::privacy_report::render(&node, lang, now)?;
                write_atomically(path, text.as_bytes())?;
            }
            if cli.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(
                        &json!({"policy": node.config().privacy, "years": budgets, "report": report})
                    )?
                );
            } else {
                println!(
                    "{:<6} {:>8} {:>12} {:>10} {:>12}",
                    lang.pick("Jahr", "Year"),
                    lang.pick("Runden", "Rounds"),
                    lang.pick("verbraucht", "spent"),
                    lang.pick("Grenze", "limit"),
                    lang.pick("verbleibend", "remaining")
                );
                for b in budgets {
                    println!(
                        "{:<6} {:>8} {:>12.3} {:>10.3} {:>12.3}",
                        b.year, b.rounds, b.spent, b.limit, b.remaining
                    );
                }
                if let Some(path) = report {
                    println!(
                        "{} {}",
                        lang.pick("Bericht geschrieben:", "Report written:"),
                        path.display()
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Inventory { action } => {
            let node = Node::open(&dir)?;
            let lang = cli.lang.unwrap_or(node.config().lang);
            crate::cli_inventory::inventory(&node, action, lang, cli.json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Migration { action } => {
            let node = Node::open(&dir)?;
            let lang = cli.lang.unwrap_or(node.config().lang);
            crate::cli_inventory::migration(&node, action, lang, cli.json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Peers { action, limit } => {
            let node = Node::open(&dir)?;
            let lang = cli.lang.unwrap_or(node.config().lang);
            rt.block_on(crate::cli_peers::peers(
                &node, action, limit, lang, cli.json,
            ))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Readiness => {
            let node = Node::open(&dir)?;
            let lang = cli.lang.unwrap_or(node.config().lang);
            crate::cli_inventory::readiness(&node, lang, cli.json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Procurement { action } => {
            let node = Node::open(&dir)?;
            let lang = cli.lang.unwrap_or(node.config().lang);
            crate::cli_inventory::procurement(&node, action, lang, cli.json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Report { output } => {
            let node = Node::open(&dir)?;
            let lang = cli.lang.unwrap_or(node.config().lang);
            let html = crate::report::render(&node, lang, sovbench_core::now_unix())?;
            write_atomically(&output, html.as_bytes())?;
            if cli.json {
                println!("{}", json!({"report": output}));
            } else {
                println!(
                    "{} {}",
                    lang.pick("Bericht geschrieben:", "Report written:"),
                    output.display()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve { interval } => {
            let node = Node::open(&dir)?;
            rt.block_on(serve(&node, interval.max(1)))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn serve(node: &Node, interval: u64) -> anyhow::Result<()> {
    tracing::info!(interval, "node daemon started");
    loop {
        match node.submit().await {
            Ok(r) => tracing::info!(report = ?r, "cycle done"),
            Err(NodeError::NoAssessment) => tracing::warn!("no self-test recorded yet"),
            Err(e) => tracing::warn!(error = %e, "cycle failed; will retry"),
        }
        // Peer matching: re-send offers whose stage changed, hand over this node's card for
        // accepted requests and open cards that arrived.
        match node.local_peer_offers() {
            Ok(offers) if !offers.is_empty() => {
                if let Err(e) = node.refresh_peer_offers().await {
                    tracing::warn!(error = %e, "refreshing peer offers failed; will retry");
                }
                match node.peer_requests().await {
                    Ok(v) => tracing::info!(
                        incoming = v.incoming.len(),
                        outgoing = v.outgoing.len(),
                        "peer requests synchronised"
                    ),
                    Err(e) => tracing::warn!(error = %e, "peer requests failed; will retry"),
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "reading peer offers"),
        }
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_secs(interval)) => {}
            _ = tokio::signal::ctrl_c() => {
                tracing::info!("shutting down");
                return Ok(());
            }
        }
    }
}

fn print_init(node: &Node, lang: Lang, as_json: bool) -> anyhow::Result<()> {
    let p = node.profile()?;
    let key = b64(node.public_key());
    let fp = fingerprint(node.public_key());
    if as_json {
        println!(
            "{}",
            json!({"data_dir": node.dir(), "public_key": key, "fingerprint": fp, "profile": p,
                   "cohorts": p.cohort().cohorts()})
        );
        return Ok(());
    }
    println!("{}", lang.pick("Knoten angelegt in", "Node created in"));
    println!("  {}", node.dir().display());
    println!(
        "{}: {} ({}, {}, {})",
        lang.pick("Verwaltung", "Administration"),
        p.name,
        p.kind.label(lang),
        p.state,
        p.size_class.key()
    );
    println!(
        "{}: {key}",
        lang.pick("Öffentlicher Schlüssel", "Public key")
    );
    println!("{}: {fp}", lang.pick("Fingerabdruck", "Fingerprint"));
    println!();
    println!(
        "{}",
        lang.pick(
            "Zur Aufnahme in den Verbund dem Betreiber des Aggregators übergeben:",
            "Give this to the aggregator operator for enrolment:"
        )
    );
    println!(
        "  sovbench-aggregator enrol --key {key} --name {:?} --kind {} --state {} --{} {}",
        p.name,
        p.kind.key(),
        p.state,
        if p.kind.is_territorial() {
            "population"
        } else {
            "staff"
        },
        p.size
    );
    Ok(())
}

/// Writes a file atomically (temporary file, fsync, rename).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut f =
        std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
}

/// Reads a self-test from a TOML or JSON file. Every problem names the dimension.
pub fn read_assessment_file(path: &Path) -> anyhow::Result<Assessment> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let pairs: Vec<(String, Option<i64>)> = if is_json {
        let v: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a JSON object", path.display()))?;
        v.into_iter().map(|(k, v)| (k, v.as_i64())).collect()
    } else {
        let v: toml::Table = toml::from_str(&text)
            .with_context(|| format!("{} is not valid TOML", path.display()))?;
        v.into_iter().map(|(k, v)| (k, v.as_integer())).collect()
    };
    let mut answers = Vec::new();
    for (k, v) in &pairs {
        match v {
            Some(n) => answers.push((k.as_str(), *n)),
            None => bail!(
                "{}: dimension {k} must be a whole number from 1 to 5",
                path.display()
            ),
        }
    }
    Assessment::from_answers(answers).with_context(|| format!("{}", path.display()))
}

fn ask_assessment(lang: Lang) -> anyhow::Result<Assessment> {
    let interactive = std::io::stdin().is_terminal();
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let mut scores = [0i64; 5];
    println!(
        "{}",
        lang.pick(
            "Souveränitäts-Check: Bewerten Sie jede Aussage von 1 (trifft gar nicht zu) bis 5 (trifft voll zu).",
            "Sovereignty check: rate each statement from 1 (does not apply at all) to 5 (fully applies)."
        )
    );
    for (i, d) in Dimension::ALL.into_iter().enumerate() {
        loop {
            print!(
                "\n{}. {}\n   {}\n   [1-5]: ",
                i + 1,
                d.label(lang),
                d.statement(lang)
            );
            std::io::stdout().flush().ok();
            let line = match lines.next() {
                Some(l) => l.context("reading the answer")?,
                None => bail!(
                    "input ended before dimension {} ({}) was answered; nothing stored",
                    d.key(),
                    d.label(Lang::De)
                ),
            };
            match line.trim().parse::<i64>() {
                Ok(v) if (1..=5).contains(&v) => {
                    scores[i] = v;
                    break;
                }
                _ if interactive => {
                    println!(
                        "{}",
                        lang.pick(
                            "   Bitte eine ganze Zahl von 1 bis 5 eingeben.",
                            "   Please enter a whole number from 1 to 5."
                        )
                    );
                }
                _ => bail!(
                    "dimension {} ({}) must be scored 1 to 5, got {:?}; nothing stored",
                    d.key(),
                    d.label(Lang::De),
                    line.trim()
                ),
            }
        }
    }
    println!();
    Ok(Assessment::from_scores(scores)?)
}

fn print_assessment(a: &Assessment, lang: Lang) {
    println!(
        "{}",
        lang.pick("Selbsttest gespeichert:", "Self-test recorded:")
    );
    for d in Dimension::ALL {
        println!("  {:<36} {}", d.label(lang), a.score(d));
    }
    let (lo, hi) = a.band().range();
    println!(
        "  {:<36} {} / 25  ->  {} ({lo}-{hi})",
        lang.pick("Gesamt", "Total"),
        a.total(),
        a.band().label(lang)
    );
}

fn print_history(node: &Node, lang: Lang, as_json: bool) -> anyhow::Result<()> {
    let all = node.store().assessments()?;
    if as_json {
        let rows: Vec<_> = all
            .iter()
            .filter_map(|r| r.assessment().map(|a| json!({"recorded_at": r.recorded_at(), "scores": a.scores(), "total": a.total(), "band": a.band()})))
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    if all.is_empty() {
        println!(
            "{}",
            lang.pick(
                "Noch kein Selbsttest gespeichert.",
                "No self-test recorded yet."
            )
        );
    }
    for r in &all {
        if let Some(a) = r.assessment() {
            println!(
                "{}  {:?}  {} / 25  {}",
                format_utc(r.recorded_at()),
                a.scores(),
                a.total(),
                a.band().label(lang)
            );
        }
    }
    Ok(())
}

fn state_label(s: DeliveryState, lang: Lang) -> &'static str {
    match s {
        DeliveryState::Pending => {
            lang.pick("ausstehend (im Postausgang)", "pending (in the outbox)")
        }
        DeliveryState::Delivered => {
            lang.pick("zugestellt, Quittung erhalten", "delivered, receipt kept")
        }
        DeliveryState::Refused => lang.pick("abgelehnt", "refused"),
    }
}

fn print_submit(r: &SubmitReport, lang: Lang, as_json: bool) -> anyhow::Result<()> {
    if as_json {
        println!("{}", serde_json::to_string_pretty(r)?);
        return Ok(());
    }
    for d in &r.retried {
        println!(
            "{} {}: {}{}",
            lang.pick("Erneut gesendet, Runde", "Retried, round"),
            d.round_id,
            state_label(d.state, lang),
            d.detail
                .as_deref()
                .map(|x| format!(" ({x})"))
                .unwrap_or_default()
        );
    }
    if let Some(s) = &r.skipped {
        println!(
            "{}: {}",
            lang.pick("Keine neue Freigabe", "Nothing new released"),
            s.text(lang)
        );
    }
    if let Some(d) = &r.current {
        println!(
            "{} {}: {} ({} = {:.3}; {}: {})",
            lang.pick("Runde", "Round"),
            d.round_id,
            state_label(d.state, lang),
            lang.pick("Epsilon", "epsilon"),
            r.epsilon.unwrap_or(0.0),
            lang.pick("Kennzahlen", "metrics"),
            r.metrics.join(", ")
        );
        if let Some(x) = &d.detail {
            println!("  {x}");
        }
    }
    Ok(())
}

/// Renders a comparison as a text table.
pub fn render_comparison(c: &Comparison, lang: Lang) -> String {
    use std::fmt::Write as _;
    let cat = Catalogue::shared();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} ({} {}, {} {})",
        lang.pick(
            "Vergleich mit der Veröffentlichung der Runde",
            "Comparison with the publication of round"
        ),
        c.round_id,
        lang.pick("veröffentlicht", "published"),
        format_utc(c.published_at),
        c.contributors,
        lang.pick("Teilnehmende", "contributors")
    );
    let _ = writeln!(
        out,
        "{}",
        lang.pick(
            "Ihre eigenen Werte bleiben auf diesem Knoten; Spanne = 95-%-Konfidenzintervall.",
            "Your own values stay on this node; range = 95% confidence interval."
        )
    );
    let mut last = String::new();
    for row in &c.rows {
        if row.cohort != last {
            let _ = writeln!(out, "\n[{}]", row.cohort);
            let _ = writeln!(
                out,
                "  {:<36} {:>6} {:>9}  {:<16} {:>5}",
                lang.pick("Kennzahl", "Metric"),
                lang.pick("Eigen", "Own"),
                lang.pick("Kohorte", "Cohort"),
                lang.pick("95-%-Intervall", "95% interval"),
                "n"
            );
            last = row.cohort.clone();
        }
        let own = row
            .own
            .map(|v| format!("{v:.0}"))
            .unwrap_or_else(|| "-".into());
        match (row.estimate, row.ci_low, row.ci_high) {
            (Some(e), Some(lo), Some(hi)) if row.suppressed.is_none() => {
                // Path stages: also the estimated number of administrations at that stage.
                let label = if row.metric.starts_with("path.") && row.metric.contains('=') {
                    format!(
                        "{} (≈ {:.0})",
                        cat.label(&row.metric, lang),
                        (e * f64::from(row.n)).max(0.0)
                    )
                } else {
                    cat.label(&row.metric, lang)
                };
                let _ = writeln!(
                    out,
                    "  {:<36} {:>6} {:>9}  [{:>5.2}, {:>5.2}] {:>5}",
                    label,
                    own,
                    clipped(e, row.range_low, row.range_high),
                    lo,
                    hi,
                    row.n
                );
            }
            _ => {
                let _ = writeln!(
                    out,
                    "  {:<36} {:>6} {:>9}  {}",
                    cat.label(&row.metric, lang),
                    own,
                    "-",
                    suppression_text(&row.cell, lang, Some(c.min_cohort)),
                );
            }
        }
    }
    let _ = writeln!(
        out,
        "\n{}",
        lang.pick(
            "* Schätzung außerhalb des möglichen Bereichs (lokales Rauschen); angezeigt am Rand, gespeichert unverändert.",
            "* estimate outside the possible range (local noise); shown at the edge, kept unchanged in the data."
        )
    );
    out
}

fn print_status(node: &Node, lang: Lang, as_json: bool) -> anyhow::Result<()> {
    let p = node.profile()?;
    let now = sovbench_core::now_unix();
    let spent = node.spent_in_year(now)?;
    let policy = &node.config().privacy;
    let ledger = node.store().ledger()?;
    let outbox: Vec<String> = node.store().outbox()?.into_iter().map(|(r, _)| r).collect();
    let latest = node.store().latest_assessment()?;
    if as_json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "profile": p, "public_key": b64(node.public_key()),
                "fingerprint": fingerprint(node.public_key()),
                "aggregator_url": node.config().aggregator_url,
                "latest_assessment": latest,
                "epsilon_spent_this_year": spent, "policy": policy,
                "ledger": ledger, "outbox": outbox,
            }))?
        );
        return Ok(());
    }
    println!(
        "{} ({}, {}, {})",
        p.name,
        p.kind.label(lang),
        p.state,
        p.size_class.key()
    );
    println!(
        "{}: {}",
        lang.pick("Fingerabdruck", "Fingerprint"),
        fingerprint(node.public_key())
    );
    println!(
        "{}: {}",
        lang.pick("Aggregator", "Aggregator"),
        node.config().aggregator_url.as_deref().unwrap_or("-")
    );
    match latest.and_then(|r| r.assessment().map(|a| (r, a))) {
        Some((r, a)) => println!(
            "{}: {} / 25, {} ({})",
            lang.pick("Letzter Selbsttest", "Latest self-test"),
            a.total(),
            a.band().label(lang),
            format_utc(r.recorded_at())
        ),
        None => println!(
            "{}",
            lang.pick("Noch kein Selbsttest.", "No self-test yet.")
        ),
    }
    println!(
        "{}: {:.3} / {:.3} ({} {:.3})",
        lang.pick(
            "Datenschutzbudget dieses Jahr (Epsilon)",
            "Privacy budget this year (epsilon)"
        ),
        spent,
        policy.max_epsilon_per_year,
        lang.pick("verbleibend", "remaining"),
        (policy.max_epsilon_per_year - spent).max(0.0)
    );
    for e in &ledger {
        println!(
            "  {} {}  eps {:.3}  {}  {}",
            lang.pick("Runde", "round"),
            e.round_id,
            e.epsilon,
            format_utc(e.recorded_at),
            state_label(e.state, lang)
        );
    }
    if !outbox.is_empty() {
        println!(
            "{}: {}",
            lang.pick("Postausgang", "Outbox"),
            outbox.join(", ")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_assessment_file_in_docs_parses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/samples/selbsttest.toml");
        let a = read_assessment_file(&path).unwrap();
        assert_eq!(a.scores(), [2, 2, 3, 3, 1]);
        assert_eq!(a.total(), 11);
    }

    #[test]
    fn broken_assessment_files_name_the_dimension_and_store_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let toml_path = dir.path().join("a.toml");
        std::fs::write(&toml_path, "datenhoheit = 2\ntechnologische_unabhaengigkeit = 7\nit_kompetenz = 1\noffene_standards = 1\ngovernance_exit = 1\n").unwrap();
        let e = format!("{:#}", read_assessment_file(&toml_path).unwrap_err());
        assert!(
            e.contains("technologische_unabhaengigkeit") && e.contains("got 7"),
            "{e}"
        );
        let json_path = dir.path().join("a.json");
        std::fs::write(&json_path, r#"{"datenhoheit": 2, "it_kompetenz": "viel"}"#).unwrap();
        let e = format!("{:#}", read_assessment_file(&json_path).unwrap_err());
        assert!(e.contains("it_kompetenz"), "{e}");
        std::fs::write(&json_path, r#"{"datenhoheit": 2}"#).unwrap();
        let e = format!("{:#}", read_assessment_file(&json_path).unwrap_err());
        assert!(e.contains("has no answer"), "{e}");
    }
}
