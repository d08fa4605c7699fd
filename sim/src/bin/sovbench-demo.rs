//! `sovbench-demo`: runs a whole federation on loopback and prints the benchmark.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use sovbench_core::i18n::Lang;
use sovbench_node::{compare, peers};
use sovbench_secure::round::Grid;
use sovbench_sim::federation::{start, FederationConfig, SecureConfig};

/// Runs a local demo federation: one aggregator, a committee of trustees and N simulated
/// administrations, each a real node (and trustee) with its own store and key, all over real
/// gRPC on 127.0.0.1. Publishes the benchmark, prints it and one administration's comparison,
/// and exits.
///
/// Mode secure (default): the trustees make the committee key by distributed key generation,
/// every node encrypts its true values to it with range proofs, the aggregator adds the
/// ciphertexts into cells, and the trustees add noise and decrypt only the noisy cell sums.
/// Mode direct: every node adds local noise to each value it releases.
#[derive(Debug, Parser)]
#[command(
    name = "sovbench-demo",
    version,
    after_help = "Exit codes: 0 success; 1 error; 2 invalid command line."
)]
struct Args {
    /// Number of simulated administrations.
    #[arg(long, default_value_t = 300)]
    nodes: usize,
    /// Seed of the simulated population (same seed, same population).
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// How the round collects values: secure (encrypted to a trustee committee, noise added once
    /// to each cell sum) or direct (local noise on each node).
    #[arg(long, value_enum, default_value_t = Mode::Secure)]
    mode: Mode,
    /// Privacy loss: mode secure, of each administration's whole submission; mode direct, of
    /// each released value.
    #[arg(long, default_value_t = 2.0)]
    epsilon: f64,
    /// Mode direct: values each node releases (metrics drawn at random on the node; 0 = all the
    /// round asks for). Mode secure always encrypts all of them.
    #[arg(long, default_value_t = 1)]
    releases_per_node: u32,
    /// Mode secure: trustees m in the committee.
    #[arg(long, default_value_t = 5)]
    trustees: usize,
    /// Mode secure: threshold t (trustees needed to decrypt).
    #[arg(long, default_value_t = 3)]
    threshold: usize,
    /// Mode secure: trustees that are down after the key generation (the round publishes with
    /// up to m − t down).
    #[arg(long, default_value_t = 0)]
    trustees_down: usize,
    /// Mode secure: publication grid, kind-size or all+kind-size.
    #[arg(long, default_value = "kind-size", value_parser = parse_grid)]
    grid: Grid,
    /// Mode secure, grid all+kind-size: share of epsilon spent on the cell `all`.
    #[arg(long, default_value_t = 0.3)]
    all_weight: f64,
    /// Mode secure: path bound b, at most b migration paths per administration (the round's
    /// path metrics are encrypted together; capped at their number; 0 = none).
    #[arg(long, default_value_t = 3)]
    path_bound: u32,
    /// Minimum cohort size k.
    #[arg(long, default_value_t = 10)]
    min_cohort: u32,
    /// Metrics the round asks for, comma separated (default: the five self-test dimensions).
    /// For example the inventory: inventory.critical_with_exit_share,inventory.non_eu_share,
    /// inventory.open_source_share,inventory.contracts_24m_no_exit,inventory.open_format_share
    #[arg(long, value_delimiter = ',')]
    metrics: Vec<String>,
    /// Nodes working at the same time.
    #[arg(long, default_value_t = 16)]
    parallel: usize,
    /// Keep the stores in this folder instead of a temporary one.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Write the signed publication as JSON.
    #[arg(long, value_name = "FILE")]
    export: Option<PathBuf>,
    /// Write the population's true cohort values as JSON.
    #[arg(long, value_name = "FILE")]
    truth: Option<PathBuf>,
    /// Which administration's comparison to print (index); with --serve, whose browser
    /// workplace to serve.
    #[arg(long, default_value_t = 0)]
    show: usize,
    /// Output language: de or en.
    #[arg(long, env = "SOVBENCH_LANG", default_value = "de")]
    lang: Lang,
    /// Share of administrations that offer their catalogue migration paths for peer matching
    /// (0 to 1).
    #[arg(long, default_value_t = 0.3, value_name = "SHARE")]
    peer_share: f64,
    /// Keep the aggregator serving after publishing, until Ctrl-C, and serve the browser
    /// workplace of one administration (see --workplace-listen).
    #[arg(long)]
    serve: bool,
    /// With --serve: also serve the benchmark portal (HTTP API and dashboard) on this address,
    /// e.g. 127.0.0.1:8080, and print its URL.
    #[arg(long, value_name = "ADDR", requires = "serve")]
    http_listen: Option<String>,
    /// With --serve: the browser workplace of the administration of --show (it took part in the
    /// published round) on this address (default 127.0.0.1:0, any free port); prints its URL,
    /// account and a generated password.
    #[arg(long, value_name = "ADDR", requires = "serve")]
    workplace_listen: Option<std::net::SocketAddr>,
    /// Compare the published 95% intervals with the population's true values and fail (exit
    /// code 1) if they miss more often than chance allows, or if fewer than this many cells are
    /// published (CI runs the demo with it).
    #[arg(long, value_name = "MIN_CELLS")]
    check_coverage: Option<usize>,
}

