//! Publication: the signed benchmark of a closed round, how to find it again, and its two
//! renderings: a text table ([`render_text`], for the CLI and the demo) and the JSON export
//! ([`export_publication`]), checkable with any Ed25519 library: `payload` is the base64 of the
//! exact signed bytes, `signature` the base64 signature over them, `public_key` the base64 raw
//! 32-byte key, and `benchmark` a readable copy of the cells.
//!
//! A publication rests only on validly signed submissions (each is verified again) and never
//! shows a cell with fewer contributors than the round's k ([`crate::estimate`]).

use prost::Message as _;
use serde_json::{json, Value};
use sovbench_core::catalogue::Catalogue;
use sovbench_core::display::{clipped, suppression_text};
use sovbench_core::envelope::{self, b64, fingerprint, Identity};
use sovbench_core::i18n::Lang;
use sovbench_core::pb;
use sovbench_core::time::format_utc;

use std::sync::Mutex;

use crate::acks::AckLog;
use crate::admission::wrong_kind;
use crate::error::AggError;
use crate::estimate::{compute_cells, Contribution};
use crate::model::{RoundState, RoundStatus};
use crate::rounds::round_params;
use crate::store::Store;

/// Computes, signs (at `now`) and stores the benchmark of a closed round. Publishing a round
/// again returns the stored publication.
pub fn publish(
    store: &Store,
    identity: &Identity,
    acks: &Mutex<AckLog>,
    round_id: &str,
    now: i64,
) -> Result<pb::SignedMessage, AggError> {
    let state = store
        .round_state(round_id)?
        .ok_or_else(|| AggError::UnknownRound(round_id.to_string()))?;
    match state.status {
        RoundStatus::Open => return Err(AggError::RoundOpen(round_id.to_string())),
        RoundStatus::Abandoned => {
            return Err(crate::rounds::abandoned(store, round_id)?
                .unwrap_or_else(|| AggError::NoPublication(format!("for round {round_id}"))))
        }
        RoundStatus::Published => {
            if let Some(p) = store.publication(round_id)? {
                return Ok(p);
            }
        }
        RoundStatus::Closed => {
            // Stored but the state not yet updated (a crash in between): the same bytes.
            if let Some(p) = store.publication(round_id)? {
                record_published(store, acks, round_id, &p)?;
                return Ok(p);
            }
        }
    }
    let params = round_params(store, round_id)?;
    let round_msg = store
        .round(round_id)?
        .ok_or_else(|| AggError::UnknownRound(round_id.to_string()))?;
    let mut contributions = Vec::new();
    let mut signatures = Vec::new();
    for s in store.submissions(round_id)? {
        let msg = pb::SignedMessage::decode(s.message.as_slice())?;
        // Verified again: what is published rests only on validly signed bytes.
        if let pb::payload::Body::Submission(sub) = envelope::open(&msg)?.body {
            signatures.push(sovbench_core::sha256(&msg.signature).to_vec());
            contributions.push(Contribution {
                attributes: s.attributes,
                releases: sub.releases,
            });
        }
    }
    signatures.sort();
    let cells = compute_cells(&params, &contributions, Catalogue::shared());
    let publication = pb::Publication {
        round_id: round_id.to_string(),
        round_params_hash: sovbench_core::sha256(&round_msg.payload).to_vec(),
        published_at: now,
        contributors: contributions.len() as u32,
        cells,
        confidence: 0.95,
        min_cohort: params.min_cohort,
        submission_signatures_sha256: signatures,
        ..Default::default()
    };
    let msg = identity.seal(pb::payload::Body::Publication(publication));
    store_publication(store, acks, round_id, &msg)?;
    Ok(msg)
}

/// Stores a signed publication durably (it becomes the latest), marks its round published and
/// records it in the acknowledgement record.
pub fn store_publication(
    store: &Store,
    acks: &Mutex<AckLog>,
    round_id: &str,
    msg: &pb::SignedMessage,
) -> Result<(), AggError> {
    store.put_publication(round_id, msg)?;
    record_published(store, acks, round_id, msg)
}

/// Marks a round whose publication is stored as published (durably) and records it in the
/// acknowledgement record.
pub fn record_published(
    store: &Store,
    acks: &Mutex<AckLog>,
    round_id: &str,
    msg: &pb::SignedMessage,
) -> Result<(), AggError> {
    let state = store
        .round_state(round_id)?
        .ok_or_else(|| AggError::UnknownRound(round_id.to_string()))?;
    store.set_round_state(
        round_id,
        &RoundState {
            status: RoundStatus::Published,
            closed_at: state.closed_at,
            abandoned: None,
        },
    )?;
    acks.lock()
        .map_err(|_| AggError::Storage("acknowledgement record poisoned".into()))?
        .published(round_id, &sovbench_core::sha256(&msg.payload))
}

