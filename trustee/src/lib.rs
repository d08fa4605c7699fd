//! The trustee of mode `secure` (docs/SECURE-AGGREGATION.md): an institution of the consortium
//! (a state data centre, a data protection authority, a university) holding one share of the
//! committee's threshold ElGamal key. It runs unattended and is only a gRPC client of the
//! aggregator, which relays the key generation and serves the bulletin and the announcements.
//!
//! - [`Trustee`] ([`trustee`]): `init` (identity key, `trustee.toml`, store), `open`.
//! - [`status`]: what `status` shows, from the store or, while `serve` holds it, from `serve`'s
//!   status file; the passes of `serve` counted (idle, work, refused, errors).
//! - [`Trustee::dkg`] ([`dkg`]): the distributed key generation through the aggregator's board.
//! - [`Trustee::work_once`] / [`Trustee::serve`] ([`work`]): per round, check the bulletin and the
//!   NOISE announcement and post encrypted noise shares; check the DECRYPT announcement and post
//!   verifiable decryption shares of ciphertexts the trustee computed itself.
//! - [`check`]: those checks as functions over decoded messages, without a network.
//! - [`config`]: `trustee.toml`, and `config aggregator-ca` setting its CA.
//! - [`client`]: the thin gRPC layer; every answer is verified against the pinned aggregator key.
//! - [`store`]: the sled store (mode 0700/0600: it holds the key share).
//!
//! The cryptography comes from `sovbench-secure` and the `elastic-elgamal` crate, whose authors
//! state that it has **not been independently audited**.
//!
//! ```no_run
//! # async fn demo() -> Result<(), sovbench_trustee::TrusteeError> {
//! use std::path::Path;
//! use std::time::Duration;
//! let t = sovbench_trustee::Trustee::init(
//!     Path::new("/var/lib/sovbench-trustee"),
//!     "http://aggregator.example:7700",
//!     "base64 key of the aggregator",
//! )?;
//! let fingerprint = t.dkg("committee-2026", Duration::from_secs(5)).await?;
//! t.serve(Duration::from_secs(30), std::future::pending()).await?;
//! # let _ = fingerprint; Ok(()) }
//! ```

pub mod check;
pub mod cli;
pub mod client;
pub mod config;
pub mod dkg;
pub mod error;
pub mod model;
pub mod status;
pub mod store;
pub mod trustee;
pub mod work;

pub use error::TrusteeError;
pub use status::{CommitteeStatus, RoundStatus, ServeState, TrusteeStatus};
pub use trustee::Trustee;
pub use work::Work;
