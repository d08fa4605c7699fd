//! `sovbench-bench hosted`: a hosted node (issue 21, section Scale) with many administrations.
//!
//! Set-up, in this process: an aggregator served on loopback; unless told otherwise a committee
//! of five trustees (three needed) made by key generation and a secure round open; a hosting
//! directory with one tenant per administration, each configured with the aggregator and the
//! committee, with one account (Argon2id), a self-test, and enrolled.
//!
//! Measured:
//! 1. Memory at rest: the hosted node runs as a child process (`sovbench-bench hosted-child`,
//!    which serves [`Hosted`] and runs [`daemon::run_hosted`] as `sovbench-node serve` does on a
//!    hosting directory). Every tenant is touched once over HTTP; once the child's open files
//!    have been stable for three seconds (every store closed, the daemon's first pass done) its
//!    `VmRSS` and `VmHWM` are read from `/proc`.
//! 2. Page latency: USERS people, each logged in to a different administration, load a mix of
//!    pages at the same time, one fresh connection per request.
//! 3. A secure round: every tenant's release is prepared (encrypted with range proofs, recorded
//!    in ledger and outbox) and then delivered from the outbox until the receipt, as the
//!    workplace's "send" and the daemon's delivery do it, a few tenants at a time.

use std::collections::HashMap;
use std::io::BufRead as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde::Serialize;
use sovbench_aggregator::{Aggregator, RoundSpec, SecureSpec};
use sovbench_core::clock::SystemClock;
use sovbench_core::envelope::b64;
use sovbench_node::config::PrivacyPolicy;
use sovbench_node::hosting::Hosting;
use sovbench_node::model::DeliveryState;
use sovbench_node::people::{self, Role};
use sovbench_node::round::{self, Prepared};
use sovbench_node::web::hosted::{serve_hosted, Hosted};
use sovbench_node::{daemon, selftest, InitOptions, Node};
use sovbench_secure::round::Grid;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::federation::{committee, Loopback, SecureConfig, CEREMONY};
use crate::population::generate;

/// The account every tenant gets (role editor).
const USER: &str = "sachbearbeitung";
/// Its password.
const PASSWORD: &str = "ein-langes-bench-passwort";
/// The round of the benchmark.
const ROUND: &str = "hosted-bench";
/// The pages each person loads, in turn.
pub const PAGES: [&str; 5] = ["/", "/selftest", "/inventory", "/privacy", "/rounds"];

/// What to measure.
#[derive(Debug, Clone)]
pub struct HostedOptions {
    /// Administrations (tenants).
    pub tenants: usize,
    /// People loading pages at the same time, each in a different administration.
    pub users: usize,
    /// Page loads per person.
    pub requests: usize,
    /// Open a secure round and measure the preparation and delivery of every tenant's release.
    pub secure_round: bool,
    /// Tenants prepared or delivered at the same time.
    pub concurrency: usize,
    /// The hosted daemon's interval, seconds (its first pass starts with the child).
    pub interval: u64,
    /// Where to put the aggregator, trustees and hosting directory (kept); a temporary folder
    /// otherwise.
    pub dir: Option<PathBuf>,
}

/// Percentiles of a set of durations.
#[derive(Debug, Clone, Serialize)]
pub struct Percentiles {
    /// Timed requests.
    pub count: usize,
    /// Median, milliseconds.
    pub p50_ms: f64,
    /// 95th percentile, milliseconds.
    pub p95_ms: f64,
    /// 99th percentile, milliseconds.
    pub p99_ms: f64,
    /// Slowest, milliseconds.
    pub max_ms: f64,
}

impl Percentiles {
    fn of(mut d: Vec<Duration>) -> Percentiles {
        d.sort();
        let q = |p: f64| {
            let i = ((d.len() as f64 * p).ceil() as usize)
                .saturating_sub(1)
                .min(d.len().saturating_sub(1));
            d.get(i).map_or(0.0, |x| x.as_secs_f64() * 1e3)
        };
        Percentiles {
            count: d.len(),
            p50_ms: q(0.5),
            p95_ms: q(0.95),
            p99_ms: q(0.99),
            max_ms: d.last().map_or(0.0, |x| x.as_secs_f64() * 1e3),
        }
    }
}

