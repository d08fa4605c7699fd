//! `sovbench-bench enrolment`: many keys enrolled through the admin API of a real served
//! aggregator (gRPC on loopback, each request signed with the operator key, admitted, executed
//! with its durable commit and answered signed, as `sovbench-aggregator enrol` does while
//! `serve` runs), with several concurrent callers. Besides the total it compares the latency of
//! the first and the last tenth of the enrolments: an enrolment must cost the same however many
//! exist (issue 19, item 5: once 2.4 ms at first, 1.18 s with 32 callers after tens of
//! thousands), and counts the store's whole-table reads during the run (none expected).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde::Serialize;
use sovbench_aggregator::admin::client::{AdminClient, Via};
use sovbench_aggregator::admin::commands::Style;
use sovbench_aggregator::aggregator::KEY_FILE;
use sovbench_aggregator::Aggregator;
use sovbench_core::envelope::{b64, Identity};
use sovbench_core::i18n::Lang;
use sovbench_core::pb;

use crate::bench::percentile_ms;
use crate::federation::Loopback;

/// The enrolment benchmark's result.
#[derive(Debug, Clone, Serialize)]
pub struct EnrolmentTiming {
    /// Keys enrolled (each its own signed admin request).
    pub enrolments: usize,
    /// Concurrent callers.
    pub concurrency: usize,
    /// Wall time of all enrolments, seconds.
    pub seconds: f64,
    /// Enrolments per second.
    pub per_second: f64,
    /// Median latency of one enrolment (request to signed answer), milliseconds.
    pub p50_ms: f64,
    /// 99th percentile, milliseconds.
    pub p99_ms: f64,
    /// Median latency of the first tenth of the enrolments, milliseconds.
    pub first_tenth_p50_ms: f64,
    /// Median latency of the last tenth (when nine tenths are enrolled), milliseconds.
    pub last_tenth_p50_ms: f64,
    /// Whole-table reads of the store during the run (0: no enrolment scanned a table).
    pub table_reads: u64,
}

/// Enrols `count` new keys through the admin API of an aggregator served on `127.0.0.1:0`, with
/// `concurrency` callers.
pub async fn run(count: usize, concurrency: usize) -> anyhow::Result<EnrolmentTiming> {
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().join("agg");
    let agg = Arc::new(Aggregator::init(&dir, "Bench")?);
    let keys: Vec<Vec<u8>> = (0..count)
        .map(|_| Identity::generate().map(|(i, _)| i.public_key().to_vec()))
        .collect::<Result<_, _>>()?;
    let server = Loopback::start(agg.clone()).await?;
    let via = Via::Url {
        url: server.url.clone(),
        ca: None,
    };
    let client = Arc::new(AdminClient::new(
        via,
        &dir.join(KEY_FILE),
        agg.public_key().to_vec(),
    )?);
    let keys = Arc::new(keys);
    let next = Arc::new(AtomicUsize::new(0));
    let reads_before = agg.store_table_reads();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let (client, keys, next) = (client.clone(), keys.clone(), next.clone());
        tasks.spawn(async move {
            let mut lat: Vec<(usize, Duration)> = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(key) = keys.get(i) else {
                    return anyhow::Ok(lat);
                };
                let t = Instant::now();
                let out = client
                    .call(
                        enrol_command(key, i),
                        Style {
                            json: false,
                            lang: Lang::En,
                        },
                    )
                    .await
                    .with_context(|| format!("enrolment {i}"))?;
                anyhow::ensure!(
                    out.output.starts_with("Enrolled:"),
                    "enrolment {i}: {}",
                    out.output
                );
                lat.push((i, t.elapsed()));
            }
        });
    }
    let mut all = Vec::with_capacity(count);
    while let Some(r) = tasks.join_next().await {
        all.extend(r??);
    }
    let seconds = started.elapsed().as_secs_f64();
    let table_reads = agg.store_table_reads() - reads_before;
    server.stop().await?;
    anyhow::ensure!(
        agg.enrolments()?.len() == count,
        "not every key was enrolled"
    );
    all.sort_by_key(|(i, _)| *i);
    let tenth = (count / 10).max(1);
    let median = |part: &[(usize, Duration)]| {
        let mut d: Vec<Duration> = part.iter().map(|(_, d)| *d).collect();
        d.sort();
        percentile_ms(&d, 0.5)
    };
    let first_tenth_p50_ms = median(&all[..tenth.min(all.len())]);
    let last_tenth_p50_ms = median(&all[all.len().saturating_sub(tenth)..]);
    let mut sorted: Vec<Duration> = all.iter().map(|(_, d)| *d).collect();
    sorted.sort();
    Ok(EnrolmentTiming {
        enrolments: count,
        concurrency: concurrency.max(1),
        seconds,
        per_second: count as f64 / seconds,
        p50_ms: percentile_ms(&sorted, 0.5),
        p99_ms: percentile_ms(&sorted, 0.99),
        first_tenth_p50_ms,
        last_tenth_p50_ms,
        table_reads,
    })
}

/// The admin command enrolling `key` as the `i`-th municipality.
fn enrol_command(key: &[u8], i: usize) -> pb::admin_request::Command {
    pb::admin_request::Command::Enrol(pb::AdminEnrol {
        key: b64(key),
        name: format!("Gemeinde {i:05}"),
        kind: "gemeinde".into(),
        state: "DE-NW".into(),
        population: Some(5_000 + (i as u64 % 50) * 1_000),
        ..Default::default()
    })
}
