//! Command-line interface of `sovbench-node`: argument parsing ([`Cli`]) and dispatch ([`run`]).
//! One file per command group parses its arguments, calls the domain and prints the result as
//! text or, with `--json`, as the serialised structs of the domain (or of the small `*Json`
//! structs beside the command). `main.rs` only calls [`main`]. A tokio runtime is built only for
//! the commands that talk to the aggregator.

mod accounts;
mod config;
mod exit;
mod help_de;
mod inventory;
mod migration;
mod node;
mod output;
mod peers;
mod privacy;
mod procurement;
mod readiness;
mod report;
mod round;
mod selftest;
mod tenants;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::{CommandFactory as _, FromArgMatches as _, Parser, Subcommand};
use sovbench_core::i18n::Lang;

use crate::error::NodeError;
use crate::node::Node;

pub(crate) use output::{json_line, json_pretty, Out};

pub use exit::Exit;

/// How long a command waits for the store while another process (a running `serve` between two
/// units of work, or another command) holds it.
const STORE_WAIT: Duration = Duration::from_secs(20);

/// sovbench node: the administration's own sovereignty data, kept locally; only signed,
/// differentially private values leave it.
#[derive(Debug, Parser)]
#[command(name = "sovbench-node", version, after_help = exit::HELP_EN)]
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
    Init(node::NewNode),
    /// Hosted mode: make --data a hosting directory for many administrations.
    Hosting {
        #[command(subcommand)]
        action: tenants::HostingAction,
    },
    /// Hosted mode: the administrations of a hosting directory (--data): add, list, remove,
    /// export the report of a removed one, purge.
    Tenants {
        #[command(subcommand)]
        action: tenants::TenantsAction,
    },
    /// The people who may use the browser workplace (`serve --http-listen`): add, list, remove,
    /// new password.
    Accounts {
        #[command(subcommand)]
        action: accounts::AccountsAction,
    },
    /// Change settings of node.toml that are pinned rather than edited by hand.
    Config {
        #[command(subcommand)]
        action: config::ConfigAction,
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
    ///
    /// Names the round and its publication date and flags a stale publication (a newer one
    /// seen, a later round taken part in, or older than 120 days). Per cohort (readable names)
    /// and metric: own value, cohort value, 95% interval, a position bar
    /// (◆ own value, ● cohort value, [===] interval) and a verdict (above, below, within the
    /// cohort) only where the interval supports one. With --history: the same across every
    /// round this node took part in, each publication fetched by round id, verified and kept.
    Compare {
        /// Round id of the publication (default: the latest).
        #[arg(long, conflicts_with = "history")]
        round: Option<String>,
        /// The administration against its cohorts across rounds, a line per round.
        #[arg(long)]
        history: bool,
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
        action: inventory::InventoryAction,
    },
    /// Migration paths: add, advance, rollback, list, show (stage history kept).
    Migration {
        #[command(subcommand)]
        action: migration::MigrationAction,
    },
    /// Peer matching with double opt-in: find administrations on the same migration path.
    ///
    /// Without an action: the best matches for each path you offer, with pseudonym, stage, kind,
    /// size class and an explained score. Nothing happens without an explicit `offer` per path;
    /// contact cards are exchanged only after the other side accepted your request (or you
    /// accepted theirs), end-to-end encrypted.
    Peers {
        #[command(subcommand)]
        action: Option<peers::PeersAction>,
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
        action: procurement::ProcurementAction,
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
        /// Also serve the browser workplace on this address, e.g. 127.0.0.1:8080 (port 0:
        /// any free port; the URL is printed). On another interface than loopback, put it
        /// behind the provider's HTTPS proxy: cookies are then sent over HTTPS only. While the
        /// workplace runs, values are sent to a round only by a person's "send".
        #[arg(long, value_name = "ADDR")]
        http_listen: Option<std::net::SocketAddr>,
    },
}

/// Entry point used by the binary.
pub fn main() -> ExitCode {
    sovbench_core::quiet_on_broken_pipe();
    // Everything this process creates is private to its account (data at rest, exports too).
    sovbench_core::private::private_umask();
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let lang = help_de::help_lang(&args);
    let cmd = help_de::localise(Cli::command(), lang);
    let cli = match Cli::from_arg_matches(&cmd.get_matches_from(args)) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    sovbench_core::logging::init_tracing("warn");
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            // The context lines as they are, every node error of the chain in the chosen
            // language (naming the node.toml setting or command to fix).
            let text = crate::error::localised_chain(e.as_ref(), lang);
            eprintln!("sovbench-node: {}: {text}", lang.pick("Fehler", "error"));
            Exit::of_error(&e).code()
        }
    }
}

