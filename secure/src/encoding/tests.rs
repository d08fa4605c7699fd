use super::*;
use crate::committee::deal_for_tests;
use crate::decryption::{combine, share, Table};
use sovbench_core::catalogue::Catalogue;

/// The signer every test value is bound to.
const SIGNER: &[u8] = &[7u8; 32];
/// The context of the tests' values.
const CTX: Context<'static> = Context {
    round_id: "2026-q4",
    signer: SIGNER,
};

fn sample_truth(def: &MetricDef, i: usize) -> TrueValue {
    match def.value_type {
        ValueType::BoundedInteger => {
            TrueValue::Int(def.lower + (i as i64 % (def.upper - def.lower + 1)))
        }
        ValueType::BoundedShare => TrueValue::Share((i % 7) as f64 / 6.0),
        ValueType::Boolean => TrueValue::Bool(i.is_multiple_of(2)),
        ValueType::Category => {
            TrueValue::Category(def.categories[i % def.categories.len()].key.clone())
        }
        ValueType::SetOfItems => TrueValue::Set(
            def.categories
                .iter()
                .step_by(1 + i % 3)
                .map(|c| c.key.clone())
                .collect(),
        ),
    }
}

#[test]
fn every_metric_of_the_catalogue_encrypts_verifies_and_sums_to_the_truth() {
    let mut rng = rand::rngs::OsRng;
    let (committee, trustees) = deal_for_tests(5, 3, &mut rng).expect("committee");
    let key = committee.key();
    // One metric of each type (all 35 paths share the shape of the first).
    let cat = Catalogue::shared();
    let mut seen = Vec::new();
    for def in &cat.metrics {
        if seen.contains(&def.value_type) && def.id.starts_with("path.") {
            continue;
        }
        seen.push(def.value_type);
        let n = 4;
        let mut sums: Vec<Ciphertext> = Vec::new();
        let mut expected: Vec<u64> = Vec::new();
        for i in 0..n {
            let truth = sample_truth(def, i);
            let plain = plaintext(def, &truth).expect("plaintext");
            let enc = encrypt(key, def, &truth, &CTX, &mut rng).expect("encrypt");
            let back =
                Encrypted::from_bytes(&def.id, &enc.to_bytes().expect("encodes")).expect("decodes");
            let cells = back.verify(key, def, &CTX).expect("verifies");
            assert_eq!(cells.len(), plain.len(), "{}", def.id);
            if sums.is_empty() {
                sums = cells;
                expected = plain;
            } else {
                for (s, c) in sums.iter_mut().zip(cells) {
                    *s += c;
                }
                for (e, p) in expected.iter_mut().zip(plain) {
                    *e += p;
                }
            }
        }
        let table = Table::new(n as u64 * 101, 0);
        for (c, want) in sums.iter().zip(&expected) {
            let shares: Vec<_> = trustees[1..4]
                .iter()
                .map(|t| share(t, *c, &mut rng))
                .collect();
            let got = combine(&committee, *c, &shares, &table).expect("decrypts");
            assert_eq!(got.value, *want as i64, "{}", def.id);
            assert!(got.rejected.is_empty());
        }
    }
    assert!(seen.len() >= 4);
}

