//! The trustee's `serve` against a real aggregator (served in this test process on 127.0.0.1:0;
//! the trustee is the real `sovbench-trustee` binary): `dkg --json` prints the committee,
//! `status` and `status --json` work while `serve` holds the store, idle polls are no errors
//! (neither in serve's counters and log nor in the aggregator's metrics), `config aggregator-ca`
//! works beside `serve`, and `serve` stops cleanly on SIGTERM.

use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sovbench_aggregator::metrics::Metrics;
use sovbench_aggregator::service::{serve, ServeOptions};
use sovbench_aggregator::Aggregator;
use sovbench_core::envelope::{b64, unb64};
use sovbench_trustee::Trustee;
use tokio::sync::oneshot;

use crate::cli::trustee;

/// An aggregator served from this test process.
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
        let agg =
            Arc::new(Aggregator::init(&tmp.path().join("agg"), "Test-Verbund").expect("init"));
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let (tx, rx) = oneshot::channel::<()>();
        let opts = ServeOptions {
            auto_close_every: None,
            ..ServeOptions::default()
        };
        let task = rt.spawn({
            let agg = agg.clone();
            async move {
                serve(agg, listener, opts, async {
                    let _ = rx.await;
                })
                .await
                .expect("server");
            }
        });
        Agg {
            rt,
            agg,
            url,
            stop: Some((tx, task)),
            _tmp: tmp,
        }
    }
}

impl Drop for Agg {
    fn drop(&mut self) {
        if let Some((tx, task)) = self.stop.take() {
            let _ = tx.send(());
            let _ = self.rt.block_on(task);
        }
    }
}

