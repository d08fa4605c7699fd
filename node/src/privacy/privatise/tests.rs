//! Tests of the privatisation against OpenDP's own samplers. OpenDP draws its randomness from
//! OpenSSL and cannot be seeded (by design), so each statistical test uses a threshold whose
//! false-alarm probability is stated: below one in a million per test, below 6e-6 for all the
//! empirical privacy audits together (see [`audit`]).

use super::*;
use sovbench_core::catalogue::{Catalogue, SELFTEST_BAND, SELFTEST_EXIT};

fn cat() -> Catalogue {
    Catalogue::current()
}

#[test]
fn parameters_come_from_the_privacy_maps() {
    // Discrete Laplace: the map charges sensitivity / scale, so the bisection must land on
    // 4 / 1 = 4 for the self-test range 1..5 at epsilon 1.
    let (scale, charged) = laplace_scale_for("m", 4, 1.0).unwrap();
    assert!(
        charged <= 1.0 && (scale - 4.0).abs() < 1e-6,
        "scale {scale}"
    );
    let (scale, charged) = laplace_scale_for("m", 4, 0.5).unwrap();
    assert!(charged <= 0.5 && (scale - 8.0).abs() < 1e-6);
    assert!(laplace_scale_for("m", 4, 0.0).is_err());
    // Boolean RR: ln(p / (1 - p)) = eps, so p = e^eps / (1 + e^eps).
    let (p, c) = rr_bool_probability_for("b", 1.0).unwrap();
    let e = 1f64.exp();
    assert!(c <= 1.0 && (p - e / (1.0 + e)).abs() < 1e-9, "{p}");
    // k-ary RR: ln(p (k - 1) / (1 - p)) = eps, so p = e^eps / (e^eps + k - 1).
    let (p, c) = rr_probability_for("c", 3, 1.0).unwrap();
    assert!(c <= 1.0 && (p - e / (e + 2.0)).abs() < 1e-9, "{p}");
    // Bit vector, m = 1: 2 ln((2 - f) / f) = eps, so f = 2 / (1 + e^(eps / 2)).
    let (f, c) = bitvec_f_for("s", 1.0).unwrap();
    assert!(
        c <= 1.0 && (f - 2.0 / (1.0 + 0.5f64.exp())).abs() < 1e-9,
        "{f}"
    );
}

#[test]
fn releases_record_mechanism_parameter_and_epsilon() {
    let c = cat();
    let def = c.metric("selftest.datenhoheit").unwrap();
    let r = release(def, &TrueValue::Int(9), 1.0).unwrap();
    assert!(r.epsilon <= 1.0 && r.epsilon > 0.99 && (r.scale - 4.0).abs() < 1e-6);
    let band = c.metric(SELFTEST_BAND).unwrap();
    let r = release(band, &TrueValue::Category("hybrid".into()), 1.0).unwrap();
    assert!((0..3).contains(&r.value) && r.probability > 0.5);
    assert!(release(band, &TrueValue::Category("unbekannt".into()), 1.0).is_err());
    assert!(release(band, &TrueValue::Int(1), 1.0).is_err());
    let exit = c.metric(SELFTEST_EXIT).unwrap();
    let r = release(exit, &TrueValue::Bool(true), 1.0).unwrap();
    assert!(r.value == 0 || r.value == 1);
}

/// Pearson chi-square statistic of observed counts against expected probabilities.
fn chi_square(observed: &[f64], expected_p: &[f64], n: f64) -> f64 {
    observed
        .iter()
        .zip(expected_p)
        .map(|(o, p)| (o - n * p).powi(2) / (n * p))
        .sum()
}

