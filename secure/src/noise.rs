//! The trustees' noise: each adds a share to every announced cell, so that the noise of any
//! *h* = *m* − *t* + 1 trustees alone is exactly a discrete Laplace variable of the round's scale.
//!
//! The discrete Laplace distribution with scale s, P(x) ∝ α^|x| with α = e^(−1/s), is the
//! difference of two geometric variables, and a geometric variable is a Pólya (negative binomial)
//! variable of shape 1. Pólya variables with the same α add up in their shapes, so each trustee
//! adds Pólya(1/h, α) − Pólya(1/h, α): any h shares sum to Pólya(1, α) − Pólya(1, α), the discrete
//! Laplace variable whose privacy map OpenDP gives (`make_laplace` on integers: ε = Δ₁ / s). All
//! m shares together have m / h times its variance.
//!
//! Sampling: Pólya(r, α) = Poisson(λ) with λ ~ Gamma(shape r, scale α / (1 − α)), drawn with the
//! operating system's randomness (`OsRng`). Gamma and Poisson are sampled in floating point
//! (`rand_distr`): the one floating-point step of the noise, documented in PRIVACY.md; the tests
//! check the composed distribution against the exact discrete Laplace probabilities.

use rand_distr::{Distribution as _, Gamma, Poisson};

use crate::{Ciphertext, PublicKey, SecureError};

pub mod proof;

/// The target noise of a cell and the committee it is split over.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NoiseSpec {
    /// Scale s of the target discrete Laplace distribution.
    pub scale: f64,
    /// Trustees m.
    pub trustees: usize,
    /// Threshold t.
    pub threshold: usize,
}

impl NoiseSpec {
    /// Checks the parameters: a finite positive scale (at most 10^6), 1 ≤ t ≤ m.
    pub fn new(scale: f64, trustees: usize, threshold: usize) -> Result<NoiseSpec, SecureError> {
        if !(scale.is_finite() && scale > 0.0 && scale <= 1e6) {
            return Err(SecureError::Noise(format!(
                "scale {scale} must be positive and at most 10^6"
            )));
        }
        crate::committee::params(threshold, trustees)?;
        Ok(NoiseSpec {
            scale,
            trustees,
            threshold,
        })
    }

    /// h = m − t + 1: the fewest honest trustees in any coalition that cannot decrypt alone.
    pub fn honest(&self) -> usize {
        self.trustees - self.threshold + 1
    }

    /// α = e^(−1/s).
    pub fn alpha(&self) -> f64 {
        (-1.0 / self.scale).exp()
    }

    /// Variance of the target discrete Laplace variable: 2α / (1 − α)².
    pub fn target_variance(&self) -> f64 {
        let a = self.alpha();
        2.0 * a / ((1.0 - a) * (1.0 - a))
    }

    /// Variance of the noise all m trustees add together: m / h times the target's.
    pub fn total_variance(&self) -> f64 {
        self.target_variance() * self.trustees as f64 / self.honest() as f64
    }

    /// A bound B with P(|noise of all m trustees| > B) < 2^-40, for the decryption table. The
    /// total is X − Y with X, Y ~ Pólya(m/h, α); by Chernoff, P(X ≥ x) ≤ min over θ of
    /// e^(−θx) · ((1 − α) / (1 − α e^θ))^(m/h), and P(|X − Y| > x) ≤ 2 P(X ≥ x).
    pub fn bound(&self) -> u64 {
        tail_bound(self.alpha(), self.trustees as f64 / self.honest() as f64)
    }

    /// The bound B of one trustee's share, Pólya(1/h, α) − Pólya(1/h, α): P(|share| > B) <
    /// 2^-40 (the same Chernoff bound with shape 1/h). A trustee proves its share in [−B, B]
    /// ([`proof`]); a draw beyond it is drawn again.
    pub fn share_bound(&self) -> u64 {
        tail_bound(self.alpha(), 1.0 / self.honest() as f64)
    }
}

