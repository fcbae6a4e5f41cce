//! What can stop the automatic threshold: a risk out of range, too few scores to learn a tail
//! from, a score that is not a number.

/// The automatic threshold cannot be set.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SpotError {
    /// The risk must be a probability in (0, [`MAX_RISK`](super::MAX_RISK)].
    #[error("the risk must be a probability above 0 and at most {max}, not {value}; try the default, 1e-4")]
    Risk {
        /// The risk given.
        value: f64,
        /// The largest risk allowed.
        max: f64,
    },
    /// Fewer scores than a tail can be fitted to.
    #[error("the automatic threshold needs at least {needed} scores to learn the tail of their distribution from, but there are {scores}; on so few rows, choose the share to flag instead (`--threshold contamination`; in the app, Threshold: Contamination)")]
    TooFewScores {
        /// Scores given.
        scores: usize,
        /// Scores needed.
        needed: usize,
    },
    /// A score that is NaN or infinite.
    #[error("score {index} is {value}, not a finite number; the automatic threshold needs finite scores")]
    NotFinite {
        /// Its position (0-based).
        index: usize,
        /// The value.
        value: f64,
    },
}
