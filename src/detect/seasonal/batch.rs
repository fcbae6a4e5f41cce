//! A whole table at once: the grid is placed once, then every feature series runs through its
//! own [`SeriesState`] on its own core (rayon), writing into columns allocated up front. Each
//! row is still scored only from the rows before it, and the numbers are exactly those of
//! [`super::SeasonalState::update`] row by row (both go through [`SeriesState::step`]).

use rayon::prelude::*;

use crate::clock::{minutes_in_buckets, LocalClock, OffsetFollower};
use crate::huge_pages;

use super::calibrate::{row_surprise, score_of_surprise};
use super::explain::in_words;
use super::grid::{detect_interval, Grid};
use super::hold_off::alarm_level;
use super::periods::choose_periods;
use super::record::Record;
use super::state::{combine, lower_end, robust_z, PointScore, SeriesState};
use super::{ScoreReference, SeasonalError, SeasonalParams, SeasonalState};

/// The seasonal verdict on every row of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct SeasonalScores {
    /// The sampling interval used, in milliseconds.
    pub interval_ms: i64,
    /// The seasonal periods used, in buckets.
    pub periods: Vec<usize>,
    /// The settings used.
    pub params: SeasonalParams,
    /// Per row: the largest |z| of its features, in MADs.
    pub scores: Vec<f64>,
    /// Per row: the anomaly score in [0, 1), the row's tail probability across its features
    /// (see [`super::calibrate`]; higher = more anomalous).
    pub calibrated: Vec<f64>,
    /// Per row: the feature that made it most surprising (see [`super::state::combine`]).
    pub top: Vec<usize>,
    /// Per row: scored while the baseline was still warming up.
    pub warm_up: Vec<bool>,
    /// Per feature, per row: the expected value.
    pub expected: Vec<Vec<f64>>,
    /// Per feature, per row: the robust scale (MADs).
    pub scale: Vec<Vec<f64>>,
    /// Per feature, per row: `-log10` of the tail probability of its z.
    pub surprise: Vec<Vec<f64>>,
    /// Per feature, per row: a new high or low against the history ([`PointScore::record`]);
    /// each feature's column is empty against the model.
    pub record: Vec<Vec<Option<Record>>>,
    /// Per feature: the rows before this one were scored while every value learnt was at least
    /// 0, so their band's lower end is clamped at 0 (see [`SeriesState::non_negative`]); counted
    /// in the order the rows were scored, time order (see [`SeasonalScores::place`]).
    pub non_negative_rows: Vec<usize>,
    /// Buckets with no row between the first and the last.
    pub missing_buckets: u64,
    /// Rows in a bucket seen before (scored, not learnt).
    pub repeated_rows: usize,
    /// Per row, its place in time order, where the table's rows were not in time order (they
    /// are scored in time order, see [`score_table`]); `None` when they were.
    pub place: Option<Vec<usize>>,
    /// How many times the time goes back from one row of the table to the next (0 for a table
    /// in time order).
    pub steps_back: usize,
    /// The state after the last row: scores what comes next ("what if", or a live monitor
    /// continuing from the table).
    pub state: SeasonalState,
}

impl SeasonalScores {
    /// The signed robust z of `feature` at `row`, given its observed value.
    pub fn z(&self, feature: usize, row: usize, observed: f64) -> f64 {
        robust_z(
            observed,
            self.expected[feature][row],
            self.scale[feature][row],
        )
    }

    /// One feature's verdict at `row`, given the value observed there.
    pub fn point(&self, feature: usize, row: usize, observed: f64) -> PointScore {
        let (lower, upper) = self.band(feature, row);
        PointScore {
            observed,
            expected: self.expected[feature][row],
            scale: self.scale[feature][row],
            lower,
            upper,
            z: self.z(feature, row, observed),
            warm_up: self.warm_up[row],
            surprise: self.surprise[feature][row],
            record: self
                .record
                .get(feature)
                .and_then(|column| column.get(row))
                .copied()
                .flatten(),
        }
    }

    /// The verdict of `row`'s top feature in words ("Region 3 = 1,054 on Thu 14 Jan 2021
    /// 14:00, expected 210 (180-250): 14 MADs above"); `names` and `columns` are the features
    /// in the order they were scored, `t_ms` the row's time, shown on the clock `zone`.
    pub fn row_in_words(
        &self,
        row: usize,
        names: &[String],
        columns: &[&[f64]],
        t_ms: i64,
        zone: crate::zone::Zone,
    ) -> String {
        let f = self.top[row];
        let name = names.get(f).map_or("?", String::as_str);
        let observed = columns
            .get(f)
            .and_then(|c| c.get(row))
            .copied()
            .unwrap_or(f64::NAN);
        in_words(
            name,
            &self.point(f, row, observed),
            t_ms,
            self.interval_ms,
            zone,
        )
    }

