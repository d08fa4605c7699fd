//! One test per error variant (and per nested envelope or peer error with a code of its own):
//! the gRPC code it reaches the wire with. The codes are the protocol's (docs/PROTOCOL.md); the
//! integration tests check the same codes end to end.

use super::*;
use sovbench_core::i18n::Lang;

/// A sample of every variant, by name; the exhaustive match makes a new variant fail to compile
/// until it is named here, and [`every_variant_has_a_code_test`] fails until it has a test.
fn variant(e: &AggError) -> &'static str {
    match e {
        AggError::NotInitialised(_) => "NotInitialised",
        AggError::AlreadyInitialised(_) => "AlreadyInitialised",
        AggError::Locked(_) => "Locked",
        AggError::Storage(_) => "Storage",
        AggError::Json(_) => "Json",
        AggError::Decode(_) => "Decode",
        AggError::Envelope(_) => "Envelope",
        AggError::Cohort(_) => "Cohort",
        AggError::UnknownKey(_) => "UnknownKey",
        AggError::Revoked(_) => "Revoked",
        AggError::WrongKind { .. } => "WrongKind",
        AggError::UnknownRound(_) => "UnknownRound",
        AggError::NoOpenRound => "NoOpenRound",
        AggError::RoundClosed { .. } => "RoundClosed",
        AggError::RoundOpen(_) => "RoundOpen",
        AggError::ParamsMismatch { .. } => "ParamsMismatch",
        AggError::Conflict { .. } => "Conflict",
        AggError::TooLarge(..) => "TooLarge",
        AggError::Busy => "Busy",
        AggError::ShuttingDown => "ShuttingDown",
        AggError::EmptyConsortium => "EmptyConsortium",
        AggError::BadPublicKey(_) => "BadPublicKey",
        AggError::WeakPublicKey(_) => "WeakPublicKey",
        AggError::BadRoundId(_) => "BadRoundId",
        AggError::RoundExists(_) => "RoundExists",
        AggError::AnotherRoundOpen(_) => "AnotherRoundOpen",
        AggError::UnknownMetric { .. } => "UnknownMetric",
        AggError::DuplicateMetric(_) => "DuplicateMetric",
        AggError::BadEpsilon(_) => "BadEpsilon",
        AggError::TooManyReleases { .. } => "TooManyReleases",
        AggError::MinCohortTooSmall(_) => "MinCohortTooSmall",
        AggError::ClosesInThePast(_) => "ClosesInThePast",
        AggError::UnknownPath(_) => "UnknownPath",
        AggError::UnknownStage(_) => "UnknownStage",
        AggError::BadExchangeKey { .. } => "BadExchangeKey",
        AggError::BadCardSize(_) => "BadCardSize",
        AggError::ExportFieldMissing(_) => "ExportFieldMissing",
        AggError::ExportFieldInvalid { .. } => "ExportFieldInvalid",
        AggError::NoPublication(_) => "NoPublication",
        AggError::Peer(_) => "Peer",
        AggError::Replay(_) => "Replay",
        AggError::IssuedBeforeStart(..) => "IssuedBeforeStart",
        AggError::NotOffered(_) => "NotOffered",
        AggError::UnknownPeer(..) => "UnknownPeer",
        AggError::UnknownRequest(_) => "UnknownRequest",
        AggError::RateLimited { .. } => "RateLimited",
        AggError::RequestState { .. } => "RequestState",
        AggError::Io { .. } => "Io",
        AggError::StoreDamaged { .. } => "StoreDamaged",
        AggError::RecordFile { .. } => "RecordFile",
        AggError::AckRecord { .. } => "AckRecord",
        AggError::BadCeremony(_) => "BadCeremony",
        AggError::CeremonyExists(_) => "CeremonyExists",
        AggError::UnknownCeremony(_) => "UnknownCeremony",
        AggError::CeremonyIncomplete { .. } => "CeremonyIncomplete",
        AggError::NotTrustee { .. } => "NotTrustee",
        AggError::TrusteeConflict(_) => "TrusteeConflict",
        AggError::BadTrusteeMessage(_) => "BadTrusteeMessage",
        AggError::BadSecureRound(_) => "BadSecureRound",
        AggError::BadEncryption { .. } => "BadEncryption",
        AggError::CopiedCiphertext { .. } => "CopiedCiphertext",
        AggError::RoundAbandoned { .. } => "RoundAbandoned",
        AggError::WrongAggregator { .. } => "WrongAggregator",
        AggError::TrusteePhase { .. } => "TrusteePhase",
        AggError::NoAnnouncement(_) => "NoAnnouncement",
        AggError::NotOperator(_) => "NotOperator",
        AggError::BadOperators { .. } => "BadOperators",
        AggError::BadCommand(_) => "BadCommand",
        AggError::AttributesChanged { .. } => "AttributesChanged",
    }
}

