//! Command-line interface of `sovbench-trustee`: parses arguments, calls the library, renders the
//! answer in German or English. `main.rs` only calls [`main`].

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, CommandFactory as _, FromArgMatches as _, Parser, Subcommand};
use sovbench_core::i18n::Lang;

use crate::status::{ReadFrom, ServeState, TrusteeStatus};
use crate::trustee::Trustee;

mod help_de;

const AFTER_HELP: &str = "The cryptography (elastic-elgamal) has not been independently audited.\n\
Exit codes: 0 success; 1 error (the message says what and where); 2 invalid command line.";

/// sovbench trustee: holds one share of the trustee committee's key for mode secure, checks each
/// closed round's bulletin and adds its noise share. It decrypts only the announced noisy cohort
/// sums, each round once, and talks only to the aggregator (no inbound port).
#[derive(Debug, Parser)]
#[command(name = "sovbench-trustee", version, after_help = AFTER_HELP)]
pub struct Cli {
    /// Data directory (identity key, trustee.toml, store with the key share).
    #[arg(long, global = true, env = "SOVBENCH_TRUSTEE_DATA", value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Output language: de (default) or en.
    #[arg(
        long,
        global = true,
        env = "SOVBENCH_LANG",
        value_name = "de|en",
        default_value = "de"
    )]
    pub lang: Lang,
    /// Machine-readable JSON (init, dkg, status, config); the fields are documented in
    /// docs/OPERATIONS.md and are only ever added to.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// Commands of the trustee.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the data directory, the trustee's Ed25519 key and trustee.toml; print the public
    /// key for the operator's `sovbench-aggregator committee create`.
    Init(InitArgs),
    /// Run (or resume) the key generation ceremony until the committee is complete.
    Dkg(DkgArgs),
    /// Work unattended: check each announced round, post noise and decryption shares. Stops
    /// cleanly on Ctrl-C or SIGTERM.
    Serve(ServeArgs),
    /// Show key, aggregator, committee, the rounds handled and how `serve` polls (also while
    /// `serve` runs: then from its status file, serve-status.json).
    Status,
    /// Change a setting of trustee.toml after checking it (also while `serve` runs; restart
    /// `serve` to use the change).
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
}

/// Actions of `config`.
#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Trust this CA for the aggregator's TLS certificate: set aggregator_ca in trustee.toml.
    ///
    /// For an `https://` aggregator address whose certificate is not signed by a CA in the
    /// system's trust store (e.g. the consortium's own CA). The file must hold a PEM certificate;
    /// it is entered with its absolute path.
    AggregatorCa {
        /// The CA certificate (PEM).
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

/// `init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// gRPC address of the aggregator (http://host:port).
    #[arg(long, value_name = "URL")]
    pub aggregator: String,
    /// The aggregator's public key, base64 (`sovbench-aggregator key`).
    #[arg(long, value_name = "B64")]
    pub aggregator_key: String,
}

/// `dkg`.
#[derive(Debug, Args)]
pub struct DkgArgs {
    /// Ceremony id registered by the aggregator operator.
    #[arg(long, value_name = "ID")]
    pub ceremony: String,
    /// Seconds between polls of the board.
    #[arg(long, default_value_t = 5, value_name = "SECONDS")]
    pub poll: u64,
}

/// `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Seconds between polls of the aggregator.
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    pub poll: u64,
}

/// Default data directory: the per-user data folder, `sovbench-trustee` inside it.
pub fn default_data_dir() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("sovbench-trustee")
}

/// Entry point used by the binary.
pub fn main() -> ExitCode {
    sovbench_core::quiet_on_broken_pipe();
    // Everything this process creates is private to its account (data at rest, exports too).
    sovbench_core::private::private_umask();
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let help_lang = sovbench_core::help::help_lang(&args);
    let cmd = sovbench_core::help::localise(Cli::command(), help_lang, &help_de::TABLES);
    let cli = match Cli::from_arg_matches(&cmd.get_matches_from(args)) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    sovbench_core::logging::init_tracing("info");
    let lang = cli.lang;
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sovbench-trustee: {}", error_text(&e, lang));
            ExitCode::from(1)
        }
    }
}

