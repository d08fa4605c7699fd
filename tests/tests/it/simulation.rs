//! The demo's simulator against its own ground truth, through the real gRPC path.

use sovbench_core::envelope;
use sovbench_core::pb;
use sovbench_sim::federation::{start, FederationConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulated_federation_publishes_intervals_that_cover_the_truth() {
    let cfg = FederationConfig {
        nodes: 300,
        seed: 7,
        epsilon: 2.0,
        releases_per_node: 1,
        min_cohort: 10,
        parallel: 8,
        dir: None,
        metrics: Vec::new(),
    };
    let fed = start(&cfg).await.unwrap();
    let msg = fed.publish().await.unwrap();
    let v = envelope::open_from(&msg, fed.aggregator.public_key()).unwrap();
    let pb::payload::Body::Publication(p) = v.body else {
        panic!()
    };
    assert_eq!(p.contributors, 300);
    let truth = fed.truth();
    let truth_cells = truth["cells"].as_array().unwrap();
    let mut published = 0;
    for c in &p.cells {
        let t = truth_cells
            .iter()
            .find(|t| t["cohort"] == c.cohort.as_str() && t["metric"] == c.metric.as_str())
            .unwrap_or_else(|| panic!("no truth for {} {}", c.cohort, c.metric));
        let true_n = t["n"].as_u64().unwrap();
        if true_n < 10 {
            // Below k: suppressed, and not even the count is published.
            assert!(
                c.suppressed && c.n == 0,
                "{} has n = {true_n} < k",
                c.cohort
            );
        } else {
            assert_eq!(true_n, u64::from(c.n), "{}", c.cohort);
        }
        if !c.suppressed {
            published += 1;
            // Coverage itself is tested over 1,500 rounds with the estimators. Here, one round
            // only guards against gross errors: the truth must lie within twice the half-width
            // (a normal deviation beyond 3.92 standard errors has probability below 1e-4 per
            // cell).
            let value = t["value"].as_f64().unwrap();
            let half = (c.ci_high - c.ci_low) / 2.0;
            assert!(
                (c.estimate - value).abs() <= 2.0 * half,
                "{} {}: estimate {} truth {value} half-width {half}",
                c.cohort,
                c.metric,
                c.estimate
            );
        } else if c.suppression == pb::Suppression::TooImprecise as i32 {
            assert!(c.n >= 10);
        }
    }
    assert!(published >= 6, "{published}");
    let node = fed.node(3).unwrap();
    let cmp = node.compare(None).await.unwrap();
    assert!(cmp
        .rows
        .iter()
        .any(|r| r.cohort == "all" && r.estimate.is_some()));
    drop(node);
    fed.shutdown().await.unwrap();
}
