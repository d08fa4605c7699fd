//! Migration paths in mode secure under a path bound (docs/SECURE-AGGREGATION.md, "Paths"): real
//! aggregator, trustees and nodes; the round's path metrics travel as one block of b slots, stage
//! shares and roll-back rates are published from the decrypted stage sums, "not on the path" is
//! never decrypted; a submission that does not keep to the bound is refused over gRPC; and the
//! trustees' large messages go to the `TrusteeDesk` service while a node's stay within 64 KiB.

use rand::rngs::OsRng;
use sovbench_core::catalogue::TrueValue;
use sovbench_core::cohort::{CohortAttributes, Kind, SizeClass};
use sovbench_core::envelope::{self, Identity};
use sovbench_core::pb;
use sovbench_secure::encoding::paths::encrypt_submission;
use sovbench_secure::round::{SecureRound, PATH_BLOCK};
use sovbench_sim::federation::{start, FederationConfig, SecureConfig};
use sovbench_tests::expect_code;

/// Four of the demo population's paths (an administration there is on at most three, so a
/// bound of 3 drops none of them and the truth is exact).
const PATHS: [&str; 4] = [
    "path.videokonferenzen.bigbluebutton",
    "path.email_kalender.open_xchange",
    "path.cloud_speicher.nextcloud",
    "path.textverarbeitung.libreoffice",
];

fn config(nodes: usize, seed: u64) -> FederationConfig {
    FederationConfig {
        nodes,
        seed,
        epsilon: 20.0,
        releases_per_node: 0,
        min_cohort: 5,
        parallel: 4,
        dir: None,
        metrics: PATHS.iter().map(|p| p.to_string()).collect(),
        peer_share: 0.0,
        secure: Some(SecureConfig {
            trustees: 3,
            threshold: 2,
            path_bound: 3,
            ..SecureConfig::default()
        }),
    }
}

