//! One trustee's side of the distributed key generation when the trustees are apart and the
//! aggregator relays their messages (`DkgPost` / `DkgFetch`, docs/SECURE-AGGREGATION.md).
//!
//! A [`DkgSession`] is persisted by the trustee between polls ([`DkgSession::to_bytes`]); it
//! produces the messages to post in its current step ([`DkgSession::outgoing`], the same bytes on
//! every call, so a repeated post is idempotent) and absorbs the others' messages from the board
//! ([`DkgSession::absorb`]). Secret shares travel sealed to the recipient's transport key
//! ([`seal`] / [`open`]): an ephemeral Ristretto255 Diffie–Hellman, the 32-byte scalar XOR
//! SHA-256("sovbench dkg share" ‖ ceremony ‖ from ‖ to ‖ ephemeral ‖ DH point); the envelope's
//! Ed25519 signature gives integrity and the sender's polynomial lets the recipient check the
//! share.

use elastic_elgamal::dkg::{
    ParticipantCollectingCommitments, ParticipantCollectingPolynomials,
    ParticipantExchangingSecrets, PublicInfo,
};
use elastic_elgamal::SecretKey;
use serde::{Deserialize, Serialize};
use sovbench_core::pb;

use crate::committee::{params, Committee};
use crate::{Group, SecureError, Trustee};

mod seal;
pub use seal::{open, seal, transport_keypair};

#[cfg(test)]
mod tests;

/// What the session received from the other trustees, per sender (its own slot stays empty).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Received {
    /// Step 1: commitment and transport key.
    commitments: Vec<Option<([u8; 32], Vec<u8>)>>,
    /// Step 2: the JSON of the sender's `PublicInfo`.
    polynomials: Vec<Option<Vec<u8>>>,
    /// Step 3: the share addressed to this trustee: ephemeral point and sealed scalar.
    shares: Vec<Option<(Vec<u8>, Vec<u8>)>>,
    /// Step 4: the committee document the sender derived.
    committees: Vec<Option<Vec<u8>>>,
}

/// One sealed share this trustee sends (kept so that every post is the same bytes).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Sent {
    to: u32,
    ephemeral: Vec<u8>,
    sealed: Vec<u8>,
}

/// The step the session is in, with the underlying DKG participant.
#[derive(Debug, Clone, Serialize, Deserialize)]
enum Step {
    /// Step 1: collecting the others' commitments.
    Commitments(ParticipantCollectingCommitments<Group>),
    /// Step 2: collecting the others' public polynomials.
    Polynomials(ParticipantCollectingPolynomials<Group>),
    /// Step 3: collecting the others' secret shares.
    Shares(ParticipantExchangingSecrets<Group>),
    /// Step 4: complete; the committee document is posted for the others to compare.
    Done {
        /// The committee document.
        committee: Vec<u8>,
        /// This trustee's key share.
        trustee: Trustee,
    },
}

/// One trustee's state in a DKG ceremony.
///
/// The session's messages accumulate: in step *s* [`DkgSession::outgoing`] returns this
/// trustee's messages of steps 1 to *s*, so that a post lost before a crash is repeated; the
/// relay treats identical posts as one.
#[derive(Debug, Serialize, Deserialize)]
pub struct DkgSession {
    ceremony: String,
    threshold: usize,
    size: usize,
    index: usize,
    transport_secret: SecretKey<Group>,
    transport_key: Vec<u8>,
    commitment: [u8; 32],
    polynomial: Option<Vec<u8>>,
    sent: Vec<Sent>,
    received: Received,
    step: Step,
}

fn blame(index: usize, e: impl std::fmt::Display) -> SecureError {
    SecureError::Dkg(format!("trustee {index}: {e}"))
}

/// Records `value` from `from` in `slot`; a different second value is refused.
fn record<T: PartialEq>(
    slots: &mut [Option<T>],
    from: usize,
    value: T,
    what: &str,
) -> Result<(), SecureError> {
    match &slots[from] {
        Some(old) if *old != value => Err(blame(from, format!("two different {what}"))),
        Some(_) => Ok(()),
        None => {
            slots[from] = Some(value);
            Ok(())
        }
    }
}

impl DkgSession {
    /// Starts the ceremony `ceremony` as trustee `index` of `size` with threshold `threshold`.
    pub fn new<R: rand::CryptoRng + rand::RngCore>(
        ceremony: &str,
        threshold: usize,
        size: usize,
        index: usize,
        rng: &mut R,
    ) -> Result<DkgSession, SecureError> {
        let p = params(threshold, size)?;
        if index >= size {
            return Err(SecureError::Dkg(format!(
                "index {index} is not among {size} trustees"
            )));
        }
        let participant = ParticipantCollectingCommitments::<Group>::new(p, index, rng);
        let (transport_secret, transport_key) = transport_keypair(rng);
        Ok(DkgSession {
            ceremony: ceremony.to_string(),
            threshold,
            size,
            index,
            transport_secret,
            transport_key,
            commitment: participant.commitment(),
            polynomial: None,
            sent: Vec::new(),
            received: Received {
                commitments: vec![None; size],
                polynomials: vec![None; size],
                shares: vec![None; size],
                committees: vec![None; size],
            },
            step: Step::Commitments(participant),
        })
    }

