//! The seasonal detector's state, updated one row at a time: the batch scorer and the live
//! monitor both go through [`SeriesState::step`], so a batch gives exactly (bit for bit) the
//! numbers of feeding the rows one by one. The state is serialisable (serde), so a monitor can
//! save it and continue after a restart.
//!
//! Each row is scored from the rows before it only; then, unless its bucket was seen before
//! (see [`super::grid`]), it is learnt. The row's raw score is the largest |z| of its features:
//! an anomaly in one series is an anomaly of the row, and a sum or mean would dilute one
//! region's spike among five quiet ones. The explanation names the feature that made the row
//! most surprising ([`combine`]), the one its calibrated score comes from.

use serde::{Deserialize, Serialize};

use super::baseline::Baseline;
use super::calibrate::{model_surprise, row_surprise, score_of_surprise, History, ScoreReference};
use super::grid::{Grid, Placement};
use super::hold_off::{alarm_level, HoldOff};
use super::record::{Record, Records};
use super::scale::{floor, ResidualScale};
use super::{SeasonalError, SeasonalParams};
use crate::clock::{minutes_in_buckets, OffsetFollower};

/// How far (in scales) one row can pull the level: Huber's clip of the level update.
pub const LEVEL_CLIP: f64 = 3.0;

/// The fewest residuals behind a scale before it is trusted (rows before are warm-up).
pub const MIN_RESIDUALS: usize = 8;

/// One feature's verdict on one row.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PointScore {
    /// The value seen.
    pub observed: f64,
    /// The expected value from the rows before (the observed value itself on the first row).
    pub expected: f64,
    /// The robust scale the residual is divided by (a MAD, at least the count floor).
    pub scale: f64,
    /// The lower end of the band the baseline allows (`expected - band_mads * scale`, at least
    /// 0 while every value learnt so far was non-negative: counts cannot go below 0).
    pub lower: f64,
    /// The upper end of the band.
    pub upper: f64,
    /// The signed robust z: `(observed - expected) / scale`, in MADs (0 for a missing value).
    pub z: f64,
    /// Scored before the baseline had its full history here.
    pub warm_up: bool,
    /// `-log10` of the tail probability of `z` (see [`super::calibrate`]); against the history,
    /// the larger of that and the value's, its short mean's or its short mean departure's beyond
    /// their recent ranges (see [`super::record`]).
    #[serde(default)]
    pub surprise: f64,
    /// Against the history: the range the value (or one of its short means) left, if any (see
    /// [`super::record`]); `None` against the model.
    #[serde(default)]
    pub record: Option<Record>,
}

/// The signed robust z of a point (0 where it is undefined, such as a missing value).
pub fn robust_z(observed: f64, expected: f64, scale: f64) -> f64 {
    let z = (observed - expected) / scale;
    if z.is_nan() {
        0.0
    } else {
        z
    }
}

/// The band's lower end: `lower`, or at least 0 when `clamp` (a series of counts, see
/// [`SeriesState::non_negative`]).
pub fn lower_end(lower: f64, clamp: bool) -> f64 {
    if clamp {
        lower.max(0.0)
    } else {
        lower
    }
}

/// The state of one feature series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesState {
    baseline: Baseline,
    scale: ResidualScale,
    /// A value below 0 was learnt: the series is not a count, its band may go below 0.
    #[serde(default)]
    negative_seen: bool,
    /// The earlier |z| (kept only for [`ScoreReference::History`]).
    #[serde(default)]
    history: History,
    /// The ranges of the recent values, short means and short mean departures (kept only for
    /// [`ScoreReference::History`]).
    #[serde(default)]
    records: Records,
    /// The last value learnt.
    #[serde(default)]
    last_value: Option<f64>,
    /// The series' resolution: the smallest step between two consecutive learnt values that
    /// differ (0 before any); see [`resolution_floor`].
    #[serde(default)]
    quantum: f64,
    /// Rows still held after this feature's last alarm (see [`super::hold_off`]).
    #[serde(default)]
    hold: HoldOff,
}

/// The least scale a series' resolution allows: a quarter of its smallest step, the MAD of the
/// rounding error of values rounded to that step (uniform over one step). A series that stayed
/// flat at whole numbers has a MAD of 0; without this floor one request more would be
/// millions of MADs, with it one step is 4 MADs (inside the band) and two steps are 8.
pub fn resolution_floor(quantum: f64) -> f64 {
    quantum / 4.0
}

impl SeriesState {
    /// A fresh series with `periods` (ascending, in buckets).
    pub fn new(periods: &[usize], params: &SeasonalParams) -> Self {
        SeriesState {
            baseline: Baseline::new(periods, params.cycles, params.level_window(periods)),
            scale: ResidualScale::new(params.scale_window),
            negative_seen: false,
            history: History::default(),
            records: Records::default(),
            last_value: None,
            quantum: 0.0,
            hold: HoldOff::default(),
        }
    }

