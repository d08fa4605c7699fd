//! The inventory's privatised summaries travel through the real round path and appear in the
//! publication and in `compare`.

use sovbench_core::catalogue::{
    INVENTORY_CONTRACTS_24M, INVENTORY_CRITICAL_WITH_EXIT, INVENTORY_NON_EU, INVENTORY_OPEN_FORMAT,
    INVENTORY_OPEN_SOURCE,
};
use sovbench_core::envelope;
use sovbench_core::pb;
use sovbench_node::{compare, round, NodeError};
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
    // Seeded population and metric choice; OpenDP's noise is not seedable, so the guards hold
    // with the probabilities stated below.
    let cfg = FederationConfig {
        nodes: 800,
        seed: 9,
        epsilon: 2.0,
        releases_per_node: 1,
        min_cohort: 10,
        parallel: 8,
        dir: None,
        peer_share: 0.0,
        metrics: inventory_metrics(),
        secure: None,
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
        // One round: the truth must lie within three times the half-width (5.88 standard
        // errors, p < 5e-9 per cell; twice the half-width failed with p = 1e-4 per cell).
        let half = (c.ci_high - c.ci_low) / 2.0;
        assert!(
            (c.estimate - t).abs() <= 3.0 * half,
            "{}: {} vs {t} (±{half})",
            c.metric,
            c.estimate
        );
    }
    // The four shares: about 160 reports each at epsilon 2, noise variance about 0.5 (scale 50 on
    // the 1/100 grid), a half-width near 0.11 against the limit of 0.2. Suppressing one would take
    // an estimated variance 3.3 times the expected one, over ten standard deviations of the
    // sample variance. (With 400 administrations the half-widths were 0.147-0.156, and a run
    // lost a share with a probability of the order of a percent.)
    assert!(published >= 4, "{published} of 5 published");
    let node = fed.node(0).unwrap();
    let cmp = compare::compare(&node, None).await.unwrap();
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
            closes_at: h.clock.now() + 600,
            secure: None,
        })
        .unwrap();
    let node = h.node("gemeinde", "DE-NW", 8_000, [2, 2, 2, 2, 2]);
    let err = round::submit(&node).await.unwrap_err();
    assert!(matches!(err, NodeError::NoInventory), "{err}");
    assert!(node.store().ledger().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn path_metrics_travel_end_to_end_and_compare_shows_own_paths_only() {
    use sovbench_node::inventory::Category;
    use sovbench_node::migration::{MigrationPath, Stage, StageChange};
    let mut h = Harness::start().await;
    let bbb = "path.videokonferenzen.bigbluebutton";
    let ox = "path.email_kalender.open_xchange";
    h.agg()
        .open_round(sovbench_aggregator::RoundSpec {
            round_id: "pfade".into(),
            metrics: vec![bbb.into(), ox.into()],
            epsilon_per_release: 2.0,
            releases_per_node: 1,
            min_cohort: 5,
            closes_at: h.clock.now() + 600,
            secure: None,
        })
        .unwrap();
    let mut nodes = Vec::new();
    for i in 0..8u32 {
        let n = h.node("stadt", "DE-SH", 30_000, [3, 3, 3, 3, 3]);
        let stage = [Stage::Pilot, Stage::Zurueckgerollt][i as usize % 2];
        n.store()
            .put_migration(&MigrationPath {
                id: "videokonferenzen-bigbluebutton".into(),
                category: Category::Videokonferenzen,
                from_product: "Microsoft Teams".into(),
                to_product: "BigBlueButton".into(),
                stage,
                history: vec![StageChange {
                    stage,
                    on: 20_000,
                    reason: None,
                }],
                workplaces: 100,
                systems: vec![],
                notes: "bleibt lokal".into(),
            })
            .unwrap();
        let r = round::submit(&n).await.unwrap();
        assert_eq!(r.metrics.len(), 1);
        nodes.push(n);
    }
    h.agg().close_round("pfade").await.unwrap();
    let msg = h.agg().publish("pfade").unwrap();
    let pb::payload::Body::Publication(p) = envelope::open(&msg).unwrap().body else {
        panic!()
    };
    let all: Vec<&str> = p
        .cells
        .iter()
        .filter(|c| c.cohort == "all")
        .map(|c| c.metric.as_str())
        .collect();
    assert!(all.contains(&"path.videokonferenzen.bigbluebutton=zurueckgerollt"));
    assert!(all.contains(&"path.videokonferenzen.bigbluebutton#rollback_rate"));
    assert!(all.contains(&"path.email_kalender.open_xchange=keiner"));
    // Eight reports cannot estimate anything to within 0.2: every cell is suppressed, honestly.
    assert!(p.cells.iter().all(|c| c.suppressed));
    let cmp = compare::compare(&nodes[0], None).await.unwrap();
    assert!(cmp.rows.iter().any(|r| r.metric.starts_with(bbb)));
    assert!(
        !cmp.rows.iter().any(|r| r.metric.starts_with(ox)),
        "paths the node is not on are not shown"
    );
    let own = cmp
        .rows
        .iter()
        .find(|r| r.cohort == "all" && r.metric == format!("{bbb}=pilot"))
        .unwrap();
    assert_eq!(own.own, Some(1.0));
    // The notes never leave the node: the ledger holds only the noisy category index.
    let ledger = nodes[0].store().ledger().unwrap();
    assert!(ledger[0].releases[0].value >= 0 && ledger[0].releases[0].value < 7);
}
