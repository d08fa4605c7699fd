//! The cryptographic core of encrypted aggregation with a trustee committee (mode `secure`,
//! docs/SECURE-AGGREGATION.md): what node, aggregator and trustees compute, without I/O.
//!
//! - [`committee`]: the committee of *m* trustees with threshold *t*: its public key set, made by
//!   distributed key generation so that no party ever holds the whole key: [`dkg`] among local
//!   participants, [`session`] for trustees apart whose messages the aggregator relays
//!   (`DkgSession`: persisted between polls, sealed secret shares).
//! - [`round`]: the checked secure round parameters (components, sensitivity, noise scales).
//! - [`encoding`]: what a node encrypts for one metric (exponential ElGamal on Ristretto255), with
//!   a zero-knowledge proof that the value is in the metric's range (one-hot for categories); the
//!   aggregator verifies it and adds the ciphertexts into cells.
//! - [`bulletin`]: the hash-chained list of accepted submissions and the trustees' recomputation
//!   of the cells from it ([`bulletin::Tally`]).
//! - [`grid`]: the partition of cells the trustees decrypt, and which cohorts follow by summation.
//! - [`noise`]: each trustee's noise share, the difference of two Pólya variables; any
//!   *m* − *t* + 1 shares add up to exactly a discrete Laplace variable; the exact distribution of
//!   summed noise for the intervals.
//! - [`decryption`]: verifiable decryption shares, their check and combination, and the lookup of
//!   the noisy sum (baby-step giant-step for large ranges).
//! - [`publish`]: the published cells from the decrypted sums, with exact 95% intervals.
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
//! // The proof is bound to the round and the submitting node's key.
//! let ctx = encoding::Context { round_id: "2026-q4", signer: &[7; 32] };
//! let sub = encoding::encrypt(committee.key(), def, &TrueValue::Int(4), &ctx, &mut rng).unwrap();
//! let cells = sub.verify(committee.key(), def, &ctx).unwrap(); // the aggregator's check
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