/// Number of arms of [`variant`].
const VARIANTS: usize = 69;

fn json_error() -> serde_json::Error {
    serde_json::from_str::<u8>("x").expect_err("not a number")
}

fn decode_error() -> prost::DecodeError {
    use prost::Message as _;
    sovbench_core::pb::Payload::decode(&[0xff_u8][..]).expect_err("not a payload")
}

macro_rules! code_tests {
    ($($name:ident: $err:expr => $code:ident;)+) => {
        $(
            #[test]
            fn $name() {
                assert_eq!(tonic::Status::from($err).code(), Code::$code);
            }
        )+

        #[test]
        fn every_variant_has_a_code_test() {
            let covered: std::collections::BTreeSet<&str> = [$(variant(&$err)),+].into_iter().collect();
            assert_eq!(covered.len(), VARIANTS, "{covered:?}");
        }

        /// One sample of every variant (each nested envelope and peer error too): the German
        /// text differs from the English one, which is the unchanged `Display`.
        #[test]
        fn every_variant_has_a_german_text() {
            let samples: Vec<AggError> = vec![$($err),+];
            let mut covered = std::collections::BTreeSet::new();
            for e in &samples {
                let (de, en) = (e.localised(Lang::De), e.localised(Lang::En));
                assert_eq!(en, e.to_string());
                assert_ne!(de, en, "{} has no German text", variant(e));
                assert!(!de.is_empty());
                covered.insert(variant(e));
            }
            assert_eq!(covered.len(), VARIANTS, "{covered:?}");
        }
    };
}

