//! Tests of mode secure on the node, without the network: the round check (pinned committee,
//! committee size and threshold, epsilon, cohort minimum) and the recorded submission (it
//! verifies and decrypts to the node's true values; the ledger holds hashes, no value).

use sovbench_core::envelope::{self, Identity};
use sovbench_core::pb;
use sovbench_core::selftest::Assessment;
use sovbench_secure::committee::{deal_for_tests, Committee};
use sovbench_secure::round::{Grid, SecureRound};
use sovbench_secure::{bulletin, decryption, Trustee};

use super::*;
use crate::config::PrivacyPolicy;
use crate::model::{LedgerEntry, ReleaseMode};
use crate::node::{InitOptions, Node};
use crate::round::policy::budget;
use crate::round::{prepare_round, Prepared};

/// Self-test scores of the test node: every score 2, so no stored number may be 2 (the value) or
/// 1 (the plaintext, the score minus the lower bound 1).
const SCORES: [i64; 5] = [2, 2, 2, 2, 2];
/// The round's epsilon; neither 1 nor 2.
const EPSILON: f64 = 1.5;

fn committee(m: usize, t: usize) -> (Committee, Vec<Trustee>) {
    deal_for_tests(m, t, &mut rand::rngs::OsRng).expect("committee")
}

fn params(committee: &Committee, epsilon: f64, min_cohort: u32) -> pb::RoundParams {
    let c = Catalogue::shared();
    let keys = (0..committee.size())
        .map(|i| vec![i as u8 + 1; 32])
        .collect();
    pb::RoundParams {
        round_id: "2026-s1".into(),
        mode: pb::RoundMode::SecureAggregation as i32,
        metrics: c.default_round_metrics().iter().map(|d| d.spec()).collect(),
        epsilon_per_release: 0.0,
        releases_per_node: 0,
        min_cohort,
        opens_at: 0,
        closes_at: 4_000_000_000,
        catalogue_hash: c.hash().to_vec(),
        consortium: "test".into(),
        secure: Some(SecureRound::params(
            committee,
            keys,
            Grid::KindSize,
            epsilon,
            0.0,
        )),
    }
}

fn no_budget_spent() -> Budget {
    budget(&[], &PrivacyPolicy::default(), 1)
}

fn check_with(
    p: &pb::RoundParams,
    policy: &PrivacyPolicy,
    pinned: Option<[u8; 32]>,
    b: &Budget,
) -> Result<SecureRound, NodeError> {
    check(p, policy, pinned, Catalogue::shared(), b, 1)
}

/// A node pinning `pinned` (hex) that trusts `agg` as its aggregator, with a self-test.
fn node(dir: &std::path::Path, agg: &Identity, pinned: Option<String>) -> Node {
    let node = Node::init(
        dir,
        InitOptions {
            name: "Stadt Beispiel".into(),
            kind: "stadt".into(),
            state: "DE-NW".into(),
            size: 45_000,
            aggregator_url: Some("http://127.0.0.1:1".into()),
            aggregator_key: Some(envelope::b64(agg.public_key())),
            policy: None,
            committee_fingerprint: pinned,
        },
    )
    .expect("init node");
    crate::selftest::record(&node, Assessment::from_scores(SCORES).expect("scores"))
        .expect("self-test");
    node
}

#[test]
fn a_pinned_committee_within_policy_is_accepted() {
    let (c, _) = committee(5, 3);
    let round = check_with(
        &params(&c, EPSILON, 10),
        &PrivacyPolicy::default(),
        Some(c.fingerprint()),
        &no_budget_spent(),
    )
    .expect("accepted");
    assert_eq!(round.epsilon, EPSILON);
    assert_eq!(round.metrics.len(), 5);
}

#[test]
fn without_a_pinned_committee_the_round_is_refused_naming_its_fingerprint() {
    let (c, _) = committee(5, 3);
    let e = check_with(
        &params(&c, EPSILON, 10),
        &PrivacyPolicy::default(),
        None,
        &no_budget_spent(),
    )
    .unwrap_err();
    assert!(matches!(e, NodeError::CommitteeNotPinned { .. }), "{e:?}");
    let text = e.to_string();
    let fp = hex::encode(c.fingerprint());
    assert!(
        text.contains(&fp)
            && text.contains("out of band")
            && text.contains("committee_fingerprint")
            && text.contains("node.toml")
            && text.contains("3 of 5"),
        "{text}"
    );
}

