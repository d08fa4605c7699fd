//! The inventory's privatised summaries travel through the real round path and appear in the
//! publication and in `compare`.

use sovbench_core::catalogue::{
    INVENTORY_CONTRACTS_24M, INVENTORY_CRITICAL_WITH_EXIT, INVENTORY_NON_EU, INVENTORY_OPEN_FORMAT,
    INVENTORY_OPEN_SOURCE,
};
use sovbench_core::envelope;
use sovbench_core::pb;
use sovbench_node::NodeError;
use sovbench_sim::federation::{start, FederationConfig};
use sovbench_tests::Harness;

fn inventory_metrics() -> Vec<String> {
    [
        INVENTORY_CRITICAL_WITH_EXIT,
        INVENTORY_NON_EU,
        INVENTORY_OPEN_SOURCE,
        INVENTORY_CONTRACTS_24M,
        INVENTORY_OPEN_FORMAT,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inventory_metrics_are_published_and_compared() {
    let cfg = FederationConfig {
        nodes: 400,
        seed: 9,
        epsilon: 2.0,
        releases_per_node: 1,
        min_cohort: 10,
        parallel: 8,
        dir: None,
        metrics: inventory_metrics(),
    };
    let fed = start(&cfg).await.unwrap();
    let msg = fed.publish().await.unwrap();
    let pb::payload::Body::Publication(p) = envelope::open(&msg).unwrap().body else {
        panic!()
    };
    let truth = fed.truth();
    let all: Vec<&pb::Cell> = p.cells.iter().filter(|c| c.cohort == "all").collect();
    assert_eq!(all.len(), 5);
    let mut published = 0;
    for c in &all {
        assert!(c.metric.starts_with("inventory."));
        if c.suppressed {
            continue;
        }
        published += 1;
        let t = truth["cells"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["cohort"] == "all" && t["metric"] == c.metric.as_str())
            .unwrap()["value"]
            .as_f64()
            .unwrap();
        // One round: the truth must lie within twice the half-width (p < 1e-4 per cell).
        let half = (c.ci_high - c.ci_low) / 2.0;
        assert!(
            (c.estimate - t).abs() <= 2.0 * half,
            "{}: {} vs {t} (±{half})",
            c.metric,
            c.estimate
        );
    }
    assert!(published >= 4, "{published} of 5 published");
    let node = fed.node(0).unwrap();
    let cmp = node.compare(None).await.unwrap();
    let row = cmp
        .rows
        .iter()
        .find(|r| r.cohort == "all" && r.metric == INVENTORY_NON_EU)
        .unwrap();
    let own = row.own.unwrap();
    assert!((0.0..=1.0).contains(&own));
    drop(node);
    fed.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_without_inventory_refuses_inventory_rounds_before_drawing() {
    let mut h = Harness::start().await;
    h.agg()
        .open_round(sovbench_aggregator::RoundSpec {
            round_id: "inv".into(),
            metrics: inventory_metrics(),
            epsilon_per_release: 1.0,
            releases_per_node: 1,
            min_cohort: 5,
            closes_at: sovbench_core::now_unix() + 600,
        })
        .unwrap();
    let node = h.node("gemeinde", "DE-NW", 8_000, [2, 2, 2, 2, 2]);
    let err = node.submit().await.unwrap_err();
    assert!(matches!(err, NodeError::NoInventory), "{err}");
    assert!(node.store().ledger().unwrap().is_empty());
}