/// Memory of the hosted node's process.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Memory {
    /// Resident set size, MiB.
    pub rss_mib: f64,
    /// Peak resident set size since the start, MiB.
    pub hwm_mib: f64,
    /// Open file descriptors.
    pub open_files: usize,
    /// Threads.
    pub threads: usize,
}

/// The secure round: every tenant's release prepared, then delivered.
#[derive(Debug, Clone, Serialize)]
pub struct SecureDelivery {
    /// Tenants at the same time.
    pub concurrency: usize,
    /// Key generation of the committee, seconds.
    pub dkg_s: f64,
    /// Preparation of every release (open the store, fetch and check the round and the
    /// enrolment, encrypt and prove, record durably), seconds (wall).
    pub prepare_s: f64,
    /// One tenant's preparation (latency under this concurrency).
    pub prepare: Percentiles,
    /// Delivery of every prepared release from the outbox (open the store, send, check the
    /// receipt, record it durably), seconds (wall).
    pub deliver_s: f64,
    /// One tenant's delivery.
    pub deliver: Percentiles,
    /// Receipts received and checked.
    pub delivered: usize,
}

/// The figures of one run.
#[derive(Debug, Clone, Serialize)]
pub struct HostedTiming {
    /// Administrations.
    pub tenants: usize,
    /// Creating the tenants (node, account with its Argon2id hash, self-test), seconds.
    pub create_s: f64,
    /// The hosting directory on disk at the end, MiB (file lengths).
    pub disk_mib: f64,
    /// The child process right after start (before any request).
    pub start: Memory,
    /// The first request to every tenant (its store opened), seconds, with concurrency 4.
    pub touch_s: f64,
    /// At rest after every tenant was touched and every store closed again.
    pub rest: Memory,
    /// People logged in, each to a different administration.
    pub users: usize,
    /// Their log-ins, all at once (Argon2id on the server).
    pub login: Percentiles,
    /// Every page load.
    pub pages: Percentiles,
    /// Per page (in [`PAGES`] order).
    pub per_page: Vec<(String, Percentiles)>,
    /// Page loads per second (all people together).
    pub pages_per_s: f64,
    /// After the page loads, every store closed again (the peak includes the log-ins).
    pub after_load: Memory,
    /// The secure round, if measured.
    pub secure: Option<SecureDelivery>,
}

/// Spawns the child process serving a hosting directory (the hidden `hosted-child` command):
/// `(hosting directory, daemon interval)`. Its first line on stdout is the address it serves.
pub type SpawnChild<'a> = &'a dyn Fn(&Path, u64) -> anyhow::Result<std::process::Child>;

/// The child process: serves the hosted workplace of `dir` on `127.0.0.1:0` and runs the hosted
/// daemon beside it, as `sovbench-node serve --http-listen` does on a hosting directory; prints
/// the address first; runs until killed.
pub async fn serve_child(dir: &Path, interval: u64) -> anyhow::Result<()> {
    let hosting = Hosting::open(dir)?;
    let hosted = Arc::new(Hosted::new(hosting, SystemClock::shared(), false));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("{}", listener.local_addr()?);
    let web = tokio::spawn(serve_hosted(
        listener,
        hosted.clone(),
        std::future::pending(),
    ));
    daemon::run_hosted(&hosted, interval, std::future::pending()).await;
    web.await??;
    Ok(())
}