    /// The band (lower, upper) the baseline allows for `feature` at `row`; the lower end is at
    /// least 0 for a series of counts (every value before the row at least 0).
    pub fn band(&self, feature: usize, row: usize) -> (f64, f64) {
        let e = self.expected[feature][row];
        let half = self.params.band_mads * self.scale[feature][row];
        // `non_negative_rows` counts rows in the order they were scored: time order.
        let place = self.place.as_ref().map_or(row, |p| p[row]);
        let clamp = self
            .non_negative_rows
            .get(feature)
            .is_some_and(|&until| place < until);
        (lower_end(e - half, clamp), e + half)
    }

    /// The table's rows in the order they were scored (time order), where that is not the
    /// table's own order; `None` when it is.
    pub fn rows_in_time_order(&self) -> Option<Vec<usize>> {
        let place = self.place.as_ref()?;
        let mut order = vec![0; place.len()];
        for (row, &p) in place.iter().enumerate() {
            order[p] = row;
        }
        Some(order)
    }

    /// These scores, computed on the table's rows taken in `order` (time order: `order[p]` is
    /// the table row scored `p`-th), given back in the table's order.
    fn in_table_order(mut self, order: &[usize], steps_back: usize) -> SeasonalScores {
        fn back<T: Copy + Default>(v: &[T], order: &[usize]) -> Vec<T> {
            let mut out = vec![T::default(); v.len()];
            for (&row, &x) in order.iter().zip(v) {
                out[row] = x;
            }
            out
        }
        self.scores = back(&self.scores, order);
        self.calibrated = back(&self.calibrated, order);
        self.top = back(&self.top, order);
        self.warm_up = back(&self.warm_up, order);
        for column in self
            .expected
            .iter_mut()
            .chain(&mut self.scale)
            .chain(&mut self.surprise)
        {
            *column = back(column, order);
        }
        for column in &mut self.record {
            if !column.is_empty() {
                *column = back(column, order);
            }
        }
        let mut place = vec![0; order.len()];
        for (p, &row) in order.iter().enumerate() {
            place[row] = p;
        }
        self.place = Some(place);
        self.steps_back = steps_back;
        self
    }
}

/// One series run through its state: per row its expected value, scale and warm-up flag, and
/// the state after the last row.
struct SeriesRun {
    expected: Vec<f64>,
    scale: Vec<f64>,
    surprise: Vec<f64>,
    record: Vec<Option<Record>>,
    warm: Vec<bool>,
    non_negative_rows: usize,
    state: SeriesState,
}

/// Scores every row of `columns` (one per feature) at `times_ms` (epoch milliseconds, one per
/// row). The interval is `interval_ms` or, when `None`, the median step of the times; the
/// periods follow from it and from the span of the history (see [`super::periods`]).
///
/// Rows are scored in time order, each from the rows before it in time: a table that is not in
/// time order (a file with the newest row first, logs of several sources one after the other)
/// is scored as the same table sorted by time (a stable sort: rows at the same time keep their
/// order), and the results come back in the table's order. The state after the last row is the
/// state after the latest one.
pub fn score_table(
    times_ms: &[i64],
    columns: &[&[f64]],
    interval_ms: Option<i64>,
    params: SeasonalParams,
) -> Result<SeasonalScores, SeasonalError> {
    score_table_on(
        times_ms,
        columns,
        interval_ms,
        params,
        &LocalClock::default(),
    )
}

/// [`score_table`] of times written on `clock`: where its offset changed as daylight saving does,
/// each row's phase is read on the local clock ([`OffsetFollower`], row by row in time order), so
/// the daily and weekly rhythm keeps its local hours across the change. A constant clock gives
/// exactly [`score_table`]'s numbers.
pub fn score_table_on(
    times_ms: &[i64],
    columns: &[&[f64]],
    interval_ms: Option<i64>,
    params: SeasonalParams,
    clock: &LocalClock,
) -> Result<SeasonalScores, SeasonalError> {
    let params = params.validate()?;
    let rows = times_ms.len();
    for (feature, c) in columns.iter().enumerate() {
        if c.len() != rows {
            return Err(SeasonalError::Ragged {
                feature,
                expected: rows,
                found: c.len(),
            });
        }
    }
    let steps_back = times_ms.windows(2).filter(|w| w[1] < w[0]).count();
    if steps_back == 0 {
        return score_in_time_order(times_ms, columns, interval_ms, params, clock);
    }
    let mut order: Vec<usize> = (0..rows).collect();
    order.sort_by_key(|&r| times_ms[r]);
    let times: Vec<i64> = order.iter().map(|&r| times_ms[r]).collect();
    let sorted: Vec<Vec<f64>> = columns
        .iter()
        .map(|c| order.iter().map(|&r| c[r]).collect())
        .collect();
    let refs: Vec<&[f64]> = sorted.iter().map(Vec::as_slice).collect();
    let scores = score_in_time_order(&times, &refs, interval_ms, params, clock)?;
    Ok(scores.in_table_order(&order, steps_back))
}

