//! Integration tests of the `sovbench-trustee` binary (one test binary; one module per feature):
//!
//! - `cli`: help, exit codes, init and status in German and English, `config aggregator-ca`.
//! - `serving`: against a real aggregator in the test process: `dkg --json`, `status` and
//!   `status --json` beside `serve`, idle polls counted as idle (trustee and aggregator), a
//!   clean stop on SIGTERM.

mod cli;
mod serving;
