//! Integration tests of the `sovbench-node` binary (one test binary for the crate):
//!
//! - `cli`: every command that needs no aggregator, as text and with `--json`.

mod cli;
