//! Arbitrary text as an inventory CSV: parsing never panics, and what parses writes back to a
//! CSV that parses to the same systems (German and English headers).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sovbench_core::i18n::Lang;
use sovbench_node::inventory::io::{parse_csv, to_csv};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(systems) = parse_csv(text) {
        for lang in [Lang::De, Lang::En] {
            let csv = to_csv(&systems, lang).expect("written");
            let again = parse_csv(&csv).expect("written CSV parses");
            assert_eq!(again, systems, "{lang:?}");
        }
    }
});
