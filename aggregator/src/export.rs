//! The JSON export of a signed publication, checkable with any Ed25519 library: `payload` is the
//! base64 of the exact signed bytes, `signature` the base64 signature over them, `public_key` the
//! base64 raw 32-byte key, and `benchmark` a readable copy of the cells.

use prost::Message as _;
use serde_json::{json, Value};
use sovbench_core::envelope::{self, b64};
use sovbench_core::pb;

use crate::error::AggError;

/// Builds the export document of a signed publication (the signature is verified first).
pub fn export_publication(msg: &pb::SignedMessage) -> Result<Value, AggError> {
    let publication = match envelope::open(msg)?.body {
        pb::payload::Body::Publication(p) => p,
        other => {
            return Err(AggError::WrongKind {
                expected: "publication",
                got: envelope::kind_name(&other),
            })
        }
    };
    Ok(json!({
        "format": "sovbench-publication/1",
        "payload": b64(&msg.payload),
        "signature": b64(&msg.signature),
        "public_key": b64(&msg.signer),
        "benchmark": benchmark_json(&publication),
    }))
}

/// The readable copy of a publication.
pub fn benchmark_json(p: &pb::Publication) -> Value {
    let cells: Vec<Value> = p
        .cells
        .iter()
        .map(|c| {
            let num = |v: f64| if c.suppressed { Value::Null } else { json!(v) };
            json!({
                "cohort": c.cohort,
                "metric": c.metric,
                "estimate": num(c.estimate),
                "ci_low": num(c.ci_low),
                "ci_high": num(c.ci_high),
                "n": c.n,
                "reporters": c.reporters,
                "suppressed": c.suppressed,
                "suppression": pb::Suppression::try_from(c.suppression).map(|x| x.as_str_name()).unwrap_or("SUPPRESSION_NONE"),
                "suppression_reason": if c.suppressed { json!(c.suppression_reason) } else { Value::Null },
                "fallback_cohort": if c.fallback_cohort.is_empty() { Value::Null } else { json!(c.fallback_cohort) },
            })
        })
        .collect();
    json!({
        "round_id": p.round_id,
        "round_params_sha256": hex::encode(&p.round_params_hash),
        "published_at": p.published_at,
        "contributors": p.contributors,
        "confidence": p.confidence,
        "min_cohort": p.min_cohort,
        "cells": cells,
    })
}

/// Reads an export document back and verifies its signature over the payload; returns the
/// publication decoded from the signed bytes.
pub fn verify_export(doc: &Value) -> Result<pb::Publication, AggError> {
    let field = |name: &str| -> Result<Vec<u8>, AggError> {
        let s = doc
            .get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| AggError::Invalid(format!("export has no string field {name:?}")))?;
        envelope::unb64(s).map_err(|e| AggError::Invalid(format!("export field {name}: {e}")))
    };
    let msg = pb::SignedMessage {
        payload: field("payload")?,
        signature: field("signature")?,
        signer: field("public_key")?,
    };
    match envelope::open(&msg)?.body {
        pb::payload::Body::Publication(p) => Ok(p),
        other => Err(AggError::WrongKind {
            expected: "publication",
            got: envelope::kind_name(&other),
        }),
    }
}

/// Encoded length of a message (for logs).
pub fn encoded_len(msg: &pb::SignedMessage) -> usize {
    msg.encoded_len()
}
