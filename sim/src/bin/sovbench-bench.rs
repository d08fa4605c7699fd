//! `sovbench-bench`: measurements. Run with `cargo run --release --bin sovbench-bench -- COMMAND`.
//!
//! - `submissions`: the aggregator's acknowledged submissions per second over real gRPC.
//! - `utility`: the 95% half-width of a dimension mean against cohort size and yearly epsilon.
//! - `inventory`: import of a 10,000-system inventory and the switch-readiness check.
//! - `matching`: peer matching lists for 10,000 offering administrations.
//! - `enrolment`: keys enrolled one request each through the admin API of a served aggregator,
//!   with concurrent callers; first and last tenth compared (the cost must not grow with the count).
//! - `disk`: the store's size against the raw signed bytes after 20,000 submissions and ten rounds.
//! - `secure`: encrypted aggregation (not yet wired into rounds): node encryption, aggregator
//!   ingest with proof verification, a trustee's check and shares, the publication.
//! - `portal`: the benchmark portal over 20 published rounds: trends of the full grid and every
//!   dashboard page, in process and over HTTP.
//! - `hosted`: a hosted node with 1,000 administrations: memory at rest, page latency with 50
//!   people at once, and the preparation and delivery of every submission of a secure round.
//! - `kill-loop`: SIGKILL of a child aggregator at random moments while nodes submit; counts
//!   what was lost or counted twice (0 and 0 expected).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Measurements of sovbench: submission throughput and the privacy/utility table.
#[derive(Debug, Parser)]
#[command(
    name = "sovbench-bench",
    version,
    after_help = "Exit codes: 0 success; 1 error; 2 invalid command line."
)]
struct Args {
    /// JSON output.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// COUNT enrolled identities send pre-signed submissions with CONCURRENCY clients; every
    /// acknowledgement waits for the durable (fsync'ed) group commit.
    Submissions {
        /// Submissions (one per identity).
        #[arg(long, default_value_t = 5_000)]
        count: usize,
        /// Concurrent clients (comma separated for several runs).
        #[arg(long, value_delimiter = ',', default_value = "1,16,64")]
        concurrency: Vec<usize>,
    },
    /// COUNT keys enrolled one signed admin request each (as `sovbench-aggregator enrol` does
    /// while `serve` runs) through the admin API of an aggregator served on loopback, by CALLERS
    /// concurrent callers; the median latency of the first and the last tenth compared.
    Enrolment {
        /// Keys to enrol.
        #[arg(long, default_value_t = 11_000)]
        count: usize,
        /// Concurrent callers (comma separated for several runs).
        #[arg(long, value_delimiter = ',', default_value = "8")]
        callers: Vec<usize>,
    },
    /// Import an inventory of SYSTEMS systems from CSV into a fresh node and run the
    /// switch-readiness check.
    Inventory {
        /// Number of systems.
        #[arg(long, default_value_t = 10_000)]
        systems: usize,
    },
    /// Peer matching: the match list of every offer of ADMINISTRATIONS offering administrations
    /// (population and migration paths as in the demo).
    Matching {
        /// Offering administrations.
        #[arg(long, default_value_t = 10_000)]
        administrations: usize,
        /// Matches per list.
        #[arg(long, default_value_t = 10)]
        limit: usize,
        /// Threads.
        #[arg(long, default_value_t = 2)]
        threads: usize,
        /// Seed of the population.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Also measure the whole path over gRPC: every administration a real enrolled
        /// identity, offers acknowledged after a durable commit, signed queries and answers, with
        /// this many concurrent clients.
        #[arg(long, value_name = "CLIENTS")]
        service: Option<usize>,
    },
    /// The utility table: 95% half-width of a dimension mean against cohort size (10 to 1,000)
    /// and yearly epsilon (0.5 to 4), simulated / theoretical (and, in brackets, the alternative
    /// of splitting epsilon over all five dimensions).
    Utility {
        /// Simulated rounds per cell.
        #[arg(long, default_value_t = 400)]
        rounds: usize,
        /// Seed of the population and the noise.
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// NODES enrolled identities submit once per round for ROUNDS rounds (each closed and
    /// published); the data directory's size (sled, the submissions' record files, acks.log)
    /// against the raw signed bytes after the
    /// first and the last round.
    Disk {
        /// Submissions per round.
        #[arg(long, default_value_t = 20_000)]
        nodes: usize,
        /// Rounds.
        #[arg(long, default_value_t = 10)]
        rounds: usize,
    },
    /// KILLS SIGKILLs of a child aggregator process at random moments while NODES real nodes
    /// submit (at most PER_ROUND per round), each restart on the same port; after every round
    /// the store is opened and checked: every acknowledged submission stored and published once,
    /// every ledger exact.
    KillLoop {
        /// Kills at random moments.
        #[arg(long, default_value_t = 50)]
        kills: usize,
        /// Nodes.
        #[arg(long, default_value_t = 8)]
        nodes: usize,
        /// Kills per round.
        #[arg(long, default_value_t = 5)]
        per_round: usize,
        /// Extra milliseconds per commit (so that kills land during commits).
        #[arg(long, default_value_t = 10)]
        commit_delay_ms: u64,
        /// Seed of the kill moments.
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Encrypted aggregation of the five self-test dimensions for ADMINISTRATIONS administrations
    /// and a committee of TRUSTEES with threshold THRESHOLD: node CPU per submission, aggregator
    /// ingest with proof verification, one trustee's bulletin check and shares, the publication.
    /// A whole secure round through the real programs: aggregator (store, commit worker, gRPC on
    /// loopback), TRUSTEES real trustees (DKG, bulletin check, noise, decryption over gRPC) and
    /// ADMINISTRATIONS encrypted, signed submissions.
    SecureRound {
        /// Administrations.
        #[arg(long, default_value_t = 11_000)]
        administrations: usize,
        /// Trustees m.
        #[arg(long, default_value_t = 5)]
        trustees: usize,
        /// Threshold t.
        #[arg(long, default_value_t = 3)]
        threshold: usize,
        /// Submissions in flight.
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
    },
    Secure {
        /// Administrations.
        #[arg(long, default_value_t = 11_000)]
        administrations: usize,
        /// Trustees m.
        #[arg(long, default_value_t = 5)]
        trustees: usize,
        /// Threshold t.
        #[arg(long, default_value_t = 3)]
        threshold: usize,
        /// Threads.
        #[arg(long, default_value_t = 2)]
        threads: usize,
    },
    /// The benchmark portal: ROUNDS published rounds of NODES administrations, then the trend of
    /// every cell of the grid across all rounds and every dashboard page type, in process and
    /// over HTTP.
    Portal {
        /// Administrations submitting each round.
        #[arg(long, default_value_t = 2_000)]
        nodes: usize,
        /// Published rounds.
        #[arg(long, default_value_t = 20)]
        rounds: usize,
    },
    /// A hosted node (one process for TENANTS administrations, served as `sovbench-node serve`
    /// does on a hosting directory, in a child process): its memory at rest after every
    /// administration was used once, the page latency with USERS people logged in to different
    /// administrations at the same time, and a secure round: every administration's submission
    /// prepared (encrypted and proved) and delivered until the receipt.
    Hosted {
        /// Administrations.
        #[arg(long, default_value_t = 1_000)]
        tenants: usize,
        /// People loading pages at the same time, each in another administration.
        #[arg(long, default_value_t = 50)]
        users: usize,
        /// Page loads per person (/, /selftest, /inventory, /privacy, /rounds in turn).
        #[arg(long, default_value_t = 40)]
        requests: usize,
        /// Skip the secure round (no trustees, no round; the pages without an open round).
        #[arg(long)]
        no_secure_round: bool,
        /// Administrations prepared or delivered at the same time.
        #[arg(long, default_value_t = 2)]
        concurrency: usize,
        /// The hosted daemon's interval, seconds (its first pass starts with the node).
        #[arg(long, default_value_t = 300)]
        interval: u64,
        /// Keep the aggregator, trustees and hosting directory here (a temporary folder
        /// otherwise).
        #[arg(long)]
        dir: Option<std::path::PathBuf>,
    },
    /// The child process of `hosted` (not for direct use).
    #[command(hide = true)]
    HostedChild {
        #[arg(long)]
        dir: std::path::PathBuf,
        #[arg(long)]
        interval: u64,
    },
    /// The child process of `kill-loop` (not for direct use).
    #[command(hide = true)]
    ChildAggregator {
        #[arg(long)]
        dir: std::path::PathBuf,
        #[arg(long)]
        addr: String,
        #[arg(long, default_value_t = 0)]
        commit_delay_ms: u64,
    },
}

fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("sovbench-bench: error: {e}");
            ExitCode::from(1)
        })
}