/// Kills the child when dropped (also on an error of the benchmark).
struct ChildGuard(std::process::Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs the benchmark.
pub async fn run(opts: &HostedOptions, spawn: SpawnChild<'_>) -> anyhow::Result<HostedTiming> {
    let n = opts.tenants.max(1);
    let (_tmp, base) = match &opts.dir {
        Some(d) => {
            std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
            (None, d.clone())
        }
        None => {
            let t = tempfile::tempdir().context("temporary folder")?;
            let p = t.path().to_path_buf();
            (Some(t), p)
        }
    };
    let agg = Arc::new(Aggregator::init(&base.join("aggregator"), "Bench-Verbund")?);
    let server = Loopback::start(agg.clone()).await?;
    let dkg = Instant::now();
    let fingerprint = if opts.secure_round {
        let (_trustees, fp) = committee(&agg, &base, &server.url, &SecureConfig::default()).await?;
        agg.open_round(RoundSpec {
            round_id: ROUND.into(),
            metrics: Vec::new(),
            epsilon_per_release: 1.0,
            releases_per_node: 0,
            min_cohort: 10,
            closes_at: agg.now() + 24 * 3_600,
            secure: Some(SecureSpec {
                ceremony: CEREMONY.into(),
                grid: Grid::KindSize,
                all_weight: 0.0,
                path_bound: 0,
            }),
        })?;
        Some(hex::encode(fp))
    } else {
        None
    };
    let dkg_s = dkg.elapsed().as_secs_f64();

    // The tenants, two at a time (Argon2id and the store's creation are CPU-bound).
    let hosting = Hosting::init(&base.join("hosting"), "Bench-Rechenzentrum")?;
    let started = Instant::now();
    let ids = create_tenants(
        &hosting,
        n,
        &server.url,
        &b64(agg.public_key()),
        fingerprint,
    )
    .await
    .context("creating the tenants")?;
    let enrolments = ids.iter().map(|(_, e)| e.clone()).collect::<Vec<_>>();
    agg.enrol_many(enrolments)?;
    let ids: Vec<String> = ids.into_iter().map(|(id, _)| id).collect();
    let create_s = started.elapsed().as_secs_f64();

    // The hosted node as a child process.
    let mut child = ChildGuard(spawn(hosting.dir(), opts.interval)?);
    let pid = child.0.id();
    let stdout = child
        .0
        .stdout
        .take()
        .ok_or_else(|| anyhow::anyhow!("the child's stdout is not piped"))?;
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .map(|_| line)
    })
    .await??;
    let addr: SocketAddr = line
        .trim()
        .parse()
        .with_context(|| format!("the child's address {line:?}"))?;
    let start = memory(pid)?;

    // Every tenant once.
    let started = Instant::now();
    let ids = Arc::new(ids);
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let (ids, next) = (ids.clone(), next.clone());
        tasks.spawn(async move {
            while let Some(id) = ids.get(next.fetch_add(1, Ordering::Relaxed)) {
                let a = Client::new(addr, id).get("/login").await?;
                anyhow::ensure!(a.status == 200, "{id}: GET /login: {}", a.status);
            }
            anyhow::Ok(())
        });
    }
    while let Some(r) = tasks.join_next().await {
        r??;
    }
    let touch_s = started.elapsed().as_secs_f64();
    let rest = at_rest(pid).await?;

    // USERS people log in, each to another administration, then load pages.
    let users = opts.users.clamp(1, n);
    let mut tasks = tokio::task::JoinSet::new();
    for u in 0..users {
        let id = ids
            .get(u * n / users)
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("tenant {u}"))?;
        tasks.spawn(async move {
            let mut c = Client::new(addr, &id);
            c.get("/login").await?;
            let t = Instant::now();
            let a = c
                .post(
                    "/login",
                    &[("name", USER), ("password", PASSWORD), ("next", "/")],
                )
                .await?;
            anyhow::ensure!(a.status == 303, "{id}: log-in: {}", a.status);
            anyhow::Ok((c, t.elapsed()))
        });
    }
    let mut clients = Vec::with_capacity(users);
    let mut logins = Vec::with_capacity(users);
    while let Some(r) = tasks.join_next().await {
        let (c, d) = r??;
        clients.push(c);
        logins.push(d);
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(users));
    let requests = opts.requests.max(1);
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (u, mut c) in clients.into_iter().enumerate() {
        let barrier = barrier.clone();
        tasks.spawn(async move {
            barrier.wait().await;
            let mut times = Vec::with_capacity(requests);
            for r in 0..requests {
                let page = (u + r) % PAGES.len();
                let path = PAGES[page];
                let t = Instant::now();
                let a = c.get(path).await?;
                times.push((page, t.elapsed()));
                anyhow::ensure!(
                    a.status == 200 && a.body.len() > 500,
                    "{}{path}: {} ({} bytes)",
                    c.base,
                    a.status,
                    a.body.len()
                );
            }
            anyhow::Ok(times)
        });
    }
    let mut times = Vec::with_capacity(users * requests);
    while let Some(r) = tasks.join_next().await {
        times.extend(r??);
    }
    let wall = started.elapsed().as_secs_f64();
    let per_page = PAGES
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let d = times
                .iter()
                .filter(|(page, _)| *page == i)
                .map(|(_, d)| *d)
                .collect();
            (p.to_string(), Percentiles::of(d))
        })
        .collect();
    let pages_per_s = times.len() as f64 / wall;
    let pages = Percentiles::of(times.into_iter().map(|(_, d)| d).collect());
    let after_load = at_rest(pid).await?;
    drop(child);

    let secure = if opts.secure_round {
        Some(secure_round(&hosting, &ids, opts.concurrency.max(1), dkg_s).await?)
    } else {
        None
    };
    server.stop().await?;
    // At the end: sled writes most of a store when it is opened and closed again.
    let disk_mib = dir_bytes(hosting.dir()) as f64 / (1024.0 * 1024.0);
    Ok(HostedTiming {
        tenants: n,
        create_s,
        disk_mib,
        start,
        touch_s,
        rest,
        users,
        login: Percentiles::of(logins),
        pages,
        per_page,
        pages_per_s,
        after_load,
        secure,
    })
}

