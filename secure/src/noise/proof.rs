//! Range-proved noise shares: a trustee's share of every component is bounded, so no trustee can
//! move a cell by more than B or push a sum out of the decryption table.
//!
//! A share v = Pólya(1/h, α) − Pólya(1/h, α) is drawn again while |v| > B, with B =
//! [`NoiseSpec::share_bound`] (P(|v| > B) < 2^-40). The trustee encrypts v + B, which lies in
//! 0..=2B, with a range proof (the same `RangeProof` as a node's values); everyone checks the proof
//! and subtracts the trivial encryption of B, so the ciphertext that is added to the cell encrypts
//! v. The redraw changes the distribution of a share by less than 2^-40 in total variation
//! (PRIVACY.md, "Mode secure: accounting").

use elastic_elgamal::RangeProof;
use merlin::Transcript;
use sovbench_core::pb;

use super::{share, NoiseSpec};
use crate::bulletin::{ciphertext_from_bytes, ciphertext_to_bytes};
use crate::encoding::prepared_range;
use crate::round::SecureRound;
use crate::{Ciphertext, Group, PublicKey, SecureError};

/// Redraws of a share beyond the bound before giving up (each happens with probability < 2^-40).
const MAX_DRAWS: usize = 64;

/// Transcript label of a noise share's range proof.
const LABEL: &[u8] = b"sovbench noise share";

/// One share within the bound [−B, B].
pub fn bounded_share<R: rand::CryptoRng + rand::RngCore>(
    spec: &NoiseSpec,
    rng: &mut R,
) -> Result<i64, SecureError> {
    let b = i64::try_from(spec.share_bound()).unwrap_or(i64::MAX);
    for _ in 0..MAX_DRAWS {
        let v = share(spec, rng)?;
        if v.abs() <= b {
            return Ok(v);
        }
    }
    Err(SecureError::Noise(format!(
        "{MAX_DRAWS} draws beyond the bound {b} (scale {})",
        spec.scale
    )))
}

/// Encrypts `v` (|v| ≤ B) as v + B with a proof that it lies in 0..=2B.
pub fn prove<R: rand::CryptoRng + rand::RngCore>(
    key: &PublicKey,
    spec: &NoiseSpec,
    v: i64,
    rng: &mut R,
) -> Result<(Ciphertext, RangeProof<Group>), SecureError> {
    let b = spec.share_bound();
    let shifted = u64::try_from(v + i64::try_from(b).unwrap_or(i64::MAX))
        .ok()
        .filter(|s| *s <= 2 * b)
        .ok_or_else(|| SecureError::Noise(format!("share {v} beyond the bound {b}")))?;
    let range = prepared_range(2 * b + 1);
    let (c, proof) = RangeProof::new(key, &range, shifted, &mut Transcript::new(LABEL), rng);
    Ok((c.into(), proof))
}

/// Checks the proof of a shifted share and returns the ciphertext of the share itself.
pub fn open(
    key: &PublicKey,
    spec: &NoiseSpec,
    c: Ciphertext,
    proof: &RangeProof<Group>,
) -> Result<Ciphertext, SecureError> {
    let b = spec.share_bound();
    let range = prepared_range(2 * b + 1);
    let run = || {
        proof
            .verify(key, &range, c, &mut Transcript::new(LABEL))
            .is_ok()
    };
    if !std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)).unwrap_or(false) {
        return Err(SecureError::Noise(format!(
            "the range proof of a noise share does not verify (bound ±{b})"
        )));
    }
    Ok(c - Ciphertext::non_blinded(b))
}

/// Encoded ciphertexts or proofs, one per component, as `NoiseShares` carries them.
pub type Encoded = Vec<Vec<u8>>;

/// A trustee's proved noise for every component of every announced cell, in the order cells ×
/// components: the ciphertexts (of share + B) and their proofs, as `NoiseShares` carries them.
pub fn draw_cells<R: rand::CryptoRng + rand::RngCore>(
    round: &SecureRound,
    cells: &[pb::AnnouncedCell],
    rng: &mut R,
) -> Result<(Encoded, Encoded), SecureError> {
    let (m, t) = (round.committee.size(), round.committee.threshold());
    let width = round.cell_width();
    let mut cts = Vec::with_capacity(cells.len() * width);
    let mut proofs = Vec::with_capacity(cells.len() * width);
    for cell in cells {
        let spec = NoiseSpec::new(cell.scale, m, t)?;
        for _ in 0..width {
            let v = bounded_share(&spec, rng)?;
            let (c, proof) = prove(round.committee.key(), &spec, v, rng)?;
            cts.push(ciphertext_to_bytes(&c));
            proofs.push(
                serde_json::to_vec(&proof)
                    .map_err(|_| SecureError::Malformed("noise proof".into()))?,
            );
        }
    }
    Ok((cts, proofs))
}