#[test]
fn another_committee_than_the_pinned_one_is_refused_naming_both() {
    let (c, _) = committee(5, 3);
    let (pinned, _) = committee(5, 3);
    let e = check_with(
        &params(&c, EPSILON, 10),
        &PrivacyPolicy::default(),
        Some(pinned.fingerprint()),
        &no_budget_spent(),
    )
    .unwrap_err();
    assert!(matches!(e, NodeError::WrongCommittee { .. }), "{e:?}");
    let text = e.to_string();
    assert!(
        text.contains(&hex::encode(c.fingerprint()))
            && text.contains(&hex::encode(pinned.fingerprint()))
            && text.contains("committee_fingerprint in node.toml"),
        "{text}"
    );
}

#[test]
fn committee_size_and_threshold_below_the_policy_are_refused() {
    let (c, _) = committee(5, 3);
    let p = params(&c, EPSILON, 10);
    let fp = Some(c.fingerprint());
    let b = no_budget_spent();
    let policy = PrivacyPolicy {
        min_trustees: 6,
        ..PrivacyPolicy::default()
    };
    let text = check_with(&p, &policy, fp, &b).unwrap_err().to_string();
    assert!(
        text.contains("committee size m is 5 trustees")
            && text.contains("at least 6 (privacy.min_trustees in node.toml)"),
        "{text}"
    );
    let policy = PrivacyPolicy {
        min_threshold: 4,
        ..PrivacyPolicy::default()
    };
    let text = check_with(&p, &policy, fp, &b).unwrap_err().to_string();
    assert!(
        text.contains("threshold t is 3 of 5 trustees")
            && text.contains("at least 4 (privacy.min_threshold in node.toml)"),
        "{text}"
    );
    // The defaults (3 trustees, threshold 2) refuse a committee of 2 of 2 and 1 of 3.
    for (m, t) in [(2, 2), (3, 1)] {
        let (small, _) = committee(m, t);
        let e = check_with(
            &params(&small, EPSILON, 10),
            &PrivacyPolicy::default(),
            Some(small.fingerprint()),
            &b,
        )
        .unwrap_err();
        assert!(matches!(e, NodeError::Policy { .. }), "{m} {t}: {e:?}");
    }
}

#[test]
fn epsilon_above_the_policy_or_the_budget_and_a_small_cohort_are_refused() {
    let (c, _) = committee(5, 3);
    let fp = Some(c.fingerprint());
    let policy = PrivacyPolicy::default();
    let text = check_with(&params(&c, 3.0, 10), &policy, fp, &no_budget_spent())
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("epsilon per round is 3 (the whole encrypted submission)")
            && text.contains("privacy.max_epsilon_per_round"),
        "{text}"
    );
    // 3 spent in the window + 1.5 for this round > 4: the node is charged the round's epsilon.
    let spent = LedgerEntry {
        round_id: "old".into(),
        recorded_at: 0,
        epsilon: 3.0,
        releases: Vec::new(),
        payload_sha256: String::new(),
        state: crate::model::DeliveryState::Delivered,
        aggregator: String::new(),
        mode: ReleaseMode::Secure,
        secure: None,
    };
    let b = budget(&[spent], &policy, 1);
    let text = check_with(&params(&c, EPSILON, 10), &policy, fp, &b)
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("epsilon in the last 365 days is 4.5"),
        "{text}"
    );
    let lifetime = PrivacyPolicy {
        max_epsilon_lifetime: Some(4.0),
        ..PrivacyPolicy::default()
    };
    let mut old = budget(&[], &lifetime, 1);
    old.lifetime_spent = 3.0;
    let text = check_with(&params(&c, EPSILON, 10), &lifetime, fp, &old)
        .unwrap_err()
        .to_string();
    assert!(text.contains("privacy.max_epsilon_lifetime"), "{text}");
    let text = check_with(&params(&c, EPSILON, 5), &policy, fp, &no_budget_spent())
        .unwrap_err()
        .to_string();
    assert!(text.contains("minimum cohort size k is 5"), "{text}");
}

/// Every number in a JSON document.
fn numbers(v: &serde_json::Value, out: &mut Vec<f64>) {
    match v {
        serde_json::Value::Number(n) => out.extend(n.as_f64()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| numbers(x, out)),
        serde_json::Value::Object(o) => o.values().for_each(|x| numbers(x, out)),
        _ => {}
    }
}