#[test]
fn forged_shifted_and_misplaced_values_are_refused() {
    let mut rng = rand::rngs::OsRng;
    let (committee, _) = deal_for_tests(3, 2, &mut rng).expect("committee");
    let key = committee.key();
    let cat = Catalogue::shared();
    let dim = cat.metric("selftest.datenhoheit").expect("dimension");
    let share = cat.metric("inventory.non_eu_share").expect("share");
    let band = cat.metric("selftest.band").expect("band");

    // A valid 5 moved to 5 + 100 by adding a public constant: the proof no longer fits.
    let Encrypted::Range(c, proof) =
        encrypt(key, dim, &TrueValue::Int(5), &CTX, &mut rng).expect("encrypt")
    else {
        panic!("a range metric");
    };
    let shifted = Encrypted::Range(c + Ciphertext::non_blinded(100u64), proof.clone());
    assert!(matches!(
        shifted.verify(key, dim, &CTX),
        Err(SecureError::Proof(_))
    ));
    // A proof for the share's range 0..=100 presented for a 1-5 score.
    let wide = encrypt(key, share, &TrueValue::Share(0.9), &CTX, &mut rng).expect("encrypt");
    assert!(matches!(
        wide.verify(key, dim, &CTX),
        Err(SecureError::Proof(_))
    ));
    // Encrypted to another key.
    let (other, _) = deal_for_tests(3, 2, &mut rng).expect("committee");
    let foreign = encrypt(other.key(), dim, &TrueValue::Int(3), &CTX, &mut rng).expect("encrypt");
    assert!(foreign.verify(key, dim, &CTX).is_err());
    // A category value with two options set.
    let params = ChoiceParams::single(key.clone(), band.categories.len());
    let two = Encrypted::OneHot(EncryptedChoice::new(
        &params,
        &[true, true, false],
        &mut rng,
    ));
    assert!(matches!(
        two.verify(key, band, &CTX),
        Err(SecureError::Proof(_))
    ));
    // The wrong shape for the metric.
    assert!(matches!(
        two.verify(key, dim, &CTX),
        Err(SecureError::Shape(_))
    ));
    // Values outside the metric's type are refused before encrypting.
    assert!(encrypt(
        key,
        band,
        &TrueValue::Category("unbekannt".into()),
        &CTX,
        &mut rng
    )
    .is_err());
    assert!(encrypt(key, dim, &TrueValue::Bool(true), &CTX, &mut rng).is_err());
    // An out-of-range true value is clamped, as in mode direct.
    assert_eq!(
        plaintext(dim, &TrueValue::Int(9)).expect("clamped"),
        vec![4]
    );
}

#[test]
fn mutated_encodings_are_refused_and_never_panic() {
    use rand::Rng as _;
    let mut rng = rand::rngs::OsRng;
    let (committee, _) = deal_for_tests(3, 2, &mut rng).expect("committee");
    let key = committee.key();
    let dim = Catalogue::shared()
        .metric("selftest.datenhoheit")
        .expect("dimension");
    let good = encrypt(key, dim, &TrueValue::Int(2), &CTX, &mut rng)
        .expect("encrypt")
        .to_bytes()
        .expect("encodes");
    let mut accepted = 0;
    for round in 0..3_000 {
        let mut bytes = good.clone();
        match round % 3 {
            0 => {
                let i = rng.gen_range(0..bytes.len());
                bytes[i] ^= 1 << rng.gen_range(0..8);
            }
            1 => bytes.truncate(rng.gen_range(1..bytes.len())),
            _ => {
                let i = rng.gen_range(0..bytes.len());
                bytes.insert(i, rng.gen());
            }
        }
        if let Ok(e) = Encrypted::from_bytes(&dim.id, &bytes) {
            if e.verify(key, dim, &CTX).is_ok() {
                accepted += 1;
            }
        }
    }
    // A changed group element or scalar never verifies; a changed byte of JSON syntax that still
    // parses (e.g. white space) leaves the value intact and may.
    assert!(accepted <= 30, "{accepted} mutated encodings verified");
}

mod path_block {
    use super::*;
    use crate::bulletin::verify_submission;
    use crate::encoding::paths::encrypt_submission;
    use crate::round::{Grid, SecureRound, PATH_BLOCK};
    use crate::Trustee;
    use sovbench_core::pb;

    const PATHS: [&str; 4] = [
        "path.videokonferenzen.bigbluebutton",
        "path.email_kalender.open_xchange",
        "path.cloud_speicher.nextcloud",
        "path.crm.espocrm",
    ];

    fn round(bound: u32) -> (SecureRound, Vec<Trustee>) {
        let (committee, trustees) =
            deal_for_tests(3, 2, &mut rand::rngs::OsRng).expect("committee");
        let cat = Catalogue::shared();
        let mut metrics: Vec<MetricDef> =
            vec![cat.metric("selftest.datenhoheit").expect("metric").clone()];
        for id in PATHS {
            metrics.push(cat.metric(id).unwrap_or_else(|| panic!("{id}")).clone());
        }
        let r = SecureRound {
            round_id: "r".into(),
            committee,
            trustee_keys: vec![vec![0; 32]; 3],
            grid: Grid::KindSize,
            epsilon: 1.0,
            all_weight: 0.0,
            metrics,
            min_cohort: 2,
            path_bound: bound,
        };
        (r, trustees)
    }

