//! Errors of the secure-aggregation core.

/// Everything that can go wrong in encryption, verification, key generation and decryption.
#[derive(Debug, thiserror::Error)]
pub enum SecureError {
    /// The committee's threshold and size do not fit together.
    #[error("a committee of {m} trustees with threshold {t} is invalid; need 1 ≤ t ≤ m ≤ 64")]
    BadParams {
        /// Threshold.
        t: usize,
        /// Number of trustees.
        m: usize,
    },
    /// The committee's key shares do not belong to one key.
    #[error("the committee's key shares are inconsistent: {0}")]
    Committee(String),
    /// A true value does not fit the metric.
    #[error("metric {metric}: value {value} does not fit the metric ({expected})")]
    Value {
        /// Metric id.
        metric: String,
        /// The value, as text.
        value: String,
        /// What was expected.
        expected: String,
    },
    /// The metric's type cannot be encrypted.
    #[error("metric {0} has no encrypted form")]
    Unsupported(String),
    /// An encrypted value does not decode.
    #[error("metric {0}: the encrypted value is malformed")]
    Malformed(String),
    /// An encrypted value is of another shape than the metric's.
    #[error("metric {0}: the encrypted value has the wrong shape for this metric")]
    Shape(String),
    /// A range or choice proof does not verify.
    #[error("metric {0}: the range proof does not verify (forged, or a value out of range)")]
    Proof(String),
    /// A decryption share does not verify.
    #[error("the decryption share of trustee {0} does not verify")]
    BadShare(usize),
    /// Fewer than `t` valid shares.
    #[error("{got} valid decryption shares, {need} needed")]
    TooFewShares {
        /// Valid shares given.
        got: usize,
        /// The threshold.
        need: usize,
    },
    /// The decrypted value is outside the lookup table.
    #[error("the decrypted sum lies outside the table of {0} values")]
    OutOfTable(u64),
    /// Distributed key generation failed.
    #[error("key generation: {0}")]
    Dkg(String),
    /// Secure round parameters that do not fit together.
    #[error("round parameters (mode secure): {0}")]
    Round(String),
    /// An announcement that is not the partition of the bulletin.
    #[error("publication grid: {0}")]
    Grid(String),
    /// A bulletin entry a bulletin must not hold.
    #[error("bulletin entry {position}: {why}")]
    Bulletin {
        /// Position of the entry.
        position: u64,
        /// Why it is refused.
        why: String,
    },
    /// A noise parameter is out of its domain.
    #[error("noise: {0}")]
    Noise(String),
}