/// An error as the operator reads it: the trustee's own errors in German or English (TLS
/// problems naming file and setting), other errors as their cause chain.
pub fn error_text(e: &anyhow::Error, lang: Lang) -> String {
    format!(
        "{}: {}",
        lang.pick("Fehler", "error"),
        crate::error::chain_text(e, lang)
    )
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let dir = cli.dir.clone().unwrap_or_else(default_data_dir);
    let (lang, json) = (cli.lang, cli.json);
    match cli.command {
        Command::Init(a) => init(&dir, &a, lang, json),
        Command::Dkg(a) => {
            let t = Trustee::open(&dir)?;
            let fp = runtime()?.block_on(t.dkg(&a.ceremony, Duration::from_secs(a.poll.max(1))))?;
            if json {
                return print_json(&serde_json::json!({
                    "ceremony": a.ceremony,
                    "committee_fingerprint": hex::encode(fp),
                }));
            }
            println!(
                "{} {}",
                lang.pick(
                    "Schlüsselerzeugung abgeschlossen; Fingerabdruck des Treuhändergremiums:",
                    "key generation complete; committee fingerprint:"
                ),
                hex::encode(fp)
            );
            Ok(())
        }
        Command::Serve(a) => {
            let t = Trustee::open(&dir)?;
            runtime()?.block_on(t.serve(Duration::from_secs(a.poll.max(1)), shutdown_signal()))?;
            Ok(())
        }
        Command::Status => {
            let s = crate::status::read(&dir)?;
            if json {
                return print_json(&s);
            }
            print!("{}", render_status(&s, lang));
            Ok(())
        }
        Command::Config {
            action: ConfigAction::AggregatorCa { file },
        } => {
            let (config, previous) = crate::config::set_aggregator_ca(&dir, &file)?;
            if json {
                return print_json(&serde_json::json!({
                    "aggregator_ca": config.aggregator_ca,
                    "previous": previous,
                }));
            }
            println!(
                "{}: {}",
                lang.pick(
                    "CA für das TLS-Zertifikat des Aggregators gesetzt (aggregator_ca in trustee.toml)",
                    "CA for the aggregator's TLS certificate set (aggregator_ca in trustee.toml)"
                ),
                config.aggregator_ca.as_deref().unwrap_or("-")
            );
            if let Some(p) = previous.filter(|p| Some(p) != config.aggregator_ca.as_ref()) {
                println!("{}: {p}", lang.pick("vorher", "previously"));
            }
            println!(
                "{}",
                lang.pick(
                    "Ein laufendes `sovbench-trustee serve` neu starten, damit es die CA verwendet.",
                    "Restart a running `sovbench-trustee serve` for it to use the CA."
                )
            );
            Ok(())
        }
    }
}

/// Prints `value` as pretty JSON.
fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

fn init(dir: &Path, a: &InitArgs, lang: Lang, json: bool) -> anyhow::Result<()> {
    let t = Trustee::init(dir, &a.aggregator, &a.aggregator_key)?;
    let s = t.status()?;
    if json {
        return print_json(&serde_json::json!({
            "data_dir": dir,
            "public_key": s.public_key,
            "key_fingerprint": s.key_fingerprint,
        }));
    }
    println!(
        "{} {}",
        lang.pick("Treuhänder angelegt in", "trustee initialised in"),
        dir.display()
    );
    println!(
        "{}",
        lang.pick(
            "Öffentlicher Schlüssel (an den Betreiber des Aggregators für `sovbench-aggregator committee create`):",
            "Public key (hand it to the aggregator operator for `sovbench-aggregator committee create`):"
        )
    );
    println!("{}", s.public_key);
    println!(
        "{} {}",
        lang.pick("Fingerabdruck:", "Fingerprint:"),
        s.key_fingerprint
    );
    Ok(())
}

