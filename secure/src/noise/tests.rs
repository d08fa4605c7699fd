use super::*;
use std::collections::BTreeMap;

/// P(X = x) of the discrete Laplace distribution with parameter α.
fn pmf(alpha: f64, x: i64) -> f64 {
    (1.0 - alpha) / (1.0 + alpha) * alpha.powi(x.unsigned_abs() as i32)
}

/// The 1 − 10^-6 quantile of chi-square with `df` degrees of freedom (Wilson–Hilferty).
fn chi2_limit(df: f64) -> f64 {
    let z = 4.753;
    df * (1.0 - 2.0 / (9.0 * df) + z * (2.0 / (9.0 * df)).sqrt()).powi(3)
}

fn sum_of_shares(spec: &NoiseSpec, count: usize, rng: &mut rand::rngs::OsRng) -> i64 {
    (0..count).map(|_| share(spec, rng).expect("share")).sum()
}

#[test]
fn any_m_minus_t_plus_one_shares_are_exactly_discrete_laplace() {
    let mut rng = rand::rngs::OsRng;
    for (scale, m, t) in [(2.0, 5, 3), (4.0, 3, 2), (1.5, 4, 4)] {
        let spec = NoiseSpec::new(scale, m, t).expect("spec");
        let h = spec.honest();
        let n = 40_000;
        let mut counts: BTreeMap<i64, u64> = BTreeMap::new();
        for _ in 0..n {
            *counts.entry(sum_of_shares(&spec, h, &mut rng)).or_default() += 1;
        }
        // Bins |x| ≤ L each, and the two tails pooled, with expected counts of at least 20.
        let a = spec.alpha();
        let lim = (1..)
            .find(|&x| pmf(a, x) * n as f64 <= 20.0)
            .expect("a limit");
        let mut chi2 = 0.0;
        let mut df = 0.0;
        let mut inside = 0.0;
        for x in -lim..=lim {
            let e = pmf(a, x) * n as f64;
            let o = *counts.get(&x).unwrap_or(&0) as f64;
            chi2 += (o - e).powi(2) / e;
            inside += pmf(a, x);
            df += 1.0;
        }
        let e_tail = (1.0 - inside) * n as f64;
        let o_tail = counts
            .iter()
            .filter(|(x, _)| x.abs() > lim)
            .map(|(_, c)| *c as f64)
            .sum::<f64>();
        chi2 += (o_tail - e_tail).powi(2) / e_tail;
        assert!(
            chi2 < chi2_limit(df),
            "scale {scale}, {t} of {m}: chi2 {chi2:.1} over {df} df"
        );
    }
}

#[test]
fn all_m_shares_have_m_over_h_times_the_variance() {
    let mut rng = rand::rngs::OsRng;
    let spec = NoiseSpec::new(3.0, 5, 3).expect("spec");
    let n = 40_000;
    let xs: Vec<f64> = (0..n)
        .map(|_| sum_of_shares(&spec, 5, &mut rng) as f64)
        .collect();
    let mean = xs.iter().sum::<f64>() / n as f64;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n as f64 - 1.0);
    let want = spec.total_variance();
    // The sample variance of a Laplace-like variable has a relative standard error of about
    // sqrt((κ − 1) / n) with kurtosis κ ≈ 6: 1.1% here; 6% is more than five of them.
    assert!(
        (var / want - 1.0).abs() < 0.06,
        "variance {var:.2}, expected {want:.2}"
    );
    assert!(mean.abs() < 5.0 * (want / n as f64).sqrt(), "mean {mean}");
    assert!((want / spec.target_variance() - 5.0 / 3.0).abs() < 1e-12);
    let bound = spec.bound() as f64;
    assert!(xs.iter().all(|x| x.abs() <= bound), "bound {bound}");
    assert!(
        bound > 10.0 * spec.scale && bound < 200.0 * spec.scale,
        "bound {bound}"
    );
}

#[test]
fn the_guarantee_is_opendps_map_of_the_discrete_laplace() {
    use opendp::domains::{AtomDomain, VectorDomain};
    use opendp::measurements::make_laplace;
    use opendp::measures::MaxDivergence;
    use opendp::metrics::L1Distance;
    // A round's cell vector with L1 sensitivity Δ (d metrics × range R) and per-cell scale s:
    // OpenDP charges Δ / s, the ε the node is charged.
    for (delta, scale) in [(20i64, 10.0), (4, 2.0), (40, 13.3)] {
        let m = make_laplace::<_, _, MaxDivergence>(
            VectorDomain::new(AtomDomain::<i64>::default()),
            L1Distance::<i64>::default(),
            scale,
            None,
        )
        .expect("measurement");
        let eps = m.map(&delta).expect("map");
        assert!(
            (eps - delta as f64 / scale).abs() < 1e-9 * eps.max(1.0),
            "{eps}"
        );
    }
}

