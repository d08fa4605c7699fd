//! The refusal logic without a network: a bulletin of real encrypted, signed submissions, the
//! NOISE check and the DECRYPT check.

use std::collections::BTreeMap;

use prost::Message as _;
use sovbench_core::catalogue::{Catalogue, TrueValue};
use sovbench_core::envelope::Identity;
use sovbench_core::pb;
use sovbench_secure::bulletin::{self, GENESIS};
use sovbench_secure::committee::{self, Committee};
use sovbench_secure::decryption::{self, Table};
use sovbench_secure::round::{Grid, SecureRound};
use sovbench_secure::{encoding, grid, Ciphertext};

use super::*;
use crate::model::{Membership, RoundRecord};

const ROUND: &str = "2026-q1";
const METRIC: &str = "selftest.datenhoheit";
const SMALL: &str = "kind=gemeinde,size=lt5k";
const MID: &str = "kind=gemeinde,size=5k-20k";
/// This trustee's index in the fixtures.
const ME: u32 = 0;

struct Fixture {
    committee: Committee,
    shares: Vec<sovbench_secure::Trustee>,
    trustees: Vec<Identity>,
    params: pb::RoundParams,
    params_hash: [u8; 32],
    round: SecureRound,
    /// Every node's signed submission, with its cell and true score.
    nodes: Vec<(pb::SignedMessage, String, i64)>,
}

fn fixture() -> Fixture {
    let mut rng = rand::rngs::OsRng;
    let (committee, shares) = committee::deal_for_tests(5, 3, &mut rng).expect("committee");
    let trustees: Vec<Identity> = (0..5)
        .map(|_| Identity::generate().expect("key").0)
        .collect();
    let def = Catalogue::shared().metric(METRIC).expect("metric").clone();
    let params = pb::RoundParams {
        round_id: ROUND.into(),
        mode: pb::RoundMode::SecureAggregation as i32,
        metrics: vec![def.spec()],
        min_cohort: 3,
        secure: Some(SecureRound::params(
            &committee,
            trustees.iter().map(|t| t.public_key().to_vec()).collect(),
            Grid::KindSize,
            // Small noise (scale 0.08): the grid's merge size is k itself, so the small cells
            // of this bulletin are announced alone (`grid::merge_size`).
            50.0,
            0.0,
        )),
        ..Default::default()
    };
    let aggregator = Identity::generate().expect("key").0;
    let signed = aggregator.seal(pb::payload::Body::Round(params.clone()));
    let params_hash = sovbench_core::sha256(&signed.payload);
    let round = SecureRound::from_params(&params).expect("round");
    let mut nodes = Vec::new();
    for (i, cell) in [SMALL, SMALL, SMALL, MID, MID, MID, MID].iter().enumerate() {
        let node = Identity::generate().expect("key").0;
        let score = 1 + (i as i64 % 5);
        nodes.push((
            submission(&node, &round, &params_hash, score),
            cell.to_string(),
            score,
        ));
    }
    Fixture {
        committee,
        shares,
        trustees,
        params,
        params_hash,
        round,
        nodes,
    }
}

fn submission(
    node: &Identity,
    round: &SecureRound,
    params_hash: &[u8; 32],
    score: i64,
) -> pb::SignedMessage {
    let mut rng = rand::rngs::OsRng;
    let def = &round.metrics[0];
    let ctx = encoding::Context {
        round_id: ROUND,
        signer: node.public_key(),
    };
    let enc = encoding::encrypt(
        round.committee.key(),
        def,
        &TrueValue::Int(score),
        &ctx,
        &mut rng,
    )
    .expect("encrypt");
    node.seal(pb::payload::Body::Submission(pb::Submission {
        round_id: ROUND.into(),
        round_params_hash: params_hash.to_vec(),
        encrypted: vec![pb::EncryptedValue {
            metric: METRIC.into(),
            value: enc.to_bytes().expect("encode"),
        }],
        created_at: 1_780_000_000,
        nonce: vec![7; 16],
        ..Default::default()
    }))
}

/// The bulletin of `entries` (submission, cell), chained.
fn bulletin_of(entries: &[(pb::SignedMessage, String)]) -> (Vec<pb::BulletinEntry>, [u8; 32]) {
    let mut head = GENESIS;
    let mut out = Vec::new();
    for (i, (msg, cell)) in entries.iter().enumerate() {
        let bytes = msg.encode_to_vec();
        head = bulletin::chain(&head, &bytes, cell);
        out.push(pb::BulletinEntry {
            position: i as u64,
            submission: bytes,
            cell: cell.clone(),
            chain: head.to_vec(),
        });
    }
    (out, head)
}

