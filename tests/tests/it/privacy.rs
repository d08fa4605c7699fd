//! The node's privacy policy and budget, end to end against a real aggregator.

use sovbench_core::i18n::Lang;
use sovbench_node::model::DeliveryState;
use sovbench_node::round::{self, policy};
use sovbench_node::NodeError;
use sovbench_tests::Harness;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_round_beyond_the_policy_is_refused_and_nothing_is_recorded_or_sent() {
    let mut h = Harness::start().await;
    // Three releases of epsilon 1 each: 3 > the test policy's 2 per round.
    h.open_round("r-greedy", 1.0, 3, 5);
    let node = h.node("gemeinde", "DE-BB", 4_000, [2, 3, 2, 3, 2]);
    let err = round::submit(&node).await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, NodeError::Policy { .. }), "{text}");
    assert!(
        text.contains("r-greedy") && text.contains("epsilon per round"),
        "{text}"
    );
    assert!(
        text.contains("3 (3 releases x 1)") && text.contains("at most 2"),
        "{text}"
    );
    assert!(node.store().ledger().unwrap().is_empty());
    assert!(node.store().outbox().unwrap().is_empty());
    assert_eq!(h.agg().rounds().unwrap()[0].submissions, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_whose_yearly_budget_is_spent_refuses_further_rounds() {
    let mut h = Harness::start().await;
    // The test policy allows 2 per round and 4 per year: two rounds of 2 spend the year.
    let node = h.node("stadt", "DE-HE", 60_000, [3, 3, 3, 3, 3]);
    for round in ["y1", "y2"] {
        h.open_round(round, 1.0, 2, 5);
        let r = round::submit(&node).await.unwrap();
        assert_eq!(r.current.unwrap().state, DeliveryState::Delivered);
        h.agg().close_round(round).await.unwrap();
    }
    let now = sovbench_core::now_unix();
    assert!((policy::spent_in_year(&node.store().ledger().unwrap(), now) - 4.0).abs() < 1e-6);
    h.open_round("y3", 0.5, 1, 5);
    let err = round::submit(&node).await.unwrap_err().to_string();
    assert!(
        err.contains("epsilon this year") && err.contains("at most 4"),
        "{err}"
    );
    assert_eq!(node.store().ledger().unwrap().len(), 2);
    assert_eq!(
        h.agg()
            .rounds()
            .unwrap()
            .iter()
            .find(|r| r.round_id == "y3")
            .unwrap()
            .submissions,
        0
    );

    // The report for the data protection officer lists both releases with the values sent.
    let report = sovbench_node::privacy::report::render(&node, Lang::De, now).unwrap();
    assert!(
        report.contains("Datenschutzbericht")
            && report.contains("Runde y1")
            && report.contains("Runde y2"),
        "{report}"
    );
    for e in node.store().ledger().unwrap() {
        assert!(report.contains(&e.payload_sha256));
        for r in &e.releases {
            assert!(
                report.contains(&format!("| {} |", r.value)),
                "value {} missing",
                r.value
            );
        }
    }
    assert!(report.contains("| 4.000 | 4.000 | 0.000 |"), "{report}");
    let en = sovbench_node::privacy::report::render(&node, Lang::En, now).unwrap();
    assert!(en.contains("privacy report") && en.contains("What the guarantee means"));
}