/// The node binary's allocator (its `hosted-child` stands for a hosted `sovbench-node`).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    sovbench_node::return_freed_memory();
    sovbench_core::quiet_on_broken_pipe();
    let args = Args::parse();
    match args.command {
        Command::Submissions { count, concurrency } => {
            let rt = match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("sovbench-bench: error: {e}");
                    return ExitCode::from(1);
                }
            };
            for c in concurrency {
                match rt.block_on(sovbench_sim::bench::submission_throughput(count, c)) {
                    Ok(t) if args.json => println!("{}", serde_json::json!(t)),
                    Ok(t) => println!(
                        "{:>6} submissions, {:>3} clients: {:>7.2} s, {:>8.0} submissions/s, p50 {:.2} ms, p99 {:.2} ms",
                        t.submissions, t.concurrency, t.seconds, t.per_second, t.p50_ms, t.p99_ms
                    ),
                    Err(e) => {
                        eprintln!("sovbench-bench: error: {}", sovbench_core::display::error_chain(e.as_ref()));
                        return ExitCode::from(1);
                    }
                }
            }
        }
        Command::Enrolment { count, callers } => {
            let rt = match runtime() {
                Ok(rt) => rt,
                Err(code) => return code,
            };
            for c in callers {
                match rt.block_on(sovbench_sim::enrolment_bench::run(count, c)) {
                    Ok(t) if args.json => println!("{}", serde_json::json!(t)),
                    Ok(t) => println!(
                        "{} enrolments through the admin API, {} callers: {:.1} s ({:.0}/s), p50 {:.2} ms, p99 {:.2} ms; median of the first tenth {:.2} ms, of the last tenth {:.2} ms; {} whole-table reads",
                        t.enrolments, t.concurrency, t.seconds, t.per_second, t.p50_ms, t.p99_ms, t.first_tenth_p50_ms, t.last_tenth_p50_ms, t.table_reads
                    ),
                    Err(e) => {
                        eprintln!("sovbench-bench: error: {}", sovbench_core::display::error_chain(e.as_ref()));
                        return ExitCode::from(1);
                    }
                }
            }
        }
        Command::SecureRound {
            administrations,
            trustees,
            threshold,
            concurrency,
        } => {
            let rt = match runtime() {
                Ok(rt) => rt,
                Err(code) => return code,
            };
            match rt.block_on(sovbench_sim::secure_round::run(
                administrations,
                trustees,
                threshold,
                concurrency,
            )) {
                Ok(t) if args.json => println!("{}", serde_json::json!(t)),
                Ok(t) => println!(
                    "{} administrations, {} of {} trustees: DKG {:.1} s; node {:.1} ms per submission ({} bytes); aggregator {:.0} submissions/s verified and durably acknowledged; trustee check + noise {:.1} s, decryption shares {:.1} s; publication {:.2} s; {} cells published",
                    t.administrations, t.committee.1, t.committee.0, t.dkg_s, t.node_ms, t.submission_bytes, t.ingest_per_s, t.trustee_noise_s, t.trustee_decrypt_s, t.publication_s, t.cells
                ),
                Err(e) => {
                    eprintln!("sovbench-bench: error: {}", sovbench_core::display::error_chain(e.as_ref()));
                    return ExitCode::from(1);
                }
            }
        }
        Command::Secure {
            administrations,
            trustees,
            threshold,
            threads,
        } => match sovbench_sim::secure::run(administrations, trustees, threshold, threads) {
            Ok(t) if args.json => println!("{}", serde_json::json!(t)),
            Ok(t) => println!(
                "{} administrations, {} cells, {} threads: node {:.1} ms per submission ({} bytes), aggregator {:.0} submissions/s verified, trustee {:.1} s, publication {:.2} s",
                t.administrations, t.cells, t.threads, t.node_ms, t.submission_bytes, t.ingest_per_s, t.trustee_s, t.publication_s
            ),
            Err(e) => {
                eprintln!("sovbench-bench: error: {}", sovbench_core::display::error_chain(e.as_ref()));
                return ExitCode::from(1);
            }
        },
        Command::Inventory { systems } => match sovbench_sim::bench::inventory_import(systems) {
            Ok(t) if args.json => println!("{}", serde_json::json!(t)),
            Ok(t) => println!(
                "{} systems: parse {:.3} s, store {:.3} s, readiness {:.3} s, total {:.3} s",
                t.systems, t.parse_seconds, t.store_seconds, t.readiness_seconds, t.total_seconds
            ),
            Err(e) => {
                eprintln!("sovbench-bench: error: {}", sovbench_core::display::error_chain(e.as_ref()));
                return ExitCode::from(1);
            }
        },
        Command::Matching {
            administrations,
            limit,
            threads,
            seed,
            service,
        } => {
            match sovbench_sim::bench::matching(administrations, limit, threads, seed) {
                Ok(t) if args.json => println!("{}", serde_json::json!(t)),
                Ok(t) => println!(
                    "{} administrations, {} offers (up to {} candidates per list): {} lists of {} with {} threads in {:.3} s ({:.1} µs per list)",
                    t.administrations, t.offers, t.max_candidates, t.lists, t.limit, t.threads, t.seconds, t.per_list_us
                ),
                Err(e) => {
                    eprintln!("sovbench-bench: error: {}", sovbench_core::display::error_chain(e.as_ref()));
                    return ExitCode::from(1);
                }
            }
            if let Some(clients) = service {
                let res = tokio::runtime::Builder::new_multi_thread()
                    .enable_all()
                    .build()
                    .map_err(anyhow::Error::from)
                    .and_then(|rt| {
                        rt.block_on(sovbench_sim::bench::matching_service(
                            administrations,
                            clients,
                            seed,
                        ))
                    });
                match res {
                    Ok(t) if args.json => println!("{}", serde_json::json!(t)),
                    Ok(t) => println!(
                        "over gRPC with {} clients: {} offers in {:.2} s ({:.0}/s, each durably committed); {} signed match lists in {:.2} s ({:.0}/s), p50 {:.2} ms, p99 {:.2} ms",
                        t.concurrency, t.offers, t.offer_seconds, t.offers as f64 / t.offer_seconds,
                        t.offers, t.match_seconds, t.offers as f64 / t.match_seconds, t.match_p50_ms, t.match_p99_ms
                    ),
                    Err(e) => {
                        eprintln!("sovbench-bench: error: {}", sovbench_core::display::error_chain(e.as_ref()));
                        return ExitCode::from(1);
                    }
                }
            }
        }
        Command::Utility { rounds, seed } => {
            let table = sovbench_sim::utility::utility_table(rounds.max(10), seed);
            if args.json {
                println!("{}", serde_json::json!(table));
            } else {
                println!("95% half-width of the mean of one dimension (1-5 scale), one dimension per administration:");
                println!(
                    "simulated / theory (theory when splitting epsilon over all five dimensions)\n"
                );
                print!("{}", sovbench_sim::utility::render(&table));
            }
            match sovbench_sim::utility::secure_table(rounds.max(10), seed) {
                Ok(secure) if args.json => println!("{}", serde_json::json!(secure)),
                Ok(secure) => {
                    println!(
                        "\nMode secure (grid kind-size, one kind x size cell of n, all five dimensions in one submission, 3 of 5 trustees):"
                    );
                    println!("local DP (simulated, as above) / secure (exact) / trusted curator (exact) (secure / curator)\n");
                    print!("{}", sovbench_sim::utility::render_secure(&secure, &table));
                }
                Err(e) => {
                    eprintln!("sovbench-bench: error: {e}");
                    return ExitCode::from(1);
                }
            }
        }
        Command::Portal { nodes, rounds } => {
            let rt = match runtime() {
                Ok(rt) => rt,
                Err(code) => return code,
            };
            match rt.block_on(sovbench_sim::portal_bench::run(nodes.max(1), rounds.max(1))) {
                Ok(t) if args.json => println!("{}", serde_json::json!(t)),
                Ok(t) => {
                    println!(
                        "{} rounds of {} administrations ({} cells each) filled in {:.1} s",
                        t.rounds, t.nodes, t.cells_per_round, t.fill_seconds
                    );
                    for l in &t.latencies {
                        println!(
                            "{}: {} requests, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
                            l.what, l.count, l.p50_ms, l.p99_ms, l.max_ms
                        );
                    }
                }
                Err(e) => {
                    eprintln!(
                        "sovbench-bench: error: {}",
                        sovbench_core::display::error_chain(e.as_ref())
                    );
                    return ExitCode::from(1);
                }
            }
        }
        Command::Disk { nodes, rounds } => {
            let rt = match runtime() {
                Ok(rt) => rt,
                Err(code) => return code,
            };
            match rt.block_on(sovbench_sim::durability::disk(nodes, rounds.max(1))) {
                Ok(d) if args.json => println!("{}", serde_json::json!(d)),
                Ok(d) => println!(
                    "enrolled: {:.1} MB; {} submissions: store {:.1} MB for {:.1} MB raw signed bytes ({:.2}x); after {} rounds: {:.1} MB for {:.1} MB ({:.2}x); one record {} bytes (old JSON format {} bytes)",
                    d.enrolled as f64 / 1e6,
                    d.nodes,
                    d.stored_first as f64 / 1e6,
                    d.raw_first as f64 / 1e6,
                    d.ratio_first,
                    d.rounds,
                    d.stored_all as f64 / 1e6,
                    d.raw_all as f64 / 1e6,
                    d.ratio_all,
                    d.new_record_bytes,
                    d.old_record_bytes
                ),
                Err(e) => {
                    eprintln!("sovbench-bench: error: {}", sovbench_core::display::error_chain(e.as_ref()));
                    return ExitCode::from(1);
                }
            }
        }
        Command::KillLoop {
            kills,
            nodes,
            per_round,
            commit_delay_ms,
            seed,
        } => {
            let rt = match runtime() {
                Ok(rt) => rt,
                Err(code) => return code,
            };
            let spawn =
                move |dir: &std::path::Path, addr: &str| -> anyhow::Result<std::process::Child> {
                    Ok(std::process::Command::new(std::env::current_exe()?)
                        .arg("child-aggregator")
                        .arg("--dir")
                        .arg(dir)
                        .args(["--addr", addr])
                        .args(["--commit-delay-ms", &commit_delay_ms.to_string()])
                        .stdout(std::process::Stdio::piped())
                        .stderr(std::process::Stdio::inherit())
                        .spawn()?)
                };
            match rt.block_on(sovbench_sim::durability::kill_loop(
                kills, nodes, per_round, seed, &spawn,
            )) {
                Ok(k) if args.json => println!("{}", serde_json::json!(k)),
                Ok(k) => println!(
                    "{} kills ({} with submissions in flight) over {} rounds, {} nodes: {} acknowledged, {} lost, {} counted twice, {} ledger errors; restart p50 {:.0} ms; {:.1} s",
                    k.kills, k.kills_in_flight, k.rounds, k.nodes, k.acknowledged, k.lost, k.counted_twice, k.ledger_errors, k.restart_p50_ms, k.seconds
                ),
                Err(e) => {
                    eprintln!("sovbench-bench: error: {}", sovbench_core::display::error_chain(e.as_ref()));
                    return ExitCode::from(1);
                }
            }
        }
        Command::Hosted {
            tenants,
            users,
            requests,
            no_secure_round,
            concurrency,
            interval,
            dir,
        } => {
            let rt = match runtime() {
                Ok(rt) => rt,
                Err(code) => return code,
            };
            let opts = sovbench_sim::hosted_bench::HostedOptions {
                tenants,
                users,
                requests,
                secure_round: !no_secure_round,
                concurrency,
                interval,
                dir,
            };
            let spawn = |dir: &std::path::Path,
                         interval: u64|
             -> anyhow::Result<std::process::Child> {
                Ok(std::process::Command::new(std::env::current_exe()?)
                    .arg("hosted-child")
                    .arg("--dir")
                    .arg(dir)
                    .args(["--interval", &interval.to_string()])
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::null())
                    .spawn()?)
            };
            match rt.block_on(sovbench_sim::hosted_bench::run(&opts, &spawn)) {
                Ok(t) if args.json => println!("{}", serde_json::json!(t)),
                Ok(t) => print_hosted(&t),
                Err(e) => {
                    eprintln!("sovbench-bench: error: {}", sovbench_core::display::error_chain(e.as_ref()));
                    return ExitCode::from(1);
                }
            }
        }
        Command::HostedChild { dir, interval } => {
            let rt = match runtime() {
                Ok(rt) => rt,
                Err(code) => return code,
            };
            if let Err(e) = rt.block_on(sovbench_sim::hosted_bench::serve_child(&dir, interval)) {
                eprintln!("sovbench-bench hosted-child: error: {e:#}");
                return ExitCode::from(1);
            }
        }
        Command::ChildAggregator {
            dir,
            addr,
            commit_delay_ms,
        } => {
            let rt = match runtime() {
                Ok(rt) => rt,
                Err(code) => return code,
            };
            if let Err(e) = rt.block_on(sovbench_sim::durability::serve_child(
                &dir,
                &addr,
                std::time::Duration::from_millis(commit_delay_ms),
            )) {
                eprintln!("sovbench-bench child-aggregator: error: {e:#}");
                return ExitCode::from(1);
            }
        }
    }
    ExitCode::SUCCESS
}