/// How the demo round collects values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Mode {
    /// Encrypted to a trustee committee; noise once per cell sum.
    Secure,
    /// Local noise on each node.
    Direct,
}

fn parse_grid(s: &str) -> Result<Grid, String> {
    Grid::from_key(s).ok_or_else(|| format!("unknown grid {s:?}; use kind-size or all+kind-size"))
}

fn main() -> ExitCode {
    sovbench_core::quiet_on_broken_pipe();
    let args = Args::parse();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SOVBENCH_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("sovbench-demo: error: starting the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match rt.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!(
                "sovbench-demo: error: {}",
                sovbench_core::display::error_chain(e.as_ref())
            );
            ExitCode::from(1)
        }
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    let lang = args.lang;
    if args.nodes == 0 {
        anyhow::bail!("--nodes must be at least 1");
    }
    let cfg = FederationConfig {
        nodes: args.nodes,
        seed: args.seed,
        epsilon: args.epsilon,
        releases_per_node: args.releases_per_node,
        min_cohort: args.min_cohort,
        parallel: args.parallel,
        dir: args.dir.clone(),
        metrics: args.metrics.clone(),
        peer_share: args.peer_share,
        secure: (args.mode == Mode::Secure).then(|| SecureConfig {
            trustees: args.trustees,
            threshold: args.threshold,
            grid: args.grid,
            all_weight: if args.grid == Grid::AllKindSize {
                args.all_weight
            } else {
                0.0
            },
            down: args.trustees_down,
            path_bound: args.path_bound,
        }),
    };
    if args.mode == Mode::Secure && args.trustees_down > args.trustees {
        anyhow::bail!(
            "--trustees-down {} is more than --trustees {}",
            args.trustees_down,
            args.trustees
        );
    }
    if !(0.0..=1.0).contains(&args.peer_share) {
        anyhow::bail!(
            "--peer-share must be between 0 and 1, got {}",
            args.peer_share
        );
    }
    let total = std::time::Instant::now();
    let fed = start(&cfg).await?;
    let publication = fed.publish().await;
    if let (Err(e), Some(s)) = (&publication, &cfg.secure) {
        if s.trustees - s.down < s.threshold {
            // Fewer than t trustees: nothing can be decrypted, and nothing is.
            println!(
                "{}: {} {} {}, {} {}: {}",
                lang.pick("Modus verschlüsselt", "Mode secure"),
                s.trustees - s.down,
                lang.pick("von", "of"),
                s.trustees,
                s.threshold,
                lang.pick(
                    "Treuhänder nötig; nichts veröffentlicht",
                    "trustees needed; nothing published"
                ),
                sovbench_core::display::error_chain(e.as_ref())
            );
            fed.shutdown().await?;
            anyhow::bail!(
                "{}",
                lang.pick("zu wenige Treuhänder erreichbar", "too few trustees up")
            );
        }
    }
    let publication = publication?;
    let elapsed = total.elapsed();
    print!(
        "{}",
        sovbench_aggregator::publication::render_text(&publication, lang)?
    );
    let show = args.show.min(fed.population.len() - 1);
    let node = fed.node(show)?;
    let cmp = compare::compare(&node, None).await?;
    let profile = node.profile()?;
    println!(
        "\n{} {} ({}, {}, {})",
        lang.pick("Vergleich für", "Comparison for"),
        profile.name,
        profile.kind.label(lang),
        profile.state,
        profile.size_class.key()
    );
    print!(
        "{}",
        sovbench_node::present::compare::comparison(&cmp, lang)
    );
    drop(node);
    let offering = fed.offering();
    if let Some(&i) = offering.first() {
        let node = fed.node(i)?;
        let lists = peers::matches(&node, 5).await?;
        let offers = fed.aggregator.peers().overview().offer_count;
        println!(
            "\n{} ({} {}, {} {}); {} {}:",
            lang.pick("Peer-Matching", "Peer matching"),
            offering.len(),
            lang.pick(
                "Verwaltungen bieten Pfade an",
                "administrations offer paths"
            ),
            offers,
            lang.pick("Angebote", "offers"),
            lang.pick("Treffer für", "matches for"),
            node.profile()?.name
        );
        print!("{}", sovbench_node::present::peers::matches(&lists, lang));
    }
    if let Some(path) = &args.export {
        let doc = sovbench_aggregator::publication::export_publication(&publication)?;
        sovbench_core::files::write_atomically(
            path,
            serde_json::to_string_pretty(&doc)?.as_bytes(),
        )
        .with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = &args.truth {
        sovbench_core::files::write_atomically(
            path,
            serde_json::to_string_pretty(&fed.truth())?.as_bytes(),
        )
        .with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(min_cells) = args.check_coverage {
        let doc = sovbench_aggregator::publication::export_publication(&publication)?;
        let c = sovbench_sim::coverage::coverage(&doc["benchmark"], &fed.truth());
        println!(
            "\n{}: {} / {} {} ({:.1}%)",
            lang.pick(
                "Abdeckung der 95%-Intervalle",
                "Coverage of the 95% intervals"
            ),
            c.covered,
            c.cells,
            lang.pick("Zellen", "cells"),
            100.0 * c.share()
        );
        c.check(min_cells).map_err(anyhow::Error::msg)?;
    }
    if let Some(s) = &cfg.secure {
        println!(
            "\n{}: {} {} {} {} ({} {}), {} {:.1} s; {} {}",
            lang.pick("Modus verschlüsselt", "Mode secure"),
            s.threshold,
            lang.pick("von", "of"),
            s.trustees,
            lang.pick("Treuhändern", "trustees"),
            s.down,
            lang.pick("ausgefallen", "down"),
            lang.pick(
                "Komitee-Schlüssel durch verteilte Schlüsselerzeugung in",
                "committee key by distributed key generation in"
            ),
            fed.dkg_time.as_secs_f64(),
            lang.pick("Raster", "grid"),
            s.grid.key()
        );
    }
    let secs = fed.submit_time.as_secs_f64();
    println!(
        "\n{}: {} {}, {:.1} s {} ({:.1} {}), {:.1} s {}",
        lang.pick("Demo-Verbund", "Demo federation"),
        args.nodes,
        lang.pick("Verwaltungen", "administrations"),
        secs,
        lang.pick(
            "für Anlage, Selbsttest und Einreichung",
            "for init, self-test and submission"
        ),
        args.nodes as f64 / secs.max(1e-9),
        lang.pick("Knoten/s", "nodes/s"),
        elapsed.as_secs_f64(),
        lang.pick("insgesamt", "in total")
    );
    if args.serve {
        println!(
            "{} {} ({} {})",
            lang.pick("Aggregator bedient weiter", "Aggregator keeps serving at"),
            fed.url,
            lang.pick("Schlüssel", "key"),
            sovbench_core::envelope::b64(fed.aggregator.public_key())
        );
        if let Some(addr) = &args.http_listen {
            let l = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("binding the portal to {addr}"))?;
            println!("Portal: http://{}/", l.local_addr()?);
            tokio::spawn(sovbench_aggregator::portal::serve(
                fed.aggregator.clone(),
                l,
                sovbench_aggregator::portal::PortalOptions::default(),
                async {
                    let _ = tokio::signal::ctrl_c().await;
                },
            ));
        }
        let dir = fed.node_dirs.get(show).context("no such node")?;
        let addr = args
            .workplace_listen
            .unwrap_or_else(|| std::net::SocketAddr::from(([127, 0, 0, 1], 0)));
        let (url, password) = serve_workplace(dir, fed.clock.clone(), addr).await?;
        println!(
            "Arbeitsplatz / Workplace: {url}  Konto/account: {WORKPLACE_ACCOUNT}  Passwort/password: {password}"
        );
        let _ = tokio::signal::ctrl_c().await;
    } else {
        println!(
            "{}",
            lang.pick(
                "Mit --serve bleibt der Verbund bestehen und der Arbeitsplatz einer Verwaltung ist im Browser erreichbar.",
                "With --serve the federation keeps running and an administration's workplace is open in the browser."
            )
        );
    }
    fed.shutdown().await
}

