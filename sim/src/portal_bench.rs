//! `sovbench-bench portal`: the benchmark portal over an archive of many rounds. Fills an
//! aggregator with `rounds` published rounds of `nodes` enrolled administrations (the demo's
//! population, so the full cohort grid; pre-signed submissions through the real submission
//! path), then times the trend of every cell of the grid across all rounds and the rendering of
//! every dashboard page type, in process and over HTTP on loopback.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use sovbench_aggregator::portal::{self, api, html, Portal, PortalOptions};
use sovbench_aggregator::{Aggregator, RoundSpec};
use sovbench_core::cohort::{CohortAttributes, SizeClass};
use sovbench_core::envelope::Identity;
use sovbench_core::i18n::Lang;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// Latencies of one kind of request.
#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    /// What was timed.
    pub what: String,
    /// Requests timed.
    pub count: usize,
    /// Median, milliseconds.
    pub p50_ms: f64,
    /// 99th percentile, milliseconds.
    pub p99_ms: f64,
    /// Slowest, milliseconds.
    pub max_ms: f64,
}

/// The portal benchmark's result.
#[derive(Debug, Clone, Serialize)]
pub struct PortalTiming {
    /// Published rounds in the archive.
    pub rounds: usize,
    /// Enrolled administrations submitting each round.
    pub nodes: usize,
    /// Cells per publication (the grid).
    pub cells_per_round: usize,
    /// Seconds to fill the archive.
    pub fill_seconds: f64,
    /// Trends, pages, and HTTP requests.
    pub latencies: Vec<Latency>,
}

fn latency(what: &str, mut d: Vec<Duration>) -> Latency {
    d.sort();
    let ms = |q: f64| {
        let i = ((d.len() as f64 * q).ceil() as usize)
            .saturating_sub(1)
            .min(d.len().saturating_sub(1));
        d.get(i).map_or(0.0, |x| x.as_secs_f64() * 1e3)
    };
    Latency {
        what: what.to_string(),
        count: d.len(),
        p50_ms: ms(0.5),
        p99_ms: ms(0.99),
        max_ms: d.last().map_or(0.0, |x| x.as_secs_f64() * 1e3),
    }
}

/// Fills `rounds` rounds of `nodes` administrations into a fresh aggregator.
async fn fill(agg: &Arc<Aggregator>, nodes: usize, rounds: usize) -> anyhow::Result<()> {
    let population = crate::population::generate(nodes, 7);
    let ids: Vec<Identity> = (0..nodes)
        .map(|_| Identity::generate().map(|(i, _)| i))
        .collect::<Result<_, _>>()?;
    agg.enrol_many(
        ids.iter()
            .zip(&population)
            .map(|(i, a)| {
                let attrs = CohortAttributes {
                    kind: a.kind,
                    state: a.state.clone(),
                    size: SizeClass::classify(a.kind, a.size),
                };
                (i.public_key().to_vec(), a.name.clone(), attrs, a.size)
            })
            .collect(),
    )?;
    for r in 0..rounds {
        let id = format!("{}-q{}", 2020 + r / 4, 1 + r % 4);
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
        let in_flight = Arc::new(tokio::sync::Semaphore::new(1_024));
        let mut tasks = Vec::with_capacity(nodes);
        for (n, who) in ids.iter().enumerate() {
            let msg = crate::bench::bench_submission(
                who,
                &round,
                &params,
                n + r,
                sovbench_core::envelope::random_bytes(16)?,
            );
            let agg = agg.clone();
            let permit = in_flight.clone().acquire_owned().await?;
            tasks.push(tokio::spawn(async move {
                let res = agg.submit(msg).await;
                drop(permit);
                res
            }));
        }
        for t in tasks {
            t.await??;
        }
        agg.close_round(&id).await?;
        agg.publish(&id)?;
    }
    Ok(())
}

/// `GET path` over a fresh loopback connection; returns the status code.
async fn http_get(addr: std::net::SocketAddr, path: &str) -> anyhow::Result<u16> {
    let mut s = tokio::net::TcpStream::connect(addr).await?;
    s.set_nodelay(true)?;
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await?;
    let head = String::from_utf8_lossy(raw.get(..12).unwrap_or_default()).into_owned();
    Ok(head.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0))
}

