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

/// Sends raw bytes as the body of an RPC that expects a `SignedMessage`.
async fn raw_call(
    url: String,
    path: &'static str,
    body: Vec<u8>,
) -> Result<pb::SignedMessage, tonic::Status> {
    use tonic::codec::{Codec, EncodeBuf, Encoder};

    struct RawEncoder;
    impl Encoder for RawEncoder {
        type Item = Vec<u8>;
        type Error = tonic::Status;
        fn encode(&mut self, item: Vec<u8>, buf: &mut EncodeBuf<'_>) -> Result<(), tonic::Status> {
            use prost::bytes::BufMut as _;
            buf.put_slice(&item);
            Ok(())
        }
    }
    #[derive(Default)]
    struct RawCodec;
    impl Codec for RawCodec {
        type Encode = Vec<u8>;
        type Decode = pb::SignedMessage;
        type Encoder = RawEncoder;
        type Decoder = sovbench_proto::codec::InvalidArgumentDecoder<pb::SignedMessage>;
        fn encoder(&mut self) -> RawEncoder {
            RawEncoder
        }
        fn decoder(&mut self) -> Self::Decoder {
            sovbench_proto::codec::ProstCodec::<pb::SignedMessage, pb::SignedMessage>::default()
                .decoder()
        }
    }

    let channel = tonic::transport::Channel::from_shared(url)
        .expect("url")
        .connect()
        .await
        .expect("connect");
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.expect("ready");
    grpc.unary(
        tonic::Request::new(body),
        tonic::codegen::http::uri::PathAndQuery::from_static(path),
        RawCodec,
    )
    .await
    .map(tonic::Response::into_inner)
}

/// 10.10 and 10.1 on the wire. Old behaviours: a body that is not a `SignedMessage` got
/// INTERNAL (tonic-prost's decode error); a 60 KB round id came back whole in the NOT_FOUND
/// message; an enrolled node's value i64::MIN was accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_that_do_not_decode_long_ids_and_impossible_values_are_refused_plainly() {
    let h = Harness::start().await;
    let params = h.open_round("r-wire", 1.0, 1, 2);
    let round = h.agg().signed_round(Some("r-wire")).unwrap();

    // Field 1 with wire type 7 does not exist: not a protobuf message at all.
    for body in [
        vec![0x0f, 0xff, 0xff],
        vec![0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f],
    ] {
        expect_code(
            raw_call(h.url(), "/sovbench.v1.Aggregator/Submit", body).await,
            Code::InvalidArgument,
            "does not decode",
        );
    }
    let member = Identity::generate().unwrap().0;
    h.agg()
        .enrol(member.public_key(), "Mitglied", attrs(), 9_000)
        .unwrap();

    let mut c = h.client().await;
    let long = "x".repeat(60_000);
    match c
        .get_round(pb::GetRoundRequest {
            round_id: long.clone(),
        })
        .await
    {
        Ok(r) => panic!("expected NOT_FOUND, got {r:?}"),
        Err(s) => {
            assert_eq!(s.code(), Code::NotFound, "{}", s.message().len());
            assert!(s.message().len() < 200, "{} bytes", s.message().len());
            assert!(s.message().contains('…'));
        }
    }

    for value in [i64::MIN, i64::MAX, 10_000_000, 117] {
        expect_code(
            c.submit(member.seal(submission(&round, &params, value)))
                .await,
            Code::InvalidArgument,
            "outside",
        );
    }
    let ok = member.seal(submission(&round, &params, 116));
    c.submit(ok)
        .await
        .expect("the largest plausible value is accepted");
}
