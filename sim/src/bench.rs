//! Benchmarks: the aggregator's submission path (many enrolled identities send pre-signed
//! submissions concurrently over real gRPC on loopback; the aggregator verifies, checks and
//! durably stores them with group commit and `fsync`), the inventory import, and peer matching
//! (in memory and over gRPC).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use sovbench_aggregator::{Aggregator, RoundSpec};
use sovbench_core::cohort::{CohortAttributes, Kind, SizeClass};
use sovbench_core::envelope::Identity;
use sovbench_core::pb;

use crate::federation::Loopback;

/// Result of a throughput run.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Throughput {
    /// Submissions sent (and acknowledged).
    pub submissions: usize,
    /// Concurrent clients.
    pub concurrency: usize,
    /// Wall time of the sending phase, seconds.
    pub seconds: f64,
    /// Acknowledged submissions per second.
    pub per_second: f64,
    /// Median latency, milliseconds.
    pub p50_ms: f64,
    /// 99th percentile latency, milliseconds.
    pub p99_ms: f64,
}

/// Sends `count` submissions from `count` enrolled identities with `concurrency` clients.
pub async fn submission_throughput(count: usize, concurrency: usize) -> anyhow::Result<Throughput> {
    let tmp = tempfile::tempdir()?;
    let agg = Arc::new(Aggregator::init(&tmp.path().join("agg"), "Bench")?);
    agg.open_round(RoundSpec {
        round_id: "bench".into(),
        metrics: Vec::new(),
        epsilon_per_release: 1.0,
        releases_per_node: 1,
        min_cohort: 10,
        closes_at: sovbench_core::now_unix() + 3_600,
        secure: None,
    })?;
    let round = agg.signed_round(Some("bench"))?;
    let params = agg.round_params("bench")?;
    let ids: Vec<Identity> = (0..count)
        .map(|_| Identity::generate().map(|(i, _)| i))
        .collect::<Result<_, _>>()?;
    let attrs = CohortAttributes {
        kind: Kind::Gemeinde,
        state: "DE-NW".into(),
        size: SizeClass::Pop5kTo20k,
    };
    agg.enrol_many(
        ids.iter()
            .map(|i| {
                (
                    i.public_key().to_vec(),
                    "bench".to_string(),
                    attrs.clone(),
                    10_000,
                )
            })
            .collect(),
    )?;
    let msgs: Vec<pb::SignedMessage> = ids
        .iter()
        .enumerate()
        .map(|(n, id)| bench_submission(id, &round, &params, n, (n as u64).to_le_bytes().to_vec()))
        .collect();
    let server = Loopback::start(agg.clone()).await?;
    let started = Instant::now();
    let latencies = send_all(&server.url, msgs, concurrency, Rpc::Submit).await?;
    let seconds = started.elapsed().as_secs_f64();
    server.stop().await?;
    anyhow::ensure!(
        agg.rounds()?.first().map(|r| r.submissions) == Some(count),
        "not every submission was stored"
    );
    Ok(Throughput {
        submissions: count,
        concurrency,
        seconds,
        per_second: count as f64 / seconds,
        p50_ms: percentile_ms(&latencies, 0.5),
        p99_ms: percentile_ms(&latencies, 0.99),
    })
}

/// Timing of an inventory import and a readiness check.
#[derive(Debug, Clone, serde::Serialize)]
pub struct InventoryTiming {
    /// Systems.
    pub systems: usize,
    /// Parse and validate the CSV file, seconds.
    pub parse_seconds: f64,
    /// Store all systems (one batch, one durable commit), seconds.
    pub store_seconds: f64,
    /// Load the inventory, run the readiness check and store its result, seconds.
    pub readiness_seconds: f64,
    /// All three, seconds.
    pub total_seconds: f64,
}