/// The account of the demo's workplace.
const WORKPLACE_ACCOUNT: &str = "demo";

/// Serves the browser workplace of the node in `dir` on `addr` until Ctrl-C, with an approver
/// account [`WORKPLACE_ACCOUNT`]; returns its URL and the account's generated password. The
/// node's store must not be held by the demo: the workplace opens it for its requests.
async fn serve_workplace(
    dir: &std::path::Path,
    clock: sovbench_core::clock::SharedClock,
    addr: std::net::SocketAddr,
) -> anyhow::Result<(String, String)> {
    let password = sovbench_node::people::generate_password()?;
    {
        let node = sovbench_node::Node::open_with_clock(dir, clock.clone())?;
        sovbench_node::people::add_account(
            &node,
            WORKPLACE_ACCOUNT,
            sovbench_node::people::Role::Approver,
            &password,
            "sovbench-demo",
        )?;
    }
    let site = std::sync::Arc::new(sovbench_node::web::Site::new(
        dir,
        clock,
        !addr.ip().is_loopback(),
    )?);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding the workplace to {addr}"))?;
    let url = format!("http://{}/", listener.local_addr()?);
    tokio::spawn(sovbench_node::web::serve(listener, site, async {
        let _ = tokio::signal::ctrl_c().await;
    }));
    Ok((url, password))
}
