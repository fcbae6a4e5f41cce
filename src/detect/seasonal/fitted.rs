//! The seasonal baseline fitted on a table: its verdict on every row (scores, expected values,
//! bands) and the state after the last row, which scores a new row ("what if" it came next).

use std::sync::Arc;

use super::calibrate::{default_risk, model_band_mads, score_of_risk};
use super::state::PointScore;
use super::{score_table_on, SeasonalError, SeasonalParams, SeasonalScores};
use crate::clock::{LocalClock, OffsetFollower};
use crate::detect::{Contamination, TrainingScores};

/// A seasonal baseline run over a table.
#[derive(Debug, Clone)]
pub struct FittedSeasonal {
    scores: Arc<SeasonalScores>,
    training: TrainingScores,
    warnings: Vec<String>,
    /// The UTC offset at the latest row, which a row coming next is taken to be written at.
    offset: Option<i16>,
}

impl FittedSeasonal {
    /// Scores every row of `columns` at `times_ms` causally (see [`score_table`]); flags follow
    /// `contamination`, where `auto` flags a row whose tail probability across its features is
    /// below the default risk (1e-4): with the model reference, every row where a feature leaves
    /// its band, whose half-width is set for that risk and the number of features
    /// ([`model_band_mads`]) instead of `params.band_mads`, and rows where several features are
    /// unusual together.
    pub fn fit(
        times_ms: &[i64],
        columns: &[&[f64]],
        params: SeasonalParams,
        contamination: Contamination,
    ) -> Result<Self, SeasonalError> {
        Self::fit_on(
            times_ms,
            columns,
            params,
            contamination,
            &LocalClock::default(),
        )
    }

    /// [`FittedSeasonal::fit`] of times written on `clock`: phases on the local clock where its
    /// offset changed (see [`score_table_on`]).
    pub fn fit_on(
        times_ms: &[i64],
        columns: &[&[f64]],
        params: SeasonalParams,
        contamination: Contamination,
        clock: &LocalClock,
    ) -> Result<Self, SeasonalError> {
        let risk = default_risk();
        let params = SeasonalParams {
            band_mads: model_band_mads(risk, columns.len()),
            ..params
        };
        let scores = score_table_on(times_ms, columns, None, params, clock)?;
        // scikit-learn's convention for the stored scores: lower is more anomalous.
        let training = TrainingScores::new(
            scores.calibrated.iter().map(|s| -s).collect(),
            -score_of_risk(risk),
            contamination,
        );
        let mut warnings = warnings(&scores);
        warnings.extend(offsets_in_words(scores.state.offsets(), scores.interval_ms));
        let offset = times_ms
            .iter()
            .copied()
            .max()
            .and_then(|t| clock.offset_at(t));
        Ok(FittedSeasonal {
            scores: Arc::new(scores),
            training,
            warnings,
            offset,
        })
    }

    /// The verdict on every row.
    pub fn scores(&self) -> &SeasonalScores {
        &self.scores
    }

    /// The verdict on every row, shared.
    pub fn scores_arc(&self) -> Arc<SeasonalScores> {
        Arc::clone(&self.scores)
    }

    /// The training scores (for flags under any contamination).
    pub fn training(&self) -> &TrainingScores {
        &self.training
    }

    /// What the user should know about this run: the interval and periods found, warm-up
    /// rows, missing intervals and repeated ones.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The anomaly score of one new row if it came in the interval after the last row.
    pub fn score_next(&self, values: &[f64]) -> Result<f64, SeasonalError> {
        let mut state = self.scores.state.clone();
        let t = state.next_time_ms().unwrap_or(0);
        Ok(state.update_at(t, self.offset, values)?.calibrated)
    }

    /// The feature with the largest |z| of each of `rows`.
    pub fn top_features(&self, rows: &[usize]) -> Vec<usize> {
        rows.iter().map(|&r| self.scores.top[r]).collect()
    }

    /// One feature's verdict at `row`, given the value observed there.
    pub fn point(&self, feature: usize, row: usize, observed: f64) -> PointScore {
        self.scores.point(feature, row, observed)
    }

    /// The verdict of `row`'s top feature in words (see [`SeasonalScores::row_in_words`]).
    pub fn row_in_words(
        &self,
        row: usize,
        names: &[String],
        columns: &[&[f64]],
        t_ms: i64,
        zone: crate::zone::Zone,
    ) -> String {
        self.scores.row_in_words(row, names, columns, t_ms, zone)
    }
}

/// How often, in words: `once`, `twice`, `5 times`.
fn how_often(n: u64) -> String {
    match n {
        1 => "once".to_string(),
        2 => "twice".to_string(),
        n => format!("{n} times"),
    }
}

/// What became of the rows' offset changes, in words (nothing when the offset never changed).
fn offsets_in_words(offsets: &OffsetFollower, interval_ms: i64) -> Option<String> {
    let changes = how_often(u64::from(offsets.changes()));
    if offsets.changes() == 0 {
        return None;
    }
    if offsets.erratic() {
        return Some(format!(
            "the times change their UTC offset {}, too often for daylight saving (twice within a \
             week, as when times of several zones share a column): from then on changes are not \
             followed, and the daily and weekly rhythm stays on the clock it was on",
            changes
        ));
    }
    let smallest = i64::from(offsets.smallest().unwrap_or(0)) * 60_000;
    if smallest < interval_ms {
        return Some(format!(
            "the times change their UTC offset {} (daylight saving) by less than the interval \
             ({}): no row's place in the daily and weekly rhythm moves",
            changes,
            interval_in_words(interval_ms)
        ));
    }
    Some(format!(
        "the times change their UTC offset {} (daylight saving): the daily and weekly rhythm is \
         followed on the local clock, so an hour keeps its place across a change",
        changes
    ))
}

