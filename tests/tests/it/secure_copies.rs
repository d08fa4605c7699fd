//! Mode secure: one enrolled node cannot break a round (issue 19, items 1 and 2). An attacker
//! with its own key and its own gRPC client reads another administration's ciphertexts from the
//! bulletin and submits them as its own: the whole set, one under another metric, one under the
//! same metric, and later in the next round. Every attempt is refused at submission, the round
//! publishes, and nothing of the victim is counted twice. A round that the trustees refused does
//! not block the next one, and the operator can abandon it; a node asking for its publication is
//! told why.

use prost::Message as _;
use rand::rngs::OsRng;
use sovbench_aggregator::rounds::{RoundSpec, SecureSpec};
use sovbench_core::catalogue::{Catalogue, TrueValue};
use sovbench_core::cohort::{CohortAttributes, Kind, SizeClass};
use sovbench_core::envelope::{self, Identity};
use sovbench_core::pb;
use sovbench_secure::encoding;
use sovbench_secure::round::{Grid, SecureRound};
use sovbench_sim::federation::{start, Federation, FederationConfig, SecureConfig};
use sovbench_tests::expect_code;
use sovbench_trustee::client::Client;
use sovbench_trustee::model::Refusal;
use sovbench_trustee::store::Store as TrusteeStore;
use sovbench_trustee::trustee::{Trustee, STORE_DIR};
use sovbench_trustee::Work;
use tonic::Code;

/// Two self-test scores (range proofs, bound to their context) and the maturity band (a choice,
/// whose proof transcript the crate fixes: copies of it are caught by the ciphertext register).
const METRICS: [&str; 3] = [
    "selftest.datenhoheit",
    "selftest.it_kompetenz",
    "selftest.band",
];

fn config(seed: u64) -> FederationConfig {
    FederationConfig {
        nodes: 6,
        seed,
        epsilon: 20.0,
        releases_per_node: 0,
        min_cohort: 5,
        parallel: 4,
        dir: None,
        metrics: METRICS.iter().map(|m| m.to_string()).collect(),
        peer_share: 0.0,
        secure: Some(SecureConfig {
            trustees: 3,
            threshold: 2,
            ..SecureConfig::default()
        }),
    }
}

/// An administration of the attacker's own, enrolled, with its own key.
fn attacker(fed: &Federation) -> Identity {
    let (me, _) = Identity::generate().expect("key");
    fed.aggregator
        .enrol(
            me.public_key(),
            "Gemeinde Mallory",
            CohortAttributes {
                kind: Kind::Gemeinde,
                state: "DE-NW".into(),
                size: SizeClass::Pop5kTo20k,
            },
            9_000,
        )
        .expect("enrol");
    me
}

/// The signed parameters of `round_id` and the round checked from them.
async fn fetch_round(fed: &Federation, round_id: &str) -> (pb::SignedMessage, SecureRound) {
    let mut client = pb::aggregator_client::AggregatorClient::connect(fed.url.clone())
        .await
        .expect("connect");
    let msg = client
        .get_round(pb::GetRoundRequest {
            round_id: round_id.to_string(),
        })
        .await
        .expect("round")
        .into_inner();
    let pb::payload::Body::Round(p) = envelope::open_from(&msg, fed.aggregator.public_key())
        .expect("signed round")
        .body
    else {
        panic!("not a round")
    };
    (msg, SecureRound::from_params(&p).expect("secure round"))
}

/// The encrypted values of the first entry of `round_id`'s bulletin, read with the attacker's
/// key (an enrolled node may read the bulletin).
async fn victims_values(
    fed: &Federation,
    me: &Identity,
    round_id: &str,
) -> Vec<pb::EncryptedValue> {
    let client = Client::new(&fed.url, fed.aggregator.public_key().to_vec());
    let page = client
        .get_bulletin(
            me,
            pb::BulletinRequest {
                round_id: round_id.to_string(),
                from: 0,
                limit: 1,
            },
        )
        .await
        .expect("bulletin");
    let msg = pb::SignedMessage::decode(page.entries[0].submission.as_slice()).expect("entry");
    let pb::payload::Body::Submission(sub) = envelope::open(&msg).expect("signed").body else {
        panic!("not a submission")
    };
    sub.encrypted
}