/// One enrolment as the aggregator's operator makes it.
type NewEnrolment = (
    Vec<u8>,
    String,
    sovbench_core::cohort::CohortAttributes,
    u64,
);

/// Creates `n` tenants, each a node with the aggregator (and committee) configured, an account
/// and a self-test; returns their ids and enrolments.
async fn create_tenants(
    hosting: &Hosting,
    n: usize,
    url: &str,
    key: &str,
    committee_fingerprint: Option<String>,
) -> anyhow::Result<Vec<(String, NewEnrolment)>> {
    let population = generate(n, 21);
    let policy = PrivacyPolicy {
        max_epsilon_per_round: 1.0,
        max_epsilon_per_year: 4.0,
        min_cohort: 10,
        max_epsilon_lifetime: None,
        ..PrivacyPolicy::default()
    };
    let (hosting, url, key) = (hosting.clone(), url.to_string(), key.to_string());
    let workers = std::thread::available_parallelism().map_or(2, usize::from);
    tokio::task::spawn_blocking(move || {
        let next = AtomicUsize::new(0);
        let out = Mutex::new(Vec::with_capacity(n));
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..workers)
                .map(|_| {
                    s.spawn(|| -> anyhow::Result<()> {
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            let Some(a) = population.get(i) else {
                                return Ok(());
                            };
                            let id = format!("verwaltung-{i:04}");
                            let node = hosting.add(
                                &id,
                                InitOptions {
                                    name: a.name.clone(),
                                    kind: a.kind.key().to_string(),
                                    state: a.state.clone(),
                                    size: a.size,
                                    aggregator_url: Some(url.clone()),
                                    aggregator_key: Some(key.clone()),
                                    policy: Some(policy.clone()),
                                    committee_fingerprint: committee_fingerprint.clone(),
                                },
                                SystemClock::shared(),
                            )?;
                            people::add_account(&node, USER, Role::Editor, PASSWORD, "bench")?;
                            selftest::record(&node, a.assessment)?;
                            let e = (
                                node.public_key().to_vec(),
                                a.name.clone(),
                                node.profile()?.cohort(),
                                a.size,
                            );
                            out.lock()
                                .map_err(|_| anyhow::anyhow!("a worker panicked"))?
                                .push((id, e));
                        }
                    })
                })
                .collect();
            for h in handles {
                h.join()
                    .map_err(|_| anyhow::anyhow!("a worker panicked"))??;
            }
            anyhow::Ok(())
        })?;
        let mut out = out
            .into_inner()
            .map_err(|_| anyhow::anyhow!("a worker panicked"))?;
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    })
    .await?
}

