//! The checks of a submission to a secure round: one encrypted value per metric, in the round's
//! order, each with a valid range or choice proof (`sovbench_secure::bulletin::verify_submission`),
//! and no plain releases. The proofs cost about 1.5 ms for the default round; the caller runs
//! this off the async threads and outside every lock.

use sovbench_core::pb;
use sovbench_secure::bulletin::verify_submission;
use sovbench_secure::round::SecureRound;

use crate::error::AggError;

/// Verifies the encrypted values of a submission against the round's parameters.
pub fn verify(params: &pb::RoundParams, sub: &pb::Submission) -> Result<(), AggError> {
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
    let round = SecureRound::from_params(params)
        .map_err(|e| AggError::Storage(format!("round {}: {e}", params.round_id)))?;
    verify_submission(&round, sub).map_err(|e| refuse(e.to_string()))?;
    Ok(())
}
