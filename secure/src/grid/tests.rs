use super::*;
use crate::committee::deal_for_tests;
use sovbench_core::catalogue::Catalogue;

fn round(grid: Grid, k: u32) -> SecureRound {
    let (committee, _) = deal_for_tests(3, 2, &mut rand::rngs::OsRng).expect("committee");
    SecureRound {
        round_id: "r".into(),
        committee,
        trustee_keys: vec![vec![0; 32]; 3],
        grid,
        // Noise so small that the merge size is k (see `the_merge_size_follows_the_noise`).
        epsilon: 100.0,
        all_weight: if grid == Grid::AllKindSize { 0.3 } else { 0.0 },
        metrics: vec![Catalogue::shared()
            .metric("selftest.datenhoheit")
            .expect("metric")
            .clone()],
        min_cohort: k,
        path_bound: 0,
    }
}

fn label(k: Kind, s: SizeClass) -> String {
    Cohort::KindSize(k, s).to_string()
}

fn counts(cells: &[(Kind, SizeClass, u32)]) -> BTreeMap<String, u32> {
    cells.iter().map(|&(k, s, n)| (label(k, s), n)).collect()
}

/// Every contributor in exactly one kind × size cell, every cell at least k.
fn assert_partition(round: &SecureRound, counts: &BTreeMap<String, u32>, a: &[pb::AnnouncedCell]) {
    for (label, &n) in counts.iter().filter(|(_, &n)| n > 0) {
        let holders: Vec<_> = a
            .iter()
            .filter(|c| c.cell != ALL && c.members.contains(label))
            .collect();
        assert_eq!(holders.len(), 1, "{label} in {holders:?}");
        assert!(n <= holders[0].n);
    }
    for c in a {
        assert!(c.n >= round.min_cohort, "{c:?}");
        let sum: u32 = c.members.iter().map(|m| counts[m]).sum();
        assert_eq!(sum, c.n, "{c:?}");
    }
    let total: u32 = counts.values().sum();
    let announced: u32 = a.iter().filter(|c| c.cell != ALL).map(|c| c.n).sum();
    assert_eq!(announced, total);
}

const G: Kind = Kind::Gemeinde;
const S: Kind = Kind::Stadt;
const L: Kind = Kind::Landkreis;

#[test]
fn large_cells_stay_small_ones_merge_per_kind_then_small_kinds_into_the_rest() {
    let r = round(Grid::KindSize, 5);
    let c = counts(&[
        (G, SizeClass::PopLt5k, 12),
        (G, SizeClass::Pop5kTo20k, 3),
        (G, SizeClass::Pop20kTo50k, 4),
        (S, SizeClass::Pop50kTo100k, 9),
        (S, SizeClass::Pop20kTo50k, 2),
        (L, SizeClass::Pop100kTo500k, 3),
    ]);
    let a = announce(&r, &c).expect("announce");
    assert_partition(&r, &c, &a);
    let labels: Vec<&str> = a.iter().map(|c| c.cell.as_str()).collect();
    assert_eq!(
        labels,
        vec!["kind=gemeinde,size=lt5k", "kind=gemeinde,size=rest", "rest"]
    );
    let find = |l: &str| {
        a.iter()
            .find(|c| c.cell == l)
            .unwrap_or_else(|| panic!("{l}"))
    };
    assert_eq!(find("kind=gemeinde,size=lt5k").n, 12);
    assert_eq!(find("kind=gemeinde,size=rest").n, 7);
    assert_eq!(
        find("kind=gemeinde,size=rest").members,
        vec![
            label(G, SizeClass::Pop20kTo50k),
            label(G, SizeClass::Pop5kTo20k)
        ]
    );
    // Stadt: its 2 are below k, so its cell of 9 joins them (kind=stadt stays a union of
    // cells); Landkreis (3) is below k as a kind and goes to the rest, which then takes the
    // smallest kind whole: Stadt (11).
    assert_eq!(find(REST).n, 14);
    assert_eq!(
        find(REST).members,
        vec![
            label(L, SizeClass::Pop100kTo500k),
            label(S, SizeClass::Pop20kTo50k),
            label(S, SizeClass::Pop50kTo100k),
        ]
    );
    assert_eq!(a.len(), 3);
    assert!(a.iter().all(|c| c.scale == r.scale(Partition::KindSize)));
}

