//! Command-line interface of `sovbench-aggregator`. `main.rs` only calls [`main`].

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use serde_json::json;
use sovbench_core::catalogue::Catalogue;
use sovbench_core::cohort::{parse_state, CohortAttributes, Kind, SizeClass};
use sovbench_core::display::{clipped, suppression_text};
use sovbench_core::envelope::{self, b64, fingerprint};
use sovbench_core::i18n::Lang;
use sovbench_core::pb;
use sovbench_core::time::format_utc;

use crate::aggregator::{Aggregator, RoundSpec};
use crate::export::export_publication;
use crate::service::{serve, ServeOptions};

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
    Init {
        /// Name of the consortium, e.g. "IT-Verbund Nord".
        #[arg(long)]
        consortium: String,
    },
    /// Print the aggregator's public key and fingerprint.
    Key,
    /// Enrol a node's public key with its cohort attributes; or list, or revoke.
    ///
    /// Commands that change the store need the server stopped (the store is locked by `serve`).
    Enrol {
        /// The node's public key (base64, printed by `sovbench-node init`).
        #[arg(long, required_unless_present_any = ["list", "revoke"])]
        key: Option<String>,
        /// Name of the administration (kept for the operator; never published).
        #[arg(long, required_unless_present_any = ["list", "revoke"])]
        name: Option<String>,
        /// Kind: gemeinde, stadt, landkreis, land, bund, it-dienstleister.
        #[arg(long, required_unless_present_any = ["list", "revoke"])]
        kind: Option<String>,
        /// Bundesland, ISO 3166-2:DE code.
        #[arg(long, required_unless_present_any = ["list", "revoke"])]
        state: Option<String>,
        /// Population (territorial bodies).
        #[arg(long, conflicts_with = "staff")]
        population: Option<u64>,
        /// Staff count (Bund, IT-Dienstleister).
        #[arg(long)]
        staff: Option<u64>,
        /// List enrolments instead.
        #[arg(long, conflicts_with_all = ["key", "revoke"])]
        list: bool,
        /// Revoke the enrolment of this public key (base64).
        #[arg(long, value_name = "KEY", conflicts_with = "key")]
        revoke: Option<String>,
    },
    /// Open, close or list benchmarking rounds.
    Round {
        #[command(subcommand)]
        action: RoundAction,
    },
    /// Compute, sign and store the benchmark of a closed round; print it.
    Publish {
        /// Round id.
        round: String,
        /// Also write the signed publication as JSON (payload, signature, public_key, benchmark).
        #[arg(long, value_name = "FILE")]
        export: Option<PathBuf>,
    },
    /// Overview of peer matching: offers per migration path and stage, contact requests by
    /// state. Names no administration (the store holds who offers what; this view does not show
    /// it).
    Peers,
    /// Serve the gRPC API. Rounds whose closing time has passed are closed and published
    /// automatically. Also relays peer matching (offers, match lists, contact requests, sealed
    /// cards; see docs/PEERS.md). Stops cleanly on Ctrl-C or SIGTERM.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:7443")]
        listen: String,
        /// Peer matching: contact requests one node may send within 24 hours.
        #[arg(long, default_value_t = 20, value_name = "N")]
        peer_requests_per_day: u32,
    },
}

/// Round actions.
#[derive(Debug, Subcommand)]
pub enum RoundAction {
    /// Open a round (one at a time). Its parameters are signed.
    Open {
        /// Round id, e.g. 2026-q4.
        id: String,
        /// Metric ids, comma separated (default: the five self-test dimensions; others:
        /// selftest.band, selftest.exit_strategy, inventory.*, path.*).
        #[arg(long, value_delimiter = ',')]
        metrics: Vec<String>,
        /// Epsilon of one released value.
        #[arg(long, default_value_t = 1.0)]
        epsilon: f64,
        /// How many metrics each node releases, chosen at random on the node (0 = all).
        /// Each node then spends epsilon times this number.
        #[arg(long, default_value_t = 1)]
        releases_per_node: u32,
        /// Minimum number of contributors for a published cell.
        #[arg(long, default_value_t = 10)]
        min_cohort: u32,
        /// Time until the round closes: e.g. 90s, 30m, 12h, 14d.
        #[arg(long, default_value = "14d")]
        closes_in: String,
    },
    /// Close a round: no further submissions are accepted.
    Close {
        /// Round id.
        id: String,
    },
    /// List rounds.
    List,
}

/// Entry point used by the binary.
pub fn main() -> ExitCode {
    sovbench_core::quiet_on_broken_pipe();
    let cli = Cli::parse();
    init_tracing();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("sovbench-aggregator: error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SOVBENCH_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::io::stderr().is_terminal() {
        builder.init();
    } else {
        builder.json().init();
    }
}

