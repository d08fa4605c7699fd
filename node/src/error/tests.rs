use super::*;
use sovbench_core::selftest::AssessmentError;

/// One instance of every variant of [`NodeError`].
fn one_of_each() -> Vec<NodeError> {
    use prost::Message as _;
    let json = serde_json::from_str::<u32>("x").unwrap_err();
    let decode = sovbench_core::pb::SignedMessage::decode(&[0xffu8][..]).unwrap_err();
    vec![
        NodeError::NotInitialised("/srv/sovbench".into()),
        NodeError::AlreadyInitialised("/srv/sovbench".into()),
        NodeError::Locked("/srv/sovbench/store".into()),
        NodeError::Storage("disk full".into()),
        NodeError::Json(json),
        NodeError::Decode(decode),
        NodeError::Envelope(EnvelopeError::BadSignature("ab12".into())),
        NodeError::Assessment(AssessmentError::Missing("d1", "Datenhoheit")),
        NodeError::Cohort(CohortError::UnknownKind("dorf".into())),
        NodeError::Config("aggregator_url missing".into()),
        NodeError::Tls(TlsProblem::NotPem {
            setting: "client_cert",
            path: "c.pem".into(),
        }),
        NodeError::Io {
            path: "/srv/a.csv".into(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "gone"),
        },
        NodeError::NoAssessment,
        NodeError::NoInventory,
        NodeError::Policy {
            round: "2026-q4".into(),
            parameter: "epsilon per round",
            value: "2".into(),
            limit: "1".into(),
        },
        NodeError::BadRound {
            round: "2026-q4".into(),
            reason: "unknown metric m9".into(),
        },
        NodeError::CommitteeNotPinned {
            round: "2026-q4".into(),
            fingerprint: "c0ffee".into(),
            threshold: 2,
            size: 3,
        },
        NodeError::WrongCommittee {
            round: "2026-q4".into(),
            expected: "aaaa".into(),
            got: "bbbb".into(),
        },
        NodeError::Secure(sovbench_secure::SecureError::Committee(
            "shares differ".into(),
        )),
        NodeError::AlreadyReleased("2026-q4".into()),
        NodeError::NotEnrolled {
            fingerprint: "f00d".into(),
            revoked: true,
        },
        NodeError::NoOpenRound,
        NodeError::WrongAggregatorKey {
            expected: "aaaa".into(),
            got: "bbbb".into(),
        },
        NodeError::Unreachable {
            url: "https://agg.example".into(),
            reason: "connection refused".into(),
        },
        NodeError::Refused {
            code: tonic::Code::PermissionDenied,
            message: "no".into(),
        },
        NodeError::BadAnswer("receipt for another round".into()),
        NodeError::NotInPublication {
            round: "2026-q4".into(),
            signature: "1234".into(),
        },
        NodeError::StalePublication {
            got: "2026-q3".into(),
            newer: "a newer one exists".into(),
        },
        NodeError::Peers("no card".into()),
        NodeError::Privacy {
            metric: "m1".into(),
            reason: "scale".into(),
        },
        NodeError::People(crate::people::PeopleError::Exists("anna".into())),
    ]
}

/// The position of `e`'s variant; an exhaustive match, so a new variant must be added here (and
/// then to [`one_of_each`], or the test below fails).
fn variant(e: &NodeError) -> usize {
    match e {
        NodeError::NotInitialised(_) => 0,
        NodeError::AlreadyInitialised(_) => 1,
        NodeError::Locked(_) => 2,
        NodeError::Storage(_) => 3,
        NodeError::Json(_) => 4,
        NodeError::Decode(_) => 5,
        NodeError::Envelope(_) => 6,
        NodeError::Assessment(_) => 7,
        NodeError::Cohort(_) => 8,
        NodeError::Config(_) => 9,
        NodeError::Tls(_) => 10,
        NodeError::Io { .. } => 11,
        NodeError::NoAssessment => 12,
        NodeError::NoInventory => 13,
        NodeError::Policy { .. } => 14,
        NodeError::BadRound { .. } => 15,
        NodeError::CommitteeNotPinned { .. } => 16,
        NodeError::WrongCommittee { .. } => 17,
        NodeError::Secure(_) => 18,
        NodeError::AlreadyReleased(_) => 19,
        NodeError::NotEnrolled { .. } => 20,
        NodeError::NoOpenRound => 21,
        NodeError::WrongAggregatorKey { .. } => 22,
        NodeError::Unreachable { .. } => 23,
        NodeError::Refused { .. } => 24,
        NodeError::BadAnswer(_) => 25,
        NodeError::NotInPublication { .. } => 26,
        NodeError::StalePublication { .. } => 27,
        NodeError::Peers(_) => 28,
        NodeError::Privacy { .. } => 29,
        NodeError::People(_) => 30,
    }
}

