//! Estimator tests. The simulations draw noise from seeded samplers of exactly the distributions
//! OpenDP's measurements use (checked against OpenDP itself in the node's tests), so that runs are
//! reproducible; tolerances are derived in the comments.

use super::*;
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sovbench_core::catalogue::{Catalogue, SELFTEST_BAND, SELFTEST_EXIT, SELFTEST_TOTAL};
use sovbench_core::cohort::{Kind, SizeClass};

#[test]
fn variance_matches_the_distribution() {
    // Numerically sum k^2 P(k) for scale 3 and compare with the closed form.
    let s: f64 = 3.0;
    let a = (-1.0 / s).exp();
    let norm = (1.0 - a) / (1.0 + a);
    let var: f64 = (-400i64..=400)
        .map(|k| (k * k) as f64 * norm * a.powi(k.abs() as i32))
        .sum();
    assert!((var - discrete_laplace_variance(s)).abs() < 1e-9, "{var}");
    // Large scales approach the continuous 2 s^2.
    let big = discrete_laplace_variance(100.0);
    assert!((big / (2.0 * 100.0 * 100.0) - 1.0).abs() < 1e-3);
}

#[test]
fn estimate_without_noise_or_sampling_is_exact() {
    let reports: Vec<Report> = [1.0, 3.0, 5.0]
        .iter()
        .map(|v| Report::numeric(*v, 0.0))
        .collect();
    let e = estimate_mean(&reports, 3, 4.0).unwrap();
    assert_eq!(e.estimate, 3.0);
    assert_eq!(e.variance, 0.0);
    assert!(estimate_mean(&reports[..1], 3, 4.0).is_none());
}

proptest! {
    /// Properties a plausible bug fails (the old property, "variance ≥ noise part", held by
    /// construction): the estimate is the plain mean and moves with a shift of every value while
    /// the variance does not (an uncentred second moment fails); with everyone reporting the
    /// sampling term vanishes exactly (a missing finite-population factor fails); with fewer
    /// reporters it adds exactly the clamped excess of the sample variance over the noise.
    #[test]
    fn estimate_is_the_mean_and_its_variance_the_documented_formula(
        values in proptest::collection::vec(-20i64..25, 2..200),
        scale in 0.5f64..20.0,
        shift in -3i64..4,
        extra in 0usize..400,
    ) {
        let v = discrete_laplace_variance(scale);
        let reports = |d: i64| -> Vec<Report> {
            values.iter().map(|x| Report::numeric((x + d) as f64, v)).collect()
        };
        let nj = values.len();
        let nj_f = nj as f64;
        let n = nj + extra;
        let e = estimate_mean(&reports(0), n, 4.0).unwrap();
        let mean = values.iter().sum::<i64>() as f64 / nj_f;
        prop_assert!((e.estimate - mean).abs() < 1e-9);
        let s_y2 = values.iter().map(|x| (*x as f64 - mean).powi(2)).sum::<f64>() / (nj_f - 1.0);
        let s_x2 = (s_y2 - v).clamp(0.0, 4.0);
        let expected = v / nj_f + s_x2 / nj_f * (1.0 - nj_f / n as f64);
        prop_assert!((e.variance - expected).abs() <= 1e-9 * expected.max(1.0),
            "{} vs {expected}", e.variance);
        let shifted = estimate_mean(&reports(shift), n, 4.0).unwrap();
        prop_assert!((shifted.estimate - e.estimate - shift as f64).abs() < 1e-9);
        prop_assert!((shifted.variance - e.variance).abs() <= 1e-9 * e.variance.max(1.0));
        let everyone = estimate_mean(&reports(0), nj, 4.0).unwrap();
        prop_assert!((everyone.variance - v / nj_f).abs() <= 1e-12 * v);
        prop_assert!(e.variance >= everyone.variance);
    }

    #[test]
    fn fallbacks_are_strictly_coarser(kind in 0usize..6, size in 0usize..10) {
        // The fallback order of `add_fallbacks` comes from the cohort grammar in core.
        let label = format!("kind={},size={}", Kind::ALL[kind].key(), SizeClass::ALL[size].key());
        let cohort: Cohort = label.parse().expect("a kind × size cohort");
        let f = cohort.fallbacks();
        prop_assert_eq!(f.len(), 3);
        prop_assert_eq!(f.last(), Some(&Cohort::All));
        prop_assert!(f.iter().all(|c| c.rank() < cohort.rank()));
        prop_assert!(Cohort::All.fallbacks().is_empty());
    }
}