/// The noise ciphertexts of a `NoiseShares` message for the announced `cells` (the shift by B
/// removed), after checking its length and, with `verify`, every range proof. Without `verify`
/// (a post verified when it was accepted) only the shift is removed.
pub fn cell_noise(
    round: &SecureRound,
    cells: &[pb::AnnouncedCell],
    ns: &pb::NoiseShares,
    verify: bool,
) -> Result<Vec<Ciphertext>, SecureError> {
    let (m, t) = (round.committee.size(), round.committee.threshold());
    let width = round.cell_width();
    let want = cells.len() * width;
    if ns.ciphertexts.len() != want || ns.range_proofs.len() != want {
        return Err(SecureError::Noise(format!(
            "{} noise ciphertexts and {} proofs, the announcement needs {want}",
            ns.ciphertexts.len(),
            ns.range_proofs.len()
        )));
    }
    let mut out = Vec::with_capacity(want);
    for (i, (c, p)) in ns.ciphertexts.iter().zip(&ns.range_proofs).enumerate() {
        let cell = &cells[i / width.max(1)];
        let spec = NoiseSpec::new(cell.scale, m, t)?;
        let c = ciphertext_from_bytes(c)?;
        let at = |e: SecureError| SecureError::Noise(format!("noise component {i}: {e}"));
        if verify {
            let proof: RangeProof<Group> = serde_json::from_slice(p)
                .map_err(|_| at(SecureError::Malformed("range proof".into())))?;
            out.push(open(round.committee.key(), &spec, c, &proof).map_err(at)?);
        } else {
            out.push(c - Ciphertext::non_blinded(spec.share_bound()));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::committee::deal_for_tests;
    use crate::decryption::{combine, share as dec_share, Table};

    #[test]
    fn a_proved_share_opens_to_itself_and_an_out_of_range_one_is_refused() {
        let mut rng = rand::rngs::OsRng;
        let (committee, trustees) = deal_for_tests(3, 2, &mut rng).expect("committee");
        let key = committee.key();
        let spec = NoiseSpec::new(4.0, 3, 2).expect("spec");
        let b = spec.share_bound() as i64;
        assert!(b > 10 && b < 400, "{b}");
        let table = Table::new(0, b as u64 + 1);
        for v in [-b, -3, 0, 5, b] {
            let (c, proof) = prove(key, &spec, v, &mut rng).expect("prove");
            let opened = open(key, &spec, c, &proof).expect("verifies");
            let shares: Vec<_> = trustees
                .iter()
                .take(2)
                .map(|t| dec_share(t, opened, &mut rng))
                .collect();
            let got = combine(&committee, opened, &shares, &table).expect("decrypts");
            assert_eq!(got.value, v);
        }
        assert!(prove(key, &spec, b + 1, &mut rng).is_err());
        // A share of 2B + 1 proved in a wider range does not verify against the bound.
        let wide = prepared_range(4 * b as u64);
        let (c, proof) = RangeProof::new(
            key,
            &wide,
            2 * b as u64 + 1,
            &mut Transcript::new(LABEL),
            &mut rng,
        );
        assert!(open(key, &spec, c.into(), &proof).is_err());
        // A proof moved to another ciphertext does not verify.
        let (_, p1) = prove(key, &spec, 1, &mut rng).expect("prove");
        let (c2, _) = prove(key, &spec, 2, &mut rng).expect("prove");
        assert!(open(key, &spec, c2, &p1).is_err());
    }

    #[test]
    fn bounded_shares_stay_within_the_bound() {
        let mut rng = rand::rngs::OsRng;
        let spec = NoiseSpec::new(10.0, 5, 3).expect("spec");
        let b = spec.share_bound() as i64;
        // The bound is a 2^-40 tail: far beyond the share's standard deviation.
        let sd = (spec.target_variance() / spec.honest() as f64).sqrt();
        assert!(b as f64 > 10.0 * sd, "{b} vs sd {sd}");
        for _ in 0..2_000 {
            assert!(bounded_share(&spec, &mut rng).expect("share").abs() <= b);
        }
    }
}