/// Default data directory: the per-user data folder, `sovbench-aggregator` inside it.
pub fn default_data_dir() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("sovbench-aggregator")
}

/// Parses a duration such as `90s`, `30m`, `12h`, `14d` into seconds.
pub fn parse_duration(text: &str) -> anyhow::Result<i64> {
    let t = text.trim();
    let (num, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: i64 = num.parse().with_context(|| {
        format!("duration {text:?}: expected a number followed by s, m, h or d")
    })?;
    let mult = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        other => anyhow::bail!("duration {text:?}: unknown unit {other:?}; use s, m, h or d"),
    };
    if n <= 0 {
        anyhow::bail!("duration {text:?} must be positive");
    }
    n.checked_mul(mult)
        .filter(|s| *s <= 100 * 365 * 86_400)
        .with_context(|| format!("duration {text:?} is longer than 100 years"))
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let dir = cli.data.clone().unwrap_or_else(default_data_dir);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let lang = cli.lang;
    match cli.command {
        Command::Init { consortium } => {
            let agg = Aggregator::init(&dir, &consortium)?;
            print_key(&agg, lang, cli.json, true)?;
        }
        Command::Key => {
            let agg = Aggregator::open(&dir)?;
            print_key(&agg, lang, cli.json, false)?;
        }
        Command::Enrol {
            key,
            name,
            kind,
            state,
            population,
            staff,
            list,
            revoke,
        } => {
            let agg = Aggregator::open(&dir)?;
            if list {
                let all = agg.enrolments()?;
                if cli.json {
                    println!("{}", serde_json::to_string_pretty(&all)?);
                } else {
                    for e in all {
                        println!(
                            "{}  {:<40} {:<17} {} {:<12} {}",
                            e.fingerprint,
                            e.name,
                            e.attributes.kind.key(),
                            e.attributes.state,
                            e.attributes.size.key(),
                            match e.revoked_at {
                                Some(t) => format!(
                                    "{} {}",
                                    lang.pick("widerrufen", "revoked"),
                                    format_utc(t)
                                ),
                                None => lang.pick("aktiv", "active").to_string(),
                            }
                        );
                    }
                }
            } else if let Some(k) = revoke {
                let raw = envelope::unb64(&k).context("--revoke: the key is not base64")?;
                let e = agg.revoke(&raw)?;
                if cli.json {
                    println!("{}", serde_json::to_string_pretty(&e)?);
                } else {
                    println!(
                        "{} {} ({})",
                        lang.pick("Widerrufen:", "Revoked:"),
                        e.fingerprint,
                        e.name
                    );
                }
            } else {
                let (Some(key), Some(name), Some(kind), Some(state)) = (key, name, kind, state)
                else {
                    anyhow::bail!("enrol needs --key, --name, --kind and --state");
                };
                let raw = envelope::unb64(&key).context("--key: the key is not base64")?;
                let kind: Kind = kind.parse()?;
                let size = population
                    .or(staff)
                    .context("give --population (territorial bodies) or --staff (others)")?;
                let attrs = CohortAttributes {
                    kind,
                    state: parse_state(&state)?,
                    size: SizeClass::classify(kind, size),
                };
                let e = agg.enrol(&raw, &name, attrs, size)?;
                if cli.json {
                    println!("{}", serde_json::to_string_pretty(&e)?);
                } else {
                    println!(
                        "{} {} ({}; {})",
                        lang.pick("Aufgenommen:", "Enrolled:"),
                        e.name,
                        e.fingerprint,
                        e.attributes.cohorts().join(" | ")
                    );
                }
            }
        }
        Command::Round { action } => {
            let agg = Aggregator::open(&dir)?;
            match action {
                RoundAction::Open {
                    id,
                    metrics,
                    epsilon,
                    releases_per_node,
                    min_cohort,
                    closes_in,
                } => {
                    let closes_at = sovbench_core::now_unix() + parse_duration(&closes_in)?;
                    let p = agg.open_round(RoundSpec {
                        round_id: id,
                        metrics,
                        epsilon_per_release: epsilon,
                        releases_per_node,
                        min_cohort,
                        closes_at,
                    })?;
                    if cli.json {
                        println!(
                            "{}",
                            json!({"round_id": p.round_id, "closes_at": p.closes_at,
                            "metrics": p.metrics.iter().map(|m| m.id.clone()).collect::<Vec<_>>(),
                            "epsilon_per_release": p.epsilon_per_release,
                            "releases_per_node": p.releases_per_node, "min_cohort": p.min_cohort})
                        );
                    } else {
                        println!(
                            "{} {} ({} {}; {} {}, {} {}, k = {})",
                            lang.pick("Runde geöffnet:", "Round opened:"),
                            p.round_id,
                            lang.pick("schließt", "closes"),
                            format_utc(p.closes_at),
                            lang.pick("Epsilon je Wert", "epsilon per value"),
                            p.epsilon_per_release,
                            lang.pick("Werte je Knoten", "values per node"),
                            if p.releases_per_node == 0 {
                                p.metrics.len() as u32
                            } else {
                                p.releases_per_node
                            },
                            p.min_cohort
                        );
                    }
                }
                RoundAction::Close { id } => {
                    let changed = rt.block_on(agg.close_round(&id))?;
                    if cli.json {
                        println!("{}", json!({"round_id": id, "closed_now": changed}));
                    } else if changed {
                        println!("{} {id}", lang.pick("Runde geschlossen:", "Round closed:"));
                    } else {
                        println!(
                            "{} {id}",
                            lang.pick(
                                "Runde war bereits geschlossen:",
                                "Round was already closed:"
                            )
                        );
                    }
                }
                RoundAction::List => {
                    let rounds = agg.rounds()?;
                    if cli.json {
                        println!("{}", serde_json::to_string_pretty(&rounds)?);
                    } else {
                        for r in rounds {
                            println!(
                                "{:<16} {:<10} {} -> {}  eps {} x {}  k {}  {} {}",
                                r.round_id,
                                format!("{:?}", r.status).to_lowercase(),
                                format_utc(r.opens_at),
                                format_utc(r.closes_at),
                                r.epsilon_per_release,
                                if r.releases_per_node == 0 {
                                    r.metrics.len() as u32
                                } else {
                                    r.releases_per_node
                                },
                                r.min_cohort,
                                r.submissions,
                                lang.pick("Einreichungen", "submissions")
                            );
                        }
                    }
                }
            }
        }
        Command::Publish { round, export } => {
            let agg = Aggregator::open(&dir)?;
            let msg = agg.publish(&round)?;
            let doc = export_publication(&msg)?;
            if let Some(path) = export {
                write_json(&path, &doc)?;
            }
            if cli.json {
                println!("{}", serde_json::to_string_pretty(&doc)?);
            } else {
                print!("{}", render_publication(&msg, lang)?);
            }
        }
        Command::Peers => {
            let agg = Aggregator::open(&dir)?;
            let o = agg.peer_overview();
            if cli.json {
                println!("{}", serde_json::to_string_pretty(&o)?);
            } else {
                println!(
                    "{}",
                    lang.pick(
                        "Angebote je Migrationspfad und Phase:",
                        "Offers per migration path and stage:"
                    )
                );
                if o.offers.is_empty() {
                    println!("    {}", lang.pick("keine", "none"));
                }
                for (path, stages) in &o.offers {
                    let total: usize = stages.values().sum();
                    let parts: Vec<String> = stages
                        .iter()
                        .map(|(s, n)| format!("{} {n}", sovbench_core::paths::stage_label(s, lang)))
                        .collect();
                    println!("    {path:<48} {total:>5}  ({})", parts.join(", "));
                }
                println!(
                    "{}: {} {}, {} {}, {} {}, {} {}",
                    lang.pick("Kontaktanfragen", "Contact requests"),
                    o.pending,
                    lang.pick("offen", "open"),
                    o.accepted,
                    lang.pick("angenommen", "accepted"),
                    o.declined,
                    lang.pick("abgelehnt", "declined"),
                    o.closed,
                    lang.pick("geschlossen", "closed")
                );
            }
        }
        Command::Serve {
            listen,
            peer_requests_per_day,
        } => {
            let agg = Arc::new(Aggregator::open(&dir)?);
            agg.set_peer_limits(crate::peers::PeerLimits {
                requests_per_day: peer_requests_per_day,
                ..Default::default()
            });
            let o = agg.peer_overview();
            tracing::info!(
                offers = o.offer_count,
                open_requests = o.pending,
                accepted = o.accepted,
                "peer matching"
            );
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind(&listen)
                    .await
                    .with_context(|| format!("binding {listen}"))?;
                tracing::info!(addr = %listener.local_addr()?, key = %b64(agg.public_key()), "serving");
                serve(agg, listener, ServeOptions::default(), shutdown_signal()).await?;
                tracing::info!("stopped");
                anyhow::Ok(())
            })?;
        }
    }
    Ok(ExitCode::SUCCESS)
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

