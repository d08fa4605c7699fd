//! Arbitrary text as a self-test file (TOML and JSON): reading never panics, and an accepted
//! assessment has every score in 1-5.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sovbench_core::selftest::Dimension;
use sovbench_node::selftest::read_assessment_file;

fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir();
    for ext in ["toml", "json"] {
        let path = dir.join(format!("sovbench-fuzz-{}.{ext}", std::process::id()));
        if std::fs::write(&path, data).is_err() {
            return;
        }
        if let Ok(a) = read_assessment_file(&path) {
            for d in Dimension::ALL {
                assert!((1..=5).contains(&a.score(d)), "{d:?}");
            }
        }
    }
});
