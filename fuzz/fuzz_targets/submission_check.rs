//! Arbitrary bytes as a `Submission` against a fixed open round: the aggregator's content check
//! never panics, and whatever it accepts has exactly the round's shape (count, distinct known
//! metrics, the round's epsilon, Laplace values within the tail bound).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use prost::Message as _;
use sovbench_aggregator::submission::{check_submission, laplace_bounds};
use sovbench_core::catalogue::Catalogue;
use sovbench_core::envelope::Identity;
use sovbench_core::pb;

fn round() -> &'static (pb::RoundParams, pb::SignedMessage) {
    static ROUND: OnceLock<(pb::RoundParams, pb::SignedMessage)> = OnceLock::new();
    ROUND.get_or_init(|| {
        let c = Catalogue::current();
        let params = pb::RoundParams {
            round_id: "fuzz".into(),
            metrics: ["selftest.datenhoheit", "selftest.band", "selftest.exit_strategy"]
                .iter()
                .filter_map(|id| c.metric(id).map(|m| m.spec()))
                .collect(),
            epsilon_per_release: 1.0,
            releases_per_node: 1,
            min_cohort: 2,
            ..Default::default()
        };
        let (id, _) = Identity::generate().expect("identity");
        let msg = id.seal(pb::payload::Body::Round(params.clone()));
        (params, msg)
    })
}

fuzz_target!(|data: &[u8]| {
    let (params, msg) = round();
    let Ok(mut sub) = pb::Submission::decode(data) else {
        return;
    };
    // Half the inputs get the right hash, so the fuzzer reaches the per-release checks.
    if data.first().is_some_and(|b| b & 1 == 1) {
        sub.round_params_hash = sovbench_core::sha256(&msg.payload).to_vec();
    }
    if check_submission(params, msg, &sub).is_ok() {
        assert_eq!(sub.releases.len(), 1);
        for r in &sub.releases {
            let spec = params.metrics.iter().find(|m| m.id == r.metric).expect("known metric");
            assert_eq!(r.mechanism, spec.mechanism);
            assert!((r.epsilon - 1.0).abs() <= 1e-6);
            if spec.mechanism == pb::Mechanism::DiscreteLaplace as i32 {
                let (lo, hi) = laplace_bounds(spec.lower, spec.upper, r.scale);
                assert!((lo..=hi).contains(&i128::from(r.value)));
            }
        }
    }
});
