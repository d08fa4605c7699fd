//! Tests of the store: the ledger and outbox written together, durability across a reopen.

use super::*;
use crate::model::{DeliveryState, ReleaseRecord};

fn entry(round: &str) -> LedgerEntry {
    LedgerEntry {
        round_id: round.into(),
        recorded_at: 1,
        epsilon: 1.0,
        releases: vec![ReleaseRecord {
            metric: "selftest.datenhoheit".into(),
            mechanism: "discrete_laplace".into(),
            value: 3,
            scale: 4.0,
            probability: 0.0,
            bits: Vec::new(),
            epsilon: 1.0,
        }],
        payload_sha256: "00".into(),
        state: DeliveryState::Pending,
        mode: Default::default(),
        secure: None,
        aggregator: "http://127.0.0.1:1".into(),
    }
}

#[test]
fn ledger_and_outbox_are_written_together_and_only_once() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(dir.path()).unwrap();
    let msg = pb::SignedMessage {
        payload: vec![1, 2, 3],
        signature: vec![4; 64],
        signer: vec![5; 32],
    };
    s.record_release(&entry("r1"), &msg).unwrap();
    assert!(matches!(
        s.record_release(&entry("r1"), &msg),
        Err(NodeError::AlreadyReleased(_))
    ));
    assert_eq!(s.ledger().unwrap().len(), 1);
    assert_eq!(s.outbox().unwrap(), vec![("r1".to_string(), msg.clone())]);
    let mut delivered = entry("r1");
    delivered.state = DeliveryState::Delivered;
    s.deliver(&delivered, &msg).unwrap();
    assert_eq!(
        s.ledger_entry("r1").unwrap().unwrap().state,
        DeliveryState::Delivered
    );
    assert!(s.outbox().unwrap().is_empty());
    assert_eq!(s.receipt("r1").unwrap(), Some(msg));
    assert_eq!(s.ledger().unwrap().len(), 1);
}

#[test]
fn data_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let s = Store::open(dir.path()).unwrap();
        let rec = AssessmentRecord {
            recorded_at_micros: 5,
            scores: [1, 2, 3, 4, 5],
        };
        s.add_assessment(&rec).unwrap();
        s.add_assessment(&rec).unwrap();
    }
    let s = Store::open(dir.path()).unwrap();
    assert_eq!(s.assessments().unwrap().len(), 2);
    assert_eq!(
        s.latest_assessment().unwrap().unwrap().scores,
        [1, 2, 3, 4, 5]
    );
}
