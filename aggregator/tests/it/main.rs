//! Integration tests of the `sovbench-aggregator` binary: `serve` as a real process on
//! `127.0.0.1:0` with a temporary data directory, the command line beside it. One binary, one
//! module per feature; cross-crate tests (nodes, trustees) live in the `sovbench-tests` package.

mod at_start; // what serve warns about as it starts: an expired certificate, a data directory others can read
mod harness; // a `serve` process, its log, the command line, crafted submissions
mod serving; // operator commands while serving, gRPC health, the metrics scrape, SIGTERM
