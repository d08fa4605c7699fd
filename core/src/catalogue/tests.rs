use super::*;

#[test]
fn hash_is_stable_and_changes_with_meaning() {
    let a = Catalogue::current();
    assert_eq!(a.hash(), catalogue_hash());
    let mut b = Catalogue::current();
    b.metrics[0].upper = 6;
    assert_ne!(a.hash(), b.hash());
    let mut c = Catalogue::current();
    c.metrics[0].max_half_width = 2.0;
    assert_ne!(a.hash(), c.hash());
}

#[test]
fn ids_are_unique_and_dotted() {
    let c = Catalogue::current();
    let mut ids: Vec<&str> = c.metrics.iter().map(|m| m.id.as_str()).collect();
    ids.extend(c.derived.iter().map(|d| d.id.as_str()));
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n);
    assert!(ids.iter().all(|id| id.contains('.') && !id.contains('=')));
    assert!(ids.iter().all(|id| id.starts_with("selftest.")
        || id.starts_with("inventory.")
        || id.starts_with("path.")));
    assert!(ids.iter().all(|id| !id.contains('#')));
}

#[test]
fn clamping_specs_cells_and_labels() {
    let c = Catalogue::current();
    let m = c.metric("selftest.datenhoheit").unwrap();
    assert_eq!(m.clamp_value(9), 5);
    assert_eq!(m.clamp_value(-3), 1);
    assert_eq!(m.sensitivity(), 4);
    assert!(m.matches(&m.spec()));
    let mut s = m.spec();
    s.upper = 10;
    assert!(!m.matches(&s));
    let band = c.metric(SELFTEST_BAND).unwrap();
    assert_eq!(band.cell_ids().len(), 3);
    assert_eq!(
        c.label("selftest.band=hybrid", Lang::De),
        "Reifegrad: hybrid geprägt"
    );
    assert_eq!(c.range("selftest.band=hybrid"), (0.0, 1.0));
    assert_eq!(c.range(SELFTEST_TOTAL), (5.0, 25.0));
    assert_eq!(c.default_round_metrics().len(), 5);
}
