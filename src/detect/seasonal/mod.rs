//! The seasonal baseline detector: each moment of each feature series is compared with what is
//! normal for that time (its level plus its daily and weekly seasonality), causally.
//!
//! - [`grid`]: timestamps bucketed to the sampling interval; missing buckets and repeats.
//! - [`periods`]: the seasonal periods from the interval and the history length.
//! - [`baseline`]: the robust causal expected value (robust level, seasonal medians).
//! - [`scale`]: the robust residual scale (MAD of recent residuals, count-noise floor).
//! - [`state`]: the state updated one row at a time, serialisable for restarts.
//! - [`batch`]: a whole table, the series in parallel, the same numbers as row by row.
//! - [`calibrate`]: the row's score as a tail probability in [0, 1], comparable across tables.
//! - [`record`]: a value (or a 16-row mean, or mean departure) beyond the recent range, as a
//!   probability.
//! - [`hold_off`]: one alarm per event (opt-in): a feature's values right after its alarm are
//!   capped.
//! - [`explain`]: a row's verdict in words.
//! - [`fitted`]: the detector fitted on a table (scores, bands, the state after the last row).
//! - [`settings`]: the user's settings and the fit the analysis session calls.
//!
//! Written by hand rather than with a decomposition crate (such as augurs' MSTL): those fit a
//! whole series at once, so they are neither causal nor incremental, which is the product's core
//! here (live monitoring feeds the same state one row at a time).

pub mod baseline;
pub mod batch;
pub mod calibrate;
mod error;
pub mod explain;
pub mod fitted;
pub mod grid;
pub mod hold_off;
mod median;
pub mod periods;
pub mod record;
pub mod scale;
pub mod settings;
pub mod state;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

pub use batch::{score_table, score_table_on, SeasonalScores};
pub use calibrate::ScoreReference;
pub use error::SeasonalError;
pub use fitted::FittedSeasonal;
pub use state::{PointScore, RowScore, SeasonalState};

/// The default band: 3.5 / 0.6745 = 5.19 MADs, Iglewicz and Hoaglin's cut-off for the modified
/// z-score (`0.6745 (x - median) / MAD > 3.5`; *How to Detect and Handle Outliers*, ASQC, 1993)
/// in raw MADs.
pub const DEFAULT_BAND_MADS: f64 = 3.5 / scale::MAD_PER_SD;

/// The settings of the seasonal baseline.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SeasonalParams {
    /// Cycles per phase the seasonal medians look back over (2 to 8).
    pub cycles: usize,
    /// Rows the level is smoothed over (`alpha = 2 / (window + 1)`); 0: four cycles of the
    /// shortest period, at least 32.
    pub level_window: usize,
    /// Recent residuals the MAD is taken over (at least 8).
    pub scale_window: usize,
    /// The count-noise floor of the scale in Poisson MADs (0 turns it off); see [`scale`].
    pub count_floor: f64,
    /// Half-width of the band the baseline allows, in MADs ([`DEFAULT_BAND_MADS`] for the live
    /// monitor's `--band`; a table's fit sets it from the risk and the number of features, see
    /// [`calibrate::model_band_mads`]).
    pub band_mads: f64,
    /// What a feature's tail probability is measured against (see [`calibrate`]).
    #[serde(default)]
    pub reference: ScoreReference,
    /// Values of a feature after its alarm that are capped below it (0: off; see [`hold_off`]).
    #[serde(default)]
    pub hold_off: usize,
}

impl Default for SeasonalParams {
    fn default() -> Self {
        SeasonalParams {
            cycles: 8,
            level_window: 0,
            scale_window: 128,
            count_floor: 1.0,
            band_mads: DEFAULT_BAND_MADS,
            reference: ScoreReference::Model,
            hold_off: 0,
        }
    }
}

impl SeasonalParams {
    /// Checks the ranges; returns the settings unchanged.
    pub fn validate(self) -> Result<Self, SeasonalError> {
        if !(baseline::MIN_CYCLES..=baseline::MAX_CYCLES).contains(&self.cycles) {
            return Err(SeasonalError::Cycles(self.cycles));
        }
        if self.scale_window < 8 {
            return Err(SeasonalError::ScaleWindow(self.scale_window));
        }
        if !(self.count_floor.is_finite() && self.count_floor >= 0.0) {
            return Err(SeasonalError::CountFloor(self.count_floor));
        }
        if !(self.band_mads.is_finite() && self.band_mads > 0.0) {
            return Err(SeasonalError::Band(self.band_mads));
        }
        Ok(self)
    }

    /// The level window for `periods` (ascending).
    pub fn level_window(&self, periods: &[usize]) -> usize {
        if self.level_window > 0 {
            self.level_window
        } else {
            periods.first().map_or(32, |&p| (4 * p).max(32))
        }
    }
}
