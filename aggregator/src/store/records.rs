//! How submissions and enrolments are encoded (compact binary records; the old JSON still
//! reads), and how much room a store takes. Pure encoding: sled is named only in `store.rs`.

use crate::error::AggError;
use crate::model::{Enrolment, StoredSubmission};
use prost::Message as _;
use sovbench_core::cohort::{CohortAttributes, Kind, SizeClass};
use sovbench_core::pb;
use std::path::Path;

/// The disk space the files under `dir` take: allocated blocks (sled pre-allocates its log
/// segments, so their length overstates it).
pub fn dir_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_bytes(&e.path()),
            Ok(m) => allocated(&m),
            Err(_) => 0,
        })
        .sum()
}

#[cfg(unix)]
fn allocated(m: &std::fs::Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt as _;
    m.blocks() * 512
}

#[cfg(not(unix))]
fn allocated(m: &std::fs::Metadata) -> u64 {
    m.len()
}

/// First byte of a compactly stored submission (JSON records start with `{`).
const COMPACT: u8 = 0x01;

/// The compact stored form of a submission (private to the store, not a wire message). The
/// received envelope is kept as its payload and signature: the signer is the end of the record's
/// key, and the signature covers the payload alone, so nothing that is verified is lost. The
/// receipt's digest is not kept either: it is the sum over the round's submissions acknowledged
/// up to this one, computed again when a retry asks for its receipt.
#[derive(Clone, PartialEq, prost::Message)]
struct CompactSubmission {
    /// A whole encoded `SignedMessage` (only when the signer is not the key's).
    #[prost(bytes = "vec", tag = "1")]
    message: Vec<u8>,
    #[prost(string, tag = "2")]
    kind: String,
    #[prost(string, tag = "3")]
    state: String,
    #[prost(string, tag = "4")]
    size: String,
    #[prost(int64, tag = "5")]
    stored_at: i64,
    #[prost(uint64, tag = "6")]
    acknowledged: u64,
    #[prost(uint64, tag = "8")]
    seq: u64,
    /// A whole signed receipt (only for records of older versions written again).
    #[prost(bytes = "vec", tag = "9")]
    receipt: Vec<u8>,
    /// The received payload bytes.
    #[prost(bytes = "vec", tag = "10")]
    payload: Vec<u8>,
    /// The received signature.
    #[prost(bytes = "vec", tag = "11")]
    signature: Vec<u8>,
}

/// Bytes of a submission record stored under `key`, as appended to its round's record file:
/// the record, the node's key, and the frame's length and checksum ([`super::logs`]).
pub fn encoded_len(key: &[u8], s: &StoredSubmission) -> usize {
    super::logs::FRAME_OVERHEAD + signer_of(key).len() + encode_submission(key, s).len()
}

/// The node's raw public key at the end of a submission key.
pub(super) fn signer_of(key: &[u8]) -> &[u8] {
    &key[key
        .len()
        .saturating_sub(sovbench_core::envelope::PUBLIC_KEY_LEN)..]
}

pub(super) fn encode_submission(key: &[u8], s: &StoredSubmission) -> Vec<u8> {
    let mut c = CompactSubmission {
        message: Vec::new(),
        kind: s.attributes.kind.key().to_string(),
        state: s.attributes.state.clone(),
        size: s.attributes.size.key().to_string(),
        stored_at: s.stored_at,
        acknowledged: s.acknowledged,
        seq: s.seq,
        receipt: s.receipt.clone(),
        payload: Vec::new(),
        signature: Vec::new(),
    };
    match pb::SignedMessage::decode(s.message.as_slice()) {
        Ok(m) if m.signer == signer_of(key) => {
            c.payload = m.payload;
            c.signature = m.signature;
        }
        _ => c.message = s.message.clone(),
    }
    let mut out = vec![COMPACT];
    out.extend_from_slice(&c.encode_to_vec());
    out
}

pub(super) fn decode_submission(key: &[u8], bytes: &[u8]) -> Result<StoredSubmission, AggError> {
    let Some((&COMPACT, rest)) = bytes.split_first() else {
        return Ok(serde_json::from_slice(bytes)?);
    };
    let c = CompactSubmission::decode(rest)?;
    let bad = |what: &str, v: &str| AggError::Storage(format!("stored submission: {what} {v:?}"));
    let kind = Kind::ALL
        .into_iter()
        .find(|k| k.key() == c.kind)
        .ok_or_else(|| bad("unknown kind", &c.kind))?;
    let size = SizeClass::from_key(&c.size).ok_or_else(|| bad("unknown size class", &c.size))?;
    let signed = if c.message.is_empty() {
        pb::SignedMessage {
            payload: c.payload,
            signature: c.signature,
            signer: signer_of(key).to_vec(),
        }
    } else {
        pb::SignedMessage::decode(c.message.as_slice())?
    };
    Ok(StoredSubmission {
        payload_hash: sovbench_core::sha256(&signed.payload).to_vec(),
        message: signed.encode_to_vec(),
        receipt: c.receipt,
        attributes: CohortAttributes {
            kind,
            state: c.state,
            size,
        },
        stored_at: c.stored_at,
        acknowledged: c.acknowledged,
        acknowledged_digest: Vec::new(),
        seq: c.seq,
    })
}

/// The compact stored form of an enrolment. The public key is the record's key and the
/// fingerprint follows from it, so neither is stored again; attributes are stored as their keys.
#[derive(Clone, PartialEq, prost::Message)]
struct CompactEnrolment {
    #[prost(string, tag = "1")]
    name: String,
    #[prost(string, tag = "2")]
    kind: String,
    #[prost(string, tag = "3")]
    state: String,
    #[prost(string, tag = "4")]
    size_class: String,
    #[prost(uint64, tag = "5")]
    size: u64,
    #[prost(int64, tag = "6")]
    enrolled_at: i64,
    #[prost(int64, optional, tag = "7")]
    revoked_at: Option<i64>,
}

pub(super) fn encode_enrolment(e: &Enrolment) -> Vec<u8> {
    let c = CompactEnrolment {
        name: e.name.clone(),
        kind: e.attributes.kind.key().to_string(),
        state: e.attributes.state.clone(),
        size_class: e.attributes.size.key().to_string(),
        size: e.size,
        enrolled_at: e.enrolled_at,
        revoked_at: e.revoked_at,
    };
    let mut out = vec![COMPACT];
    out.extend_from_slice(&c.encode_to_vec());
    out
}

pub(super) fn decode_enrolment(key: &[u8], bytes: &[u8]) -> Result<Enrolment, AggError> {
    let Some((&COMPACT, rest)) = bytes.split_first() else {
        return Ok(serde_json::from_slice(bytes)?);
    };
    let c = CompactEnrolment::decode(rest)?;
    let bad = |what: &str, v: &str| AggError::Storage(format!("stored enrolment: {what} {v:?}"));
    let kind = Kind::ALL
        .into_iter()
        .find(|k| k.key() == c.kind)
        .ok_or_else(|| bad("unknown kind", &c.kind))?;
    let size = SizeClass::from_key(&c.size_class)
        .ok_or_else(|| bad("unknown size class", &c.size_class))?;
    Ok(Enrolment {
        public_key: sovbench_core::envelope::b64(key),
        fingerprint: sovbench_core::envelope::fingerprint(key),
        name: c.name,
        attributes: CohortAttributes {
            kind,
            state: c.state,
            size,
        },
        size: c.size,
        enrolled_at: c.enrolled_at,
        revoked_at: c.revoked_at,
    })
}