// ---- seeded samplers of OpenDP's distributions ----

fn geometric(rng: &mut ChaCha8Rng, a: f64) -> i64 {
    // Number of failures before the first success, success probability 1 - a.
    let u: f64 = rng.gen::<f64>().max(f64::MIN_POSITIVE);
    (u.ln() / a.ln()).floor() as i64
}

/// Discrete Laplace with P(k) ∝ exp(-|k| / scale): the difference of two geometrics.
fn discrete_laplace(rng: &mut ChaCha8Rng, scale: f64) -> i64 {
    let a = (-1.0 / scale).exp();
    geometric(rng, a) - geometric(rng, a)
}

fn attrs() -> CohortAttributes {
    CohortAttributes {
        kind: Kind::Gemeinde,
        state: "DE-NW".into(),
        size: SizeClass::Pop5kTo20k,
    }
}

fn params(metrics: &[&str], eps: f64, m: u32) -> pb::RoundParams {
    let c = Catalogue::current();
    pb::RoundParams {
        round_id: "sim".into(),
        mode: pb::RoundMode::Direct as i32,
        metrics: metrics
            .iter()
            .map(|id| c.metric(id).unwrap().spec())
            .collect(),
        epsilon_per_release: eps,
        releases_per_node: m,
        min_cohort: 2,
        ..Default::default()
    }
}

/// Runs `rounds` simulated rounds; returns, per cell id of cohort `all`, the estimates and
/// whether each interval covered `truth[cell]`.
fn simulate(
    rounds: usize,
    params: &pb::RoundParams,
    release: &dyn Fn(&mut ChaCha8Rng, usize, &str) -> pb::Release,
    nodes: usize,
    seed: u64,
) -> BTreeMap<String, Vec<(f64, f64, f64)>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let catalogue = Catalogue::current();
    let mut out: BTreeMap<String, Vec<(f64, f64, f64)>> = BTreeMap::new();
    for _ in 0..rounds {
        let contributions: Vec<Contribution> = (0..nodes)
            .map(|i| {
                let m = params.releases_per_node as usize;
                let chosen: Vec<&pb::MetricSpec> = if m == 0 {
                    params.metrics.iter().collect()
                } else {
                    // Uniform choice of one metric (m = 1 in these simulations).
                    vec![&params.metrics[rng.gen_range(0..params.metrics.len())]]
                };
                Contribution {
                    attributes: attrs(),
                    releases: chosen.iter().map(|s| release(&mut rng, i, &s.id)).collect(),
                }
            })
            .collect();
        for c in compute_cells(params, &contributions, &catalogue) {
            if c.cohort == "all" {
                assert!(!c.suppressed, "{c:?}");
                if params.releases_per_node > 0 && !c.metric.starts_with(SELFTEST_TOTAL) {
                    // Metric sampling as in real rounds: the sampling term is exercised.
                    assert!(c.reporters < c.n, "{c:?}");
                }
                out.entry(c.metric.clone())
                    .or_default()
                    .push((c.estimate, c.ci_low, c.ci_high));
            }
        }
    }
    out
}

/// Checks unbiasedness and coverage of the estimates of one cell; returns z² = ((estimate −
/// truth) / standard error)² of every run, the standard error read back from the interval.
/// Unbiasedness: |mean of estimates - truth| < 4 standard errors of that mean.
/// Coverage: between 93% and 97% (with 1,500 rounds the standard error of a coverage near 95% is
/// 0.56%, so the band is more than 3.5 standard errors wide on each side). The band alone lets a
/// variance 10% too low pass (coverage 93.6%); [`check_z2`] catches that.
fn check(cell: &str, runs: &[(f64, f64, f64)], truth: f64) -> Vec<f64> {
    let r = runs.len() as f64;
    let mean = runs.iter().map(|x| x.0).sum::<f64>() / r;
    let sd = (runs.iter().map(|x| (x.0 - mean).powi(2)).sum::<f64>() / (r - 1.0)).sqrt();
    assert!(
        (mean - truth).abs() < 4.0 * sd / r.sqrt(),
        "{cell}: mean of estimates {mean} vs truth {truth} (sd {sd})"
    );
    let covered = runs.iter().filter(|x| x.1 <= truth && truth <= x.2).count() as f64 / r;
    assert!(
        (0.93..=0.97).contains(&covered),
        "{cell}: coverage {covered}"
    );
    runs.iter()
        .map(|x| ((x.0 - truth) / ((x.2 - x.1) / 2.0 / Z95)).powi(2))
        .collect()
}

