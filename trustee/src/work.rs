//! The trustee's round work: one pass ([`Trustee::work_once`]) does what the oldest pending
//! announcement asks, and [`Trustee::serve`] repeats it until shut down. The checks themselves are
//! in [`crate::check`]; this module fetches, stores and posts.
//!
//! Order of effects: everything a post depends on (the checked announcement, the tally's sums,
//! the drawn noise, "decrypted round R with announcement H") is stored durably before the post,
//! so that after a restart the same message is posted again, never a fresh draw or a second
//! decryption.

use prost::Message as _;
use sovbench_core::pb;
use sovbench_secure::decryption;

use crate::check::{self, BulletinCheck, Refused};
use crate::error::TrusteeError;
use crate::model::{Membership, Refusal, RoundRecord};
use crate::status::ServeState;
use crate::trustee::Trustee;

/// Bulletin entries asked for per page.
pub const PAGE_LIMIT: u32 = 500;
/// Most refused rounds named in one announcement query (the aggregator's limit).
pub const SKIP_LIMIT: usize = 256;

/// What one pass did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Work {
    /// Nothing pending (or waiting for the other trustees).
    Idle,
    /// Checked the bulletin and posted the noise shares of `round`.
    Noise {
        /// Round id.
        round: String,
    },
    /// Posted the decryption shares of `round`.
    Decrypted {
        /// Round id.
        round: String,
    },
    /// Refused the announcement of `round`; nothing was posted.
    Refused {
        /// Round id.
        round: String,
        /// Which entry or cell, and why.
        reason: String,
    },
}

impl Trustee {
    fn refused(
        &self,
        ann_sha256: &[u8; 32],
        round: &str,
        why: Refused,
    ) -> Result<Work, TrusteeError> {
        tracing::warn!(
            round,
            announcement = %hex::encode(ann_sha256),
            reason = %why,
            "announcement refused; nothing posted for this round"
        );
        self.store.put_refusal(
            ann_sha256,
            &Refusal {
                round_id: round.to_string(),
                reason: why.0.clone(),
                at: sovbench_core::now_unix(),
            },
        )?;
        Ok(Work::Refused {
            round: round.to_string(),
            reason: why.0,
        })
    }

    /// One pass: does what the oldest pending announcement of its committee asks (noise or
    /// decryption shares), leaving out the rounds it refused: a refused round never blocks the
    /// later ones.
    pub async fn work_once(&self) -> Result<Work, TrusteeError> {
        let membership = self.membership()?;
        let skip = self.refused_rounds()?;
        let Some((ann, answer)) = self
            .client
            .get_announcement(&self.identity, "", skip)
            .await?
        else {
            return Ok(Work::Idle);
        };
        let h = answer.payload_hash;
        if let Some(r) = self.store.refusal(&h)? {
            tracing::debug!(round = %r.round_id, reason = %r.reason, "announcement refused before");
            return Ok(Work::Refused {
                round: r.round_id,
                reason: r.reason,
            });
        }
        match pb::AnnouncementPhase::try_from(ann.phase) {
            Ok(pb::AnnouncementPhase::Noise) => {
                self.noise(&membership, &ann, &answer.payload, h).await
            }
            Ok(pb::AnnouncementPhase::Decrypt) => self.decrypt(&membership, &ann, h).await,
            _ => Ok(Work::Idle),
        }
    }

    /// The rounds this trustee refused, the latest [`SKIP_LIMIT`] (what the aggregator accepts).
    fn refused_rounds(&self) -> Result<Vec<String>, TrusteeError> {
        let mut refusals = self.store.refusals()?;
        refusals.sort_by_key(|r| std::cmp::Reverse(r.at));
        let mut rounds: Vec<String> = Vec::new();
        for r in refusals {
            if !rounds.contains(&r.round_id) {
                rounds.push(r.round_id);
            }
            if rounds.len() == SKIP_LIMIT {
                break;
            }
        }
        Ok(rounds)
    }

