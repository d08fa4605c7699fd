use super::*;
use crate::committee::deal_for_tests;
use crate::decryption::{combine, share, Table};
use crate::encoding::{encrypt, plaintext, Context};
use crate::round::Grid;
use crate::Trustee;
use sovbench_core::catalogue::{Catalogue, MetricDef, TrueValue};
use sovbench_core::envelope::Identity;

const HASH: &[u8] = b"round-params-hash";

fn round() -> (SecureRound, Vec<Trustee>) {
    let (committee, trustees) = deal_for_tests(3, 2, &mut rand::rngs::OsRng).expect("committee");
    let cat = Catalogue::shared();
    let metrics: Vec<MetricDef> = ["selftest.datenhoheit", "selftest.exit_strategy"]
        .iter()
        .map(|id| cat.metric(id).expect("metric").clone())
        .collect();
    let r = SecureRound {
        round_id: "2026-q4".into(),
        committee,
        trustee_keys: vec![vec![0; 32]; 3],
        grid: Grid::KindSize,
        epsilon: 1.0,
        all_weight: 0.0,
        metrics,
        min_cohort: 2,
        path_bound: 0,
    };
    (r, trustees)
}

fn truths(i: usize) -> Vec<TrueValue> {
    vec![
        TrueValue::Int(1 + i as i64),
        TrueValue::Bool(i.is_multiple_of(2)),
    ]
}

/// Administration `i`'s values, encrypted with proofs bound to the round and to `id`.
fn encrypted(r: &SecureRound, id: &Identity, i: usize) -> Vec<pb::EncryptedValue> {
    let ctx = Context {
        round_id: &r.round_id,
        signer: id.public_key(),
    };
    r.metrics
        .iter()
        .zip(truths(i))
        .map(|(def, t)| pb::EncryptedValue {
            metric: def.id.clone(),
            value: encrypt(r.committee.key(), def, &t, &ctx, &mut rand::rngs::OsRng)
                .expect("encrypt")
                .to_bytes()
                .expect("bytes"),
        })
        .collect()
}

fn submission(
    r: &SecureRound,
    id: &Identity,
    enc: Vec<pb::EncryptedValue>,
    hash: &[u8],
) -> Vec<u8> {
    let sub = pb::Submission {
        round_id: r.round_id.clone(),
        round_params_hash: hash.to_vec(),
        encrypted: enc,
        ..Default::default()
    };
    id.seal(pb::payload::Body::Submission(sub)).encode_to_vec()
}

fn entry(position: u64, prev: &[u8; 32], submission: Vec<u8>, cell: &str) -> pb::BulletinEntry {
    pb::BulletinEntry {
        position,
        chain: chain(prev, &submission, cell).to_vec(),
        submission,
        cell: cell.into(),
    }
}

const CELLS: [&str; 3] = [
    "kind=gemeinde,size=lt5k",
    "kind=gemeinde,size=lt5k",
    "kind=stadt,size=20k-50k",
];

struct Board {
    round: SecureRound,
    trustees: Vec<Trustee>,
    ids: Vec<Identity>,
    entries: Vec<pb::BulletinEntry>,
}

/// Three valid entries of three administrations.
fn board() -> Board {
    let (round, trustees) = round();
    let ids: Vec<Identity> = (0..4)
        .map(|_| Identity::generate().expect("id").0)
        .collect();
    let mut entries = Vec::new();
    let mut head = GENESIS;
    for (i, cell) in CELLS.iter().enumerate() {
        let e = entry(
            i as u64,
            &head,
            submission(&round, &ids[i], encrypted(&round, &ids[i], i), HASH),
            cell,
        );
        head = chain(&head, &e.submission, cell);
        entries.push(e);
    }
    Board {
        round,
        trustees,
        ids,
        entries,
    }
}

impl Board {
    /// A tally of the valid entries.
    fn tally(&self) -> Tally {
        let mut t = Tally::new(HASH);
        for e in &self.entries {
            t.add(&self.round, e).expect("valid entry");
        }
        t
    }

