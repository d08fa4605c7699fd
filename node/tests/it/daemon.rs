//! The node daemon and the command line against a real aggregator (served in this test process
//! on 127.0.0.1:0; the node is the real `sovbench-node` binary): `serve` holds the store only per
//! unit of work, stops cleanly on SIGTERM, and the exit codes tell refused, queued and unreachable
//! apart.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use sovbench_aggregator::service::{serve, ServeOptions};
use sovbench_aggregator::{Aggregator, RoundSpec};
use sovbench_core::cohort::{CohortAttributes, Kind, SizeClass};
use sovbench_core::envelope::b64;
use tokio::sync::oneshot;

use crate::cli::{json, run, samples};

/// An aggregator served from this process; `stop` and `serve` again (on a new port) to take it
/// down and up.
struct Agg {
    rt: tokio::runtime::Runtime,
    agg: Arc<Aggregator>,
    url: String,
    stop: Option<(oneshot::Sender<()>, tokio::task::JoinHandle<()>)>,
    _tmp: tempfile::TempDir,
}

impl Agg {
    fn start() -> Agg {
        let tmp = tempfile::tempdir().expect("tempdir");
        let agg = Aggregator::init(&tmp.path().join("agg"), "Test-Verbund").expect("init");
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let mut a = Agg {
            rt,
            agg: Arc::new(agg),
            url: String::new(),
            stop: None,
            _tmp: tmp,
        };
        a.serve();
        a
    }

    fn serve(&mut self) {
        let listener = self
            .rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        self.url = format!("http://{}", listener.local_addr().expect("addr"));
        let (tx, rx) = oneshot::channel::<()>();
        let agg = self.agg.clone();
        let opts = ServeOptions {
            auto_close_every: None,
            ..ServeOptions::default()
        };
        let task = self.rt.spawn(async move {
            serve(agg, listener, opts, async {
                let _ = rx.await;
            })
            .await
            .expect("server");
        });
        self.stop = Some((tx, task));
    }

    fn stop(&mut self) {
        if let Some((tx, task)) = self.stop.take() {
            let _ = tx.send(());
            self.rt.block_on(task).expect("server task");
        }
    }

    fn open_round(&self, id: &str) {
        self.agg
            .open_round(RoundSpec {
                round_id: id.into(),
                metrics: Vec::new(),
                epsilon_per_release: 1.0,
                releases_per_node: 1,
                min_cohort: 10,
                closes_at: self.agg.now() + 3_600,
                secure: None,
            })
            .expect("open round");
    }

    fn enrol(&self, key: &[u8]) {
        let attributes = CohortAttributes {
            kind: Kind::Stadt,
            state: "DE-NW".into(),
            size: SizeClass::classify(Kind::Stadt, 45_000),
        };
        self.agg
            .enrol(key, "Stadt Beispiel", attributes, 45_000)
            .expect("enrol");
    }
}

