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

#[test]
fn a_secure_release_is_explained_with_its_committee_and_hashes_and_no_value() {
    use crate::model::{EncryptedRecord, LedgerEntry, ReleaseMode, SecureRecord};
    let dir = tempfile::tempdir().unwrap();
    let node = crate::node::testing::node(dir.path());
    let fp = "c0".repeat(32);
    let hash = "d1".repeat(32);
    let entry = LedgerEntry {
        round_id: "2026-s1".into(),
        recorded_at: 1_790_000_000,
        epsilon: 1.5,
        releases: Vec::new(),
        payload_sha256: "ee".repeat(32),
        state: DeliveryState::Delivered,
        aggregator: "http://127.0.0.1:1".into(),
        mode: ReleaseMode::Secure,
        secure: Some(SecureRecord {
            committee_fingerprint: fp.clone(),
            trustees: 5,
            threshold: 3,
            grid: "kind-size".into(),
            encrypted: vec![EncryptedRecord {
                metric: "selftest.datenhoheit".into(),
                sha256: hash.clone(),
            }],
            bulletin_position: Some(7),
            bulletin_head: Some("ab".repeat(32)),
        }),
    };
    let msg = sovbench_core::pb::SignedMessage::default();
    node.store().record_release(&entry, &msg).unwrap();
    let de = render(&node, Lang::De, 1_790_100_000).unwrap();
    assert!(
        de.contains(&format!("`{fp}` (3 von 5"))
            && de.contains(&format!("`{hash}`"))
            && de.contains("Geheimtexte mit Bereichsbeweisen")
            && de.contains("nur t der m Treuhänder gemeinsam")
            && de.contains("ε = 1.500 für die gesamte Übermittlung")
            && de.contains("Position 7"),
        "{de}"
    );
    // Without a pinned committee the policy says so; a secure entry has no table of sent values.
    assert!(de.contains("committee_fingerprint nicht gesetzt"), "{de}");
    assert!(!de.contains("gesendeter (verrauschter) Wert"), "{de}");
    let en = render(&node, Lang::En, 1_790_100_000).unwrap();
    assert!(
        en.contains("ciphertexts with range proofs under the key of the trustee committee")
            && en.contains("only t of the m trustees together can decrypt")
            && en.contains("sums of whole cohorts")
            && en.contains("m ≥ 3")
            && en.contains("t ≥ 2"),
        "{en}"
    );
    // A node that never took part in a secure round and pins no committee gets no such paragraph.
    let other = tempfile::tempdir().unwrap();
    let plain = crate::node::testing::node(other.path());
    assert!(!render(&plain, Lang::En, 1_790_100_000)
        .unwrap()
        .contains("only t of the m trustees"));
}
