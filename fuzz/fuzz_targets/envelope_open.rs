//! Arbitrary bytes as a `SignedMessage` on the wire: decoding and opening never panic, and a
//! message that opens re-encodes to a payload whose hash is the one reported.
#![no_main]

use libfuzzer_sys::fuzz_target;
use prost::Message as _;
use sovbench_core::{envelope, pb};

fuzz_target!(|data: &[u8]| {
    if let Ok(msg) = pb::SignedMessage::decode(data) {
        if let Ok(v) = envelope::open(&msg) {
            assert_eq!(v.payload_hash, sovbench_core::sha256(&msg.payload));
            assert_eq!(v.signer, msg.signer);
        }
    }
    // The payload decoder alone, as the aggregator runs it after a signature verified.
    if let Ok(p) = pb::Payload::decode(data) {
        // Compared as bytes: a payload may carry NaN floats, which are never equal to themselves.
        let bytes = p.encode_to_vec();
        let again = pb::Payload::decode(bytes.as_slice()).expect("re-encoded payload decodes");
        assert_eq!(again.encode_to_vec(), bytes);
    }
});
