//! A real `sovbench-aggregator serve` process with its gRPC and metrics addresses and its log,
//! the command line against the same data directory, and crafted submissions.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use prost::Message as _;
use sovbench_core::envelope::Identity;
use sovbench_core::pb;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_sovbench-aggregator");

/// Runs the command line on `dir` in English, without operator settings from the environment.
pub fn cli(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("--data")
        .arg(dir)
        .args(["--lang", "en"])
        .args(args)
        .env_remove("SOVBENCH_ADMIN")
        .env_remove("SOVBENCH_OPERATOR_KEY")
        .env_remove("SOVBENCH_AGGREGATOR_KEY")
        .env_remove("SOVBENCH_ADMIN_CA")
        .env_remove("SSL_CERT_FILE")
        .env_remove("SOVBENCH_LANG")
        .output()
        .expect("run sovbench-aggregator")
}

/// [`cli`], which must succeed; its standard output.
pub fn cli_ok(dir: &Path, args: &[&str]) -> String {
    let out = cli(dir, args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// A fresh aggregator (`init`) in a temporary directory.
pub fn init() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("aggregator");
    cli_ok(&dir, &["init", "--consortium", "Test-Verbund"]);
    (tmp, dir)
}

/// A running `serve` process.
pub struct Serving {
    child: Child,
    /// gRPC URL (from `serve.addr`).
    pub url: String,
    /// Address of the metrics listener.
    pub metrics: String,
    log: Arc<Mutex<Vec<String>>>,
}

/// A JSON log line's field.
fn field(line: &str, name: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    v["fields"][name].as_str().map(str::to_string)
}

impl Serving {
    /// Starts `serve --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0` on `dir` and waits until
    /// it serves (at most 60 s).
    pub fn start(dir: &Path) -> Serving {
        Serving::start_with(dir, &[])
    }

    /// [`Serving::start`] with more arguments of `serve` (e.g. TLS).
    pub fn start_with(dir: &Path, extra: &[&str]) -> Serving {
        Serving::spawn(Command::new(BIN), dir, extra)
    }

    /// [`Serving::start_with`] with the open-descriptor limit (soft and hard) set to `nofile`
    /// (util-linux's `prlimit`), as a systemd unit without `LimitNOFILE` would run it.
    pub fn start_limited(dir: &Path, nofile: u64, extra: &[&str]) -> Serving {
        let mut cmd = Command::new("prlimit");
        cmd.arg(format!("--nofile={nofile}:{nofile}"))
            .arg("--")
            .arg(BIN);
        Serving::spawn(cmd, dir, extra)
    }

    fn spawn(mut cmd: Command, dir: &Path, extra: &[&str]) -> Serving {
        let mut child = cmd
            .arg("--data")
            .arg(dir)
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--metrics-listen",
                "127.0.0.1:0",
            ])
            .args(extra)
            .env("SOVBENCH_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn serve");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel::<String>();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().expect("log").push(line.clone());
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let (mut metrics, mut serving) = (None, false);
        while metrics.is_none() || !serving {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = match rx.recv_timeout(left) {
                Ok(l) => l,
                Err(_) => {
                    let _ = child.kill();
                    panic!("serve did not start: {:?}", log.lock().expect("log"));
                }
            };
            match field(&line, "message").as_deref() {
                Some("metrics (HTTP /metrics) serving") => metrics = field(&line, "addr"),
                Some("serving") => serving = true,
                _ => {}
            }
        }
        // The admin socket is bound as the gRPC server starts, just after the "serving" line.
        let socket = dir.join("admin.sock");
        while !socket.exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let url = std::fs::read_to_string(dir.join("serve.addr"))
            .expect("serve.addr written while serving")
            .trim()
            .to_string();
        Serving {
            child,
            url,
            metrics: metrics.expect("metrics address"),
            log,
        }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A line of the server's `/proc/PID/status` in KiB, e.g. `VmHWM` (peak resident memory)
    /// or `VmRSS`.
    pub fn memory_kib(&self, field: &str) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid())).expect("/proc status");
        status
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{field}:")))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("{field} not in /proc status"))
    }

    /// The log lines so far whose message is `message`.
    pub fn log_lines(&self, message: &str) -> Vec<String> {
        self.log
            .lock()
            .expect("log")
            .iter()
            .filter(|l| field(l, "message").as_deref() == Some(message))
            .cloned()
            .collect()
    }

    /// The log lines at level `level` (`WARN`, `INFO`, …) that contain `text` anywhere (message
    /// or fields), waiting up to 10 s for the first.
    pub fn log_lines_with(&self, level: &str, text: &str) -> Vec<String> {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let lines: Vec<String> = self
                .log
                .lock()
                .expect("log")
                .iter()
                .filter(|l| {
                    let v: Option<serde_json::Value> = serde_json::from_str(l).ok();
                    v.is_some_and(|v| v["level"] == level) && l.contains(text)
                })
                .cloned()
                .collect();
            if !lines.is_empty() || std::time::Instant::now() > deadline {
                return lines;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The log lines with `message`, once there are at least `n` of them (the server's stderr is
    /// read by a thread, so a line written just before an answer may arrive after it); waits up
    /// to 10 s, then returns what there is.
    pub fn log_lines_at_least(&self, message: &str, n: usize) -> Vec<String> {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let lines = self.log_lines(message);
            if lines.len() >= n || std::time::Instant::now() > deadline {
                return lines;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `GET path` on the metrics listener: status line and body.
    pub fn http_get(&self, path: &str) -> (String, String) {
        let (head, body) = self.http_get_head(path);
        (head.lines().next().unwrap_or_default().to_string(), body)
    }

    /// `GET path` on the metrics listener: the whole head (status line and headers) and body.
    pub fn http_get_head(&self, path: &str) -> (String, String) {
        let mut s = std::net::TcpStream::connect(&self.metrics).expect("connect metrics");
        s.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        )
        .expect("request");
        let mut text = String::new();
        s.read_to_string(&mut text).expect("response");
        let (head, body) = text.split_once("\r\n\r\n").expect("head and body");
        (head.to_string(), body.to_string())
    }

    /// Sends SIGTERM and waits (at most 30 s) for the exit.
    pub fn stop(mut self) -> ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        assert!(sent.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("serve did not stop on SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        // A test that failed before `stop` must not leave the process behind.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A gRPC client of the aggregator.
pub async fn client(
    url: &str,
) -> pb::aggregator_client::AggregatorClient<tonic::transport::Channel> {
    pb::aggregator_client::AggregatorClient::connect(url.to_string())
        .await
        .expect("connect")
}

/// A well-formed submission to the open round, signed by `id`: one release of the round's first
/// metric at epsilon 1.
pub async fn submit(url: &str, id: &Identity) -> Result<pb::SignedMessage, tonic::Status> {
    let mut c = client(url).await;
    let round = c
        .get_round(pb::GetRoundRequest::default())
        .await?
        .into_inner();
    let params = match pb::Payload::decode(round.payload.as_slice())
        .expect("round payload")
        .body
    {
        Some(pb::payload::Body::Round(p)) => p,
        other => panic!("not a round: {other:?}"),
    };
    let body = pb::payload::Body::Submission(pb::Submission {
        round_id: params.round_id.clone(),
        round_params_hash: sovbench_core::sha256(&round.payload).to_vec(),
        releases: vec![pb::Release {
            metric: params.metrics[0].id.clone(),
            mechanism: params.metrics[0].mechanism,
            value: 3,
            scale: 4.0,
            epsilon: 1.0,
            ..Default::default()
        }],
        created_at: params.opens_at,
        nonce: sovbench_core::peers::fresh_nonce().expect("nonce"),
        encrypted: Vec::new(),
    });
    c.submit(id.seal(body))
        .await
        .map(tonic::Response::into_inner)
}

/// Enrols `id` through the command line as a municipality of `population` in Schleswig-Holstein.
pub fn enrol(dir: &Path, id: &Identity, name: &str, population: u64) -> String {
    cli_ok(
        dir,
        &[
            "enrol",
            "--key",
            &sovbench_core::envelope::b64(id.public_key()),
            "--name",
            name,
            "--kind",
            "gemeinde",
            "--state",
            "DE-SH",
            "--population",
            &population.to_string(),
        ],
    )
}