    /// This trustee's index.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The ceremony id.
    pub fn ceremony(&self) -> &str {
        &self.ceremony
    }

    /// The step the session is in: 1 (commitments) to 4 (complete).
    pub fn step(&self) -> u8 {
        match self.step {
            Step::Commitments(_) => 1,
            Step::Polynomials(_) => 2,
            Step::Shares(_) => 3,
            Step::Done { .. } => 4,
        }
    }

    fn message(&self, step: pb::dkg_message::Step) -> pb::DkgMessage {
        pb::DkgMessage {
            ceremony: self.ceremony.clone(),
            from: self.index as u32,
            step: Some(step),
        }
    }

    /// The messages to post now (the same on every call in the same step): this trustee's
    /// messages of every step reached so far.
    pub fn outgoing(&self) -> Vec<pb::DkgMessage> {
        use pb::dkg_message::Step as S;
        let mut out = vec![self.message(S::Commitment(pb::DkgCommitment {
            commitment: self.commitment.to_vec(),
            transport_key: self.transport_key.clone(),
        }))];
        if let Some(p) = &self.polynomial {
            out.push(self.message(S::Polynomial(p.clone())));
        }
        for s in &self.sent {
            out.push(self.message(S::Share(pb::SealedShare {
                to: s.to,
                ephemeral: s.ephemeral.clone(),
                sealed: s.sealed.clone(),
            })));
        }
        if let Step::Done { committee, .. } = &self.step {
            out.push(self.message(S::Committee(committee.clone())));
        }
        out
    }

    /// Absorbs messages from the board whose envelope signatures the caller has checked against
    /// the ceremony's key of `from`; returns whether the session moved on a step.
    ///
    /// Messages may come in any order and more than once; this trustee's own messages and shares
    /// addressed to others are ignored. Refused, naming the sender: a message of another
    /// ceremony, two different messages of one step, a malformed transport key, a polynomial that
    /// does not match its commitment or whose proof fails, a share that does not open or does not
    /// lie on the sender's polynomial, a committee document other than this trustee's. After a
    /// refusal the session is unchanged except for what it recorded.
    pub fn absorb(&mut self, messages: &[pb::DkgMessage]) -> Result<bool, SecureError> {
        use pb::dkg_message::Step as S;
        for m in messages {
            let from = m.from as usize;
            if from == self.index {
                continue;
            }
            if from >= self.size {
                return Err(SecureError::Dkg(format!(
                    "a message from trustee {from} of a ceremony of {}",
                    self.size
                )));
            }
            if m.ceremony != self.ceremony {
                return Err(blame(
                    from,
                    format!("a message of ceremony {:?}", m.ceremony),
                ));
            }
            let r = &mut self.received;
            match &m.step {
                Some(S::Commitment(c)) => {
                    let commitment: [u8; 32] = c
                        .commitment
                        .as_slice()
                        .try_into()
                        .map_err(|_| blame(from, "the commitment is not 32 bytes"))?;
                    if seal::point(&c.transport_key).is_none() {
                        return Err(blame(from, "the transport key is not a valid point"));
                    }
                    record(
                        &mut r.commitments,
                        from,
                        (commitment, c.transport_key.clone()),
                        "commitments",
                    )?;
                }
                Some(S::Polynomial(p)) => {
                    record(&mut r.polynomials, from, p.clone(), "polynomials")?
                }
                Some(S::Share(s)) if s.to as usize == self.index => record(
                    &mut r.shares,
                    from,
                    (s.ephemeral.clone(), s.sealed.clone()),
                    "shares",
                )?,
                Some(S::Share(_)) => {}
                Some(S::Committee(c)) => record(&mut r.committees, from, c.clone(), "committees")?,
                None => return Err(blame(from, "a message without a step")),
            }
        }
        let before = self.step();
        while self.advance()? {}
        if let Step::Done { committee, .. } = &self.step {
            if let Some((i, _)) = self
                .received
                .committees
                .iter()
                .enumerate()
                .find(|(_, c)| c.as_ref().is_some_and(|c| c != committee))
            {
                return Err(blame(i, "derived another committee document"));
            }
        }
        Ok(self.step() != before)
    }

