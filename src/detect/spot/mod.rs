//! The automatic threshold: SPOT, "Streaming Peaks-Over-Threshold" (A. Siffer, P.-A. Fouque,
//! A. Termier, C. Largouët, "Anomaly Detection in Streams with Extreme Value Theory", KDD 2017).
//!
//! Instead of a guessed share of anomalies (the contamination), the threshold comes from the
//! scores' own tail: by the Pickands-Balkema-de Haan theorem the excesses of a score over a high
//! threshold follow a generalized Pareto distribution, whatever the score's distribution, so the
//! score that a normal row exceeds with a small probability `q` (the [`Risk`]) can be
//! extrapolated from the tail even beyond the highest score seen. It works for every detector
//! (scores are "higher = more anomalous"): bounded ones such as Isolation Forest's, heavy-tailed
//! ones such as robust z-scores.
//!
//! - [`ThresholdMode`]: contamination (scikit-learn) or automatic;
//! - [`gpd`]: the generalized Pareto distribution and Grimshaw's maximum-likelihood fit;
//! - [`Tail`]: the batch model of a set of scores and its threshold at a risk;
//! - [`StreamingThreshold`]: SPOT and DSPOT over a stream, with a serialisable state.

mod error;
pub mod gpd;
mod mode;
mod stream;
mod tail;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

pub use error::SpotError;
pub use mode::ThresholdMode;
pub use stream::{StreamingThreshold, Verdict};
pub use tail::{initial_level, Tail, CENSORED_SHARE, LEVEL, MIN_EXCESSES, MIN_LEVEL, MIN_SCORES};

/// The largest risk allowed: the tail model describes probabilities below the initial
/// threshold's (at most 10%, usually 2%), so a risk near them would no longer be a tail.
pub const MAX_RISK: f64 = 0.01;

/// The risk `q`: the probability that a normal score lies above the automatic threshold, so
/// about `q` times the number of normal rows are flagged by chance.
///
/// The default is `1e-4`: fewer than one chance flag in a table of up to 10,000 rows (a year of
/// hourly traffic is 8,760), about one a week for a score every minute (10,080 a week), and it
/// stays within a reach of the fitted tail that the fit supports (at the 98% initial level the
/// threshold extrapolates to a tail probability 200 times smaller than the initial threshold's).
/// `1e-3` would flag about nine normal hours a year of hourly data; `1e-5` and below
/// extrapolate so far beyond the scores seen that the fit's uncertainty dominates.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Risk(f64);

impl Risk {
    /// The default risk, `1e-4` (see the type's documentation for why).
    pub const DEFAULT: Risk = Risk(1e-4);
    /// The risk for ranking the clients of an access log: thousands of clients rather than
    /// millions of rows, and the tail holds many attackers at once (a flood from hundreds of
    /// addresses), which a smaller risk masks; about 1% of ordinary clients may be flagged by
    /// chance, which keeps the list short.
    pub const CLIENTS: Risk = Risk(1e-2);

    /// A risk in (0, [`MAX_RISK`]].
    pub fn new(q: f64) -> Result<Risk, SpotError> {
        if q > 0.0 && q <= MAX_RISK {
            Ok(Risk(q))
        } else {
            Err(SpotError::Risk {
                value: q,
                max: MAX_RISK,
            })
        }
    }

    /// The probability.
    pub fn get(self) -> f64 {
        self.0
    }
}

impl Default for Risk {
    fn default() -> Self {
        Risk::DEFAULT
    }
}

impl std::str::FromStr for Risk {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let q: f64 = s
            .trim()
            .parse()
            .map_err(|_| format!("`{s}` is not a number (a probability such as 1e-4)"))?;
        Risk::new(q).map_err(|e| e.to_string())
    }
}

impl std::fmt::Display for Risk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::detect::setting_text::setting_text(self.0))
    }
}