/// Prepares every tenant's release (the workplace's "send" without its delivery), then delivers
/// every outbox (the daemon's delivery), `concurrency` tenants at a time.
async fn secure_round(
    hosting: &Hosting,
    ids: &Arc<Vec<String>>,
    concurrency: usize,
    dkg_s: f64,
) -> anyhow::Result<SecureDelivery> {
    let dirs: Arc<Vec<PathBuf>> = Arc::new(ids.iter().map(|id| hosting.tenant_dir(id)).collect());
    let started = Instant::now();
    let prepare = each_tenant(&dirs, concurrency, |node| async move {
        match round::prepare(&node).await? {
            Prepared::Recorded { .. } => Ok(()),
            Prepared::Skipped(why) => {
                anyhow::bail!("{}: nothing prepared: {why:?}", node.dir().display())
            }
        }
    })
    .await
    .context("preparing the releases")?;
    let prepare_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let delivered = Arc::new(AtomicUsize::new(0));
    let count = delivered.clone();
    let deliver = each_tenant(&dirs, concurrency, move |node| {
        let count = count.clone();
        async move {
            for d in round::flush_outbox(&node).await? {
                anyhow::ensure!(
                    d.state == DeliveryState::Delivered,
                    "{}: {:?} {:?}",
                    node.dir().display(),
                    d.state,
                    d.detail
                );
                count.fetch_add(1, Ordering::Relaxed);
            }
            Ok(())
        }
    })
    .await
    .context("delivering the outboxes")?;
    let deliver_s = started.elapsed().as_secs_f64();
    Ok(SecureDelivery {
        concurrency,
        dkg_s,
        prepare_s,
        prepare: Percentiles::of(prepare),
        deliver_s,
        deliver: Percentiles::of(deliver),
        delivered: delivered.load(Ordering::Relaxed),
    })
}

/// Opens each tenant's node (on a blocking thread, `concurrency` at a time) and runs `work` on
/// it; returns the time of each, the store's opening included.
async fn each_tenant<F, Fut>(
    dirs: &Arc<Vec<PathBuf>>,
    concurrency: usize,
    work: F,
) -> anyhow::Result<Vec<Duration>>
where
    F: Fn(Node) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (dirs, next, work) = (dirs.clone(), next.clone(), work.clone());
        let handle = tokio::runtime::Handle::current();
        tasks.spawn_blocking(move || {
            let mut times = Vec::new();
            while let Some(dir) = dirs.get(next.fetch_add(1, Ordering::Relaxed)) {
                let t = Instant::now();
                let node = Node::open_with_clock(dir, SystemClock::shared())?;
                handle.block_on(work(node))?;
                times.push(t.elapsed());
            }
            anyhow::Ok(times)
        });
    }
    let mut all = Vec::with_capacity(dirs.len());
    while let Some(r) = tasks.join_next().await {
        all.extend(r??);
    }
    Ok(all)
}

/// `VmRSS`, `VmHWM` and the open files of process `pid`.
fn memory(pid: u32) -> anyhow::Result<Memory> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    let field = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    Ok(Memory {
        rss_mib: field("VmRSS:") / 1024.0,
        hwm_mib: field("VmHWM:") / 1024.0,
        open_files: open_files(pid),
        threads: field("Threads:") as usize,
    })
}

