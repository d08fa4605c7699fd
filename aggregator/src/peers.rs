//! Peer matching with double opt-in (docs/PEERS.md).
//!
//! The [`Desk`] ([`desk`]) serves it: it holds the in-memory [`PeerBook`] (the match index,
//! [`book`]) and the contact requests behind one lock, a handle to the store, the aggregator's
//! identity for signing answers, the limits and the clock. Its seven handlers ([`handlers`]) take a
//! node's signed message and return a signed answer; [`overview`] is the operator's count.
//!
//! Offers and contact requests live durably in the store and, for matching, in memory. Every node
//! message passes [`crate::admission`] (size, then the signature over the exact received bytes,
//! before decoding), must come from an enrolled, unrevoked key, must be fresh (±5 minutes) and
//! carry a nonce not seen before; every change is committed durably before it is acknowledged.
//!
//! Disclosure: the aggregator learns that a node offers a path, its stage and (from the
//! enrolment) its cohort attributes. Other nodes see per-viewer, per-path pseudonyms with kind,
//! size class and stage. Contact cards travel sealed end to end; the aggregator relays them only
//! after the answer was "accept". A decline looks to the requester exactly like no answer.

pub mod book;
pub mod desk;
pub mod handlers;
pub mod overview;
#[cfg(test)]
mod tests;

pub use book::{PeerBook, RankedMatch};
pub use desk::{Desk, PeerLimits, DEFAULT_MATCHES};
pub use overview::PeerOverview;
