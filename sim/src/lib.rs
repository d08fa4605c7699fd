//! Simulated administrations for sovbench: the demo federation and the load generator.
//!
//! - [`population`]: a seeded, plausible population of administrations with true self-test
//!   answers, calibrated to the figures of the report.
//! - [`federation`]: a whole federation on loopback: a real aggregator on `127.0.0.1:0` and N real
//!   nodes, each with its own store and key, all going through the real gRPC path.
//! - [`secure`] and [`secure_round`]: benchmarks of mode secure, of its cryptographic core and of
//!   a whole round through the real aggregator and trustees.
//! - [`coverage`]: how often a publication's intervals contain the true values.
//! - [`hosted_bench`]: a hosted node with 1,000 administrations: memory at rest, page latency
//!   with 50 people at once, and the delivery of every submission of a secure round.
//! - [`enrolment_bench`]: keys enrolled through the admin API of a served aggregator, with
//!   concurrent callers; the cost of one enrolment must not grow with the count.
//! - [`portal_bench`]: the benchmark portal over 20 rounds: trends of the full grid, dashboard pages.
//! - [`durability`]: store size against raw bytes, and the kill loop (SIGKILL at random moments
//!   while nodes submit; nothing lost, nothing counted twice).
//! - [`docgen`]: shell completions and man pages of the three daemons from their clap
//!   definitions (`sovbench-gen DIR`).
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use sovbench_sim::federation::{start, FederationConfig};
//! let fed = start(&FederationConfig { nodes: 30, ..Default::default() }).await?;
//! let publication = fed.publish().await?;
//! fed.shutdown().await?;
//! # Ok(()) }
//! ```

pub mod bench;
pub mod coverage;
pub mod docgen;
pub mod durability;
pub mod enrolment_bench;
pub mod federation;
pub mod hosted_bench;
pub mod population;
pub mod portal_bench;
pub mod secure;
pub mod secure_round;
pub mod truth;
pub mod utility;
