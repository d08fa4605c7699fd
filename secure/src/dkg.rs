//! Distributed key generation among the trustees (Pedersen's DKG with hash commitments, from
//! `elastic-elgamal`): no party ever holds the whole committee key.
//!
//! The rounds, each relayed by the aggregator (which learns nothing secret from them):
//! 1. every trustee publishes a hash commitment to its public polynomial;
//! 2. then its public polynomial with a proof of possession (checked against the commitment);
//! 3. then sends each other trustee that trustee's secret share, sealed to the recipient's key
//!    (the transport seals; here the share is plain), which the recipient checks against the
//!    sender's public polynomial;
//! 4. every trustee derives the same [`Committee`] and its own key share.
//!
//! [`run_local`] drives all four steps among local participants (tests, benchmarks, the demo).

use elastic_elgamal::dkg::ParticipantCollectingCommitments;

use crate::committee::{params, Committee};
use crate::{Group, SecureError, Trustee};

/// What can go wrong with one trustee's contribution, naming the trustee (0-based index).
fn blame(index: usize, e: impl std::fmt::Display) -> SecureError {
    SecureError::Dkg(format!("trustee {index}: {e}"))
}

/// Runs the DKG among `m` local participants with threshold `t`. `tamper` may change the secret
/// share that trustee `from` sends to trustee `to` (tests of the checks); production code passes
/// `|_, _, s| s`.
pub fn run_local<R, F>(
    m: usize,
    t: usize,
    rng: &mut R,
    mut tamper: F,
) -> Result<(Committee, Vec<Trustee>), SecureError>
where
    R: rand::CryptoRng + rand::RngCore,
    F: FnMut(usize, usize, elastic_elgamal::SecretKey<Group>) -> elastic_elgamal::SecretKey<Group>,
{
    let p = params(t, m)?;
    let mut collecting: Vec<_> = (0..m)
        .map(|i| ParticipantCollectingCommitments::<Group>::new(p, i, rng))
        .collect();
    let commitments: Vec<[u8; 32]> = collecting.iter().map(|c| c.commitment()).collect();
    for (i, c) in collecting.iter_mut().enumerate() {
        for (j, &commitment) in commitments.iter().enumerate() {
            if i != j {
                c.insert_commitment(j, commitment);
            }
        }
    }
    let mut polys: Vec<_> = collecting
        .into_iter()
        .map(|c| c.finish_commitment_phase())
        .collect();
    let infos: Vec<_> = polys.iter().map(|p| p.public_info().into_owned()).collect();
    for (i, p) in polys.iter_mut().enumerate() {
        for (j, info) in infos.iter().enumerate() {
            if i != j {
                p.insert_public_polynomial(j, info.clone())
                    .map_err(|e| blame(j, e))?;
            }
        }
    }
    let mut exchanging: Vec<_> = polys
        .into_iter()
        .map(|p| p.finish_polynomials_phase())
        .collect();
    for from in 0..m {
        for to in 0..m {
            if from == to {
                continue;
            }
            let share = tamper(from, to, exchanging[from].secret_share_for_participant(to));
            exchanging[to]
                .insert_secret_share(from, share)
                .map_err(|e| blame(from, e))?;
        }
    }
    let trustees = exchanging
        .into_iter()
        .enumerate()
        .map(|(i, e)| {
            if let Some(missing) = e.missing_shares().next() {
                return Err(blame(missing, "no secret share"));
            }
            e.complete().map_err(|err| blame(i, err))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let committee = Committee::new(trustees[0].key_set().clone());
    for t in &trustees {
        if t.key_set().shared_key() != committee.key() {
            return Err(blame(t.index(), "derived another committee key"));
        }
    }
    Ok((committee, trustees))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_trustee_derives_the_same_committee_and_a_bad_share_names_its_sender() {
        let mut rng = rand::rngs::OsRng;
        let (c, trustees) = run_local(5, 3, &mut rng, |_, _, s| s).expect("dkg");
        assert_eq!((c.threshold(), c.size()), (3, 5));
        assert_eq!(trustees.len(), 5);
        for (i, t) in trustees.iter().enumerate() {
            assert_eq!(t.index(), i);
            assert_eq!(c.key_set().participant_key(i), Some(t.public_key_share()));
        }
        let err = run_local(5, 3, &mut rng, |from, to, s| {
            if from == 2 && to == 4 {
                elastic_elgamal::SecretKey::generate(&mut rand::rngs::OsRng)
            } else {
                s
            }
        })
        .expect_err("tampered share");
        assert!(err.to_string().contains("trustee 2"), "{err}");
    }
}
