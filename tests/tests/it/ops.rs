//! Operations while serving (issue 12): the admin API of a real server on `127.0.0.1:0`.
//! Enrolment and revocation take effect on the next submission, a stranger's or a replayed
//! admin request is refused, and the sizing preview of `round open --dry-run` warns. The command
//! line against a `serve` process, gRPC health and the metrics scrape are tested with the real
//! binary in `aggregator/tests/it/serving.rs`.

use sovbench_aggregator::admin::client::{AdminClient, Via};
use sovbench_aggregator::admin::commands::Style;
use sovbench_aggregator::admin::sizing::{self, Plan};
use sovbench_aggregator::aggregator::KEY_FILE;
use sovbench_core::envelope::{self, b64, Identity};
use sovbench_core::i18n::Lang;
use sovbench_core::pb;
use sovbench_core::pb::admin_request::Command;
use sovbench_node::model::DeliveryState;
use sovbench_node::{round, Node};
use sovbench_tests::{craft_submission, expect_code, Harness};
use tonic::Code;

const EN: Style = Style {
    json: false,
    lang: Lang::En,
};

/// The admin client the command line uses, signing with the aggregator's own key.
fn admin(h: &Harness) -> AdminClient {
    AdminClient::new(
        Via::Url {
            url: h.url(),
            ca: None,
        },
        &h.agg_dir.join(KEY_FILE),
        h.agg().public_key().to_vec(),
    )
    .expect("admin client")
}

fn enrol_command(node: &Node) -> Command {
    let p = node.profile().expect("profile");
    Command::Enrol(pb::AdminEnrol {
        key: b64(node.public_key()),
        name: p.name.clone(),
        kind: p.cohort().kind.key().to_string(),
        state: p.cohort().state.clone(),
        population: Some(p.size),
        ..Default::default()
    })
}

