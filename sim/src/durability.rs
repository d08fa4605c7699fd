//! Durability benchmarks: the store's size against the raw signed bytes it keeps ([`disk`]), and
//! the kill loop ([`kill_loop`]): an aggregator child process killed with SIGKILL at random
//! moments while real nodes submit, restarted on the same port, with every promise checked
//! after each round (nothing lost, nothing counted twice, every ledger exact).
//!
//! The child process is whatever the caller spawns (the bench binary runs itself with a hidden
//! subcommand, the integration test runs its own helper test); its body is [`serve_child`].

use std::io::BufRead as _;
use std::path::Path;
use std::process::{Child, ChildStdout};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use rand::{Rng as _, SeedableRng as _};
use sovbench_aggregator::service::{serve, ServeOptions};
use sovbench_aggregator::{Aggregator, RoundSpec};
use sovbench_core::cohort::{CohortAttributes, Kind, SizeClass};
use sovbench_core::envelope::{b64, Identity};
use sovbench_core::pb;
use sovbench_core::selftest::Assessment;
use sovbench_node::config::PrivacyPolicy;
use sovbench_node::model::DeliveryState;
use sovbench_node::{compare, round, selftest, InitOptions, Node};

/// Store size against raw signed bytes.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DiskUsage {
    /// Nodes (one submission each per round).
    pub nodes: usize,
    /// Rounds run.
    pub rounds: usize,
    /// Data directory after enrolling the nodes, before any submission.
    pub enrolled: u64,
    /// Raw signed bytes (encoded `SignedMessage`s) after the first round.
    pub raw_first: u64,
    /// Data directory (store folder, acknowledgement record, key) as allocated on disk after the
    /// first round.
    pub stored_first: u64,
    /// `stored_first / raw_first`.
    pub ratio_first: f64,
    /// Raw signed bytes after all rounds.
    pub raw_all: u64,
    /// The same after all rounds.
    pub stored_all: u64,
    /// `stored_all / raw_all`.
    pub ratio_all: f64,
    /// Of `stored_first`, the submissions' record files (`store/submissions/`).
    pub records_first: u64,
    /// Of `stored_all`, the submissions' record files.
    pub records_all: u64,
    /// One record as older versions stored it (JSON with the receipt), bytes, for comparison.
    pub old_record_bytes: usize,
    /// One record as stored now (compact, framed in its round's record file), bytes.
    pub new_record_bytes: usize,
}

fn attrs() -> CohortAttributes {
    CohortAttributes {
        kind: Kind::Gemeinde,
        state: "DE-NW".into(),
        size: SizeClass::Pop5kTo20k,
    }
}

/// `nodes` enrolled identities each submit once per round, for `rounds` rounds (each closed and
/// published); the store is measured after the first and after the last round.
pub async fn disk(nodes: usize, rounds: usize) -> anyhow::Result<DiskUsage> {
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().join("agg");
    let agg = Arc::new(Aggregator::init(&dir, "Bench")?);
    let ids: Vec<Identity> = (0..nodes)
        .map(|_| Identity::generate().map(|(i, _)| i))
        .collect::<Result<_, _>>()?;
    agg.enrol_many(
        ids.iter()
            .map(|i| (i.public_key().to_vec(), "bench".into(), attrs(), 10_000))
            .collect(),
    )?;
    let enrolled = stored_bytes(&dir);
    let mut raw = 0u64;
    let mut first = (0, 0, 0);
    let mut sample = None;
    for r in 0..rounds {
        let id = format!("disk-{r}");
        agg.open_round(RoundSpec {
            round_id: id.clone(),
            metrics: Vec::new(),
            epsilon_per_release: 1.0,
            releases_per_node: 1,
            min_cohort: 10,
            closes_at: sovbench_core::now_unix() + 3_600,
            secure: None,
        })?;
        let round = agg.signed_round(Some(&id))?;
        let params = agg.round_params(&id)?;
        let mut tasks = Vec::with_capacity(nodes);
        let in_flight = Arc::new(tokio::sync::Semaphore::new(1_024));
        for (n, who) in ids.iter().enumerate() {
            let msg = crate::bench::bench_submission(
                who,
                &round,
                &params,
                n,
                sovbench_core::envelope::random_bytes(16)?,
            );
            raw += prost::Message::encoded_len(&msg) as u64;
            let agg = agg.clone();
            // At most 1,024 in flight: the commit queue stays below its limit.
            let permit = in_flight.clone().acquire_owned().await?;
            tasks.push(tokio::spawn(async move {
                let receipt = agg.submit(msg.clone()).await;
                drop(permit);
                (msg, receipt)
            }));
        }
        for t in tasks {
            let (msg, receipt) = t.await?;
            let receipt = receipt?;
            if sample.is_none() {
                sample = Some((msg, receipt));
            }
        }
        agg.close_round(&id).await?;
        agg.publish(&id)?;
        if r == 0 {
            first = (raw, stored_bytes(&dir), records_bytes(&dir));
        }
    }
    let stored_all = stored_bytes(&dir);
    let (old_record_bytes, new_record_bytes) = match &sample {
        Some((msg, receipt)) => record_sizes(msg, receipt),
        None => (0, 0),
    };
    Ok(DiskUsage {
        nodes,
        rounds,
        enrolled,
        raw_first: first.0,
        stored_first: first.1,
        ratio_first: first.1 as f64 / first.0.max(1) as f64,
        raw_all: raw,
        stored_all,
        ratio_all: stored_all as f64 / raw.max(1) as f64,
        records_first: first.2,
        records_all: records_bytes(&dir),
        old_record_bytes,
        new_record_bytes,
    })
}