/// Runs the trustee on `dir` with `args`; it must succeed; its standard output.
fn ok(dir: &Path, args: &[&str]) -> String {
    let out = trustee()
        .arg("--dir")
        .arg(dir)
        .args(args)
        .output()
        .expect("run sovbench-trustee");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// [`ok`] with `--json`, parsed.
fn json(dir: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = args.to_vec();
    all.push("--json");
    let text = ok(dir, &all);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{args:?}: {e}: {text}"))
}

/// Waits up to `limit` for `child` to exit.
fn wait(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if let Some(s) = child.try_wait().expect("try_wait") {
            return Some(s);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

/// Old behaviour caught: `status` refused while `serve` ran ("store in use"), and every idle poll
/// was counted by the aggregator as a `not_found` refusal of a trustee message (and logged as
/// one), the noise of every alert on refused trustee messages.
#[test]
fn status_works_beside_serve_and_idle_polls_are_no_errors() {
    let agg = Agg::start();
    let tmp = tempfile::tempdir().expect("tempdir");
    let (d0, d1) = (tmp.path().join("t0"), tmp.path().join("t1"));
    let key = b64(agg.agg.public_key());
    let mut keys = Vec::new();
    for d in [&d0, &d1] {
        let init = json(
            d,
            &["init", "--aggregator", &agg.url, "--aggregator-key", &key],
        );
        assert_eq!(init["data_dir"], d.display().to_string());
        assert!(init["key_fingerprint"].is_string(), "{init}");
        keys.push(unb64(init["public_key"].as_str().expect("key")).expect("base64"));
    }
    agg.agg
        .create_ceremony("c-serve", 2, keys)
        .expect("ceremony");

    // The key generation: trustee 0 through the binary (`dkg --json`), trustee 1 in this process.
    let dkg = trustee()
        .arg("--dir")
        .arg(&d0)
        .args(["dkg", "--ceremony", "c-serve", "--poll", "1", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start dkg");
    let fp = agg
        .rt
        .block_on(async {
            let t1 = Trustee::open(&d1)?;
            t1.dkg("c-serve", Duration::from_millis(200)).await
        })
        .expect("dkg of trustee 1");
    let out = dkg.wait_with_output().expect("dkg");
    assert!(out.status.success());
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("dkg --json");
    assert_eq!(printed["ceremony"], "c-serve");
    assert_eq!(printed["committee_fingerprint"], hex::encode(fp));

    // `serve` polls every second; no secure round waits, so every pass is idle.
    let log = tmp.path().join("serve.log");
    let mut serving = trustee()
        .arg("--dir")
        .arg(&d0)
        .args(["serve", "--poll", "1"])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("start serve");
    let started = Instant::now();
    let beside = loop {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no status with three passes beside serve"
        );
        assert!(
            serving.try_wait().expect("try_wait").is_none(),
            "serve ended"
        );
        let out = trustee()
            .arg("--dir")
            .arg(&d0)
            .args(["status", "--json"])
            .output()
            .expect("status");
        if out.status.success() {
            let s: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
            if s["serve"]["passes"].as_u64().unwrap_or(0) >= 3 {
                break s;
            }
        } else {
            // Only the moment before serve wrote its file for the first time may be refused.
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "status refused beside serve: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(300));
    };
    assert_eq!(beside["read_from"], "serve_status_file", "{beside}");
    let st = &beside["serve"];
    assert_eq!(st["running"], true, "{beside}");
    assert_eq!(st["pid"], serving.id(), "{beside}");
    assert_eq!(st["idle"], st["passes"], "{beside}");
    assert_eq!(st["errors"], 0, "{beside}");
    assert_eq!(st["last_outcome"], "idle", "{beside}");
    assert_eq!(beside["committee"]["fingerprint"], hex::encode(fp));
    assert_eq!(beside["committee"]["index"], 0);

    // The text, in German and English.
    let de = ok(&d0, &["status"]);
    assert!(
        de.contains("läuft seit") && de.contains("ohne Arbeit") && de.contains("0 Fehler"),
        "{de}"
    );
    assert!(de.contains("aus serve-status.json"), "{de}");
    let en = ok(&d0, &["--lang", "en", "status"]);
    assert!(en.contains("running since") && en.contains("idle"), "{en}");

    // `config aggregator-ca` beside serve: no store needed.
    let ca = tmp.path().join("verbund-ca.pem");
    std::fs::write(
        &ca,
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    )
    .expect("ca");
    let set = json(
        &d0,
        &["config", "aggregator-ca", ca.to_str().expect("utf-8")],
    );
    assert_eq!(set["aggregator_ca"], ca.display().to_string());
    assert!(set["previous"].is_null());
    let toml = std::fs::read_to_string(d0.join("trustee.toml")).expect("trustee.toml");
    assert!(toml.contains("aggregator_ca"), "{toml}");

    // The aggregator counted the polls as idle, not as refusals.
    let metrics = Metrics::of(&agg.agg).render(&agg.agg);
    let idle: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("sovbench_trustee_messages_total{status=\"idle\"} "))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no idle count: {metrics}"));
    assert!(idle >= 3, "{metrics}");
    assert!(!metrics.contains("status=\"not_found\""), "{metrics}");

    // SIGTERM: a clean stop, then status from the store with serve's last state.
    let kill = Command::new("kill")
        .args(["-TERM", &serving.id().to_string()])
        .status()
        .expect("kill");
    assert!(kill.success());
    let status = wait(&mut serving, Duration::from_secs(10)).expect("serve stops on SIGTERM");
    assert_eq!(status.code(), Some(0));
    let after = json(&d0, &["status"]);
    assert_eq!(after["read_from"], "store", "{after}");
    assert_eq!(after["serve"]["running"], false, "{after}");
    assert!(after["serve"]["stopped_at"].is_i64(), "{after}");
    assert_eq!(after["serve"]["errors"], 0, "{after}");

    // Idle polls are not in serve's log as warnings or errors.
    let text = std::fs::read_to_string(&log).expect("serve's log");
    for line in text.lines() {
        assert!(
            !line.contains("\"level\":\"WARN\"") && !line.contains("\"level\":\"ERROR\""),
            "{line}"
        );
    }
    assert!(text.contains("trustee serving"), "{text}");
}