    fn others(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.size).filter(move |&i| i != self.index)
    }

    /// Moves one step on if everything the step needs has arrived.
    fn advance(&mut self) -> Result<bool, SecureError> {
        let next = match &self.step {
            Step::Commitments(p) => {
                if self
                    .others()
                    .any(|i| self.received.commitments[i].is_none())
                {
                    return Ok(false);
                }
                let mut p = p.clone();
                for i in self.others() {
                    if let Some((c, _)) = &self.received.commitments[i] {
                        p.insert_commitment(i, *c);
                    }
                }
                let p = p.finish_commitment_phase();
                let info = p.public_info().into_owned();
                let json = serde_json::to_vec(&info)
                    .map_err(|e| SecureError::Dkg(format!("encoding the polynomial: {e}")))?;
                self.polynomial = Some(json);
                Step::Polynomials(p)
            }
            Step::Polynomials(p) => {
                if self
                    .others()
                    .any(|i| self.received.polynomials[i].is_none())
                {
                    return Ok(false);
                }
                let mut p = p.clone();
                for i in self.others() {
                    if let Some(json) = &self.received.polynomials[i] {
                        let info: PublicInfo<'static, Group> = serde_json::from_slice(json)
                            .map_err(|_| blame(i, "the polynomial does not decode"))?;
                        if info.polynomial.len() != self.threshold {
                            return Err(blame(i, "the polynomial has the wrong degree"));
                        }
                        p.insert_public_polynomial(i, info)
                            .map_err(|e| blame(i, e))?;
                    }
                }
                let p = p.finish_polynomials_phase();
                let mut rng = rand::rngs::OsRng;
                let mut sent = Vec::new();
                for to in self.others() {
                    let key = self.received.commitments[to]
                        .as_ref()
                        .map(|(_, k)| k.as_slice())
                        .unwrap_or_default();
                    let share = p.secret_share_for_participant(to);
                    let s = seal(&self.ceremony, self.index, to, key, &share, &mut rng)?;
                    sent.push(Sent {
                        to: s.to,
                        ephemeral: s.ephemeral,
                        sealed: s.sealed,
                    });
                }
                self.sent = sent;
                Step::Shares(p)
            }
            Step::Shares(p) => {
                if self.others().any(|i| self.received.shares[i].is_none()) {
                    return Ok(false);
                }
                let mut p = p.clone();
                for i in self.others() {
                    if let Some((ephemeral, sealed)) = &self.received.shares[i] {
                        let sealed = pb::SealedShare {
                            to: self.index as u32,
                            ephemeral: ephemeral.clone(),
                            sealed: sealed.clone(),
                        };
                        let share = open(&self.ceremony, i, &self.transport_secret, &sealed)?;
                        p.insert_secret_share(i, share).map_err(|e| blame(i, e))?;
                    }
                }
                let trustee = p.complete().map_err(|e| blame(self.index, e))?;
                let committee = Committee::new(trustee.key_set().clone()).to_bytes();
                Step::Done { committee, trustee }
            }
            Step::Done { .. } => return Ok(false),
        };
        self.step = next;
        Ok(true)
    }

    /// The committee and this trustee's key share, once the ceremony is complete.
    pub fn finished(&self) -> Option<(Committee, Trustee)> {
        match &self.step {
            Step::Done { trustee, .. } => {
                Some((Committee::new(trustee.key_set().clone()), trustee.clone()))
            }
            _ => None,
        }
    }

    /// Whether every other trustee has posted the same committee document as this one (the
    /// ceremony is complete for all).
    pub fn agreed(&self) -> bool {
        matches!(self.step, Step::Done { .. })
            && self.others().all(|i| self.received.committees[i].is_some())
    }

    /// Encoding for the trustee's store (JSON; it holds the secret polynomial and the transport
    /// secret, so the store must be protected like a key file).
    pub fn to_bytes(&self) -> Result<Vec<u8>, SecureError> {
        serde_json::to_vec(self).map_err(|e| SecureError::Dkg(format!("encoding the session: {e}")))
    }

    /// Decodes [`DkgSession::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<DkgSession, SecureError> {
        let s: DkgSession = serde_json::from_slice(bytes)
            .map_err(|e| SecureError::Dkg(format!("the stored session does not decode: {e}")))?;
        let r = &s.received;
        let sizes_fit = [
            r.commitments.len(),
            r.polynomials.len(),
            r.shares.len(),
            r.committees.len(),
        ]
        .iter()
        .all(|&l| l == s.size);
        if !sizes_fit || s.index >= s.size || params(s.threshold, s.size).is_err() {
            return Err(SecureError::Dkg(
                "the stored session is inconsistent".into(),
            ));
        }
        Ok(s)
    }
}