code_tests! {
    not_initialised_is_internal: AggError::NotInitialised("/d".into()) => Internal;
    already_initialised_is_internal: AggError::AlreadyInitialised("/d".into()) => Internal;
    locked_is_internal: AggError::Locked("/d".into()) => Internal;
    storage_is_internal: AggError::Storage("disk".into()) => Internal;
    store_damaged_is_data_loss: AggError::StoreDamaged { round: "r".into(), detail: "d".into() } => DataLoss;
    record_file_is_data_loss: AggError::RecordFile { round: "r".into(), path: "/s/r.log".into(), problem: crate::store::logs::RecordProblem::Unknown } => DataLoss;
    ack_record_is_internal: AggError::AckRecord { path: "/a".into(), detail: "d".into() } => Internal;
    json_is_internal: AggError::Json(json_error()) => Internal;
    decode_is_internal: AggError::Decode(decode_error()) => Internal;
    envelope_decode_is_invalid_argument: AggError::Envelope(EnvelopeError::Decode(decode_error())) => InvalidArgument;
    envelope_version_is_invalid_argument: AggError::Envelope(EnvelopeError::Version(9, 1)) => InvalidArgument;
    envelope_wrong_kind_is_invalid_argument: AggError::Envelope(EnvelopeError::WrongKind { expected: "round", got: "receipt" }) => InvalidArgument;
    bad_signature_is_unauthenticated: AggError::Envelope(EnvelopeError::BadSignature("ab".into())) => Unauthenticated;
    bad_signer_length_is_unauthenticated: AggError::Envelope(EnvelopeError::BadSignerLength(3)) => Unauthenticated;
    own_key_file_is_internal: AggError::Envelope(EnvelopeError::KeyInvalid("k".into())) => Internal;
    cohort_is_internal: AggError::Cohort(sovbench_core::cohort::CohortError::UnknownKind("dorf".into())) => Internal;
    unknown_key_is_unauthenticated: AggError::UnknownKey("ab".into()) => Unauthenticated;
    revoked_is_permission_denied: AggError::Revoked("ab".into()) => PermissionDenied;
    wrong_kind_is_invalid_argument: AggError::WrongKind { expected: "submission", got: "round" } => InvalidArgument;
    unknown_round_is_not_found: AggError::UnknownRound("r".into()) => NotFound;
    no_open_round_is_not_found: AggError::NoOpenRound => NotFound;
    round_closed_is_failed_precondition: AggError::RoundClosed { round: "r".into(), at: "now".into() } => FailedPrecondition;
    round_open_is_failed_precondition: AggError::RoundOpen("r".into()) => FailedPrecondition;
    params_mismatch_is_invalid_argument: AggError::ParamsMismatch { round: "r".into(), detail: "d".into() } => InvalidArgument;
    conflict_is_already_exists: AggError::Conflict { key: "ab".into(), round: "r".into() } => AlreadyExists;
    too_large_is_resource_exhausted: AggError::TooLarge(2, 1) => ResourceExhausted;
    busy_is_resource_exhausted: AggError::Busy => ResourceExhausted;
    shutting_down_is_unavailable: AggError::ShuttingDown => Unavailable;
    empty_consortium_is_invalid_argument: AggError::EmptyConsortium => InvalidArgument;
    bad_public_key_is_invalid_argument: AggError::BadPublicKey(31) => InvalidArgument;
    weak_public_key_is_invalid_argument: AggError::WeakPublicKey(EnvelopeError::WeakKey { key: "ab".into(), reason: "a point of small order" }) => InvalidArgument;
    weak_signer_key_is_unauthenticated: AggError::Envelope(EnvelopeError::WeakKey { key: "ab".into(), reason: "a point of small order" }) => Unauthenticated;
    bad_round_id_is_invalid_argument: AggError::BadRoundId("a b".into()) => InvalidArgument;
    round_exists_is_invalid_argument: AggError::RoundExists("r".into()) => InvalidArgument;
    another_round_open_is_invalid_argument: AggError::AnotherRoundOpen("r".into()) => InvalidArgument;
    unknown_metric_is_invalid_argument: AggError::UnknownMetric { metric: "m".into(), known: "a, b".into() } => InvalidArgument;
    duplicate_metric_is_invalid_argument: AggError::DuplicateMetric("m".into()) => InvalidArgument;
    bad_epsilon_is_invalid_argument: AggError::BadEpsilon(-1.0) => InvalidArgument;
    too_many_releases_is_invalid_argument: AggError::TooManyReleases { releases: 6, metrics: 5 } => InvalidArgument;
    min_cohort_too_small_is_invalid_argument: AggError::MinCohortTooSmall(1) => InvalidArgument;
    closes_in_the_past_is_invalid_argument: AggError::ClosesInThePast(0) => InvalidArgument;
    unknown_path_is_invalid_argument: AggError::UnknownPath("p".into()) => InvalidArgument;
    unknown_stage_is_invalid_argument: AggError::UnknownStage("s".into()) => InvalidArgument;
    bad_exchange_key_is_invalid_argument: AggError::BadExchangeKey { field: "requester_key", len: 3 } => InvalidArgument;
    bad_card_size_is_invalid_argument: AggError::BadCardSize(3) => InvalidArgument;
    export_field_missing_is_invalid_argument: AggError::ExportFieldMissing("payload") => InvalidArgument;
    export_field_invalid_is_invalid_argument: AggError::ExportFieldInvalid { field: "payload", detail: "d".into() } => InvalidArgument;
    no_publication_is_not_found: AggError::NoPublication("yet".into()) => NotFound;
    bad_ceremony_is_invalid_argument: AggError::BadCeremony("t".into()) => InvalidArgument;
    ceremony_exists_is_already_exists: AggError::CeremonyExists("c".into()) => AlreadyExists;
    unknown_ceremony_is_not_found: AggError::UnknownCeremony("c".into()) => NotFound;
    ceremony_incomplete_is_failed_precondition: AggError::CeremonyIncomplete { id: "c".into(), detail: "d".into() } => FailedPrecondition;
    not_trustee_is_permission_denied: AggError::NotTrustee { key: "ab".into(), role: "trustee 1".into() } => PermissionDenied;
    trustee_conflict_is_already_exists: AggError::TrusteeConflict("trustee 1".into()) => AlreadyExists;
    bad_trustee_message_is_invalid_argument: AggError::BadTrusteeMessage("share".into()) => InvalidArgument;
    bad_secure_round_is_invalid_argument: AggError::BadSecureRound("grid".into()) => InvalidArgument;
    bad_encryption_is_invalid_argument: AggError::BadEncryption { round: "r".into(), detail: "proof".into() } => InvalidArgument;
    copied_ciphertext_is_invalid_argument: AggError::CopiedCiphertext { round: "r2".into(), earlier: "r1".into() } => InvalidArgument;
    round_abandoned_is_failed_precondition: AggError::RoundAbandoned { round: "r".into(), reason: "refused".into() } => FailedPrecondition;
    wrong_aggregator_is_permission_denied: AggError::WrongAggregator { meant: "a".into(), this: "b".into() } => PermissionDenied;
    trustee_phase_is_failed_precondition: AggError::TrusteePhase { round: "r".into(), detail: "d".into() } => FailedPrecondition;
    no_announcement_is_not_found: AggError::NoAnnouncement("yet".into()) => NotFound;
    bad_card_is_invalid_argument: AggError::Peer(PeerError::Card("c".into())) => InvalidArgument;
    bad_peer_key_is_invalid_argument: AggError::Peer(PeerError::BadKey) => InvalidArgument;
    sealing_is_invalid_argument: AggError::Peer(PeerError::Sealing) => InvalidArgument;
    nonce_length_is_invalid_argument: AggError::Peer(PeerError::NonceLength(3)) => InvalidArgument;
    stale_is_failed_precondition: AggError::Peer(PeerError::Stale { issued_at: 0, now: 1_000, window: 300 }) => FailedPrecondition;
    peer_random_is_internal: AggError::Peer(PeerError::Random) => Internal;
    replay_is_already_exists: AggError::Replay("ab".into()) => AlreadyExists;
    issued_before_start_is_failed_precondition: AggError::IssuedBeforeStart(1, 2) => FailedPrecondition;
    not_offered_is_not_found: AggError::NotOffered("p".into()) => NotFound;
    unknown_peer_is_not_found: AggError::UnknownPeer("x".into(), "p".into()) => NotFound;
    unknown_request_is_not_found: AggError::UnknownRequest("id".into()) => NotFound;
    rate_limited_is_resource_exhausted: AggError::RateLimited { limit: 20, next: "later".into() } => ResourceExhausted;
    request_state_is_failed_precondition: AggError::RequestState { id: "id".into(), reason: "r".into() } => FailedPrecondition;
    io_is_internal: AggError::Io { path: "/f".into(), source: std::io::Error::other("x") } => Internal;
    not_operator_is_permission_denied: AggError::NotOperator("ab".into()) => PermissionDenied;
    bad_operators_is_internal: AggError::BadOperators { path: "/o".into(), detail: "d".into() } => Internal;
    bad_command_is_invalid_argument: AggError::BadCommand("--key: the key is not base64".into()) => InvalidArgument;
    attributes_changed_is_failed_precondition: AggError::AttributesChanged { key: "ab".into(), was: "a".into(), now: "b".into() } => FailedPrecondition;
}

