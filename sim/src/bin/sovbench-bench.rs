//! `sovbench-bench`: measures the aggregator's submission throughput over real gRPC on loopback.
//! Run with `cargo run --release --bin sovbench-bench`.

use std::process::ExitCode;

use clap::Parser;

/// Measures acknowledged submissions per second: COUNT enrolled identities send pre-signed
/// submissions with CONCURRENCY clients; every acknowledgement waits for the durable (fsync'ed)
/// group commit.
#[derive(Debug, Parser)]
#[command(name = "sovbench-bench", version)]
struct Args {
    /// Submissions (one per identity).
    #[arg(long, default_value_t = 5_000)]
    count: usize,
    /// Concurrent clients (comma separated for several runs).
    #[arg(long, value_delimiter = ',', default_value = "1,16,64")]
    concurrency: Vec<usize>,
    /// JSON output.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
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
    for c in &args.concurrency {
        match rt.block_on(sovbench_sim::bench::submission_throughput(args.count, *c)) {
            Ok(t) if args.json => println!("{}", serde_json::json!(t)),
            Ok(t) => println!(
                "{:>6} submissions, {:>3} clients: {:>7.2} s, {:>8.0} submissions/s, p50 {:.2} ms, p99 {:.2} ms",
                t.submissions, t.concurrency, t.seconds, t.per_second, t.p50_ms, t.p99_ms
            ),
            Err(e) => {
                eprintln!("sovbench-bench: error: {e:#}");
                return ExitCode::from(1);
            }
        }
    }
    ExitCode::SUCCESS
}
