//! Integration tests of the `sovbench-sim` binaries (one test binary; one module per feature):
//!
//! - `bench`: `sovbench-bench hosted` at a tiny scale, so that the hosted node's benchmark keeps
//!   working between its full runs (docs/BENCHMARKS.md).

mod bench;
