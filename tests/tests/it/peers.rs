//! Peer matching with double opt-in across real nodes and a real aggregator: offer, match,
//! request, decline (nothing revealed), request, accept (cards exchanged), withdraw (gone from
//! every list), durability across a restart, the rate limit, and forged, replayed, stale and
//! unknown messages refused.

use sovbench_aggregator::peers::PeerLimits;
use sovbench_core::cohort::{CohortAttributes, Kind, SizeClass};
use sovbench_core::envelope::Identity;
use sovbench_core::pb;
use sovbench_core::peers::{fresh_nonce, ContactCard};
use sovbench_node::inventory::Category;
use sovbench_node::migration::{MigrationPath, Stage, StageChange};
use sovbench_node::peers::StageSharing;
use sovbench_node::{peers, Node, NodeError};
use sovbench_tests::{expect_code, Harness};
use tonic::Code;

const BBB: &str = "path.videokonferenzen.bigbluebutton";
const ALFAVIEW: &str = "path.videokonferenzen.alfaview";

fn add_path(node: &Node, to: &str, stage: Stage) -> String {
    let id = format!("video-{}", to.to_ascii_lowercase());
    node.store()
        .put_migration(&MigrationPath {
            id: id.clone(),
            category: Category::Videokonferenzen,
            from_product: "Microsoft Teams".into(),
            to_product: to.into(),
            stage,
            history: vec![StageChange {
                stage,
                on: 20_000,
                reason: None,
            }],
            workplaces: 120,
            systems: Vec::new(),
            notes: "interne Notiz, verlässt den Knoten nie".into(),
        })
        .expect("migration");
    id
}

fn card(who: &str) -> ContactCard {
    ContactCard {
        organisation: format!("Verwaltung {who}"),
        name: format!("Digitallotse {who}"),
        email: format!("kontakt-{}@verwaltung.example", who.to_ascii_lowercase()),
        phone: String::new(),
        note: "Leistungsbeschreibung und Schulungsunterlagen teilen wir gern.".into(),
    }
}