#[test]
fn messages_name_the_input_and_are_lowercase() {
    let e = AggError::UnknownStage("unterwegs".into());
    assert_eq!(
        e.to_string(),
        format!("unknown stage \"unterwegs\"; stages: {}", Stage::keys())
    );
    let e = AggError::BadCardSize(3);
    assert_eq!(
        e.to_string(),
        format!("a sealed card must be 29 to {MAX_SEALED_CARD} bytes, got 3")
    );
    for e in [
        AggError::EmptyConsortium,
        AggError::BadPublicKey(31),
        AggError::MinCohortTooSmall(1),
        AggError::ClosesInThePast(0),
    ] {
        let text = e.to_string();
        assert!(text.starts_with(|c: char| c.is_lowercase()), "{text}");
        assert!(!text.ends_with('.'), "{text}");
    }
}

/// Every variant that repeats a client-supplied string cuts it (`echo`): a 60 KB id must not
/// turn a refusal into a status the client's 8 KiB metadata limit rejects. Old behaviour: the
/// whole id was repeated.
#[test]
fn client_supplied_strings_are_cut_in_every_message() {
    let long = "x".repeat(60_000);
    let l = || long.clone();
    for e in [
        AggError::UnknownRound(l()),
        AggError::RoundClosed {
            round: l(),
            at: "now".into(),
        },
        AggError::RoundOpen(l()),
        AggError::ParamsMismatch {
            round: l(),
            detail: "d".into(),
        },
        AggError::Conflict {
            key: "ab".into(),
            round: l(),
        },
        AggError::BadRoundId(l()),
        AggError::RoundExists(l()),
        AggError::AnotherRoundOpen(l()),
        AggError::UnknownMetric {
            metric: l(),
            known: "a, b".into(),
        },
        AggError::DuplicateMetric(l()),
        AggError::UnknownPath(l()),
        AggError::UnknownStage(l()),
        AggError::NoPublication(l()),
        AggError::NotOffered(l()),
        AggError::UnknownPeer(l(), l()),
        AggError::UnknownRequest(l()),
        AggError::RequestState {
            id: l(),
            reason: "r".into(),
        },
    ] {
        let name = variant(&e);
        let status = tonic::Status::from(e);
        assert!(
            status.message().len() < 600,
            "{name}: {} bytes",
            status.message().len()
        );
        assert!(status.message().contains('…'), "{name}");
    }
}