    async fn checked_round(
        &self,
        m: &Membership,
        ann: &pb::Announcement,
    ) -> Result<Result<sovbench_secure::round::SecureRound, Refused>, TrusteeError> {
        let (params, answer) = self.client.get_round(&ann.round_id).await?;
        Ok(check::check_round(
            m,
            self.public_key(),
            &params,
            &answer.payload_hash,
            ann,
        ))
    }

    async fn noise(
        &self,
        m: &Membership,
        ann: &pb::Announcement,
        payload: &[u8],
        h: [u8; 32],
    ) -> Result<Work, TrusteeError> {
        let round_id = ann.round_id.clone();
        if let Some(mut rec) = self.store.round(&round_id)? {
            if rec.noise_announcement_sha256 != h {
                let why = Refused(format!(
                    "a second, different NOISE announcement for round {round_id}: this trustee \
                     drew its noise for announcement {}",
                    hex::encode(rec.noise_announcement_sha256)
                ));
                return self.refused(&h, &round_id, why);
            }
            if rec.noise_acknowledged {
                return Ok(Work::Idle);
            }
            // Stored before an earlier post that was not acknowledged: the same bytes again.
            let msg = pb::SignedMessage::decode(rec.noise_message.as_slice())
                .map_err(|e| TrusteeError::Store(sovbench_core::kv::KvError::from(e)))?;
            self.client.post_noise(&msg).await?;
            rec.noise_acknowledged = true;
            self.store.put_round(&rec)?;
            return Ok(Work::Noise { round: round_id });
        }
        let round = match self.checked_round(m, ann).await? {
            Ok(r) => r,
            Err(why) => return self.refused(&h, &round_id, why),
        };
        let mut bulletin = BulletinCheck::new(&round, ann);
        while !bulletin.complete() {
            let req = pb::BulletinRequest {
                round_id: round_id.clone(),
                from: bulletin.next(),
                limit: PAGE_LIMIT,
            };
            let page = self.client.get_bulletin(&self.identity, req).await?;
            if let Err(why) = bulletin.add_page(&page) {
                return self.refused(&h, &round_id, why);
            }
        }
        let tally = match bulletin.finish() {
            Ok(t) => t,
            Err(why) => return self.refused(&h, &round_id, why),
        };
        let shares = check::draw_noise(&round, ann, m.index, &h, &mut rand::rngs::OsRng)?;
        let msg = self.identity.seal(pb::payload::Body::NoiseShares(shares));
        let mut rec = RoundRecord {
            round_id: round_id.clone(),
            round_params_hash: ann.round_params_hash.clone(),
            noise_announcement: payload.to_vec(),
            noise_announcement_sha256: h,
            cells: tally.cells().clone(),
            noise_message: msg.encode_to_vec(),
            noise_acknowledged: false,
            decrypt_announcement_sha256: None,
            decryption_message: None,
            decryption_acknowledged: false,
            checked_at: sovbench_core::now_unix(),
        };
        // Durable before posting: after a restart the same noise is posted, never a fresh draw.
        self.store.put_round(&rec)?;
        self.client.post_noise(&msg).await?;
        rec.noise_acknowledged = true;
        self.store.put_round(&rec)?;
        tracing::info!(
            round = %round_id,
            entries = tally.len(),
            cells = ann.cells.len(),
            "bulletin checked, noise shares posted"
        );
        Ok(Work::Noise { round: round_id })
    }