/// The attacker's own values, freshly encrypted with proofs bound to it and the round.
fn own_values(round: &SecureRound, me: &Identity) -> Vec<pb::EncryptedValue> {
    let ctx = encoding::Context {
        round_id: &round.round_id,
        signer: me.public_key(),
    };
    let truths = [
        TrueValue::Int(3),
        TrueValue::Int(2),
        TrueValue::Category(round.metrics[2].categories[1].key.clone()),
    ];
    round
        .metrics
        .iter()
        .zip(&truths)
        .map(|(def, t)| pb::EncryptedValue {
            metric: def.id.clone(),
            value: encoding::encrypt(round.committee.key(), def, t, &ctx, &mut OsRng)
                .expect("encrypt")
                .to_bytes()
                .expect("bytes"),
        })
        .collect()
}

fn submission(
    me: &Identity,
    round_msg: &pb::SignedMessage,
    round_id: &str,
    encrypted: Vec<pb::EncryptedValue>,
) -> pb::SignedMessage {
    me.seal(pb::payload::Body::Submission(pb::Submission {
        round_id: round_id.to_string(),
        round_params_hash: sovbench_core::sha256(&round_msg.payload).to_vec(),
        releases: Vec::new(),
        created_at: 0,
        nonce: sovbench_core::peers::fresh_nonce().expect("nonce"),
        encrypted,
    }))
}