#[test]
fn a_rest_below_k_absorbs_the_smallest_kind_whole_and_a_kind_rest_its_smallest_cell() {
    let r = round(Grid::KindSize, 5);
    let c = counts(&[
        (G, SizeClass::PopLt5k, 12),
        (S, SizeClass::Pop50kTo100k, 6),
        (S, SizeClass::Pop20kTo50k, 8),
        (L, SizeClass::Pop100kTo500k, 2),
    ]);
    let a = announce(&r, &c).expect("announce");
    assert_partition(&r, &c, &a);
    let rest = a.iter().find(|c| c.cell == REST).expect("rest");
    assert_eq!(
        rest.n, 14,
        "Gemeinde (12, the smaller kind) joined the Landkreis 2"
    );
    assert!(rest.members.contains(&label(G, SizeClass::PopLt5k)));
    assert_eq!(a.len(), 3);
    // Stadt stays derivable, Gemeinde does not.
    assert!(derivable(&a, &Cohort::Kind(S)).is_some());
    assert!(derivable(&a, &Cohort::Kind(G)).is_none());
    // Within a kind: a small rest takes the kind's smallest cell, not another kind's.
    let c = counts(&[
        (G, SizeClass::PopLt5k, 12),
        (G, SizeClass::Pop5kTo20k, 7),
        (G, SizeClass::Pop20kTo50k, 3),
        (S, SizeClass::Pop50kTo100k, 6),
    ]);
    let a = announce(&r, &c).expect("announce");
    assert_partition(&r, &c, &a);
    let labels: Vec<&str> = a.iter().map(|c| c.cell.as_str()).collect();
    assert_eq!(
        labels,
        vec![
            "kind=gemeinde,size=lt5k",
            "kind=gemeinde,size=rest",
            "kind=stadt,size=50k-100k"
        ]
    );
    assert_eq!(a[1].n, 10, "the Gemeinde 3 took the Gemeinde cell of 7");
    assert!(derivable(&a, &Cohort::Kind(G)).is_some());
}

#[test]
fn fewer_than_k_overall_announce_nothing_and_grid_all_adds_all() {
    let r = round(Grid::KindSize, 10);
    let small = counts(&[(G, SizeClass::PopLt5k, 4), (S, SizeClass::Pop20kTo50k, 5)]);
    assert!(announce(&r, &small).expect("announce").is_empty());
    assert!(announce(&round(Grid::AllKindSize, 10), &small)
        .expect("announce")
        .is_empty());
    let r = round(Grid::AllKindSize, 5);
    let c = counts(&[(G, SizeClass::PopLt5k, 7), (S, SizeClass::Pop20kTo50k, 5)]);
    let a = announce(&r, &c).expect("announce");
    assert_eq!(a[0].cell, ALL);
    assert_eq!(a[0].n, 12);
    assert_eq!(a[0].members.len(), 2);
    assert_eq!(a[0].scale, r.scale(Partition::All));
    assert_eq!(partition(&a[0]), Partition::All);
    assert_eq!(a.len(), 3);
    assert_partition(&r, &c, &a);
    // `all` is not a kind × size cell.
    assert_eq!(cell_of(&a, &label(G, SizeClass::PopLt5k)), Some(1));
    assert!(announce(&r, &BTreeMap::from([("all".to_string(), 3)])).is_err());
}

#[test]
fn check_refuses_a_changed_announcement_and_a_cell_below_k() {
    let r = round(Grid::KindSize, 5);
    let c = counts(&[(G, SizeClass::PopLt5k, 12), (S, SizeClass::Pop20kTo50k, 6)]);
    let a = announce(&r, &c).expect("announce");
    check(&r, &c, &a).expect("the partition");
    // A single cell split off: below k.
    let mut split = a.clone();
    split.push(pb::AnnouncedCell {
        cell: label(L, SizeClass::PopLt5k),
        members: vec![label(L, SizeClass::PopLt5k)],
        n: 1,
        scale: a[0].scale,
    });
    let err = check(&r, &c, &split).expect_err("below k");
    assert!(err.to_string().contains("fewer than k"), "{err}");
    // A changed count, a changed scale, a dropped cell.
    let mut changed = a.clone();
    changed[0].n += 1;
    assert!(check(&r, &c, &changed).is_err());
    let mut scaled = a.clone();
    scaled[1].scale /= 2.0;
    assert!(check(&r, &c, &scaled).is_err());
    assert!(check(&r, &c, &a[..1]).is_err());
}

