//! Arbitrary text as a procurement candidate file: parsing never panics, and accepted candidates
//! serialise back to TOML that parses to the same candidates.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sovbench_node::procurement::{parse_candidates, Candidate};

#[derive(serde::Serialize)]
struct File<'a> {
    candidate: &'a [Candidate],
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(c) = parse_candidates(text) {
        let written = toml::to_string(&File { candidate: &c }).expect("serialises");
        assert_eq!(parse_candidates(&written).expect("written file parses"), c);
    }
});
