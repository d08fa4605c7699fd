//! The trustee's errors in German and English: every variant has a German text that differs
//! from the English one (the unchanged `Display`), and representative ones keep their ids,
//! counts, files and the setting or command to fix.

use super::*;
use sovbench_core::i18n::Lang;

/// The variant's name; the exhaustive match makes a new variant fail to compile until it is
/// named here, and [`every_variant_has_a_german_text`] fails until it has a sample.
fn variant(e: &TrusteeError) -> &'static str {
    match e {
        TrusteeError::Io { .. } => "Io",
        TrusteeError::Exists(_) => "Exists",
        TrusteeError::NotInitialised(_) => "NotInitialised",
        TrusteeError::Config(_) => "Config",
        TrusteeError::Tls(_) => "Tls",
        TrusteeError::Store(_) => "Store",
        TrusteeError::Envelope(_) => "Envelope",
        TrusteeError::Secure(_) => "Secure",
        TrusteeError::Unreachable { .. } => "Unreachable",
        TrusteeError::Status { .. } => "Status",
        TrusteeError::BadAnswer { .. } => "BadAnswer",
        TrusteeError::NotAMember(..) => "NotAMember",
        TrusteeError::Dkg { .. } => "Dkg",
        TrusteeError::NoCommittee => "NoCommittee",
        TrusteeError::Refusal { .. } => "Refusal",
    }
}

/// Number of arms of [`variant`].
const VARIANTS: usize = 15;

fn samples() -> Vec<TrusteeError> {
    vec![
        TrusteeError::Io {
            path: "/t/share.json".into(),
            source: std::io::Error::other("disk full"),
        },
        TrusteeError::Exists("/t".into()),
        TrusteeError::NotInitialised("/t".into()),
        TrusteeError::Config("aggregator: missing".into()),
        TrusteeError::Tls(TlsProblem::Plaintext {
            url: "http://agg.example".into(),
        }),
        TrusteeError::Store(KvError::Locked("/t/store".into())),
        TrusteeError::Store(KvError::Engine("io".into())),
        TrusteeError::Store(KvError::Decode("bad".into())),
        TrusteeError::Envelope(EnvelopeError::KeyInvalid("/t/trustee.key".into())),
        TrusteeError::Envelope(EnvelopeError::BadSignature("ab12".into())),
        TrusteeError::Envelope(EnvelopeError::Version(9, 1)),
        TrusteeError::Envelope(EnvelopeError::Random),
        TrusteeError::Secure(SecureError::Malformed("noise share".into())),
        TrusteeError::Unreachable {
            url: "https://agg.example".into(),
            reason: "connection refused".into(),
        },
        TrusteeError::Status {
            call: "post_noise",
            code: tonic::Code::FailedPrecondition,
            message: "round s1 closed".into(),
        },
        TrusteeError::BadAnswer {
            call: "announcement",
            why: "wrong signer".into(),
        },
        TrusteeError::NotAMember("ab12".into(), "ceremony c1".into()),
        TrusteeError::Dkg {
            ceremony: "c1".into(),
            why: "share of trustee 2 does not verify".into(),
        },
        TrusteeError::NoCommittee,
        TrusteeError::Refusal {
            round: "s1".into(),
            reason: "cell 3 out of range".into(),
        },
    ]
}

#[test]
fn every_variant_has_a_german_text() {
    let mut covered = std::collections::BTreeSet::new();
    for e in samples() {
        let (de, en) = (e.localised(Lang::De), e.localised(Lang::En));
        assert_ne!(de, en, "{} has no German text", variant(&e));
        assert!(!de.is_empty());
        covered.insert(variant(&e));
    }
    assert_eq!(covered.len(), VARIANTS, "{covered:?}");
}

#[test]
fn operator_errors_render_in_german_with_their_information() {
    let cases: Vec<(TrusteeError, &[&str], &str)> = vec![
        (
            TrusteeError::NotInitialised("/t".into()),
            &["in /t", "kein Treuhänder", "sovbench-trustee init"],
            "/t holds no trustee; run `sovbench-trustee init` first",
        ),
        (
            TrusteeError::Exists("/t".into()),
            &["in /t", "bereits ein Treuhänder", "Schlüsselanteil"],
            "/t holds a trustee already; refusing to overwrite its key share",
        ),
        (
            TrusteeError::NoCommittee,
            &["Treuhändergremium", "sovbench-trustee dkg"],
            "no committee yet; run `sovbench-trustee dkg` first",
        ),
        (
            TrusteeError::Store(KvError::Locked("/t/store".into())),
            &[
                "Speicher /t/store",
                "anderen Prozess",
                "sovbench-trustee serve",
            ],
            "store /t/store is in use by another process",
        ),
        (
            TrusteeError::Dkg {
                ceremony: "c1".into(),
                why: "share of trustee 2 does not verify".into(),
            },
            &[
                "Schlüsselerzeugung c1",
                "share of trustee 2 does not verify",
            ],
            "key generation c1: share of trustee 2 does not verify",
        ),
        (
            TrusteeError::Refusal {
                round: "s1".into(),
                reason: "cell 3 out of range".into(),
            },
            &["Runde s1 abgelehnt", "cell 3 out of range"],
            "round s1 refused: cell 3 out of range",
        ),
        (
            TrusteeError::Status {
                call: "post_noise",
                code: tonic::Code::FailedPrecondition,
                message: "round s1 closed".into(),
            },
            &["post_noise", "FailedPrecondition", "round s1 closed"],
            "aggregator answered post_noise with FailedPrecondition: round s1 closed",
        ),
        (
            TrusteeError::Config("aggregator_key: not base64".into()),
            &["trustee.toml", "aggregator_key: not base64"],
            "configuration: aggregator_key: not base64",
        ),
        (
            TrusteeError::Unreachable {
                url: "https://agg.example".into(),
                reason: "connection refused".into(),
            },
            &[
                "https://agg.example",
                "nicht erreichbar",
                "connection refused",
            ],
            "aggregator https://agg.example unreachable: connection refused",
        ),
        (
            TrusteeError::Envelope(EnvelopeError::KeyInvalid("/t/trustee.key".into())),
            &["Schlüsseldatei /t/trustee.key", "Ed25519"],
            "key file /t/trustee.key does not hold a valid Ed25519 key",
        ),
    ];
    for (e, parts, en) in cases {
        let de = e.localised(Lang::De);
        for part in parts {
            assert!(de.contains(part), "{de:?} lacks {part:?}");
        }
        assert_eq!(e.to_string(), en);
        assert_eq!(e.localised(Lang::En), en);
    }
}

/// The command line's error line: the trustee's error in German after the context around it;
/// other errors as their chain.
#[test]
fn command_line_errors_are_localised_through_their_context() {
    let e = anyhow::Error::new(TrusteeError::NoCommittee).context("serving");
    assert_eq!(
        crate::cli::error_text(&e, Lang::De),
        "Fehler: serving: noch kein Treuhändergremium; zuerst `sovbench-trustee dkg` ausführen"
    );
    assert_eq!(
        crate::cli::error_text(&e, Lang::En),
        "error: serving: no committee yet; run `sovbench-trustee dkg` first"
    );
    let other = anyhow::anyhow!("disk gone").context("starting the async runtime");
    assert_eq!(
        crate::cli::error_text(&other, Lang::De),
        "Fehler: starting the async runtime: disk gone"
    );
}
