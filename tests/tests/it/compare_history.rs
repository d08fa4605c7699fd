//! `compare --history` against a real aggregator: two published rounds and one still without a
//! publication, each fetched by round id over gRPC, verified, kept, and lined up per cohort and
//! metric with the own value, the interval and a verdict.

use sovbench_aggregator::RoundSpec;
use sovbench_core::i18n::Lang;
use sovbench_node::compare::{self, Verdict};
use sovbench_node::model::DeliveryState;
use sovbench_node::round;
use sovbench_tests::Harness;

fn exit_round(h: &Harness, id: &str) {
    // One yes/no metric at epsilon 2: 60 reports give a 95% half-width near 0.11 (truth kept
    // with p = 0.88, so 1.96 · √(q(1 − q) / 60) / 0.76 with q ≈ 0.12). It passes the usefulness
    // limit of 0.2 unless more than half of the 60 answers flip (probability below 1e-9), so the
    // "all" cell publishes. With 30 reports the limit failed in about one run in twenty.
    h.agg()
        .open_round(RoundSpec {
            round_id: id.into(),
            metrics: vec!["selftest.exit_strategy".into()],
            epsilon_per_release: 2.0,
            releases_per_node: 0,
            min_cohort: 5,
            closes_at: h.clock.now() + 600,
            secure: None,
        })
        .expect("open round");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compare_history_lists_every_round_the_node_took_part_in() {
    // 2026-11-26T12:00Z, shared by aggregator and nodes.
    let (mut h, clock) = Harness::start_at(1_795_694_400).await;
    // 60 municipalities in Schleswig-Holstein; Governance & Exit 2 for all: no exit strategy,
    // so the true share is 0 and node 0's own value is 0.
    let nodes: Vec<_> = (0..60)
        .map(|i| h.node("gemeinde", "DE-SH", 6_000 + i * 100, [3, 3, 3, 3, 2]))
        .collect();
    for (id, at) in [("2026-q3", 0), ("2026-q4", 1_000)] {
        clock.set(1_795_694_400 + at);
        exit_round(&h, id);
        for n in &nodes {
            let r = round::submit(n).await.unwrap();
            assert_eq!(r.current.expect("released").state, DeliveryState::Delivered);
        }
        h.agg().close_round(id).await.unwrap();
        h.agg().publish(id).unwrap();
    }
    // A third round a year later (a fresh yearly budget), taken part in but not yet published.
    clock.set(1_795_694_400 + 366 * 86_400);
    exit_round(&h, "2027-q4");
    round::submit(&nodes[0]).await.unwrap();

    let hist = compare::history(&nodes[0]).await.unwrap();
    let rounds: Vec<(&str, bool)> = hist
        .rounds
        .iter()
        .map(|r| (r.round_id.as_str(), r.published_at.is_some()))
        .collect();
    assert_eq!(
        rounds,
        [("2026-q3", true), ("2026-q4", true), ("2027-q4", false)]
    );
    assert!(hist.rounds[2]
        .missing
        .as_deref()
        .unwrap()
        .contains("no publication"));
    let all = hist
        .rows
        .iter()
        .find(|r| r.cohort == "all" && r.metric == "selftest.exit_strategy")
        .expect("the all cohort's exit-strategy row");
    assert!(all.share);
    let ids: Vec<&str> = all.points.iter().map(|p| p.round_id.as_str()).collect();
    assert_eq!(ids, ["2026-q3", "2026-q4"]);
    for p in &all.points {
        assert_eq!(p.own, Some(0.0));
        assert_eq!(p.n, 60);
        let (lo, hi) = (p.ci_low.unwrap(), p.ci_high.unwrap());
        // The verdict follows the interval: own value 0 inside or below it.
        let want = if 0.0 < p.cell.ci_low {
            Verdict::Below
        } else {
            Verdict::Inside
        };
        assert_eq!(p.verdict, Some(want), "{lo}..{hi}");
    }
    // Every cohort of the administration is there, with a point per published round.
    let cohorts: Vec<&str> = hist.rows.iter().map(|r| r.cohort.as_str()).collect();
    for c in [
        "all",
        "kind=gemeinde",
        "state=DE-SH",
        "size=5k-20k",
        "kind=gemeinde,size=5k-20k",
    ] {
        assert!(cohorts.contains(&c), "{c}: {cohorts:?}");
    }
    // The publications were kept: the latest the node has is 2026-q4's.
    let kept = compare::latest_publication(&nodes[0]).unwrap().unwrap();
    assert_eq!(kept.round_id, "2026-q4");

    let text = sovbench_node::present::history::history(&hist, Lang::De);
    for want in [
        "2026-q3",
        "2026-q4",
        "2027-q4",
        "noch keine Veröffentlichung",
        "[alle Verwaltungen]",
        "[Gemeinden 5.000–20.000 Einw.]",
        "[Verwaltungen in Schleswig-Holstein]",
        "0 % ",
    ] {
        assert!(text.contains(want), "{want}\n{text}");
    }
    let json = serde_json::to_value(&hist).unwrap();
    assert_eq!(json["rounds"].as_array().unwrap().len(), 3);
    assert!(json["rows"][0]["points"][0]["verdict"].is_string());

    // A node that took part in no round has an empty history, said in words.
    let fresh = h.node("stadt", "DE-BY", 30_000, [2, 2, 2, 2, 2]);
    let empty = compare::history(&fresh).await.unwrap();
    assert!(empty.rounds.is_empty() && empty.rows.is_empty());
    assert!(sovbench_node::present::history::history(&empty, Lang::De).contains("Noch keine Runde"));
    h.stop().await;
}
