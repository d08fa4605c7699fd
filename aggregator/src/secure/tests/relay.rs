//! The DKG relay with three real `DkgSession`s, the noise wait, and a direct round refusing
//! encrypted values.

use super::*;
use sovbench_secure::session::DkgSession;

#[test]
fn three_trustees_run_the_dkg_through_the_relay() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_clock, shared) = TestClock::shared(T0);
    let agg = Aggregator::init_with_clock(dir.path(), "Test", shared).expect("init");
    let keys: Vec<Identity> = (0..3).map(|_| new_key()).collect();
    let raw: Vec<Vec<u8>> = keys.iter().map(|k| k.public_key().to_vec()).collect();
    agg.create_ceremony("dkg", 2, raw.clone())
        .expect("ceremony");
    let mut sessions: Vec<DkgSession> = (0..3)
        .map(|i| DkgSession::new("dkg", 2, 3, i, &mut OsRng).expect("session"))
        .collect();
    let fetch = |i: usize| {
        let q = query(
            &keys[i],
            T0,
            pb::trustee_query::Query::DkgCeremony("dkg".into()),
        );
        let board = agg.secure().dkg_fetch(&q).expect("board");
        // A query is answered once.
        assert!(matches!(
            agg.secure().dkg_fetch(&q),
            Err(AggError::Replay(_))
        ));
        match body(&board) {
            pb::payload::Body::DkgBoard(b) => b,
            other => panic!("{other:?}"),
        }
    };
    for _ in 0..8 {
        for (i, s) in sessions.iter().enumerate() {
            for m in s.outgoing() {
                agg.secure()
                    .dkg_post(&keys[i].seal(pb::payload::Body::DkgMessage(m)))
                    .expect("posted");
            }
        }
        for (i, s) in sessions.iter_mut().enumerate() {
            let board = fetch(i);
            let mut msgs = Vec::new();
            for bytes in &board.messages {
                let signed = pb::SignedMessage::decode(bytes.as_slice()).expect("message");
                let pb::payload::Body::DkgMessage(m) = body(&signed) else {
                    panic!("not a DKG message")
                };
                assert_eq!(signed.signer, raw[m.from as usize]);
                // Only the shares addressed to the asker are relayed to it.
                if let Some(pb::dkg_message::Step::Share(sh)) = &m.step {
                    assert_eq!(sh.to as usize, i);
                }
                msgs.push(m);
            }
            s.absorb(&msgs).expect("absorbed");
        }
        if agg.ceremony("dkg").expect("info").complete {
            break;
        }
    }
    let info = agg.ceremony("dkg").expect("info");
    assert!(info.complete, "{info:?}");
    let (committee, _) = sessions[0].finished().expect("finished");
    assert_eq!(info.fingerprint, Some(committee.fingerprint()));
    assert_eq!(fetch(2).committee, committee.to_bytes());
    // Outsiders see nothing; a post in another trustee's name is refused.
    let outsider = new_key();
    assert!(matches!(
        agg.secure().dkg_fetch(&query(
            &outsider,
            T0,
            pb::trustee_query::Query::DkgCeremony("dkg".into())
        )),
        Err(AggError::NotTrustee { .. })
    ));
    let forged = outsider.seal(pb::payload::Body::DkgMessage(pb::DkgMessage {
        ceremony: "dkg".into(),
        from: 0,
        step: Some(pb::dkg_message::Step::Committee(committee.to_bytes())),
    }));
    assert!(matches!(
        agg.secure().dkg_post(&forged),
        Err(AggError::NotTrustee { .. })
    ));
    // A different step-4 document from a trustee that posted one is refused.
    let other = committee::deal_for_tests(3, 2, &mut OsRng)
        .expect("committee")
        .0;
    let changed = keys[0].seal(pb::payload::Body::DkgMessage(pb::DkgMessage {
        ceremony: "dkg".into(),
        from: 0,
        step: Some(pb::dkg_message::Step::Committee(other.to_bytes())),
    }));
    assert!(matches!(
        agg.secure().dkg_post(&changed),
        Err(AggError::TrusteeConflict(_))
    ));
}

#[tokio::test]
async fn after_the_noise_wait_h_noise_posts_fix_the_noise_set() {
    let f = fixture();
    f.agg.secure().set_noise_wait(60);
    let round_msg = open_round(&f, 2.0, 2);
    for i in 0..3 {
        let node = new_key();
        f.agg
            .enrol(node.public_key(), &format!("N{i}"), attrs(), 9_000)
            .expect("enrol");
        f.agg
            .submit(submission(
                &node,
                &round_msg,
                encrypted(f.committee.key(), &node, 2),
            ))
            .await
            .expect("accepted");
    }
    f.clock.advance(600);
    f.agg.close_round("s1").await.expect("closed");
    f.agg.advance_secure("s1").expect("announced");
    let ann = announcement(&f);
    for i in [0, 2] {
        f.agg
            .secure()
            .post_noise(&noise_post(&f, i, &ann, 1))
            .expect("noise");
    }
    f.clock.advance(61);
    // Two of h = 3 after the wait: still NOISE.
    f.agg.advance_secure("s1").expect("advance");
    assert_eq!(
        announcement(&f).1.phase,
        pb::AnnouncementPhase::Noise as i32
    );
    f.agg
        .secure()
        .post_noise(&noise_post(&f, 4, &ann, 1))
        .expect("noise");
    let (_, decrypt) = announcement(&f);
    assert_eq!(decrypt.phase, pb::AnnouncementPhase::Decrypt as i32);
    assert_eq!(decrypt.noise.len(), 3);
    // The noise set is fixed: a late trustee's noise is refused.
    assert!(matches!(
        f.agg.secure().post_noise(&noise_post(&f, 1, &ann, 1)),
        Err(AggError::TrusteePhase { .. })
    ));
}

#[tokio::test]
async fn a_direct_round_refuses_encrypted_values() {
    let f = fixture();
    f.agg
        .open_round(RoundSpec {
            round_id: "s1".into(),
            metrics: vec![METRIC.into()],
            epsilon_per_release: 1.0,
            releases_per_node: 1,
            min_cohort: 2,
            closes_at: T0 + 600,
            secure: None,
        })
        .expect("direct round");
    let round_msg = f.agg.signed_round(Some("s1")).expect("signed");
    let node = new_key();
    f.agg
        .enrol(node.public_key(), "N", attrs(), 9_000)
        .expect("enrol");
    let err = f
        .agg
        .submit(submission(
            &node,
            &round_msg,
            encrypted(f.committee.key(), &node, 2),
        ))
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("mode direct"), "{err}");
    assert_eq!(
        tonic::Status::from(err).code(),
        tonic::Code::InvalidArgument
    );
}