/// The estimated variance is right on average: the mean of z² over many runs is 1 within four
/// of its own standard errors (sd(z²) / √N, measured, so the tails of the noise are accounted
/// for). With the 7,500 z² of five cells sd(z²) ≈ √2 gives a standard error ≈ 0.016: a variance
/// 10% too low (mean z² = 1/0.9 = 1.11, seven standard errors off) or too high (0.9) fails.
fn check_z2(what: &str, z2: &[f64]) {
    let n = z2.len() as f64;
    let mean = z2.iter().sum::<f64>() / n;
    let sd = (z2.iter().map(|z| (z - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let se = sd / n.sqrt();
    assert!(
        (mean - 1.0).abs() < 4.0 * se,
        "{what}: mean z² {mean:.4} (standard error {se:.4})"
    );
    // Power: the band must be narrower than a 10% variance error, or the test proves nothing.
    assert!(
        4.0 * se < 0.1,
        "{what}: too few runs for a variance test ({se:.4})"
    );
}

const ROUNDS: usize = 1_500;

#[test]
fn laplace_dimension_means_are_unbiased_and_cover_95_percent() {
    // 400 administrations with fixed true scores, each releasing one of the five dimensions at
    // epsilon 2 (scale 2): about 80 reports per dimension.
    let dims = [
        "selftest.datenhoheit",
        "selftest.technologische_unabhaengigkeit",
        "selftest.it_kompetenz",
        "selftest.offene_standards",
        "selftest.governance_exit",
    ];
    let nodes = 400;
    let mut prng = ChaCha8Rng::seed_from_u64(99);
    let truth: Vec<[i64; 5]> = (0..nodes)
        .map(|_| std::array::from_fn(|_| prng.gen_range(1..=5)))
        .collect();
    let p = params(&dims, 2.0, 1);
    let release = |rng: &mut ChaCha8Rng, i: usize, id: &str| {
        let d = dims.iter().position(|x| *x == id).unwrap();
        pb::Release {
            metric: id.to_string(),
            mechanism: pb::Mechanism::DiscreteLaplace as i32,
            value: truth[i][d] + discrete_laplace(rng, 2.0),
            scale: 2.0,
            epsilon: 2.0,
            ..Default::default()
        }
    };
    let runs = simulate(ROUNDS, &p, &release, nodes, 1);
    let mut z2 = Vec::new();
    for (d, id) in dims.iter().enumerate() {
        let t = truth.iter().map(|s| s[d] as f64).sum::<f64>() / nodes as f64;
        z2.extend(check(id, &runs[*id], t));
    }
    check_z2("dimension means", &z2);
    let total = truth
        .iter()
        .map(|s| s.iter().sum::<i64>() as f64)
        .sum::<f64>()
        / nodes as f64;
    check(SELFTEST_TOTAL, &runs[SELFTEST_TOTAL], total);
}

#[test]
fn randomized_response_shares_are_unbiased_and_cover_95_percent() {
    // 800 administrations, each releasing one of the band (k = 3) and the exit boolean (chosen
    // at random, as in real rounds) at epsilon 1.5.
    let nodes = 800;
    let mut prng = ChaCha8Rng::seed_from_u64(5);
    let bands: Vec<usize> = (0..nodes)
        .map(|_| [0, 1, 1, 1, 2][prng.gen_range(0..5)])
        .collect();
    let exits: Vec<bool> = (0..nodes).map(|_| prng.gen_bool(0.3)).collect();
    let eps: f64 = 1.5;
    let pb_ = eps.exp() / (1.0 + eps.exp());
    let pk = eps.exp() / (eps.exp() + 2.0);
    let p = params(&[SELFTEST_BAND, SELFTEST_EXIT], eps, 1);
    let release = |rng: &mut ChaCha8Rng, i: usize, id: &str| {
        if id == SELFTEST_EXIT {
            let keep = rng.gen_bool(pb_);
            pb::Release {
                metric: id.into(),
                mechanism: pb::Mechanism::RandomizedResponseBool as i32,
                value: i64::from(if keep { exits[i] } else { !exits[i] }),
                probability: pb_,
                epsilon: eps,
                ..Default::default()
            }
        } else {
            let v = if rng.gen_bool(pk) {
                bands[i]
            } else {
                // A uniformly chosen other category.
                let o = rng.gen_range(0..2);
                if o >= bands[i] {
                    o + 1
                } else {
                    o
                }
            };
            pb::Release {
                metric: id.into(),
                mechanism: pb::Mechanism::RandomizedResponse as i32,
                value: v as i64,
                probability: pk,
                epsilon: eps,
                ..Default::default()
            }
        }
    };
    let runs = simulate(ROUNDS, &p, &release, nodes, 2);
    let exit_share = exits.iter().filter(|e| **e).count() as f64 / nodes as f64;
    let mut z2 = check(SELFTEST_EXIT, &runs[SELFTEST_EXIT], exit_share);
    for (j, key) in ["kritisch_abhaengig", "hybrid", "souveraen_auf_kurs"]
        .iter()
        .enumerate()
    {
        let share = bands.iter().filter(|b| **b == j).count() as f64 / nodes as f64;
        let id = format!("{SELFTEST_BAND}={key}");
        z2.extend(check(&id, &runs[&id], share));
    }
    check_z2("randomized response shares", &z2);
}

#[test]
fn bitvec_item_shares_are_unbiased_and_cover_95_percent() {
    // A set metric over 6 items, tested through the estimator directly: 1,500 administrations,
    // each holding at most one item, epsilon 2 (f = 2 / (1 + e)); each reports this metric with
    // probability 1/5 (one of five metrics, as in real rounds), so about 300 reports a round.
    let nodes = 1_500;
    let mut prng = ChaCha8Rng::seed_from_u64(11);
    let items: Vec<Option<usize>> = (0..nodes)
        .map(|_| {
            if prng.gen_bool(0.6) {
                Some(prng.gen_range(0..6))
            } else {
                None
            }
        })
        .collect();
    let f = 2.0 / (1.0 + 1f64.exp());
    let spec = pb::MetricSpec {
        id: "path.test".into(),
        mechanism: pb::Mechanism::RandomizedResponseBitvec as i32,
        lower: 0,
        upper: 1,
        categories: (0..6).map(|i| format!("i{i}")).collect(),
    };
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut runs: Vec<Vec<(f64, f64, f64)>> = vec![Vec::new(); 6];
    for _ in 0..ROUNDS {
        let mut reports: Vec<Vec<Report>> = vec![Vec::new(); 6];
        for it in &items {
            if rng.gen_range(0..5) != 0 {
                continue;
            }
            let bits: Vec<bool> = (0..6)
                .map(|j| (*it == Some(j)) ^ rng.gen_bool(f / 2.0))
                .collect();
            let r = pb::Release {
                metric: spec.id.clone(),
                mechanism: spec.mechanism,
                bits,
                probability: f,
                epsilon: 2.0,
                ..Default::default()
            };
            for (j, (_, rep)) in reports_of(&spec, 1.0, &r).into_iter().enumerate() {
                reports[j].push(rep);
            }
        }
        for j in 0..6 {
            let e = estimate_mean(&reports[j], nodes, 1.0).unwrap();
            runs[j].push((
                e.estimate,
                e.estimate - e.half_width(),
                e.estimate + e.half_width(),
            ));
        }
    }
    let mut z2 = Vec::new();
    for (j, run) in runs.iter().enumerate() {
        let share = items.iter().filter(|i| **i == Some(j)).count() as f64 / nodes as f64;
        z2.extend(check(&format!("item {j}"), run, share));
    }
    check_z2("item shares", &z2);
}

#[test]
fn small_or_imprecise_cells_are_suppressed_with_a_fallback() {
    let c = Catalogue::current();
    let p = pb::RoundParams {
        min_cohort: 10,
        ..params(&["selftest.datenhoheit"], 1.0, 0)
    };
    let mut contributions = Vec::new();
    // 40 Gemeinden 5k-20k and 5 Städte: kind=stadt is below k.
    for i in 0..45 {
        let kind = if i < 40 { Kind::Gemeinde } else { Kind::Stadt };
        contributions.push(Contribution {
            attributes: CohortAttributes { kind, ..attrs() },
            releases: vec![pb::Release {
                metric: "selftest.datenhoheit".into(),
                mechanism: pb::Mechanism::DiscreteLaplace as i32,
                value: 3,
                scale: 0.25,
                epsilon: 16.0,
                ..Default::default()
            }],
        });
    }
    let cells = compute_cells(&p, &contributions, &c);
    let get = |cohort: &str| {
        cells
            .iter()
            .find(|x| x.cohort == cohort && x.metric == "selftest.datenhoheit")
            .unwrap()
    };
    assert!(!get("all").suppressed);
    let stadt = get("kind=stadt");
    assert!(stadt.suppressed && stadt.fallback_cohort == "all");
    assert_eq!(stadt.suppression, pb::Suppression::BelowMinCohort as i32);
    let stadt_size = get("kind=stadt,size=5k-20k");
    assert_eq!(stadt_size.fallback_cohort, "size=5k-20k");

    // The same cohort with epsilon 0.1 noise (scale 40): the interval is far wider than the
    // usefulness limit of 1 point, so the cell is suppressed as too imprecise, without fallback.
    for c in &mut contributions {
        c.releases[0].scale = 40.0;
        c.releases[0].epsilon = 0.1;
    }
    let cells = compute_cells(&p, &contributions, &c);
    let all = cells
        .iter()
        .find(|x| x.cohort == "all" && x.metric == "selftest.datenhoheit")
        .unwrap();
    assert!(all.suppressed, "{all:?}");
    assert_eq!(all.suppression, pb::Suppression::TooImprecise as i32);
    assert!(all.fallback_cohort.is_empty());
    assert_eq!((all.estimate, all.ci_low, all.ci_high), (0.0, 0.0, 0.0));
}

#[test]
fn path_stage_shares_and_roll_back_rates_are_unbiased_and_cover() {
    // Two path metrics (k = 7: keiner + six stages), 4,400 administrations, each releasing one
    // path drawn at random (as real path rounds draw one of 35), at epsilon 2
    // (p = e^2 / (e^2 + 6)): about 2,200 reports per path, enough for the roll-back rate's
    // half-width (about 0.2) to stay below its usefulness limit of 0.25. True stages, per path independently:
    // 60% not on the path, the rest spread over the stages with a roll-back rate of 40% among
    // those beyond the pilot (the report: > 40% in large migrations). Shares must be unbiased and
    // cover in 93-97%; the roll-back rate is a ratio estimator (consistent, small bias), checked
    // for bias against the bound derived below and for coverage in 92-98%.
    let c = Catalogue::current();
    let specs: Vec<pb::MetricSpec> = sovbench_core::paths::path_catalogue()
        .iter()
        .take(2)
        .map(|p| c.metric(&p.id).unwrap().spec())
        .collect();
    let nodes = 4_400;
    let mut prng = ChaCha8Rng::seed_from_u64(21);
    // stages[i][path]: 0 keiner, 1 erwogen, 2 geplant, 3 pilot, 4 rollout, 5 abgeschlossen,
    // 6 zurueckgerollt
    let stages: Vec<[usize; 2]> = (0..nodes)
        .map(|_| {
            std::array::from_fn(|_| match prng.gen::<f64>() {
                x if x < 0.60 => 0,
                x if x < 0.68 => 1,
                x if x < 0.74 => 2,
                x if x < 0.80 => 3,
                x if x < 0.86 => 4,
                x if x < 0.92 => 5,
                _ => 6,
            })
        })
        .collect();
    let eps: f64 = 2.0;
    let p = eps.exp() / (eps.exp() + 6.0);
    let params = pb::RoundParams {
        metrics: specs.clone(),
        min_cohort: 2,
        epsilon_per_release: eps,
        releases_per_node: 1,
        ..Default::default()
    };
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let mut shares: BTreeMap<String, Vec<(f64, f64, f64)>> = BTreeMap::new();
    // Per path: (estimate, low, high) of the rate and the estimated denominator b̄ per round.
    let mut rates: Vec<Vec<(f64, f64, f64)>> = vec![Vec::new(); 2];
    let mut denominators: Vec<Vec<f64>> = vec![Vec::new(); 2];
    for _ in 0..ROUNDS {
        let contributions: Vec<Contribution> = stages
            .iter()
            .map(|st| {
                let j = rng.gen_range(0..2);
                let s = st[j];
                let v = if rng.gen_bool(p) {
                    s
                } else {
                    let o = rng.gen_range(0..6);
                    if o >= s {
                        o + 1
                    } else {
                        o
                    }
                };
                Contribution {
                    attributes: attrs(),
                    releases: vec![pb::Release {
                        metric: specs[j].id.clone(),
                        mechanism: specs[j].mechanism,
                        value: v as i64,
                        probability: p,
                        epsilon: eps,
                        ..Default::default()
                    }],
                }
            })
            .collect();
        let cells = compute_cells(&params, &contributions, &c);
        for cell in cells.iter().filter(|c| c.cohort == "all") {
            assert!(!cell.suppressed, "{cell:?}");
            assert!(cell.reporters < cell.n, "{cell:?}");
            if CellId::parse(&cell.metric).is_rollback_rate() {
                let j = specs
                    .iter()
                    .position(|s| cell.metric.starts_with(&s.id))
                    .unwrap();
                rates[j].push((cell.estimate, cell.ci_low, cell.ci_high));
            } else {
                shares.entry(cell.metric.clone()).or_default().push((
                    cell.estimate,
                    cell.ci_low,
                    cell.ci_high,
                ));
            }
        }
        for (j, spec) in specs.iter().enumerate() {
            let share = |stage: &str| {
                cells
                    .iter()
                    .find(|c| c.cohort == "all" && c.metric == format!("{}={stage}", spec.id))
                    .unwrap()
                    .estimate
            };
            denominators[j]
                .push(share("rollout") + share("abgeschlossen") + share("zurueckgerollt"));
        }
    }
    let mut z2 = Vec::new();
    for (j, spec) in specs.iter().enumerate() {
        for (k, key) in spec.categories.iter().enumerate() {
            let t = stages.iter().filter(|s| s[j] == k).count() as f64 / nodes as f64;
            z2.extend(check(key, &shares[&format!("{}={key}", spec.id)], t));
        }
    }
    check_z2("path stage shares", &z2);
    for j in 0..2 {
        let beyond = stages.iter().filter(|s| s[j] >= 4).count() as f64;
        let rolled = stages.iter().filter(|s| s[j] == 6).count() as f64;
        let truth = rolled / beyond;
        let runs = &rates[j];
        let r = runs.len() as f64;
        let mean = runs.iter().map(|x| x.0).sum::<f64>() / r;
        let sd = (runs.iter().map(|x| (x.0 - mean).powi(2)).sum::<f64>() / (r - 1.0)).sqrt();
        // Bias of a ratio R̂ = ā / b̄ with E[ā] = R E[b̄]: E[R̂ b̄] = R E[b̄], so
        // bias = E[R̂] − R = −cov(R̂, b̄) / E[b̄], and |bias| ≤ sd(R̂) · sd(b̄) / E[b̄]
        // (Cauchy-Schwarz; Hartley and Ross 1954). The mean of the estimates may therefore
        // differ from the truth by that bound plus four standard errors of the mean.
        let b = &denominators[j];
        let b_mean = b.iter().sum::<f64>() / r;
        let b_sd = (b.iter().map(|x| (x - b_mean).powi(2)).sum::<f64>() / (r - 1.0)).sqrt();
        let bias_bound = sd * b_sd / b_mean;
        assert!(
            (mean - truth).abs() < 4.0 * sd / r.sqrt() + bias_bound,
            "roll-back rate {mean} vs {truth} (sd {sd}, bias bound {bias_bound})"
        );
        let covered = runs.iter().filter(|x| x.1 <= truth && truth <= x.2).count() as f64 / r;
        assert!(
            (0.92..=0.98).contains(&covered),
            "roll-back rate coverage {covered}"
        );
    }
}

/// 10.1: a node releasing the largest value its mechanism plausibly produces (accepted by
/// `check_release`) or a poisoned one must not move a published mean off its range behind a
/// narrow interval. Old behaviour: 3 nodes at epsilon 10, one releasing 10^7, published
/// 3.3 · 10^6 with a half-width of 0.5 (shown as [3.3e6, 3.3e6]).
#[test]
fn a_poisoned_release_makes_the_cell_implausible_not_published() {
    let c = Catalogue::current();
    let id = "selftest.datenhoheit";
    let p = pb::RoundParams {
        min_cohort: 3,
        ..params(&[id], 10.0, 0)
    };
    let release = |value: i64| pb::Release {
        metric: id.into(),
        mechanism: pb::Mechanism::DiscreteLaplace as i32,
        value,
        scale: 0.4,
        epsilon: 10.0,
        ..Default::default()
    };
    let (_, max_plausible) = crate::submission::laplace_bounds(1, 5, 0.4);
    for bad in [10_000_000, i64::try_from(max_plausible).unwrap()] {
        let contributions: Vec<Contribution> = [3, 3, bad]
            .iter()
            .map(|v| Contribution {
                attributes: attrs(),
                releases: vec![release(*v)],
            })
            .collect();
        let cells = compute_cells(&p, &contributions, &c);
        let all = cells
            .iter()
            .find(|x| x.cohort == "all" && x.metric == id)
            .unwrap();
        assert!(all.suppressed, "{bad}: {all:?}");
        assert_eq!(
            all.suppression,
            pb::Suppression::Implausible as i32,
            "{all:?}"
        );
        assert_eq!((all.estimate, all.ci_low, all.ci_high), (0.0, 0.0, 0.0));
    }
    // Honest values stay published.
    let contributions: Vec<Contribution> = [3, 4, 2]
        .iter()
        .map(|v| Contribution {
            attributes: attrs(),
            releases: vec![release(*v)],
        })
        .collect();
    let cells = compute_cells(&p, &contributions, &c);
    let all = cells
        .iter()
        .find(|x| x.cohort == "all" && x.metric == id)
        .unwrap();
    assert!(!all.suppressed, "{all:?}");
}

fn rr_release(spec: &pb::MetricSpec, stage: usize, eps: f64) -> pb::Release {
    let k = spec.categories.len() as f64;
    pb::Release {
        metric: spec.id.clone(),
        mechanism: spec.mechanism,
        value: stage as i64,
        probability: eps.exp() / (eps.exp() + k - 1.0),
        epsilon: eps,
        ..Default::default()
    }
}

/// 10.6: two reporters who both report "rollout" at epsilon 1. Old behaviour: published
/// −0.17 with a zero-width interval (identical reports make the sample variance 0).
#[test]
fn a_roll_back_rate_from_two_reporters_is_suppressed_not_negative() {
    let c = Catalogue::current();
    let spec = c
        .metric(&sovbench_core::paths::path_catalogue()[0].id)
        .unwrap()
        .spec();
    let params = pb::RoundParams {
        metrics: vec![spec.clone()],
        min_cohort: 2,
        epsilon_per_release: 1.0,
        ..Default::default()
    };
    let contributions: Vec<Contribution> = (0..2)
        .map(|_| Contribution {
            attributes: attrs(),
            releases: vec![rr_release(&spec, 4, 1.0)],
        })
        .collect();
    let cells = compute_cells(&params, &contributions, &c);
    let rate = cells
        .iter()
        .find(|x| x.cohort == "all" && CellId::parse(&x.metric).is_rollback_rate())
        .unwrap();
    assert!(rate.suppressed, "{rate:?}");
    assert_eq!(rate.suppression, pb::Suppression::TooImprecise as i32);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    /// Whatever the reports, a published roll-back rate lies in [0, 1] with an interval of
    /// positive width inside [0, 1]. Old behaviour: identical reports gave zero width, and
    /// ratios outside [0, 1] were published.
    #[test]
    fn published_roll_back_rates_are_in_the_unit_interval_with_positive_width(
        stages in proptest::collection::vec(0usize..7, 2..60),
        eps in prop_oneof![Just(1.0f64), Just(4.0), Just(8.0), Just(12.0)],
    ) {
        let c = Catalogue::current();
        let spec = c.metric(&sovbench_core::paths::path_catalogue()[0].id).unwrap().spec();
        let params = pb::RoundParams {
            metrics: vec![spec.clone()],
            min_cohort: 2,
            epsilon_per_release: eps,
            ..Default::default()
        };
        let contributions: Vec<Contribution> = stages
            .iter()
            .map(|s| Contribution { attributes: attrs(), releases: vec![rr_release(&spec, *s, eps)] })
            .collect();
        for cell in compute_cells(&params, &contributions, &c) {
            if cell.suppressed {
                prop_assert_eq!((cell.estimate, cell.ci_low, cell.ci_high), (0.0, 0.0, 0.0));
                continue;
            }
            prop_assert!(cell.ci_low < cell.ci_high, "{:?}", cell);
            if CellId::parse(&cell.metric).is_rollback_rate() {
                prop_assert!(0.0 <= cell.ci_low && cell.ci_low <= cell.estimate, "{:?}", cell);
                prop_assert!(cell.estimate <= cell.ci_high && cell.ci_high <= 1.0, "{:?}", cell);
            }
        }
    }
}
