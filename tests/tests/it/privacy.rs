//! The node's privacy policy and budget, end to end against a real aggregator.

use sovbench_core::clock::Clock;
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

/// 2026-12-31T12:00:00Z: the budget test starts half a day before New Year.
const NEW_YEARS_EVE: i64 = 1_798_718_400;
const DAY: i64 = 86_400;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spent_budget_stays_spent_across_new_year_until_365_days_have_passed() {
    // One clock for the aggregator and the node: the test does not depend on the day it runs.
    let (mut h, clock) = Harness::start_at(NEW_YEARS_EVE).await;
    // The test policy allows 2 per round and 4 in any 365 days: two rounds of 2 spend it.
    let node = h.node("stadt", "DE-HE", 60_000, [3, 3, 3, 3, 3]);
    for round in ["y1", "y2"] {
        h.open_round(round, 1.0, 2, 5);
        let r = round::submit(&node).await.unwrap();
        assert_eq!(r.current.unwrap().state, DeliveryState::Delivered);
        h.agg().close_round(round).await.unwrap();
    }
    let budget = |now| policy::budget(&node.store().ledger().unwrap(), &node.config().privacy, now);
    assert!((budget(clock.now()).spent - 4.0).abs() < 1e-6);

    // New Year's Day. A budget per calendar year (the old rule) would start again at 0 here
    // and take part: 8 within two days. The rolling window refuses.
    clock.advance(DAY);
    h.open_round("y3", 0.5, 1, 5);
    let err = round::submit(&node).await.unwrap_err().to_string();
    assert!(
        err.contains("epsilon in the last 365 days")
            && err.contains("at most 4")
            && err.contains("fits again from 2027-12-31 12:00 UTC"),
        "{err}"
    );
    assert_eq!(node.store().ledger().unwrap().len(), 2);
    let y3 = |h: &Harness| {
        h.agg()
            .rounds()
            .unwrap()
            .iter()
            .find(|r| r.round_id == "y3")
            .unwrap()
            .submissions
    };
    assert_eq!(y3(&h), 0);

    // The report for the data protection officer lists both releases with the values sent,
    // the window and when the budget frees up.
    let now = clock.now();
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
    assert!(
        report.contains("Datenschutzbudget der letzten 365 Tage")
            && report.contains("ε 4.000 / 4.000 verbraucht in 2 Runden, verbleibend 0.000")
            && report.contains("wird wieder frei am 2027-12-31 12:00 UTC: ε 2.000")
            && report.contains("| 2026 | 2 | 4.000 |"),
        "{report}"
    );
    let en = sovbench_node::privacy::report::render(&node, Lang::En, now).unwrap();
    assert!(en.contains("privacy report") && en.contains("What the guarantee means"));
    assert!(en.contains("frees up on 2027-12-31 12:00 UTC"), "{en}");

    // 365 days after the releases, the budget is free again.
    h.agg().close_round("y3").await.unwrap();
    clock.set(NEW_YEARS_EVE + 365 * DAY + 1);
    assert_eq!(budget(clock.now()).spent, 0.0);
    h.open_round("y4", 1.0, 2, 5);
    let r = round::submit(&node).await.unwrap();
    assert_eq!(r.current.unwrap().state, DeliveryState::Delivered);
}
