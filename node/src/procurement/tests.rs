//! Tests of candidate parsing and scoring, with a property test of the weights.

use super::*;
use proptest::prelude::*;

const FILE: &str = r#"
[[candidate]]
name = "Open-Xchange im Landesrechenzentrum"
jurisdiction = "eu_ewr"
hosting = "oeffentlicher_dienstleister"
licence = "open_source"
exit_clause = true
formats = ["IMAP", "iCalendar/CalDAV"]
api = true
[candidate.scores]
barrierefreiheit = 4

[[candidate]]
name = "Exchange Online"
jurisdiction = "us"
hosting = "nicht_eu_anbieter_eu_region"
licence = "proprietaer"
formats = ["IMAP", "OOXML"]
api = true
"#;

#[test]
fn candidates_are_ranked_and_explained() {
    let c = parse_candidates(FILE).unwrap();
    let mut criteria = default_criteria();
    criteria.push(Criterion {
        key: "barrierefreiheit".into(),
        label: "Barrierefreiheit".into(),
        weight: 10.0,
    });
    let s = score(&c, &criteria, Lang::De);
    assert_eq!(s[0].name, "Open-Xchange im Landesrechenzentrum");
    assert!(
        (s[0].total
            - (25.0 * 5.0 + 25.0 * 5.0 + 20.0 * 5.0 + 15.0 * 5.0 + 15.0 * 5.0 + 10.0 * 4.0)
                / (5.0 * 110.0)
                * 100.0)
            .abs()
            < 1e-9
    );
    assert_eq!(s[1].rank, 2);
    let exit = s[1]
        .parts
        .iter()
        .find(|p| p.key == "exitfaehigkeit")
        .unwrap();
    assert_eq!(exit.score, 2.5);
    assert!(exit.why.contains("Ausstiegsklausel nein"), "{}", exit.why);
    let own = s[1]
        .parts
        .iter()
        .find(|p| p.key == "barrierefreiheit")
        .unwrap();
    assert_eq!((own.score, own.why.as_str()), (0.0, "nicht bewertet"));
    assert_eq!(table(&s, &criteria, Lang::De)[0][0], "Rang");
}

#[test]
fn bad_candidate_files_name_the_problem() {
    assert!(parse_candidates("[[candidate]]\nname = \"x\"\njurisdiction = \"mars\"\nhosting = \"eu_cloud\"\nlicence = \"oss\"\n").unwrap_err().to_string().contains("jurisdiction"));
    assert!(parse_candidates("[[candidate]]\nname = \"x\"\njurisdiction = \"eu\"\nhosting = \"eu_cloud\"\nlicence = \"oss\"\n[candidate.scores]\na = 9\n").unwrap_err().to_string().contains("between 0 and 5"));
    assert!(parse_candidates("[[candidate]]\nname = \"x\"\nfarbe = 1\n").is_err());
}

proptest! {
    /// The total is a weighted mean of the parts, so more weight on one criterion moves the lead
    /// of one candidate over another towards that criterion's difference (scaled to 0-100) and
    /// never past it. (The old property ended in `|| oss` and held whenever the second
    /// candidate was open source, whatever the scores did.)
    #[test]
    fn totals_stay_within_0_and_100_and_more_weight_moves_the_lead_towards_that_criterion(
        w in 0.1f64..100.0,
        i in 0usize..5,
        oss in any::<bool>(),
    ) {
        let mut c = parse_candidates(FILE).unwrap();
        c[1].licence = if oss { "open_source".into() } else { "proprietaer".into() };
        let mut criteria = default_criteria();
        let lead_of = |s: &[Scored]| {
            let total = |name: &str| s.iter().find(|x| x.name == name).unwrap().total;
            total("Open-Xchange im Landesrechenzentrum") - total("Exchange Online")
        };
        let s = score(&c, &criteria, Lang::En);
        prop_assert!(s.iter().all(|x| (0.0..=100.0).contains(&x.total)));
        let lead = lead_of(&s);
        let part = |s: &[Scored], name: &str| {
            s.iter().find(|x| x.name == name).unwrap().parts[i].score
        };
        // The criterion's difference on the 0-100 scale of the totals.
        let target = (part(&s, "Open-Xchange im Landesrechenzentrum") - part(&s, "Exchange Online")) * 20.0;
        criteria[i].weight += w;
        let s2 = score(&c, &criteria, Lang::En);
        // Within rounding: a weighted mean of parts that are all 5 can come out as 100 + 1e-14.
        prop_assert!(s2.iter().all(|x| (-1e-9..=100.0 + 1e-9).contains(&x.total)), "{s2:?}");
        let lead2 = lead_of(&s2);
        let (lo, hi) = if target >= lead { (lead, target) } else { (target, lead) };
        prop_assert!(
            lead2 >= lo - 1e-9 && lead2 <= hi + 1e-9,
            "lead {lead} -> {lead2}, criterion {i} difference {target}"
        );
        if (target - lead).abs() > 1e-6 {
            prop_assert!((lead2 - lead).abs() > 1e-9, "the lead must move: {lead} -> {lead2}");
        }
    }
}