/// The smallest B (an integer) with the Chernoff bound of P(|X − Y| > B) below 2^-40, for X, Y
/// ~ Pólya(r, a).
fn tail_bound(a: f64, r: f64) -> u64 {
    let log_tail = |x: f64| -> f64 {
        (1..400)
            .map(|i| {
                let th = -a.ln() * f64::from(i) / 400.0;
                -th * x + r * ((1.0 - a).ln() - (1.0 - a * th.exp()).ln())
            })
            .fold(0.0, f64::min)
            + std::f64::consts::LN_2
    };
    let target = -40.0 * std::f64::consts::LN_2;
    let mut hi = 1.0f64;
    while log_tail(hi) > target && hi < 1e12 {
        hi *= 2.0;
    }
    let mut lo = hi / 2.0;
    while hi - lo > 1.0 {
        let mid = (lo + hi) / 2.0;
        if log_tail(mid) > target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    hi.ceil() as u64
}

fn polya<R: rand::CryptoRng + rand::RngCore>(
    shape: f64,
    alpha: f64,
    rng: &mut R,
) -> Result<u64, SecureError> {
    let gamma =
        Gamma::new(shape, alpha / (1.0 - alpha)).map_err(|e| SecureError::Noise(e.to_string()))?;
    let lambda: f64 = gamma.sample(rng);
    if lambda.is_nan() || lambda <= 0.0 {
        return Ok(0);
    }
    let poisson = Poisson::new(lambda).map_err(|e| SecureError::Noise(e.to_string()))?;
    let x: f64 = poisson.sample(rng);
    Ok(x as u64)
}

/// One trustee's noise share for one cell: Pólya(1/h, α) − Pólya(1/h, α).
pub fn share<R: rand::CryptoRng + rand::RngCore>(
    spec: &NoiseSpec,
    rng: &mut R,
) -> Result<i64, SecureError> {
    let r = 1.0 / spec.honest() as f64;
    let a = spec.alpha();
    let x = polya(r, a, rng)?;
    let y = polya(r, a, rng)?;
    Ok(x as i64 - y as i64)
}

/// Encrypts a (possibly negative) integer under `key`.
pub fn encrypt<R: rand::CryptoRng + rand::RngCore>(
    key: &PublicKey,
    value: i64,
    rng: &mut R,
) -> Ciphertext {
    let c = key.encrypt(value.unsigned_abs(), rng);
    if value < 0 {
        -c
    } else {
        c
    }
}

/// Probability mass below which the tail of a distribution is cut off in [`difference_pmf`].
pub const TAIL: f64 = 1e-12;

/// Largest support the exact computation walks (a scale or shape beyond it is refused).
const MAX_SUPPORT: usize = 50_000_000;

/// P(X = 0), P(X = 1), … of the Pólya (negative binomial) variable X with real shape `shape`
/// and parameter α: P(X = k) = Γ(k + r) / (Γ(r) k!) · (1 − α)^r · α^k, computed in logarithms
/// by the ratio P(k + 1) / P(k) = α (k + r) / (k + 1), up to where the remaining tail is below
/// [`TAIL`].
pub fn polya_pmf(shape: f64, alpha: f64) -> Result<Vec<f64>, SecureError> {
    if !(shape.is_finite() && shape > 0.0 && alpha > 0.0 && alpha < 1.0) {
        return Err(SecureError::Noise(format!(
            "Pólya shape {shape} and parameter {alpha} out of their domains"
        )));
    }
    let mean = shape * alpha / (1.0 - alpha);
    let mut log_p = shape * (1.0 - alpha).ln();
    let mut out = Vec::new();
    let mut mass = 0.0;
    for k in 0..MAX_SUPPORT {
        let p = log_p.exp();
        out.push(p);
        mass += p;
        if k as f64 > mean && 1.0 - mass < TAIL {
            return Ok(out);
        }
        log_p += alpha.ln() + (k as f64 + shape).ln() - (k as f64 + 1.0).ln();
    }
    Err(SecureError::Noise(format!(
        "Pólya shape {shape} and parameter {alpha}: support beyond {MAX_SUPPORT}"
    )))
}

/// P(D = d) for d = 0, 1, … of D = X − Y with X, Y independent Pólya(`shape`, α) (D is
/// symmetric: P(D = −d) = P(D = d)), by convolution of the truncated pmfs.
pub fn difference_pmf(shape: f64, alpha: f64) -> Result<Vec<f64>, SecureError> {
    let p = polya_pmf(shape, alpha)?;
    Ok((0..p.len()).map(|d| diff_at(&p, d)).collect())
}

fn diff_at(p: &[f64], d: usize) -> f64 {
    p[d..].iter().zip(p).map(|(a, b)| a * b).sum()
}

/// The smallest q with P(|X − Y| ≤ q) ≥ `level` for X, Y independent Pólya(`shape`, α): the
/// half-width, in plaintext units, of the exact `level` interval of a sum carrying this noise.
pub fn half_width(shape: f64, alpha: f64, level: f64) -> Result<u64, SecureError> {
    let p = polya_pmf(shape, alpha)?;
    let mut covered = diff_at(&p, 0);
    let mut q = 0;
    while covered < level {
        q += 1;
        if q >= p.len() {
            break;
        }
        covered += 2.0 * diff_at(&p, q);
    }
    Ok(q as u64)
}

/// Variance of X − Y for X, Y independent Pólya(`shape`, α): 2 r α / (1 − α)².
pub fn difference_variance(shape: f64, alpha: f64) -> f64 {
    2.0 * shape * alpha / ((1.0 - alpha) * (1.0 - alpha))
}

#[cfg(test)]
mod tests;
