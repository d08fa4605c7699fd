//! Arbitrary text as `node.toml`: parsing never panics, and an accepted configuration
//! serialises back to TOML that parses to the same configuration.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sovbench_node::config::NodeConfig;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(cfg) = NodeConfig::parse(text) {
        let written = toml::to_string(&cfg).expect("serialises");
        assert_eq!(NodeConfig::parse(&written).expect("written config parses"), cfg);
    }
});