fn truth_of(truth: &serde_json::Value, cohort: &str, metric: &str) -> Option<f64> {
    truth["cells"]
        .as_array()?
        .iter()
        .find(|t| t["cohort"] == cohort && t["metric"] == metric)
        .and_then(|t| t["value"].as_f64())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bounded_paths_publish_stage_shares_and_rollback_rates_end_to_end() {
    let fed = start(&config(80, 31)).await.expect("federation");
    let round = fed
        .aggregator
        .round_params(&fed.round_id)
        .expect("round params");
    let secure = SecureRound::from_params(&round).expect("secure round");
    assert_eq!(secure.path_bound, 3);
    // Paths cost 2 per slot, not 2 per path; "keiner" is no component.
    assert_eq!(secure.sensitivity(), 6.0);
    let msg = fed.publish().await.expect("published");
    let v = envelope::open_from(&msg, fed.aggregator.public_key()).expect("signed");
    let pb::payload::Body::Publication(p) = v.body else {
        panic!("not a publication")
    };
    assert_eq!(p.contributors, 80);
    assert!(
        !p.cells.iter().any(|c| c.metric.ends_with("=keiner")),
        "not on the path is never decrypted"
    );
    let truth = fed.truth();
    let mut stages = 0;
    let mut rates = 0;
    for c in p.cells.iter().filter(|c| c.cohort == "all") {
        assert!(
            PATHS.iter().any(|path| c.metric.starts_with(path)),
            "{}",
            c.metric
        );
        if c.suppressed {
            assert!(
                c.metric.ends_with("#rollback_rate"),
                "a stage share of all at ε = 20 is published: {c:?}"
            );
            continue;
        }
        let value = truth_of(&truth, "all", &c.metric).expect("truth");
        let half = (c.ci_high - c.ci_low) / 2.0;
        assert!(half > 0.0, "{c:?}");
        // 95% intervals with exponential tails: 4 half-widths is far beyond 1e-4 per cell.
        assert!(
            (c.estimate - value).abs() <= 4.0 * half + 1e-9,
            "{}: estimate {} truth {value} ± {half}",
            c.metric,
            c.estimate
        );
        if c.metric.ends_with("#rollback_rate") {
            assert!(c.ci_low >= 0.0 && c.ci_high <= 1.0, "{c:?}");
            rates += 1;
        } else {
            stages += 1;
        }
    }
    // Six stages per path; at least one roll-back rate (a path with administrations beyond the
    // pilot in the population of 80).
    assert_eq!(stages, 6 * PATHS.len());
    assert!(rates >= 1, "no roll-back rate published");
    fed.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submission_that_breaks_the_path_bound_is_refused_over_grpc() {
    let fed = start(&config(6, 32)).await.expect("federation");
    let mut client = pb::aggregator_client::AggregatorClient::connect(fed.url.clone())
        .await
        .expect("connect");
    let round_msg = client
        .get_round(pb::GetRoundRequest {
            round_id: fed.round_id.clone(),
        })
        .await
        .expect("round")
        .into_inner();
    let pb::payload::Body::Round(params) =
        envelope::open_from(&round_msg, fed.aggregator.public_key())
            .expect("signed round")
            .body
    else {
        panic!("not a round")
    };
    let round = SecureRound::from_params(&params).expect("secure round");
    let (me, _) = Identity::generate().expect("key");
    fed.aggregator
        .enrol(
            me.public_key(),
            "Gemeinde Pfadprüfung",
            CohortAttributes {
                kind: Kind::Gemeinde,
                state: "DE-SH".into(),
                size: SizeClass::Pop5kTo20k,
            },
            9_000,
        )
        .expect("enrol");
    let now = fed.clock.now();
    let submit = |encrypted: Vec<pb::EncryptedValue>| {
        me.seal(pb::payload::Body::Submission(pb::Submission {
            round_id: fed.round_id.clone(),
            round_params_hash: sovbench_core::sha256(&round_msg.payload).to_vec(),
            releases: Vec::new(),
            created_at: now,
            nonce: (0..16).map(|i| i as u8 ^ 0x5a).collect(),
            encrypted,
        }))
    };
    // On all four paths.
    let truths: Vec<TrueValue> = ["pilot", "rollout", "abgeschlossen", "zurueckgerollt"]
        .iter()
        .map(|s| TrueValue::Category((*s).into()))
        .collect();

    // Four slots: one path more than the bound. The block is made for a round with bound 4 (the
    // same committee and metrics), so every proof in it is valid.
    let mut four = round.clone();
    four.path_bound = 4;
    let too_many =
        encrypt_submission(&four, &truths, me.public_key(), &mut OsRng).expect("encrypts");
    expect_code(
        client.submit(submit(too_many)).await,
        tonic::Code::InvalidArgument,
        &format!("metric {PATH_BLOCK}: the encrypted value has the wrong shape"),
    );
    // Each path as its own one-hot value (as without a bound): four values instead of one block.
    let mut unbounded = round.clone();
    unbounded.path_bound = 0;
    let per_path =
        encrypt_submission(&unbounded, &truths, me.public_key(), &mut OsRng).expect("encrypts");
    assert_eq!(per_path.len(), 4);
    expect_code(
        client.submit(submit(per_path)).await,
        tonic::Code::InvalidArgument,
        "4 encrypted values where the round expects 1",
    );
    assert!(!fed
        .aggregator
        .submission_stored(&fed.round_id, me.public_key())
        .expect("lookup"));
    // Within the bound (three of the four paths counted) it is accepted.
    let good = encrypt_submission(&round, &truths, me.public_key(), &mut OsRng).expect("encrypts");
    assert_eq!(good.len(), 1);
    client
        .submit(submit(good))
        .await
        .expect("a valid submission");
    assert!(fed
        .aggregator
        .submission_stored(&fed.round_id, me.public_key())
        .expect("lookup"));
    fed.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trustee_messages_above_64_kib_reach_the_desk_node_messages_do_not() {
    // Noise shares of a wide round are far larger than a node's 64 KiB: the TrusteeDesk service
    // takes them (and refuses this one for its signer, a stranger), while the Aggregator
    // service still refuses a submission of that size at the transport.
    let fed = start(&config(6, 33)).await.expect("federation");
    let (stranger, _) = Identity::generate().expect("key");
    let big = stranger.seal(pb::payload::Body::NoiseShares(pb::NoiseShares {
        round_id: fed.round_id.clone(),
        announcement_sha256: vec![0; 32],
        trustee: 0,
        ciphertexts: vec![vec![7u8; 64]; 3_000],
        range_proofs: Vec::new(),
    }));
    assert!(prost::Message::encoded_len(&big) > 150_000);
    let mut desk = pb::trustee_desk_client::TrusteeDeskClient::connect(fed.url.clone())
        .await
        .expect("connect")
        .max_encoding_message_size(sovbench_proto::MAX_TRUSTEE_MESSAGE_BYTES);
    expect_code(
        desk.post_noise(big).await,
        tonic::Code::PermissionDenied,
        "is not trustee 0 of round",
    );
    let mut agg = pb::aggregator_client::AggregatorClient::connect(fed.url.clone())
        .await
        .expect("connect")
        .max_encoding_message_size(sovbench_proto::MAX_TRUSTEE_MESSAGE_BYTES);
    let huge = stranger.seal(pb::payload::Body::Submission(pb::Submission {
        round_id: fed.round_id.clone(),
        encrypted: vec![pb::EncryptedValue {
            metric: PATH_BLOCK.into(),
            value: vec![b'x'; 150_000],
        }],
        ..Default::default()
    }));
    let status = agg.submit(huge).await.expect_err("too large");
    assert!(
        matches!(
            status.code(),
            tonic::Code::ResourceExhausted | tonic::Code::OutOfRange
        ),
        "{status:?}"
    );
    fed.shutdown().await.expect("shutdown");
}
