//! Mode secure end to end (issue 11, docs/SECURE-AGGREGATION.md): a real aggregator serving
//! gRPC on loopback, real trustees that make the committee key by DKG through it and then check,
//! add noise and decrypt over gRPC, real nodes that pin the committee; and the attacks on that
//! path, made with independent gRPC clients and keys of their own.
//!
//! Checks that are unit-tested at function level and not repeated here: a trustee refuses a
//! second, different DECRYPT (or NOISE) announcement, a DECRYPT announcement without its own
//! noise or with too few or forged noise posts (trustee/src/check/tests.rs); the aggregator's
//! refusals of noise posts after the noise set is fixed (aggregator/src/secure/tests.rs).

use prost::Message as _;
use rand::rngs::OsRng;
use rand::Rng as _;
use sovbench_core::catalogue::{Catalogue, TrueValue};
use sovbench_core::cohort::{CohortAttributes, Kind, SizeClass};
use sovbench_core::envelope::{self, Identity};
use sovbench_core::pb;
use sovbench_node::config::PrivacyPolicy;
use sovbench_node::{round, selftest, InitOptions, Node, NodeError};
use sovbench_secure::bulletin::chain;
use sovbench_secure::round::SecureRound;
use sovbench_secure::{committee, decryption, encoding};
use sovbench_sim::federation::{start, Federation, FederationConfig, SecureConfig};
use sovbench_tests::expect_code;
use sovbench_trustee::check::{check_decrypt, check_round, BulletinCheck};
use sovbench_trustee::client::Client;
use sovbench_trustee::trustee::{KEY_FILE, STORE_DIR};
use sovbench_trustee::Work;

/// The metric of the small rounds (a self-test score, 1 to 5).
const METRIC: &str = "selftest.datenhoheit";

/// A secure federation: `nodes` administrations, k = 5, an m-trustee committee with threshold
/// t; `metrics` empty means the whole self-test.
fn config(nodes: usize, seed: u64, epsilon: f64, secure: SecureConfig) -> FederationConfig {
    FederationConfig {
        nodes,
        seed,
        epsilon,
        releases_per_node: 0,
        min_cohort: 5,
        parallel: 4,
        dir: None,
        metrics: Vec::new(),
        peer_share: 0.0,
        secure: Some(secure),
    }
}

/// A small committee of 3 trustees, 2 needed, over one metric. Epsilon 20 keeps the noise
/// scale per cell at 0.2 so that the grid's merge size is k itself (at epsilon 2 a cell of a
/// handful of administrations could publish nothing, and the grid would announce no cell).
fn small(nodes: usize, seed: u64) -> FederationConfig {
    FederationConfig {
        metrics: vec![METRIC.into()],
        ..config(
            nodes,
            seed,
            20.0,
            SecureConfig {
                trustees: 3,
                threshold: 2,
                ..SecureConfig::default()
            },
        )
    }
}

fn publication(fed: &Federation, msg: &pb::SignedMessage) -> pb::Publication {
    let v =
        envelope::open_from(msg, fed.aggregator.public_key()).expect("signed by the aggregator");
    let pb::payload::Body::Publication(p) = v.body else {
        panic!("not a publication")
    };
    p
}

fn nonce() -> Vec<u8> {
    (0..16).map(|_| OsRng.gen()).collect()
}