/// [`score_table`] of rows in time order (`times_ms` never decreasing), with valid `params`
/// and columns of one length each.
fn score_in_time_order(
    times_ms: &[i64],
    columns: &[&[f64]],
    interval_ms: Option<i64>,
    params: SeasonalParams,
    clock: &LocalClock,
) -> Result<SeasonalScores, SeasonalError> {
    let rows = times_ms.len();
    let interval_ms = match interval_ms.or_else(|| detect_interval(times_ms)) {
        Some(i) if i > 0 => i,
        _ => return Err(SeasonalError::NoInterval { rows }),
    };
    let mut grid = Grid::new(interval_ms);
    let mut buckets = Vec::with_capacity(rows);
    let mut repeat = Vec::with_capacity(rows);
    let mut missing_buckets = 0;
    for &t in times_ms {
        let p = grid.place(t);
        buckets.push(p.bucket);
        repeat.push(p.repeat);
        missing_buckets += p.missing_before;
    }
    let span = match (buckets.iter().min(), buckets.iter().max()) {
        (Some(&lo), Some(&hi)) => {
            u64::try_from(i128::from(hi) - i128::from(lo) + 1).unwrap_or(u64::MAX)
        }
        _ => 0,
    };
    let periods = choose_periods(interval_ms, span, params.cycles);
    let alarm = alarm_level(&params, columns.len());
    // Each row's phase on the local clock: its bucket moved by the offset's changes followed
    // before it, decided row by row as the live state decides them (none for a constant clock,
    // where the phases are the buckets themselves).
    let mut offsets = OffsetFollower::default();
    let phases: Option<Vec<i64>> = if clock.is_constant() {
        if let Some((&t, offset)) = times_ms
            .first()
            .and_then(|t| Some((t, clock.offset_at(*t)?)))
        {
            offsets.follow(t, offset);
        }
        None
    } else {
        Some(
            buckets
                .iter()
                .zip(times_ms)
                .map(|(&b, &t)| {
                    let moved = match clock.offset_at(t) {
                        Some(offset) => offsets.follow(t, offset),
                        None => offsets.moved(),
                    };
                    b.saturating_add(minutes_in_buckets(moved, interval_ms))
                })
                .collect(),
        )
    };
    let phase_of = phases.as_deref().unwrap_or(&buckets);
    let mut per_feature: Vec<SeriesRun> = columns
        .par_iter()
        .map(|column| {
            let mut state = SeriesState::new(&periods, &params);
            let mut expected = huge_pages::vec_with_capacity(rows);
            let mut scale = huge_pages::vec_with_capacity(rows);
            let mut surprise = huge_pages::vec_with_capacity(rows);
            let keep_record = params.reference == ScoreReference::History;
            let mut record = Vec::with_capacity(if keep_record { rows } else { 0 });
            let mut warm = Vec::with_capacity(rows);
            let mut non_negative_rows = rows;
            for (row, ((&b, &y), &r)) in phase_of.iter().zip(column.iter()).zip(&repeat).enumerate()
            {
                if non_negative_rows == rows && !state.non_negative() {
                    non_negative_rows = row;
                }
                let p = state.step(b, y, r, &params, alarm);
                expected.push(p.expected);
                scale.push(p.scale);
                surprise.push(p.surprise);
                if keep_record {
                    record.push(p.record);
                }
                warm.push(p.warm_up);
            }
            SeriesRun {
                expected,
                scale,
                surprise,
                record,
                warm,
                non_negative_rows,
                state,
            }
        })
        .collect();
    // The rows' verdicts across their features, in one pass over the features' columns.
    let mut scores = vec![0.0; rows];
    let mut top = vec![0; rows];
    let mut calibrated = vec![0.0; rows];
    let mut warm_up = vec![false; rows];
    scores
        .par_iter_mut()
        .zip(top.par_iter_mut())
        .zip(calibrated.par_iter_mut())
        .zip(warm_up.par_iter_mut())
        .enumerate()
        .for_each(|(r, (((score, top), calibrated), warm))| {
            (*score, *top) = combine(per_feature.iter().zip(columns).map(|(run, c)| {
                (
                    robust_z(c[r], run.expected[r], run.scale[r]),
                    run.surprise[r],
                )
            }));
            *calibrated =
                score_of_surprise(row_surprise(per_feature.iter().map(|run| run.surprise[r])));
            *warm = per_feature.iter().any(|run| run.warm[r]);
        });
    let mut series = Vec::with_capacity(per_feature.len());
    let mut expected = Vec::with_capacity(per_feature.len());
    let mut scale = Vec::with_capacity(per_feature.len());
    let mut non_negative_rows = Vec::with_capacity(per_feature.len());
    let mut surprise = Vec::with_capacity(per_feature.len());
    let mut record = Vec::with_capacity(per_feature.len());
    for run in per_feature.drain(..) {
        surprise.push(run.surprise);
        record.push(run.record);
        non_negative_rows.push(run.non_negative_rows);
        expected.push(run.expected);
        scale.push(run.scale);
        series.push(run.state);
    }
    let state = SeasonalState::from_parts(params, periods.clone(), grid, series, offsets);
    Ok(SeasonalScores {
        interval_ms,
        periods,
        params,
        scores,
        calibrated,
        top,
        warm_up,
        expected,
        scale,
        surprise,
        record,
        non_negative_rows,
        missing_buckets,
        repeated_rows: repeat.iter().filter(|&&r| r).count(),
        place: None,
        steps_back: 0,
        state,
    })
}