/// Runs the benchmark.
pub async fn run(nodes: usize, rounds: usize) -> anyhow::Result<PortalTiming> {
    let tmp = tempfile::tempdir()?;
    let agg = Arc::new(Aggregator::init(&tmp.path().join("agg"), "Bench-Verbund")?);
    let started = Instant::now();
    fill(&agg, nodes, rounds).await?;
    let fill_seconds = started.elapsed().as_secs_f64();
    let p = Portal::new(agg.clone(), PortalOptions::default());
    let archive = p.rounds()?;
    let latest = archive
        .last()
        .ok_or_else(|| anyhow::anyhow!("no round published"))?
        .clone();
    let cells: Vec<(String, String)> = latest
        .publication
        .cells
        .iter()
        .map(|c| (c.metric.clone(), c.cohort.clone()))
        .collect();
    let mut latencies = Vec::new();
    // Trends of the full grid across all rounds, in process.
    let mut t = Vec::with_capacity(cells.len());
    for (m, c) in &cells {
        let s = Instant::now();
        let v = api::trend_json(&p, m, c, Lang::De)?;
        t.push(s.elapsed());
        anyhow::ensure!(v["points"].as_array().map(Vec::len) == Some(rounds));
    }
    latencies.push(latency("trend (in process), every cell of the grid", t));
    // Dashboard pages, in process.
    let round = latest.publication.round_id.clone();
    let cohort = cells
        .iter()
        .map(|(_, c)| c.clone())
        .find(|c| c.starts_with("kind=") && c.contains(','))
        .unwrap_or_else(|| "all".into());
    let pages = [
        ("page /".to_string(), "/".to_string(), None),
        ("page round".into(), format!("/rounds/{round}"), None),
        (
            "page cohort".into(),
            format!("/rounds/{round}/cohorts/{cohort}"),
            None,
        ),
        (
            "page trend".into(),
            "/trends/selftest.total".into(),
            Some("cohort=all"),
        ),
        ("page paths".into(), "/paths".into(), None),
        ("page methodik".into(), "/methodik".into(), None),
    ];
    for (name, path, query) in &pages {
        let mut t = Vec::new();
        for _ in 0..100 {
            let s = Instant::now();
            let r = html::render(&p, path, *query)?;
            let body = axum::body::to_bytes(r.into_body(), usize::MAX).await?;
            t.push(s.elapsed());
            anyhow::ensure!(body.len() > 1_000, "{path}: {} bytes", body.len());
        }
        latencies.push(latency(&format!("{name} (in process)"), t));
    }
    // The same over HTTP on loopback.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let opts = PortalOptions {
        rate: portal::limit::RateLimit {
            per_second: 1e9,
            burst: 1e9,
        },
    };
    let server = tokio::spawn(portal::serve(agg.clone(), listener, opts, async {
        let _ = stopped.await;
    }));
    let mut t = Vec::new();
    for (m, c) in cells.iter().take(500) {
        let path = format!(
            "/api/v1/trends?metric={}&cohort={}",
            portal::http::percent_encode(m),
            portal::http::percent_encode(c)
        );
        let s = Instant::now();
        let status = http_get(addr, &path).await?;
        t.push(s.elapsed());
        anyhow::ensure!(status == 200, "{path}: {status}");
    }
    latencies.push(latency("GET /api/v1/trends (HTTP, loopback)", t));
    let mut t = Vec::new();
    for _ in 0..100 {
        let s = Instant::now();
        let status = http_get(addr, &format!("/rounds/{round}")).await?;
        t.push(s.elapsed());
        anyhow::ensure!(status == 200);
    }
    latencies.push(latency("GET /rounds/{id} (HTTP, loopback)", t));
    let _ = stop.send(());
    server.await??;
    drop(p);
    Ok(PortalTiming {
        rounds,
        nodes,
        cells_per_round: cells.len(),
        fill_seconds,
        latencies,
    })
}
