//! An estimate with the distribution of its noise, and its 95% half-width.

use std::collections::HashMap;

use super::{CONFIDENCE, Z95};
use crate::noise;

/// The noise of an estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Noise {
    /// No noise (no shares, or a partition without noise).
    None,
    /// (X − Y) / divisor with X, Y ~ Pólya(shape, alpha).
    Exact {
        shape: f64,
        alpha: f64,
        divisor: f64,
    },
    /// Approximately normal with this variance.
    Normal { variance: f64 },
}

impl Noise {
    /// Variance in estimate units.
    pub(super) fn variance(&self) -> f64 {
        match *self {
            Noise::None => 0.0,
            Noise::Exact {
                shape,
                alpha,
                divisor,
            } => noise::difference_variance(shape, alpha) / (divisor * divisor),
            Noise::Normal { variance } => variance,
        }
    }
}

/// Exact quantiles already computed, by (shape, alpha).
#[derive(Default)]
pub(super) struct QuantileCache(HashMap<(u64, u64), Option<u64>>);

/// An estimate and its noise.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Est {
    pub value: f64,
    pub noise: Noise,
}

impl Est {
    /// The 95% half-width: exact for a Pólya difference (a normal one if the exact support is
    /// too large to walk), 1.96 σ for a normal noise.
    pub(super) fn half_width(&self, cache: &mut QuantileCache) -> f64 {
        match self.noise {
            Noise::None => 0.0,
            Noise::Exact {
                shape,
                alpha,
                divisor,
            } => {
                let q = *cache
                    .0
                    .entry((shape.to_bits(), alpha.to_bits()))
                    .or_insert_with(|| noise::half_width(shape, alpha, CONFIDENCE).ok());
                match q {
                    Some(q) => q as f64 / divisor,
                    None => Z95 * self.noise.variance().sqrt(),
                }
            }
            Noise::Normal { variance } => Z95 * variance.sqrt(),
        }
    }

    /// The sum of independent estimates: exact when all are Pólya differences of one α and one
    /// divisor (shapes add), else normal with the summed variances.
    pub(super) fn sum(parts: &[Est]) -> Est {
        let value = parts.iter().map(|p| p.value).sum();
        let exact: Option<(f64, f64, f64)> = parts
            .iter()
            .try_fold(None, |acc: Option<(f64, f64, f64)>, p| {
                match (acc, p.noise) {
                    (
                        None,
                        Noise::Exact {
                            shape,
                            alpha,
                            divisor,
                        },
                    ) => Some(Some((shape, alpha, divisor))),
                    (
                        Some((s, a, d)),
                        Noise::Exact {
                            shape,
                            alpha,
                            divisor,
                        },
                    ) if a == alpha && d == divisor => Some(Some((s + shape, a, d))),
                    _ => None,
                }
            })
            .flatten();
        let noise = match exact {
            Some((shape, alpha, divisor)) => Noise::Exact {
                shape,
                alpha,
                divisor,
            },
            None => Noise::Normal {
                variance: parts.iter().map(|p| p.noise.variance()).sum(),
            },
        };
        Est { value, noise }
    }

    /// Inverse-variance combination of two independent estimates of one quantity, with a normal
    /// interval.
    pub(super) fn combine(a: Est, b: Est) -> Est {
        let (va, vb) = (a.noise.variance(), b.noise.variance());
        if va == 0.0 {
            return a;
        }
        if vb == 0.0 {
            return b;
        }
        let (wa, wb) = (1.0 / va, 1.0 / vb);
        Est {
            value: (wa * a.value + wb * b.value) / (wa + wb),
            noise: Noise::Normal {
                variance: 1.0 / (wa + wb),
            },
        }
    }
}
