use super::*;
use sovbench_core::clock::SystemClock;

fn opts(name: &str) -> InitOptions {
    InitOptions {
        name: name.into(),
        kind: "gemeinde".into(),
        state: "DE-BY".into(),
        size: 3_000,
        aggregator_url: None,
        aggregator_key: None,
        policy: None,
        committee_fingerprint: None,
    }
}

#[test]
fn ids_are_path_safe() {
    for ok in ["gemeinde-a", "a", "x9", "landkreis-muster-2"] {
        assert!(check_id(ok).is_ok(), "{ok}");
    }
    for bad in ["", "-a", "A", "a/b", "a b", "..", "ä", &"a".repeat(49)] {
        assert!(check_id(bad).is_err(), "{bad}");
    }
}

#[tokio::test]
async fn tenants_are_added_listed_removed_exported_and_purged() {
    let dir = tempfile::tempdir().unwrap();
    let h = Hosting::init(dir.path(), "KDN Musterland").unwrap();
    assert!(Hosting::is_hosting(dir.path()));
    assert!(Hosting::init(dir.path(), "again").is_err());
    let a = h
        .add("gemeinde-a", opts("Gemeinde A"), SystemClock::shared())
        .unwrap();
    let b = h
        .add("gemeinde-b", opts("Gemeinde B"), SystemClock::shared())
        .unwrap();
    assert_ne!(
        a.public_key(),
        b.public_key(),
        "each tenant has its own key"
    );
    drop((a, b));
    assert!(h
        .add("gemeinde-a", opts("again"), SystemClock::shared())
        .is_err());
    let ids: Vec<_> = h.tenants().unwrap().into_iter().map(|t| t.id).collect();
    assert_eq!(ids, ["gemeinde-a", "gemeinde-b"]);
    let pending = h.remove("gemeinde-a", SystemClock::shared()).await.unwrap();
    assert!(pending.is_empty());
    assert!(!h.has("gemeinde-a"));
    assert_eq!(h.removed().unwrap().len(), 1);
    assert!(h.purge("gemeinde-a").is_err(), "not exported yet");
    let out = dir.path().join("bericht.md");
    h.export(
        "gemeinde-a",
        &out,
        sovbench_core::i18n::Lang::De,
        SystemClock::shared(),
    )
    .unwrap();
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .contains("Gemeinde A")
            || out.exists()
    );
    h.purge("gemeinde-a").unwrap();
    assert!(h.removed().unwrap().is_empty());
    assert!(h
        .add("gemeinde-a", opts("Gemeinde A neu"), SystemClock::shared())
        .is_ok());
}