#[test]
fn every_variant_has_a_german_text_that_differs_from_the_english_one() {
    let all = one_of_each();
    let mut seen: Vec<usize> = all.iter().map(variant).collect();
    seen.sort_unstable();
    assert_eq!(
        seen,
        (0..31).collect::<Vec<_>>(),
        "one instance per variant"
    );
    for e in &all {
        let de = e.localised(Lang::De);
        let en = e.localised(Lang::En);
        assert_eq!(en, e.to_string(), "English is the Display");
        assert!(!de.is_empty(), "{e:?}");
        assert_ne!(de, en, "untranslated: {e:?}");
    }
}

#[test]
fn german_texts_keep_the_values_of_the_english_ones() {
    // Every value the test instances carry appears in the German text too.
    for e in one_of_each() {
        let de = e.localised(Lang::De);
        let values: Vec<String> = match &e {
            NodeError::Policy {
                round,
                value,
                limit,
                ..
            } => vec![round.clone(), value.clone(), limit.clone()],
            NodeError::CommitteeNotPinned {
                round, fingerprint, ..
            } => vec![round.clone(), fingerprint.clone(), "2 von 3".into()],
            NodeError::WrongCommittee {
                round,
                expected,
                got,
            } => vec![round.clone(), expected.clone(), got.clone()],
            NodeError::WrongAggregatorKey { expected, got } => {
                vec![expected.clone(), got.clone(), "aggregator_key".into()]
            }
            NodeError::Io { path, source } => vec![path.clone(), source.to_string()],
            // The signature error itself is German now; the signer is kept.
            NodeError::Envelope(inner) => vec![inner.localised(Lang::De)],
            NodeError::Assessment(inner) => vec![inner.to_string()],
            NodeError::Cohort(inner) => vec![inner.to_string()],
            NodeError::Secure(inner) => vec![inner.to_string()],
            NodeError::Json(inner) => vec![inner.to_string()],
            NodeError::Decode(inner) => vec![inner.to_string()],
            _ => vec![],
        };
        for v in values {
            assert!(de.contains(&v), "{v:?} missing in {de}");
        }
    }
}

#[test]
fn not_initialised_in_german_names_the_folder_and_the_command() {
    let e = NodeError::NotInitialised("/srv/sovbench".into());
    let de = e.localised(Lang::De);
    assert!(
        de.contains("/srv/sovbench") && de.contains("`sovbench-node init`"),
        "{de}"
    );
    assert!(de.contains("kein Knoten"), "{de}");
    assert_eq!(
        e.localised(Lang::En),
        "no node in /srv/sovbench; run `sovbench-node init` first"
    );
}

#[test]
fn policy_refusals_in_german_name_the_setting_in_node_toml() {
    for (parameter, german, setting) in [
        (
            "minimum cohort size k",
            "Mindestgröße der Kohorte k",
            "[privacy] min_cohort",
        ),
        (
            "epsilon per round",
            "Epsilon je Runde",
            "[privacy] max_epsilon_per_round",
        ),
        (
            "epsilon in the last 365 days",
            "Epsilon in den letzten 365 Tagen",
            "[privacy] max_epsilon_per_year",
        ),
        (
            "epsilon over the node's lifetime",
            "Lebensdauer des Knotens",
            "[privacy] max_epsilon_lifetime",
        ),
        (
            "committee size m",
            "Größe des Treuhändergremiums m",
            "[privacy] min_trustees",
        ),
        ("threshold t", "Schwelle t", "[privacy] min_threshold"),
    ] {
        let e = NodeError::Policy {
            round: "2026-q4".into(),
            parameter,
            value: "7".into(),
            limit: "5".into(),
        };
        let de = e.localised(Lang::De);
        assert!(
            de.starts_with("Runde 2026-q4 von der Datenschutzrichtlinie abgelehnt"),
            "{de}"
        );
        assert!(
            de.contains(german) && de.contains("ist 7") && de.contains("erlaubt 5"),
            "{de}"
        );
        assert!(
            de.ends_with(&format!("(festgelegt durch {setting} in node.toml)")),
            "{de}"
        );
        let en = e.localised(Lang::En);
        assert!(
            en.ends_with(&format!("(set by {setting} in node.toml)")),
            "{en}"
        );
        assert_eq!(en, e.to_string());
    }
}