    /// The next entry with these submission bytes and cell, properly chained.
    fn next(&self, submission: Vec<u8>, cell: &str) -> pb::BulletinEntry {
        entry(
            self.entries.len() as u64,
            &self.tally().head(),
            submission,
            cell,
        )
    }

    /// Asserts that the tally refuses `e` at position 3 with a reason containing `why`.
    fn refuses(&self, e: &pb::BulletinEntry, why: &str) {
        let mut t = self.tally();
        let err = t.add(&self.round, e).expect_err(why);
        assert!(
            matches!(&err, SecureError::Bulletin { .. }) && err.to_string().contains(why),
            "{why}: {err}"
        );
        assert_eq!(t.len(), 3, "a refused entry is not counted");
    }
}

#[test]
fn a_valid_chain_tallies_and_decrypts_to_the_true_sums() {
    let b = board();
    let t = b.tally();
    assert_eq!(t.len(), 3);
    assert_eq!(
        t.counts(),
        BTreeMap::from([(CELLS[0].to_string(), 2), (CELLS[2].to_string(), 1)])
    );
    let announced = vec![
        pb::AnnouncedCell {
            cell: CELLS[0].into(),
            members: vec![CELLS[0].into()],
            n: 2,
            scale: 1.0,
        },
        pb::AnnouncedCell {
            cell: "rest".into(),
            members: vec![CELLS[0].into(), CELLS[2].into()],
            n: 3,
            scale: 1.0,
        },
    ];
    let sums = t.announced_sums(&b.round, &announced);
    assert_eq!(sums.len(), 2 * b.round.cell_width());
    // True plaintext sums: per announced cell and component.
    let plain = |i: usize| -> Vec<u64> {
        b.round
            .metrics
            .iter()
            .zip(truths(i))
            .flat_map(|(d, t)| plaintext(d, &t).expect("plain"))
            .collect()
    };
    let expected: Vec<i64> = [vec![0, 1], vec![0, 1, 2]]
        .iter()
        .flat_map(|members| {
            (0..2).map(move |j| members.iter().map(|&i| plain(i)[j] as i64).sum::<i64>())
        })
        .collect();
    let table = Table::new(20, 0);
    let mut rng = rand::rngs::OsRng;
    let got: Vec<i64> = sums
        .iter()
        .map(|c| {
            let shares: Vec<_> = b.trustees[1..]
                .iter()
                .map(|t| share(t, *c, &mut rng))
                .collect();
            combine(&b.round.committee, *c, &shares, &table)
                .expect("decrypts")
                .value
        })
        .collect();
    assert_eq!(got, expected);
    // Scores 1, 2, 3 are plaintexts 0, 1, 2; administrations 0 and 2 say yes.
    assert_eq!(expected, vec![1, 1, 3, 2]);
}

#[test]
fn out_of_order_positions_and_broken_chains_are_refused() {
    let b = board();
    let sub = submission(&b.round, &b.ids[3], encrypted(&b.round, &b.ids[3], 3), HASH);
    let mut e = b.next(sub.clone(), CELLS[2]);
    e.position = 4;
    b.refuses(&e, "expected position 3");
    let mut e = b.next(sub.clone(), CELLS[2]);
    e.chain[0] ^= 1;
    b.refuses(&e, "chain hash");
    // Chained from an earlier head.
    let e = entry(3, &GENESIS, sub.clone(), CELLS[2]);
    b.refuses(&e, "chain hash");
    // The cell changed after chaining.
    let mut e = b.next(sub, CELLS[2]);
    e.cell = CELLS[0].into();
    b.refuses(&e, "chain hash");
}

