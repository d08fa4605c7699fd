use super::*;
use crate::decryption::{combine, share, Table};
use rand::seq::SliceRandom;
use rand::SeedableRng;

/// Drives `sessions` through a simulated board: every round each session posts its outgoing
/// messages, then absorbs the whole board twice over in a shuffled order (repeats included).
/// Every session is stored and reloaded before each poll. Returns the steps seen.
fn run(sessions: &mut [DkgSession], seed: u64) -> Vec<u8> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut board: Vec<pb::DkgMessage> = Vec::new();
    let mut steps = Vec::new();
    for _ in 0..10 {
        for s in sessions.iter() {
            for m in s.outgoing() {
                if !board.contains(&m) {
                    board.push(m);
                }
            }
        }
        for s in sessions.iter_mut() {
            let bytes = s.to_bytes().expect("encodes");
            *s = DkgSession::from_bytes(&bytes).expect("decodes");
            assert_eq!(
                s.to_bytes().expect("encodes"),
                bytes,
                "the round trip is exact"
            );
            steps.push(s.step());
            let mut view = board.clone();
            view.extend(board.iter().cloned());
            view.shuffle(&mut rng);
            s.absorb(&view).expect("absorbs");
        }
        if sessions.iter().all(|s| s.agreed()) {
            break;
        }
    }
    steps
}

#[test]
fn five_sessions_agree_on_one_committee_that_decrypts() {
    let mut os = rand::rngs::OsRng;
    let mut sessions: Vec<DkgSession> = (0..5)
        .map(|i| DkgSession::new("c-1", 3, 5, i, &mut os).expect("session"))
        .collect();
    // The outgoing messages are the same on every call.
    assert_eq!(sessions[0].outgoing(), sessions[0].outgoing());
    let steps = run(&mut sessions, 7);
    // Every step was stored and reloaded on the way.
    for step in 1..=4 {
        assert!(
            steps.contains(&step),
            "step {step} never persisted: {steps:?}"
        );
    }
    assert!(sessions.iter().all(|s| s.agreed()));
    let done: Vec<(Committee, Trustee)> = sessions
        .iter()
        .map(|s| s.finished().expect("finished"))
        .collect();
    let doc = done[0].0.to_bytes();
    for (i, (c, t)) in done.iter().enumerate() {
        assert_eq!(c.to_bytes(), doc, "trustee {i}");
        assert_eq!(t.index(), i);
        assert_eq!((c.threshold(), c.size()), (3, 5));
    }
    let committee = &done[0].0;
    let ct = committee.key().encrypt(42u64, &mut os);
    let shares: Vec<_> = [4, 1, 2]
        .iter()
        .map(|&i| share(&done[i].1, ct, &mut os))
        .collect();
    let d = combine(committee, ct, &shares, &Table::new(100, 0)).expect("decrypts");
    assert_eq!(d.value, 42);
}

#[test]
fn a_tampered_sealed_share_names_its_sender() {
    let mut os = rand::rngs::OsRng;
    let mut sessions: Vec<DkgSession> = (0..4)
        .map(|i| DkgSession::new("c-2", 2, 4, i, &mut os).expect("session"))
        .collect();
    // Steps 1 and 2.
    for _ in 0..2 {
        let board: Vec<_> = sessions.iter().flat_map(|s| s.outgoing()).collect();
        for s in sessions.iter_mut() {
            s.absorb(&board).expect("absorbs");
        }
    }
    assert!(sessions.iter().all(|s| s.step() == 3));
    let mut board: Vec<_> = sessions.iter().flat_map(|s| s.outgoing()).collect();
    for m in board.iter_mut() {
        if let Some(pb::dkg_message::Step::Share(s)) = &mut m.step {
            if m.from == 2 && s.to == 3 {
                s.sealed[5] ^= 1;
            }
        }
    }
    let err = sessions[3].absorb(&board).expect_err("tampered share");
    assert!(err.to_string().contains("trustee 2"), "{err}");
    assert_eq!(sessions[3].step(), 3, "no step on a refused share");
    // The others were not addressed by the tampered share and complete.
    assert!(sessions[0].absorb(&board).expect("absorbs"));
    assert!(sessions[0].finished().is_some());
}

#[test]
fn a_polynomial_that_does_not_match_its_commitment_names_its_sender() {
    let mut os = rand::rngs::OsRng;
    let mut a = DkgSession::new("c-3", 2, 3, 0, &mut os).expect("session");
    let mut b = DkgSession::new("c-3", 2, 3, 1, &mut os).expect("session");
    let mut c = DkgSession::new("c-3", 2, 3, 2, &mut os).expect("session");
    // A second session of trustee 1 whose polynomial does not match the first's commitment.
    let mut b2 = DkgSession::new("c-3", 2, 3, 1, &mut os).expect("session");
    let step1: Vec<_> = [&a, &b, &c].iter().flat_map(|s| s.outgoing()).collect();
    for s in [&mut a, &mut b, &mut c] {
        assert!(s.absorb(&step1).expect("absorbs"));
    }
    b2.absorb(&step1).expect("absorbs");
    let poly_b2 = b2
        .outgoing()
        .into_iter()
        .find(|m| matches!(m.step, Some(pb::dkg_message::Step::Polynomial(_))))
        .expect("polynomial");
    let poly_c = c.outgoing();
    let err = a
        .absorb(&[poly_c, vec![poly_b2]].concat())
        .expect_err("mismatch");
    assert!(err.to_string().contains("trustee 1"), "{err}");
    // Another ceremony's message is refused too.
    let mut other = b.outgoing();
    other[0].ceremony = "c-4".into();
    assert!(a.absorb(&other).is_err());
}

#[test]
fn seal_and_open_round_trip_and_bind_the_recipient() {
    let mut os = rand::rngs::OsRng;
    let (secret, public) = transport_keypair(&mut os);
    let share = SecretKey::<Group>::generate(&mut os);
    let sealed = seal("c", 1, 2, &public, &share, &mut os).expect("seals");
    let opened = open("c", 1, &secret, &sealed).expect("opens");
    assert_eq!(opened.expose_scalar(), share.expose_scalar());
    // Another sender index in the pad gives another scalar (or none).
    let wrong = open("c", 0, &secret, &sealed);
    assert!(wrong.map_or(true, |s| s.expose_scalar() != share.expose_scalar()));
    assert!(seal("c", 1, 2, &[0u8; 32], &share, &mut os).is_err());
}
