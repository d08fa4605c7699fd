use super::*;

fn card(name: &str) -> ContactCard {
    ContactCard {
        organisation: "Stadt Musterstadt".into(),
        name: name.into(),
        email: "digital@musterstadt.example".into(),
        phone: String::new(),
        note: "Ausschreibungsunterlagen teilen wir gern.".into(),
    }
}

#[test]
fn cards_open_only_with_the_right_keys_and_direction() {
    let requester = ExchangeKey::generate().unwrap();
    let answerer = ExchangeKey::generate().unwrap();
    let sealed = seal_card(&answerer, &requester.public(), "r1", true, &card("A")).unwrap();
    let opened = open_card(&requester, &answerer.public(), "r1", true, &sealed).unwrap();
    assert_eq!(opened, card("A"));
    // Another request id, the other direction, a third key, a flipped bit: all refused.
    assert!(open_card(&requester, &answerer.public(), "r2", true, &sealed).is_err());
    assert!(open_card(&requester, &answerer.public(), "r1", false, &sealed).is_err());
    let third = ExchangeKey::generate().unwrap();
    assert!(open_card(&third, &answerer.public(), "r1", true, &sealed).is_err());
    let mut bad = sealed.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    assert_eq!(
        open_card(&requester, &answerer.public(), "r1", true, &bad),
        Err(PeerError::Sealing)
    );
    // A low-order public key is refused.
    assert_eq!(
        seal_card(&answerer, &[0u8; 32], "r1", true, &card("A")),
        Err(PeerError::BadKey)
    );
    // The secret survives a round trip through the store.
    let again = ExchangeKey::from_secret(requester.secret_bytes());
    assert_eq!(again.public(), requester.public());
}

#[test]
fn cards_need_a_name_and_a_way_to_reach_someone() {
    assert!(card("A").validate().is_ok());
    let mut c = card(" ");
    assert!(c.validate().is_err());
    c.name = "B".into();
    c.email = String::new();
    assert!(c.validate().is_err());
    c.phone = "+49 421 000".into();
    assert!(c.validate().is_ok());
    c.email = "kein-at".into();
    assert!(c.validate().is_err());
    // Within the field limits but too long once sealed (characters JSON escapes).
    c.email = String::new();
    c.note = "\u{1}".repeat(MAX_CARD_FIELD);
    assert!(c.validate().is_ok());
    c.organisation = "\u{1}".repeat(MAX_CARD_FIELD);
    c.name = "\u{1}".repeat(MAX_CARD_FIELD);
    assert!(c.validate().is_err());
}

#[test]
fn pseudonyms_differ_per_viewer_subject_and_path() {
    let key = PseudonymKey::new(b"secret");
    let p = key.pseudonym(b"viewer-a", b"subject", "path.x.y");
    assert!(is_pseudonym(&p), "{p}");
    assert_eq!(p, key.pseudonym(b"viewer-a", b"subject", "path.x.y"));
    assert_ne!(p, key.pseudonym(b"viewer-b", b"subject", "path.x.y"));
    assert_ne!(p, key.pseudonym(b"viewer-a", b"subject", "path.x.z"));
    assert_ne!(p, key.pseudonym(b"viewer-a", b"subjec2", "path.x.y"));
    let other = PseudonymKey::new(b"other");
    assert_ne!(p, other.pseudonym(b"viewer-a", b"subject", "path.x.y"));
}

#[test]
fn the_score_follows_the_documented_table() {
    let v = OfferProfile {
        path_id: "path.video.bbb",
        category: Category::Videokonferenzen,
        stage: Stage::Geplant,
        kind: Kind::Gemeinde,
        size: SizeClass::Pop20kTo50k,
    };
    let (s, parts) = score(
        &v,
        &OfferProfile {
            stage: Stage::Rollout,
            ..v
        },
    )
    .unwrap();
    assert_eq!(s, 10 + 3 + 2 + 2);
    assert_eq!(parts.len(), 4);
    assert_eq!(score(&v, &v).unwrap().0, 10 + 3 + 2 + 1);
    let neighbour = OfferProfile {
        path_id: "path.video.jitsi",
        kind: Kind::Landkreis,
        size: SizeClass::Pop50kTo100k,
        stage: Stage::Erwogen,
        ..v
    };
    assert_eq!(score(&v, &neighbour).unwrap().0, 1);
    // Population and staff scales are not neighbours.
    let staff = OfferProfile {
        size: SizeClass::StaffLt250,
        ..neighbour
    };
    assert_eq!(score(&v, &staff).unwrap().0, 0);
    assert!(score(
        &v,
        &OfferProfile {
            category: Category::EmailKalender,
            ..v
        }
    )
    .is_none());
    // A roll-back is experience beyond the pilot.
    assert!(Stage::Zurueckgerollt.rank() > Stage::Pilot.rank());
    // The same path always outranks any neighbour.
    assert!(
        score(
            &v,
            &OfferProfile {
                kind: Kind::Landkreis,
                size: SizeClass::StaffLt250,
                stage: Stage::Erwogen,
                ..v
            }
        )
        .unwrap()
        .0 > 3 + 2 + 2
    );
}

#[test]
fn the_compact_score_equals_the_documented_score_everywhere() {
    let paths: Vec<&crate::paths::PathItem> = crate::paths::path_catalogue()
        .iter()
        .filter(|p| {
            p.category == Category::Videokonferenzen || p.category == Category::EmailKalender
        })
        .collect();
    let mut all = Vec::new();
    for p in &paths {
        for s in Stage::ALL {
            for k in Kind::ALL {
                for z in SizeClass::ALL {
                    all.push(OfferProfile {
                        path_id: &p.id,
                        category: p.category,
                        stage: *s,
                        kind: k,
                        size: z,
                    });
                }
            }
        }
    }
    let compact: Vec<CompactProfile> = all
        .iter()
        .map(|p| CompactProfile::new(p).unwrap())
        .collect();
    // Every pair of profiles: 4 paths × 6 stages × 6 kinds × 10 size classes, squared.
    for (i, v) in all.iter().enumerate() {
        for (j, c) in all.iter().enumerate() {
            let want = score(v, c).map(|s| s.0);
            assert_eq!(compact[i].points(&compact[j]), want);
        }
    }
}

#[test]
fn the_replay_window_is_enforced() {
    let n = fresh_nonce().unwrap();
    assert!(check_freshness(1000, &n, 1000 + FRESHNESS_SECS).is_ok());
    assert!(check_freshness(1000, &n, 1001 + FRESHNESS_SECS).is_err());
    assert!(check_freshness(1000, &n[..8], 1000).is_err());
    assert!(check_freshness(i64::MIN, &n, i64::MAX).is_err());
    assert!(check_freshness(i64::MIN + 1000, &n, 1000).is_err());
}
