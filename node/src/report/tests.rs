use super::*;

#[test]
fn the_report_is_self_contained_and_names_the_top_risks() {
    use crate::node::testing::{node, sample_inventory};
    let dir = tempfile::tempdir().unwrap();
    let n = node(&dir.path().join("n"));
    crate::inventory::edit::import(&n, &sample_inventory(), Default::default()).unwrap();
    crate::readiness::annual::perform(&n).unwrap();
    crate::selftest::record(
        &n,
        sovbench_core::selftest::Assessment::from_scores([2, 2, 3, 3, 1]).unwrap(),
    )
    .unwrap();
    for lang in [Lang::De, Lang::En] {
        let html = render(&n, lang, n.now()).unwrap();
        assert!(html.starts_with("<!DOCTYPE html>") && html.ends_with("</html>"));
        assert!(
            !html.contains("<script")
                && !html.contains("http://")
                && !html.contains("https://")
                && !html.contains("<link")
        );
        assert!(html.contains("@media print"));
        assert!(html.contains(lang.pick("Wechselbereitschaft", "Switch readiness")));
        assert!(html.contains(lang.pick("hybrid geprägt", "hybrid")));
        assert!(html.contains("Verzeichnisdienst"), "a top risk is listed");
    }
}

#[test]
fn the_report_charts_the_position_against_each_cohort_accessibly() {
    use sovbench_core::envelope::Identity;
    use sovbench_core::pb;
    let dir = tempfile::tempdir().unwrap();
    let n = crate::node::testing::node(&dir.path().join("n"));
    crate::selftest::record(
        &n,
        sovbench_core::selftest::Assessment::from_scores([4, 2, 3, 3, 1]).unwrap(),
    )
    .unwrap();
    let (agg, _) = Identity::generate().unwrap();
    let cell = |cohort: &str, est: f64, lo: f64, hi: f64| pb::Cell {
        cohort: cohort.into(),
        metric: "selftest.datenhoheit".into(),
        n: 9,
        estimate: est,
        ci_low: lo,
        ci_high: hi,
        ..Default::default()
    };
    let publication = pb::Publication {
        round_id: "2026-q4".into(),
        published_at: n.now() - 200 * 86_400,
        contributors: 40,
        min_cohort: 5,
        cells: vec![
            cell("all", 3.0, 2.5, 3.5),
            cell("kind=stadt,size=20k-50k", 4.0, 3.6, 4.4),
            pb::Cell {
                suppressed: true,
                suppression: pb::Suppression::BelowMinCohort as i32,
                fallback_cohort: "all".into(),
                ..cell("state=DE-NW", 0.0, 0.0, 0.0)
            },
        ],
        ..Default::default()
    };
    n.store()
        .put_publication(
            "2026-q4",
            &agg.seal(pb::payload::Body::Publication(publication)),
        )
        .unwrap();
    for lang in [Lang::De, Lang::En] {
        let html = render(&n, lang, n.now()).unwrap();
        let svgs: Vec<&str> = html
            .match_indices("<svg")
            .map(|(i, _)| &html[i..i + html[i..].find("</svg>").unwrap() + 6])
            .collect();
        assert_eq!(svgs.len(), 3, "one chart per cohort");
        for svg in &svgs {
            crate::present::chart::tests::well_formed(svg).unwrap_or_else(|e| panic!("{e}\n{svg}"));
            assert!(
                svg.contains("role=\"img\"") && svg.contains("<title") && svg.contains("<desc")
            );
        }
        let want: &[&str] = match lang {
            Lang::De => &[
                "<h3>alle Verwaltungen</h3>",
                "<h3>Städte 20.000–50.000 Einw.</h3>",
                "<h3>Verwaltungen in Nordrhein-Westfalen</h3>",
                "Nordrhein-Westfalen · 20.000–50.000 Einw.",
                "Ihr Wert 4, Kohortenwert 3,00 (95-%-Intervall [2,50; 3,50])",
                "über dem Kohortenwert",
                "im Bereich der Kohorte",
                "siehe alle Verwaltungen",
                "<caption>Werte: alle Verwaltungen, Runde 2026-q4</caption>",
                "<th scope=\"col\">Einordnung</th>",
                "<th scope=\"row\">Datenhoheit</th>",
                "class=\"stale\" role=\"note\"",
                "veröffentlicht vor 200 Tagen",
            ],
            Lang::En => &[
                "<h3>all administrations</h3>",
                "<h3>Towns and cities 20,000–50,000 inhabitants</h3>",
                "above the cohort value",
                "within the cohort&#39;s range",
                "see all administrations",
                "published 200 days ago",
            ],
        };
        for w in want {
            assert!(html.contains(w), "{w}");
        }
        assert!(!html.contains("kind=stadt") && !html.contains("state=DE-NW"));
    }
}

#[test]
fn escaping() {
    assert_eq!(
        esc("<a href=\"x\">&'"),
        "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
    );
}
