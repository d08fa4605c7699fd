//! The checks of a submission to a secure round: one encrypted value per metric, in the round's
//! order, each with a valid range or choice proof bound to the round, the signer and the metric
//! (`sovbench_secure::bulletin::verify_submission`), no ciphertext twice, and no plain releases.
//! Whether a ciphertext was accepted before, in this round or any earlier one, the commit worker
//! decides ([`crate::commit`]). The proofs cost about 1.5 ms for the default round; the caller runs
//! this off the async threads and outside every lock.

use std::sync::{Arc, Mutex, OnceLock};

use prost::Message as _;
use sovbench_core::pb;
use sovbench_secure::bulletin::verify_submission;
use sovbench_secure::round::SecureRound;

use crate::error::AggError;

/// Verifies the encrypted values of a submission signed by `signer` against the round's
/// parameters; returns the keys of every ciphertext it carries, which the commit worker checks
/// against every ciphertext accepted before ([`crate::store::Store::ciphertext_round`]).
pub fn verify(
    params: &pb::RoundParams,
    sub: &pb::Submission,
    signer: &[u8],
) -> Result<Vec<[u8; 32]>, AggError> {
    let refuse = |detail: String| AggError::BadEncryption {
        round: params.round_id.clone(),
        detail,
    };
    if !sub.releases.is_empty() {
        return Err(refuse(format!(
            "{} plain releases; a secure round takes only encrypted values",
            sub.releases.len()
        )));
    }
    let round = checked_round(params)?;
    let verified = verify_submission(&round, sub, signer).map_err(|e| refuse(e.to_string()))?;
    Ok(verified.keys)
}

/// The encoded parameters and the round checked from them.
type Cached = (Vec<u8>, Arc<SecureRound>);

/// The checked parameters of the open secure round, kept between submissions: rebuilding the
/// committee's key set from its document costs more than a signature check, and one round is open
/// at a time. Keyed by the exact encoding of the parameters.
fn checked_round(params: &pb::RoundParams) -> Result<Arc<SecureRound>, AggError> {
    static LAST: OnceLock<Mutex<Option<Cached>>> = OnceLock::new();
    let key = params.encode_to_vec();
    let cache = LAST.get_or_init(|| Mutex::new(None));
    if let Ok(guard) = cache.lock() {
        if let Some((k, r)) = guard.as_ref() {
            if *k == key {
                return Ok(r.clone());
            }
        }
    }
    let round = Arc::new(
        SecureRound::from_params(params)
            .map_err(|e| AggError::Storage(format!("round {}: {e}", params.round_id)))?,
    );
    if let Ok(mut guard) = cache.lock() {
        *guard = Some((key, round.clone()));
    }
    Ok(round)
}