fn refused(e: NodeError, code: Code, needle: &str) {
    match e {
        NodeError::Refused { code: c, message } => {
            assert_eq!(c, code, "{message}");
            assert!(message.contains(needle), "{message:?} lacks {needle:?}");
        }
        other => panic!("expected a {code:?} refusal, got {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn double_opt_in_from_offer_to_exchanged_cards_and_withdrawal() {
    let mut h = Harness::start().await;
    let a = h.node("gemeinde", "DE-NW", 30_000, [2, 2, 3, 2, 1]);
    let b = h.node("gemeinde", "DE-HE", 25_000, [3, 3, 3, 3, 3]);
    let c = h.node("landkreis", "DE-BY", 200_000, [3, 2, 2, 4, 2]);
    add_path(&a, "BigBlueButton", Stage::Geplant);
    add_path(&b, "BigBlueButton", Stage::Rollout);
    add_path(&c, "Alfaview", Stage::Pilot);

    // Nothing without an explicit offer: no list, and no contact requests.
    assert!(peers::matches(&a, 10).await.expect("matches").is_empty());
    let e = peers::offer(&a, "video-bigbluebutton", None, None)
        .await
        .expect_err("card needed");
    assert!(e.to_string().contains("contact card"), "{e}");

    peers::offer(&a, "video-bigbluebutton", Some(card("A")), None)
        .await
        .expect("offer a");
    peers::offer(&b, BBB, Some(card("B")), None)
        .await
        .expect("offer b");
    peers::offer(&c, "video-alfaview", Some(card("C")), None)
        .await
        .expect("offer c");

    // Match: B (same path, same kind and size class, further along) before C (neighbouring path).
    let lists = peers::matches(&a, 10).await.expect("matches");
    assert_eq!(lists.len(), 1);
    let l = &lists[0];
    assert_eq!((l.path_id.as_str(), l.stage.as_str()), (BBB, "geplant"));
    assert_eq!(l.matches.len(), 2);
    let (mb, mc) = (&l.matches[0], &l.matches[1]);
    assert!(mb.same_path && !mc.same_path);
    assert_eq!(
        (mb.kind.as_str(), mb.size_class.as_str()),
        ("gemeinde", "20k-50k")
    );
    assert_eq!(mb.stage, "rollout");
    assert_eq!(mb.score, 10 + 3 + 2 + 2);
    assert_eq!(mc.path_id, ALFAVIEW);
    assert_eq!(mc.score, 2, "{:?}", mc.parts);
    // Pseudonyms differ per viewer: B's pseudonym for C is not A's.
    let from_b = peers::matches(&b, 10).await.expect("b matches");
    let c_for_b = from_b[0]
        .matches
        .iter()
        .find(|m| m.path_id == ALFAVIEW)
        .expect("c listed for b");
    assert_ne!(c_for_b.pseudonym, mc.pseudonym);

    // Request, decline: the requester learns nothing.
    let r1 = peers::contact(&a, &mb.pseudonym, None)
        .await
        .expect("contact b");
    assert_eq!(
        peers::contact(&a, &mb.pseudonym, None)
            .await
            .expect("again"),
        r1,
        "asking again is the same request"
    );
    let inc = peers::requests(&b).await.expect("b requests");
    assert_eq!(inc.incoming.len(), 1);
    let i = &inc.incoming[0];
    assert_eq!(i.request_id, r1);
    assert_eq!((i.stage.as_str(), i.kind.as_str()), ("geplant", "gemeinde"));
    assert!(i.card.is_none());
    assert_eq!(i.status, "no_answer_yet");
    peers::answer(&b, &r1, false).await.expect("decline");
    let out = peers::requests(&a).await.expect("a requests");
    assert_eq!(out.outgoing.len(), 1);
    assert_eq!(out.outgoing[0].status, "no_answer_yet");
    assert!(out.outgoing[0].card.is_none());
    assert_eq!(
        peers::requests(&b).await.expect("b").incoming[0].status,
        "declined"
    );
    // A decline is final; the second opinion is refused.
    let e = peers::answer(&b, &r1, true).await.expect_err("answered");
    assert!(e.to_string().contains("answered already"), "{e}");

    // Request, accept: both cards arrive, each side gets the other's.
    let r2 = peers::contact(&a, &mc.pseudonym, None)
        .await
        .expect("contact c");
    let inc = peers::requests(&c).await.expect("c requests");
    assert_eq!(inc.incoming.len(), 1);
    assert_eq!(inc.incoming[0].path_id, ALFAVIEW);
    assert_eq!(inc.incoming[0].requester_path_id, BBB);
    peers::answer(&c, &r2, true).await.expect("accept");
    let out = peers::requests(&a).await.expect("a requests");
    let o = out
        .outgoing
        .iter()
        .find(|o| o.request_id == r2)
        .expect("r2");
    assert_eq!(o.status, "accepted");
    assert_eq!(o.card.as_ref(), Some(&card("C")));
    assert!(o.own_card_sent);
    let inc = peers::requests(&c).await.expect("c requests");
    assert_eq!(inc.incoming[0].card.as_ref(), Some(&card("A")));
    // B declined and never sees A's card; A never sees B's.
    assert!(peers::requests(&b).await.expect("b").incoming[0]
        .card
        .is_none());

    // Withdrawing, offering again and asking again does not reveal the decline either: a new
    // request that reads "no answer yet", exactly as after no answer, and B is not asked again.
    peers::withdraw(&a, BBB).await.expect("a withdraws");
    peers::offer(&a, BBB, Some(card("A")), None)
        .await
        .expect("a offers again");
    let r1b = peers::contact(&a, &mb.pseudonym, None)
        .await
        .expect("again");
    assert_ne!(r1b, r1);
    let out = peers::requests(&a).await.expect("a requests");
    for o in out.outgoing.iter().filter(|o| o.request_id != r2) {
        assert_eq!(o.status, "no_answer_yet");
        assert!(o.card.is_none());
    }
    let inc = peers::requests(&b).await.expect("b requests");
    assert!(inc.incoming.is_empty(), "{:?}", inc.incoming);

    // The aggregator's store holds only ciphertext of the cards, and no local notes.
    h.stop().await;
    let mut stored = Vec::new();
    for entry in walk(&h.agg_dir) {
        stored.extend(std::fs::read(entry).unwrap_or_default());
    }
    for secret in [
        "kontakt-a@verwaltung",
        "kontakt-c@verwaltung",
        "Digitallotse",
        "interne Notiz",
    ] {
        assert!(
            !contains(&stored, secret.as_bytes()),
            "{secret} found in the aggregator's files"
        );
    }
    // Offers and requests survive a restart.
    h.start_again().await;
    let out = peers::requests(&a).await.expect("after restart");
    assert_eq!(out.outgoing.len(), 3);
    assert_eq!(
        out.outgoing
            .iter()
            .find(|o| o.request_id == r2)
            .and_then(|o| o.card.clone()),
        Some(card("C"))
    );

    // Withdraw: B vanishes from every list at once, and cannot be contacted any more.
    peers::withdraw(&b, "video-bigbluebutton")
        .await
        .expect("withdraw");
    let lists = peers::matches(&a, 10).await.expect("matches");
    assert!(lists[0].matches.iter().all(|m| m.pseudonym != mb.pseudonym));
    assert_eq!(lists[0].matches.len(), 1);
    let from_c = peers::matches(&c, 10).await.expect("c matches");
    assert_eq!(from_c[0].matches.len(), 1, "only A is left for C");
    let e = peers::contact(&a, &mb.pseudonym, Some(BBB))
        .await
        .expect_err("withdrawn");
    refused(e, Code::NotFound, "no listed peer");
    assert!(peers::matches(&b, 10).await.expect("b").is_empty());

    // The rate limit: a fourth node, two requests a day.
    h.agg().peers().set_limits(PeerLimits {
        requests_per_day: 2,
        ..Default::default()
    });
    let d = h.node("gemeinde", "DE-NI", 28_000, [1, 1, 1, 1, 1]);
    add_path(&d, "BigBlueButton", Stage::Erwogen);
    peers::offer(&d, BBB, Some(card("D")), None)
        .await
        .expect("offer d");
    peers::offer(&b, BBB, Some(card("B")), None)
        .await
        .expect("b offers again");
    let e = peers::contact(&a, "abcdefghijkmnpqr", Some(BBB)).await;
    refused(e.expect_err("unknown"), Code::NotFound, "no listed peer");
    let list = peers::matches(&a, 10).await.expect("matches");
    let d_pseudonym = list[0]
        .matches
        .iter()
        .find(|m| m.stage == "erwogen")
        .expect("d listed")
        .pseudonym
        .clone();
    let e = peers::contact(&a, &d_pseudonym, None)
        .await
        .expect_err("rate limit");
    refused(e, Code::ResourceExhausted, "at most 2 contact requests");
    h.stop().await;
}

/// The stage of the first peer `viewer` sees on its first offered path.
async fn seen_stage(viewer: &Node) -> Option<String> {
    let lists = peers::matches(viewer, 10).await.expect("matches");
    lists[0].matches.first().map(|m| m.stage.clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawal_made_while_the_aggregator_is_down_stays_pending_until_delivered() {
    let mut h = Harness::start().await;
    let a = h.node("gemeinde", "DE-NW", 30_000, [2, 2, 3, 2, 1]);
    let b = h.node("gemeinde", "DE-HE", 25_000, [3, 3, 3, 3, 3]);
    let c = h.node("gemeinde", "DE-SN", 22_000, [3, 3, 3, 3, 3]);
    for (n, who, stage) in [
        (&a, "A", Stage::Geplant),
        (&b, "B", Stage::Rollout),
        (&c, "C", Stage::Pilot),
    ] {
        add_path(n, "BigBlueButton", stage);
        peers::offer(n, BBB, Some(card(who)), None)
            .await
            .expect("offer");
    }
    assert_eq!(peers::matches(&a, 10).await.expect("a")[0].matches.len(), 2);

    // The aggregator is down when B and C withdraw: recorded, pending, not an error. (Before,
    // the send failed, the offer was skipped by every refresh and stayed listed for good.)
    h.stop().await;
    for n in [&b, &c] {
        let r = peers::withdraw(n, BBB).await.expect("withdrawal recorded");
        assert!(r.pending && r.detail.is_some(), "{r:?}");
        let o = peers::offers(n).expect("offers");
        assert!(o.len() == 1 && o[0].withdrawing, "{o:?}");
    }
    // Still down: a refresh keeps it pending.
    assert!(peers::refresh_offers(&b).await.is_err());
    assert!(peers::offers(&b).expect("offers")[0].withdrawing);
    let text = sovbench_node::present::peers::offers(
        &peers::offers(&b).expect("offers"),
        &[],
        sovbench_core::i18n::Lang::De,
    );
    assert!(text.contains("Rücknahme ausstehend"), "{text}");

    // The aggregator is back: until B's and C's nodes talk to it, they are still listed.
    h.start_again().await;
    assert_eq!(peers::matches(&a, 10).await.expect("a")[0].matches.len(), 2);
    // B: the daemon's next cycle delivers it.
    sovbench_node::daemon::cycle(&b).await;
    assert!(peers::offers(&b).expect("offers").is_empty());
    // C: the next command that talks to the aggregator (here `peers`) delivers it.
    assert!(peers::matches(&c, 10).await.expect("c").is_empty());
    assert!(peers::offers(&c).expect("offers").is_empty());
    // Both are gone from A's list.
    assert!(peers::matches(&a, 10).await.expect("a")[0]
        .matches
        .is_empty());
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stage_change_and_a_roll_back_leave_the_node_only_with_consent() {
    let mut h = Harness::start().await;
    let a = h.node("gemeinde", "DE-NW", 30_000, [2, 2, 3, 2, 1]);
    let b = h.node("gemeinde", "DE-HE", 25_000, [3, 3, 3, 3, 3]);
    let a_path = add_path(&a, "BigBlueButton", Stage::Rollout);
    add_path(&b, "BigBlueButton", Stage::Geplant);
    let r = peers::offer(&a, BBB, Some(card("A")), None)
        .await
        .expect("a");
    assert_eq!(
        r.share_stage_changes,
        StageSharing::Ask,
        "ask is the default"
    );
    peers::offer(&b, BBB, Some(card("B")), Some(StageSharing::Always))
        .await
        .expect("b");
    assert_eq!(seen_stage(&b).await.as_deref(), Some("rollout"));

    // A rolls back locally. Neither `peers` nor the daemon sends it (before, both did).
    sovbench_node::migration::edit::rollback(&a, &a_path, None).expect("rollback");
    peers::matches(&a, 10).await.expect("a");
    sovbench_node::daemon::cycle(&a).await;
    assert_eq!(seen_stage(&b).await.as_deref(), Some("rollout"));
    let o = &peers::offers(&a).expect("offers")[0];
    assert_eq!(
        (o.stage.as_str(), o.held_stage.as_deref()),
        ("rollout", Some("zurueckgerollt"))
    );
    let text = sovbench_node::present::peers::offers(
        std::slice::from_ref(o),
        &peers::stages_sent(&a).expect("log"),
        sovbench_core::i18n::Lang::En,
    );
    assert!(
        text.contains("Stage change held back") && text.contains("peers confirm"),
        "{text}"
    );
    // Every stage sent is logged: so far only the offer.
    let log: Vec<(String, String, bool)> = peers::stages_sent(&a)
        .expect("log")
        .into_iter()
        .map(|e| (e.stage, e.why, e.acknowledged))
        .collect();
    assert_eq!(log, vec![("rollout".into(), "offer".into(), true)]);

    // With consent it leaves, and is logged.
    peers::confirm(&a, BBB).await.expect("confirm");
    assert_eq!(seen_stage(&b).await.as_deref(), Some("zurueckgerollt"));
    assert_eq!(peers::offers(&a).expect("offers")[0].held_stage, None);
    let log = peers::stages_sent(&a).expect("log");
    assert_eq!(
        (log[1].stage.as_str(), log[1].why.as_str()),
        ("zurueckgerollt", "confirm")
    );
    assert!(
        peers::confirm(&a, BBB).await.is_err(),
        "nothing held any more"
    );

    // B chose `always`: its advance is sent by the next refresh, and logged as such.
    sovbench_node::migration::edit::advance(&b, "video-bigbluebutton", None, None)
        .expect("advance");
    sovbench_node::daemon::cycle(&b).await;
    assert_eq!(seen_stage(&a).await.as_deref(), Some("pilot"));
    let log = peers::stages_sent(&b).expect("log");
    assert_eq!(
        (log.len(), log[1].stage.as_str(), log[1].why.as_str()),
        (2, "pilot", "always")
    );
    h.stop().await;
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn offer(issued_at: i64, nonce: Vec<u8>) -> pb::payload::Body {
    pb::payload::Body::PeerOffer(pb::PeerOffer {
        path_id: BBB.into(),
        stage: "pilot".into(),
        issued_at,
        nonce,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_replayed_stale_unknown_and_misdirected_peer_messages_are_refused() {
    let h = Harness::start().await;
    let (id, _) = Identity::generate().expect("identity");
    h.agg()
        .enrol(
            id.public_key(),
            "Gemeinde Prüfstadt",
            CohortAttributes {
                kind: Kind::Gemeinde,
                state: "DE-SH".into(),
                size: SizeClass::Pop5kTo20k,
            },
            9_000,
        )
        .expect("enrol");
    let mut cl = h.client().await;
    let now = sovbench_core::now_unix();

    let good = id.seal(offer(now, fresh_nonce().expect("nonce")));
    let ack = cl
        .peer_offer(good.clone())
        .await
        .expect("offer")
        .into_inner();
    sovbench_core::envelope::open_from(&ack, h.agg().public_key()).expect("signed ack");
    // The same bytes again: a replay.
    expect_code(
        cl.peer_offer(good.clone()).await,
        Code::AlreadyExists,
        "replayed",
    );
    // One byte changed after signing.
    let mut forged = id.seal(offer(now, fresh_nonce().expect("nonce")));
    let last = forged.payload.len() - 1;
    forged.payload[last] ^= 0x01;
    expect_code(
        cl.peer_offer(forged).await,
        Code::Unauthenticated,
        "signature",
    );
    // Outside the replay window.
    let stale = id.seal(offer(now - 3_600, fresh_nonce().expect("nonce")));
    expect_code(
        cl.peer_offer(stale).await,
        Code::FailedPrecondition,
        "window",
    );
    // Not enrolled.
    let (stranger, _) = Identity::generate().expect("identity");
    let unknown = stranger.seal(offer(now, fresh_nonce().expect("nonce")));
    expect_code(
        cl.peer_offer(unknown).await,
        Code::Unauthenticated,
        "not enrolled",
    );
    // A submission sent to a peer call, and a path outside the catalogue.
    let sub = id.seal(pb::payload::Body::PeerWithdraw(pb::PeerWithdraw {
        path_id: BBB.into(),
        issued_at: now,
        nonce: fresh_nonce().expect("nonce"),
    }));
    expect_code(
        cl.peer_offer(sub).await,
        Code::InvalidArgument,
        "expected a peer offer",
    );
    let odd = id.seal(pb::payload::Body::PeerOffer(pb::PeerOffer {
        path_id: "path.videokonferenzen.zoom".into(),
        stage: "pilot".into(),
        issued_at: now,
        nonce: fresh_nonce().expect("nonce"),
    }));
    expect_code(
        cl.peer_offer(odd).await,
        Code::InvalidArgument,
        "path catalogue",
    );
    // An answer to a request that is not the signer's.
    let answer = id.seal(pb::payload::Body::PeerAnswer(pb::PeerAnswer {
        request_id: "000000000000".into(),
        accept: false,
        issued_at: now,
        nonce: fresh_nonce().expect("nonce"),
        ..Default::default()
    }));
    expect_code(
        cl.peer_answer(answer).await,
        Code::NotFound,
        "no contact request",
    );
    // Matches for a path the signer does not offer.
    let q = id.seal(pb::payload::Body::PeerMatchesQuery(pb::PeerMatchesQuery {
        path_id: ALFAVIEW.into(),
        limit: 5,
        issued_at: now,
        nonce: fresh_nonce().expect("nonce"),
    }));
    expect_code(cl.peer_matches(q).await, Code::NotFound, "offer it first");
    // Revoked: the offer vanishes and further messages are refused.
    h.agg().revoke(id.public_key()).expect("revoke");
    let after = id.seal(offer(now, fresh_nonce().expect("nonce")));
    expect_code(
        cl.peer_offer(after).await,
        Code::PermissionDenied,
        "revoked",
    );
    assert_eq!(h.agg().peers().overview().offer_count, 0);
}
