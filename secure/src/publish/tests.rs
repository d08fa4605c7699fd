use super::*;
use crate::committee::deal_for_tests;
use crate::encoding::plaintext;
use crate::grid::announce;
use crate::noise::NoiseSpec;
use crate::round::Partition;
use rand::SeedableRng;
use sovbench_core::catalogue::{TrueValue, INVENTORY_NON_EU, SELFTEST_BAND, SELFTEST_EXIT};
use sovbench_core::cohort::{CohortAttributes, Kind, SizeClass};

const SCORE: &str = "selftest.datenhoheit";

fn round(grid: Grid, epsilon: f64, k: u32, metrics: &[&str]) -> SecureRound {
    let cat = Catalogue::shared();
    let (committee, _) = deal_for_tests(5, 3, &mut rand::rngs::OsRng).expect("committee");
    SecureRound {
        round_id: "r".into(),
        committee,
        trustee_keys: vec![vec![0; 32]; 5],
        grid,
        epsilon,
        all_weight: if grid == Grid::AllKindSize { 0.3 } else { 0.0 },
        metrics: metrics
            .iter()
            .map(|id| cat.metric(id).expect("metric").clone())
            .collect(),
        min_cohort: k,
        path_bound: 0,
    }
}

fn admin(kind: Kind, size: SizeClass, state: &str) -> CohortAttributes {
    CohortAttributes {
        kind,
        state: state.into(),
        size,
    }
}

/// A true value of `def` for administration `i`.
fn truth(def: &MetricDef, i: usize) -> TrueValue {
    match def.value_type {
        ValueType::BoundedInteger => TrueValue::Int(def.lower + (i * 7 % 5) as i64),
        ValueType::BoundedShare => TrueValue::Share((i * 13 % 101) as f64 / 100.0),
        ValueType::Boolean => TrueValue::Bool(i.is_multiple_of(3)),
        _ => TrueValue::Category(def.categories[i % def.categories.len()].key.clone()),
    }
}

struct World {
    round: SecureRound,
    admins: Vec<CohortAttributes>,
    announced: Vec<pb::AnnouncedCell>,
    cohorts: BTreeMap<Cohort, u32>,
    /// True plaintext sums, announced cells × components.
    sums: Vec<i64>,
}

