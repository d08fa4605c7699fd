//! Benchmark of a whole secure round through the real programs (`sovbench-bench secure-round`):
//! one aggregator (its store, commit worker and gRPC server on loopback), m real trustees (their
//! own stores; key generation, bulletin check, noise and decryption over gRPC) and N enrolled
//! administrations whose submissions are encrypted and proved as a node does it.
//!
//! Measured: the node's CPU to encrypt and prove one submission, the aggregator's ingest of
//! signed submissions with proof verification until each is durably acknowledged, each trustee's
//! bulletin check with its noise shares, and its decryption shares, and the publication.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde::Serialize;
use sovbench_aggregator::{Aggregator, RoundSpec, SecureSpec};
use sovbench_core::catalogue::TrueValue;
use sovbench_core::cohort::{CohortAttributes, SizeClass};
use sovbench_core::envelope::{b64, Identity};
use sovbench_core::pb;
use sovbench_core::selftest::Dimension;
use sovbench_secure::encoding::{encrypt, Context};
use sovbench_secure::round::{Grid, SecureRound};
use sovbench_trustee::{Trustee, Work};

use crate::federation::Loopback;
use crate::population::generate;

/// Figures of one run.
#[derive(Debug, Clone, Serialize)]
pub struct SecureRoundTiming {
    /// Administrations.
    pub administrations: usize,
    /// Trustees m and threshold t.
    pub committee: (usize, usize),
    /// Key generation of the m trustees through the aggregator, seconds (wall).
    pub dkg_s: f64,
    /// Node: encrypt and prove the five dimensions, mean CPU milliseconds per submission (one
    /// thread).
    pub node_ms: f64,
    /// Bytes of one signed submission.
    pub submission_bytes: usize,
    /// Aggregator: submissions verified and durably acknowledged per second (wall, all cores).
    pub ingest_per_s: f64,
    /// Cells of the publication with an estimate (not suppressed).
    pub cells: usize,
    /// Each trustee alone: bulletin check and noise shares, seconds (slowest of the m).
    pub trustee_noise_s: f64,
    /// Each trustee alone: decryption shares, seconds (slowest of the first t − 1, whose posts
    /// do not yet publish).
    pub trustee_decrypt_s: f64,
    /// Publication: verifying and combining the shares, estimates, signing and storing, seconds:
    /// the t-th trustee's decryption pass (whose post makes the aggregator publish) minus the
    /// mean pass of the others.
    pub publication_s: f64,
}