#[test]
fn derivable_cohorts_are_unions_of_announced_cells() {
    let r = round(Grid::AllKindSize, 5);
    let c = counts(&[
        (G, SizeClass::PopLt5k, 12),
        (G, SizeClass::Pop5kTo20k, 3),
        (G, SizeClass::Pop20kTo50k, 4),
        (S, SizeClass::Pop20kTo50k, 9),
    ]);
    let a = announce(&r, &c).expect("announce");
    let idx = |l: &str| a.iter().position(|c| c.cell == l).expect("cell");
    assert_eq!(
        derivable(&a, &Cohort::All),
        Some((1..a.len()).collect::<Vec<_>>()),
        "all: every kind × size cell, not the cell all"
    );
    assert_eq!(
        derivable(&a, &Cohort::Kind(G)),
        Some(vec![
            idx("kind=gemeinde,size=lt5k"),
            idx("kind=gemeinde,size=rest")
        ])
    );
    assert_eq!(
        derivable(&a, &Cohort::Kind(S)),
        Some(vec![idx("kind=stadt,size=20k-50k")])
    );
    assert_eq!(derivable(&a, &Cohort::Kind(L)), None, "no contributors");
    assert_eq!(
        derivable(&a, &Cohort::Size(SizeClass::PopLt5k)),
        Some(vec![idx("kind=gemeinde,size=lt5k")])
    );
    // 20k-50k: the Gemeinde part is merged with 5k-20k.
    assert_eq!(derivable(&a, &Cohort::Size(SizeClass::Pop20kTo50k)), None);
    assert_eq!(
        derivable(&a, &Cohort::KindSize(G, SizeClass::PopLt5k)),
        Some(vec![idx("kind=gemeinde,size=lt5k")])
    );
    assert_eq!(
        derivable(&a, &Cohort::KindSize(G, SizeClass::Pop5kTo20k)),
        None
    );
    assert_eq!(derivable(&a, &Cohort::State("DE-NW".into())), None);
}

#[test]
fn the_merge_size_follows_the_noise() {
    // ε = 100 on one 1-5 score: the noise is negligible, so cells merge below k only.
    let r = round(Grid::KindSize, 5);
    assert_eq!(merge_size(&r).expect("n*"), 5);
    // The default round at ε = 2 with 3 of 5 trustees: a 1-5 score needs n ≥ q / 1.0, the
    // self-test total n ≥ q5 / 4.0 (its noise is the sum over five components).
    let (committee, _) = deal_for_tests(5, 3, &mut rand::rngs::OsRng).expect("committee");
    let c = Catalogue::shared();
    let r = SecureRound {
        committee,
        trustee_keys: vec![vec![0; 32]; 5],
        epsilon: 2.0,
        metrics: c.default_round_metrics().into_iter().cloned().collect(),
        min_cohort: 10,
        path_bound: 0,
        ..round(Grid::KindSize, 10)
    };
    let alpha = (-1.0 / r.scale(Partition::KindSize)).exp();
    let q1 = crate::noise::half_width(5.0 / 3.0, alpha, 0.95).expect("q") as f64;
    let q5 = crate::noise::half_width(25.0 / 3.0, alpha, 0.95).expect("q") as f64;
    let n = merge_size(&r).expect("n*");
    assert_eq!(f64::from(n), q1.min(q5 / 4.0).ceil(), "q1 {q1}, q5 {q5}");
    assert!(n > 10, "{n}");
    // A cell of that size is announced alone; one smaller is merged.
    let counts = counts(&[
        (G, SizeClass::PopLt5k, n),
        (G, SizeClass::Pop5kTo20k, n - 1),
        (G, SizeClass::Pop20kTo50k, 1),
    ]);
    let a = announce(&r, &counts).expect("announce");
    assert_eq!(a.len(), 2, "{a:?}");
    assert_eq!(a[0].cell, "kind=gemeinde,size=lt5k");
    assert_eq!(a[1].cell, "kind=gemeinde,size=rest");
}