    /// Every value learnt so far was at least 0 (a count): the band's lower end is clamped at 0.
    pub fn non_negative(&self) -> bool {
        !self.negative_seen
    }

    /// Scores `y` at `bucket` from what came before, then learns it unless `repeat`. A value
    /// that is not finite is scored 0 and not learnt. `alarm` is the surprise at which this
    /// feature alone makes its row an alarm ([`alarm_level`]; infinite without a hold-off).
    pub fn step(
        &mut self,
        bucket: i64,
        y: f64,
        repeat: bool,
        params: &SeasonalParams,
        alarm: f64,
    ) -> PointScore {
        let e = self.baseline.expect(bucket, self.scale.mad());
        let (expected, scale) = match e.value {
            Some(v) => (v, self.scale.scale(v, params.count_floor)),
            None => (y, floor(y, params.count_floor)),
        };
        let scale = scale.max(resolution_floor(self.quantum));
        let z = robust_z(y, expected, scale);
        let (surprise, record) = match params.reference {
            ScoreReference::Model => (model_surprise(z), None),
            ScoreReference::History => {
                let (beyond, record) = self.records.surprise(y, expected);
                (self.history.surprise(z).max(beyond), record)
            }
        };
        let surprise = self.hold.apply(surprise, params.hold_off, alarm);
        let clamp = self.non_negative();
        if !repeat && y.is_finite() {
            self.negative_seen |= y < 0.0;
            if let Some(last) = self.last_value {
                let step = (y - last).abs();
                if step > 0.0 && (self.quantum == 0.0 || step < self.quantum) {
                    self.quantum = step;
                }
            }
            self.last_value = Some(y);
            if e.value.is_some() {
                self.scale.push(y - expected);
                if params.reference == ScoreReference::History
                    && e.rhythm_known()
                    && self.scale.count() >= MIN_RESIDUALS
                {
                    self.history.learn(z);
                }
            }
            if params.reference == ScoreReference::History {
                self.records.learn(y, expected);
            }
            self.scale.push_value(y);
            let clip = if self.scale.count() == 0 {
                f64::INFINITY
            } else {
                LEVEL_CLIP * scale
            };
            self.baseline.learn(y, &e, clip);
        }
        let band = params.band_mads * scale;
        PointScore {
            observed: y,
            expected,
            scale,
            lower: lower_end(expected - band, clamp),
            upper: expected + band,
            z,
            warm_up: !e.complete() || self.scale.count() < MIN_RESIDUALS,
            surprise,
            record,
        }
    }
}

/// One row's verdict.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RowScore {
    /// The row's bucket on the grid.
    pub bucket: i64,
    /// Buckets with no row just before this one.
    pub missing_before: u64,
    /// The bucket was seen before: scored, not learnt.
    pub repeat: bool,
    /// The largest |z| of the features, in MADs.
    pub score: f64,
    /// The anomaly score in [0, 1): the row's tail probability across its features, mapped by
    /// [`score_of_surprise`] (higher = more anomalous; see [`super::calibrate`]).
    #[serde(default)]
    pub calibrated: f64,
    /// The feature that made the row most surprising (see [`combine`]; an index into the values
    /// given).
    pub top: usize,
    /// Any feature was still warming up.
    pub warm_up: bool,
    /// One verdict per feature.
    pub points: Vec<PointScore>,
}

/// A row's features `(z, surprise)` combined: the largest |z|, and the feature that made the row
/// most surprising (the largest surprise; on ties the larger |z|, then the first), which the
/// explanation names; `(0, 0)` for no features. Against the model the surprise grows with |z|,
/// so that is the feature with the largest |z|; against the history it need not be (a feature
/// whose earlier |z| were all small, or whose value is a new high).
pub fn combine<I: IntoIterator<Item = (f64, f64)>>(points: I) -> (f64, usize) {
    let mut largest = 0.0;
    let mut top = (0.0, 0.0, 0);
    for (i, (z, surprise)) in points.into_iter().enumerate() {
        let a = z.abs();
        let s = if surprise.is_nan() { 0.0 } else { surprise };
        if a > largest {
            largest = a;
        }
        if s > top.0 || (s == top.0 && a > top.1) {
            top = (s, a, i);
        }
    }
    (largest, top.2)
}

/// The whole detector state of a stream of rows: the grid, and one series state per feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeasonalState {
    params: SeasonalParams,
    periods: Vec<usize>,
    grid: Grid,
    series: Vec<SeriesState>,
    /// Which changes of the rows' UTC offsets were followed (daylight saving): a row's phase
    /// is moved by the changes followed before it (see [`crate::clock::OffsetFollower`]).
    #[serde(default)]
    offsets: OffsetFollower,
}