/// The status as text lines.
pub fn render_status(s: &TrusteeStatus, lang: Lang) -> String {
    let mut out = String::new();
    let mut line = |de: &str, en: &str, v: &str| {
        out.push_str(&format!("{:<28} {v}\n", lang.pick(de, en)));
    };
    line("Öffentlicher Schlüssel:", "Public key:", &s.public_key);
    line("Fingerabdruck:", "Fingerprint:", &s.key_fingerprint);
    line("Aggregator:", "Aggregator:", &s.aggregator_url);
    line(
        "Schlüssel des Aggregators:",
        "Aggregator key:",
        &s.aggregator_key_fingerprint,
    );
    match &s.committee {
        Some(c) => {
            line("Treuhändergremium:", "Committee:", &c.fingerprint);
            line(
                "Platz im Gremium:",
                "Index in the committee:",
                &format!(
                    "{} ({} {} {}, {} {})",
                    c.index,
                    c.threshold,
                    lang.pick("von", "of"),
                    c.size,
                    lang.pick("Zeremonie", "ceremony"),
                    c.ceremony
                ),
            );
        }
        None => line(
            "Treuhändergremium:",
            "Committee:",
            lang.pick(
                "noch keines (sovbench-trustee dkg)",
                "none yet (sovbench-trustee dkg)",
            ),
        ),
    }
    if s.rounds.is_empty() {
        line("Runden:", "Rounds:", lang.pick("keine", "none"));
    }
    for r in &s.rounds {
        let phase = match r.phase {
            crate::model::Phase::NoiseDrawn => lang.pick(
                "Rauschen gezogen, nicht bestätigt",
                "noise drawn, not acknowledged",
            ),
            crate::model::Phase::NoisePosted => lang.pick("Rauschen übermittelt", "noise posted"),
            crate::model::Phase::Decrypting => lang.pick(
                "Entschlüsselungsanteile gespeichert, nicht bestätigt",
                "decryption shares stored, not acknowledged",
            ),
            crate::model::Phase::Decrypted => lang.pick(
                "Entschlüsselungsanteile übermittelt",
                "decryption shares posted",
            ),
        };
        line(
            "Runde:",
            "Round:",
            &format!(
                "{} — {phase} ({} {})",
                r.round_id,
                r.entries,
                lang.pick("Einträge", "entries")
            ),
        );
    }
    for r in &s.refusals {
        line(
            "Abgelehnt:",
            "Refused:",
            &format!("{} — {}", r.round_id, r.reason),
        );
    }
    match &s.serve {
        None => line(
            "Dienst (serve):",
            "Service (serve):",
            lang.pick("noch nie gestartet", "never started"),
        ),
        Some(st) => render_serve(st, s.read_from, lang, &mut line),
    }
    out
}

/// The lines of `serve`'s state.
fn render_serve(
    st: &ServeState,
    from: ReadFrom,
    lang: Lang,
    line: &mut impl FnMut(&str, &str, &str),
) {
    let t = sovbench_core::time::format_utc;
    let state = match (st.running, st.stopped_at) {
        (true, _) => format!(
            "{} {} (PID {}), {} {}{}",
            lang.pick("läuft seit", "running since"),
            t(st.started_at),
            st.pid,
            lang.pick("Stand", "as of"),
            t(st.updated_at),
            match from {
                ReadFrom::ServeStatusFile =>
                    lang.pick(" (aus serve-status.json)", " (from serve-status.json)"),
                ReadFrom::Store => "",
            }
        ),
        (false, Some(at)) => format!("{} {}", lang.pick("beendet am", "stopped at"), t(at)),
        (false, None) => format!(
            "{} {}",
            lang.pick(
                "ohne sauberes Ende abgebrochen; zuletzt gesehen",
                "ended without a clean stop; last seen"
            ),
            t(st.updated_at)
        ),
    };
    line("Dienst (serve):", "Service (serve):", &state);
    line(
        "Abfragen:",
        "Polls:",
        &format!(
            "{} ({} {}, {} {}, {} {}, {} {}; {} {} s)",
            st.passes,
            st.idle,
            lang.pick("ohne Arbeit", "idle"),
            st.worked,
            lang.pick("mit Arbeit", "with work"),
            st.refused,
            lang.pick("abgelehnt", "refused"),
            st.errors,
            lang.pick("Fehler", "errors"),
            lang.pick("alle", "every"),
            st.poll_secs
        ),
    );
    if let Some(at) = st.last_work_at {
        line("Zuletzt gearbeitet:", "Last work:", &t(at));
    }
    if let Some(e) = &st.last_error {
        line(
            "Letzter Fehler:",
            "Last error:",
            &format!(
                "{e} ({} {})",
                st.errors_in_a_row,
                lang.pick("in Folge", "in a row")
            ),
        );
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
