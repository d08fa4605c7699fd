//! Every refusal is a gRPC status whose message says what was wrong; the server keeps serving.

use prost::Message as _;
use sovbench_core::cohort::{CohortAttributes, Kind, SizeClass};
use sovbench_core::envelope::Identity;
use sovbench_core::pb;
use sovbench_tests::{expect_code, Harness};
use tonic::Code;

fn attrs() -> CohortAttributes {
    CohortAttributes {
        kind: Kind::Gemeinde,
        state: "DE-HE".into(),
        size: SizeClass::Pop5kTo20k,
    }
}

fn submission(
    round: &pb::SignedMessage,
    _params: &pb::RoundParams,
    value: i64,
) -> pb::payload::Body {
    sovbench_tests::craft_submission(round, value)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_carry_clear_statuses_and_the_server_keeps_serving() {
    let h = Harness::start().await;
    let params = h.open_round("r-refuse", 1.0, 1, 2);
    let round = h.agg().signed_round(Some("r-refuse")).unwrap();
    let mut c = h.client().await;

    let member = Identity::generate().unwrap().0;
    h.agg()
        .enrol(member.public_key(), "Mitglied", attrs(), 9_000)
        .unwrap();

    // Forged: one payload bit flipped after signing.
    let mut forged = member.seal(submission(&round, &params, 3));
    forged.payload[3] ^= 0x10;
    expect_code(
        c.submit(forged).await,
        Code::Unauthenticated,
        "signature does not verify",
    );

    // Signature under another key than the claimed signer.
    let mut swapped = member.seal(submission(&round, &params, 3));
    swapped.signer = Identity::generate().unwrap().0.public_key().to_vec();
    expect_code(
        c.submit(swapped).await,
        Code::Unauthenticated,
        "signature does not verify",
    );

    // Unknown key: valid signature, never enrolled.
    let stranger = Identity::generate().unwrap().0;
    expect_code(
        c.submit(stranger.seal(submission(&round, &params, 3)))
            .await,
        Code::Unauthenticated,
        "not enrolled",
    );

    // Revoked key.
    let revoked = Identity::generate().unwrap().0;
    h.agg()
        .enrol(revoked.public_key(), "Widerrufen", attrs(), 9_000)
        .unwrap();
    h.agg().revoke(revoked.public_key()).unwrap();
    expect_code(
        c.submit(revoked.seal(submission(&round, &params, 3))).await,
        Code::PermissionDenied,
        "revoked",
    );

    // Garbage: unsigned bytes, and validly signed bytes that are no message.
    let garbage = pb::SignedMessage {
        payload: vec![0xde, 0xad, 0xbe, 0xef],
        signature: vec![1; 64],
        signer: member.public_key().to_vec(),
    };
    expect_code(c.submit(garbage).await, Code::Unauthenticated, "signature");
    expect_code(
        c.submit(member.seal_bytes(vec![0xff; 40])).await,
        Code::InvalidArgument,
        "not a valid sovbench message",
    );
    // A signer field that is no key at all.
    let mut short = member.seal(submission(&round, &params, 3));
    short.signer = vec![1, 2, 3];
    expect_code(c.submit(short).await, Code::Unauthenticated, "32-byte");

    // The wrong kind of message: a receipt sent as a submission.
    let receipt = member.seal(pb::payload::Body::Receipt(pb::Receipt::default()));
    expect_code(
        c.submit(receipt).await,
        Code::InvalidArgument,
        "expected a submission",
    );

    // Oversized: 100 KiB of payload, beyond the 64 KiB limit.
    let big = member.seal_bytes(vec![0u8; 100 * 1024]);
    let st = c.submit(big).await.unwrap_err();
    assert!(
        matches!(st.code(), Code::OutOfRange | Code::ResourceExhausted),
        "{:?} {}",
        st.code(),
        st.message()
    );

    // Parameters that differ from the round's.
    let pb::payload::Body::Submission(mut s) = submission(&round, &params, 3) else {
        unreachable!()
    };
    s.round_params_hash = vec![0; 32];
    expect_code(
        c.submit(member.seal(pb::payload::Body::Submission(s.clone())))
            .await,
        Code::InvalidArgument,
        "round parameters hash",
    );
    s.round_params_hash = sovbench_core::sha256(&round.payload).to_vec();
    s.releases[0].epsilon = 5.0;
    expect_code(
        c.submit(member.seal(pb::payload::Body::Submission(s.clone())))
            .await,
        Code::InvalidArgument,
        "epsilon",
    );
    s.releases[0].epsilon = 1.0;
    s.releases[0].scale = 0.5;
    expect_code(
        c.submit(member.seal(pb::payload::Body::Submission(s.clone())))
            .await,
        Code::InvalidArgument,
        "noise scale",
    );
    s.releases[0].scale = 4.0;
    s.releases.push(s.releases[0].clone());
    expect_code(
        c.submit(member.seal(pb::payload::Body::Submission(s.clone())))
            .await,
        Code::InvalidArgument,
        "2 releases, the round asks for 1",
    );
    // A round that does not exist.
    let pb::payload::Body::Submission(mut s) = submission(&round, &params, 3) else {
        unreachable!()
    };
    s.round_id = "r-none".into();
    expect_code(
        c.submit(member.seal(pb::payload::Body::Submission(s)))
            .await,
        Code::NotFound,
        "does not exist",
    );

    // The server still serves: the member's valid submission is accepted ...
    let first = member.seal(submission(&round, &params, 3));
    let receipt = c.submit(first.clone()).await.unwrap().into_inner();
    let v = sovbench_core::envelope::open_from(&receipt, h.agg().public_key()).unwrap();
    let pb::payload::Body::Receipt(r) = v.body else {
        panic!("no receipt")
    };
    assert_eq!(
        r.submission_hash,
        sovbench_core::sha256(&first.payload).to_vec()
    );
    // ... an identical retry returns the same receipt ...
    let again = c.submit(first.clone()).await.unwrap().into_inner();
    assert_eq!(again.encode_to_vec(), receipt.encode_to_vec());
    // ... and a different second submission is refused.
    expect_code(
        c.submit(member.seal(submission(&round, &params, 4))).await,
        Code::AlreadyExists,
        "different submission",
    );
    assert_eq!(h.agg().rounds().unwrap()[0].submissions, 1);

    // Closed round.
    h.agg().close_round("r-refuse").await.unwrap();
    let late = Identity::generate().unwrap().0;
    h.agg()
        .enrol(late.public_key(), "Spät", attrs(), 9_000)
        .unwrap();
    expect_code(
        c.submit(late.seal(submission(&round, &params, 3))).await,
        Code::FailedPrecondition,
        "closed at",
    );
    // An identical retry of a stored submission still gets its receipt after closing (a node
    // whose first answer was lost must not be told it was refused).
    let after = c.submit(first).await.unwrap().into_inner();
    assert_eq!(after.encode_to_vec(), receipt.encode_to_vec());
    // No open round: GetRound says so.
    expect_code(
        c.get_round(pb::GetRoundRequest::default()).await,
        Code::NotFound,
        "no round is open",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_duplicates_from_one_node_store_exactly_one() {
    let h = Harness::start().await;
    let params = h.open_round("r-dup", 1.0, 1, 2);
    let round = h.agg().signed_round(Some("r-dup")).unwrap();
    let member = Identity::generate().unwrap().0;
    h.agg()
        .enrol(member.public_key(), "M", attrs(), 9_000)
        .unwrap();
    let mut tasks = Vec::new();
    for v in 0..16 {
        let msg = member.seal(submission(&round, &params, v % 2));
        let url = h.url();
        tasks.push(tokio::spawn(async move {
            let mut c = pb::aggregator_client::AggregatorClient::connect(url)
                .await
                .unwrap();
            c.submit(msg).await.map(|r| r.into_inner())
        }));
    }
    let mut ok = 0;
    let mut conflict = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(s) if s.code() == Code::AlreadyExists => conflict += 1,
            Err(s) => panic!("unexpected {s:?}"),
        }
    }
    // Two distinct payloads (v = 0 and v = 1) race; one wins. Its identical copies get receipts.
    assert_eq!(ok + conflict, 16);
    assert!(ok >= 1 && conflict >= 1, "ok {ok} conflict {conflict}");
    assert_eq!(h.agg().rounds().unwrap()[0].submissions, 1);
}
