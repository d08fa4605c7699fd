use super::*;
use crate::committee::deal_for_tests;
use crate::noise;

#[test]
fn a_sum_near_the_top_of_a_large_range_and_a_negative_sum_decrypt_quickly() {
    let mut rng = rand::rngs::OsRng;
    let (committee, trustees) = deal_for_tests(5, 3, &mut rng).expect("committee");
    // 11,000 administrations × a share grid of 1,000, noise up to 5,000 either way.
    let started = std::time::Instant::now();
    let table = Table::new(11_000 * 1_000, 5_000);
    let built = started.elapsed();
    assert_eq!(table.len(), 11_000_000 + 10_001);
    for value in [
        11_000 * 1_000 + 4_321,
        10_999_999,
        -4_999,
        0,
        7,
        3_319 * 3_315 + 7,
    ] {
        let c = noise::encrypt(committee.key(), value, &mut rng);
        let shares: Vec<_> = trustees[1..4]
            .iter()
            .map(|t| share(t, c, &mut rng))
            .collect();
        let started = std::time::Instant::now();
        let d = combine(&committee, c, &shares, &table).expect("decrypts");
        assert_eq!(d.value, value);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(1),
            "{value}: {:?} (table built in {built:?})",
            started.elapsed()
        );
    }
    // Beyond the table either way: refused, not a wrong value.
    for value in [11_000 * 1_000 + 5_001, -5_001] {
        let c = noise::encrypt(committee.key(), value, &mut rng);
        let shares: Vec<_> = trustees[..3]
            .iter()
            .map(|t| share(t, c, &mut rng))
            .collect();
        assert!(matches!(
            combine(&committee, c, &shares, &table),
            Err(SecureError::OutOfTable(_))
        ));
    }
}

#[test]
fn a_small_table_decrypts_its_whole_range() {
    let mut rng = rand::rngs::OsRng;
    let (committee, trustees) = deal_for_tests(3, 2, &mut rng).expect("committee");
    let table = Table::new(20, 3);
    for value in -3..=23 {
        let c = noise::encrypt(committee.key(), value, &mut rng);
        let shares: Vec<_> = trustees[..2]
            .iter()
            .map(|t| share(t, c, &mut rng))
            .collect();
        assert_eq!(
            combine(&committee, c, &shares, &table)
                .expect("decrypts")
                .value,
            value
        );
    }
}

#[test]
fn verify_share_refuses_a_tampered_or_misattributed_share() {
    let mut rng = rand::rngs::OsRng;
    let (committee, trustees) = deal_for_tests(5, 3, &mut rng).expect("committee");
    let c = committee.key().encrypt(9u64, &mut rng);
    let good = share(&trustees[2], c, &mut rng);
    verify_share(&committee, c, &good).expect("valid");
    // The share of another ciphertext.
    let other = committee.key().encrypt(9u64, &mut rng);
    assert!(matches!(
        verify_share(&committee, other, &good),
        Err(SecureError::BadShare(2))
    ));
    // Claimed by another trustee.
    let mut moved = good.clone();
    moved.index = 3;
    assert!(matches!(
        verify_share(&committee, c, &moved),
        Err(SecureError::BadShare(3))
    ));
    // A flipped byte in the share element.
    let mut flipped = good.clone();
    flipped.share[0] ^= 1;
    assert!(verify_share(&committee, c, &flipped).is_err());
    let mut outside = good;
    outside.index = 5;
    assert!(matches!(
        verify_share(&committee, c, &outside),
        Err(SecureError::BadShare(5))
    ));
}