/// Runs one secure round of `n` administrations with `m` trustees, threshold `t`, submitting
/// with `concurrency` requests in flight.
pub async fn run(
    n: usize,
    m: usize,
    t: usize,
    concurrency: usize,
) -> anyhow::Result<SecureRoundTiming> {
    let tmp = tempfile::tempdir().context("temporary folder")?;
    let agg = Arc::new(Aggregator::init(
        &tmp.path().join("aggregator"),
        "Bench-Verbund",
    )?);
    // Every trustee is measured alone, one after the other: the aggregator waits for all.
    let server =
        Loopback::start_with_noise_wait(agg.clone(), Duration::from_secs(24 * 3_600)).await?;
    let key = b64(agg.public_key());

    // Committee by distributed key generation over gRPC.
    let trustees = (0..m)
        .map(|i| Trustee::init(&tmp.path().join(format!("trustee-{i}")), &server.url, &key))
        .collect::<Result<Vec<_>, _>>()?;
    agg.create_ceremony(
        "bench",
        u32::try_from(t)?,
        trustees.iter().map(|x| x.public_key().to_vec()).collect(),
    )?;
    let started = Instant::now();
    futures_util::future::try_join_all(
        trustees
            .iter()
            .map(|x| x.dkg("bench", Duration::from_millis(20))),
    )
    .await
    .context("key generation")?;
    let dkg_s = started.elapsed().as_secs_f64();

    // Enrolment and the round.
    let population = generate(n, 11);
    let identities = (0..n)
        .map(|_| Identity::generate().map(|(id, _)| id))
        .collect::<Result<Vec<_>, _>>()?;
    agg.enrol_many(
        identities
            .iter()
            .zip(&population)
            .map(|(id, a)| {
                (
                    id.public_key().to_vec(),
                    a.name.clone(),
                    CohortAttributes {
                        kind: a.kind,
                        state: a.state.clone(),
                        size: SizeClass::classify(a.kind, a.size),
                    },
                    a.size,
                )
            })
            .collect(),
    )?;
    let params = agg.open_round(RoundSpec {
        round_id: "bench".into(),
        metrics: Vec::new(),
        epsilon_per_release: 2.0,
        releases_per_node: 0,
        min_cohort: 10,
        closes_at: agg.now() + 24 * 3_600,
        secure: Some(SecureSpec {
            ceremony: "bench".into(),
            grid: Grid::KindSize,
            all_weight: 0.0,
            path_bound: 0,
        }),
    })?;
    let round = SecureRound::from_params(&params)?;
    let signed_round = agg.signed_round(Some("bench"))?;
    let params_hash = sovbench_core::sha256(&signed_round.payload).to_vec();

    // Nodes: encrypt and prove (timed on one thread), sign.
    let started = Instant::now();
    let mut messages = Vec::with_capacity(n);
    for (id, a) in identities.iter().zip(&population) {
        let mut encrypted = Vec::with_capacity(round.metrics.len());
        let ctx = Context {
            round_id: "bench",
            signer: id.public_key(),
        };
        for (def, d) in round.metrics.iter().zip(Dimension::ALL) {
            let v = TrueValue::Int(i64::from(a.assessment.score(d)));
            let enc = encrypt(round.committee.key(), def, &v, &ctx, &mut rand::rngs::OsRng)?;
            encrypted.push(pb::EncryptedValue {
                metric: def.id.clone(),
                value: enc.to_bytes()?,
            });
        }
        messages.push(id.seal(pb::payload::Body::Submission(pb::Submission {
            round_id: "bench".into(),
            round_params_hash: params_hash.clone(),
            releases: Vec::new(),
            created_at: agg.now(),
            nonce: sovbench_core::envelope::random_bytes(16)?,
            encrypted,
        })));
    }
    let node_ms = started.elapsed().as_secs_f64() * 1_000.0 / n.max(1) as f64;
    let submission_bytes = messages.first().map_or(0, |m| {
        use prost::Message as _;
        m.encoded_len()
    });

    // Aggregator ingest: every submission verified and durably acknowledged.
    let started = Instant::now();
    let sem = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for msg in messages {
        let (agg, sem) = (agg.clone(), sem.clone());
        tasks.spawn(async move {
            let _permit = sem.acquire_owned().await?;
            agg.submit(msg).await.map_err(anyhow::Error::from)
        });
    }
    while let Some(res) = tasks.join_next().await {
        res??;
    }
    let ingest_per_s = n as f64 / started.elapsed().as_secs_f64();

    // Close, announce; each trustee alone checks the bulletin and posts noise.
    agg.close_round("bench").await?;
    agg.advance_secure("bench")?;
    let mut trustee_noise_s: f64 = 0.0;
    for x in &trustees {
        let started = Instant::now();
        let w = x.work_once().await?;
        anyhow::ensure!(
            matches!(w, Work::Noise { .. }),
            "trustee noise phase: {w:?}"
        );
        trustee_noise_s = trustee_noise_s.max(started.elapsed().as_secs_f64());
    }
    agg.advance_secure("bench")?;
    let mut passes = Vec::with_capacity(t);
    for x in &trustees[..t] {
        let started = Instant::now();
        let w = x.work_once().await?;
        anyhow::ensure!(
            matches!(w, Work::Decrypted { .. }),
            "trustee decryption: {w:?}"
        );
        passes.push(started.elapsed().as_secs_f64());
    }
    let before = &passes[..t.saturating_sub(1)];
    let trustee_decrypt_s = before.iter().copied().fold(0.0, f64::max);
    let mean = before.iter().sum::<f64>() / before.len().max(1) as f64;
    let publication_s = (passes.last().copied().unwrap_or(0.0) - mean).max(0.0);
    anyhow::ensure!(
        agg.advance_secure("bench")?.is_some(),
        "the round was not published"
    );
    let cells = {
        let p = agg.publication(Some("bench"))?;
        match sovbench_core::envelope::open(&p)?.body {
            pb::payload::Body::Publication(p) => p.cells.iter().filter(|c| !c.suppressed).count(),
            _ => 0,
        }
    };
    server.stop().await?;
    Ok(SecureRoundTiming {
        administrations: n,
        committee: (m, t),
        dkg_s,
        node_ms,
        submission_bytes,
        ingest_per_s,
        cells,
        trustee_noise_s,
        trustee_decrypt_s,
        publication_s,
    })
}
