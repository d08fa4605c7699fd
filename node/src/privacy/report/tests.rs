use super::*;
use crate::peers::model::{LocalOffer, StageSent, StageSharing};

#[test]
fn the_report_says_what_the_aggregator_knows_and_lists_every_stage_sent() {
    let dir = tempfile::tempdir().unwrap();
    let node = crate::node::testing::node(dir.path());
    let sent = |stage: &str, why: &str, at: i64| StageSent {
        path_id: "path.videokonferenzen.bigbluebutton".into(),
        stage: stage.into(),
        sent_at: at,
        why: why.into(),
        acknowledged: true,
    };
    node.store()
        .log_stage_sent(&sent("pilot", "offer", 1_790_000_000))
        .unwrap();
    node.store()
        .log_stage_sent(&sent("zurueckgerollt", "confirm", 1_790_086_400))
        .unwrap();
    node.store()
        .put_peer_offer(&LocalOffer {
            path_id: "path.videokonferenzen.alfaview".into(),
            migration_id: "video-alfaview".into(),
            stage: "geplant".into(),
            card: Default::default(),
            offered_at: 0,
            acknowledged: true,
            withdrawing: true,
            share_stage_changes: StageSharing::Ask,
            held_stage: None,
        })
        .unwrap();
    let de = render(&node, Lang::De, 1_790_100_000).unwrap();
    assert!(de.contains("keine Datenschutzgarantie"), "{de}");
    assert!(render(&node, Lang::En, 1_790_100_000)
        .unwrap()
        .contains("not a privacy guarantee"));
    // The old report claimed the aggregator knew only kind, Bundesland and size class.
    assert!(!de.contains("kennt aus der Aufnahme nur"), "{de}");
    assert!(
        de.contains("Name der Verwaltung, **genaue Einwohner- bzw. Beschäftigtenzahl**")
            && de.contains("öffentliche Schlüssel")
            && de.contains("wann (Signaturzeit)")
            && de.contains("pseudonymen Listeneintrag")
            && de.contains("nach beiderseitigem Ja die Kontaktkarte"),
        "{de}"
    );
    assert!(
        de.contains(
            "| 2026-09-21 14:13 UTC | `path.videokonferenzen.bigbluebutton` | pilot | offer |"
        ) && de.contains("| zurueckgerollt | confirm |")
            && de.contains("`path.videokonferenzen.alfaview`: Rücknahme ausstehend"),
        "{de}"
    );
    let en = render(&node, Lang::En, 1_790_100_000).unwrap();
    assert!(
        en.contains("exact population or staff count")
            && en.contains("Peer matching: stages sent")
            && en.contains("withdrawal pending"),
        "{en}"
    );
}
