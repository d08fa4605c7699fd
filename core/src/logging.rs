//! Logging of the command-line programs: to stderr, human-readable on a terminal and JSON
//! otherwise, filtered by `SOVBENCH_LOG` (an `EnvFilter` directive such as `debug` or
//! `sovbench_aggregator=debug`).

use std::io::IsTerminal as _;

/// Installs the global tracing subscriber: stderr, the filter from `SOVBENCH_LOG` or else
/// `default_filter` (e.g. `"info"`), plain text on a terminal and JSON lines otherwise. Call once,
/// at the start of `main`; a second call panics (as `tracing_subscriber`'s `init` does).
pub fn init_tracing(default_filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SOVBENCH_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::io::stderr().is_terminal() {
        builder.init();
    } else {
        builder.json().init();
    }
}
