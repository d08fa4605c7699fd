//! The trustee's side of the distributed key generation relayed by the aggregator: fetch the
//! board, check every message's envelope and sender, absorb, post what the session has to say,
//! until the ceremony is complete. The session is stored durably after every change and before
//! anything that depends on it is posted.

use prost::Message as _;
use sovbench_core::envelope;
use sovbench_core::pb;
use sovbench_secure::committee::Committee;
use sovbench_secure::session::DkgSession;

use crate::error::TrusteeError;
use crate::model::Membership;
use crate::trustee::Trustee;

fn dkg_error(ceremony: &str, why: impl Into<String>) -> TrusteeError {
    TrusteeError::Dkg {
        ceremony: ceremony.to_string(),
        why: why.into(),
    }
}

/// This trustee's index in the ceremony: the position of its key in the board's trustee list.
pub fn own_index(board: &pb::DkgBoard, own_key: &[u8]) -> Result<usize, TrusteeError> {
    board
        .trustee_keys
        .iter()
        .position(|k| k.as_slice() == own_key)
        .ok_or_else(|| {
            TrusteeError::NotAMember(
                envelope::fingerprint(own_key),
                format!("the trustee list of ceremony {:?}", board.ceremony),
            )
        })
}

/// The board's messages, each checked: its envelope signature verifies, it is a DKG message of
/// this ceremony, and its signer is the ceremony's key at `from`. One bad message refuses the
/// board, naming it.
pub fn board_messages(
    board: &pb::DkgBoard,
    ceremony: &str,
) -> Result<Vec<pb::DkgMessage>, TrusteeError> {
    let mut out = Vec::with_capacity(board.messages.len());
    for (i, raw) in board.messages.iter().enumerate() {
        let bad = |why: String| dkg_error(ceremony, format!("board message {i}: {why}"));
        let msg =
            pb::SignedMessage::decode(raw.as_slice()).map_err(|_| bad("does not decode".into()))?;
        let opened = envelope::open(&msg).map_err(|e| bad(e.to_string()))?;
        let dm = match opened.body {
            pb::payload::Body::DkgMessage(dm) => dm,
            other => return Err(bad(format!("a {} message", envelope::kind_name(&other)))),
        };
        if dm.ceremony != ceremony {
            return Err(bad(format!("of ceremony {:?}", dm.ceremony)));
        }
        if board.trustee_keys.get(dm.from as usize) != Some(&msg.signer) {
            return Err(bad(format!(
                "signed by {}, not by the trustee at index {}",
                envelope::fingerprint(&msg.signer),
                dm.from
            )));
        }
        out.push(dm);
    }
    Ok(out)
}

/// The session's outgoing messages that are not on the board yet.
pub fn to_post(session: &DkgSession, on_board: &[pb::DkgMessage]) -> Vec<pb::DkgMessage> {
    session
        .outgoing()
        .into_iter()
        .filter(|m| !on_board.contains(m))
        .collect()
}

/// The membership once the ceremony is complete: the session's committee and the board's agree.
pub fn completed(
    session: &DkgSession,
    board: &pb::DkgBoard,
    ceremony: &str,
) -> Result<Option<(Membership, sovbench_secure::Trustee)>, TrusteeError> {
    let Some((committee, share)) = session.finished() else {
        return Ok(None);
    };
    if board.committee.is_empty() {
        return Ok(None);
    }
    let doc = committee.to_bytes();
    if board.committee != doc {
        return Err(dkg_error(
            ceremony,
            "the board's committee document is not the one this trustee derived",
        ));
    }
    // Decoding checks that the key shares belong to one key.
    let checked = Committee::from_bytes(&doc)?;
    Ok(Some((
        Membership {
            ceremony: ceremony.to_string(),
            index: session.index() as u32,
            fingerprint: checked.fingerprint(),
            committee: doc,
            trustee_keys: board.trustee_keys.clone(),
            threshold: checked.threshold() as u32,
            size: checked.size() as u32,
        },
        share,
    )))
}

impl Trustee {
    /// Runs (or resumes) the DKG ceremony until complete; returns the committee fingerprint.
    pub async fn dkg(
        &self,
        ceremony: &str,
        poll: std::time::Duration,
    ) -> Result<[u8; 32], TrusteeError> {
        if let Some(m) = self.store.membership()? {
            if m.ceremony == ceremony {
                return Ok(m.fingerprint);
            }
            return Err(dkg_error(
                ceremony,
                format!(
                    "this trustee belongs to the committee of ceremony {:?} already",
                    m.ceremony
                ),
            ));
        }
        let mut sent = std::collections::HashSet::new();
        loop {
            let board = self.client.dkg_fetch(&self.identity, ceremony).await?;
            if board.ceremony != ceremony {
                return Err(TrusteeError::BadAnswer {
                    call: "DkgFetch",
                    why: format!("the board of ceremony {:?}", board.ceremony),
                });
            }
            let index = own_index(&board, self.public_key())?;
            let mut session = match self.store.dkg_session(ceremony)? {
                Some(s) => s,
                None => {
                    let s = DkgSession::new(
                        ceremony,
                        board.threshold as usize,
                        board.trustee_keys.len(),
                        index,
                        &mut rand::rngs::OsRng,
                    )?;
                    self.store.put_dkg_session(ceremony, &s)?;
                    tracing::info!(ceremony, index, "key generation started");
                    s
                }
            };
            if session.index() != index {
                return Err(dkg_error(
                    ceremony,
                    format!(
                        "the board puts this trustee at index {index}, the stored session at {}",
                        session.index()
                    ),
                ));
            }
            let messages = board_messages(&board, ceremony)?;
            if session.absorb(&messages)? {
                self.store.put_dkg_session(ceremony, &session)?;
                tracing::info!(ceremony, "key generation moved on a step");
            }
            for m in to_post(&session, &messages) {
                // Shares to others never show on this trustee's board: each is sent once per run.
                if sent.insert(m.encode_to_vec()) {
                    self.client.dkg_post(&self.identity, m).await?;
                }
            }
            if let Some((membership, share)) = completed(&session, &board, ceremony)? {
                self.store.put_committee(&membership, &share)?;
                self.save_fingerprint(&membership.fingerprint)?;
                tracing::info!(
                    ceremony,
                    committee = %hex::encode(membership.fingerprint),
                    "key generation complete"
                );
                return Ok(membership.fingerprint);
            }
            tokio::time::sleep(poll).await;
        }
    }
}

#[cfg(test)]
mod tests;
