//! The cryptographic core of encrypted aggregation with a trustee committee (mode `secure`,
//! docs/SECURE-AGGREGATION.md). It is a library with its own tests and benchmarks; rounds do not
//! use it yet (the wire format, the trustee program and the round path are the next steps).
//!
//! - [`committee`]: the committee of *m* trustees with threshold *t*: its public key set, made by
//!   distributed key generation ([`dkg`]) so that no party ever holds the whole key.
//! - [`encoding`]: what a node encrypts for one metric (exponential ElGamal on Ristretto255), with
//!   a zero-knowledge proof that the value is in the metric's range (one-hot for categories); the
//!   aggregator verifies it and adds the ciphertexts into cells.
//! - [`noise`]: each trustee's noise share, the difference of two Pólya variables; any
//!   *m* − *t* + 1 shares add up to exactly a discrete Laplace variable.
//! - [`decryption`]: verifiable decryption shares, their combination and the lookup of the noisy
//!   sum.
//!
//! The group arithmetic, proofs and threshold decryption come from the `elastic-elgamal` crate,
//! whose authors state that it has **not been independently audited**.
//!
//! ```
//! use sovbench_secure::{committee, decryption, encoding};
//! use sovbench_core::catalogue::{Catalogue, TrueValue};
//! let mut rng = rand::rngs::OsRng;
//! let (committee, trustees) = committee::deal_for_tests(5, 3, &mut rng).unwrap();
//! let def = Catalogue::shared().metric("selftest.datenhoheit").unwrap();
//! let sub = encoding::encrypt(committee.key(), def, &TrueValue::Int(4), &mut rng).unwrap();
//! let cells = sub.verify(committee.key(), def).unwrap(); // the aggregator's check
//! let shares: Vec<_> = trustees[..3].iter().map(|t| decryption::share(t, cells[0], &mut rng)).collect();
//! let table = decryption::Table::new(10, 0);
//! // The plaintext is the score minus the metric's lower bound: 4 − 1.
//! assert_eq!(decryption::combine(&committee, cells[0], &shares, &table).unwrap().value, 3);
//! ```

pub mod bulletin;
pub mod committee;
pub mod decryption;
pub mod dkg;
pub mod encoding;
pub mod error;
pub mod grid;
pub mod noise;
pub mod publish;
pub mod round;
pub mod session;

pub use error::SecureError;

/// The group: Ristretto255.
pub type Group = elastic_elgamal::group::Ristretto;
/// An exponential-ElGamal ciphertext under the committee key.
pub type Ciphertext = elastic_elgamal::Ciphertext<Group>;
/// The committee's (or a trustee's) public key.
pub type PublicKey = elastic_elgamal::PublicKey<Group>;
/// A trustee's key share and the committee's public key set.
pub type Trustee = elastic_elgamal::sharing::ActiveParticipant<Group>;