/// Default data directory: the per-user data folder, `sovbench-node` inside it.
pub fn default_data_dir() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("sovbench-node")
}

/// The runtime for the commands that talk to the aggregator.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// Opens the node in `dir`; while another process holds the store (a running `serve` holds it
/// only for one unit of work), waits up to [`STORE_WAIT`], saying so once on stderr.
fn open_waiting(dir: &Path, lang: Option<Lang>) -> Result<Node, NodeError> {
    let deadline = Instant::now() + STORE_WAIT;
    let mut told = false;
    loop {
        match Node::open(dir) {
            Err(NodeError::Locked(_)) if Instant::now() < deadline => {
                if !told {
                    told = true;
                    eprintln!(
                        "{}",
                        lang.unwrap_or_default().pick(
                            "sovbench-node: der Speicher ist gerade belegt (läuft `sovbench-node serve`?); warte …",
                            "sovbench-node: the store is busy (is `sovbench-node serve` running?); waiting …"
                        )
                    );
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            other => return other,
        }
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let dir = cli.data.clone().unwrap_or_else(default_data_dir);
    let (lang, json) = (cli.lang, cli.json);
    let open = || -> anyhow::Result<(Node, Out)> {
        let node = open_waiting(&dir, lang)?;
        let out = Out::of(lang, &node, json);
        Ok((node, out))
    };
    match cli.command {
        Command::Init(new) => {
            node::init(&dir, new.into_args()?, lang, json)?;
        }
        Command::Hosting { action } => {
            tenants::hosting(&dir, action, lang.unwrap_or_default())?;
        }
        Command::Tenants { action } => {
            tenants::run(&dir, action, lang, json)?;
        }
        Command::Accounts { action } => {
            let (node, out) = open()?;
            accounts::run(&node, action, out)?;
        }
        Command::Config { action } => {
            let (node, out) = open()?;
            config::run(&node, action, out)?;
        }
        Command::Assess { file, history } => {
            let (node, out) = open()?;
            selftest::assess(&node, file, history, out)?;
        }
        Command::Submit => {
            let (node, out) = open()?;
            return runtime()?.block_on(async {
                crate::peers::deliver_pending(&node).await;
                round::submit(&node, out).await
            });
        }
        Command::Compare { round, history } => {
            let (node, out) = open()?;
            runtime()?.block_on(async {
                crate::peers::deliver_pending(&node).await;
                if history {
                    round::history(&node, out).await
                } else {
                    round::compare(&node, round, out).await
                }
            })?;
        }
        Command::Status => {
            let (node, out) = open()?;
            node::status(&node, out)?;
        }
        Command::Privacy { report } => {
            let (node, out) = open()?;
            privacy::privacy(&node, report, out)?;
        }
        Command::Inventory { action } => {
            let (node, out) = open()?;
            inventory::run(&node, action, out)?;
        }
        Command::Migration { action } => {
            let (node, out) = open()?;
            migration::run(&node, action, out)?;
        }
        Command::Peers { action, limit } => {
            let (node, out) = open()?;
            let pending = runtime()?.block_on(async {
                crate::peers::deliver_pending(&node).await;
                peers::run(&node, action, limit, out).await
            })?;
            if pending {
                // A withdrawal the aggregator has not acknowledged yet, like a queued release.
                return Ok(Exit::Queued.code());
            }
        }
        Command::Readiness => {
            let (node, out) = open()?;
            readiness::run(&node, out)?;
        }
        Command::Procurement { action } => {
            let (node, out) = open()?;
            procurement::run(&node, action, out)?;
        }
        Command::Report { output } => {
            let (node, out) = open()?;
            report::run(&node, &output, out)?;
        }
        Command::Serve {
            interval,
            http_listen,
        } if crate::hosting::Hosting::is_hosting(&dir) => {
            let out = Out {
                lang: lang.unwrap_or_default(),
                json,
            };
            runtime()?.block_on(round::serve_hosted(&dir, interval, http_listen, out))?;
        }
        Command::Serve {
            interval,
            http_listen,
        } => {
            let (node, out) = open()?;
            runtime()?.block_on(round::serve(node, interval, http_listen, out))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