/// Opens the next secure round of the federation's committee.
fn open_next(fed: &Federation, round_id: &str) {
    fed.aggregator
        .open_round(RoundSpec {
            round_id: round_id.to_string(),
            metrics: METRICS.iter().map(|m| m.to_string()).collect(),
            epsilon_per_release: 20.0,
            releases_per_node: 0,
            min_cohort: 5,
            closes_at: fed.clock.now() + 3_600,
            secure: Some(SecureSpec {
                ceremony: "demo-committee".into(),
                grid: Grid::KindSize,
                all_weight: 0.0,
                path_bound: 0,
            }),
        })
        .expect("next round opens");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copied_and_replayed_ciphertexts_are_refused_at_submission() {
    let fed = start(&config(41)).await.expect("federation");
    let me = attacker(&fed);
    let (round_msg, round) = fetch_round(&fed, &fed.round_id).await;
    let stolen = victims_values(&fed, &me, &fed.round_id).await;
    assert_eq!(stolen.len(), 3);
    let mut client = pb::aggregator_client::AggregatorClient::connect(fed.url.clone())
        .await
        .expect("connect");
    let submit = |enc: Vec<pb::EncryptedValue>| submission(&me, &round_msg, &fed.round_id, enc);

    // The victim's whole set, signed by the attacker: the score proofs are bound to the victim.
    expect_code(
        client.submit(submit(stolen.clone())).await,
        Code::InvalidArgument,
        "metric selftest.datenhoheit: the range proof does not verify",
    );
    // One of the victim's scores under the other dimension (same range): bound to its metric.
    let mut moved = own_values(&round, &me);
    moved[1].value = stolen[0].value.clone();
    expect_code(
        client.submit(submit(moved)).await,
        Code::InvalidArgument,
        "metric selftest.it_kompetenz: the range proof does not verify",
    );
    // One score under the same metric, beside the attacker's own values: bound to the victim.
    let mut one = own_values(&round, &me);
    one[0].value = stolen[0].value.clone();
    expect_code(
        client.submit(submit(one)).await,
        Code::InvalidArgument,
        "metric selftest.datenhoheit: the range proof does not verify",
    );
    // The victim's band (a choice: its proof does not name the signer) beside fresh scores:
    // the register of accepted ciphertexts refuses it.
    let mut band = own_values(&round, &me);
    band[2].value = stolen[2].value.clone();
    expect_code(
        client.submit(submit(band)).await,
        Code::InvalidArgument,
        &format!("it repeats a ciphertext accepted in round {}", fed.round_id),
    );
    assert!(!fed
        .aggregator
        .submission_stored(&fed.round_id, me.public_key())
        .expect("lookup"));
    // The attacker's own values are accepted: the refusals were the copies'.
    client
        .submit(submit(own_values(&round, &me)))
        .await
        .expect("own values");

    // The round publishes: every trustee accepts the bulletin.
    let msg = fed.publish().await.expect("published");
    let pb::payload::Body::Publication(p) = envelope::open(&msg).expect("signed").body else {
        panic!("not a publication")
    };
    assert_eq!(p.contributors, 7);

    // Round 2: the victim's round-1 values, read from the bulletin, replayed by the attacker.
    let next = format!("{}-2", fed.round_id);
    open_next(&fed, &next);
    let (next_msg, next_round) = fetch_round(&fed, &next).await;
    let replay = |enc| submission(&me, &next_msg, &next, enc);
    let mut relabelled = stolen.clone();
    for e in &mut relabelled {
        assert!(Catalogue::shared().metric(&e.metric).is_some());
    }
    relabelled.truncate(3);
    expect_code(
        client.submit(replay(relabelled)).await,
        Code::InvalidArgument,
        "the range proof does not verify",
    );
    let mut band = own_values(&next_round, &me);
    band[2].value = stolen[2].value.clone();
    expect_code(
        client.submit(replay(band)).await,
        Code::InvalidArgument,
        &format!("it repeats a ciphertext accepted in round {}", fed.round_id),
    );
    // Its own fresh values are accepted in round 2.
    client
        .submit(replay(own_values(&next_round, &me)))
        .await
        .expect("own values in round 2");
    fed.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_round_does_not_block_the_next_and_can_be_abandoned() {
    let mut fed = start(&config(42)).await.expect("federation");
    let first = fed.round_id.clone();
    fed.aggregator.close_round(&first).await.expect("close");
    assert!(fed
        .aggregator
        .advance_secure(&first)
        .expect("announce")
        .is_none());
    // Every trustee refused the first round's announcement (as it does on a bulletin with a
    // copied ciphertext): its store holds the refusal, exactly as `work_once` records it.
    let client = Client::new(&fed.url, fed.aggregator.public_key().to_vec());
    let trustees = std::mem::take(&mut fed.trustees);
    for t in trustees {
        let dir = t.dir().to_path_buf();
        let id = Identity::load_file(&dir.join(sovbench_trustee::trustee::KEY_FILE)).expect("key");
        let (_, answer) = client
            .get_announcement(&id, &first, Vec::new())
            .await
            .expect("query")
            .expect("announcement");
        drop(t);
        let store = TrusteeStore::open(&dir.join(STORE_DIR)).expect("trustee store");
        store
            .put_refusal(
                &answer.payload_hash,
                &Refusal {
                    round_id: first.clone(),
                    reason: "bulletin entry 3: a ciphertext copied from an earlier entry".into(),
                    at: fed.clock.now(),
                },
            )
            .expect("refusal");
        drop(store);
        fed.trustees
            .push(Trustee::open(&dir).expect("trustee again"));
    }

    // The next round: the nodes take part again, it is closed and announced.
    let second = format!("{first}-2");
    open_next(&fed, &second);
    for i in 0..6 {
        let node = fed.node(i).expect("node");
        sovbench_node::round::submit(&node).await.expect("submit");
    }
    fed.aggregator.close_round(&second).await.expect("close");
    assert!(fed
        .aggregator
        .advance_secure(&second)
        .expect("announce")
        .is_none());
    // The trustees skip the refused round and publish the second one.
    let mut published = None;
    for _ in 0..6 {
        for t in &fed.trustees {
            let w = t.work_once().await.expect("work");
            assert!(!matches!(w, Work::Refused { .. }), "{w:?}");
        }
        if let Some(p) = fed.aggregator.advance_secure(&second).expect("advance") {
            published = Some(p);
            break;
        }
    }
    assert!(published.is_some(), "the second round was not published");
    assert!(fed.aggregator.publication(Some(&first)).is_err());

    // The operator abandons the first round; a node asking for it is told why.
    assert!(fed
        .aggregator
        .abandon_round(&first, "Die Treuhänder haben das Bulletin abgelehnt.")
        .expect("abandon"));
    assert!(!fed
        .aggregator
        .abandon_round(&first, "again")
        .expect("idempotent"));
    let mut grpc = pb::aggregator_client::AggregatorClient::connect(fed.url.clone())
        .await
        .expect("connect");
    expect_code(
        grpc.get_publication(pb::GetPublicationRequest {
            round_id: first.clone(),
        })
        .await,
        Code::FailedPrecondition,
        "was abandoned and will not be published: Die Treuhänder haben das Bulletin abgelehnt.",
    );
    // Nothing is left for the trustees.
    for t in &fed.trustees {
        assert_eq!(t.work_once().await.expect("work"), Work::Idle);
    }
    fed.shutdown().await.expect("shutdown");
}
