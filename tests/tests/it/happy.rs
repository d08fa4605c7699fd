use sovbench_aggregator::publication::{export_publication, verify_export};
use sovbench_core::envelope;
use sovbench_core::pb;
use sovbench_node::model::DeliveryState;
use sovbench_node::{compare, round};
use sovbench_tests::Harness;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_submit_aggregator_publishes_nodes_compare() {
    // A fixed time, shared by the aggregator and the nodes (2026-11-26T12:00Z).
    let (mut h, _clock) = Harness::start_at(1_795_694_400).await;
    h.open_round("2026-q4", 1.0, 0, 5);
    // 40 administrations: two towns (a cohort below k) and 38 municipalities, enough for a
    // publishable share at epsilon 2 (below).
    let mut nodes = Vec::new();
    for i in 0..40i64 {
        let kind = if i < 2 { "stadt" } else { "gemeinde" };
        let s = 1 + i % 5;
        nodes.push(h.node(kind, "DE-NW", 5_000 + i as u64 * 1_000, [s, s, 3, 2, 1]));
    }
    // Five metrics at epsilon 1 each exceed the test policy's 2 per round: every node refuses
    // and nothing is recorded.
    let err = round::submit(&nodes[0]).await.unwrap_err().to_string();
    assert!(
        err.contains("epsilon per round") && err.contains("at most 2"),
        "{err}"
    );
    assert!(nodes[0].store().ledger().unwrap().is_empty());
    assert!(nodes[0].store().outbox().unwrap().is_empty());
    h.agg().close_round("2026-q4").await.unwrap();

    h.open_round("2026-q4b", 1.0, 2, 5);
    for n in &nodes {
        let r = round::submit(n).await.unwrap();
        let d = r.current.expect("released");
        assert_eq!(d.state, DeliveryState::Delivered, "{:?}", d.detail);
        assert_eq!(r.metrics.len(), 2);
        assert!((r.epsilon.unwrap() - 2.0).abs() < 1e-9);
        assert!(n.store().receipt("2026-q4b").unwrap().is_some());
        // A second submit finds nothing new to release.
        let again = round::submit(n).await.unwrap();
        assert!(again.current.is_none() && again.skipped.is_some());
    }
    assert!(
        h.agg().publish("2026-q4b").is_err(),
        "an open round cannot be published"
    );
    h.agg().close_round("2026-q4b").await.unwrap();
    let msg = h.agg().publish("2026-q4b").unwrap();
    let v = envelope::open_from(&msg, h.agg().public_key()).unwrap();
    let pb::payload::Body::Publication(p) = v.body else {
        panic!("not a publication")
    };
    assert_eq!(p.contributors, 40);
    assert_eq!(p.min_cohort, 5);
    let all: Vec<_> = p.cells.iter().filter(|c| c.cohort == "all").collect();
    assert_eq!(all.len(), 6, "five dimensions and the total");
    // 40 nodes x 2 releases over 5 metrics at epsilon 1: about 16 discrete-Laplace reports per
    // dimension, each with noise variance about 32, give half-widths near 2.8 points, far beyond
    // the usefulness limit of 1: every dimension (and so the total) is suppressed as too
    // imprecise, with no numbers.
    for c in &all {
        assert_eq!(c.n, 40);
        assert!(c.suppressed, "{c:?}");
        assert_eq!(c.suppression, pb::Suppression::TooImprecise as i32, "{c:?}");
        assert!(
            c.estimate == 0.0 && c.ci_low == 0.0 && c.ci_high == 0.0,
            "{c:?}"
        );
    }
    // kind=stadt has 2 contributors < k = 5: suppressed, numbers withheld.
    for c in p.cells.iter().filter(|c| c.cohort == "kind=stadt") {
        assert!(
            c.suppressed && c.estimate == 0.0 && c.ci_low == 0.0,
            "{c:?}"
        );
        assert_eq!(c.suppression, pb::Suppression::BelowMinCohort as i32);
    }
    // The export verifies with the raw key over the exact payload bytes.
    let doc = export_publication(&msg).unwrap();
    assert_eq!(verify_export(&doc).unwrap(), p);
    let mut forged = doc.clone();
    forged["signature"] = serde_json::json!(envelope::b64(&[0u8; 64]));
    assert!(verify_export(&forged).is_err());
    let cells = doc["benchmark"]["cells"].as_array().unwrap();
    assert!(cells
        .iter()
        .any(|c| c["cohort"] == "kind=gemeinde,size=5k-20k"));
    assert!(cells
        .iter()
        .filter(|c| c["suppressed"] == true)
        .all(|c| c["estimate"].is_null()));

    // A round that publishes: one boolean metric at epsilon 2 (the exit strategy; every node's
    // Governance score is 2, so the true share is 0). Each unbiased report has variance
    // p(1-p)/(2p-1)^2 = 0.18 (p = e^2/(1+e^2)); with 40 reports the 95% half-width is about
    // 0.13 < 0.2, the usefulness limit. The estimated variance would have to exceed 0.42 to
    // suppress the cell: at least 17 of 40 flipped answers where 4.8 are expected (probability
    // below 1e-6).
    h.agg()
        .open_round(sovbench_aggregator::RoundSpec {
            round_id: "2026-q4c".into(),
            metrics: vec!["selftest.exit_strategy".into()],
            epsilon_per_release: 2.0,
            releases_per_node: 0,
            min_cohort: 5,
            closes_at: h.clock.now() + 600,
            secure: None,
        })
        .unwrap();
    for n in &nodes {
        let r = round::submit(n).await.unwrap();
        assert_eq!(r.current.expect("released").state, DeliveryState::Delivered);
    }
    h.agg().close_round("2026-q4c").await.unwrap();
    let msg = h.agg().publish("2026-q4c").unwrap();
    let pb::payload::Body::Publication(q) = envelope::open(&msg).unwrap().body else {
        panic!("not a publication")
    };
    let exit = q
        .cells
        .iter()
        .find(|c| c.cohort == "all" && c.metric == "selftest.exit_strategy")
        .expect("exit cell");
    assert!(!exit.suppressed, "{exit:?}");
    assert_eq!((exit.n, exit.reporters), (40, 40));
    assert!(
        exit.ci_low < exit.estimate && exit.estimate < exit.ci_high,
        "{exit:?}"
    );
    let half = (exit.ci_high - exit.ci_low) / 2.0;
    assert!(half <= 0.2, "half-width {half} within the usefulness limit");
    // The estimate is unbiased for the true share 0; six standard errors (half / 1.96) bound
    // a miss with probability below 2e-9.
    assert!(exit.estimate.abs() < 6.0 * half / 1.96, "{exit:?}");
    // Every cell of the round is either published with its interval within the limit, or
    // suppressed without numbers and with a reason; the towns are below k.
    for c in &q.cells {
        if c.suppressed {
            assert!(
                c.estimate == 0.0 && c.ci_low == 0.0 && c.ci_high == 0.0,
                "{c:?}"
            );
            assert_ne!(c.suppression, pb::Suppression::None as i32, "{c:?}");
        } else {
            assert!(c.ci_high - c.ci_low <= 0.4 + 1e-9, "{c:?}");
        }
    }
    let stadt = q
        .cells
        .iter()
        .find(|c| c.cohort == "kind=stadt")
        .expect("town cell");
    assert_eq!(stadt.suppression, pb::Suppression::BelowMinCohort as i32);

    // Compare: rows for each cohort of the node, own true values beside the estimates.
    let cmp = compare::compare(&nodes[0], Some("2026-q4b")).await.unwrap();
    assert_eq!(cmp.round_id, "2026-q4b");
    let cohorts: Vec<&str> = cmp.rows.iter().map(|r| r.cohort.as_str()).collect();
    assert!(cohorts.contains(&"all") && cohorts.contains(&"kind=stadt"));
    let total = cmp
        .rows
        .iter()
        .find(|r| r.cohort == "all" && r.metric == "selftest.total")
        .unwrap();
    assert_eq!(total.own, Some(1.0 + 1.0 + 3.0 + 2.0 + 1.0));
    let text = sovbench_node::present::compare::comparison(&cmp, sovbench_core::i18n::Lang::De);
    assert!(
        text.contains("Governance & Exit-Strategie") && text.contains("zu wenige Teilnehmende"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_refuses_rounds_signed_by_another_key() {
    let mut h = Harness::start().await;
    h.open_round("r1", 1.0, 1, 2);
    let node = h.node("gemeinde", "DE-BY", 3_000, [2, 2, 2, 2, 2]);
    // Point the node at this aggregator but with somebody else's key.
    let other = tempfile::tempdir().unwrap();
    let stranger = sovbench_aggregator::Aggregator::init(&other.path().join("a"), "x").unwrap();
    let mut cfg = node.config().clone();
    cfg.aggregator_key = Some(envelope::b64(stranger.public_key()));
    cfg.save(node.dir()).unwrap();
    let dir = node.dir().to_path_buf();
    drop(node);
    let node = sovbench_node::Node::open(&dir).unwrap();
    let err = round::submit(&node).await.unwrap_err().to_string();
    // The refusal names both keys and the setting to fix.
    assert!(
        err.contains("aggregator_key in node.toml")
            && err.contains(&envelope::fingerprint(stranger.public_key()))
            && err.contains(&envelope::fingerprint(h.agg().public_key())),
        "{err}"
    );
    assert!(node.store().ledger().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn category_and_boolean_metrics_travel_end_to_end() {
    let mut h = Harness::start().await;
    h.agg()
        .open_round(sovbench_aggregator::RoundSpec {
            round_id: "r-rr".into(),
            metrics: vec!["selftest.band".into(), "selftest.exit_strategy".into()],
            epsilon_per_release: 1.0,
            releases_per_node: 0,
            min_cohort: 5,
            closes_at: h.clock.now() + 600,
            secure: None,
        })
        .unwrap();
    let mut nodes = Vec::new();
    for i in 0..12i64 {
        let s = 1 + i % 5;
        nodes.push(h.node("gemeinde", "DE-BY", 3_000, [s, s, s, s, s]));
    }
    for n in &nodes {
        let r = round::submit(n).await.unwrap();
        assert_eq!(r.metrics, vec!["selftest.band", "selftest.exit_strategy"]);
        let ledger = n.store().ledger().unwrap();
        assert_eq!(ledger[0].releases[0].mechanism, "randomized_response");
        assert_eq!(ledger[0].releases[1].mechanism, "randomized_response_bool");
        assert!(ledger[0].releases[1].probability > 0.5);
    }
    h.agg().close_round("r-rr").await.unwrap();
    let msg = h.agg().publish("r-rr").unwrap();
    let pb::payload::Body::Publication(p) = envelope::open(&msg).unwrap().body else {
        panic!()
    };
    let ids: Vec<&str> = p
        .cells
        .iter()
        .filter(|c| c.cohort == "all")
        .map(|c| c.metric.as_str())
        .collect();
    assert_eq!(
        ids,
        vec![
            "selftest.band=kritisch_abhaengig",
            "selftest.band=hybrid",
            "selftest.band=souveraen_auf_kurs",
            "selftest.exit_strategy"
        ]
    );
    // Twelve reports at epsilon 1 cannot pin a share to within 0.2: suppressed as too imprecise.
    for c in p.cells.iter().filter(|c| c.cohort == "all") {
        assert_eq!(c.reporters, 12);
        assert_eq!(c.suppression, pb::Suppression::TooImprecise as i32, "{c:?}");
    }
    let cmp = compare::compare(&nodes[0], None).await.unwrap();
    let own_band = cmp
        .rows
        .iter()
        .find(|r| r.cohort == "all" && r.metric == "selftest.band=kritisch_abhaengig")
        .unwrap();
    assert_eq!(
        own_band.own,
        Some(1.0),
        "scores of 1 are critically dependent"
    );
}
