use super::*;
use crate::model::{DeliveryState, LedgerEntry};
use sovbench_core::envelope::Identity;
use sovbench_core::i18n::Lang;

fn round_msg(agg: &Identity, id: &str, opens_at: i64, closes_at: i64) -> pb::SignedMessage {
    agg.seal(pb::payload::Body::Round(pb::RoundParams {
        round_id: id.into(),
        opens_at,
        closes_at,
        ..Default::default()
    }))
}

fn publication(id: &str, params: &pb::SignedMessage, published_at: i64) -> pb::Publication {
    pb::Publication {
        round_id: id.into(),
        round_params_hash: sovbench_core::sha256(&params.payload).to_vec(),
        published_at,
        ..Default::default()
    }
}

fn took_part(node: &Node, agg: &Identity, id: &str, opens_at: i64, closes_at: i64) {
    node.store()
        .put_round(id, &round_msg(agg, id, opens_at, closes_at))
        .unwrap();
    let entry = LedgerEntry {
        round_id: id.into(),
        recorded_at: opens_at,
        epsilon: 1.0,
        releases: Vec::new(),
        payload_sha256: String::new(),
        state: DeliveryState::Delivered,
        mode: Default::default(),
        secure: None,
        aggregator: "http://127.0.0.1:1".into(),
    };
    node.store()
        .record_release(
            &entry,
            &agg.seal(pb::payload::Body::Receipt(Default::default())),
        )
        .unwrap();
}

#[test]
fn the_round_asked_for_and_the_parameters_seen_must_match() {
    let dir = tempfile::tempdir().unwrap();
    let node = crate::node::testing::node(dir.path());
    let (agg, _) = Identity::generate().unwrap();
    let r1 = round_msg(&agg, "r1", 100, 200);
    node.store().put_round("r1", &r1).unwrap();
    let good = publication("r1", &r1, 300);
    assert!(check_publication(&node, &good, Some("r1")).is_ok());
    // Another round than asked for.
    let err = check_publication(&node, &good, Some("r2")).unwrap_err();
    assert!(
        err.to_string()
            .contains("asked for the publication of round r2"),
        "{err}"
    );
    // Other parameters than the node received for r1.
    let other = round_msg(&agg, "r1", 100, 999);
    let forged = publication("r1", &other, 300);
    let err = check_publication(&node, &forged, Some("r1")).unwrap_err();
    assert!(err.to_string().contains("other round parameters"), "{err}");
    assert!(check_publication(&node, &forged, None).is_err());
}

