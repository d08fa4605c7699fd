//! The DKG core against an in-memory relay that does what the aggregator's board does: every
//! message of steps 1, 2 and 4 to everyone, each sealed share only to its recipient.

use sovbench_core::envelope::Identity;

use super::*;
use crate::store::Store;

const CEREMONY: &str = "gremium-2026";

struct Relay {
    keys: Vec<Vec<u8>>,
    posted: Vec<pb::SignedMessage>,
}

impl Relay {
    fn board(&self, to: usize) -> pb::DkgBoard {
        let mut committees = Vec::new();
        let messages = self
            .posted
            .iter()
            .filter(|m| {
                let dm = match envelope::open(m).expect("signed").body {
                    pb::payload::Body::DkgMessage(dm) => dm,
                    _ => unreachable!(),
                };
                match dm.step {
                    Some(pb::dkg_message::Step::Share(s)) => s.to as usize == to,
                    Some(pb::dkg_message::Step::Committee(c)) => {
                        committees.push(c);
                        true
                    }
                    _ => true,
                }
            })
            .map(|m| m.encode_to_vec())
            .collect();
        let agreed =
            committees.len() == self.keys.len() && committees.windows(2).all(|w| w[0] == w[1]);
        pb::DkgBoard {
            ceremony: CEREMONY.into(),
            threshold: 2,
            trustee_keys: self.keys.clone(),
            messages,
            committee: if agreed {
                committees[0].clone()
            } else {
                Vec::new()
            },
        }
    }
}

#[test]
fn three_trustees_complete_the_ceremony_through_the_board_and_resume_from_the_store() {
    let ids: Vec<Identity> = (0..3)
        .map(|_| Identity::generate().expect("key").0)
        .collect();
    let mut relay = Relay {
        keys: ids.iter().map(|i| i.public_key().to_vec()).collect(),
        posted: Vec::new(),
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let stores: Vec<Store> = (0..3)
        .map(|i| Store::open(&dir.path().join(i.to_string())).expect("store"))
        .collect();
    let mut done: Vec<Option<Membership>> = vec![None, None, None];
    for _pass in 0..12 {
        for i in 0..3 {
            if done[i].is_some() {
                continue;
            }
            let board = relay.board(i);
            assert_eq!(own_index(&board, ids[i].public_key()).expect("member"), i);
            // Each pass resumes from the store, as after a restart.
            let mut session = match stores[i].dkg_session(CEREMONY).expect("read") {
                Some(s) => s,
                None => DkgSession::new(CEREMONY, 2, 3, i, &mut rand::rngs::OsRng).expect("new"),
            };
            let messages = board_messages(&board, CEREMONY).expect("board");
            session.absorb(&messages).expect("absorb");
            stores[i]
                .put_dkg_session(CEREMONY, &session)
                .expect("store");
            for m in to_post(&session, &messages) {
                relay
                    .posted
                    .push(ids[i].seal(pb::payload::Body::DkgMessage(m)));
            }
            if let Some((m, share)) = completed(&session, &board, CEREMONY).expect("complete") {
                assert_eq!(share.index(), i);
                stores[i].put_committee(&m, &share).expect("committee");
                done[i] = Some(m);
            }
        }
    }
    let fps: Vec<[u8; 32]> = done
        .iter()
        .map(|d| d.as_ref().expect("every trustee completes").fingerprint)
        .collect();
    assert!(fps.windows(2).all(|w| w[0] == w[1]), "{fps:?}");
    let m = stores[1].membership().expect("read").expect("stored");
    assert_eq!((m.index, m.threshold, m.size), (1, 2, 3));
    // What is on the board is not posted again: only the shares to others remain, which this
    // trustee's board does not show (Trustee::dkg sends those once per run).
    for (i, store) in stores.iter().enumerate() {
        let board = relay.board(i);
        let messages = board_messages(&board, CEREMONY).expect("board");
        let s = store.dkg_session(CEREMONY).expect("read").expect("session");
        let again = to_post(&s, &messages);
        assert!(
            again
                .iter()
                .all(|m| matches!(m.step, Some(pb::dkg_message::Step::Share(_)))),
            "only shares to others (not on this trustee's board) would be sent again"
        );
    }
}

#[test]
fn a_board_message_of_another_signer_or_a_stranger_is_refused() {
    let ids: Vec<Identity> = (0..3)
        .map(|_| Identity::generate().expect("key").0)
        .collect();
    let keys: Vec<Vec<u8>> = ids.iter().map(|i| i.public_key().to_vec()).collect();
    let s = DkgSession::new(CEREMONY, 2, 3, 0, &mut rand::rngs::OsRng).expect("new");
    let first = s.outgoing().remove(0);
    // Trustee 2 posts trustee 0's message under its own key.
    let forged = ids[2].seal(pb::payload::Body::DkgMessage(first.clone()));
    let mut board = pb::DkgBoard {
        ceremony: CEREMONY.into(),
        threshold: 2,
        trustee_keys: keys.clone(),
        messages: vec![forged.encode_to_vec()],
        committee: Vec::new(),
    };
    let e = board_messages(&board, CEREMONY).expect_err("forged");
    assert!(
        e.to_string().contains("not by the trustee at index 0"),
        "{e}"
    );
    // A broken signature.
    let mut bad = ids[0].seal(pb::payload::Body::DkgMessage(first.clone()));
    bad.signature[3] ^= 1;
    board.messages = vec![bad.encode_to_vec()];
    assert!(board_messages(&board, CEREMONY).is_err());
    // Another ceremony.
    let mut other = first;
    other.ceremony = "andere".into();
    board.messages = vec![ids[0]
        .seal(pb::payload::Body::DkgMessage(other))
        .encode_to_vec()];
    assert!(board_messages(&board, CEREMONY)
        .expect_err("ceremony")
        .to_string()
        .contains("andere"));
    // A trustee whose key is not on the list.
    let stranger = Identity::generate().expect("key").0;
    assert!(matches!(
        own_index(&board, stranger.public_key()),
        Err(TrusteeError::NotAMember(..))
    ));
}
