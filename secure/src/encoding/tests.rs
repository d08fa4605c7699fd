use super::*;
use crate::committee::deal_for_tests;
use crate::decryption::{combine, share, Table};
use sovbench_core::catalogue::Catalogue;

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
            let enc = encrypt(key, def, &truth, &mut rng).expect("encrypt");
            let back =
                Encrypted::from_bytes(&def.id, &enc.to_bytes().expect("encodes")).expect("decodes");
            let cells = back.verify(key, def).expect("verifies");
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
        encrypt(key, dim, &TrueValue::Int(5), &mut rng).expect("encrypt")
    else {
        panic!("a range metric");
    };
    let shifted = Encrypted::Range(c + Ciphertext::non_blinded(100u64), proof.clone());
    assert!(matches!(
        shifted.verify(key, dim),
        Err(SecureError::Proof(_))
    ));
    // A proof for the share's range 0..=100 presented for a 1-5 score.
    let wide = encrypt(key, share, &TrueValue::Share(0.9), &mut rng).expect("encrypt");
    assert!(matches!(wide.verify(key, dim), Err(SecureError::Proof(_))));
    // Encrypted to another key.
    let (other, _) = deal_for_tests(3, 2, &mut rng).expect("committee");
    let foreign = encrypt(other.key(), dim, &TrueValue::Int(3), &mut rng).expect("encrypt");
    assert!(foreign.verify(key, dim).is_err());
    // A category value with two options set.
    let params = ChoiceParams::single(key.clone(), band.categories.len());
    let two = Encrypted::OneHot(EncryptedChoice::new(
        &params,
        &[true, true, false],
        &mut rng,
    ));
    assert!(matches!(two.verify(key, band), Err(SecureError::Proof(_))));
    // The wrong shape for the metric.
    assert!(matches!(two.verify(key, dim), Err(SecureError::Shape(_))));
    // Values outside the metric's type are refused before encrypting.
    assert!(encrypt(
        key,
        band,
        &TrueValue::Category("unbekannt".into()),
        &mut rng
    )
    .is_err());
    assert!(encrypt(key, dim, &TrueValue::Bool(true), &mut rng).is_err());
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
    let good = encrypt(key, dim, &TrueValue::Int(2), &mut rng)
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
            if e.verify(key, dim).is_ok() {
                accepted += 1;
            }
        }
    }
    // A changed group element or scalar never verifies; a changed byte of JSON syntax that still
    // parses (e.g. white space) leaves the value intact and may.
    assert!(accepted <= 30, "{accepted} mutated encodings verified");
}
