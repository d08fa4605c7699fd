//! Checks of submissions against their round: the shape property test and the mechanism
//! parameters.

use super::*;
use proptest::prelude::*;

fn fixed_round() -> (pb::RoundParams, pb::SignedMessage) {
    let c = sovbench_core::catalogue::Catalogue::current();
    let params = pb::RoundParams {
        round_id: "prop".into(),
        metrics: [
            "selftest.datenhoheit",
            "selftest.band",
            "selftest.exit_strategy",
        ]
        .iter()
        .map(|id| c.metric(id).expect("catalogue metric").spec())
        .collect(),
        epsilon_per_release: 1.0,
        releases_per_node: 1,
        min_cohort: 2,
        ..Default::default()
    };
    let (id, _) = sovbench_core::envelope::Identity::generate().expect("identity");
    let msg = id.seal(pb::payload::Body::Round(params.clone()));
    (params, msg)
}

fn release() -> impl Strategy<Value = pb::Release> {
    (
        prop::sample::select(vec![
            "selftest.datenhoheit",
            "selftest.band",
            "selftest.exit_strategy",
            "selftest.it_kompetenz",
            "",
        ]),
        0i32..6,
        prop_oneof![any::<i64>(), -200i64..200, Just(i64::MIN), Just(i64::MAX)],
        prop_oneof![Just(4.0f64), Just(4.000_001), any::<f64>(), Just(f64::NAN)],
        prop_oneof![Just(1.0f64), any::<f64>(), Just(0.999_999_5)],
        prop_oneof![
            Just(1f64.exp() / (1.0 + 1f64.exp())),
            Just(1f64.exp() / (1f64.exp() + 2.0)),
            any::<f64>()
        ],
        proptest::collection::vec(any::<bool>(), 0..4),
    )
        .prop_map(
            |(metric, mechanism, value, scale, epsilon, probability, bits)| pb::Release {
                metric: metric.into(),
                mechanism,
                value,
                scale,
                epsilon,
                probability,
                bits,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]
    /// Any submission, crafted or arbitrary: the check never panics, and what it accepts has
    /// exactly the round's shape and plausible values (the in-`cargo test` twin of the
    /// `submission_check` fuzz target).
    #[test]
    fn whatever_passes_the_check_has_the_rounds_shape(
        releases in proptest::collection::vec(release(), 0..3),
        right_hash in any::<bool>(),
        nonce in proptest::collection::vec(any::<u8>(), 0..80),
    ) {
        let (params, msg) = fixed_round();
        let sub = pb::Submission {
            round_id: "prop".into(),
            round_params_hash: if right_hash {
                sovbench_core::sha256(&msg.payload).to_vec()
            } else {
                vec![0; 32]
            },
            releases,
            created_at: 0,
            nonce,
            encrypted: Vec::new(),
        };
        if check_submission(&params, &msg, &sub).is_ok() {
            prop_assert!(right_hash);
            prop_assert_eq!(sub.releases.len(), 1);
            prop_assert!(sub.nonce.len() <= 64);
            let r = &sub.releases[0];
            let spec = params.metrics.iter().find(|m| m.id == r.metric).expect("known");
            prop_assert_eq!(r.mechanism, spec.mechanism);
            prop_assert!((r.epsilon - 1.0).abs() <= 1e-6);
            if MechanismKind::from_pb(r.mechanism) == Some(MechanismKind::DiscreteLaplace) {
                prop_assert!((-110..=116).contains(&r.value), "{}", r.value);
            } else {
                prop_assert!((0..3).contains(&r.value), "{}", r.value);
            }
        }
    }
}

fn spec(mech: pb::Mechanism, k: usize) -> pb::MetricSpec {
    pb::MetricSpec {
        id: "m".into(),
        mechanism: mech as i32,
        lower: 1,
        upper: 5,
        categories: (0..k).map(|i| i.to_string()).collect(),
    }
}

/// Old behaviour: `value.abs() > 10^7` let i64::MIN through (abs wraps in release builds)
/// and accepted 10^7 for a 1-5 score, enough for one node to move a mean to millions.
#[test]
fn laplace_values_beyond_the_tail_bound_are_refused() {
    let lap = spec(pb::Mechanism::DiscreteLaplace, 0);
    let ok = pb::Release {
        mechanism: pb::Mechanism::DiscreteLaplace as i32,
        scale: 4.0,
        epsilon: 1.0,
        value: 3,
        ..Default::default()
    };
    // T = ⌈4 · 40 ln 2⌉ = ⌈110.9⌉ = 111: accepted exactly on [1 − 111, 5 + 111].
    assert_eq!(laplace_bounds(1, 5, 4.0), (-110, 116));
    for (value, accepted) in [
        (-110, true),
        (116, true),
        (-111, false),
        (117, false),
        (10_000_000, false),
        (i64::MIN, false),
        (i64::MIN + 1, false),
        (i64::MAX, false),
    ] {
        let r = pb::Release {
            value,
            ..ok.clone()
        };
        assert_eq!(check_release(&lap, &r).is_ok(), accepted, "{value}");
    }
    // No overflow at extreme scales or bounds.
    assert_eq!(
        laplace_bounds(i64::MIN, i64::MAX, 1e300).0,
        i128::from(i64::MIN) - i128::from(i64::MAX)
    );
    assert_eq!(laplace_bounds(0, 0, f64::NAN), (0, 0));
}

#[test]
fn parameters_that_leave_nothing_to_debias_are_refused() {
    let e: f64 = 1.0;
    let ok_bool = pb::Release {
        mechanism: pb::Mechanism::RandomizedResponseBool as i32,
        probability: e.exp() / (1.0 + e.exp()),
        epsilon: e,
        value: 1,
        ..Default::default()
    };
    let s = spec(pb::Mechanism::RandomizedResponseBool, 0);
    assert!(check_release(&s, &ok_bool).is_ok());
    let half = pb::Release {
        probability: 0.5,
        ..ok_bool.clone()
    };
    assert!(check_release(&s, &half).is_err());
    let lap = spec(pb::Mechanism::DiscreteLaplace, 0);
    let ok = pb::Release {
        mechanism: pb::Mechanism::DiscreteLaplace as i32,
        scale: 4.0,
        epsilon: 1.0,
        value: 3,
        ..Default::default()
    };
    assert!(check_release(&lap, &ok).is_ok());
    for scale in [1e300, 3.9, f64::NAN] {
        assert!(
            check_release(
                &lap,
                &pb::Release {
                    scale,
                    ..ok.clone()
                }
            )
            .is_err(),
            "{scale}"
        );
    }
    let cat = spec(pb::Mechanism::RandomizedResponse, 3);
    let p = e.exp() / (e.exp() + 2.0);
    let ok_cat = pb::Release {
        mechanism: pb::Mechanism::RandomizedResponse as i32,
        probability: p,
        epsilon: e,
        value: 2,
        ..Default::default()
    };
    assert!(check_release(&cat, &ok_cat).is_ok());
    assert!(check_release(
        &cat,
        &pb::Release {
            probability: 1.0 / 3.0,
            ..ok_cat.clone()
        }
    )
    .is_err());
    assert!(check_release(&cat, &pb::Release { value: 3, ..ok_cat }).is_err());
    let bits = spec(pb::Mechanism::RandomizedResponseBitvec, 2);
    let f = 2.0 / (1.0 + (e / 2.0).exp());
    let ok_bits = pb::Release {
        mechanism: pb::Mechanism::RandomizedResponseBitvec as i32,
        probability: f,
        epsilon: e,
        bits: vec![true, false],
        ..Default::default()
    };
    assert!(check_release(&bits, &ok_bits).is_ok());
    assert!(check_release(
        &bits,
        &pb::Release {
            probability: 1.0,
            ..ok_bits.clone()
        }
    )
    .is_err());
    assert!(check_release(
        &bits,
        &pb::Release {
            bits: vec![true],
            ..ok_bits
        }
    )
    .is_err());
}