/// Imports an inventory of `count` systems (the sample, repeated with new names) into a fresh
/// node and runs the readiness check.
pub fn inventory_import(count: usize) -> anyhow::Result<InventoryTiming> {
    use sovbench_node::inventory::io::{parse_csv, to_csv};
    let tmp = tempfile::tempdir()?;
    let template = crate::population::sample_inventory();
    anyhow::ensure!(!template.is_empty(), "the sample inventory is empty");
    let systems: Vec<_> = (0..count)
        .map(|i| {
            let mut s = template[i % template.len()].clone();
            s.name = format!("{} #{i:05}", s.name);
            s
        })
        .collect();
    let csv_text = to_csv(&systems, sovbench_core::i18n::Lang::De)?;
    let node = sovbench_node::Node::init(
        &tmp.path().join("node"),
        sovbench_node::InitOptions {
            name: "Bench".into(),
            kind: "stadt".into(),
            state: "DE-NW".into(),
            size: 50_000,
            aggregator_url: None,
            aggregator_key: None,
            committee_fingerprint: None,
            policy: None,
        },
    )?;
    let t0 = Instant::now();
    let parsed = parse_csv(&csv_text)?;
    let t1 = Instant::now();
    node.store().put_systems(&parsed, true)?;
    let t2 = Instant::now();
    let loaded = node.store().systems()?;
    let now = sovbench_core::now_unix();
    let result = sovbench_node::readiness::check(&loaded, &[], now.div_euclid(86_400), now);
    node.store().add_readiness(&result)?;
    let t3 = Instant::now();
    anyhow::ensure!(loaded.len() == count, "stored {} of {count}", loaded.len());
    Ok(InventoryTiming {
        systems: count,
        parse_seconds: (t1 - t0).as_secs_f64(),
        store_seconds: (t2 - t1).as_secs_f64(),
        readiness_seconds: (t3 - t2).as_secs_f64(),
        total_seconds: (t3 - t0).as_secs_f64(),
    })
}

/// Timing of peer matching.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MatchingTiming {
    /// Offering administrations.
    pub administrations: usize,
    /// Offers (an administration may offer several paths).
    pub offers: usize,
    /// Largest number of candidates of one list.
    pub max_candidates: usize,
    /// Match lists computed (one per offer).
    pub lists: usize,
    /// Matches per list.
    pub limit: usize,
    /// Threads used.
    pub threads: usize,
    /// Wall time to compute every list, seconds.
    pub seconds: f64,
    /// Mean time per list, microseconds.
    pub per_list_us: f64,
}

/// The offers of `administrations` simulated administrations that each have at least one
/// catalogue path (population and paths from `seed`, as in the demo).
pub fn simulated_offers(
    administrations: usize,
    seed: u64,
) -> Vec<sovbench_aggregator::model::StoredOffer> {
    let mut offers = Vec::new();
    let mut found = 0;
    let mut batch = 0u64;
    while found < administrations {
        let pop = crate::population::generate(administrations.max(100), seed ^ batch);
        for (i, a) in pop.iter().enumerate() {
            if found >= administrations {
                break;
            }
            let items: Vec<_> = crate::population::paths_for(a, i, seed ^ batch)
                .into_iter()
                .filter_map(|p| p.catalogue_item().map(|item| (item, p.stage)))
                .collect();
            if items.is_empty() {
                continue;
            }
            let key = sovbench_core::sha256(format!("{batch}/{i}").as_bytes()).to_vec();
            for (item, stage) in items {
                offers.push(sovbench_aggregator::model::StoredOffer {
                    node_key: key.clone(),
                    path_id: item.id.clone(),
                    category: item.category,
                    stage,
                    attributes: CohortAttributes {
                        kind: a.kind,
                        state: a.state.clone(),
                        size: a.size_class(),
                    },
                    offered_at: 0,
                    seq: offers.len() as u64 + 1,
                });
            }
            found += 1;
        }
        batch += 1;
    }
    offers
}

