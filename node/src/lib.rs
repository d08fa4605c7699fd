//! The sovbench node: one per administration.
//!
//! It keeps the administration's own data in a local sled store (the self-test history, the
//! privacy ledger, the outbox, receipts and publications) and releases only differentially
//! private values, each produced by an OpenDP measurement, signed with the administration's own
//! Ed25519 key and sent over gRPC to the consortium's aggregator, within a privacy budget the node
//! enforces itself.
//!
//! Main types: [`Node`] (the operations), [`config::NodeConfig`] (the `node.toml` file with the
//! privacy policy), [`store::Store`] (the only module that knows sled), [`privatise`] (OpenDP).
//!
//! ```no_run
//! # async fn demo() -> Result<(), sovbench_node::NodeError> {
//! use sovbench_core::selftest::Assessment;
//! use sovbench_node::{InitOptions, Node};
//! let node = Node::init(std::path::Path::new("/tmp/amt"), InitOptions {
//!     name: "Gemeinde Musterhausen".into(), kind: "gemeinde".into(), state: "DE-NW".into(),
//!     size: 12_000, aggregator_url: Some("http://127.0.0.1:7443".into()),
//!     aggregator_key: Some("…base64…".into()), policy: None,
//! })?;
//! node.record_assessment(Assessment::from_scores([2, 2, 3, 3, 1])?)?;
//! let report = node.submit().await?;
//! # Ok(()) }
//! ```

pub mod cli;
pub mod cli_inventory;
pub mod cli_peers;
pub mod client;
pub mod config;
pub mod error;
pub mod inventory;
pub mod migration;
pub mod model;
pub mod node;
pub mod peers;
pub mod privacy_report;
pub mod privatise;
pub mod procurement;
pub mod readiness;
pub mod report;
pub mod store;

pub use error::NodeError;
pub use node::{InitOptions, Node};