fn open_files(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

/// Waits until the child's open files have not changed for three seconds (the stores close two
/// seconds after their last request; the daemon's pass opens them one after another), at most
/// ten minutes, and reads its memory.
async fn at_rest(pid: u32) -> anyhow::Result<Memory> {
    let started = Instant::now();
    let mut last = open_files(pid);
    let mut since = Instant::now();
    while since.elapsed() < Duration::from_secs(3) && started.elapsed() < Duration::from_secs(600) {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let now = open_files(pid);
        if now != last {
            last = now;
            since = Instant::now();
        }
    }
    memory(pid)
}

fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .filter_map(Result::ok)
            .map(|e| match e.metadata() {
                Ok(m) if m.is_dir() => dir_bytes(&e.path()),
                Ok(m) => m.len(),
                Err(_) => 0,
            })
            .sum()
    })
}

/// An HTTP answer.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

/// A person's browser in one administration: its cookies and the form token of the last page.
/// One connection per request (`Connection: close`).
struct Client {
    addr: SocketAddr,
    base: String,
    cookies: HashMap<String, String>,
    csrf: Option<String>,
}

impl Client {
    fn new(addr: SocketAddr, tenant: &str) -> Client {
        Client {
            addr,
            base: format!("/t/{tenant}"),
            cookies: HashMap::new(),
            csrf: None,
        }
    }

    async fn get(&mut self, path: &str) -> anyhow::Result<Answer> {
        self.send("GET", path, "").await
    }

    /// POSTs a form with the form token of the last page.
    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> anyhow::Result<Answer> {
        let mut body = format!("csrf={}", self.csrf.clone().unwrap_or_default());
        for (k, v) in fields {
            body.push_str(&format!("&{k}={}", form_encode(v)));
        }
        self.send("POST", path, &body).await
    }

    async fn send(&mut self, method: &str, path: &str, body: &str) -> anyhow::Result<Answer> {
        let mut s = tokio::net::TcpStream::connect(self.addr).await?;
        s.set_nodelay(true)?;
        let mut req = format!(
            "{method} {}{path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.base,
            self.addr,
            body.len()
        );
        if method == "POST" {
            req.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
        }
        if !self.cookies.is_empty() {
            let c: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            req.push_str(&format!("Cookie: {}\r\n", c.join("; ")));
        }
        req.push_str("\r\n");
        req.push_str(body);
        s.write_all(req.as_bytes()).await?;
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).await?;
        let a = parse(&raw).with_context(|| format!("{method} {}{path}", self.base))?;
        for (k, v) in &a.headers {
            if k.eq_ignore_ascii_case("set-cookie") {
                let pair = v.split(';').next().unwrap_or_default();
                if let Some((name, value)) = pair.split_once('=') {
                    if value.is_empty() || v.contains("Max-Age=0") {
                        self.cookies.remove(name);
                    } else {
                        self.cookies.insert(name.to_string(), value.to_string());
                    }
                }
            }
        }
        const FIELD: &str = "name=\"csrf\" value=\"";
        if let Some(i) = a.body.find(FIELD) {
            let rest = &a.body[i + FIELD.len()..];
            if let Some(end) = rest.find('"') {
                self.csrf = Some(rest[..end].to_string());
            }
        }
        Ok(a)
    }
}

fn form_encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn parse(raw: &[u8]) -> anyhow::Result<Answer> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| anyhow::anyhow!("no HTTP head in {} bytes", raw.len()))?;
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut body = raw[split + 4..].to_vec();
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no status line"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    if headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Ok(Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&body).to_string(),
    })
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = b.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&b[..eol]).trim(), 16).unwrap_or(0);
        let Some(chunk) = b.get(eol + 2..eol + 2 + size) else {
            break;
        };
        if size == 0 {
            break;
        }
        out.extend_from_slice(chunk);
        b = b.get(eol + 2 + size + 2..).unwrap_or_default();
    }
    out
}