/// Computes the match list of every offer of `administrations` offering administrations, with
/// `threads` threads sharing the (read-only) book.
pub fn matching(
    administrations: usize,
    limit: usize,
    threads: usize,
    seed: u64,
) -> anyhow::Result<MatchingTiming> {
    use sovbench_aggregator::peers::PeerBook;
    let offers = simulated_offers(administrations, seed);
    let mut book = PeerBook::new(b"bench secret");
    for o in &offers {
        book.insert_offer(o.clone());
    }
    let threads = threads.max(1);
    let chunk = offers.len().div_ceil(threads);
    let t0 = Instant::now();
    let results: Vec<(usize, usize)> = std::thread::scope(|s| {
        let handles: Vec<_> = offers
            .chunks(chunk.max(1))
            .map(|part| {
                let book = &book;
                s.spawn(move || {
                    let mut lists = 0;
                    let mut max_candidates = 0;
                    for o in part {
                        if let Some((m, candidates)) = book.matches(&o.node_key, &o.path_id, limit)
                        {
                            lists += 1;
                            max_candidates = max_candidates.max(candidates);
                            std::hint::black_box(m);
                        }
                    }
                    (lists, max_candidates)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or((0, 0)))
            .collect()
    });
    let seconds = t0.elapsed().as_secs_f64();
    let lists: usize = results.iter().map(|r| r.0).sum();
    anyhow::ensure!(
        lists == offers.len(),
        "{lists} lists for {} offers",
        offers.len()
    );
    Ok(MatchingTiming {
        administrations,
        offers: offers.len(),
        max_candidates: results.iter().map(|r| r.1).max().unwrap_or(0),
        lists,
        limit,
        threads,
        seconds,
        per_list_us: seconds * 1e6 / lists.max(1) as f64,
    })
}

/// Timing of peer matching through the aggregator's gRPC service.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MatchingServiceTiming {
    /// Offering administrations (each a real enrolled identity).
    pub administrations: usize,
    /// Offers sent.
    pub offers: usize,
    /// Concurrent clients.
    pub concurrency: usize,
    /// Wall time to send every offer (each acknowledged after a durable commit), seconds.
    pub offer_seconds: f64,
    /// Wall time to fetch every offer's signed match list, seconds.
    pub match_seconds: f64,
    /// Median latency of a match query, milliseconds.
    pub match_p50_ms: f64,
    /// 99th percentile latency of a match query, milliseconds.
    pub match_p99_ms: f64,
}

/// The call a benchmark client makes.
#[derive(Debug, Clone, Copy)]
enum Rpc {
    Submit,
    PeerOffer,
    PeerMatches,
}

/// Sends `msgs` with `concurrency` clients (each its own connection); returns every call's
/// latency, sorted. Any refusal fails the run.
async fn send_all(
    url: &str,
    msgs: Vec<pb::SignedMessage>,
    concurrency: usize,
    rpc: Rpc,
) -> anyhow::Result<Vec<Duration>> {
    let c = concurrency.max(1);
    let mut chunks: Vec<Vec<pb::SignedMessage>> = (0..c).map(|_| Vec::new()).collect();
    for (i, m) in msgs.into_iter().enumerate() {
        chunks[i % c].push(m);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for chunk in chunks {
        let url = url.to_string();
        tasks.spawn(async move {
            let mut client = pb::aggregator_client::AggregatorClient::connect(url).await?;
            let mut lat = Vec::with_capacity(chunk.len());
            for m in chunk {
                let t = Instant::now();
                match rpc {
                    Rpc::Submit => client.submit(m).await.map(drop),
                    Rpc::PeerOffer => client.peer_offer(m).await.map(drop),
                    Rpc::PeerMatches => client.peer_matches(m).await.map(drop),
                }
                .with_context(|| format!("{rpc:?} refused"))?;
                lat.push(t.elapsed());
            }
            anyhow::Ok(lat)
        });
    }
    let mut all = Vec::new();
    while let Some(r) = tasks.join_next().await {
        all.extend(r??);
    }
    all.sort();
    Ok(all)
}

/// The `p` quantile of sorted latencies, in milliseconds.
pub(crate) fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    sorted
        .get(((sorted.len() as f64 - 1.0) * p).round() as usize)
        .map_or(0.0, |d| d.as_secs_f64() * 1_000.0)
}

/// `administrations` enrolled identities offer their simulated paths over gRPC, then each asks
/// for the signed match list of every offer, with `concurrency` clients.
pub async fn matching_service(
    administrations: usize,
    concurrency: usize,
    seed: u64,
) -> anyhow::Result<MatchingServiceTiming> {
    let tmp = tempfile::tempdir()?;
    let agg = Arc::new(Aggregator::init(&tmp.path().join("agg"), "Bench")?);
    let offers = simulated_offers(administrations, seed);
    let mut ids: Vec<(Vec<u8>, Identity)> = Vec::new();
    let mut enrol = Vec::new();
    for o in &offers {
        if ids.last().is_some_and(|(k, _)| *k == o.node_key) {
            continue;
        }
        let (id, _) = Identity::generate()?;
        enrol.push((
            id.public_key().to_vec(),
            "bench".to_string(),
            o.attributes.clone(),
            10_000,
        ));
        ids.push((o.node_key.clone(), id));
    }
    agg.enrol_many(enrol)?;
    let by_key: std::collections::HashMap<&[u8], &Identity> =
        ids.iter().map(|(k, i)| (k.as_slice(), i)).collect();
    let identity = |key: &[u8]| by_key.get(key).copied();
    let server = Loopback::start(agg.clone()).await?;
    let mut offer_msgs = Vec::with_capacity(offers.len());
    let mut query_msgs = Vec::with_capacity(offers.len());
    for o in &offers {
        let id = identity(&o.node_key).context("identity")?;
        offer_msgs.push(id.seal(pb::payload::Body::PeerOffer(pb::PeerOffer {
            path_id: o.path_id.clone(),
            stage: o.stage.key().to_string(),
            issued_at: sovbench_core::now_unix(),
            nonce: sovbench_core::peers::fresh_nonce()?,
        })));
    }
    let t0 = Instant::now();
    send_all(&server.url, offer_msgs, concurrency, Rpc::PeerOffer).await?;
    let offer_seconds = t0.elapsed().as_secs_f64();
    for o in &offers {
        let id = identity(&o.node_key).context("identity")?;
        query_msgs.push(
            id.seal(pb::payload::Body::PeerMatchesQuery(pb::PeerMatchesQuery {
                path_id: o.path_id.clone(),
                limit: 10,
                issued_at: sovbench_core::now_unix(),
                nonce: sovbench_core::peers::fresh_nonce()?,
            })),
        );
    }
    let t1 = Instant::now();
    let lat = send_all(&server.url, query_msgs, concurrency, Rpc::PeerMatches).await?;
    let match_seconds = t1.elapsed().as_secs_f64();
    server.stop().await?;
    anyhow::ensure!(
        agg.peers().overview().offer_count == offers.len(),
        "not every offer stored"
    );
    Ok(MatchingServiceTiming {
        administrations,
        offers: offers.len(),
        concurrency,
        offer_seconds,
        match_seconds,
        match_p50_ms: percentile_ms(&lat, 0.5),
        match_p99_ms: percentile_ms(&lat, 0.99),
    })
}

/// A pre-signed submission of identity number `n` for a round asking for discrete-Laplace
/// metrics at ε = 1 (scale 4 for the 1-5 range): one release, of metric `n` modulo the round's.
pub fn bench_submission(
    id: &sovbench_core::envelope::Identity,
    round: &pb::SignedMessage,
    params: &pb::RoundParams,
    n: usize,
    nonce: Vec<u8>,
) -> pb::SignedMessage {
    id.seal(pb::payload::Body::Submission(pb::Submission {
        round_id: params.round_id.clone(),
        round_params_hash: sovbench_core::sha256(&round.payload).to_vec(),
        releases: vec![pb::Release {
            metric: params.metrics[n % params.metrics.len()].id.clone(),
            mechanism: pb::Mechanism::DiscreteLaplace as i32,
            value: (n % 9) as i64 - 2,
            scale: 4.0,
            epsilon: 1.0,
            ..Default::default()
        }],
        created_at: sovbench_core::now_unix(),
        nonce,
        encrypted: Vec::new(),
    }))
}