/// The signed parameters of the federation's round, from the aggregator over gRPC.
async fn signed_round(fed: &Federation) -> (pb::SignedMessage, pb::RoundParams) {
    let mut client = pb::aggregator_client::AggregatorClient::connect(fed.url.clone())
        .await
        .expect("connect");
    let msg = client
        .get_round(pb::GetRoundRequest {
            round_id: fed.round_id.clone(),
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
    (msg, p)
}

/// A submission of `node` to the round with the given encrypted values.
fn submission(
    node: &Identity,
    round: &pb::SignedMessage,
    round_id: &str,
    now: i64,
    encrypted: Vec<pb::EncryptedValue>,
) -> pb::SignedMessage {
    node.seal(pb::payload::Body::Submission(pb::Submission {
        round_id: round_id.to_string(),
        round_params_hash: sovbench_core::sha256(&round.payload).to_vec(),
        releases: Vec::new(),
        created_at: now,
        nonce: nonce(),
        encrypted,
    }))
}

fn encrypted_value(e: &encoding::Encrypted) -> Vec<pb::EncryptedValue> {
    vec![pb::EncryptedValue {
        metric: METRIC.into(),
        value: e.to_bytes().expect("bytes"),
    }]
}

/// The truth of cohort `all` for `metric`, if the simulation has one.
fn true_all(truth: &serde_json::Value, metric: &str) -> Option<f64> {
    truth["cells"]
        .as_array()
        .expect("cells")
        .iter()
        .find(|t| t["cohort"] == "all" && t["metric"] == metric)
        .and_then(|t| t["value"].as_f64())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secure_round_publishes_end_to_end_with_three_of_five_trustees() {
    // Epsilon 20 for the whole submission: the self-test's sensitivity is about 20, so the
    // noise scale per kind × size cell is about 1 and the 95% half-width of each `all` mean
    // (a sum over a handful of cells, divided by 60) about 0.1 — far below the usefulness limit
    // of 1, so every dimension is published, and tight enough that an offset of one plaintext
    // step per administration (e.g. a forgotten lower bound) would be caught.
    let cfg = config(60, 21, 20.0, SecureConfig::default());
    let fed = start(&cfg).await.expect("federation");
    assert_eq!(fed.trustees.len(), 5);
    let msg = fed.publish().await.expect("published");
    let p = publication(&fed, &msg);
    assert_eq!(p.contributors, 60);
    assert_eq!(p.bulletin_entries, u64::from(p.contributors));
    assert!(
        p.decryption_shares.len() >= 3,
        "{}",
        p.decryption_shares.len()
    );
    assert_eq!(p.announcement_sha256.len(), 32);
    assert_eq!(p.bulletin_head.len(), 32);
    assert_eq!(p.submission_signatures_sha256.len(), 60);
    // The publication verifies with the aggregator key over its exact bytes, and the stored one
    // is the same.
    let stored = fed
        .aggregator
        .publication(Some(&fed.round_id))
        .expect("stored");
    assert_eq!(stored.payload, msg.payload);
    let truth = fed.truth();
    let mut checked = 0;
    let mut within_one = 0;
    for c in p.cells.iter().filter(|c| c.cohort == "all") {
        let Some(value) = true_all(&truth, &c.metric) else {
            continue;
        };
        if c.metric.starts_with("selftest.") && Catalogue::shared().metric(&c.metric).is_some() {
            assert!(!c.suppressed, "{c:?}");
        }
        if c.suppressed {
            continue;
        }
        assert_eq!(c.n, 60, "{c:?}");
        let half = (c.ci_high - c.ci_low) / 2.0;
        assert!(half > 0.0 && half < 1.0, "{c:?}");
        // Each interval covers the truth with probability 95% (exact Pólya-difference
        // quantiles). The noise has exponential tails: if P(|N| > q) ≤ 0.05, then
        // P(|N| > 4q) is about 0.05^4 ≈ 6e-6 per cell, below 1e-4 over the cells checked here.
        assert!(
            (c.estimate - value).abs() <= 4.0 * half + 1e-9,
            "{}: estimate {} truth {value} half-width {half}",
            c.metric,
            c.estimate
        );
        if (c.estimate - value).abs() <= half + 1e-9 {
            within_one += 1;
        }
        checked += 1;
    }
    // The five dimensions (and the total, a derived metric).
    assert!(checked >= 5, "{checked}");
    eprintln!("secure round: {within_one} of {checked} `all` intervals cover the truth");
    fed.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_trustees_down_still_publishes_three_down_decrypts_nothing() {
    let secure = |down| SecureConfig {
        down,
        ..SecureConfig::default()
    };
    // m − t = 2 down: the three up post noise, the aggregator fixes the noise set after its
    // noise wait (h = 3 posts), the three decrypt.
    let fed = start(&config(20, 22, 20.0, secure(2)))
        .await
        .expect("federation");
    let msg = fed.publish().await.expect("published with 3 of 5");
    let p = publication(&fed, &msg);
    assert_eq!(p.contributors, 20);
    assert_eq!(p.decryption_shares.len(), 3);
    assert!(p.cells.iter().any(|c| !c.suppressed), "something published");
    fed.shutdown().await.expect("shutdown");

    // Three down: two noise posts are fewer than h = 3, the noise set is never fixed, nothing
    // is decrypted and nothing published.
    let fed = start(&config(20, 23, 20.0, secure(3)))
        .await
        .expect("federation");
    let err = fed.publish().await.expect_err("fewer than t trustees");
    assert!(
        format!("{err:#}").contains("waiting for trustees"),
        "{err:#}"
    );
    let err = fed
        .aggregator
        .publish(&fed.round_id)
        .expect_err("not published");
    assert!(err.to_string().contains("waiting for trustees"), "{err}");
    assert!(err.to_string().contains("noise 2 of 5"), "{err}");
    assert!(fed.aggregator.publication(Some(&fed.round_id)).is_err());
    // No trustee was asked to decrypt: the announcement is still the NOISE one.
    let id = Identity::load_file(&fed.trustees[0].dir().join(KEY_FILE)).expect("key");
    let client = Client::new(&fed.url, fed.aggregator.public_key().to_vec());
    let (ann, _) = client
        .get_announcement(&id, &fed.round_id, Vec::new())
        .await
        .expect("query")
        .expect("an announcement");
    assert_eq!(ann.phase, pb::AnnouncementPhase::Noise as i32);
    fed.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_and_out_of_range_ciphertexts_are_refused_over_grpc() {
    let fed = start(&small(6, 24)).await.expect("federation");
    let (round_msg, params) = signed_round(&fed).await;
    let round = SecureRound::from_params(&params).expect("secure round");
    // An enrolled administration of our own, with its own key and its own gRPC client.
    let (me, _) = Identity::generate().expect("key");
    fed.aggregator
        .enrol(
            me.public_key(),
            "Gemeinde Eigenprüfung",
            CohortAttributes {
                kind: Kind::Gemeinde,
                state: "DE-NW".into(),
                size: SizeClass::Pop5kTo20k,
            },
            9_000,
        )
        .expect("enrol");
    let mut client = pb::aggregator_client::AggregatorClient::connect(fed.url.clone())
        .await
        .expect("connect");
    let def = Catalogue::shared().metric(METRIC).expect("metric").clone();
    let now = fed.clock.now();
    let ctx = encoding::Context {
        round_id: &fed.round_id,
        signer: me.public_key(),
    };

    // Forged: encrypted (with a valid proof) for another committee's key.
    let (other, _) = committee::deal_for_tests(3, 2, &mut OsRng).expect("other committee");
    assert_ne!(other.fingerprint(), round.committee.fingerprint());
    let forged =
        encoding::encrypt(other.key(), &def, &TrueValue::Int(3), &ctx, &mut OsRng).expect("enc");
    let msg = submission(
        &me,
        &round_msg,
        &fed.round_id,
        now,
        encrypted_value(&forged),
    );
    expect_code(
        client.submit(msg).await,
        tonic::Code::InvalidArgument,
        &format!("metric {METRIC}: the range proof does not verify"),
    );

    // Out of range: 7 on a 1-5 score, proved for a definition whose upper bound was raised.
    let mut wide = def.clone();
    wide.upper = 10;
    let out = encoding::encrypt(
        round.committee.key(),
        &wide,
        &TrueValue::Int(7),
        &ctx,
        &mut OsRng,
    )
    .expect("enc");
    let msg = submission(&me, &round_msg, &fed.round_id, now, encrypted_value(&out));
    expect_code(
        client.submit(msg).await,
        tonic::Code::InvalidArgument,
        &format!("metric {METRIC}: the range proof does not verify"),
    );
    assert!(!fed
        .aggregator
        .submission_stored(&fed.round_id, me.public_key())
        .expect("lookup"));

    // The same administration with a value in range for the right key is accepted: the
    // refusals above were the ciphertexts', not the envelope's.
    let good = encoding::encrypt(
        round.committee.key(),
        &def,
        &TrueValue::Int(4),
        &ctx,
        &mut OsRng,
    )
    .expect("enc");
    let msg = submission(&me, &round_msg, &fed.round_id, now, encrypted_value(&good));
    client.submit(msg).await.expect("a valid submission");
    assert!(fed
        .aggregator
        .submission_stored(&fed.round_id, me.public_key())
        .expect("lookup"));
    fed.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trustee_check_refuses_a_bulletin_with_a_duplicate_or_unsigned_entry() {
    // A malicious aggregator would sign whatever bulletin page it likes, so the trustee's
    // defence is its own check of every entry. The real pages of a real round are fetched over
    // gRPC with a trustee's key and run through the trustee's `BulletinCheck` (what `work_once`
    // does); then the same pages, altered as such an aggregator would (chain hashes recomputed),
    // must be refused.
    let fed = start(&small(6, 25)).await.expect("federation");
    fed.aggregator
        .close_round(&fed.round_id)
        .await
        .expect("close");
    assert!(fed
        .aggregator
        .advance_secure(&fed.round_id)
        .expect("announce")
        .is_none());
    let trustee = &fed.trustees[0];
    let id = Identity::load_file(&trustee.dir().join(KEY_FILE)).expect("key");
    let membership = trustee.membership().expect("membership");
    let client = Client::new(&fed.url, fed.aggregator.public_key().to_vec());
    let (ann, _) = client
        .get_announcement(&id, &fed.round_id, Vec::new())
        .await
        .expect("query")
        .expect("NOISE announcement");
    assert_eq!(ann.phase, pb::AnnouncementPhase::Noise as i32);
    let (params, answer) = client.get_round(&fed.round_id).await.expect("round");
    let round = check_round(
        &membership,
        trustee.public_key(),
        &params,
        &answer.payload_hash,
        &ann,
    )
    .expect("round checks");
    let page = client
        .get_bulletin(
            &id,
            pb::BulletinRequest {
                round_id: fed.round_id.clone(),
                from: 0,
                limit: 100,
            },
        )
        .await
        .expect("bulletin");
    assert_eq!(page.entries.len(), 6);
    // The genuine bulletin passes.
    let mut check = BulletinCheck::new(&round, &ann);
    check.add_page(&page).expect("genuine page");
    assert!(check.complete());
    let tally = check.finish().expect("genuine bulletin");
    assert_eq!(tally.len(), 6);

    // A duplicate: entry 1 repeats entry 0's submission, with a chain hash that follows.
    let mut dup = page.clone();
    dup.entries[1].submission = page.entries[0].submission.clone();
    let prev: [u8; 32] = page.entries[0].chain.as_slice().try_into().expect("hash");
    dup.entries[1].chain = chain(&prev, &dup.entries[1].submission, &dup.entries[1].cell).to_vec();
    let why = BulletinCheck::new(&round, &ann)
        .add_page(&dup)
        .expect_err("duplicate refused");
    assert!(
        why.0.contains("position 1") || why.0.contains("entry 1"),
        "{why}"
    );
    assert!(why.0.contains("second submission"), "{why}");

    // An unsigned entry: entry 0 without its node's signature.
    let mut unsigned = page.clone();
    let mut msg = pb::SignedMessage::decode(page.entries[0].submission.as_slice()).expect("msg");
    msg.signature = vec![0; msg.signature.len()];
    unsigned.entries[0].submission = msg.encode_to_vec();
    unsigned.entries[0].chain = chain(
        &sovbench_secure::bulletin::GENESIS,
        &unsigned.entries[0].submission,
        &unsigned.entries[0].cell,
    )
    .to_vec();
    let why = BulletinCheck::new(&round, &ann)
        .add_page(&unsigned)
        .expect_err("unsigned refused");
    assert!(why.0.contains("signature"), "{why}");

    // The real trustee, on the real bulletin, checks and posts its noise.
    let work = trustee.work_once().await.expect("work");
    assert!(matches!(work, Work::Noise { .. }), "{work:?}");
    fed.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fewer_than_k_contributors_publish_every_cell_suppressed_and_decrypt_nothing() {
    // 4 administrations, k = 5: the aggregator announces no cell; there is nothing to add noise
    // to or decrypt, and the publication suppresses every cell without numbers. (A trustee
    // refusing a second, different DECRYPT announcement is unit-tested in
    // trustee/src/check/tests.rs.)
    let fed = start(&small(4, 26)).await.expect("federation");
    let msg = fed.publish().await.expect("published");
    let p = publication(&fed, &msg);
    assert_eq!(p.contributors, 4);
    assert_eq!(p.bulletin_entries, 4);
    assert!(p.decryption_shares.is_empty(), "nothing decrypted");
    assert!(p.announcement_sha256.is_empty(), "no DECRYPT announcement");
    assert!(!p.cells.is_empty());
    for c in &p.cells {
        assert!(c.suppressed, "{c:?}");
        assert!(
            c.estimate == 0.0 && c.ci_low == 0.0 && c.ci_high == 0.0,
            "{c:?}"
        );
    }
    assert!(p
        .cells
        .iter()
        .any(|c| c.cohort == "all" && c.suppression == pb::Suppression::BelowMinCohort as i32));
    // The trustees have nothing to do.
    for t in &fed.trustees {
        let w = t.work_once().await.expect("work");
        assert!(matches!(w, Work::Idle), "{w:?}");
    }
    fed.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_decryption_share_is_refused_naming_the_trustee() {
    let mut fed = start(&small(6, 27)).await.expect("federation");
    fed.aggregator
        .close_round(&fed.round_id)
        .await
        .expect("close");
    assert!(fed
        .aggregator
        .advance_secure(&fed.round_id)
        .expect("announce")
        .is_none());
    // All three post noise: the noise set is fixed (DECRYPT) at the third post.
    for t in &fed.trustees {
        let w = t.work_once().await.expect("noise");
        assert!(matches!(w, Work::Noise { .. }), "{w:?}");
    }
    // Trustee 2 goes offline; its key and key share are used by hand.
    let target = fed.trustees.pop().expect("trustee 2");
    let membership = target.membership().expect("membership");
    assert_eq!(membership.index, 2);
    let dir = target.dir().to_path_buf();
    drop(target);
    let id = Identity::load_file(&dir.join(KEY_FILE)).expect("key");
    let store = sovbench_trustee::store::Store::open(&dir.join(STORE_DIR)).expect("store");
    let share = store.key_share().expect("read").expect("key share");
    let record = store.round(&fed.round_id).expect("read").expect("record");
    let client = Client::new(&fed.url, fed.aggregator.public_key().to_vec());
    let (ann, answer) = client
        .get_announcement(&id, &fed.round_id, Vec::new())
        .await
        .expect("query")
        .expect("announcement");
    assert_eq!(ann.phase, pb::AnnouncementPhase::Decrypt as i32);
    let (params, round_answer) = client.get_round(&fed.round_id).await.expect("round");
    let round = check_round(
        &membership,
        id.public_key(),
        &params,
        &round_answer.payload_hash,
        &ann,
    )
    .expect("round");
    let ciphertexts =
        check_decrypt(&round, &record, 2, &ann, &answer.payload_hash).expect("decrypt checks");
    assert!(!ciphertexts.is_empty());
    let genuine: Vec<Vec<u8>> = ciphertexts
        .iter()
        .map(|c| decryption::share(&share, *c, &mut OsRng).to_bytes())
        .collect();
    let post = |shares: Vec<Vec<u8>>| {
        id.seal(pb::payload::Body::DecryptionShares(pb::DecryptionShares {
            round_id: fed.round_id.clone(),
            announcement_sha256: answer.payload_hash.to_vec(),
            trustee: 2,
            shares,
        }))
    };
    let mut grpc = pb::trustee_desk_client::TrusteeDeskClient::connect(fed.url.clone())
        .await
        .expect("connect");
    // Tampered: share 0 is a valid share of trustee 2, but of another ciphertext (twice the
    // right one) — it decodes, has the right index, and does not verify.
    let mut other = ciphertexts[0];
    other += ciphertexts[0];
    let mut tampered = genuine.clone();
    tampered[0] = decryption::share(&share, other, &mut OsRng).to_bytes();
    let res = grpc.post_decryption(post(tampered)).await;
    expect_code(res, tonic::Code::InvalidArgument, "trustee 2");
    // Tampered bytes: one byte of the last share flipped.
    let mut flipped = genuine.clone();
    let last = flipped.len() - 1;
    let mid = flipped[last].len() / 2;
    flipped[last][mid] ^= 0x01;
    let res = grpc.post_decryption(post(flipped)).await;
    expect_code(res, tonic::Code::InvalidArgument, "does not verify");
    // The untampered shares of the same trustee are accepted.
    let genuine = post(genuine);
    grpc.post_decryption(genuine.clone())
        .await
        .expect("genuine shares");
    assert!(fed
        .aggregator
        .advance_secure(&fed.round_id)
        .expect("advance")
        .is_none());
    // Trustee 0 decrypts: with t = 2 valid posts the aggregator publishes at once (trustee 1
    // then finds nothing to do).
    let w = fed.trustees[0].work_once().await.expect("decrypt");
    assert!(matches!(w, Work::Decrypted { .. }), "{w:?}");
    let w = fed.trustees[1].work_once().await.expect("idle");
    assert!(matches!(w, Work::Idle), "{w:?}");
    let msg = fed
        .aggregator
        .advance_secure(&fed.round_id)
        .expect("advance")
        .expect("published");
    let p = publication(&fed, &msg);
    assert_eq!(p.contributors, 6);
    assert_eq!(p.decryption_shares.len(), 2);
    // The publication rests on trustee 2's genuine post, never on a tampered one.
    assert!(p
        .decryption_shares
        .contains(&sovbench_core::sha256(&genuine.payload).to_vec()));
    // The cohort `all` was decrypted: counted, and published or too imprecise, never below k.
    let all = p
        .cells
        .iter()
        .find(|c| c.cohort == "all" && c.metric == METRIC)
        .expect("cell all");
    assert_eq!(all.n, 6, "{all:?}");
    assert!(
        !all.suppressed || all.suppression == pb::Suppression::TooImprecise as i32,
        "{all:?}"
    );
    fed.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_pinning_another_committee_refuses_the_round() {
    let fed = start(&small(5, 28)).await.expect("federation");
    let tmp = tempfile::tempdir().expect("tmp");
    let other = hex::encode([0x5a_u8; 32]);
    let node = Node::init_with_clock(
        &tmp.path().join("node"),
        InitOptions {
            name: "Gemeinde Fremdschlüssel".into(),
            kind: "gemeinde".into(),
            state: "DE-NW".into(),
            size: 9_000,
            aggregator_url: Some(fed.url.clone()),
            aggregator_key: Some(envelope::b64(fed.aggregator.public_key())),
            committee_fingerprint: Some(other.clone()),
            policy: Some(PrivacyPolicy {
                // Wide enough for the round (epsilon 20): the committee is the only reason
                // to refuse.
                max_epsilon_per_round: 20.0,
                max_epsilon_per_year: 100.0,
                min_cohort: 5,
                max_epsilon_lifetime: None,
                ..PrivacyPolicy::default()
            }),
        },
        fed.clock.clone(),
    )
    .expect("node");
    fed.aggregator
        .enrol(
            node.public_key(),
            "Gemeinde Fremdschlüssel",
            node.profile().expect("profile").cohort(),
            9_000,
        )
        .expect("enrol");
    selftest::record(
        &node,
        sovbench_core::selftest::Assessment::from_scores([3, 3, 3, 3, 3]).expect("scores"),
    )
    .expect("assess");
    let (_, params) = signed_round(&fed).await;
    let actual = hex::encode(
        SecureRound::from_params(&params)
            .expect("secure")
            .committee
            .fingerprint(),
    );
    match round::submit(&node).await {
        Err(NodeError::WrongCommittee {
            round,
            expected,
            got,
        }) => {
            assert_eq!(round, fed.round_id);
            assert_eq!(expected, other);
            assert_eq!(got, actual);
        }
        other => panic!("expected WrongCommittee, got {other:?}"),
    }
    assert!(node.store().ledger().expect("ledger").is_empty());
    assert!(node.store().outbox().expect("outbox").is_empty());
    assert!(!fed
        .aggregator
        .submission_stored(&fed.round_id, node.public_key())
        .expect("lookup"));
    fed.shutdown().await.expect("shutdown");
}