fn world(round: SecureRound, admins: Vec<CohortAttributes>) -> World {
    let mut counts: BTreeMap<String, u32> = BTreeMap::new();
    let mut cohorts: BTreeMap<Cohort, u32> = BTreeMap::new();
    for a in &admins {
        *counts.entry(grid::finest_cell(a)).or_default() += 1;
        for c in Cohort::of(a) {
            *cohorts.entry(c).or_default() += 1;
        }
    }
    let announced = announce(&round, &counts).expect("announce");
    let width = round.cell_width();
    let mut sums = vec![0i64; announced.len() * width];
    for (i, a) in admins.iter().enumerate() {
        // Bounded path metrics: "not on the path" is not a component.
        let plain: Vec<u64> = round
            .metrics
            .iter()
            .flat_map(|d| {
                let bits = plaintext(d, &truth(d, i)).expect("plaintext");
                let keys = round.released_keys(d);
                bits.into_iter()
                    .zip(&d.categories)
                    .filter(|(_, c)| keys.contains(&c.key.as_str()))
                    .map(|(b, _)| b)
                    .chain(if d.categories.is_empty() {
                        plaintext(d, &truth(d, i)).expect("plaintext")
                    } else {
                        Vec::new()
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        let label = grid::finest_cell(a);
        for (c, cell) in announced.iter().enumerate() {
            if cell.cell == ALL || cell.members.contains(&label) {
                for (j, p) in plain.iter().enumerate() {
                    sums[c * width + j] += *p as i64;
                }
            }
        }
    }
    World {
        round,
        admins,
        announced,
        cohorts,
        sums,
    }
}

impl World {
    /// The sums with every trustee's noise share drawn (5 of 5).
    fn noisy(&self, rng: &mut rand::rngs::StdRng) -> Decrypted {
        let width = self.round.cell_width();
        let mut sums = self.sums.clone();
        for (c, cell) in self.announced.iter().enumerate() {
            let spec = NoiseSpec::new(cell.scale, 5, 3).expect("spec");
            for s in &mut sums[c * width..(c + 1) * width] {
                *s += (0..5)
                    .map(|_| noise::share(&spec, rng).expect("share"))
                    .sum::<i64>();
            }
        }
        Decrypted {
            sums,
            noise_shares: 5,
        }
    }

    fn cells(&self, d: &Decrypted) -> Vec<pb::Cell> {
        cells(
            &self.round,
            &self.announced,
            &self.cohorts,
            d,
            Catalogue::shared(),
        )
    }

    /// The true cohort mean of a published cell id (the true rate for a roll-back rate).
    fn truth(&self, cohort: &Cohort, cell_id: &str) -> f64 {
        if let Some(path) = cell_id.strip_suffix("#rollback_rate") {
            let share = |key: &str| self.truth(cohort, &format!("{path}={key}"));
            let rb = share("zurueckgerollt");
            return rb / (rb + share("abgeschlossen") + share("rollout"));
        }
        let mut total = 0.0;
        let mut n = 0.0;
        for (i, a) in self.admins.iter().enumerate() {
            if !cohort.contains(a) {
                continue;
            }
            n += 1.0;
            for def in &self.round.metrics {
                let v = truth(def, i);
                total += match (&v, cell_id.split_once('=')) {
                    (TrueValue::Category(k), Some((id, key))) if id == def.id => {
                        f64::from(u8::from(k == key))
                    }
                    (TrueValue::Int(x), None) if def.id == cell_id => *x as f64,
                    (TrueValue::Share(s), None) if def.id == cell_id => (s * 100.0).round() / 100.0,
                    (TrueValue::Bool(b), None) if def.id == cell_id => f64::from(u8::from(*b)),
                    _ => 0.0,
                };
            }
        }
        total / n
    }
}

/// Four kind × size cells of 200 administrations.
fn population() -> Vec<CohortAttributes> {
    let cells = [
        (Kind::Gemeinde, SizeClass::PopLt5k),
        (Kind::Gemeinde, SizeClass::Pop5kTo20k),
        (Kind::Stadt, SizeClass::Pop20kTo50k),
        (Kind::Landkreis, SizeClass::Pop100kTo500k),
    ];
    (0..800)
        .map(|i| {
            let (k, s) = cells[i % 4];
            admin(
                k,
                s,
                if i.is_multiple_of(2) {
                    "DE-NW"
                } else {
                    "DE-BY"
                },
            )
        })
        .collect()
}

fn coverage(w: &World, cohort: &Cohort, rounds: usize, seed: u64) -> BTreeMap<String, f64> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let label = cohort.to_string();
    let mut hits: BTreeMap<String, usize> = BTreeMap::new();
    for _ in 0..rounds {
        for c in w
            .cells(&w.noisy(&mut rng))
            .iter()
            .filter(|c| c.cohort == label)
        {
            assert!(
                !c.suppressed,
                "{} {}: {}",
                c.cohort, c.metric, c.suppression_reason
            );
            let t = w.truth(cohort, &c.metric);
            *hits.entry(c.metric.clone()).or_default() +=
                usize::from(c.ci_low <= t && t <= c.ci_high);
        }
    }
    hits.into_iter()
        .map(|(m, h)| (m, h as f64 / rounds as f64))
        .collect()
}

#[test]
fn exact_intervals_cover_95_percent_for_every_mechanism_type() {
    // 2,000 rounds: the binomial standard error at 95% is 0.49%; the discrete interval covers
    // between 95% and 95% + P(|D| = q) (under 1% here), so 93–97% is more than 3.5 errors.
    let w = world(
        round(
            Grid::KindSize,
            20.0,
            10,
            &[SCORE, INVENTORY_NON_EU, SELFTEST_EXIT, SELFTEST_BAND],
        ),
        population(),
    );
    let finest = Cohort::KindSize(Kind::Stadt, SizeClass::Pop20kTo50k);
    for (cohort, seed) in [(finest, 1), (Cohort::Kind(Kind::Gemeinde), 2)] {
        let cov = coverage(&w, &cohort, 2_000, seed);
        assert_eq!(cov.len(), 6, "{cov:?}");
        for (metric, c) in cov {
            assert!((0.93..=0.97).contains(&c), "{cohort} {metric}: {c}");
        }
    }
}

#[test]
fn the_combined_all_estimate_covers_95_percent() {
    let w = world(
        round(Grid::AllKindSize, 20.0, 10, &[SCORE, SELFTEST_EXIT]),
        population(),
    );
    assert_eq!(w.announced[0].cell, ALL);
    let cov = coverage(&w, &Cohort::All, 2_000, 3);
    for (metric, c) in cov {
        assert!((0.93..=0.97).contains(&c), "all {metric}: {c}");
    }
    // The combination is narrower than either estimate alone.
    let d = Decrypted {
        sums: w.sums.clone(),
        noise_shares: 5,
    };
    let cells = w.cells(&d);
    let all = cells
        .iter()
        .find(|c| c.cohort == "all" && c.metric == SCORE)
        .expect("all");
    let r = &w.round;
    let direct = sum_half_width(r, r.scale(Partition::All), 1, 5).expect("q") as f64 / 800.0;
    let summed = sum_half_width(r, r.scale(Partition::KindSize), 4, 5).expect("q") as f64 / 800.0;
    let half = (all.ci_high - all.ci_low) / 2.0;
    assert!(half < direct && half < summed, "{half} {direct} {summed}");
    assert!(
        (all.estimate - w.truth(&Cohort::All, SCORE)).abs() < 1e-9,
        "no noise, no error"
    );
}

#[test]
fn states_and_size_classes_split_by_a_merge_are_not_in_the_grid() {
    let mut admins = population();
    // Small Stadt cells of two size classes: merged into kind=stadt,size=rest, which spans two
    // size classes (each also holding a cell of 200 Gemeinden).
    admins.extend((0..3).map(|_| admin(Kind::Stadt, SizeClass::PopLt5k, "DE-NW")));
    admins.extend((0..8).map(|_| admin(Kind::Stadt, SizeClass::Pop5kTo20k, "DE-NW")));
    let w = world(round(Grid::KindSize, 20.0, 10, &[SCORE]), admins);
    assert!(w.announced.iter().any(|c| c.cell == "kind=stadt,size=rest"));
    let d = Decrypted {
        sums: w.sums.clone(),
        noise_shares: 5,
    };
    let cells = w.cells(&d);
    let find = |cohort: &str| {
        cells
            .iter()
            .find(|c| c.cohort == cohort && c.metric == SCORE)
            .unwrap_or_else(|| panic!("{cohort}"))
    };
    for cohort in ["state=DE-NW", "size=lt5k", "size=5k-20k"] {
        let c = find(cohort);
        assert!(c.suppressed, "{cohort}");
        assert_eq!(c.suppression, pb::Suppression::NotInGrid as i32, "{cohort}");
        assert_eq!(c.fallback_cohort, "all");
    }
    // The kind with the merged cell is whole, so it is published.
    assert!(!find("kind=stadt").suppressed);
}

#[test]
fn totals_are_consistent_and_small_cohorts_are_suppressed() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(9);
    let w = world(round(Grid::KindSize, 20.0, 10, &[SCORE]), population());
    let cells = w.cells(&w.noisy(&mut rng));
    let sum_of = |c: &pb::Cell| (c.estimate - 1.0) * f64::from(c.n);
    let all = cells
        .iter()
        .find(|c| c.cohort == "all" && c.metric == SCORE)
        .expect("all");
    let kinds: Vec<&pb::Cell> = cells
        .iter()
        .filter(|c| c.cohort.starts_with("kind=") && !c.cohort.contains(','))
        .collect();
    assert_eq!(kinds.len(), 3);
    assert!(kinds.iter().all(|c| !c.suppressed), "{kinds:?}");
    let total: f64 = kinds.iter().map(|c| sum_of(c)).sum();
    assert!(
        (sum_of(all) - total).abs() < 1e-6,
        "{} vs {total}",
        sum_of(all)
    );
    // The derived self-test total needs all five dimensions in the round.
    assert!(cells
        .iter()
        .all(|c| c.metric != sovbench_core::catalogue::SELFTEST_TOTAL));

    // Four Bund administrations: below k as a kind, so they go to the global rest, which then
    // takes the smallest kind whole (Landkreis and Stadt have 200 each; the first key wins), so
    // kind=landkreis is no longer in the grid while Gemeinde and Stadt stay published.
    let mut admins = population();
    admins.extend((0..4).map(|_| admin(Kind::Bund, SizeClass::Staff5kPlus, "DE-BE")));
    let w = world(round(Grid::KindSize, 20.0, 10, &[SCORE]), admins);
    let cells = w.cells(&w.noisy(&mut rng));
    let find = |cohort: &str| {
        cells
            .iter()
            .find(|c| c.cohort == cohort && c.metric == SCORE)
            .unwrap_or_else(|| panic!("{cohort}"))
    };
    let bund = find("kind=bund");
    assert_eq!(bund.suppression, pb::Suppression::BelowMinCohort as i32);
    assert_eq!((bund.n, bund.reporters), (0, 0));
    assert_eq!(bund.fallback_cohort, "all");
    assert!(bund.suppression_reason.contains("k = 10"));
    assert_eq!(
        find("kind=landkreis").suppression,
        pb::Suppression::NotInGrid as i32
    );
    assert!(!find("kind=gemeinde").suppressed);
    assert!(!find("kind=stadt").suppressed);
    let all = find("all");
    assert!(!all.suppressed);
    assert_eq!((all.n, all.reporters), (804, 804));
}

#[test]
fn path_stages_and_the_rollback_rate_cover_95_percent_under_a_path_bound() {
    // One path with bound 1 at ε = 2: sensitivity 4 + 2, stage shares S_j / n without "keiner",
    // and the roll-back rate as a ratio of the noisy stage sums (normal interval by
    // linearisation). 2,000 rounds: the binomial standard error at 95% is 0.49%.
    const PATH: &str = "path.videokonferenzen.bigbluebutton";
    let mut r = round(Grid::KindSize, 2.0, 10, &[SCORE, PATH]);
    r.path_bound = 1;
    assert_eq!(r.sensitivity(), 6.0);
    let w = world(r, population());
    let cov = coverage(&w, &Cohort::Kind(Kind::Gemeinde), 2_000, 5);
    let rollback = format!("{PATH}#rollback_rate");
    assert!(cov.contains_key(&rollback), "{cov:?}");
    assert!(!cov.keys().any(|k| k.ends_with("=keiner")), "{cov:?}");
    // The score, six stages and the roll-back rate.
    assert_eq!(cov.len(), 8, "{cov:?}");
    for (metric, c) in cov {
        assert!((0.93..=0.97).contains(&c), "{metric}: {c}");
    }
}