/// Writes a JSON document atomically (temporary file, fsync, rename).
pub fn write_json(path: &std::path::Path, doc: &serde_json::Value) -> anyhow::Result<()> {
    use std::io::Write as _;
    let tmp = path.with_extension("tmp");
    let mut f =
        std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    f.write_all(serde_json::to_string_pretty(doc)?.as_bytes())
        .and_then(|()| f.sync_all())
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

fn print_key(agg: &Aggregator, lang: Lang, as_json: bool, new: bool) -> anyhow::Result<()> {
    let key = b64(agg.public_key());
    let fp = fingerprint(agg.public_key());
    if as_json {
        println!(
            "{}",
            json!({"data_dir": agg.dir(), "consortium": agg.consortium()?, "public_key": key, "fingerprint": fp})
        );
        return Ok(());
    }
    if new {
        println!(
            "{} {}",
            lang.pick("Aggregator angelegt in", "Aggregator created in"),
            agg.dir().display()
        );
    }
    println!(
        "{}: {}",
        lang.pick("Verbund", "Consortium"),
        agg.consortium()?
    );
    println!(
        "{}: {key}",
        lang.pick("Öffentlicher Schlüssel", "Public key")
    );
    println!("{}: {fp}", lang.pick("Fingerabdruck", "Fingerprint"));
    println!(
        "{}",
        lang.pick(
            "Knoten tragen diesen Schlüssel als aggregator_key ein (sovbench-node init --aggregator-key).",
            "Nodes configure this key as aggregator_key (sovbench-node init --aggregator-key)."
        )
    );
    Ok(())
}

/// Shortens a label to `width` characters for tables.
fn fit(label: &str, width: usize) -> String {
    if label.chars().count() <= width {
        label.to_string()
    } else {
        let mut s: String = label.chars().take(width - 1).collect();
        s.push('…');
        s
    }
}

/// Renders a signed publication as a text table (signature verified first).
pub fn render_publication(msg: &pb::SignedMessage, lang: Lang) -> anyhow::Result<String> {
    use std::fmt::Write as _;
    let p = match envelope::open(msg)?.body {
        pb::payload::Body::Publication(p) => p,
        _ => anyhow::bail!("not a publication"),
    };
    let cat = Catalogue::shared();
    let k = p.min_cohort;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} ({} {}, {} {}, {} {})",
        lang.pick("Benchmark der Runde", "Benchmark of round"),
        p.round_id,
        lang.pick("veröffentlicht", "published"),
        format_utc(p.published_at),
        p.contributors,
        lang.pick("Teilnehmende", "contributors"),
        lang.pick("Signatur", "signature"),
        fingerprint(&msg.signer)
    );
    let _ = writeln!(
        out,
        "{:<28} {:<36} {:>5} {:>9}  {}",
        lang.pick("Kohorte", "Cohort"),
        lang.pick("Kennzahl", "Metric"),
        "n",
        lang.pick("Schätzung", "Estimate"),
        lang.pick("95-%-Intervall", "95% interval")
    );
    for c in &p.cells {
        if c.suppressed {
            let _ = writeln!(
                out,
                "{:<28} {:<36} {:>5} {:>9}  {}",
                c.cohort,
                fit(&cat.label(&c.metric, lang), 36),
                c.n,
                "-",
                suppression_text(c, lang, Some(k))
            );
        } else {
            let (lo, hi) = cat.range(&c.metric);
            let _ = writeln!(
                out,
                "{:<28} {:<36} {:>5} {:>9}  [{:.2}, {:.2}]",
                c.cohort,
                fit(&cat.label(&c.metric, lang), 36),
                c.n,
                clipped(c.estimate, lo, hi),
                c.ci_low.clamp(lo, hi),
                c.ci_high.clamp(lo, hi)
            );
        }
    }
    let _ = writeln!(
        out,
        "{}",
        lang.pick(
            "Intervalle auf den möglichen Bereich begrenzt; * = Schätzung außerhalb des Bereichs (lokales Rauschen), im Export unverändert.",
            "Intervals clipped to the possible range; * = estimate outside the range (local noise), unchanged in the export."
        )
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s").unwrap(), 90);
        assert_eq!(parse_duration("30m").unwrap(), 1_800);
        assert_eq!(parse_duration("2h").unwrap(), 7_200);
        assert_eq!(parse_duration("14d").unwrap(), 14 * 86_400);
        assert_eq!(parse_duration("45").unwrap(), 45);
        assert!(parse_duration("5w").is_err());
        assert!(parse_duration("0m").is_err());
        assert!(parse_duration("m").is_err());
    }
}