/// The data directory (store folder, acknowledgement record, key) as allocated on disk.
fn stored_bytes(dir: &Path) -> u64 {
    sovbench_aggregator::store::dir_bytes(dir)
}

/// The submissions' record files in the data directory, as allocated on disk.
fn records_bytes(dir: &Path) -> u64 {
    use sovbench_aggregator::{aggregator::STORE_DIR, store::logs};
    stored_bytes(&dir.join(STORE_DIR).join(logs::DIR))
}

/// Sizes of one record in the old JSON format and as appended to a record file now.
fn record_sizes(msg: &pb::SignedMessage, receipt: &pb::SignedMessage) -> (usize, usize) {
    use prost::Message as _;
    let record = sovbench_aggregator::model::StoredSubmission {
        receipt: receipt.encode_to_vec(),
        ..sovbench_aggregator::model::StoredSubmission::new(
            msg.encode_to_vec(),
            sovbench_core::sha256(&msg.payload).to_vec(),
            attrs(),
            sovbench_core::now_unix(),
        )
    };
    let old = serde_json::to_vec(&record).map(|v| v.len()).unwrap_or(0);
    let key = sovbench_aggregator::store::submission_key("disk-0", &msg.signer);
    let new = sovbench_aggregator::store::encoded_len(
        &key,
        &sovbench_aggregator::model::StoredSubmission {
            receipt: Vec::new(),
            acknowledged: 20_000,
            acknowledged_digest: vec![0xa5; 32],
            seq: 40,
            ..record
        },
    );
    (old, new)
}

/// Environment variable naming a commit delay in milliseconds for [`serve_child`].
pub const COMMIT_DELAY_ENV: &str = "SOVBENCH_COMMIT_DELAY_MS";

/// The body of a child aggregator process: opens the aggregator in `dir` (refusing a damaged
/// store), makes every commit `commit_delay` slower (test hook), binds `addr` (retrying while the
/// port is still taken), prints `LISTENING <addr>` and serves until killed.
pub async fn serve_child(dir: &Path, addr: &str, commit_delay: Duration) -> anyhow::Result<()> {
    let agg =
        Arc::new(Aggregator::open(dir).with_context(|| format!("opening {}", dir.display()))?);
    if !commit_delay.is_zero() {
        agg.set_commit_hook(Some(Arc::new(move || {
            std::thread::sleep(commit_delay);
            Ok(())
        })));
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    let listener = loop {
        match tokio::net::TcpListener::bind(addr).await {
            Ok(l) => break l,
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await
            }
            Err(e) => return Err(e).with_context(|| format!("binding {addr}")),
        }
    };
    println!("LISTENING {}", listener.local_addr()?);
    serve(
        agg,
        listener,
        ServeOptions {
            auto_close_every: None,
            ..ServeOptions::default()
        },
        std::future::pending(),
    )
    .await?;
    Ok(())
}

