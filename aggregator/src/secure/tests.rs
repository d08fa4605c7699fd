//! A whole secure round against the [`Aggregator`] API with an in-test committee (dealt) and
//! simulated trustees using `sovbench_secure` directly, and the refusals on the way.

use std::sync::Arc;

use prost::Message as _;
use rand::rngs::OsRng;
use rand::Rng as _;
use sovbench_core::catalogue::{Catalogue, TrueValue};
use sovbench_core::clock::TestClock;
use sovbench_core::cohort::{CohortAttributes, Kind, SizeClass};
use sovbench_core::envelope::{self, Identity};
use sovbench_core::pb;
use sovbench_secure::bulletin::Tally;
use sovbench_secure::committee::{self, Committee};
use sovbench_secure::round::{Grid, SecureRound};
use sovbench_secure::{decryption, encoding, grid, Ciphertext, Trustee};

use crate::rounds::{RoundSpec, SecureSpec};
use crate::{AggError, Aggregator};

const T0: i64 = 1_790_000_000;
const METRIC: &str = "selftest.datenhoheit";

struct Fixture {
    _dir: tempfile::TempDir,
    clock: Arc<TestClock>,
    agg: Aggregator,
    committee: Committee,
    trustees: Vec<Trustee>,
    keys: Vec<Identity>,
}

fn new_key() -> Identity {
    Identity::generate().expect("identity").0
}

fn nonce() -> Vec<u8> {
    (0..16).map(|_| OsRng.gen()).collect()
}

fn body(msg: &pb::SignedMessage) -> pb::payload::Body {
    envelope::open(msg).expect("signed by the aggregator").body
}

/// An aggregator with a complete ceremony `c1` (3 of 5): every trustee posts the dealt
/// committee document through `DkgPost`.
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let (clock, shared) = TestClock::shared(T0);
    let agg = Aggregator::init_with_clock(dir.path(), "Test", shared).expect("init");
    let (committee, trustees) = committee::deal_for_tests(5, 3, &mut OsRng).expect("committee");
    let keys: Vec<Identity> = (0..5).map(|_| new_key()).collect();
    let raw: Vec<Vec<u8>> = keys.iter().map(|k| k.public_key().to_vec()).collect();
    agg.create_ceremony("c1", 3, raw.clone()).expect("ceremony");
    assert!(matches!(
        agg.create_ceremony("c1", 3, raw.clone()),
        Err(AggError::CeremonyExists(_))
    ));
    let doc = committee.to_bytes();
    for (i, k) in keys.iter().enumerate() {
        let post = k.seal(pb::payload::Body::DkgMessage(pb::DkgMessage {
            ceremony: "c1".into(),
            from: i as u32,
            step: Some(pb::dkg_message::Step::Committee(doc.clone())),
        }));
        agg.secure().dkg_post(&post).expect("posted");
        // Idempotent.
        agg.secure().dkg_post(&post).expect("posted again");
    }
    let info = agg.ceremony("c1").expect("info");
    assert!(info.complete);
    assert_eq!(info.fingerprint, Some(committee.fingerprint()));
    Fixture {
        _dir: dir,
        clock,
        agg,
        committee,
        trustees,
        keys,
    }
}

fn open_round(f: &Fixture, epsilon: f64, k: u32) -> pb::SignedMessage {
    f.agg
        .open_round(RoundSpec {
            round_id: "s1".into(),
            metrics: vec![METRIC.into()],
            epsilon_per_release: epsilon,
            releases_per_node: 0,
            min_cohort: k,
            closes_at: T0 + 600,
            secure: Some(SecureSpec {
                ceremony: "c1".into(),
                grid: Grid::KindSize,
                all_weight: 0.0,
                path_bound: 0,
            }),
        })
        .expect("secure round");
    f.agg.signed_round(Some("s1")).expect("signed")
}

fn attrs() -> CohortAttributes {
    CohortAttributes {
        kind: Kind::Gemeinde,
        state: "DE-NW".into(),
        size: SizeClass::Pop5kTo20k,
    }
}