/// The honest NOISE announcement of a bulletin, with the cells counted by the test.
fn announcement(f: &Fixture, entries: &[pb::BulletinEntry], head: [u8; 32]) -> pb::Announcement {
    let mut counts: BTreeMap<String, u32> = BTreeMap::new();
    for e in entries {
        *counts.entry(e.cell.clone()).or_default() += 1;
    }
    pb::Announcement {
        round_id: ROUND.into(),
        round_params_hash: f.params_hash.to_vec(),
        bulletin_entries: entries.len() as u64,
        bulletin_head: head.to_vec(),
        cells: grid::announce(&f.round, &counts).expect("announce"),
        phase: pb::AnnouncementPhase::Noise as i32,
        ..Default::default()
    }
}

fn page(ann: &pb::Announcement, entries: &[pb::BulletinEntry]) -> pb::BulletinPage {
    pb::BulletinPage {
        round_id: ROUND.into(),
        entries: entries.to_vec(),
        total: ann.bulletin_entries,
        head: ann.bulletin_head.clone(),
    }
}

/// Runs the NOISE check over `entries` in pages of three.
fn noise_check(
    f: &Fixture,
    ann: &pb::Announcement,
    entries: &[pb::BulletinEntry],
) -> Result<Tally, Refused> {
    let mut c = BulletinCheck::new(&f.round, ann);
    for chunk in entries.chunks(3) {
        c.add_page(&page(ann, chunk))?;
    }
    c.finish()
}

fn honest(f: &Fixture) -> (Vec<pb::BulletinEntry>, pb::Announcement) {
    let list: Vec<_> = f
        .nodes
        .iter()
        .map(|(m, c, _)| (m.clone(), c.clone()))
        .collect();
    let (entries, head) = bulletin_of(&list);
    let ann = announcement(f, &entries, head);
    (entries, ann)
}

fn refusal_of<T: std::fmt::Debug>(r: Result<T, Refused>) -> String {
    r.expect_err("must be refused").0
}

#[test]
fn an_honest_bulletin_passes_and_tallies_every_cell() {
    let f = fixture();
    let (entries, ann) = honest(&f);
    assert_eq!(ann.cells.len(), 2, "{:?}", ann.cells);
    let tally = noise_check(&f, &ann, &entries).expect("honest bulletin");
    assert_eq!(tally.len(), 7);
    assert_eq!(tally.counts().get(SMALL), Some(&3));
    assert_eq!(tally.counts().get(MID), Some(&4));
}

#[test]
fn a_duplicate_entry_is_refused() {
    let f = fixture();
    let mut list: Vec<_> = f
        .nodes
        .iter()
        .map(|(m, c, _)| (m.clone(), c.clone()))
        .collect();
    // The same administration a second time, with a fresh submission of its own key is not
    // possible without the key; the aggregator repeats its message instead.
    list.push(list[0].clone());
    let (entries, head) = bulletin_of(&list);
    let ann = announcement(&f, &entries, head);
    let why = refusal_of(noise_check(&f, &ann, &entries));
    assert!(why.contains("bulletin entry 7"), "{why}");
    assert!(why.contains("a second submission"), "{why}");
}

#[test]
fn an_entry_with_an_invalid_signature_is_refused() {
    let f = fixture();
    let mut list: Vec<_> = f
        .nodes
        .iter()
        .map(|(m, c, _)| (m.clone(), c.clone()))
        .collect();
    list[4].0.signature[0] ^= 1;
    let (entries, head) = bulletin_of(&list);
    let ann = announcement(&f, &entries, head);
    let why = refusal_of(noise_check(&f, &ann, &entries));
    assert!(why.contains("bulletin entry 4"), "{why}");
    assert!(why.contains("signature"), "{why}");
}

#[test]
fn an_entry_whose_cell_is_not_a_kind_size_cell_is_refused() {
    let f = fixture();
    for bad in [
        "state=by",
        "kind=gemeinde",
        "kind=gemeinde,size=rest",
        "enrolled-nowhere",
    ] {
        let mut list: Vec<_> = f
            .nodes
            .iter()
            .map(|(m, c, _)| (m.clone(), c.clone()))
            .collect();
        list[2].1 = bad.to_string();
        let (entries, head) = bulletin_of(&list);
        // The honest announcement with this bulletin's head: the refusal is the entry's.
        let (_, mut ann) = honest(&f);
        ann.bulletin_head = head.to_vec();
        let mut c = BulletinCheck::new(&f.round, &ann);
        let why = refusal_of(c.add_page(&page(&ann, &entries)));
        assert!(why.contains("bulletin entry 2"), "{bad}: {why}");
        assert!(why.contains("not a kind × size cell"), "{bad}: {why}");
    }
}