#[test]
fn bad_signatures_duplicate_signers_and_copied_ciphertexts_are_refused() {
    let b = board();
    let mut msg = b.ids[3].seal(pb::payload::Body::Submission(pb::Submission {
        round_id: b.round.round_id.clone(),
        round_params_hash: HASH.to_vec(),
        encrypted: encrypted(&b.round, &b.ids[3], 3),
        ..Default::default()
    }));
    msg.signature[10] ^= 1;
    b.refuses(&b.next(msg.encode_to_vec(), CELLS[2]), "the submission");
    // A second submission of administration 0, freshly encrypted.
    let again = submission(&b.round, &b.ids[0], encrypted(&b.round, &b.ids[0], 7), HASH);
    b.refuses(&b.next(again, CELLS[2]), "a second submission");
    // Administration 3 re-signs administration 0's encrypted values.
    let copied = pb::Submission::decode(
        envelope::open(
            &pb::SignedMessage::decode(b.entries[0].submission.as_slice()).expect("msg"),
        )
        .map(|v| match v.body {
            pb::payload::Body::Submission(s) => s.encode_to_vec(),
            _ => Vec::new(),
        })
        .expect("opens")
        .as_slice(),
    )
    .expect("submission");
    // Its range proofs are bound to administration 0: they do not verify for 3.
    let copy = submission(&b.round, &b.ids[3], copied.encrypted, HASH);
    b.refuses(&b.next(copy, CELLS[2]), "proof");
}

#[test]
fn forged_proofs_wrong_rounds_and_non_finest_cells_are_refused() {
    let b = board();
    // Encrypted under another committee's key: the proof does not verify under this one.
    let (other, _) = deal_for_tests(3, 2, &mut rand::rngs::OsRng).expect("committee");
    let mut foreign = b.round.clone();
    foreign.committee = other;
    let forged = submission(&b.round, &b.ids[3], encrypted(&foreign, &b.ids[3], 3), HASH);
    b.refuses(&b.next(forged, CELLS[2]), "range proof");
    // A yes / no proof where the round has a score: the wrong shape.
    let mut swapped = encrypted(&b.round, &b.ids[3], 3);
    swapped[0].value = swapped[1].value.clone();
    let swapped = submission(&b.round, &b.ids[3], swapped, HASH);
    b.refuses(&b.next(swapped, CELLS[2]), "wrong shape");
    // Metrics in the wrong order.
    let mut reordered = encrypted(&b.round, &b.ids[3], 3);
    reordered.reverse();
    let reordered = submission(&b.round, &b.ids[3], reordered, HASH);
    b.refuses(&b.next(reordered, CELLS[2]), "where the round has");
    // Another round's parameter hash.
    let wrong = submission(
        &b.round,
        &b.ids[3],
        encrypted(&b.round, &b.ids[3], 3),
        b"other",
    );
    b.refuses(&b.next(wrong, CELLS[2]), "another round");
    // Not a finest cell.
    let fine = submission(&b.round, &b.ids[3], encrypted(&b.round, &b.ids[3], 3), HASH);
    for cell in ["all", "kind=gemeinde", "kind=gemeinde,size=rest", "rest"] {
        b.refuses(&b.next(fine.clone(), cell), "not a kind × size cell");
    }
    // The same entry, valid, is accepted.
    let mut t = b.tally();
    t.add(&b.round, &b.next(fine, CELLS[2])).expect("valid");
    assert_eq!(t.len(), 4);
}

#[test]
fn a_refused_entry_leaves_the_tally_unchanged() {
    let b = board();
    let mut t = b.tally();
    let (other, _) = deal_for_tests(3, 2, &mut rand::rngs::OsRng).expect("committee");
    let mut foreign = b.round.clone();
    foreign.committee = other;
    let forged = submission(&b.round, &b.ids[3], encrypted(&foreign, &b.ids[3], 3), HASH);
    assert!(t.add(&b.round, &b.next(forged, CELLS[2])).is_err());
    assert_eq!((t.len(), t.head()), (3, b.tally().head()));
    // The same administration's valid submission is still accepted.
    let valid = submission(&b.round, &b.ids[3], encrypted(&b.round, &b.ids[3], 3), HASH);
    t.add(&b.round, &b.next(valid, CELLS[2]))
        .expect("valid after a refusal");
    assert_eq!(t.counts()[CELLS[2]], 2);
}
