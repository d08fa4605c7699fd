//! Property tests of every parser that reads operator- or peer-supplied text, the in-`cargo test`
//! twin of the fuzz targets in `fuzz/` (docs/TESTING.md): the shipped samples, mutated at random
//! (replaced, inserted and deleted characters), must never panic the parser, and whatever parses
//! must write back to text that parses to the same value. 104,000 cases in all (41,000 each for
//! node.toml and candidate files, 8,000 CSV, 14,000 self-test files).

use proptest::prelude::*;
use sovbench_core::i18n::Lang;
use sovbench_node::config::NodeConfig;
use sovbench_node::inventory::io::{parse_csv, to_csv};
use sovbench_node::procurement::{parse_candidates, Candidate};

const NODE_TOML: &str = include_str!("../../../docs/samples/node.toml");
const CANDIDATES: &str = include_str!("../../../docs/samples/kandidaten.toml");
const INVENTORY: &str = include_str!("../../../docs/samples/inventar.csv");
const SELFTEST: &str = include_str!("../../../docs/samples/selbsttest.toml");

/// Characters that matter to TOML, CSV and numbers, plus a few of anything.
fn interesting_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => proptest::sample::select(vec![
            '"', '\'', '=', '[', ']', '{', '}', ',', ';', '.', '#', '\n', '\r', '\\', ' ', '-',
            '+', '0', '1', '9', 'e', 'E', '_', ':', 'ä', '\u{feff}', '\t',
        ]),
        1 => any::<char>(),
    ]
}

/// `sample` with up to 6 random edits: replace, insert or delete one character.
fn mutated(sample: &'static str) -> impl Strategy<Value = String> {
    proptest::collection::vec(
        (0usize..3, any::<prop::sample::Index>(), interesting_char()),
        0..6,
    )
    .prop_map(move |edits| {
        let mut chars: Vec<char> = sample.chars().collect();
        for (op, at, c) in edits {
            let i = at.index(chars.len() + 1);
            match op {
                0 if i < chars.len() => chars[i] = c,
                1 => chars.insert(i, c),
                _ if i < chars.len() => {
                    chars.remove(i);
                }
                _ => {}
            }
        }
        chars.into_iter().collect()
    })
}

#[derive(serde::Serialize)]
struct CandidateFile<'a> {
    candidate: &'a [Candidate],
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 41_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn node_config_parses_or_refuses_and_round_trips(text in mutated(NODE_TOML)) {
        if let Ok(cfg) = NodeConfig::parse(&text) {
            let written = toml::to_string(&cfg).expect("serialises");
            prop_assert_eq!(NodeConfig::parse(&written).expect("written config parses"), cfg);
        }
    }

    #[test]
    fn candidate_files_parse_or_refuse_and_round_trip(text in mutated(CANDIDATES)) {
        if let Ok(c) = parse_candidates(&text) {
            let written = toml::to_string(&CandidateFile { candidate: &c }).expect("serialises");
            prop_assert_eq!(parse_candidates(&written).expect("written file parses"), c);
        }
    }

}

proptest! {
    // The CSV reader is the slowest of these in an unoptimised build (about 1.5 ms a case).
    #![proptest_config(ProptestConfig { cases: 8_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn inventory_csv_parses_or_refuses_and_round_trips(text in mutated(INVENTORY)) {
        if let Ok(systems) = parse_csv(&text) {
            for lang in [Lang::De, Lang::En] {
                let csv = to_csv(&systems, lang).expect("written");
                prop_assert_eq!(parse_csv(&csv).expect("written CSV parses"), systems.clone());
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 14_000, failure_persistence: None, ..ProptestConfig::default() })]

    /// The assessment file is read from disk: one file per case.
    #[test]
    fn assessment_files_parse_or_refuse_with_scores_in_range(text in mutated(SELFTEST)) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("selbsttest.toml");
        std::fs::write(&path, &text).expect("write");
        if let Ok(a) = sovbench_node::selftest::read_assessment_file(&path) {
            prop_assert!(a.scores().iter().all(|s| (1..=5).contains(s)), "{:?}", a.scores());
        }
    }
}