#[test]
fn discrete_laplace_noise_matches_its_distribution() {
    // 20,000 draws at scale 2 (epsilon 2 for sensitivity 4), true value 3. Bins: noise -8..=8
    // and the two tails: 19 bins, 18 degrees of freedom. P(chi2_18 > 65) < 1e-6.
    let c = cat();
    let def = c.metric("selftest.datenhoheit").unwrap();
    let n = 20_000;
    let mut counts = vec![0f64; 19];
    let p = Privatiser::new(def, 2.0).unwrap();
    for _ in 0..n {
        let r = p.invoke(&TrueValue::Int(3)).unwrap();
        let k = r.value - 3;
        let bin = if k < -8 {
            0
        } else if k > 8 {
            18
        } else {
            (k + 9) as usize
        };
        counts[bin] += 1.0;
    }
    let a = (-1.0f64 / 2.0).exp();
    let pmf = |k: i64| (1.0 - a) / (1.0 + a) * a.powi(k.abs() as i32);
    let tail: f64 = a.powi(9) / (1.0 + a); // P(K >= 9) = P(K <= -9)
    let mut expected = vec![tail];
    expected.extend((-8..=8).map(pmf));
    expected.push(tail);
    let total: f64 = expected.iter().sum();
    assert!((total - 1.0).abs() < 1e-9, "{total}");
    let chi = chi_square(&counts, &expected, n as f64);
    assert!(chi < 65.0, "chi-square {chi}: {counts:?}");
}

#[test]
fn randomized_response_keeps_the_truth_with_the_mapped_probability() {
    // 20,000 draws each; the standard deviation of a frequency is at most sqrt(.25 / 20000) =
    // 0.0035; a tolerance of 0.02 is over 5.6 standard deviations (two-sided p < 2e-8).
    let c = cat();
    let n = 20_000;
    let e = 1f64.exp();
    let exit = Privatiser::new(c.metric(SELFTEST_EXIT).unwrap(), 1.0).unwrap();
    let yes = (0..n)
        .filter(|_| exit.invoke(&TrueValue::Bool(true)).unwrap().value == 1)
        .count() as f64
        / n as f64;
    assert!((yes - e / (1.0 + e)).abs() < 0.02, "{yes}");
    let band = Privatiser::new(c.metric(SELFTEST_BAND).unwrap(), 1.0).unwrap();
    let mut counts = [0f64; 3];
    for _ in 0..n {
        let r = band
            .invoke(&TrueValue::Category("kritisch_abhaengig".into()))
            .unwrap();
        counts[r.value as usize] += 1.0;
    }
    let p = e / (e + 2.0);
    let q = (1.0 - p) / 2.0;
    assert!((counts[0] / n as f64 - p).abs() < 0.02, "{counts:?}");
    assert!((counts[1] / n as f64 - q).abs() < 0.02, "{counts:?}");
    assert!((counts[2] / n as f64 - q).abs() < 0.02, "{counts:?}");
}

#[test]
fn bitvec_flips_each_bit_with_probability_f_over_two() {
    let def = four_item_bitvec();
    let n = 10_000;
    let mut ones = [0f64; 4];
    let mut f = 0.0;
    let priv_ = Privatiser::new(&def, 2.0).unwrap();
    for _ in 0..n {
        let r = priv_.invoke(&TrueValue::Set(vec!["i1".into()])).unwrap();
        f = r.probability;
        for (i, b) in r.bits.iter().enumerate() {
            ones[i] += f64::from(u8::from(*b));
        }
    }
    // sd of a frequency <= 0.005; tolerance 0.025 is 5 sd.
    let flip = f / 2.0;
    assert!(
        (ones[1] / n as f64 - (1.0 - flip)).abs() < 0.025,
        "{ones:?} f {f}"
    );
    for i in [0, 2, 3] {
        assert!((ones[i] / n as f64 - flip).abs() < 0.025, "{ones:?} f {f}");
    }
}