/// A running child aggregator.
pub struct ChildAggregator {
    child: Child,
    _stdout: std::io::Lines<std::io::BufReader<ChildStdout>>,
    /// The address it listens on.
    pub addr: String,
}

impl ChildAggregator {
    /// Waits until `child` (spawned with piped stdout) prints `LISTENING <addr>`.
    pub fn wait(mut child: Child) -> anyhow::Result<ChildAggregator> {
        let stdout = child.stdout.take().context("child stdout not piped")?;
        let mut lines = std::io::BufReader::new(stdout).lines();
        let addr = loop {
            let Some(line) = lines.next() else {
                let status = child.wait()?;
                anyhow::bail!("the aggregator child ended before listening ({status})");
            };
            let line = line?;
            // libtest may print "test ... " on the same line before the child's own output.
            if let Some(pos) = line.find("LISTENING ") {
                break line[pos + "LISTENING ".len()..].trim().to_string();
            }
        };
        Ok(ChildAggregator {
            child,
            _stdout: lines,
            addr,
        })
    }

    /// SIGKILL: no shutdown, no flush.
    pub fn kill(mut self) -> anyhow::Result<()> {
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }
}

/// Starts a child aggregator on the data directory and address given (spawned with piped
/// stdout).
pub type Spawn = dyn Fn(&Path, &str) -> anyhow::Result<Child> + Send + Sync;

/// What a kill loop did and found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct KillLoop {
    /// SIGKILLs at random moments (besides the one ending each round).
    pub kills: usize,
    /// Of those, kills while some node had not yet been acknowledged.
    pub kills_in_flight: usize,
    /// Rounds.
    pub rounds: usize,
    /// Nodes.
    pub nodes: usize,
    /// Submissions acknowledged (nodes × rounds when nothing was refused).
    pub acknowledged: usize,
    /// Acknowledged submissions missing from the store or the publication.
    pub lost: usize,
    /// Submissions counted more than once in a publication.
    pub counted_twice: usize,
    /// Ledger entries that are not exactly one delivered entry per round with a matching receipt.
    pub ledger_errors: usize,
    /// Median time from spawning a child to it listening, milliseconds.
    pub restart_p50_ms: f64,
    /// Wall time, seconds.
    pub seconds: f64,
}