fn submission(
    node: &Identity,
    round: &pb::SignedMessage,
    enc: Vec<pb::EncryptedValue>,
) -> pb::SignedMessage {
    node.seal(pb::payload::Body::Submission(pb::Submission {
        round_id: "s1".into(),
        round_params_hash: sovbench_core::sha256(&round.payload).to_vec(),
        releases: Vec::new(),
        created_at: T0,
        nonce: nonce(),
        encrypted: enc,
    }))
}

/// `v` encrypted by `node` for round s1, its proof bound to both.
fn encrypted(key: &sovbench_secure::PublicKey, node: &Identity, v: i64) -> Vec<pb::EncryptedValue> {
    let def = Catalogue::shared().metric(METRIC).expect("metric");
    let ctx = encoding::Context {
        round_id: "s1",
        signer: node.public_key(),
    };
    let e = encoding::encrypt(key, def, &TrueValue::Int(v), &ctx, &mut OsRng).expect("encrypt");
    vec![pb::EncryptedValue {
        metric: METRIC.into(),
        value: e.to_bytes().expect("bytes"),
    }]
}

fn query(k: &Identity, now: i64, q: pb::trustee_query::Query) -> pb::SignedMessage {
    k.seal(pb::payload::Body::TrusteeQuery(pb::TrusteeQuery {
        query: Some(q),
        issued_at: now,
        nonce: nonce(),
        skip_rounds: Vec::new(),
    }))
}

fn announcement(f: &Fixture) -> (pb::SignedMessage, pb::Announcement) {
    let msg = f
        .agg
        .secure()
        .get_announcement(&query(
            &f.keys[1],
            f.agg.now(),
            pb::trustee_query::Query::AnnouncementRound(String::new()),
        ))
        .expect("announcement");
    match body(&msg) {
        pb::payload::Body::Announcement(a) => (msg, a),
        other => panic!("{other:?}"),
    }
}

fn noise_post(
    f: &Fixture,
    i: usize,
    ann: &(pb::SignedMessage, pb::Announcement),
    _width: usize,
) -> pb::SignedMessage {
    let round =
        SecureRound::from_params(&f.agg.round_params("s1").expect("params")).expect("round");
    let (cts, proofs) =
        sovbench_secure::noise::proof::draw_cells(&round, &ann.1.cells, &mut OsRng).expect("noise");
    f.keys[i].seal(pb::payload::Body::NoiseShares(pb::NoiseShares {
        round_id: "s1".into(),
        announcement_sha256: sovbench_core::sha256(&ann.0.payload).to_vec(),
        trustee: i as u32,
        ciphertexts: cts,
        range_proofs: proofs,
    }))
}

/// The trustees' side: the final ciphertexts from the bulletin (recomputed with a Tally, which
/// also checks the aggregator's bulletin and partition) plus the included noise.
fn finals(f: &Fixture, round: &SecureRound, decrypt: &pb::Announcement) -> Vec<Ciphertext> {
    let page = f
        .agg
        .secure()
        .get_bulletin(&query(
            &f.keys[0],
            f.agg.now(),
            pb::trustee_query::Query::Bulletin(pb::BulletinRequest {
                round_id: "s1".into(),
                from: 0,
                limit: 0,
            }),
        ))
        .expect("page");
    let pb::payload::Body::BulletinPage(page) = body(&page) else {
        panic!("not a page")
    };
    let mut tally = Tally::new(&decrypt.round_params_hash);
    for e in &page.entries {
        tally.add(round, e).expect("a valid bulletin entry");
    }
    assert_eq!(tally.head().to_vec(), decrypt.bulletin_head);
    assert_eq!(page.head, decrypt.bulletin_head);
    grid::check(round, &tally.counts(), &decrypt.cells).expect("the bulletin's partition");
    let mut out = tally.announced_sums(round, &decrypt.cells);
    for post in &decrypt.noise {
        let msg = pb::SignedMessage::decode(post.as_slice()).expect("post");
        let pb::payload::Body::NoiseShares(n) = body(&msg) else {
            panic!("not noise")
        };
        let noise = sovbench_secure::noise::proof::cell_noise(round, &decrypt.cells, &n, true)
            .expect("proved noise");
        for (o, c) in out.iter_mut().zip(noise) {
            *o += c;
        }
    }
    out
}