#[test]
fn an_announced_cell_below_k_is_refused() {
    let f = fixture();
    let (entries, mut ann) = honest(&f);
    ann.cells[0].n = 2;
    let why = refusal_of(noise_check(&f, &ann, &entries));
    assert!(why.contains("fewer than k = 3"), "{why}");
    assert!(why.contains(&ann.cells[0].cell), "{why}");
}

#[test]
fn an_announcement_that_is_not_the_partition_is_refused() {
    let f = fixture();
    let (entries, honest_ann) = honest(&f);
    // One cell left out; both merged into one; a member moved; a scale changed.
    let mut dropped = honest_ann.clone();
    dropped.cells.pop();
    let mut merged = honest_ann.clone();
    merged.cells = vec![pb::AnnouncedCell {
        cell: grid::REST.into(),
        members: vec![MID.into(), SMALL.into()],
        n: 7,
        scale: honest_ann.cells[0].scale,
    }];
    let mut moved = honest_ann.clone();
    moved.cells[0].members.push("kind=stadt,size=lt5k".into());
    let mut louder = honest_ann.clone();
    louder.cells[1].scale /= 2.0;
    for (name, ann) in [
        ("dropped", dropped),
        ("merged", merged),
        ("moved", moved),
        ("scale", louder),
    ] {
        let why = refusal_of(noise_check(&f, &ann, &entries));
        assert!(why.contains("not the partition"), "{name}: {why}");
    }
}

#[test]
fn a_bulletin_that_differs_from_the_announcement_is_refused() {
    let f = fixture();
    let (entries, ann) = honest(&f);
    // A page signed at another length than announced.
    let mut c = BulletinCheck::new(&f.round, &ann);
    let mut p = page(&ann, &entries);
    p.total += 1;
    assert!(refusal_of(c.add_page(&p)).contains("signed at 8 entries"));
    // The bulletin ends early.
    let mut c = BulletinCheck::new(&f.round, &ann);
    c.add_page(&page(&ann, &entries[..3])).expect("first page");
    assert!(refusal_of(c.add_page(&page(&ann, &[]))).contains("ends at entry 3 of 7"));
    // An entry removed from the middle: the chain no longer follows.
    let mut gap = entries.clone();
    gap.remove(3);
    let why = refusal_of(noise_check(&f, &ann, &gap));
    assert!(why.contains("bulletin entry 4"), "{why}");
}

fn membership(f: &Fixture) -> Membership {
    let doc = f.committee.to_bytes();
    Membership {
        ceremony: "c1".into(),
        index: ME,
        fingerprint: f.committee.fingerprint(),
        committee: doc,
        trustee_keys: f.trustees.iter().map(|t| t.public_key().to_vec()).collect(),
        threshold: 3,
        size: 5,
    }
}

#[test]
fn a_round_of_another_committee_or_key_is_refused() {
    let f = fixture();
    let (_, ann) = honest(&f);
    let m = membership(&f);
    let me = f.trustees[ME as usize].public_key();
    check_round(&m, me, &f.params, &f.params_hash, &ann).expect("own round");
    let why = refusal_of(check_round(
        &m,
        f.trustees[1].public_key(),
        &f.params,
        &f.params_hash,
        &ann,
    ));
    assert!(why.contains("not this trustee's key"), "{why}");
    let mut other = m.clone();
    other.fingerprint = [9; 32];
    let why = refusal_of(check_round(&other, me, &f.params, &f.params_hash, &ann));
    assert!(why.contains("not this trustee's committee"), "{why}");
    let why = refusal_of(check_round(&m, me, &f.params, &[0; 32], &ann));
    assert!(why.contains("other round parameters"), "{why}");
}

/// The NOISE phase as the trustee at `ME` and the others do it: the record `ME` keeps and every
/// trustee's signed noise message.
fn noise_phase(f: &Fixture) -> (RoundRecord, pb::Announcement, Vec<pb::SignedMessage>) {
    let (entries, ann) = honest(f);
    let aggregator = Identity::generate().expect("key").0;
    let signed = aggregator.seal(pb::payload::Body::Announcement(ann.clone()));
    let h = sovbench_core::sha256(&signed.payload);
    let tally = noise_check(f, &ann, &entries).expect("honest");
    let mut rng = rand::rngs::OsRng;
    let noise: Vec<pb::SignedMessage> = (0..5u32)
        .map(|i| {
            let ns = draw_noise(&f.round, &ann, i, &h, &mut rng).expect("noise");
            f.trustees[i as usize].seal(pb::payload::Body::NoiseShares(ns))
        })
        .collect();
    let record = RoundRecord {
        round_id: ROUND.into(),
        round_params_hash: f.params_hash.to_vec(),
        noise_announcement: signed.payload.clone(),
        noise_announcement_sha256: h,
        cells: tally.cells().clone(),
        noise_message: noise[ME as usize].encode_to_vec(),
        noise_acknowledged: true,
        decrypt_announcement_sha256: None,
        decryption_message: None,
        decryption_acknowledged: false,
        checked_at: 0,
    };
    (record, ann, noise)
}

