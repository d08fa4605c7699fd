//! The demo's simulator against its own ground truth, through the real gRPC path.

use sovbench_core::envelope;
use sovbench_core::pb;
use sovbench_sim::federation::{start, FederationConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulated_federation_publishes_intervals_that_cover_the_truth() {
    let cfg = FederationConfig {
        nodes: 150,
        seed: 7,
        epsilon: 2.0,
        releases_per_node: 1,
        min_cohort: 10,
        parallel: 8,
        dir: None,
    };
    let fed = start(&cfg).await.unwrap();
    let msg = fed.publish().await.unwrap();
    let v = envelope::open_from(&msg, fed.aggregator.public_key()).unwrap();
    let pb::payload::Body::Publication(p) = v.body else {
        panic!()
    };
    assert_eq!(p.contributors, 150);
    let truth = fed.truth();
    let truth_cells = truth["cells"].as_array().unwrap();
    let mut published = 0;
    let mut covered = 0;
    for c in &p.cells {
        let t = truth_cells
            .iter()
            .find(|t| t["cohort"] == c.cohort.as_str() && t["metric"] == c.metric.as_str())
            .unwrap_or_else(|| panic!("no truth for {} {}", c.cohort, c.metric));
        assert_eq!(t["n"].as_u64().unwrap(), u64::from(c.n), "{}", c.cohort);
        if c.n < 10 {
            assert!(c.suppressed, "{} has n = {} < k", c.cohort, c.n);
        }
        if !c.suppressed {
            published += 1;
            let value = t["value"].as_f64().unwrap();
            if c.ci_low <= value && value <= c.ci_high {
                covered += 1;
            }
        }
    }
    // Nominal coverage is 95%. The cells are few and correlated (nested cohorts share
    // contributors), so this end-to-end check only guards against gross errors: at least 75%
    // must cover. The precise coverage test lives with the estimators.
    assert!(published >= 10, "{published}");
    assert!(
        covered * 4 >= published * 3,
        "{covered} of {published} cover the truth"
    );
    let node = fed.node(3).unwrap();
    let cmp = node.compare(None).await.unwrap();
    assert!(cmp
        .rows
        .iter()
        .any(|r| r.cohort == "all" && r.estimate.is_some()));
    drop(node);
    fed.shutdown().await.unwrap();
}
