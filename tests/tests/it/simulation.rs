//! The demo's simulator against its own ground truth, through the real gRPC path.

use sovbench_core::envelope;
use sovbench_core::pb;
use sovbench_node::{compare, peers};
use sovbench_sim::federation::{start, FederationConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulated_federation_publishes_intervals_that_cover_the_truth() {
    // The population and the choice of released metrics are seeded; OpenDP's noise cannot be
    // (it comes from OpenSSL), so every guard below holds with a stated probability.
    let cfg = FederationConfig {
        nodes: 600,
        seed: 7,
        epsilon: 2.0,
        releases_per_node: 1,
        min_cohort: 10,
        parallel: 8,
        dir: None,
        peer_share: 0.0,
        metrics: Vec::new(),
        secure: None,
    };
    let fed = start(&cfg).await.unwrap();
    let msg = fed.publish().await.unwrap();
    let v = envelope::open_from(&msg, fed.aggregator.public_key()).unwrap();
    let pb::payload::Body::Publication(p) = v.body else {
        panic!()
    };
    assert_eq!(p.contributors, 600);
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
            // only guards against gross errors: the truth must lie within three times the
            // half-width (a normal deviation beyond 5.88 standard errors has probability below
            // 5e-9 per cell, below 1e-6 over the fewer than 200 cells; two half-widths, as
            // before, failed a correct run with probability about 1e-4 per cell).
            let value = t["value"].as_f64().unwrap();
            let half = (c.ci_high - c.ci_low) / 2.0;
            assert!(
                (c.estimate - value).abs() <= 3.0 * half,
                "{} {}: estimate {} truth {value} half-width {half}",
                c.cohort,
                c.metric,
                c.estimate
            );
        } else if c.suppression == pb::Suppression::TooImprecise as i32 {
            assert!(c.n >= 10);
        }
    }
    // At least the five all-cohort dimensions and their total. With 600 administrations each
    // dimension has about 120 reports at epsilon 2 (noise variance about 7.8 each) and a 95%
    // half-width near 0.5 against the limit of 1 (the total: near 1.2 against 4); suppressing
    // one would take an estimated variance four times the expected one, over ten standard
    // deviations of the sample variance. (With 300 administrations, as before, half-widths of
    // 0.64-0.89 were observed: a few percent of runs could lose a cell.)
    assert!(published >= 6, "{published}");
    let node = fed.node(3).unwrap();
    let cmp = compare::compare(&node, None).await.unwrap();
    assert!(cmp
        .rows
        .iter()
        .any(|r| r.cohort == "all" && r.estimate.is_some()));
    drop(node);
    fed.shutdown().await.unwrap();
}

/// Every offering administration's match lists against the ground truth of the simulated
/// population: exactly the offers of the same category are candidates, peers on the same path
/// come first, and the scores are the documented score of the true attributes, best first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn matching_lists_same_path_peers_first_ranked_by_the_documented_score() {
    use sovbench_core::cohort::{Kind, SizeClass};
    use sovbench_core::peers::{score, OfferProfile};
    use std::str::FromStr as _;

    let cfg = FederationConfig {
        nodes: 300,
        seed: 11,
        peer_share: 0.5,
        parallel: 8,
        ..Default::default()
    };
    let fed = start(&cfg).await.unwrap();
    let offering = fed.offering();
    assert!(offering.len() > 40, "only {} offering", offering.len());
    // The truth: every offer with its true attributes.
    struct Truth {
        admin: usize,
        path: String,
        category: sovbench_core::vocab::Category,
        stage: sovbench_core::vocab::Stage,
        kind: Kind,
        size: SizeClass,
    }
    let mut offers = Vec::new();
    for &i in &offering {
        let a = &fed.population[i];
        for p in sovbench_sim::population::paths_for(a, i, fed.seed) {
            if let Some(item) = p.catalogue_item() {
                offers.push(Truth {
                    admin: i,
                    path: item.id.clone(),
                    category: item.category,
                    stage: p.stage,
                    kind: a.kind,
                    size: a.size_class(),
                });
            }
        }
    }
    impl Truth {
        fn profile(&self) -> OfferProfile<'_> {
            OfferProfile {
                path_id: &self.path,
                category: self.category,
                stage: self.stage,
                kind: self.kind,
                size: self.size,
            }
        }
    }
    let mut lists_checked = 0;
    let mut with_other_paths = 0;
    for &i in &offering {
        let node = fed.node(i).unwrap();
        let lists = peers::matches(&node, 50).await.unwrap();
        assert!(!lists.is_empty());
        for l in &lists {
            let own = offers
                .iter()
                .find(|o| o.admin == i && o.path == l.path_id)
                .expect("own offer in the truth");
            assert_eq!(l.stage, own.stage.key());
            let me = own.profile();
            let mut expected: Vec<i32> = offers
                .iter()
                .filter(|o| o.admin != i && o.category == own.category)
                .map(|o| score(&me, &o.profile()).expect("same category").0)
                .collect();
            assert_eq!(l.candidates as usize, expected.len(), "{}", l.path_id);
            expected.sort_unstable_by(|a, b| b.cmp(a));
            expected.truncate(50);
            let got: Vec<i32> = l.matches.iter().map(|m| m.score).collect();
            assert_eq!(got, expected, "ranking of {} for {i}", l.path_id);
            let first_other = l
                .matches
                .iter()
                .position(|m| !m.same_path)
                .unwrap_or(l.matches.len());
            assert!(l.matches[first_other..].iter().all(|m| !m.same_path));
            if first_other < l.matches.len() {
                with_other_paths += 1;
            }
            for m in &l.matches {
                let category = sovbench_core::paths::path_by_id(&m.path_id)
                    .expect("catalogue path")
                    .category;
                let other = OfferProfile {
                    path_id: &m.path_id,
                    category,
                    stage: sovbench_core::vocab::Stage::from_key(&m.stage).expect("known stage"),
                    kind: Kind::from_str(&m.kind).unwrap(),
                    size: SizeClass::from_key(&m.size_class).unwrap(),
                };
                assert_eq!(score(&me, &other).unwrap().0, m.score);
                let sum: i32 = m.parts.iter().map(|p| p.1).sum();
                assert_eq!(sum, m.score, "the parts explain the whole score");
                // A true offer of another administration with exactly these attributes exists.
                assert!(offers.iter().any(|o| o.admin != i
                    && o.path == m.path_id
                    && o.stage.key() == m.stage
                    && o.kind == other.kind
                    && o.size == other.size));
            }
            lists_checked += 1;
        }
    }
    assert!(lists_checked >= offering.len());
    assert!(
        with_other_paths > 0,
        "some lists reach into neighbouring paths"
    );
    fed.shutdown().await.unwrap();
}
