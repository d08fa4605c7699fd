//! Wire format of sovbench.
//!
//! This crate holds the protobuf messages and the gRPC service definition, generated at build time
//! from `proto/sovbench/v1/sovbench.proto` by `protox` and `tonic-prost-build` (no system
//! `protoc`). It has no I/O, no storage, no crypto and no policy: those live in `sovbench-core`
//! (envelope, catalogue), `sovbench-node` and `sovbench-aggregator`.
//!
//! ```
//! use sovbench_proto::pb;
//! let req = pb::GetRoundRequest { round_id: String::new() };
//! assert!(req.round_id.is_empty());
//! ```

pub mod codec;

/// Generated protobuf and gRPC code, package `sovbench.v1`.
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod pb {
    tonic::include_proto!("sovbench.v1");
}

/// Protocol version carried in every `Payload`.
pub const PROTOCOL_VERSION: u32 = 1;

/// Largest encoded `SignedMessage` a server accepts or a client sends (64 KiB).
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// Largest encoded message of the `TrusteeDesk` service (8 MiB): a trustee's noise or decryption
/// shares cover every component of every announced cell (a path round of 11,000 administrations
/// has thousands), far beyond a node's 64 KiB.
pub const MAX_TRUSTEE_MESSAGE_BYTES: usize = 8 * 1024 * 1024;

/// Largest answer of the `TrusteeDesk` service (64 MiB): an announcement carries every included
/// noise post.
pub const MAX_TRUSTEE_ANSWER_BYTES: usize = 64 * 1024 * 1024;

/// The encoded `FileDescriptorSet` of `sovbench.proto` (for gRPC server reflection).
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/sovbench_descriptor.bin"));
