//! Integration tests of the `sovbench-node` binary (one test binary for the crate):
//!
//! - `cli`: every command that needs no aggregator, as text and with `--json`.
//! - `daemon`: against a real aggregator in the test process: `serve` beside `status` and
//!   `inventory`, SIGTERM, the exit codes (refused, queued, unreachable), the outbox following
//!   the configured address.

mod cli;
mod daemon;
mod web;
