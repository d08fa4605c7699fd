//! Cost of the path block (docs/BENCHMARKS.md, "Path block"): node encryption with proofs and
//! the aggregator's verification, for a round over P path metrics with path bound b.
//!
//! `cargo run --release -p sovbench-secure --example path_block -- [P] [b] [repetitions]`

use std::time::Instant;

use sovbench_core::catalogue::{Catalogue, MetricDef, TrueValue};
use sovbench_core::paths::path_catalogue;
use sovbench_core::pb;
use sovbench_secure::bulletin::verify_submission;
use sovbench_secure::committee::deal_for_tests;
use sovbench_secure::encoding::paths::encrypt_submission;
use sovbench_secure::round::{Grid, SecureRound};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    let paths = args.first().copied().unwrap_or(7);
    let bound = args.get(1).copied().unwrap_or(3) as u32;
    let reps = args.get(2).copied().unwrap_or(50);
    let cat = Catalogue::shared();
    let metrics: Vec<MetricDef> = path_catalogue()
        .iter()
        .take(paths)
        .filter_map(|p| cat.metric(&p.id).cloned())
        .collect();
    let (committee, _) = deal_for_tests(5, 3, &mut rand::rngs::OsRng)?;
    let round = SecureRound {
        round_id: "bench".into(),
        committee,
        trustee_keys: vec![vec![0; 32]; 5],
        grid: Grid::KindSize,
        epsilon: 2.0,
        all_weight: 0.0,
        metrics,
        min_cohort: 10,
        path_bound: bound,
    };
    // On three paths: pilot, rollout, rolled back.
    let truths: Vec<TrueValue> = (0..round.metrics.len())
        .map(|i| {
            TrueValue::Category(
                ["pilot", "rollout", "zurueckgerollt"]
                    .get(i)
                    .copied()
                    .unwrap_or("keiner")
                    .into(),
            )
        })
        .collect();
    let mut subs = Vec::with_capacity(reps);
    let t = Instant::now();
    for _ in 0..reps {
        let enc = encrypt_submission(&round, &truths, &[7; 32], &mut rand::rngs::OsRng)?;
        subs.push(pb::Submission {
            round_id: "bench".into(),
            encrypted: enc,
            ..Default::default()
        });
    }
    let encrypt = t.elapsed().as_secs_f64() * 1e3 / reps as f64;
    let bytes: usize = subs[0].encrypted.iter().map(|e| e.value.len()).sum();
    let t = Instant::now();
    for s in &subs {
        verify_submission(&round, s, &[7; 32])?;
    }
    let verify = t.elapsed().as_secs_f64() * 1e3 / reps as f64;
    println!(
        "{} path metrics, bound {bound}: {} options per slot; node encrypt + prove {encrypt:.1} ms, \
         verify {verify:.1} ms (one core, {reps} repetitions), {bytes} bytes; sensitivity {}",
        round.metrics.len(),
        round.path_options().len() + 1,
        round.sensitivity()
    );
    Ok(())
}
