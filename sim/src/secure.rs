//! Benchmark of the encrypted-aggregation core (`sovbench-bench secure`): what one round of the
//! five self-test dimensions costs the node, the aggregator, each trustee and the publication, for
//! a consortium of N administrations on this machine.

use std::time::Instant;

use serde::Serialize;
use sovbench_core::catalogue::{Catalogue, TrueValue};
use sovbench_core::cohort::{CohortAttributes, Kind, SizeClass};
use sovbench_secure::committee::deal_for_tests;
use sovbench_secure::decryption::{combine, share, Table};
use sovbench_secure::encoding::{encrypt, Context, Encrypted};
use sovbench_secure::noise::{self, NoiseSpec};
use sovbench_secure::Ciphertext;

/// Figures of one run.
#[derive(Debug, Clone, Serialize)]
pub struct SecureTiming {
    /// Administrations.
    pub administrations: usize,
    /// Cells decrypted (kind × size cells with at least one member, times five dimensions).
    pub cells: usize,
    /// Node: encrypt and prove the five dimensions, mean CPU milliseconds per administration.
    pub node_ms: f64,
    /// Bytes of one submission's encrypted values.
    pub submission_bytes: usize,
    /// Aggregator: submissions verified and added per second, with `threads` threads.
    pub ingest_per_s: f64,
    /// One trustee: verifying every entry of the bulletin again, then noise shares and
    /// decryption shares of every cell, seconds.
    pub trustee_s: f64,
    /// Publication: verifying t shares per cell, combining and the table lookup, seconds.
    pub publication_s: f64,
    /// Threads used for node and aggregator work.
    pub threads: usize,
}

fn parallel<T: Send, F: Fn(usize) -> T + Sync>(n: usize, threads: usize, f: F) -> Vec<T> {
    let chunk = n.div_ceil(threads.max(1));
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads.max(1))
            .map(|t| {
                let f = &f;
                s.spawn(move || {
                    (t * chunk..((t + 1) * chunk).min(n))
                        .map(f)
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

/// Runs the benchmark for `n` administrations with a committee of `m` trustees, threshold `t`.
pub fn run(n: usize, m: usize, t: usize, threads: usize) -> anyhow::Result<SecureTiming> {
    let mut rng = rand::rngs::OsRng;
    let (committee, trustees) = deal_for_tests(m, t, &mut rng)?;
    let key = committee.key().clone();
    let cat = Catalogue::shared();
    let defs: Vec<_> = cat.default_round_metrics();
    let kinds = [Kind::Gemeinde, Kind::Stadt, Kind::Landkreis];
    let attrs = |i: usize| {
        let kind = kinds[i % kinds.len()];
        let size = SizeClass::classify(kind, 1_000 + (i as u64 * 7_919) % 400_000);
        CohortAttributes {
            kind,
            state: "DE-SH".into(),
            size,
        }
    };

    // Each simulated administration signs with a key of its own: its index, as bytes.
    let signers: Vec<[u8; 32]> = (0..n)
        .map(|i| {
            let mut k = [0u8; 32];
            k[..8].copy_from_slice(&(i as u64).to_be_bytes());
            k
        })
        .collect();
    let ctx = |i: usize| Context {
        round_id: "bench",
        signer: &signers[i],
    };
    // Node: encrypt and prove, timed per administration.
    let start = Instant::now();
    let submissions: Vec<Vec<Vec<u8>>> = parallel(n, threads, |i| {
        let mut rng = rand::rngs::OsRng;
        defs.iter()
            .enumerate()
            .map(|(d, def)| {
                let v = 1 + ((i * 31 + d * 7) % 5) as i64;
                encrypt(&key, def, &TrueValue::Int(v), &ctx(i), &mut rng)
                    .and_then(|e| e.to_bytes())
                    .unwrap_or_default()
            })
            .collect()
    });
    let node_ms = start.elapsed().as_secs_f64() * 1e3 * threads as f64 / n as f64;
    let submission_bytes = submissions
        .first()
        .map_or(0, |s| s.iter().map(Vec::len).sum());

    // Aggregator: decode, verify, add into kind × size cells.
    let verify = |i: usize| -> Option<Vec<Ciphertext>> {
        defs.iter()
            .zip(&submissions[i])
            .map(|(def, bytes)| {
                Encrypted::from_bytes(&def.id, bytes)
                    .and_then(|e| e.verify(&key, def, &ctx(i)))
                    .ok()
                    .map(|c| c[0])
            })
            .collect()
    };
    let start = Instant::now();
    let verified: Vec<Option<Vec<Ciphertext>>> = parallel(n, threads, verify);
    let mut cells: std::collections::BTreeMap<(String, usize), (Ciphertext, u64)> =
        Default::default();
    for (i, v) in verified.iter().enumerate() {
        let v = v
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("submission {i} did not verify"))?;
        let a = attrs(i);
        for (d, c) in v.iter().enumerate() {
            let e = cells
                .entry((format!("{}/{}", a.kind.key(), a.size.key()), d))
                .or_insert((Ciphertext::zero(), 0));
            e.0 += *c;
            e.1 += 1;
        }
    }
    let ingest_per_s = n as f64 / start.elapsed().as_secs_f64();

    // One trustee: the bulletin checked again (every proof), then noise and decryption shares.
    let spec = NoiseSpec::new(10.0, m, t)?;
    let start = Instant::now();
    let again = parallel(n, threads, verify);
    anyhow::ensure!(
        again.iter().all(Option::is_some),
        "the bulletin did not verify"
    );
    let mut noisy: Vec<Ciphertext> = Vec::new();
    for (c, _) in cells.values() {
        let mut c = *c;
        // Every trustee's share, bounded and range-proved, and its proof checked.
        for _ in 0..m {
            let v = noise::proof::bounded_share(&spec, &mut rng)?;
            let (shifted, proof) = noise::proof::prove(&key, &spec, v, &mut rng)?;
            c += noise::proof::open(&key, &spec, shifted, &proof)?;
        }
        noisy.push(c);
    }
    let shares: Vec<Vec<_>> = trustees
        .iter()
        .take(t)
        .map(|tr| noisy.iter().map(|c| share(tr, *c, &mut rng)).collect())
        .collect();
    // Every trustee does this once; the figure is one trustee's share of it (the bulletin check
    // once, shares for every cell once).
    let trustee_s = start.elapsed().as_secs_f64() / t as f64;

    // Publication: verify t shares per cell, combine, look up.
    let start = Instant::now();
    let max_sum = cells.values().map(|(_, k)| k * 4).max().unwrap_or(0);
    let table = Table::new(max_sum, spec.bound());
    for (j, c) in noisy.iter().enumerate() {
        let per_cell: Vec<_> = shares.iter().map(|s| s[j].clone()).collect();
        combine(&committee, *c, &per_cell, &table)?;
    }
    let publication_s = start.elapsed().as_secs_f64();
    Ok(SecureTiming {
        administrations: n,
        cells: cells.len(),
        node_ms,
        submission_bytes,
        ingest_per_s,
        trustee_s,
        publication_s,
        threads,
    })
}
