//! Command-line interface of `sovbench-aggregator`. `main.rs` only calls [`main`]; each command
//! group has its own file, which parses its arguments, calls the library and renders the answer:
//!
//! | file | commands |
//! |---|---|
//! | [`context`] | (what every command gets: output settings, an async runtime) |
//! | [`keys`] | `init`, `key` |
//! | [`enrol`] | `enrol` (also `--list`, `--revoke`) |
//! | [`round`] | `round open`, `round close`, `round list` |
//! | [`committee`] | `committee create`, `committee list` (mode secure) |
//! | [`publish`] | `publish` |
//! | [`peers`] | `peers` |
//! | [`serve`] | `serve` |
//! | [`operate`] | operator commands: on the store, or through the admin API while `serve` runs |
//! | [`serve_tls`] | the TLS flags of `serve` |
//! | `help_de` | the German `--help` (`--lang de`, the default) |

pub mod committee;
pub mod context;
pub mod enrol;
mod help_de;
pub mod keys;
pub mod operate;
pub mod peers;
pub mod publish;
pub mod round;
pub mod serve;
pub mod serve_tls;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory as _, FromArgMatches as _, Parser, Subcommand};
use sovbench_core::i18n::Lang;
use sovbench_core::pb;
use sovbench_core::pb::admin_request::Command as AdminCommand;

use crate::aggregator::Aggregator;
use context::Output;

pub use round::{parse_duration, RoundAction};
pub use serve::shutdown_signal;

const EXIT_CODES: &str = "Exit codes: 0 success; 1 error (the message says what and where); \
2 invalid command line.";

/// sovbench aggregator: verifies signed private submissions of a consortium's administrations and
/// publishes signed cohort benchmarks.
#[derive(Debug, Parser)]
#[command(name = "sovbench-aggregator", version, after_help = EXIT_CODES)]
pub struct Cli {
    /// Data directory (signing key, store).
    #[arg(
        long,
        global = true,
        env = "SOVBENCH_AGGREGATOR_DATA",
        value_name = "DIR"
    )]
    pub data: Option<PathBuf>,
    /// Machine-readable JSON output.
    #[arg(long, global = true)]
    pub json: bool,
    /// Operator commands: use the admin API at this address (default: the address in
    /// `serve.addr` of the data directory when `serve` holds the store).
    #[arg(long, global = true, env = "SOVBENCH_ADMIN", value_name = "URL")]
    pub admin: Option<String>,
    /// Operator commands through the admin API: sign with this Ed25519 key (PKCS#8) instead of
    /// the aggregator's own `aggregator.key`; its public key must be listed in `operators.toml`.
    #[arg(
        long,
        global = true,
        env = "SOVBENCH_OPERATOR_KEY",
        value_name = "FILE"
    )]
    pub operator_key: Option<PathBuf>,
    /// Operator commands through the admin API with --operator-key: the aggregator's public key
    /// (base64, printed by `sovbench-aggregator key`); every request is bound to it and refused
    /// by any other aggregator.
    #[arg(
        long,
        global = true,
        env = "SOVBENCH_AGGREGATOR_KEY",
        value_name = "KEY"
    )]
    pub aggregator_key: Option<String>,
    /// Operator commands through --admin https://… from another host: the CA file (PEM) that
    /// issued the aggregator's certificate (default: the system's certificate authorities).
    #[arg(long, global = true, env = "SOVBENCH_ADMIN_CA", value_name = "FILE")]
    pub admin_ca: Option<PathBuf>,
    /// Output language: de (default) or en.
    #[arg(
        long,
        global = true,
        env = "SOVBENCH_LANG",
        value_name = "de|en",
        default_value = "de"
    )]
    pub lang: Lang,
    #[command(subcommand)]
    pub command: Command,
}

/// Commands of the aggregator.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the store and the aggregator's Ed25519 signing key; print the public key that
    /// nodes configure as `aggregator_key`.
    Init(keys::InitArgs),
    /// Print the aggregator's public key and fingerprint.
    Key,
    /// Enrol a node's public key with its cohort attributes; or list, or revoke.
    ///
    /// Works while `serve` runs (through its admin API, see --admin and --operator-key); a
    /// revocation takes effect at the key's next submission.
    Enrol(enrol::EnrolArgs),
    /// Open, close or list benchmarking rounds.
    Round {
        #[command(subcommand)]
        action: RoundAction,
    },
    /// Trustee committees for mode secure: register a DKG ceremony, list ceremonies.
    Committee {
        #[command(subcommand)]
        action: committee::CommitteeAction,
    },
    /// Compute, sign and store the benchmark of a closed round; print it.
    Publish(publish::PublishArgs),
    /// Overview of peer matching: offers per migration path and stage, contact requests by
    /// state. Names no administration (the store holds who offers what; this view does not show
    /// it).
    Peers,
    /// The open round's participation per cohort (counts only), the rounds and their states,
    /// the enrolments and the trustee phase of secure rounds. Works while `serve` runs.
    Status,
    /// Serve the gRPC API. Rounds whose closing time has passed are closed and published
    /// automatically. Also relays peer matching (offers, match lists, contact requests, sealed
    /// cards; see docs/PEERS.md). Stops cleanly on Ctrl-C or SIGTERM.
    /// With --http-listen also the benchmark portal: HTTP API and dashboard of the published
    /// rounds (docs/PORTAL.md).
    Serve(serve::ServeArgs),
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
        Ok(code) => code,
        Err(e) => {
            // TLS errors and the aggregator's own errors in the operator's language (naming
            // file and option); others (e.g. a gRPC status of the admin API) as they are.
            let text = crate::tls::localised(&e, lang)
                .unwrap_or_else(|| crate::error::AggError::chain_text(&e, lang));
            eprintln!(
                "sovbench-aggregator: {}: {text}",
                lang.pick("Fehler", "error")
            );
            ExitCode::from(1)
        }
    }
}

/// Logs to stderr: human-readable on a terminal, JSON otherwise; the filter from `SOVBENCH_LOG`
/// (default `info`).
/// Default data directory: the per-user data folder, `sovbench-aggregator` inside it.
pub fn default_data_dir() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("sovbench-aggregator")
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let dir = cli.data.clone().unwrap_or_else(default_data_dir);
    let out = Output {
        json: cli.json,
        lang: cli.lang,
    };
    let target = operate::Target {
        dir: dir.clone(),
        admin: cli.admin.clone(),
        operator_key: cli.operator_key.clone(),
        aggregator_key: cli.aggregator_key.clone(),
        admin_ca: cli.admin_ca.clone(),
    };
    let op = |command: AdminCommand| -> anyhow::Result<()> {
        operate::print(&operate::operate(&target, command, out)?);
        Ok(())
    };
    match cli.command {
        Command::Init(args) => keys::init(&dir, args, out)?,
        Command::Key => op(AdminCommand::Key(pb::AdminQuery {}))?,
        Command::Enrol(args) => op(enrol::command(args)?)?,
        Command::Round { action } => op(round::command(action))?,
        Command::Committee { action } => op(committee::command(action))?,
        Command::Publish(args) => {
            let outcome = operate::operate(&target, AdminCommand::Publish(args.round), out)?;
            if let Some(path) = &args.export {
                publish::write_export(&outcome, path)?;
            }
            operate::print(&outcome);
        }
        Command::Peers => op(AdminCommand::PeersOverview(pb::AdminQuery {}))?,
        Command::Status => op(AdminCommand::Status(pb::AdminQuery {}))?,
        Command::Serve(args) => serve::run(Aggregator::open(&dir)?, args)?,
    }
    Ok(ExitCode::SUCCESS)
}