#[test]
fn empirical_privacy_audit_of_the_honest_trustees_noise() {
    // Neighbouring cell sums S and S + R (one administration's score from 1 to 5) with only the
    // h honest trustees' noise: for every output seen often enough, the ratio of its observed
    // frequencies stays below e^ε within five standard errors of the log ratio.
    let mut rng = rand::rngs::OsRng;
    let r = 4i64;
    let eps = 1.0;
    let spec = NoiseSpec::new(r as f64 / eps, 5, 3).expect("spec");
    let n = 60_000;
    let mut a: BTreeMap<i64, f64> = BTreeMap::new();
    let mut b: BTreeMap<i64, f64> = BTreeMap::new();
    for _ in 0..n {
        *a.entry(sum_of_shares(&spec, spec.honest(), &mut rng))
            .or_default() += 1.0;
        *b.entry(r + sum_of_shares(&spec, spec.honest(), &mut rng))
            .or_default() += 1.0;
    }
    let mut worst: f64 = 0.0;
    for (x, ca) in &a {
        let Some(cb) = b.get(x) else { continue };
        if *ca < 500.0 || *cb < 500.0 {
            continue;
        }
        let log_ratio = (ca / cb).ln().abs();
        let se = (1.0 / ca + 1.0 / cb).sqrt();
        assert!(
            log_ratio <= eps + 5.0 * se,
            "output {x}: ln ratio {log_ratio:.3}"
        );
        worst = worst.max(log_ratio - 5.0 * se);
    }
    // Not needlessly noisy: some output comes close to e^ε.
    assert!(worst > 0.5 * eps - 0.5, "worst {worst}");
}

#[test]
fn negative_noise_encrypts_and_bad_parameters_are_refused() {
    assert!(NoiseSpec::new(0.0, 5, 3).is_err());
    assert!(NoiseSpec::new(f64::NAN, 5, 3).is_err());
    assert!(NoiseSpec::new(2.0, 3, 5).is_err());
    let mut rng = rand::rngs::OsRng;
    let (committee, trustees) =
        crate::committee::deal_for_tests(3, 2, &mut rng).expect("committee");
    let c = encrypt(committee.key(), -7, &mut rng) + encrypt(committee.key(), 3, &mut rng);
    let shares: Vec<_> = trustees
        .iter()
        .map(|t| crate::decryption::share(t, c, &mut rng))
        .collect();
    let table = crate::decryption::Table::new(0, 10);
    assert_eq!(
        crate::decryption::combine(&committee, c, &shares, &table)
            .expect("decrypts")
            .value,
        -4
    );
}

#[test]
fn the_difference_pmf_sums_to_one_and_shape_one_is_discrete_laplace() {
    let a = (-1.0f64 / 3.0).exp();
    let d = difference_pmf(1.0, a).expect("pmf");
    let total = d[0] + 2.0 * d[1..].iter().sum::<f64>();
    assert!((total - 1.0).abs() < 1e-9, "total {total}");
    for (x, p) in d.iter().enumerate().take(30) {
        assert!(
            (p - pmf(a, x as i64)).abs() < 1e-12,
            "{x}: {p} vs {}",
            pmf(a, x as i64)
        );
    }
    // Variance from the pmf against the closed form, for a real shape.
    let d = difference_pmf(25.0 / 3.0, a).expect("pmf");
    let var: f64 = d
        .iter()
        .enumerate()
        .map(|(x, p)| 2.0 * (x as f64).powi(2) * p)
        .sum();
    assert!((var / difference_variance(25.0 / 3.0, a) - 1.0).abs() < 1e-9);
    assert!(polya_pmf(0.0, a).is_err());
    assert!(polya_pmf(1.0, 1.0).is_err());
}

#[test]
fn the_exact_half_width_covers_95_percent_of_drawn_noise() {
    // 10 cells' noise of all 5 of 5 trustees (3 of 5: h = 3) at scale 4: shape 50/3.
    let mut rng = rand::rngs::OsRng;
    let spec = NoiseSpec::new(4.0, 5, 3).expect("spec");
    let q = half_width(50.0 / 3.0, spec.alpha(), 0.95).expect("q") as i64;
    // Smallest: one step less covers less than 95%.
    let d = difference_pmf(50.0 / 3.0, spec.alpha()).expect("pmf");
    let cover = |q: usize| d[0] + 2.0 * d[1..=q].iter().sum::<f64>();
    assert!(cover(q as usize) >= 0.95 && cover(q as usize - 1) < 0.95);
    let n = 20_000;
    let inside = (0..n)
        .filter(|_| sum_of_shares(&spec, 50, &mut rng).abs() <= q)
        .count() as f64
        / n as f64;
    // Binomial standard error at 95%: sqrt(0.95 · 0.05 / 20,000) = 0.0015; the discreteness
    // puts the true coverage between 0.95 and 0.95 + P(|D| = q) ≈ 0.957; 5 standard errors.
    assert!((0.942..0.965).contains(&inside), "coverage {inside}");
}