fn open_command(id: &str, epsilon: f64, k: u32, dry_run: bool) -> Command {
    Command::OpenRound(pb::AdminOpenRound {
        id: id.into(),
        epsilon,
        releases_per_node: Some(1),
        mode: "direct".into(),
        grid: "kind-size".into(),
        min_cohort: k,
        closes_in: "1h".into(),
        dry_run,
        ..Default::default()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrolment_and_revocation_while_serving_take_effect_on_the_next_submission() {
    let mut h = Harness::start().await;
    let admin = admin(&h);
    let out = admin
        .call(open_command("ops-1", 1.0, 2, false), EN)
        .await
        .expect("round open through the admin API");
    assert!(out.output.contains("Round opened: ops-1"), "{}", out.output);

    // Not enrolled yet: the node's enrolment check refuses before any budget is spent.
    let a = h.new_node("gemeinde", "DE-SH", 8_000, [3, 3, 3, 3, 3]);
    let err = round::submit(&a).await.unwrap_err().to_string();
    assert!(err.contains("not enrolled"), "{err}");
    assert!(a.store().ledger().unwrap().is_empty());

    // Enrolled through the admin API while the server runs: the next submission is accepted.
    let out = admin.call(enrol_command(&a), EN).await.expect("enrol");
    assert!(out.output.starts_with("Enrolled:"), "{}", out.output);
    let r = round::submit(&a).await.expect("submit after enrolment");
    assert_eq!(r.current.expect("released").state, DeliveryState::Delivered);

    // B submits in ops-1, is revoked while serving, and is refused in the next round.
    let b = h.new_node("gemeinde", "DE-SH", 9_000, [2, 2, 2, 2, 2]);
    admin.call(enrol_command(&b), EN).await.expect("enrol b");
    let r = round::submit(&b).await.expect("b submits");
    assert_eq!(r.current.expect("released").state, DeliveryState::Delivered);
    let out = admin
        .call(Command::Revoke(b64(b.public_key())), EN)
        .await
        .expect("revoke");
    assert!(out.output.starts_with("Revoked:"), "{}", out.output);
    admin
        .call(Command::CloseRound("ops-1".into()), EN)
        .await
        .expect("round close");
    admin
        .call(open_command("ops-2", 1.0, 2, false), EN)
        .await
        .expect("open ops-2");

    // A raw submission signed by B's key: PERMISSION_DENIED, "revoked" (docs/PROTOCOL.md).
    let b_key = Identity::load_file(&b.dir().join(sovbench_node::node::KEY_FILE)).expect("b key");
    assert_eq!(b_key.public_key(), b.public_key());
    let signed_round = h.agg().signed_round(Some("ops-2")).expect("round");
    let mut c = h.client().await;
    expect_code(
        c.submit(b_key.seal(craft_submission(&signed_round, 2)))
            .await,
        Code::PermissionDenied,
        "revoked",
    );
    // The node itself learns it from its enrolment check and spends nothing on ops-2.
    let spent_before = b.store().ledger().unwrap().len();
    let err = round::submit(&b).await.unwrap_err().to_string();
    assert!(err.contains("revoked"), "{err}");
    assert_eq!(b.store().ledger().unwrap().len(), spent_before);
    // A is unaffected.
    let r = round::submit(&a).await.expect("a in ops-2");
    assert_eq!(r.current.expect("released").state, DeliveryState::Delivered);

    // Status through the admin API: participation per cohort, counts only.
    let out = admin
        .call(
            Command::Status(pb::AdminQuery {}),
            Style {
                json: true,
                lang: Lang::En,
            },
        )
        .await
        .expect("status");
    let st: serde_json::Value = serde_json::from_str(&out.output).expect("status json");
    assert_eq!(st["open_round"], "ops-2");
    assert_eq!(st["enrolled"], 1);
    assert_eq!(st["revoked"], 1);
    let all = st["participation"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["cohort"] == "all")
        .expect("cohort all")
        .clone();
    assert_eq!(
        (all["enrolled"].as_u64(), all["submitted"].as_u64()),
        (Some(1), Some(1))
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strangers_and_replayed_admin_requests_are_refused() {
    let mut h = Harness::start().await;
    let own = Identity::load_file(&h.agg_dir.join(KEY_FILE)).expect("aggregator key");
    let stranger = Identity::generate().expect("key").0;
    let mut raw = pb::admin_client::AdminClient::connect(h.url())
        .await
        .expect("connect");
    let request = |id: &Identity| {
        id.seal(pb::payload::Body::AdminRequest(pb::AdminRequest {
            command: Some(Command::ListRounds(pb::AdminQuery {})),
            lang: "en".into(),
            json: false,
            issued_at: h.clock.now(),
            nonce: sovbench_core::peers::fresh_nonce().expect("nonce"),
            aggregator_key: h.agg().public_key().to_vec(),
        }))
    };

    // A key that is not an operator key: PERMISSION_DENIED, naming the files that grant access.
    expect_code(
        raw.call(request(&stranger)).await,
        Code::PermissionDenied,
        "not an operator key",
    );
    // The command line's client says the same and names the key file it used.
    let key_file = h.tmp.path().join("stranger.key");
    Identity::create_file(&key_file).expect("key file");
    let via = Via::Url {
        url: h.url(),
        ca: None,
    };
    let err = AdminClient::new(via, &key_file, h.agg().public_key().to_vec())
        .expect("client")
        .call(Command::Status(pb::AdminQuery {}), EN)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("not an operator key") && err.contains("stranger.key"),
        "{err}"
    );

    // The operator's request is answered once, signed by the aggregator and bound to it ...
    let req = request(&own);
    let answer = raw.call(req.clone()).await.expect("operator").into_inner();
    let v = envelope::open_from(&answer, h.agg().public_key()).expect("signed by the aggregator");
    let pb::payload::Body::AdminReply(reply) = v.body else {
        panic!("not an admin reply")
    };
    assert_eq!(
        reply.request_hash,
        sovbench_core::sha256(&req.payload).to_vec()
    );
    // ... and the same bytes again are a replay: ALREADY_EXISTS.
    expect_code(raw.call(req).await, Code::AlreadyExists, "replayed");
    // A request issued an hour ago is outside the replay window
    let mut stale = pb::AdminRequest {
        command: Some(Command::ListRounds(pb::AdminQuery {})),
        issued_at: h.clock.now() - 3_600,
        nonce: sovbench_core::peers::fresh_nonce().expect("nonce"),
        aggregator_key: h.agg().public_key().to_vec(),
        ..Default::default()
    };
    // (5 minutes either way): FAILED_PRECONDITION.
    expect_code(
        raw.call(own.seal(pb::payload::Body::AdminRequest(stale.clone())))
            .await,
        Code::FailedPrecondition,
        "outside the accepted window",
    );
    // Signature over other bytes than sent: refused before anything runs.
    stale.issued_at = h.clock.now();
    let mut forged = own.seal(pb::payload::Body::AdminRequest(stale));
    forged.payload.push(0);
    expect_code(raw.call(forged).await, Code::Unauthenticated, "");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sizing_preview_warns_and_a_dry_run_opens_nothing() {
    let mut h = Harness::start().await;
    let admin = admin(&h);
    // A tiny consortium: three municipalities.
    for i in 0..3 {
        let n = h.new_node("gemeinde", "DE-SH", 5_000 + i * 1_000, [3, 3, 3, 3, 3]);
        admin.call(enrol_command(&n), EN).await.expect("enrol");
    }
    // Epsilon 3 per value: above what the default node policy admits (2 per round).
    let out = admin
        .call(open_command("dry", 3.0, 10, true), EN)
        .await
        .expect("dry run");
    assert!(out.output.contains("Preview per cohort"), "{}", out.output);
    assert!(
        out.output.contains("epsilon per round 3 > 2"),
        "{}",
        out.output
    );
    assert!(
        out.output.contains("expected to be empty"),
        "{}",
        out.output
    );
    assert!(out.output.contains("n = 3"), "{}", out.output);
    assert!(
        h.agg().rounds().unwrap().is_empty(),
        "a dry run opens nothing"
    );
    // The same preview from the library, and a sound round is not warned about.
    let plan = |epsilon: f64| Plan {
        metrics: Vec::new(),
        epsilon,
        releases_per_node: 1,
        min_cohort: 10,
        committee: None,
        secure: None,
    };
    let enrolments = h.agg().enrolments().unwrap();
    let p = sizing::preview(&plan(3.0), &enrolments, Lang::De);
    assert!(p.cells.iter().all(|c| !c.published));
    assert!(p
        .warnings
        .iter()
        .any(|w| w.contains("Epsilon je Runde 3 > 2")));
    assert!(p.warnings.iter().any(|w| w.contains("leer")));
    let p = sizing::preview(&plan(1.0), &enrolments, Lang::En);
    assert!(!p.warnings.iter().any(|w| w.contains("epsilon per round")));
    h.stop().await;
}