#[test]
fn enrolment_and_committee_errors_in_german_name_the_command_to_fix() {
    let e = NodeError::NotEnrolled {
        fingerprint: "f00d".into(),
        revoked: false,
    };
    let de = e.localised(Lang::De);
    assert!(
        de.contains("nicht aufgenommen")
            && de.contains("f00d")
            && de.contains("`sovbench-aggregator enrol`")
            && de.contains("`sovbench-node status`")
            && de.contains("Datenschutzbudget")
            && de.contains("aggregator_url"),
        "{de}"
    );
    let revoked = NodeError::NotEnrolled {
        fingerprint: "f00d".into(),
        revoked: true,
    };
    assert!(revoked.localised(Lang::De).contains("widerrufen"));
    assert!(revoked.localised(Lang::En).contains("has revoked"));
    let e = NodeError::CommitteeNotPinned {
        round: "2026-q4".into(),
        fingerprint: "c0ffee".into(),
        threshold: 2,
        size: 3,
    };
    let de = e.localised(Lang::De);
    assert!(
        de.contains("Treuhändergremium c0ffee (2 von 3)")
            && de.contains("committee_fingerprint = \"c0ffee\"")
            && de.contains("`sovbench-node config committee c0ffee`"),
        "{de}"
    );
}

#[test]
fn tls_errors_render_in_german_and_english_and_name_the_setting() {
    let e = NodeError::Tls(TlsProblem::Unreadable {
        setting: "aggregator_ca",
        path: "/d/tls/ca.pem".into(),
        reason: "No such file or directory".into(),
    });
    let de = e.localised(Lang::De);
    assert!(
        de.contains("nicht lesbar") && de.contains("aggregator_ca"),
        "{de}"
    );
    assert!(
        de.contains("/d/tls/ca.pem") && de.contains("config aggregator-ca"),
        "{de}"
    );
    let en = e.localised(Lang::En);
    assert!(
        en.contains("cannot read") && en.contains("aggregator_ca in node.toml"),
        "{en}"
    );
    assert_eq!(e.to_string(), en);
    let e = NodeError::Tls(TlsProblem::NotPem {
        setting: "client_key",
        path: "k.pem".into(),
    });
    let de = e.localised(Lang::De);
    assert!(
        de.contains("client_key") && de.contains("privaten Schlüssel"),
        "{de}"
    );
    let e = NodeError::Tls(TlsProblem::Plaintext {
        url: "http://agg.example".into(),
    });
    assert!(e.localised(Lang::De).contains("allow_plaintext"));
    assert!(e.to_string().contains("allow_plaintext") && e.to_string().contains("https://"));
    // A failed handshake with an https address names aggregator_ca; other failures do not.
    let down = |url: &str, reason: &str| NodeError::Unreachable {
        url: url.into(),
        reason: reason.into(),
    };
    let hs = down(
        "https://agg.example:7443",
        "invalid peer certificate: UnknownIssuer",
    );
    let de = hs.localised(Lang::De);
    assert!(
        de.contains("TLS-Handshake") && de.contains("aggregator_ca"),
        "{de}"
    );
    let en = hs.localised(Lang::En);
    assert!(
        en.contains("TLS handshake") && en.contains("aggregator_ca"),
        "{en}"
    );
    let refused = down("https://agg.example", "connection refused");
    let de = refused.localised(Lang::De);
    assert_eq!(
        de,
        "Aggregator https://agg.example nicht erreichbar: connection refused"
    );
    assert_eq!(refused.localised(Lang::En), refused.to_string());
    let plain = down("http://127.0.0.1:1", "certificate");
    assert!(!plain.localised(Lang::De).contains("aggregator_ca"));
    assert_eq!(plain.localised(Lang::En), plain.to_string());
}

#[test]
fn the_printed_chain_keeps_the_context_and_localises_the_node_error() {
    use anyhow::Context as _;
    let inner: Result<(), NodeError> = Err(NodeError::NotInitialised("/srv/sovbench".into()));
    let e = inner.context("opening the node").unwrap_err();
    assert_eq!(
        localised_chain(e.as_ref(), Lang::De),
        "opening the node: kein Knoten in /srv/sovbench; zuerst `sovbench-node init` ausführen"
    );
    assert_eq!(
        localised_chain(e.as_ref(), Lang::En),
        sovbench_core::display::error_chain(e.as_ref())
    );
    // Context around an anyhow error around a node error with a source of its own: the
    // source's text is already in the German sentence and is not repeated.
    let io = NodeError::Io {
        path: "/srv/a.csv".into(),
        source: std::io::Error::new(std::io::ErrorKind::NotFound, "gone"),
    };
    let e = anyhow::Error::from(io)
        .context("reading the inventory")
        .context("inventory import");
    assert_eq!(
        localised_chain(e.as_ref(), Lang::De),
        "inventory import: reading the inventory: /srv/a.csv: Lesen oder Schreiben \
         fehlgeschlagen: gone"
    );
    // A bare node error; an error without a node error stays as it is.
    let e = anyhow::Error::from(NodeError::NoOpenRound);
    assert_eq!(
        localised_chain(e.as_ref(), Lang::De),
        "der Aggregator hat keine offene Runde"
    );
    let other = anyhow::anyhow!("plain").context("outer");
    assert_eq!(localised_chain(other.as_ref(), Lang::De), "outer: plain");
}