/// Empirical audit of pure ε-DP on two neighbouring inputs.
///
/// `n` draws from each input; every output is mapped to a bin (post-processing keeps the
/// guarantee, so the bins' probabilities also differ by at most e^ε). For each bin:
///
/// - seen at least `AUDIT_MIN` times under both inputs: the observed log ratio of the counts has
///   a standard error of about sqrt(1/c_a + 1/c_b) (delta method); |ln(c_a/c_b)| must stay below
///   ε + `AUDIT_Z` standard errors. One-sided normal tail at 5.5 sd: 1.9e-8 per bin; the audits
///   below check fewer than 300 bins in all, so a correct mechanism fails the test with
///   probability below 6e-6 (OpenDP's noise comes from OpenSSL and cannot be seeded).
/// - seen c times under one input and never under the other: under ε-DP the other count is about
///   Poisson with mean at least c·e^-ε, which is 0 with probability e^(-c·e^-ε); a bin with
///   c·e^-ε ≥ 25 (probability below 1.4e-11) and no hit on the other side is a violation.
///
/// Returns the largest |ln ratio| checked, so that a test can also show that the mechanism is not
/// needlessly noisy (the worst ratio comes close to e^ε).
fn audit<B: Ord + std::fmt::Debug>(
    what: &str,
    eps: f64,
    n: usize,
    mut draw_a: impl FnMut() -> B,
    mut draw_b: impl FnMut() -> B,
) -> f64 {
    use std::collections::BTreeMap;
    let mut h: BTreeMap<B, (f64, f64)> = BTreeMap::new();
    for _ in 0..n {
        h.entry(draw_a()).or_default().0 += 1.0;
        h.entry(draw_b()).or_default().1 += 1.0;
    }
    let (mut worst, mut checked) = (0.0f64, 0);
    for (bin, (a, b)) in &h {
        let (hi, lo) = if a >= b { (*a, *b) } else { (*b, *a) };
        if lo == 0.0 {
            assert!(
                hi * (-eps).exp() < 25.0,
                "{what}: output {bin:?} seen {hi} times under one input, never under the other"
            );
            continue;
        }
        if lo < AUDIT_MIN {
            continue;
        }
        let log_ratio = (hi / lo).ln();
        let se = (1.0 / hi + 1.0 / lo).sqrt();
        assert!(
            log_ratio <= eps + AUDIT_Z * se,
            "{what}: output {bin:?}: ln ratio {log_ratio:.3} > {eps} + {AUDIT_Z} x {se:.3} ({a} vs {b})"
        );
        worst = worst.max(log_ratio);
        checked += 1;
    }
    assert!(
        checked >= 2,
        "{what}: only {checked} outputs checked: {h:?}"
    );
    worst
}

const AUDIT_MIN: f64 = 400.0;
const AUDIT_Z: f64 = 5.5;
const AUDIT_N: usize = 40_000;

/// Draws of one metric's privatiser on one true value; `bin` maps the release to its bin.
fn draws<'p, B>(
    p: &'p Privatiser,
    truth: TrueValue,
    bin: impl Fn(&pb::Release) -> B + 'p,
) -> impl FnMut() -> B + 'p {
    move || bin(&p.invoke(&truth).unwrap())
}

#[test]
fn audit_discrete_laplace_and_boolean_rr() {
    // Neighbouring administrations: self-test score 1 versus 5 (the whole range, the worst
    // case), epsilon 1; yes versus no.
    let c = cat();
    let eps = 1.0;
    let lap = Privatiser::new(c.metric("selftest.datenhoheit").unwrap(), eps).unwrap();
    let worst = audit(
        "discrete Laplace",
        eps,
        AUDIT_N,
        draws(&lap, TrueValue::Int(1), |r| r.value),
        draws(&lap, TrueValue::Int(5), |r| r.value),
    );
    assert!(worst > 0.8 * eps, "worst observed ln ratio {worst}");
    let exit = Privatiser::new(c.metric(SELFTEST_EXIT).unwrap(), eps).unwrap();
    let worst = audit(
        "boolean RR",
        eps,
        AUDIT_N,
        draws(&exit, TrueValue::Bool(true), |r| r.value),
        draws(&exit, TrueValue::Bool(false), |r| r.value),
    );
    assert!(worst > 0.8 * eps, "worst observed ln ratio {worst}");
}

