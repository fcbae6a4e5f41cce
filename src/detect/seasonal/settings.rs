//! The seasonal baseline's settings as the user chooses them (the command line's `--cycles` and
//! `--count-floor`; the detector panel's cycles and count-noise floor), and how they reach a
//! fit: validated into [`ValidSeasonalParams`], fitted into a [`FitOutcome`] on the rows'
//! timestamps. The contamination is shared by every detector and lives in
//! [`DetectorConfig`](crate::detect::DetectorConfig); the seasonal baseline always works on the
//! values as they are (its expected values and bands are in the data's units, its count floor
//! needs counts), so the shared scaling does not apply to it.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{FittedSeasonal, ScoreReference, SeasonalParams};
use crate::clock::LocalClock;
use crate::detect::run::{Detection, FitInput, FitOutcome, FittedDetector};
use crate::detect::{Contamination, DetectorConfig, FitError, ParamsError};

/// The seasonal baseline's own settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SeasonalSettings {
    /// Cycles per phase the seasonal medians look back over (8).
    pub cycles: usize,
    /// The count-noise floor of the scale in Poisson MADs (1; 0 for series that are not counts).
    pub count_floor: f64,
    /// What a row's tail probability is measured against (the baseline's model by default).
    pub reference: ScoreReference,
    /// Values of a feature after its alarm that are capped below it (0: off; see
    /// [`super::hold_off`]).
    pub hold_off: usize,
}

impl Default for SeasonalSettings {
    fn default() -> Self {
        let p = SeasonalParams::default();
        SeasonalSettings {
            cycles: p.cycles,
            count_floor: p.count_floor,
            reference: p.reference,
            hold_off: p.hold_off,
        }
    }
}

/// Seasonal settings that passed every rule, with the contamination to flag by.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValidSeasonalParams {
    params: SeasonalParams,
    contamination: Contamination,
}

impl ValidSeasonalParams {
    /// The detector's parameters.
    pub fn params(&self) -> &SeasonalParams {
        &self.params
    }
}

impl SeasonalSettings {
    /// The detector's parameters (the other ones at their defaults).
    pub fn params(&self) -> SeasonalParams {
        SeasonalParams {
            cycles: self.cycles,
            count_floor: self.count_floor,
            reference: self.reference,
            hold_off: self.hold_off,
            ..SeasonalParams::default()
        }
    }

    /// Checks every rule under `contamination`; returns the only type that can fit.
    pub fn validate(
        &self,
        contamination: Contamination,
    ) -> Result<ValidSeasonalParams, ParamsError> {
        Ok(ValidSeasonalParams {
            params: self.params().validate()?,
            contamination: contamination.validate()?,
        })
    }

    /// The settings in words, such as `medians over 8 cycles, count floor 1` (and `, scored
    /// against each series' history` with that reference, `, 16 rows held off after a feature's alarm`
    /// with a hold-off).
    pub fn describe(&self) -> String {
        let reference = match self.reference {
            ScoreReference::Model => "",
            ScoreReference::History => ", scored against each series' history",
        };
        let hold_off = match self.hold_off {
            0 => String::new(),
            1 => ", 1 row held off after a feature's alarm".to_string(),
            n => format!(", {n} rows held off after a feature's alarm"),
        };
        format!(
            "medians over {} cycles, count floor {}{reference}{hold_off}",
            self.cycles,
            crate::detect::setting_text::setting_text(self.count_floor)
        )
    }
}

/// The seasonal baseline over `input`'s matrix (the features unscaled) at the rows' times.
/// `config` is what `params` were validated from.
pub fn fit(
    input: FitInput<'_>,
    params: &ValidSeasonalParams,
    config: &DetectorConfig,
) -> Result<FitOutcome, FitError> {
    let times = input.times.ok_or(super::SeasonalError::NoTime)?;
    let columns: Vec<&[f64]> = (0..input.x.features()).map(|f| input.x.column(f)).collect();
    if input.control.cancelled() {
        return Err(FitError::Cancelled);
    }
    let fitted = FittedSeasonal::fit_on(
        times,
        &columns,
        params.params,
        params.contamination,
        input.clock.unwrap_or(&LocalClock::default()),
    )?;
    Ok(FitOutcome {
        detection: Detection::new(fitted.training(), fitted.warnings(), config)?,
        detector: FittedDetector::Seasonal(Arc::new(fitted)),
        reused: false,
    })
}