fn decrypt_announcement(
    noise_ann: &pb::Announcement,
    record: &RoundRecord,
    noise: &[&pb::SignedMessage],
) -> (pb::Announcement, [u8; 32]) {
    let ann = pb::Announcement {
        phase: pb::AnnouncementPhase::Decrypt as i32,
        noise: noise.iter().map(|m| m.encode_to_vec()).collect(),
        noise_announcement_sha256: record.noise_announcement_sha256.to_vec(),
        ..noise_ann.clone()
    };
    let h = sovbench_core::sha256(&ann.encode_to_vec());
    (ann, h)
}

fn decrypt_with_all(f: &Fixture, c: Ciphertext) -> i64 {
    let mut rng = rand::rngs::OsRng;
    let shares: Vec<_> = f.shares[..3]
        .iter()
        .map(|t| decryption::share(t, c, &mut rng))
        .collect();
    decryption::combine(&f.committee, c, &shares, &Table::new(100, 400))
        .expect("decrypts")
        .value
}

#[test]
fn decrypt_yields_the_trustees_own_sums_plus_the_included_noise() {
    let f = fixture();
    let (record, noise_ann, noise) = noise_phase(&f);
    let (ann, h) = decrypt_announcement(&noise_ann, &record, &[&noise[0], &noise[2], &noise[4]]);
    let cts = check_decrypt(&f.round, &record, ME, &ann, &h).expect("accepted");
    assert_eq!(cts.len(), ann.cells.len() * f.round.cell_width());
    // Cell by cell: the true sum of the scores minus the lower bound 1, plus each included
    // trustee's noise (decrypted on its own here, where the test holds every key share).
    for (i, cell) in ann.cells.iter().enumerate() {
        let truth: i64 = f
            .nodes
            .iter()
            .filter(|(_, c, _)| cell.members.contains(c))
            .map(|(_, _, s)| s - 1)
            .sum();
        let noise_sum: i64 = [0usize, 2, 4]
            .iter()
            .map(|&t| {
                let ns = match sovbench_core::envelope::open(&noise[t])
                    .expect("signed")
                    .body
                {
                    pb::payload::Body::NoiseShares(ns) => ns,
                    _ => unreachable!(),
                };
                // The posted ciphertext encrypts share + B; the proved share is its opening.
                let c = sovbench_secure::noise::proof::cell_noise(&f.round, &ann.cells, &ns, true)
                    .expect("proved noise")[i];
                decrypt_with_all(&f, c)
            })
            .sum();
        assert_eq!(
            decrypt_with_all(&f, cts[i]),
            truth + noise_sum,
            "cell {}",
            cell.cell
        );
    }
}

#[test]
fn a_second_different_decrypt_announcement_for_the_round_is_refused() {
    let f = fixture();
    let (mut record, noise_ann, noise) = noise_phase(&f);
    let (first, h1) = decrypt_announcement(&noise_ann, &record, &[&noise[0], &noise[1], &noise[2]]);
    check_decrypt(&f.round, &record, ME, &first, &h1).expect("first");
    record.decrypt_announcement_sha256 = Some(h1);
    // The same announcement again is fine (a repeated post after a restart).
    check_decrypt(&f.round, &record, ME, &first, &h1).expect("same again");
    // Another noise set: another difference of the same cells; refused.
    let (second, h2) =
        decrypt_announcement(&noise_ann, &record, &[&noise[0], &noise[3], &noise[4]]);
    assert_ne!(h1, h2);
    let why = refusal_of(check_decrypt(&f.round, &record, ME, &second, &h2));
    assert!(
        why.contains("a second, different DECRYPT announcement"),
        "{why}"
    );
}

