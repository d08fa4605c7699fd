//! The sovbench aggregator: one per consortium (for example a state data centre).
//!
//! It enrols the public keys of the consortium's administrations with their cohort attributes,
//! opens signed benchmarking rounds, verifies and durably stores the signed, privatised
//! submissions of the nodes (signature first, over the exact received bytes), and publishes
//! signed benchmarks per cohort with 95% confidence intervals, suppressing every cell with fewer
//! contributors than the round's minimum k.
//!
//! Main types: [`Aggregator`] (the operations), [`service::serve`] (the gRPC server),
//! [`estimate`] (estimators), [`store::Store`] (the only module that knows sled),
//! [`commit`] (group commit of submissions), [`export`] (the JSON export), [`peers`] (peer
//! matching with double opt-in).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use sovbench_aggregator::{Aggregator, service};
//! let agg = Arc::new(Aggregator::init(std::path::Path::new("/tmp/agg"), "IT-Verbund Nord")?);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! service::serve(agg, listener, Default::default(), async { let _ = tokio::signal::ctrl_c().await; }).await?;
//! # Ok(()) }
//! ```

pub mod aggregator;
pub mod cli;
pub mod commit;
pub mod error;
pub mod estimate;
pub mod export;
pub mod model;
pub mod peers;
pub mod service;
pub mod store;

pub use aggregator::{Aggregator, RoundInfo, RoundSpec};
pub use error::AggError;