    fn submission(enc: Vec<pb::EncryptedValue>) -> pb::Submission {
        pb::Submission {
            round_id: "r".into(),
            encrypted: enc,
            ..Default::default()
        }
    }

    fn decrypt(r: &SecureRound, trustees: &[Trustee], cts: &[Ciphertext]) -> Vec<u64> {
        let table = Table::new(20, 0);
        cts.iter()
            .map(|c| {
                let shares: Vec<_> = trustees
                    .iter()
                    .take(2)
                    .map(|t| share(t, *c, &mut rand::rngs::OsRng))
                    .collect();
                combine(&r.committee, *c, &shares, &table)
                    .expect("decrypts")
                    .value as u64
            })
            .collect()
    }

    fn stage(s: &str) -> TrueValue {
        TrueValue::Category(s.into())
    }

    #[test]
    fn the_round_charges_two_per_slot_and_drops_not_on_path() {
        let (free, _) = round(0);
        let (bounded, _) = round(2);
        // Datenhoheit 4 plus 2 per path, or 2 per slot.
        assert_eq!(free.sensitivity(), 4.0 + 2.0 * 4.0);
        assert_eq!(bounded.sensitivity(), 4.0 + 2.0 * 2.0);
        let stages = bounded.metrics[1].categories.len() - 1;
        assert_eq!(
            bounded.components(),
            vec![1, stages, stages, stages, stages]
        );
        assert!(bounded
            .cell_ids(&bounded.metrics[1])
            .iter()
            .all(|id| !id.ends_with("=keiner")));
        assert_eq!(bounded.component_max()[1], 2);
    }

    #[test]
    fn an_administration_on_more_paths_than_the_bound_counts_on_exactly_the_bound() {
        let (r, trustees) = round(2);
        let truths = vec![
            TrueValue::Int(3),
            stage("pilot"),
            stage("keiner"),
            stage("rollout"),
            stage("zurueckgerollt"),
        ];
        let enc =
            encrypt_submission(&r, &truths, SIGNER, &mut rand::rngs::OsRng).expect("encrypts");
        assert_eq!(enc.len(), 2);
        assert_eq!(enc[1].metric, PATH_BLOCK);
        let cts = verify_submission(&r, &submission(enc), SIGNER)
            .expect("verifies")
            .components;
        assert_eq!(cts.len(), r.cell_width());
        let plain = decrypt(&r, &trustees, &cts);
        assert_eq!(plain[0], 2, "Datenhoheit 3 is 2 on the grid");
        // Two of the three paths the administration is on, each at its own stage; nothing on
        // the path it is not on.
        let widths = r.components();
        let mut offset = widths[0];
        let mut counted = Vec::new();
        for (m, w) in widths.iter().enumerate().skip(1) {
            let part = &plain[offset..offset + w];
            let total: u64 = part.iter().sum();
            assert!(total <= 1, "{part:?}");
            if total == 1 {
                let j = part.iter().position(|&v| v == 1).expect("set");
                counted.push((m, r.released_keys(&r.metrics[m])[j].to_string()));
            }
            offset += w;
        }
        assert_eq!(counted.len(), 2, "{counted:?}");
        for (m, key) in &counted {
            assert_ne!(*m, 2, "not on this path");
            assert_eq!(truths[*m], stage(key));
        }
    }