fn decryption_post(
    f: &Fixture,
    i: usize,
    decrypt_msg: &pb::SignedMessage,
    cts: &[Ciphertext],
) -> pb::SignedMessage {
    f.keys[i].seal(pb::payload::Body::DecryptionShares(pb::DecryptionShares {
        round_id: "s1".into(),
        announcement_sha256: sovbench_core::sha256(&decrypt_msg.payload).to_vec(),
        trustee: i as u32,
        shares: cts
            .iter()
            .map(|c| decryption::share(&f.trustees[i], *c, &mut OsRng).to_bytes())
            .collect(),
    }))
}

#[tokio::test]
async fn a_secure_round_publishes_after_noise_and_t_decryptions_and_refuses_what_it_must() {
    let f = fixture();
    let round_msg = open_round(&f, 20.0, 5);
    let params = f.agg.round_params("s1").expect("params");
    assert_eq!(params.mode, pb::RoundMode::SecureAggregation as i32);
    let round = SecureRound::from_params(&params).expect("secure params");
    // Twelve administrations in one finest cell.
    let mut truth = Vec::new();
    let mut head = Vec::new();
    for i in 0..12 {
        let node = new_key();
        f.agg
            .enrol(node.public_key(), &format!("N{i}"), attrs(), 9_000)
            .expect("enrol");
        let v = 1 + (i % 5) as i64;
        truth.push(v as f64);
        let receipt = f
            .agg
            .submit(submission(
                &node,
                &round_msg,
                encrypted(f.committee.key(), &node, v),
            ))
            .await
            .expect("accepted");
        let pb::payload::Body::Receipt(r) = body(&receipt) else {
            panic!("not a receipt")
        };
        assert_eq!(r.bulletin_position, i as u64);
        assert_eq!(r.bulletin_head.len(), 32);
        head = r.bulletin_head;
    }
    // Refused: a value encrypted to another committee (its proof does not hold), garbage, a
    // direct-style submission.
    let node = new_key();
    f.agg
        .enrol(node.public_key(), "X", attrs(), 9_000)
        .expect("enrol");
    let (foreign, _) = committee::deal_for_tests(5, 3, &mut OsRng).expect("committee");
    for enc in [
        encrypted(foreign.key(), &node, 3),
        vec![pb::EncryptedValue {
            metric: METRIC.into(),
            value: b"{}".to_vec(),
        }],
        Vec::new(),
    ] {
        let err = f
            .agg
            .submit(submission(&node, &round_msg, enc))
            .await
            .expect_err("refused");
        assert!(matches!(err, AggError::BadEncryption { .. }), "{err}");
        assert_eq!(
            tonic::Status::from(err).code(),
            tonic::Code::InvalidArgument
        );
    }
    let direct = node.seal(pb::payload::Body::Submission(pb::Submission {
        round_id: "s1".into(),
        round_params_hash: sovbench_core::sha256(&round_msg.payload).to_vec(),
        releases: vec![pb::Release {
            metric: METRIC.into(),
            ..Default::default()
        }],
        nonce: nonce(),
        ..Default::default()
    }));
    assert!(matches!(
        f.agg.submit(direct).await,
        Err(AggError::BadEncryption { .. })
    ));

    f.clock.advance(600);
    f.agg.close_round("s1").await.expect("closed");
    assert!(f.agg.advance_secure("s1").expect("advance").is_none());
    let ann = announcement(&f);
    assert_eq!(ann.1.phase, pb::AnnouncementPhase::Noise as i32);
    assert_eq!(ann.1.bulletin_entries, 12);
    assert_eq!(ann.1.bulletin_head, head);
    assert_eq!(ann.1.cells.len(), 1);
    let width = round.cell_width();

    // A noise post by a key outside the committee is refused.
    let mut foreign_post = noise_post(&f, 0, &ann, width);
    let outsider = new_key();
    foreign_post = outsider.seal(body(&foreign_post));
    assert!(matches!(
        f.agg.secure().post_noise(&foreign_post),
        Err(AggError::NotTrustee { .. })
    ));
    // A noise post with one share too many, or a share far beyond the bound (with a proof of a
    // wider range), is refused.
    let good = noise_post(&f, 0, &ann, width);
    let pb::payload::Body::NoiseShares(mut ns) = body(&good) else {
        panic!("not noise")
    };
    ns.ciphertexts.push(ns.ciphertexts[0].clone());
    ns.range_proofs.push(ns.range_proofs[0].clone());
    let longer = f.keys[0].seal(pb::payload::Body::NoiseShares(ns));
    let err = f.agg.secure().post_noise(&longer).expect_err("refused");
    assert!(err.to_string().contains("noise ciphertexts and"), "{err}");
    let spec = sovbench_secure::noise::NoiseSpec::new(ann.1.cells[0].scale, 5, 3).expect("spec");
    let b = spec.share_bound();
    let wide = sovbench_secure::noise::proof::prove(
        f.committee.key(),
        &sovbench_secure::noise::NoiseSpec::new(ann.1.cells[0].scale * 100.0, 5, 3).expect("spec"),
        (10 * b) as i64,
        &mut OsRng,
    )
    .expect("a proof for a hundredfold scale");
    let mut big = match body(&good) {
        pb::payload::Body::NoiseShares(ns) => ns,
        _ => unreachable!(),
    };
    big.ciphertexts[0] = sovbench_secure::bulletin::ciphertext_to_bytes(&wide.0);
    big.range_proofs[0] = serde_json::to_vec(&wide.1).expect("json");
    let err = f
        .agg
        .secure()
        .post_noise(&f.keys[0].seal(pb::payload::Body::NoiseShares(big)))
        .expect_err("a share beyond the bound");
    assert!(
        matches!(err, AggError::BadTrusteeMessage(_)) && err.to_string().contains("range proof"),
        "{err}"
    );
    // h = 3 noise posts before the noise wait: no DECRYPT yet.
    for i in 0..3 {
        let post = noise_post(&f, i, &ann, width);
        f.agg.secure().post_noise(&post).expect("noise");
        // The same bytes again are acknowledged; different ones are refused.
        f.agg.secure().post_noise(&post).expect("noise again");
        assert!(matches!(
            f.agg.secure().post_noise(&noise_post(&f, i, &ann, width)),
            Err(AggError::TrusteeConflict(_))
        ));
    }
    assert_eq!(
        announcement(&f).1.phase,
        pb::AnnouncementPhase::Noise as i32
    );
    let waiting = f.agg.publish("s1").expect_err("not decrypted");
    assert!(
        waiting.to_string().contains("noise 3 of 5 (3 needed"),
        "{waiting}"
    );
    assert_eq!(
        tonic::Status::from(waiting).code(),
        tonic::Code::FailedPrecondition
    );
    for i in 3..5 {
        f.agg
            .secure()
            .post_noise(&noise_post(&f, i, &ann, width))
            .expect("noise");
    }
    let (decrypt_msg, decrypt) = announcement(&f);
    assert_eq!(decrypt.phase, pb::AnnouncementPhase::Decrypt as i32);
    assert_eq!(decrypt.noise.len(), 5);
    let cts = finals(&f, &round, &decrypt);

    // A tampered decryption share (of another ciphertext) is detected and names the trustee.
    let mut bad = cts.clone();
    let first = bad[0];
    bad[0] += first;
    let err = f
        .agg
        .secure()
        .post_decryption(&decryption_post(&f, 0, &decrypt_msg, &bad))
        .expect_err("tampered");
    assert!(err.to_string().contains("trustee 0"), "{err}");
    assert_eq!(
        tonic::Status::from(err).code(),
        tonic::Code::InvalidArgument
    );
    // Fewer than t valid posts: not published.
    for i in [1, 2] {
        f.agg
            .secure()
            .post_decryption(&decryption_post(&f, i, &decrypt_msg, &cts))
            .expect("decryption");
    }
    assert!(f.agg.publication(Some("s1")).is_err());
    assert!(matches!(
        f.agg.publish("s1"),
        Err(AggError::TrusteePhase { .. })
    ));
    // The third trustee: published, without trustee 0's tampered post.
    f.agg
        .secure()
        .post_decryption(&decryption_post(&f, 3, &decrypt_msg, &cts))
        .expect("decryption");
    let publication = f.agg.publication(Some("s1")).expect("published");
    let pb::payload::Body::Publication(p) = body(&publication) else {
        panic!("not a publication")
    };
    assert_eq!(p.bulletin_entries, 12);
    assert_eq!(p.bulletin_head, head);
    assert_eq!(p.decryption_shares.len(), 3);
    assert_eq!(p.submission_signatures_sha256.len(), 12);
    assert_eq!(
        p.announcement_sha256,
        sovbench_core::sha256(&decrypt_msg.payload).to_vec()
    );
    let mean = truth.iter().sum::<f64>() / truth.len() as f64;
    let all = p
        .cells
        .iter()
        .find(|c| c.cohort == "all" && c.metric == METRIC)
        .expect("the cell all");
    assert!(!all.suppressed, "{all:?}");
    // ε = 20 on a 1-5 score: scale 0.2; the noise of five shares exceeds 2 with probability
    // below 10^-6, so the estimate is within 2/12 of the mean and the interval holds it.
    assert!(
        (all.estimate - mean).abs() <= 2.0 / 12.0 + 1e-9,
        "{all:?} {mean}"
    );
    // The exact 95% interval at this scale has half-width 0 (P(noise = 0) ≈ 0.99), so it misses
    // the mean in about one round in a hundred; its coverage is tested over 2,000 rounds in
    // `sovbench_secure::publish`. Here: the interval is centred on the estimate.
    assert!(
        all.ci_low <= all.estimate && all.estimate <= all.ci_high,
        "{all:?}"
    );
    assert_eq!(f.agg.publish("s1").expect("again"), publication);
    assert!(f.agg.unpublished_rounds().expect("rounds").is_empty());
}