impl Drop for Agg {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `init` of a node for "Stadt Beispiel" with the aggregator's address and key, and a self-test;
/// returns its raw public key.
fn node(d: &Path, agg: &Agg) -> Vec<u8> {
    let key = b64(agg.agg.public_key());
    let init = json(
        d,
        &[
            "init",
            "--name",
            "Stadt Beispiel",
            "--kind",
            "stadt",
            "--state",
            "DE-NW",
            "--population",
            "45000",
            "--aggregator",
            &agg.url,
            "--aggregator-key",
            &key,
        ],
    );
    let file = samples().join("selbsttest.toml").display().to_string();
    json(d, &["assess", "--file", &file]);
    base64::engine::general_purpose::STANDARD
        .decode(init["public_key"].as_str().expect("public key"))
        .expect("base64")
}

/// Waits up to `limit` for `child` to exit.
fn wait(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

fn ledger_states(d: &Path) -> Vec<String> {
    json(d, &["status"])["ledger"]
        .as_array()
        .expect("ledger")
        .iter()
        .map(|e| e["state"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn serve_leaves_the_store_to_the_command_line_and_stops_cleanly_on_sigterm() {
    let agg = Agg::start();
    agg.open_round("r-daemon");
    let tmp = tempfile::tempdir().expect("tempdir");
    let d: PathBuf = tmp.path().join("amt");
    let key = node(&d, &agg);
    agg.enrol(&key);
    json(
        &d,
        &[
            "inventory",
            "import",
            &samples().join("inventar.csv").display().to_string(),
        ],
    );
    let mut daemon = Command::new(env!("CARGO_BIN_EXE_sovbench-node"))
        .arg("--data")
        .arg(&d)
        .args(["serve", "--interval", "1"])
        .env_remove("SOVBENCH_LANG")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start serve");
    // While the daemon ticks every second (each tick opens the store, talks to the aggregator
    // and closes it), the read-only commands keep working.
    let started = Instant::now();
    let mut slowest = Duration::ZERO;
    let mut delivered = false;
    while started.elapsed() < Duration::from_secs(8) || !delivered {
        assert!(
            started.elapsed() < Duration::from_secs(40),
            "the daemon did not deliver"
        );
        let t = Instant::now();
        let n = json(&d, &["inventory", "list"]).as_array().map(Vec::len);
        assert_eq!(n, Some(60));
        delivered = ledger_states(&d) == ["delivered"];
        slowest = slowest.max(t.elapsed());
    }
    assert!(
        daemon.try_wait().expect("try_wait").is_none(),
        "serve still runs"
    );
    eprintln!("slowest inventory list + status beside serve: {slowest:?}");
    let pid = daemon.id().to_string();
    let t = Instant::now();
    let kill = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(kill.success());
    let status = wait(&mut daemon, Duration::from_secs(10)).expect("serve stops on SIGTERM");
    eprintln!("serve stopped {:?} after SIGTERM", t.elapsed());
    assert_eq!(status.code(), Some(0), "clean exit on SIGTERM");
    // The store is closed: the library opens it at once.
    let n = sovbench_node::Node::open(&d).expect("store free after serve");
    assert_eq!(n.store().ledger().expect("ledger").len(), 1);
}

#[test]
fn exit_codes_refused_queued_unreachable_and_the_outbox_follows_node_toml() {
    let mut agg = Agg::start();
    agg.open_round("r-codes");
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path().join("amt");
    let key = node(&d, &agg);

    // Not enrolled: refused for good (3), nothing recorded, no budget spent.
    let out = run(&d, &["--lang", "en", "submit"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains("not enrolled") && err.contains("no privacy budget spent"),
        "{err}"
    );
    let status = json(&d, &["status"]);
    assert_eq!(status["ledger"], serde_json::json!([]));
    assert_eq!(status["budget"]["spent"], 0.0);

    // Enrolled; the release is recorded, then the aggregator goes down before it is sent.
    agg.enrol(&key);
    {
        let node = sovbench_node::Node::open(&d).expect("open");
        let prepared = agg
            .rt
            .block_on(sovbench_node::round::prepare(&node))
            .expect("prepare");
        assert!(matches!(
            prepared,
            sovbench_node::round::Prepared::Recorded { .. }
        ));
    }
    let old_url = agg.url.clone();
    agg.stop();
    // Queued (4): the submission waits in the outbox.
    let out = run(&d, &["submit"]);
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(ledger_states(&d), ["pending"]);
    // Unreachable for a read-only command (5).
    let out = run(&d, &["compare"]);
    assert_eq!(
        out.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The aggregator comes back under another address; node.toml is corrected; the queued
    // submission goes to the new address, not the one it was queued under.
    agg.serve();
    assert_ne!(agg.url, old_url);
    let toml_path = d.join("node.toml");
    let text = std::fs::read_to_string(&toml_path).expect("node.toml");
    assert!(text.contains(&old_url));
    std::fs::write(&toml_path, text.replace(&old_url, &agg.url)).expect("write node.toml");
    let out = run(&d, &["submit"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let status = json(&d, &["status"]);
    assert_eq!(status["ledger"][0]["state"], "delivered");
    assert_eq!(status["ledger"][0]["aggregator"], agg.url.as_str());
    assert_eq!(status["outbox"], serde_json::json!([]));
    assert!(agg.agg.submission_stored("r-codes", &key).expect("lookup"));
}