    async fn decrypt(
        &self,
        m: &Membership,
        ann: &pb::Announcement,
        h: [u8; 32],
    ) -> Result<Work, TrusteeError> {
        let round_id = ann.round_id.clone();
        let Some(mut rec) = self.store.round(&round_id)? else {
            let why = Refused(format!(
                "this trustee did not check the NOISE announcement of round {round_id}, so its \
                 own noise cannot be included"
            ));
            return self.refused(&h, &round_id, why);
        };
        if rec.decrypt_announcement_sha256 == Some(h) {
            if rec.decryption_acknowledged {
                return Ok(Work::Idle);
            }
            if let Some(bytes) = &rec.decryption_message {
                let msg = pb::SignedMessage::decode(bytes.as_slice())
                    .map_err(|e| TrusteeError::Store(sovbench_core::kv::KvError::from(e)))?;
                self.client.post_decryption(&msg).await?;
                rec.decryption_acknowledged = true;
                self.store.put_round(&rec)?;
                return Ok(Work::Decrypted { round: round_id });
            }
        }
        let round = match self.checked_round(m, ann).await? {
            Ok(r) => r,
            Err(why) => return self.refused(&h, &round_id, why),
        };
        let ciphertexts = match check::check_decrypt(&round, &rec, m.index, ann, &h) {
            Ok(c) => c,
            Err(why) => return self.refused(&h, &round_id, why),
        };
        let share = self.store.key_share()?.ok_or(TrusteeError::NoCommittee)?;
        if share.index() != m.index as usize {
            return Err(TrusteeError::Config(format!(
                "the stored key share is of index {}, the committee membership says {}",
                share.index(),
                m.index
            )));
        }
        let mut rng = rand::rngs::OsRng;
        let shares = ciphertexts
            .iter()
            .map(|c| decryption::share(&share, *c, &mut rng).to_bytes())
            .collect();
        let msg = self
            .identity
            .seal(pb::payload::Body::DecryptionShares(pb::DecryptionShares {
                round_id: round_id.clone(),
                announcement_sha256: h.to_vec(),
                trustee: m.index,
                shares,
            }));
        // "Decrypted round R with announcement H", durable before posting.
        rec.decrypt_announcement_sha256 = Some(h);
        rec.decryption_message = Some(msg.encode_to_vec());
        self.store.put_round(&rec)?;
        self.client.post_decryption(&msg).await?;
        rec.decryption_acknowledged = true;
        self.store.put_round(&rec)?;
        tracing::info!(round = %round_id, cells = ann.cells.len(), "decryption shares posted");
        Ok(Work::Decrypted { round: round_id })
    }

    /// Polls every `poll` until `shutdown` completes. A pass that did something is followed by
    /// the next at once; errors (an unreachable aggregator) are logged and retried after `poll`.
    /// Nothing to do (no round waits for the trustees) is no error: it is counted as idle and
    /// logged only at debug level. Work in flight is finished before it stops. The state of the
    /// passes goes to `serve-status.json` after each one ([`crate::status`]), so that `status`
    /// works beside `serve`.
    pub async fn serve(
        &self,
        poll: std::time::Duration,
        shutdown: impl std::future::Future<Output = ()> + Send,
    ) -> Result<(), TrusteeError> {
        self.membership()?;
        tokio::pin!(shutdown);
        let mut state = ServeState::started(poll, sovbench_core::now_unix());
        self.publish(&state);
        tracing::info!(poll_secs = poll.as_secs(), "trustee serving");
        let mut last_refused: Option<String> = None;
        loop {
            let pass = self.work_once().await;
            state.count(&pass, sovbench_core::now_unix());
            self.publish(&state);
            let again = match pass {
                Ok(Work::Idle) => {
                    tracing::debug!("nothing to do");
                    false
                }
                Ok(Work::Refused { round, reason }) => {
                    if last_refused.as_deref() != Some(round.as_str()) {
                        tracing::warn!(round, reason, "the oldest pending round is refused");
                        last_refused = Some(round);
                    }
                    false
                }
                Ok(w) => {
                    tracing::info!(?w, "work done");
                    true
                }
                Err(e) => {
                    tracing::warn!(error = %sovbench_core::display::error_chain(&e), "pass failed");
                    false
                }
            };
            let pause = if again {
                std::time::Duration::ZERO
            } else {
                poll
            };
            tokio::select! {
                biased;
                () = &mut shutdown => break,
                () = tokio::time::sleep(pause) => {}
            }
        }
        state.stopped(sovbench_core::now_unix());
        self.publish(&state);
        tracing::info!("trustee stopped");
        Ok(())
    }

    /// Writes `serve`'s status file; a failure is logged, `serve` goes on.
    fn publish(&self, state: &ServeState) {
        if let Err(e) = self.write_serve_status(state) {
            tracing::warn!(error = %sovbench_core::display::error_chain(&e), "serve-status.json not written; `status` cannot show serve's state");
        }
    }
}