#[test]
fn ceremonies_and_secure_rounds_refuse_bad_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_clock, shared) = TestClock::shared(T0);
    let agg = Aggregator::init_with_clock(dir.path(), "Test", shared).expect("init");
    let keys: Vec<Vec<u8>> = (0..3).map(|_| new_key().public_key().to_vec()).collect();
    let bad = |id: &str, t: u32, k: Vec<Vec<u8>>| {
        matches!(agg.create_ceremony(id, t, k), Err(AggError::BadCeremony(_)))
    };
    assert!(bad("a b", 2, keys.clone()));
    assert!(
        bad("-c", 2, keys.clone()),
        "ids start with a letter or digit"
    );
    assert!(bad("c", 0, keys.clone()));
    assert!(bad("c", 4, keys.clone()));
    assert!(bad("c", 1, keys[..1].to_vec()));
    assert!(bad("c", 2, vec![keys[0].clone(), keys[0].clone()]));
    assert!(bad("c", 2, vec![keys[0].clone(), vec![0; 32]]));
    agg.create_ceremony("c", 2, keys.clone()).expect("created");
    assert!(matches!(
        agg.ceremony("d"),
        Err(AggError::UnknownCeremony(_))
    ));
    let spec = |ceremony: &str, releases: u32| RoundSpec {
        round_id: "s".into(),
        metrics: vec![METRIC.into()],
        epsilon_per_release: 1.0,
        releases_per_node: releases,
        min_cohort: 5,
        closes_at: T0 + 600,
        secure: Some(SecureSpec {
            ceremony: ceremony.into(),
            grid: Grid::KindSize,
            all_weight: 0.0,
            path_bound: 0,
        }),
    };
    assert!(matches!(
        agg.open_round(spec("c", 0)),
        Err(AggError::CeremonyIncomplete { .. })
    ));
    assert!(matches!(
        agg.open_round(spec("c", 1)),
        Err(AggError::BadSecureRound(_))
    ));
    assert!(matches!(
        agg.open_round(spec("d", 0)),
        Err(AggError::UnknownCeremony(_))
    ));
    assert_eq!(agg.ceremonies().expect("list").len(), 1);
}

mod relay;
