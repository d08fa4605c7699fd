//! Arbitrary bytes as an inventory ODS file: reading never panics (spreadsheet-ods parses the
//! zip container and XML; our code reads the rows).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sovbench_node::inventory::io::read_file;

fuzz_target!(|data: &[u8]| {
    let path = std::env::temp_dir().join(format!("sovbench-fuzz-{}.ods", std::process::id()));
    if std::fs::write(&path, data).is_ok() {
        let _ = read_file(&path);
    }
});
