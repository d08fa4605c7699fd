//! What a sovbench node and an aggregator must agree on byte for byte.
//!
//! - [`envelope`]: Ed25519 identities, signing of [`pb::Payload`]s into [`pb::SignedMessage`]s and
//!   verification over the exact received bytes *before* decoding.
//! - [`catalogue`]: the versioned metric catalogue (ids, labels, bounds, mechanisms) and its hash,
//!   which every round carries so that both sides mean the same by a value.
//! - [`selftest`]: the five-dimension sovereignty self-test of the report, its total and maturity
//!   band.
//! - [`cohort`]: kinds of administration, Bundesländer, size classes and the cohort labels of a
//!   publication.
//! - [`peers`]: match score, pseudonyms and sealed contact cards of peer matching.
//! - [`private`]: data at rest: data directories 0700, files 0600, whatever the umask.
//! - [`ids`]: the grammar of round and ceremony ids.
//! - [`i18n`]: the two languages of user-facing output; [`help`]: the German `--help` of the
//!   three programs.
//! - [`tls_text`]: the TLS problems of the node's and the trustee's link in both languages;
//!   [`tls_probe`]: the handshake that learns why an aggregator with mTLS refused a client.
//!
//! ```
//! use sovbench_core::selftest::{Assessment, Band};
//! let a = Assessment::from_scores([2, 3, 2, 4, 1]).unwrap();
//! assert_eq!(a.total(), 12);
//! assert_eq!(a.band(), Band::Hybrid);
//! ```

pub mod catalogue;
pub mod cell;
pub mod clock;
pub mod cohort;
pub mod display;
pub mod envelope;
pub mod files;
pub mod help;
pub mod i18n;
pub mod ids;
pub mod kv;
pub mod logging;
pub mod paths;
pub mod peers;
pub mod private;
pub mod selftest;
pub mod time;
pub mod tls_probe;
pub mod tls_text;
pub mod vocab;

pub use sovbench_proto::pb;

/// Current time as Unix seconds (UTC), from the system clock. Node and aggregator read the time
/// through their [`clock::Clock`]; this is for benchmarks and the start time of simulations.
pub fn now_unix() -> i64 {
    use clock::Clock as _;
    clock::SystemClock.now()
}

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// Makes a command-line program end quietly (exit code 141, as a shell reports SIGPIPE) when its
/// output is piped into a program that stops reading early (`| head`), instead of panicking with
/// "failed printing to stdout: Broken pipe". Other panics keep the default report.
pub fn quiet_on_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let text = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if text.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info);
    }));
}