/// Runs `kills` SIGKILLs of a child aggregator at random moments (seeded) while `nodes` real
/// nodes submit, at most `per_round` kills per round, each 1-30 ms after the previous start (a
/// round's submissions take about that long; `spawn` may slow commits down so that more kills
/// land while commits are under way). After each round the aggregator is opened in
/// this process (refusing a damaged store), the round closed and published, and every node's
/// ledger, receipt and inclusion checked.
pub async fn kill_loop(
    kills: usize,
    nodes: usize,
    per_round: usize,
    seed: u64,
    spawn: &Spawn,
) -> anyhow::Result<KillLoop> {
    let started = Instant::now();
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().join("agg");
    let agg = Aggregator::init(&dir, "Kill-Loop")?;
    // A free port, kept for every restart.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let url = format!("http://{addr}");
    let mut members = Vec::new();
    for i in 0..nodes {
        let node = Node::init(
            &tmp.path().join(format!("node-{i}")),
            InitOptions {
                name: format!("Verwaltung {i}"),
                kind: "gemeinde".into(),
                state: "DE-BW".into(),
                size: 3_000 + i as u64,
                aggregator_url: Some(url.clone()),
                aggregator_key: Some(b64(agg.public_key())),
                committee_fingerprint: None,
                policy: Some(PrivacyPolicy {
                    max_epsilon_per_round: 1.0,
                    max_epsilon_per_year: 1.0e6,
                    min_cohort: 2,
                    max_epsilon_lifetime: None,
                    ..PrivacyPolicy::default()
                }),
            },
        )?;
        selftest::record(&node, Assessment::from_scores([3, 2, 4, 3, 1])?)?;
        let p = node.profile()?;
        agg.enrol(node.public_key(), &p.name, p.cohort(), p.size)?;
        members.push(Arc::new(node));
    }
    drop(agg);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let per_round = per_round.max(1);
    let rounds = kills.div_ceil(per_round).max(1);
    let mut report = KillLoop {
        kills: 0,
        kills_in_flight: 0,
        rounds,
        nodes,
        acknowledged: 0,
        lost: 0,
        counted_twice: 0,
        ledger_errors: 0,
        restart_p50_ms: 0.0,
        seconds: 0.0,
    };
    let mut restarts = Vec::new();
    let start_child = |restarts: &mut Vec<f64>| -> anyhow::Result<ChildAggregator> {
        let t = Instant::now();
        let c = ChildAggregator::wait(spawn(&dir, &addr.to_string())?)?;
        restarts.push(t.elapsed().as_secs_f64() * 1e3);
        Ok(c)
    };
    for r in 0..rounds {
        let round_id = format!("kl-{r}");
        {
            let agg = Aggregator::open(&dir)?;
            agg.open_round(RoundSpec {
                round_id: round_id.clone(),
                metrics: Vec::new(),
                epsilon_per_release: 1.0,
                releases_per_node: 1,
                min_cohort: 2,
                closes_at: sovbench_core::now_unix() + 3_600,
                secure: None,
            })?;
        }
        let mut child = start_child(&mut restarts)?;
        let mut tasks = Vec::new();
        for node in &members {
            let node = node.clone();
            let id = round_id.clone();
            tasks.push(tokio::spawn(async move {
                let deadline = Instant::now() + Duration::from_secs(120);
                while Instant::now() < deadline {
                    // Errors are expected while the aggregator is down; the outbox keeps the
                    // same signed bytes for the next attempt.
                    let _ = round::submit(&node).await;
                    if let Ok(Some(e)) = node.store().ledger_entry(&id) {
                        if e.state != DeliveryState::Pending {
                            return Ok(());
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                anyhow::bail!("node {} not delivered in time", node.dir().display())
            }));
        }
        for _ in 0..per_round.min(kills - report.kills) {
            tokio::time::sleep(Duration::from_millis(rng.gen_range(1..30))).await;
            if tasks.iter().any(|t| !t.is_finished()) {
                report.kills_in_flight += 1;
            }
            tokio::task::block_in_place(|| child.kill())?;
            report.kills += 1;
            child = tokio::task::block_in_place(|| start_child(&mut restarts))?;
        }
        for t in tasks {
            t.await??;
        }
        child.kill()?;
        check_round(&dir, &round_id, &members, r + 1, &mut report).await?;
    }
    restarts.sort_by(f64::total_cmp);
    report.restart_p50_ms = restarts.get(restarts.len() / 2).copied().unwrap_or(0.0);
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Opens the aggregator (refusing a damaged store), closes and publishes the round, and checks
/// every node's ledger, receipt and inclusion in the publication.
async fn check_round(
    dir: &Path,
    round_id: &str,
    members: &[Arc<Node>],
    rounds_done: usize,
    report: &mut KillLoop,
) -> anyhow::Result<()> {
    let agg = Aggregator::open(dir)?;
    agg.close_round(round_id).await?;
    let msg = agg.publish(round_id)?;
    let publication = match sovbench_core::envelope::open(&msg)?.body {
        pb::payload::Body::Publication(p) => p,
        _ => anyhow::bail!("not a publication"),
    };
    let listed = &publication.submission_signatures_sha256;
    let mut distinct = listed.clone();
    distinct.dedup();
    report.counted_twice += listed.len() - distinct.len();
    for node in members {
        let ledger = node.store().ledger()?;
        let entry = node.store().ledger_entry(round_id)?;
        let receipt = node.store().receipt(round_id)?;
        let exact = ledger.len() == rounds_done
            && matches!(&entry, Some(e) if e.state == DeliveryState::Delivered);
        match (entry, receipt) {
            (Some(e), Some(receipt)) => {
                report.acknowledged += 1;
                let r = match sovbench_core::envelope::open_from(&receipt, agg.public_key())?.body {
                    pb::payload::Body::Receipt(r) => r,
                    _ => anyhow::bail!("not a receipt"),
                };
                if !exact || hex_of(&r.submission_hash) != e.payload_sha256 {
                    report.ledger_errors += 1;
                }
                if compare::check_included(node, &publication).is_err()
                    || !agg.submission_stored(round_id, node.public_key())?
                {
                    report.lost += 1;
                }
            }
            _ => report.ledger_errors += 1,
        }
    }
    Ok(())
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
