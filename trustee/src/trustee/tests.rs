use super::*;
use sovbench_core::envelope;

fn aggregator_key() -> String {
    let (id, _) = Identity::generate().expect("key");
    envelope::b64(id.public_key())
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777
}

#[test]
fn init_writes_key_config_and_store_and_open_reads_them() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("trustee");
    let key = aggregator_key();
    let public = {
        let t = Trustee::init(&dir, "http://127.0.0.1:7700", &key).expect("init");
        t.public_key().to_vec()
    };
    #[cfg(unix)]
    {
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join(KEY_FILE)), 0o600);
        assert_eq!(mode(&dir.join(crate::config::FILE)), 0o600);
        assert_eq!(mode(&dir.join(STORE_DIR)), 0o700);
    }
    let text = std::fs::read_to_string(dir.join(crate::config::FILE)).expect("toml");
    assert!(text.contains(&key), "{text}");
    assert!(!text.contains("committee_fingerprint"), "{text}");
    let t = Trustee::open(&dir).expect("open");
    assert_eq!(t.public_key(), public.as_slice());
    let s = t.status().expect("status");
    assert_eq!(s.public_key, envelope::b64(&public));
    assert!(s.committee.is_none());
    assert!(s.rounds.is_empty());
    assert!(matches!(t.membership(), Err(TrusteeError::NoCommittee)));
    t.save_fingerprint(&[0xab; 32]).expect("save");
    let c = crate::config::Config::load(&dir).expect("load");
    assert_eq!(c.committee_fingerprint, Some("ab".repeat(32)));
}

#[test]
fn init_refuses_an_existing_trustee_and_bad_settings() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("t");
    let key = aggregator_key();
    drop(Trustee::init(&dir, "http://127.0.0.1:7700", &key).expect("init"));
    let before = std::fs::read(dir.join(KEY_FILE)).expect("key");
    assert!(matches!(
        Trustee::init(&dir, "http://127.0.0.1:7700", &key),
        Err(TrusteeError::Exists(_))
    ));
    assert_eq!(std::fs::read(dir.join(KEY_FILE)).expect("key"), before);
    let other = tmp.path().join("u");
    for (url, k) in [
        // Plaintext only to loopback (TLS with https://, see config.rs).
        ("http://agg:7700", key.as_str()),
        ("agg:7700", key.as_str()),
        ("http://agg:7700", "not base64!"),
        ("http://agg:7700", "AAAA"),
    ] {
        assert!(
            matches!(
                Trustee::init(&other, url, k),
                Err(TrusteeError::Config(_) | TrusteeError::Tls(_))
            ),
            "{url} {k}"
        );
        assert!(!other.exists(), "nothing is created for {url} {k}");
    }
    assert!(matches!(
        Trustee::open(&tmp.path().join("none")),
        Err(TrusteeError::NotInitialised(_))
    ));
}
