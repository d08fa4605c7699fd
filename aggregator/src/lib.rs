//! The sovbench aggregator: one per consortium (for example a state data centre).
//!
//! It enrols the public keys of the consortium's administrations with their cohort attributes,
//! opens signed benchmarking rounds, verifies and durably stores the signed, privatised
//! submissions of the nodes (signature first, over the exact received bytes), and publishes
//! signed benchmarks per cohort with 95% confidence intervals, suppressing every cell with fewer
//! contributors than the round's minimum k. It also relays peer matching with double opt-in.
//!
//! Modules, in the direction of their imports (`cli` → `service` → [`Aggregator`] → concepts →
//! `store`/`model` → `sovbench_core` → `sovbench_proto`):
//!
//! | module | what it does |
//! |---|---|
//! | [`cli`] | the `sovbench-aggregator` command line, one file per command group |
//! | [`service`] | the gRPC service and the server loop (auto-close of due rounds, clean shutdown) |
//! | [`aggregator`] | [`Aggregator`]: data directory, store, key, clock, commit worker, peer desk; the operations |
//! | [`tls`] | TLS with rustls: the acceptor fed to the server, mTLS, certificates reloaded without a restart |
//! | [`enrolment`] | enrol, revoke and list the consortium's keys |
//! | [`enrolment_check`] | `CheckEnrolment`: a node's signed question whether it is enrolled, answered signed before it spends budget |
//! | [`rounds`] | [`RoundSpec`], [`RoundInfo`]; open, find, close and list rounds |
//! | [`admission`] | size, signature over the exact bytes, message kind, enrolment and revocation checks |
//! | [`submission`] | the checks of a submission against its round, and its hand-over to the commit worker |
//! | [`commit`] | the group-commit worker: duplicate and revocation checks, round close, revocation, durable writes; answers only after a durable commit |
//! | [`acks`] | the acknowledgement record `acks.log` (counts, digests, round states) and its comparison with the store at start |
//! | [`publication`] | publish a closed round, find publications, render them as text and JSON export |
//! | [`estimate`] | estimators, variances, 95% intervals; suppression and cohort fallback |
//! | [`peers`] | peer matching: the desk, its match index (`book`), seven handlers, the overview |
//! | [`portal`] | the benchmark portal: archive of publications, HTTP API (JSON, CSV, trends, OpenAPI) and dashboard |
//! | [`secure`] | mode secure: DKG relay, bulletin, trustee phases, decryption and publication |
//! | [`store`] | the aggregator's sled store (the only module naming sled) |
//! | [`model`] | the records the store keeps |
//! | [`error`] | [`AggError`] and its single mapping to gRPC status codes |
//! | [`admin`] | the admin API: operator commands while serving, signed by an operator key; `status`; the sizing preview |
//! | [`metrics`] | Prometheus counters and gauges, `GET /metrics` on a listener of its own |
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

pub mod acks;
pub mod admin;
pub mod admission;
pub mod aggregator;
pub mod cli;
pub mod commit;
pub mod enrolment;
pub mod enrolment_check;
pub mod error;
pub mod estimate;
pub mod metrics;
pub mod model;
pub mod peers;
pub mod portal;
pub mod publication;
pub mod rounds;
pub mod secure;
pub mod service;
pub mod store;
pub mod submission;
pub mod tls;

pub use aggregator::Aggregator;
pub use error::AggError;
pub use rounds::{RoundInfo, RoundSpec, SecureSpec};
pub use secure::ceremony::CeremonyInfo;