#[test]
fn an_older_publication_is_refused_as_the_latest() {
    let dir = tempfile::tempdir().unwrap();
    let (clock, shared) = sovbench_core::clock::TestClock::shared(10_000);
    drop(crate::node::testing::node(dir.path()));
    let node = Node::open_with_clock(dir.path(), shared).unwrap();
    let (agg, _) = Identity::generate().unwrap();
    let r1 = round_msg(&agg, "r1", 100, 200);
    let r2 = round_msg(&agg, "r2", 1_000, 2_000);
    // The node has seen r2's publication: r1's is not the latest any more.
    node.store()
        .put_publication(
            "r2",
            &agg.seal(pb::payload::Body::Publication(publication(
                "r2", &r2, 2_500,
            ))),
        )
        .unwrap();
    let old = publication("r1", &r1, 300);
    let err = check_publication(&node, &old, None).unwrap_err();
    assert!(matches!(err, NodeError::StalePublication { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("already seen the publication of round r2"),
        "{err}"
    );
    // Asked for by its id, the older one is fine.
    assert!(check_publication(&node, &old, Some("r1")).is_ok());
    assert!(check_publication(&node, &publication("r2", &r2, 2_500), None).is_ok());

    // The node took part in r3, which closed at 5,000: a publication from before is stale once
    // r3 has closed, not while it is open.
    took_part(&node, &agg, "r3", 4_000, 5_000);
    let r2_again = publication("r2", &r2, 2_500);
    clock.set(4_500);
    assert!(check_publication(&node, &r2_again, None).is_ok());
    clock.set(5_001);
    let err = check_publication(&node, &r2_again, None).unwrap_err();
    assert!(err.to_string().contains("took part in round r3"), "{err}");
    let r3 = node.store().round("r3").unwrap().unwrap();
    assert!(check_publication(&node, &publication("r3", &r3, 5_100), None).is_ok());
}

fn cell(cohort: &str, metric: &str, est: f64, lo: f64, hi: f64) -> pb::Cell {
    pb::Cell {
        cohort: cohort.into(),
        metric: metric.into(),
        n: 12,
        reporters: 12,
        estimate: est,
        ci_low: lo,
        ci_high: hi,
        ..Default::default()
    }
}

fn suppressed(cohort: &str, metric: &str, fallback: &str) -> pb::Cell {
    pb::Cell {
        cohort: cohort.into(),
        metric: metric.into(),
        n: 2,
        suppressed: true,
        suppression: pb::Suppression::BelowMinCohort as i32,
        suppression_reason: "fewer than 5".into(),
        fallback_cohort: fallback.into(),
        ..Default::default()
    }
}

/// A node ("Stadt Beispiel", DE-NW, 45,000 inhabitants) on a test clock at `t`.
fn clocked_node(
    dir: &std::path::Path,
    t: i64,
) -> (Node, std::sync::Arc<sovbench_core::clock::TestClock>) {
    let (clock, shared) = sovbench_core::clock::TestClock::shared(t);
    drop(crate::node::testing::node(dir));
    (Node::open_with_clock(dir, shared).unwrap(), clock)
}

fn assess(node: &Node, s: i64) {
    crate::selftest::record(
        node,
        sovbench_core::selftest::Assessment::from_scores([s; 5]).unwrap(),
    )
    .unwrap();
}

#[test]
fn stale_flags_name_a_later_round_and_the_age_but_only_a_closed_round_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (node, clock) = clocked_node(dir.path(), 10_000);
    let (agg, _) = Identity::generate().unwrap();
    let r1 = round_msg(&agg, "r1", 100, 200);
    node.store().put_round("r1", &r1).unwrap();
    let p1 = publication("r1", &r1, 300);
    assert_eq!(staleness(&node, &p1).unwrap(), Vec::new());
    // The node takes part in r2 (open until 20,000): flagged, not refused, while r2 is open.
    took_part(&node, &agg, "r2", 9_000, 20_000);
    let flags = staleness(&node, &p1).unwrap();
    assert_eq!(
        flags,
        vec![Stale::LaterRound {
            round_id: "r2".into(),
            closes_at: 20_000,
            closed: false
        }]
    );
    assert!(check_publication(&node, &p1, None).is_ok());
    assert!(flags[0]
        .text(Lang::De)
        .contains("Ihre Verwaltung hat an Runde r2 teilgenommen"));
    assert!(flags[0]
        .text(Lang::En)
        .contains("took part in round r2 (closes"));
    // A comparison carries the flag.
    assert_eq!(comparison(&node, &p1).unwrap().stale, flags);
    // After 120 days the age is flagged too; r2 has closed, so the offered latest is refused.
    clock.set(300 + 121 * 86_400);
    let flags = staleness(&node, &p1).unwrap();
    assert!(flags.contains(&Stale::Old { days: 121 }), "{flags:?}");
    assert!(flags.contains(&Stale::LaterRound {
        round_id: "r2".into(),
        closes_at: 20_000,
        closed: true
    }));
    assert!(matches!(
        check_publication(&node, &p1, None),
        Err(NodeError::StalePublication { .. })
    ));
    // Exactly 120 days is not old yet; r2's own publication is current.
    clock.set(20_100 + 120 * 86_400);
    let r2 = node.store().round("r2").unwrap().unwrap();
    assert_eq!(
        staleness(&node, &publication("r2", &r2, 20_100)).unwrap(),
        Vec::new()
    );
    // A newer publication seen: flagged for an older one asked for by id.
    node.store()
        .put_publication(
            "r2",
            &agg.seal(pb::payload::Body::Publication(publication(
                "r2", &r2, 20_100,
            ))),
        )
        .unwrap();
    assert!(staleness(&node, &p1)
        .unwrap()
        .contains(&Stale::NewerPublication {
            round_id: "r2".into(),
            published_at: 20_100
        }));
}

#[test]
fn a_comparison_names_cohorts_and_gives_a_verdict_only_where_the_interval_supports_one() {
    let dir = tempfile::tempdir().unwrap();
    let (node, _clock) = clocked_node(dir.path(), 10_000);
    assess(&node, 4);
    let (agg, _) = Identity::generate().unwrap();
    let r1 = round_msg(&agg, "r1", 100, 200);
    let mut p = publication("r1", &r1, 9_000);
    p.min_cohort = 5;
    p.cells = vec![
        cell("all", "selftest.datenhoheit", 3.0, 2.5, 3.5),
        cell("state=DE-NW", "selftest.datenhoheit", 4.2, 3.8, 4.6),
        cell("size=20k-50k", "selftest.datenhoheit", 4.5, 4.1, 4.9),
        suppressed("kind=stadt", "selftest.datenhoheit", "all"),
        cell("kind=gemeinde", "selftest.datenhoheit", 1.0, 0.5, 1.5),
    ];
    let c = comparison(&node, &p).unwrap();
    let verdicts: Vec<(&str, Option<Verdict>)> = c
        .rows
        .iter()
        .map(|r| (r.cohort.as_str(), r.verdict))
        .collect();
    // Other cohorts (kind=gemeinde) are not the administration's and are left out.
    assert_eq!(
        verdicts,
        vec![
            ("all", Some(Verdict::Above)),
            ("kind=stadt", None),
            ("state=DE-NW", Some(Verdict::Inside)),
            ("size=20k-50k", Some(Verdict::Below)),
        ]
    );
    assert_eq!(c.rows[1].fallback_cohort.as_deref(), Some("all"));
    let de = crate::present::compare::comparison(&c, Lang::De);
    for want in [
        "Runde r1 (veröffentlicht",
        "[alle Verwaltungen]",
        "[Städte]",
        "[Verwaltungen in Nordrhein-Westfalen]",
        "[Verwaltungen 20.000–50.000 Einw.]",
        "über dem Kohortenwert",
        "im Bereich der Kohorte",
        "unter dem Kohortenwert",
        "zu wenige Teilnehmende (< 5); siehe alle Verwaltungen",
        "keine Einordnung",
        "1 ────────[=●==]─◆───── 5",
    ] {
        assert!(de.contains(want), "{want}\n{de}");
    }
    assert!(!de.contains("kind=") && !de.contains("state=") && !de.contains("ACHTUNG"));
    let en = crate::present::compare::comparison(&c, Lang::En);
    for want in [
        "[all administrations]",
        "[Towns and cities]",
        "[Administrations in North Rhine-Westphalia]",
        "[Administrations 20,000–50,000 inhabitants]",
        "above the cohort value",
        "see all administrations",
        "no verdict",
    ] {
        assert!(en.contains(want), "{want}\n{en}");
    }
}

#[test]
fn a_history_lines_up_rounds_with_the_self_test_then_in_force() {
    let dir = tempfile::tempdir().unwrap();
    let (node, clock) = clocked_node(dir.path(), 1_000);
    let (agg, _) = Identity::generate().unwrap();
    assess(&node, 2);
    let r1 = round_msg(&agg, "r1", 500, 2_000);
    let r2 = round_msg(&agg, "r2", 3_000, 4_000);
    node.store().put_round("r1", &r1).unwrap();
    node.store().put_round("r2", &r2).unwrap();
    clock.set(3_500);
    assess(&node, 4);
    clock.set(5_000);
    let mut p1 = publication("r1", &r1, 2_100);
    p1.cells = vec![cell("all", "selftest.datenhoheit", 3.0, 2.5, 3.5)];
    let mut p2 = publication("r2", &r2, 4_100);
    p2.cells = vec![
        cell("all", "selftest.datenhoheit", 3.0, 2.5, 3.5),
        suppressed("kind=stadt", "selftest.datenhoheit", "all"),
    ];
    // Given in any order, shown oldest first.
    let h = history_of(&node, &[p2, p1]).unwrap();
    let rounds: Vec<&str> = h.rounds.iter().map(|r| r.round_id.as_str()).collect();
    assert_eq!(rounds, ["r1", "r2"]);
    assert_eq!(h.rows.len(), 2);
    let all = &h.rows[0];
    assert_eq!(
        (all.cohort.as_str(), all.metric.as_str()),
        ("all", "selftest.datenhoheit")
    );
    // r1 closed before the second self-test: own value 2 (below); r2 after it: 4 (above).
    let own: Vec<_> = all.points.iter().map(|p| (p.own, p.verdict)).collect();
    assert_eq!(
        own,
        vec![
            (Some(2.0), Some(Verdict::Below)),
            (Some(4.0), Some(Verdict::Above))
        ]
    );
    assert_eq!(h.rows[1].points.len(), 1);
    assert_eq!(h.rows[1].points[0].verdict, None);
    let text = crate::present::history::history(&h, Lang::De);
    assert!(text
        .lines()
        .any(|l| l.trim_start().starts_with("r1 ") && l.contains("veröffentlicht")));
    for want in [
        "[alle Verwaltungen]",
        "[Städte]",
        "unter dem Kohortenwert",
        "über dem Kohortenwert",
        "siehe alle Verwaltungen; keine Einordnung",
    ] {
        assert!(text.contains(want), "{want}\n{text}");
    }
    let json = serde_json::to_value(&h).unwrap();
    assert_eq!(json["rows"][0]["points"][1]["verdict"], "above");
    assert_eq!(json["rounds"][1]["round_id"], "r2");
}