#[test]
fn audit_k_ary_rr_for_the_band_and_the_seven_ary_paths() {
    let c = cat();
    for eps in [1.0, 2.0] {
        let band = c.metric(SELFTEST_BAND).unwrap();
        let p = Privatiser::new(band, eps).unwrap();
        let (first, last) = (
            band.categories[0].key.clone(),
            band.categories[2].key.clone(),
        );
        let worst = audit(
            "band (3-ary RR)",
            eps,
            AUDIT_N,
            draws(&p, TrueValue::Category(first), |r| r.value),
            draws(&p, TrueValue::Category(last), |r| r.value),
        );
        assert!(worst > 0.8 * eps, "band at {eps}: worst ln ratio {worst}");
        let path = c.metric("path.videokonferenzen.bigbluebutton").unwrap();
        assert_eq!(path.categories.len(), 7);
        let p = Privatiser::new(path, eps).unwrap();
        let worst = audit(
            "path stage (7-ary RR)",
            eps,
            AUDIT_N,
            draws(
                &p,
                TrueValue::Category(sovbench_core::paths::NOT_ON_PATH.into()),
                |r| r.value,
            ),
            draws(&p, TrueValue::Category("zurueckgerollt".into()), |r| {
                r.value
            }),
        );
        assert!(worst > 0.8 * eps, "paths at {eps}: worst ln ratio {worst}");
    }
}

#[test]
fn audit_the_bit_vector() {
    let def = four_item_bitvec();
    let eps = 2.0;
    let p = Privatiser::new(&def, eps).unwrap();
    // The neighbours that differ most: item 1 versus item 2 (two bits differ); the whole bit
    // pattern is the output.
    let worst = audit(
        "bit vector",
        eps,
        AUDIT_N,
        draws(&p, TrueValue::Set(vec!["i1".into()]), |r| r.bits.clone()),
        draws(&p, TrueValue::Set(vec!["i2".into()]), |r| r.bits.clone()),
    );
    assert!(worst > 0.8 * eps, "worst ln ratio {worst}");
}

#[test]
fn audit_grid_shares_and_the_count_metric() {
    let c = cat();
    let eps = 1.0;
    // A share on the 1/100 grid: 0 versus 1 (grid 0 versus 100, scale 100). Outputs are binned
    // by 25 grid steps (post-processing).
    let share = Privatiser::new(c.metric("inventory.non_eu_share").unwrap(), eps).unwrap();
    let worst = audit(
        "grid share",
        eps,
        AUDIT_N,
        draws(&share, TrueValue::Share(0.0), |r| r.value.div_euclid(25)),
        draws(&share, TrueValue::Share(1.0), |r| r.value.div_euclid(25)),
    );
    assert!(worst > 0.8 * eps, "worst ln ratio {worst}");
    // The count metric: 0 versus 10 contracts (its whole range, scale 10).
    let count = Privatiser::new(c.metric("inventory.contracts_24m_no_exit").unwrap(), eps).unwrap();
    let worst = audit(
        "count",
        eps,
        AUDIT_N,
        draws(&count, TrueValue::Int(0), |r| r.value),
        draws(&count, TrueValue::Int(10), |r| r.value),
    );
    assert!(worst > 0.8 * eps, "worst ln ratio {worst}");
}