    #[test]
    fn a_block_of_the_wrong_shape_or_a_tampered_slot_is_refused() {
        let (r, _) = round(2);
        let truths = vec![
            TrueValue::Int(3),
            stage("pilot"),
            stage("keiner"),
            stage("keiner"),
            stage("keiner"),
        ];
        let good =
            encrypt_submission(&r, &truths, SIGNER, &mut rand::rngs::OsRng).expect("encrypts");
        // One slot too few: a round with bound 1 makes a block of one slot.
        let (one, _) = round(1);
        let mut short = good.clone();
        short[1] = encrypt_submission(&one, &truths, SIGNER, &mut rand::rngs::OsRng)
            .expect("encrypts")[1]
            .clone();
        assert!(matches!(
            verify_submission(&r, &submission(short), SIGNER),
            Err(SecureError::Shape(_))
        ));
        // Per-path values instead of the block.
        let (free, _) = round(0);
        let plain =
            encrypt_submission(&free, &truths, SIGNER, &mut rand::rngs::OsRng).expect("encrypts");
        assert!(verify_submission(&r, &submission(plain), SIGNER).is_err());
        // One slot's ciphertexts swapped with another submission's: the proof fails.
        let other =
            encrypt_submission(&r, &truths, SIGNER, &mut rand::rngs::OsRng).expect("encrypts");
        let mut a = Encrypted::from_bytes(PATH_BLOCK, &good[1].value).expect("decodes");
        let b = Encrypted::from_bytes(PATH_BLOCK, &other[1].value).expect("decodes");
        if let (Encrypted::Slots(sa), Encrypted::Slots(sb)) = (&mut a, &b) {
            let mut json_a = serde_json::to_value(&sa[0]).expect("json");
            let json_b = serde_json::to_value(&sb[0]).expect("json");
            json_a["choices"] = json_b["choices"].clone();
            sa[0] = serde_json::from_value(json_a).expect("slot");
        } else {
            panic!("not a block");
        }
        let mut tampered = good.clone();
        tampered[1].value = a.to_bytes().expect("bytes");
        assert!(matches!(
            verify_submission(&r, &submission(tampered), SIGNER),
            Err(SecureError::Proof(_))
        ));
        assert!(verify_submission(&r, &submission(good), SIGNER).is_ok());
    }
}

#[test]
fn a_proof_does_not_verify_in_another_round_for_another_signer_or_under_another_metric() {
    let mut rng = rand::rngs::OsRng;
    let (committee, _) = deal_for_tests(3, 2, &mut rng).expect("committee");
    let key = committee.key();
    let cat = Catalogue::shared();
    let dim = cat.metric("selftest.datenhoheit").expect("dimension");
    let other_dim = cat.metric("selftest.it_kompetenz").expect("dimension");
    let yes_no = cat
        .metrics
        .iter()
        .find(|m| m.value_type == ValueType::Boolean)
        .expect("a yes / no metric");
    let later = Context {
        round_id: "2027-q1",
        signer: SIGNER,
    };
    let thief = Context {
        round_id: CTX.round_id,
        signer: &[9u8; 32],
    };
    for (def, truth) in [(dim, TrueValue::Int(4)), (yes_no, TrueValue::Bool(true))] {
        let enc = encrypt(key, def, &truth, &CTX, &mut rng).expect("encrypt");
        assert!(enc.verify(key, def, &CTX).is_ok(), "{}", def.id);
        for ctx in [&later, &thief] {
            assert!(
                matches!(enc.verify(key, def, ctx), Err(SecureError::Proof(_))),
                "{} verified in {ctx:?}",
                def.id
            );
        }
    }
    // The same score under another dimension of the same range.
    let enc = encrypt(key, dim, &TrueValue::Int(4), &CTX, &mut rng).expect("encrypt");
    assert!(matches!(
        enc.verify(key, other_dim, &CTX),
        Err(SecureError::Proof(_))
    ));
}

#[test]
fn component_keys_name_every_ciphertext_of_a_value() {
    let mut rng = rand::rngs::OsRng;
    let (committee, _) = deal_for_tests(3, 2, &mut rng).expect("committee");
    let cat = Catalogue::shared();
    let band = cat.metric("selftest.band").expect("band");
    let enc = encrypt(
        committee.key(),
        band,
        &TrueValue::Category(band.categories[1].key.clone()),
        &CTX,
        &mut rng,
    )
    .expect("encrypt");
    let keys = component_keys(&enc);
    assert_eq!(keys.len(), band.categories.len());
    let again = encrypt(
        committee.key(),
        band,
        &TrueValue::Category(band.categories[1].key.clone()),
        &CTX,
        &mut rng,
    )
    .expect("encrypt");
    assert!(component_keys(&again).iter().all(|k| !keys.contains(k)));
}
