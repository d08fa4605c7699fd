//! Prometheus metrics of a serving aggregator, in the text exposition format (version 0.0.4),
//! on a listener of their own (`serve --metrics-listen ADDR`, path `/metrics`). Counters are kept
//! here; gauges (rounds, enrolments, offers, trustee phases) are read from the aggregator at each
//! scrape. The metrics are documented in docs/OPERATIONS.md ("Metrics").

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

use crate::aggregator::Aggregator;

/// Upper bounds (seconds) of the submission latency histogram.
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// The counters of a serving aggregator.
#[derive(Debug, Default)]
pub struct Metrics {
    submissions: Mutex<BTreeMap<&'static str, u64>>,
    peer_messages: Mutex<BTreeMap<&'static str, u64>>,
    trustee_messages: Mutex<BTreeMap<&'static str, u64>>,
    latency_buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_micros: AtomicU64,
}

/// The label of a trustee poll that found nothing to do yet ([`Metrics::trustee_idle`]).
pub const IDLE: &str = "idle";

/// The label of a gRPC outcome: `accepted` or the status code in snake case.
pub fn outcome_label(code: Option<tonic::Code>) -> &'static str {
    use tonic::Code;
    match code {
        None | Some(Code::Ok) => "accepted",
        Some(Code::Cancelled) => "cancelled",
        Some(Code::Unknown) => "unknown",
        Some(Code::InvalidArgument) => "invalid_argument",
        Some(Code::DeadlineExceeded) => "deadline_exceeded",
        Some(Code::NotFound) => "not_found",
        Some(Code::AlreadyExists) => "already_exists",
        Some(Code::PermissionDenied) => "permission_denied",
        Some(Code::ResourceExhausted) => "resource_exhausted",
        Some(Code::FailedPrecondition) => "failed_precondition",
        Some(Code::Aborted) => "aborted",
        Some(Code::OutOfRange) => "out_of_range",
        Some(Code::Unimplemented) => "unimplemented",
        Some(Code::Internal) => "internal",
        Some(Code::Unavailable) => "unavailable",
        Some(Code::DataLoss) => "data_loss",
        Some(Code::Unauthenticated) => "unauthenticated",
    }
}

fn bump(map: &Mutex<BTreeMap<&'static str, u64>>, label: &'static str) {
    *map.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .entry(label)
        .or_default() += 1;
}

impl Metrics {
    /// The counters of the aggregator `agg`: one set per data directory in this process, so that
    /// the gRPC service and the metrics listener count into the same set without either knowing
    /// the other, and two aggregators in one process (tests) do not mix.
    pub fn of(agg: &Aggregator) -> Arc<Metrics> {
        static ALL: OnceLock<Mutex<HashMap<PathBuf, Arc<Metrics>>>> = OnceLock::new();
        ALL.get_or_init(Default::default)
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(agg.dir().to_path_buf())
            .or_default()
            .clone()
    }

    /// Counts a submission with its outcome and, when accepted, its latency until the durable
    /// commit answered.
    pub fn submission(&self, code: Option<tonic::Code>, latency: Duration) {
        bump(&self.submissions, outcome_label(code));
        if code.is_none() {
            let s = latency.as_secs_f64();
            for (i, le) in LATENCY_BUCKETS.iter().enumerate() {
                if s <= *le {
                    self.latency_buckets[i].fetch_add(1, Ordering::Relaxed);
                }
            }
            self.latency_count.fetch_add(1, Ordering::Relaxed);
            self.latency_sum_micros
                .fetch_add(latency.as_micros() as u64, Ordering::Relaxed);
        }
    }

    /// Counts a peer message with its outcome.
    pub fn peer_message(&self, code: Option<tonic::Code>) {
        bump(&self.peer_messages, outcome_label(code));
    }

    /// Counts a trustee message with its outcome.
    pub fn trustee_message(&self, code: Option<tonic::Code>) {
        bump(&self.trustee_messages, outcome_label(code));
    }

    /// Counts a trustee's poll that found nothing to do yet (label `idle`; on the wire still
    /// NOT_FOUND): the normal answer between rounds, not a refusal, so that an alert on refused
    /// trustee messages does not fire every poll interval.
    pub fn trustee_idle(&self) {
        bump(&self.trustee_messages, IDLE);
    }

    /// The exposition text: counters, the histogram, and gauges read from `agg`.
    pub fn render(&self, agg: &Aggregator) -> String {
        let mut w = String::new();
        let mut counter = |name: &str, help: &str, map: &Mutex<BTreeMap<&'static str, u64>>| {
            let _ = writeln!(w, "# HELP {name} {help}\n# TYPE {name} counter");
            let map = map.lock().unwrap_or_else(PoisonError::into_inner);
            if map.is_empty() {
                let _ = writeln!(w, "{name}{{status=\"accepted\"}} 0");
            }
            for (label, n) in map.iter() {
                let _ = writeln!(w, "{name}{{status=\"{label}\"}} {n}");
            }
        };
        counter(
            "sovbench_submissions_total",
            "Submissions by outcome: accepted, or the gRPC status code of the refusal.",
            &self.submissions,
        );
        counter(
            "sovbench_peer_messages_total",
            "Peer-matching messages by outcome.",
            &self.peer_messages,
        );
        counter(
            "sovbench_trustee_messages_total",
            "Trustee messages (mode secure) by outcome; idle: a poll that found nothing to do yet.",
            &self.trustee_messages,
        );
        let name = "sovbench_submission_commit_seconds";
        let _ = writeln!(
            w,
            "# HELP {name} Time from receiving an accepted submission to the answer after its durable commit.\n# TYPE {name} histogram"
        );
        for (i, le) in LATENCY_BUCKETS.iter().enumerate() {
            let n = self.latency_buckets[i].load(Ordering::Relaxed);
            let _ = writeln!(w, "{name}_bucket{{le=\"{le}\"}} {n}");
        }
        let count = self.latency_count.load(Ordering::Relaxed);
        let _ = writeln!(w, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let sum = self.latency_sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(w, "{name}_sum {sum}\n{name}_count {count}");
        gauges(agg, &mut w);
        w
    }
}