#[test]
fn a_decrypt_announcement_without_the_trustees_own_noise_is_refused() {
    let f = fixture();
    let (record, noise_ann, noise) = noise_phase(&f);
    let (ann, h) = decrypt_announcement(&noise_ann, &record, &[&noise[1], &noise[2], &noise[3]]);
    let why = refusal_of(check_decrypt(&f.round, &record, ME, &ann, &h));
    assert!(
        why.contains("does not include this trustee's noise"),
        "{why}"
    );
    // Its own noise replaced by a fresh draw signed with its key: changed.
    let mut rng = rand::rngs::OsRng;
    let fresh = draw_noise(
        &f.round,
        &noise_ann,
        ME,
        &record.noise_announcement_sha256,
        &mut rng,
    )
    .expect("noise");
    let fresh = f.trustees[ME as usize].seal(pb::payload::Body::NoiseShares(fresh));
    let (ann, h) = decrypt_announcement(&noise_ann, &record, &[&fresh, &noise[1], &noise[2]]);
    let why = refusal_of(check_decrypt(&f.round, &record, ME, &ann, &h));
    assert!(why.contains("own noise, changed"), "{why}");
}

#[test]
fn a_decrypt_announcement_with_too_little_or_forged_noise_is_refused() {
    let f = fixture();
    let (record, noise_ann, noise) = noise_phase(&f);
    // h = 5 − 3 + 1 = 3 shares needed.
    let (ann, h) = decrypt_announcement(&noise_ann, &record, &[&noise[0], &noise[1]]);
    assert!(refusal_of(check_decrypt(&f.round, &record, ME, &ann, &h)).contains("at least h"));
    // Trustee 1's noise claimed by trustee 2's key.
    let ns = match sovbench_core::envelope::open(&noise[1])
        .expect("signed")
        .body
    {
        pb::payload::Body::NoiseShares(ns) => ns,
        _ => unreachable!(),
    };
    let forged = f.trustees[2].seal(pb::payload::Body::NoiseShares(ns));
    let (ann, h) = decrypt_announcement(&noise_ann, &record, &[&noise[0], &forged, &noise[3]]);
    let why = refusal_of(check_decrypt(&f.round, &record, ME, &ann, &h));
    assert!(why.contains("not by the trustee at index 1"), "{why}");
    // The same trustee twice.
    let (ann, h) = decrypt_announcement(&noise_ann, &record, &[&noise[0], &noise[3], &noise[3]]);
    assert!(
        refusal_of(check_decrypt(&f.round, &record, ME, &ann, &h)).contains("second noise share")
    );
    // Cells other than the checked NOISE cells.
    let (mut ann, h) =
        decrypt_announcement(&noise_ann, &record, &[&noise[0], &noise[1], &noise[2]]);
    ann.cells.pop();
    assert!(
        refusal_of(check_decrypt(&f.round, &record, ME, &ann, &h)).contains("checked NOISE cells")
    );
    // Continuing another NOISE announcement.
    let (mut ann, h) =
        decrypt_announcement(&noise_ann, &record, &[&noise[0], &noise[1], &noise[2]]);
    ann.noise_announcement_sha256 = vec![1; 32];
    assert!(
        refusal_of(check_decrypt(&f.round, &record, ME, &ann, &h)).contains("this trustee checked")
    );
}

#[test]
fn decrypt_refuses_an_included_noise_share_without_a_valid_range_proof() {
    // The aggregator checks the proofs when a post arrives; a trustee does not rely on that and
    // checks every included post again: a share moved to another component's proof (or a share
    // beyond the bound) is refused, so it never decrypts a sum with unbounded noise.
    let f = fixture();
    let (record, noise_ann, noise) = noise_phase(&f);
    let mut ns = match sovbench_core::envelope::open(&noise[1])
        .expect("signed")
        .body
    {
        pb::payload::Body::NoiseShares(ns) => ns,
        _ => unreachable!(),
    };
    let spec =
        sovbench_secure::noise::NoiseSpec::new(noise_ann.cells[0].scale, 5, 3).expect("spec");
    let b = spec.share_bound() as i64;
    let wide = sovbench_secure::noise::NoiseSpec::new(noise_ann.cells[0].scale * 100.0, 5, 3)
        .expect("spec");
    let (c, proof) = sovbench_secure::noise::proof::prove(
        f.round.committee.key(),
        &wide,
        10 * b,
        &mut rand::rngs::OsRng,
    )
    .expect("proof of a wider range");
    ns.ciphertexts[0] = bulletin::ciphertext_to_bytes(&c);
    ns.range_proofs[0] = serde_json::to_vec(&proof).expect("json");
    let forged = f.trustees[1].seal(pb::payload::Body::NoiseShares(ns));
    let (ann, h) = decrypt_announcement(
        &noise_ann,
        &record,
        &[&noise[ME as usize], &forged, &noise[2]],
    );
    let why = refusal_of(check_decrypt(&f.round, &record, ME, &ann, &h));
    assert!(why.contains("range proof"), "{why}");
}