#[test]
fn the_recorded_submission_verifies_and_decrypts_to_the_true_values_and_the_ledger_holds_none() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (agg, _) = Identity::generate().expect("aggregator identity");
    let (c, trustees) = committee(5, 3);
    let node = node(dir.path(), &agg, Some(hex::encode(c.fingerprint())));
    let round_msg = agg.seal(pb::payload::Body::Round(params(&c, EPSILON, 10)));
    let Prepared::Recorded {
        signed,
        epsilon,
        mode,
        metrics,
        ..
    } = prepare_round(&node, &round_msg).expect("prepared")
    else {
        panic!("skipped")
    };
    assert_eq!(
        (epsilon, mode, metrics.len()),
        (EPSILON, ReleaseMode::Secure, 5)
    );

    // Nothing was sent, yet the ledger entry and the outbox (the exact bytes) are recorded.
    let outbox = node.store().outbox().expect("outbox");
    assert_eq!(outbox, vec![("2026-s1".to_string(), signed.clone())]);
    let entry = node
        .store()
        .ledger_entry("2026-s1")
        .expect("ledger")
        .expect("entry before sending");
    assert_eq!(entry.mode, ReleaseMode::Secure);
    assert_eq!(entry.epsilon, EPSILON);
    assert!(entry.releases.is_empty());
    let sec = entry.secure.clone().expect("secure record");
    assert_eq!(sec.committee_fingerprint, hex::encode(c.fingerprint()));
    assert_eq!((sec.trustees, sec.threshold), (5, 3));

    // The submission: encrypted values only, each verifying, each hashed in the ledger.
    let opened = envelope::open(&signed).expect("signed by the node");
    let pb::payload::Body::Submission(sub) = opened.body else {
        panic!("not a submission")
    };
    assert!(sub.releases.is_empty());
    let hashes: Vec<(String, String)> = sub
        .encrypted
        .iter()
        .map(|e| {
            (
                e.metric.clone(),
                hex::encode(sovbench_core::sha256(&e.value)),
            )
        })
        .collect();
    let recorded: Vec<(String, String)> = sec
        .encrypted
        .iter()
        .map(|e| (e.metric.clone(), e.sha256.clone()))
        .collect();
    assert_eq!(hashes, recorded);
    let round = SecureRound::from_params(&params(&c, EPSILON, 10)).expect("round");
    let cts = bulletin::verify_submission(&round, &sub, &opened.signer)
        .expect("proofs verify")
        .components;
    assert_eq!(cts.len(), 5);
    let mut rng = rand::rngs::OsRng;
    let table = decryption::Table::new(10, 0);
    for (ct, def) in cts.iter().zip(&round.metrics) {
        let shares: Vec<_> = trustees[1..4]
            .iter()
            .map(|t| decryption::share(t, *ct, &mut rng))
            .collect();
        let value = decryption::combine(&c, *ct, &shares, &table)
            .expect("decrypts")
            .value;
        // The plaintext is the score minus the metric's lower bound.
        assert_eq!(value + def.lower, 2, "{}", def.id);
    }

    // The ledger's serialised form holds no true value: its only numbers are the recording time,
    // epsilon, m and t (the score 2 and the plaintext 1 are neither).
    let json = serde_json::to_value(&entry).expect("json");
    let mut nums = Vec::new();
    numbers(&json, &mut nums);
    nums.sort_by(f64::total_cmp);
    let mut expected = vec![entry.recorded_at as f64, EPSILON, 5.0, 3.0];
    expected.sort_by(f64::total_cmp);
    assert_eq!(nums, expected);
    let text = serde_json::to_string(&entry).expect("json");
    assert!(
        !text.contains("\"value\"") && !text.contains("scores"),
        "{text}"
    );

    // A second attempt at the same round is skipped, not encrypted again.
    assert!(matches!(
        prepare_round(&node, &round_msg),
        Ok(Prepared::Skipped(crate::round::Skip::AlreadyTookPart(_)))
    ));
}

#[test]
fn a_refused_secure_round_records_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (agg, _) = Identity::generate().expect("aggregator identity");
    let (c, _) = committee(5, 3);
    let node = node(dir.path(), &agg, None);
    let round_msg = agg.seal(pb::payload::Body::Round(params(&c, EPSILON, 10)));
    let e = prepare_round(&node, &round_msg).unwrap_err();
    assert!(matches!(e, NodeError::CommitteeNotPinned { .. }), "{e:?}");
    assert!(node.store().ledger().expect("ledger").is_empty());
    assert!(node.store().outbox().expect("outbox").is_empty());
}