fn print_hosted(t: &sovbench_sim::hosted_bench::HostedTiming) {
    let p = |x: &sovbench_sim::hosted_bench::Percentiles| {
        format!(
            "p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({})",
            x.p50_ms, x.p95_ms, x.p99_ms, x.max_ms, x.count
        )
    };
    let m = |x: &sovbench_sim::hosted_bench::Memory| {
        format!(
            "RSS {:.0} MiB, peak {:.0} MiB, {} open files, {} threads",
            x.rss_mib, x.hwm_mib, x.open_files, x.threads
        )
    };
    println!(
        "{} administrations created in {:.1} s",
        t.tenants, t.create_s
    );
    println!("hosted node started: {}", m(&t.start));
    println!(
        "every administration touched once in {:.1} s; at rest: {}",
        t.touch_s,
        m(&t.rest)
    );
    println!("{} log-ins at once: {}", t.users, p(&t.login));
    println!(
        "{} people, {} page loads: {}; {:.0} pages/s",
        t.users,
        t.pages.count,
        p(&t.pages),
        t.pages_per_s
    );
    for (page, x) in &t.per_page {
        println!("  {page}: {}", p(x));
    }
    println!("at rest after the load: {}", m(&t.after_load));
    println!("hosting directory: {:.0} MiB on disk", t.disk_mib);
    if let Some(s) = &t.secure {
        println!(
            "secure round ({} at a time; key generation {:.1} s): {} submissions prepared (encrypted, proved, recorded) in {:.2} s, one {}; delivered in {:.2} s ({} receipts), one {}",
            s.concurrency, s.dkg_s, t.tenants, s.prepare_s, p(&s.prepare), s.deliver_s, s.delivered, p(&s.deliver)
        );
    }
}
