//! Tests of the privatisation against OpenDP's own samplers. OpenDP draws its randomness from
//! OpenSSL and cannot be seeded (by design), so each statistical test uses a threshold whose
//! false-alarm probability is stated and below one in a million.

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

#[test]
fn empirical_privacy_audit_on_neighbouring_inputs() {
    // Neighbouring administrations: self-test score 1 versus 5 (the whole range, the worst case),
    // epsilon 1. For every output seen often enough in both, the observed likelihood ratio must
    // not exceed e^epsilon beyond sampling error: the log of a ratio of two counts c1, c2 has a
    // standard error of about sqrt(1/c1 + 1/c2); we allow 5 of those (one-sided p < 3e-7 per
    // output, about 20 outputs).
    let c = cat();
    let def = c.metric("selftest.datenhoheit").unwrap();
    let eps = 1.0;
    let n = 60_000;
    let lap = Privatiser::new(def, eps).unwrap();
    let hist = |truth: i64| {
        let mut h = std::collections::BTreeMap::<i64, f64>::new();
        for _ in 0..n {
            *h.entry(lap.invoke(&TrueValue::Int(truth)).unwrap().value)
                .or_default() += 1.0;
        }
        h
    };
    let (h1, h5) = (hist(1), hist(5));
    let mut checked = 0;
    let mut worst: f64 = 0.0;
    for (y, c1) in &h1 {
        let Some(c5) = h5.get(y) else { continue };
        if *c1 < 300.0 || *c5 < 300.0 {
            continue;
        }
        let log_ratio = (c1 / c5).ln().abs();
        let se = (1.0 / c1 + 1.0 / c5).sqrt();
        assert!(
            log_ratio <= eps + 5.0 * se,
            "output {y}: ln ratio {log_ratio} > {eps} + 5 x {se}"
        );
        worst = worst.max(log_ratio);
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} outputs checked");
    // The mechanism is not needlessly noisy either: the worst ratio comes close to e^eps.
    assert!(worst > 0.8 * eps, "worst observed ln ratio {worst}");

    // Boolean randomized response: P(yes | true) / P(yes | false) <= e^eps.
    let exit = Privatiser::new(c.metric(SELFTEST_EXIT).unwrap(), eps).unwrap();
    let yes = |b: bool| {
        (0..n)
            .filter(|_| exit.invoke(&TrueValue::Bool(b)).unwrap().value == 1)
            .count() as f64
    };
    let (y1, y0) = (yes(true), yes(false));
    let se = (1.0 / y1 + 1.0 / y0).sqrt();
    assert!((y1 / y0).ln() <= eps + 5.0 * se, "{y1} {y0}");
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