/// Gauges read from the aggregator at scrape time.
fn gauges(agg: &Aggregator, w: &mut String) {
    use crate::model::RoundStatus;
    let _ = writeln!(
        w,
        "# HELP sovbench_rounds Rounds by state.\n# TYPE sovbench_rounds gauge"
    );
    let rounds = agg.rounds().unwrap_or_default();
    for (state, status) in [
        ("open", RoundStatus::Open),
        ("closed", RoundStatus::Closed),
        ("published", RoundStatus::Published),
        ("abandoned", RoundStatus::Abandoned),
    ] {
        let n = rounds.iter().filter(|r| r.status == status).count();
        let _ = writeln!(w, "sovbench_rounds{{state=\"{state}\"}} {n}");
    }
    let _ = writeln!(
        w,
        "# HELP sovbench_trustee_phase Closed secure rounds waiting for their trustees, by phase.\n# TYPE sovbench_trustee_phase gauge"
    );
    let mut phases: BTreeMap<String, u64> = BTreeMap::new();
    for r in rounds.iter().filter(|r| r.status == RoundStatus::Closed) {
        if let Some(p) = &r.trustee_phase {
            let phase: String = p
                .split(':')
                .next()
                .unwrap_or_default()
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            *phases.entry(phase).or_default() += 1;
        }
    }
    for (phase, n) in phases {
        let _ = writeln!(w, "sovbench_trustee_phase{{phase=\"{phase}\"}} {n}");
    }
    let enrolments = agg.enrolments().unwrap_or_default();
    let revoked = enrolments.iter().filter(|e| e.revoked_at.is_some()).count();
    let _ = writeln!(
        w,
        "# HELP sovbench_enrolments Enrolled keys by state.\n# TYPE sovbench_enrolments gauge\nsovbench_enrolments{{state=\"active\"}} {}\nsovbench_enrolments{{state=\"revoked\"}} {revoked}",
        enrolments.len() - revoked
    );
    let _ = writeln!(
        w,
        "# HELP sovbench_peer_offers Peer-matching offers currently listed.\n# TYPE sovbench_peer_offers gauge\nsovbench_peer_offers {}",
        agg.peers().overview().offer_count
    );
    if let Some(cert) = agg.tls_certificate() {
        let now = agg.now();
        let outside = u8::from(cert.standing(now) != crate::tls::Standing::Valid);
        let _ = writeln!(
            w,
            "# HELP sovbench_tls_certificate_expiry_seconds Seconds until the served TLS certificate expires (negative: expired).\n# TYPE sovbench_tls_certificate_expiry_seconds gauge\nsovbench_tls_certificate_expiry_seconds {}\n# HELP sovbench_tls_certificate_expired 1 while the served TLS certificate is expired or not yet valid (clients refuse it), else 0.\n# TYPE sovbench_tls_certificate_expired gauge\nsovbench_tls_certificate_expired {outside}",
            cert.seconds_left(now)
        );
    }
}

/// Serves `GET /metrics` on `listener` until `shutdown` completes (a minimal HTTP/1.1 responder:
/// one request per connection, every other path 404).
pub async fn serve_metrics(
    listener: TcpListener,
    agg: Arc<Aggregator>,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    let metrics = Metrics::of(&agg);
    loop {
        let conn = tokio::select! {
            c = listener.accept() => c,
            _ = &mut shutdown => return,
        };
        let Ok((mut sock, _)) = conn else { continue };
        let (metrics, agg) = (metrics.clone(), agg.clone());
        tokio::spawn(async move {
            let mut buf = Vec::with_capacity(1024);
            let read = tokio::time::timeout(Duration::from_secs(5), async {
                let mut chunk = [0u8; 1024];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 8192 {
                    match sock.read(&mut chunk).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
            })
            .await;
            if read.is_err() {
                return;
            }
            let line = String::from_utf8_lossy(&buf);
            let mut parts = line.split_whitespace();
            let (method, path) = (parts.next(), parts.next());
            let (status, body) = match (method, path) {
                (Some("GET"), Some("/metrics")) => {
                    let body = tokio::task::spawn_blocking(move || metrics.render(&agg))
                        .await
                        .unwrap_or_default();
                    ("200 OK", body)
                }
                _ => ("404 Not Found", "not found: use GET /metrics\n".to_string()),
            };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = sock.write_all(head.as_bytes()).await;
            let _ = sock.write_all(body.as_bytes()).await;
            let _ = sock.shutdown().await;
        });
    }
}