/// Why a run on a grid of `interval_ms` (`interval` in words) has no seasonal period: its
/// interval has no rhythm the detector learns, or its history is shorter than two cycles of the
/// shortest one.
fn no_period_in_words(interval_ms: i64, interval: &str) -> String {
    use super::periods::{candidate_periods, DAY_MS, WEEK_MS};
    let Some(&shortest) = candidate_periods(interval_ms).first() else {
        return format!(
            "no seasonal period (rows every {interval} have no daily, weekly or yearly rhythm \
             that it learns)"
        );
    };
    let cycle = if super::grid::calendar_months(interval_ms).is_some() {
        "year"
    } else if interval_ms.saturating_mul(shortest as i64) == DAY_MS {
        "day"
    } else if interval_ms.saturating_mul(shortest as i64) == WEEK_MS {
        "week"
    } else {
        "cycle"
    };
    format!("no seasonal period (the history is shorter than two {cycle}s)")
}

/// The interval, periods, warm-up rows, missing and repeated intervals of a run, in words.
fn warnings(s: &SeasonalScores) -> Vec<String> {
    let interval = interval_in_words(s.interval_ms);
    let periods = if s.periods.is_empty() {
        no_period_in_words(s.interval_ms, &interval)
    } else {
        let list: Vec<String> = s.periods.iter().map(|p| format!("{p} intervals")).collect();
        format!("seasonal periods of {}", list.join(" and "))
    };
    let warm = s.warm_up.iter().filter(|&&w| w).count();
    let mut out = vec![format!(
        "seasonal baseline: one row per {interval}, {periods}; {warm} warm-up rows scored with \
         little history"
    )];
    if s.missing_buckets > 0 {
        out.push(format!(
            "{} intervals of {interval} have no row; they are skipped, not counted as zero",
            s.missing_buckets
        ));
    }
    if s.steps_back > 0 {
        out.push(format!(
            "the rows are not in time order (the time goes back {} from one row to the \
             next); each row is scored from the rows before it in time, as in the table sorted \
             by time",
            how_often(s.steps_back as u64)
        ));
    }
    if s.repeated_rows > 0 {
        out.push(format!(
            "{} rows fall in an interval of {interval} that already has a row; they are scored \
             but not learnt from",
            s.repeated_rows
        ));
    }
    out
}

/// An interval such as `1 h`, `5 min`, `1 day`.
pub fn interval_in_words(ms: i64) -> String {
    match super::grid::calendar_months(ms) {
        Some(1) => return "1 month".into(),
        Some(3) => return "1 quarter".into(),
        Some(12) => return "1 year".into(),
        _ => {}
    }
    const UNITS: [(i64, &str); 5] = [
        (604_800_000, "week"),
        (86_400_000, "day"),
        (3_600_000, "h"),
        (60_000, "min"),
        (1_000, "s"),
    ];
    for (unit, name) in UNITS {
        if ms >= unit && ms % unit == 0 {
            let n = ms / unit;
            let plural = if n > 1 && unit >= 86_400_000 { "s" } else { "" };
            return format!("{n} {name}{plural}");
        }
    }
    format!("{ms} ms")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fit_flags_what_leaves_the_band_and_scores_a_next_row() {
        let hour = 3_600_000;
        let times: Vec<i64> = (0..24 * 23).map(|t| t * hour).collect();
        let mut y: Vec<f64> = (0..24 * 23)
            .map(|t| 200.0 + 100.0 * ((t % 24) as f64 / 24.0 * std::f64::consts::TAU).sin())
            .map(|v| v + ((v * 7.3) % 9.0))
            .collect();
        y[540] += 2_000.0;
        let fit = FittedSeasonal::fit(
            &times,
            &[&y],
            SeasonalParams::default(),
            Contamination::Auto,
        )
        .expect("fit");
        assert!(fit.training().flags(Contamination::Auto)[540]);
        assert_eq!(fit.top_features(&[540]), vec![0]);
        let words = fit.row_in_words(
            540,
            &["Requests".to_string()],
            &[&y],
            times[540],
            crate::zone::Zone::Unstated,
        );
        assert!(words.starts_with("Requests = 2,"), "{words}");
        assert!(words.contains("MADs above"), "{words}");
        // The next hour (phase 0 again after 552 hours): its usual value is calm, a spike is not.
        let usual = y[24 * 22];
        let threshold = score_of_risk(default_risk());
        assert!(fit.score_next(&[usual]).expect("next") < threshold);
        assert!(fit.score_next(&[usual + 2_000.0]).expect("next") > 0.95);
        assert!(fit.warnings()[0].starts_with("seasonal baseline: one row per 1 h, seasonal periods of 24 intervals and 168 intervals"), "{:?}", fit.warnings());
        assert_eq!(interval_in_words(86_400_000), "1 day");
        assert_eq!(interval_in_words(300_000), "5 min");
    }
}