/// A stored publication: of the round `round_id`, or the latest for `None` or an empty id.
pub fn lookup(store: &Store, round_id: Option<&str>) -> Result<pb::SignedMessage, AggError> {
    match round_id {
        Some(id) if !id.is_empty() => match store.publication(id)? {
            Some(p) => Ok(p),
            None => Err(crate::rounds::abandoned(store, id)?
                .unwrap_or_else(|| AggError::NoPublication(format!("for round {id}")))),
        },
        _ => store
            .latest_publication()?
            .ok_or_else(|| AggError::NoPublication("yet".into())),
    }
}

/// The publication inside a signed message, after verifying the signature.
fn open_publication(msg: &pb::SignedMessage) -> Result<pb::Publication, AggError> {
    match envelope::open(msg)?.body {
        pb::payload::Body::Publication(p) => Ok(p),
        other => Err(wrong_kind("publication", &other)),
    }
}

/// Shortens a label to `width` characters for tables.
fn fit(label: &str, width: usize) -> String {
    if label.chars().count() <= width {
        label.to_string()
    } else {
        let mut s: String = label.chars().take(width - 1).collect();
        s.push('…');
        s
    }
}

/// Renders a signed publication as a text table in `lang` (signature verified first).
pub fn render_text(msg: &pb::SignedMessage, lang: Lang) -> Result<String, AggError> {
    use std::fmt::Write as _;
    let p = open_publication(msg)?;
    let cat = Catalogue::shared();
    let k = p.min_cohort;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} ({} {}, {} {}, {} {})",
        lang.pick("Benchmark der Runde", "Benchmark of round"),
        p.round_id,
        lang.pick("veröffentlicht", "published"),
        format_utc(p.published_at),
        p.contributors,
        lang.pick("Teilnehmende", "contributors"),
        lang.pick("Signatur", "signature"),
        fingerprint(&msg.signer)
    );
    let _ = writeln!(
        out,
        "{:<28} {:<36} {:>5} {:>9}  {}",
        lang.pick("Kohorte", "Cohort"),
        lang.pick("Kennzahl", "Metric"),
        "n",
        lang.pick("Schätzung", "Estimate"),
        lang.pick("95-%-Intervall", "95% interval")
    );
    for c in &p.cells {
        if c.suppressed {
            let _ = writeln!(
                out,
                "{:<28} {:<36} {:>5} {:>9}  {}",
                c.cohort,
                fit(&cat.label(&c.metric, lang), 36),
                c.n,
                "-",
                suppression_text(c, lang, Some(k))
            );
        } else {
            let (lo, hi) = cat.range(&c.metric);
            let _ = writeln!(
                out,
                "{:<28} {:<36} {:>5} {:>9}  [{:.2}, {:.2}]",
                c.cohort,
                fit(&cat.label(&c.metric, lang), 36),
                c.n,
                clipped(c.estimate, lo, hi),
                c.ci_low.clamp(lo, hi),
                c.ci_high.clamp(lo, hi)
            );
        }
    }
    let _ = writeln!(
        out,
        "{}",
        lang.pick(
            "Intervalle auf den möglichen Bereich begrenzt; * = Schätzung außerhalb des Bereichs (lokales Rauschen), im Export unverändert.",
            "Intervals clipped to the possible range; * = estimate outside the range (local noise), unchanged in the export."
        )
    );
    Ok(out)
}

/// Builds the export document of a signed publication (the signature is verified first).
pub fn export_publication(msg: &pb::SignedMessage) -> Result<Value, AggError> {
    let publication = open_publication(msg)?;
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
    let field = |name: &'static str| -> Result<Vec<u8>, AggError> {
        let s = doc
            .get(name)
            .and_then(Value::as_str)
            .ok_or(AggError::ExportFieldMissing(name))?;
        envelope::unb64(s).map_err(|e| AggError::ExportFieldInvalid {
            field: name,
            detail: e.to_string(),
        })
    };
    let msg = pb::SignedMessage {
        payload: field("payload")?,
        signature: field("signature")?,
        signer: field("public_key")?,
    };
    open_publication(&msg)
}
