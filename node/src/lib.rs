//! The sovbench node: one per administration.
//!
//! It keeps the administration's own data in a local sled store (the self-test history, the
//! inventory, migration paths, the privacy ledger, the outbox, receipts and publications) and
//! releases only differentially private values, each produced by an OpenDP measurement, signed
//! with the administration's own Ed25519 key and sent over gRPC to the consortium's aggregator,
//! within a privacy budget the node enforces itself.
//!
//! Imports run one way: [`cli`] → the operations ([`selftest`], [`round`], [`compare`],
//! [`peers`], [`daemon`], the `edit`/`annual`/`criteria` parts of the concept modules) → the
//! [`node::Node`] handle and [`link`] → [`store`] and the records ([`model`], [`peers::model`],
//! [`inventory`], [`migration`], [`procurement`], [`readiness`]) → `sovbench_core` → the wire types.
//!
//! | module | what it does |
//! |---|---|
//! | [`node`] | the [`Node`]: `init`, `open`, and the handles every operation uses (store, config, clock, link, signing) |
//! | [`selftest`] | recording a self-test, its history, reading the answers from a file |
//! | [`facts`] | what metrics are computed from: true values of released metrics, own values of published cells |
//! | [`round`] | `prepare` and `submit` a round's release, deliver the outbox; [`round::policy`]: round check and budget per year |
//! | [`compare`] | fetching and verifying a publication, the comparison with the cohorts |
//! | [`privacy`] | OpenDP privatisation ([`privacy::privatise`]) and the report for the data protection officer |
//! | [`inventory`] | system records, their summary, edit rules, file import/export, risk, alternatives |
//! | [`migration`] | migration paths, stage rules, recording and moving them |
//! | [`readiness`] | the switch-readiness check, performing and storing it, its text |
//! | [`procurement`] | criteria matrix and its edits, candidate scoring and export |
//! | [`peers`] | peer matching: offers, match lists, contact requests, card exchange |
//! | [`report`] | the self-contained HTML status report |
//! | [`present`] | text renderings used by the CLI, the demo and the tests |
//! | [`daemon`] | the `serve` loop |
//! | [`web`] | the browser workplace (`serve --http-listen`): pages, sessions, CSRF, roles |
//! | [`hosting`] | hosted mode: a hosting directory with one node per administration (tenant) |
//! | [`people`] | accounts (Argon2id), roles, sessions, the log of changes |
//! | [`link`] | the one gRPC channel to the aggregator and the one mapping of its status codes |
//! | [`store`] | the sled store (the only module naming sled) |
//! | [`model`] | profile, self-test and ledger records |
//! | [`config`] | `node.toml`: aggregator address and key, language, privacy policy |
//! | [`error`] | [`NodeError`] |
//! | [`cli`] | the `sovbench-node` command line, one file per command group |
//!
//! ```no_run
//! # async fn demo() -> Result<(), sovbench_node::NodeError> {
//! use sovbench_core::selftest::Assessment;
//! use sovbench_node::{round, selftest, InitOptions, Node};
//! let node = Node::init(std::path::Path::new("/tmp/amt"), InitOptions {
//!     name: "Gemeinde Musterhausen".into(), kind: "gemeinde".into(), state: "DE-NW".into(),
//!     size: 12_000, aggregator_url: Some("http://127.0.0.1:7443".into()),
//!     aggregator_key: Some("…base64…".into()), policy: None,
//!     committee_fingerprint: None,
//! })?;
//! selftest::record(&node, Assessment::from_scores([2, 2, 3, 3, 1])?)?;
//! let report = round::submit(&node).await?;
//! # Ok(()) }
//! ```

pub mod cli;
pub mod compare;
pub mod config;
pub mod daemon;
pub mod error;
pub mod facts;
pub mod hosting;
pub mod inventory;
pub mod link;
pub mod migration;
pub mod model;
pub mod node;
pub mod peers;
pub mod people;
pub mod present;
pub mod privacy;
pub mod procurement;
pub mod readiness;
pub mod report;
pub mod round;
pub mod selftest;
pub mod store;
pub mod web;

pub use error::NodeError;

/// Starts jemalloc's background thread, which returns freed memory to the system within about
/// ten seconds (its default decay), also while the process is idle. Without it a hosted node
/// keeps the memory of every store it has opened and closed until its own threads allocate
/// again. Binaries that use jemalloc as their allocator call this first; elsewhere it does
/// nothing (and says so in the log).
pub fn return_freed_memory() {
    if let Err(e) = tikv_jemalloc_ctl::background_thread::write(true) {
        tracing::debug!(error = %e, "jemalloc's background thread not started");
    }
}
pub use node::{InitOptions, Node};