/// Internal errors may name the server's files: the client gets a fixed text. Old behaviour:
/// "storage: /var/lib/sovbench/db: …" went to the client.
#[test]
fn internal_errors_do_not_reach_the_client() {
    for e in [
        AggError::Storage("/srv/secret/path/db: i/o error".into()),
        AggError::Locked("/srv/secret/path".into()),
        AggError::Io {
            path: "/srv/secret/path/f".into(),
            source: std::io::Error::other("x"),
        },
        AggError::Envelope(EnvelopeError::KeyInvalid(
            "/srv/secret/path/aggregator.key".into(),
        )),
    ] {
        let status = tonic::Status::from(e);
        assert_eq!(status.code(), Code::Internal);
        assert_eq!(status.message(), INTERNAL_MESSAGE);
    }
}

/// Representative errors in German keep the ids, counts, files and the flag or setting to fix;
/// their English text (also the gRPC status message) is unchanged.
#[test]
fn operator_errors_render_in_german_with_their_information() {
    let cases: Vec<(AggError, &[&str], &str)> = vec![
        (
            AggError::NotInitialised("/srv/agg".into()),
            &["kein Aggregator in /srv/agg", "sovbench-aggregator init"],
            "no aggregator in /srv/agg; run `sovbench-aggregator init` first",
        ),
        (
            AggError::Locked("/srv/agg/store".into()),
            &["Speicher /srv/agg/store", "anderen Prozess", "sovbench-aggregator serve"],
            "the store /srv/agg/store is in use by another process (is `sovbench-aggregator serve` running?)",
        ),
        (
            AggError::RoundClosed { round: "2026-q4".into(), at: "2026-12-01T00:00Z".into() },
            &["Runde 2026-q4", "2026-12-01T00:00Z", "geschlossen"],
            "round 2026-q4 closed at 2026-12-01T00:00Z",
        ),
        (
            AggError::TooManyReleases { releases: 6, metrics: 5 },
            &["Veröffentlichungen je Knoten (6)", "Kennzahlen (5)"],
            "releases per node (6) exceeds the number of metrics (5)",
        ),
        (
            AggError::MinCohortTooSmall(1),
            &["Kohorte", "mindestens 2", "angegeben: 1"],
            "minimum cohort size k must be at least 2",
        ),
        (
            AggError::Revoked("ab12".into()),
            &["Schlüssel ab12", "widerrufen"],
            "key ab12 was revoked",
        ),
        (
            AggError::NotOperator("ab12".into()),
            &["ab12", "Betreiberschlüssel", "aggregator.key", "operators.toml"],
            "key ab12 is not an operator key of this aggregator (aggregator.key or operators.toml)",
        ),
        (
            AggError::AttributesChanged { key: "ab12".into(), was: "A (kommune)".into(), now: "B (land)".into() },
            &["ab12", "aufgenommen als A (kommune)", "B (land)", "--update"],
            "key ab12 is enrolled as A (kommune); enrolling it as B (land) changes its attributes (pass --update to change them)",
        ),
        (
            AggError::StoreDamaged { round: "r1".into(), detail: "3 acknowledged, 2 stored".into() },
            &["Runde r1", "3 acknowledged, 2 stored", "beschädigt", "docs/OPERATIONS.md"],
            "round r1: 3 acknowledged, 2 stored; the store is damaged (restore it from a backup, see docs/OPERATIONS.md, \"The aggregator refuses to start\")",
        ),
        (
            AggError::CeremonyIncomplete { id: "c1".into(), detail: "2 of 3 trustees dealt".into() },
            &["Schlüsselerzeugung c1", "2 of 3 trustees dealt"],
            "ceremony c1: 2 of 3 trustees dealt",
        ),
        (
            AggError::TrusteePhase { round: "s1".into(), detail: "noise 2 of 5 (3 needed)".into() },
            &["Runde s1", "Treuhändergremium", "noise 2 of 5 (3 needed)"],
            "round s1: noise 2 of 5 (3 needed)",
        ),
        (
            AggError::BadEpsilon(-1.0),
            &["Datenschutzbudget", "-1"],
            "epsilon per release must be a positive number, got -1",
        ),
        (
            AggError::Io { path: "/srv/agg/export.json".into(), source: std::io::Error::other("disk full") },
            &["/srv/agg/export.json", "disk full"],
            "/srv/agg/export.json: disk full",
        ),
        (
            AggError::Envelope(EnvelopeError::KeyInvalid("/srv/agg/aggregator.key".into())),
            &["Schlüsseldatei /srv/agg/aggregator.key", "Ed25519"],
            "key file /srv/agg/aggregator.key does not hold a valid Ed25519 key",
        ),
    ];
    for (e, parts, en) in cases {
        let de = e.localised(Lang::De);
        for part in parts {
            assert!(de.contains(part), "{de:?} lacks {part:?}");
        }
        assert_eq!(e.to_string(), en);
        assert_eq!(e.localised(Lang::En), en);
        assert!(!tonic::Status::from(e).message().is_empty());
    }
}

/// The command line's error line: the aggregator's error in German after the context around it;
/// an error without an `AggError` (such as a gRPC status of the admin API) as its chain.
#[test]
fn command_line_errors_are_localised_through_their_context() {
    let e = anyhow::Error::new(AggError::NoOpenRound).context("closing the round");
    assert_eq!(
        AggError::chain_text(&e, Lang::De),
        "closing the round: keine Runde ist geöffnet"
    );
    assert_eq!(
        AggError::chain_text(&e, Lang::En),
        "closing the round: no round is open"
    );
    let status = anyhow::Error::new(tonic::Status::not_found("round r9 does not exist"))
        .context("admin call");
    let line = AggError::chain_text(&status, Lang::De);
    assert!(line.starts_with("admin call: "), "{line}");
    assert!(line.contains("round r9 does not exist"), "{line}");
}