impl SeasonalState {
    /// A state for `features` series on a grid of `interval_ms` with `periods` (in buckets;
    /// see [`super::periods`]).
    pub fn new(
        interval_ms: i64,
        periods: &[usize],
        features: usize,
        params: SeasonalParams,
    ) -> Result<Self, SeasonalError> {
        let params = params.validate()?;
        let mut periods = periods.to_vec();
        periods.sort_unstable();
        periods.dedup();
        periods.retain(|&p| p >= 2);
        periods.truncate(super::baseline::MAX_PERIODS);
        Ok(SeasonalState {
            series: (0..features)
                .map(|_| SeriesState::new(&periods, &params))
                .collect(),
            grid: Grid::new(interval_ms),
            periods,
            params,
            offsets: OffsetFollower::default(),
        })
    }

    /// A state from its parts (the batch scorer's series after the last row).
    pub(super) fn from_parts(
        params: SeasonalParams,
        periods: Vec<usize>,
        grid: Grid,
        series: Vec<SeriesState>,
        offsets: OffsetFollower,
    ) -> Self {
        SeasonalState {
            params,
            periods,
            grid,
            series,
            offsets,
        }
    }

    /// Which changes of the rows' UTC offsets were followed.
    pub fn offsets(&self) -> &OffsetFollower {
        &self.offsets
    }

    /// The time of the bucket after the latest one seen (the next row of a regular series).
    pub fn next_time_ms(&self) -> Option<i64> {
        self.grid.next_time_ms()
    }

    /// The periods in use, in buckets.
    pub fn periods(&self) -> &[usize] {
        &self.periods
    }

    /// The sampling interval in milliseconds.
    pub fn interval_ms(&self) -> i64 {
        self.grid.interval_ms()
    }

    /// Sets `point`'s band (of feature `feature`) to `mads` MADs either side of its expected
    /// value, its lower end clamped at 0 as the series' own band is (used when a threshold other
    /// than the band judged the point, so that what is drawn and said matches it).
    pub fn rebound(&self, feature: usize, point: &mut PointScore, mads: f64) {
        let clamp = self
            .series
            .get(feature)
            .is_some_and(SeriesState::non_negative);
        let half = mads * point.scale;
        point.lower = lower_end(point.expected - half, clamp);
        point.upper = point.expected + half;
    }

    /// The settings.
    pub fn params(&self) -> &SeasonalParams {
        &self.params
    }

    /// Scores one row (time `t_ms`, one value per feature) and learns it.
    pub fn update(&mut self, t_ms: i64, values: &[f64]) -> Result<RowScore, SeasonalError> {
        let mut out = RowScore::default();
        self.update_into(t_ms, values, &mut out)?;
        Ok(out)
    }

    /// [`SeasonalState::update`] of a row written at `offset` minutes east of UTC (see
    /// [`SeasonalState::update_into_at`]).
    pub fn update_at(
        &mut self,
        t_ms: i64,
        offset: Option<i16>,
        values: &[f64],
    ) -> Result<RowScore, SeasonalError> {
        let mut out = RowScore::default();
        self.update_into_at(t_ms, offset, values, &mut out)?;
        Ok(out)
    }

    /// [`SeasonalState::update`] into a reused verdict (no allocation once it has its size).
    pub fn update_into(
        &mut self,
        t_ms: i64,
        values: &[f64],
        out: &mut RowScore,
    ) -> Result<(), SeasonalError> {
        self.update_into_at(t_ms, None, values, out)
    }

    /// [`SeasonalState::update_into`] of a row written at `offset` minutes east of UTC (`None`:
    /// not known): its phase is read on the local clock where the offset changed as daylight
    /// saving does (see [`crate::clock::OffsetFollower`]).
    pub fn update_into_at(
        &mut self,
        t_ms: i64,
        offset: Option<i16>,
        values: &[f64],
        out: &mut RowScore,
    ) -> Result<(), SeasonalError> {
        if values.len() != self.series.len() {
            return Err(SeasonalError::Width {
                expected: self.series.len(),
                found: values.len(),
            });
        }
        let Placement {
            bucket,
            missing_before,
            repeat,
        } = self.grid.place(t_ms);
        out.points.clear();
        let alarm = alarm_level(&self.params, self.series.len());
        let moved = match offset {
            Some(offset) => self.offsets.follow(t_ms, offset),
            None => self.offsets.moved(),
        };
        let phase = bucket.saturating_add(minutes_in_buckets(moved, self.grid.interval_ms()));
        for (series, &y) in self.series.iter_mut().zip(values) {
            out.points
                .push(series.step(phase, y, repeat, &self.params, alarm));
        }
        let (score, top) = combine(out.points.iter().map(|p| (p.z, p.surprise)));
        out.bucket = bucket;
        out.missing_before = missing_before;
        out.repeat = repeat;
        out.score = score;
        out.calibrated = score_of_surprise(row_surprise(out.points.iter().map(|p| p.surprise)));
        out.top = top;
        out.warm_up = out.points.iter().any(|p| p.warm_up);
        Ok(())
    }
}
