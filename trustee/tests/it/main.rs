//! Integration tests of the `sovbench-trustee` binary (one test binary; one module per feature):
//!
//! - `cli`: help, exit codes, init and status in German and English.

mod cli;