#[test]
fn audit_the_release_path_from_facts() {
    // What `round::prepare` does per metric: the true value from the node's Facts, then
    // `release` (measurement built from the privacy map, value brought into its domain). Two
    // neighbouring administrations that differ in everything they hold.
    use crate::facts::Facts;
    use crate::inventory::InventorySummary;
    use crate::migration::{MigrationPath, Stage, StageChange};
    use sovbench_core::selftest::Assessment;
    let summary = |share: f64, contracts: usize| InventorySummary {
        systems: 10,
        critical: 2,
        critical_with_exit_share: share,
        non_eu_share: share,
        open_source_share: share,
        contracts_24m_no_exit: contracts,
        open_format_share: share,
    };
    let low = Facts {
        assessment: Some(Assessment::from_scores([1, 1, 1, 1, 1]).unwrap()),
        inventory: Some(summary(0.0, 0)),
        paths: Vec::new(),
    };
    let high = Facts {
        assessment: Some(Assessment::from_scores([5, 5, 5, 5, 5]).unwrap()),
        inventory: Some(summary(1.0, 40)),
        paths: vec![MigrationPath {
            id: "video-bigbluebutton".into(),
            category: crate::inventory::Category::Videokonferenzen,
            from_product: "Microsoft Teams".into(),
            to_product: "BigBlueButton".into(),
            stage: Stage::Rollout,
            history: vec![StageChange {
                stage: Stage::Rollout,
                on: 20_000,
                reason: None,
            }],
            workplaces: 100,
            systems: Vec::new(),
            notes: String::new(),
        }],
    };
    let c = cat();
    let eps = 1.0;
    for (id, width) in [
        ("selftest.datenhoheit", 1),
        (SELFTEST_BAND, 1),
        (SELFTEST_EXIT, 1),
        ("inventory.open_source_share", 25),
        ("inventory.contracts_24m_no_exit", 2),
        ("path.videokonferenzen.bigbluebutton", 1),
    ] {
        let def = c.metric(id).unwrap();
        let (ta, tb) = (low.true_value(id).unwrap(), high.true_value(id).unwrap());
        assert_ne!(ta, tb, "{id}: the neighbours must differ");
        // `release` is `Privatiser::new` (the bisection over the privacy map, about 2 ms in a
        // debug build) followed by `invoke`; the audit builds the privatiser once and checks
        // that `release` records the same parameters, so that 40,000 draws stay fast.
        let p = Privatiser::new(def, eps).unwrap();
        let once = release(def, &ta, eps).unwrap();
        let same = p.invoke(&ta).unwrap();
        assert_eq!(
            (once.mechanism, once.epsilon, once.scale, once.probability),
            (same.mechanism, same.epsilon, same.scale, same.probability),
            "{id}"
        );
        let worst = audit(
            id,
            eps,
            AUDIT_N,
            draws(&p, ta, move |r| r.value.div_euclid(width)),
            draws(&p, tb, move |r| r.value.div_euclid(width)),
        );
        assert!(worst > 0.8 * eps, "{id}: worst ln ratio {worst}");
    }
}

#[test]
fn selection_is_a_uniform_subset() {
    // 5,000 draws of 1 of 5: each index expected 1,000 times, sd sqrt(5000 * .2 * .8) = 28.3;
    // a band of +-150 is over 5 sd.
    let mut counts = [0usize; 5];
    for _ in 0..5_000 {
        let c = choose_indices(5, 1).unwrap();
        assert_eq!(c.len(), 1);
        counts[c[0]] += 1;
    }
    assert!(
        counts.iter().all(|&c| (850..=1150).contains(&c)),
        "{counts:?}"
    );
    assert_eq!(choose_indices(5, 0).unwrap(), vec![0, 1, 2, 3, 4]);
    let two = choose_indices(5, 2).unwrap();
    assert!(two.len() == 2 && two[0] < two[1]);
}

/// A set-of-items metric of four items under the bit-vector mechanism (the catalogue has none
/// in the default round; the band's definition is reused with its type and items changed).
fn four_item_bitvec() -> MetricDef {
    use sovbench_core::catalogue::{CategoryDef, ValueType};
    let mut def = cat().metric(SELFTEST_BAND).unwrap().clone();
    def.value_type = ValueType::SetOfItems;
    def.mechanism = MechanismKind::RandomizedResponseBitvec;
    def.categories = (0..4)
        .map(|i| CategoryDef {
            key: format!("i{i}"),
            label_de: String::new(),
            label_en: String::new(),
        })
        .collect();
    def
}
