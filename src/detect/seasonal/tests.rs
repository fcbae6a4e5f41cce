//! Tests across the seasonal modules: the causal state against the batch scorer, restarts from
//! a saved state, missing buckets and spikes found on a seasonal series.

use proptest::prelude::*;

use super::periods::choose_periods;
use super::record::{Record, MIN_SEPARATE, RANGE_PER_DECADE};
use super::{score_table, score_table_on, ScoreReference, SeasonalParams, SeasonalState};
use crate::clock::{ClockPoints, LocalClock};

const HOUR: i64 = 3_600_000;

/// Hourly traffic with a daily and a weekly rhythm and deterministic noise.
fn traffic(t: i64, seed: u64) -> f64 {
    let day = ((t % 24) as f64 / 24.0 * std::f64::consts::TAU).sin();
    let weekend = if (t / 24) % 7 >= 5 { 0.6 } else { 1.0 };
    let mut h = (t as u64 ^ seed).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    h ^= h >> 29;
    let noise = (h % 1000) as f64 / 1000.0 - 0.5;
    weekend * (500.0 + 300.0 * day) + 40.0 * noise
}

/// Rows of `(time, values)` from a description: which hours are left out, repeated, spiked.
fn rows(
    n: i64,
    features: usize,
    seed: u64,
    gaps: &[i64],
    spikes: &[i64],
) -> (Vec<i64>, Vec<Vec<f64>>) {
    let mut times = Vec::new();
    let mut cols = vec![Vec::new(); features];
    for t in 0..n {
        if gaps.contains(&t) {
            continue;
        }
        // Irregular: a few minutes into the hour.
        times.push(t * HOUR + (t % 7) * 60_000);
        for (f, c) in cols.iter_mut().enumerate() {
            let mut y = traffic(t, seed + f as u64);
            if spikes.contains(&t) && f == (t as usize % features) {
                y *= 4.0;
            }
            c.push(y);
        }
        if t % 97 == 3 {
            // A second row in the same hour.
            times.push(t * HOUR + 30 * 60_000);
            for (f, c) in cols.iter_mut().enumerate() {
                c.push(traffic(t, seed + 100 + f as u64));
            }
        }
    }
    (times, cols)
}

/// Feeds the rows one by one; returns every row's verdict.
fn one_by_one(
    state: &mut SeasonalState,
    times: &[i64],
    cols: &[Vec<f64>],
    from: usize,
) -> Vec<super::RowScore> {
    one_by_one_on(state, times, cols, from, &LocalClock::default())
}

/// [`one_by_one`], each row given with its offset on `clock`.
fn one_by_one_on(
    state: &mut SeasonalState,
    times: &[i64],
    cols: &[Vec<f64>],
    from: usize,
    clock: &LocalClock,
) -> Vec<super::RowScore> {
    let mut out = Vec::new();
    for r in from..times.len() {
        let values: Vec<f64> = cols.iter().map(|c| c[r]).collect();
        let offset = clock.offset_at(times[r]);
        out.push(state.update_at(times[r], offset, &values).expect("update"));
    }
    out
}

fn check_same(times: &[i64], cols: &[Vec<f64>], params: SeasonalParams) {
    check_same_on(times, cols, params, &LocalClock::default());
}

/// Batch scoring on `clock` is feeding the rows one by one with their offsets, bit for bit.
fn check_same_on(times: &[i64], cols: &[Vec<f64>], params: SeasonalParams, clock: &LocalClock) {
    let refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
    let batch = score_table_on(times, &refs, None, params, clock).expect("batch");
    let mut state =
        SeasonalState::new(batch.interval_ms, &batch.periods, cols.len(), params).expect("state");
    let rows = one_by_one_on(&mut state, times, cols, 0, clock);
    assert_eq!(state, batch.state, "the state after the last row");
    for (r, row) in rows.iter().enumerate() {
        assert_eq!(
            row.score.to_bits(),
            batch.scores[r].to_bits(),
            "score of row {r}"
        );
        assert_eq!(
            row.calibrated.to_bits(),
            batch.calibrated[r].to_bits(),
            "calibrated score of row {r}"
        );
        assert_eq!(row.top, batch.top[r], "top of row {r}");
        assert_eq!(row.warm_up, batch.warm_up[r], "warm-up of row {r}");
        for (f, p) in row.points.iter().enumerate() {
            assert_eq!(
                p.expected.to_bits(),
                batch.expected[f][r].to_bits(),
                "row {r} f {f}"
            );
            assert_eq!(
                p.scale.to_bits(),
                batch.scale[f][r].to_bits(),
                "row {r} f {f}"
            );
            assert_eq!(p.z.to_bits(), batch.z(f, r, cols[f][r]).to_bits());
            assert_eq!((p.lower, p.upper), batch.band(f, r));
            assert_eq!(p.surprise.to_bits(), batch.surprise[f][r].to_bits());
            assert_eq!(
                p.record,
                batch.point(f, r, cols[f][r]).record,
                "row {r} f {f}"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Batch scoring is feeding the rows one by one, bit for bit, with gaps, repeats and spikes.
    #[test]
    fn batch_equals_one_by_one(
        n in 30i64..900,
        features in 1usize..4,
        seed in any::<u64>(),
        gaps in proptest::collection::vec(0i64..900, 0..30),
        spikes in proptest::collection::vec(0i64..900, 0..10),
        cycles in 2usize..=8,
        window in 8usize..200,
        history in any::<bool>(),
        hold_off in prop_oneof![Just(0usize), 1usize..40],
        change in proptest::option::of(0i64..900),
    ) {
        let (times, cols) = rows(n, features, seed, &gaps, &spikes);
        // A clock at -04:00 that goes to -05:00 at hour `change` (daylight saving), or none.
        let clock = match change {
            Some(change) => {
                let mut points = ClockPoints::default();
                for &t in &times {
                    points.note(t, Some(if t < change * HOUR { -240 } else { -300 }));
                }
                points.finish()
            }
            None => LocalClock::default(),
        };
        let reference = if history { ScoreReference::History } else { ScoreReference::Model };
        let params = SeasonalParams {
            cycles,
            scale_window: window,
            reference,
            hold_off,
            ..SeasonalParams::default()
        };
        check_same_on(&times, &cols, params, &clock);
    }
}

#[test]
fn a_clock_that_never_changes_scores_as_no_clock_and_a_change_moves_the_phases() {
    let (times, cols) = rows(24 * 7 * 5, 2, 3, &[], &[]);
    let refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
    let plain = score_table(&times, &refs, None, SeasonalParams::default()).expect("plain");
    let fixed = score_table_on(
        &times,
        &refs,
        None,
        SeasonalParams::default(),
        &LocalClock::fixed(Some(-240)),
    )
    .expect("fixed");
    assert_eq!(plain.calibrated, fixed.calibrated);
    assert_eq!(plain.expected, fixed.expected);
    let mut points = ClockPoints::default();
    for &t in &times {
        points.note(t, Some(if t < 24 * 7 * 3 * HOUR { -240 } else { -300 }));
    }
    let changed = score_table_on(
        &times,
        &refs,
        None,
        SeasonalParams::default(),
        &points.finish(),
    )
    .expect("changed");
    // The same until the change, and other expected values after it.
    let at = times.partition_point(|&t| t < 24 * 7 * 3 * HOUR);
    assert_eq!(plain.expected[0][..at], changed.expected[0][..at]);
    assert_ne!(plain.expected[0][at..], changed.expected[0][at..]);
}

#[test]
fn batch_equals_one_by_one_on_long_series_with_missing_values() {
    let (times, mut cols) = rows(24 * 7 * 6, 3, 7, &[50, 51, 52, 400], &[300, 900]);
    cols[1][200] = f64::NAN;
    check_same(&times, &cols, SeasonalParams::default());
}

#[test]
fn batch_equals_one_by_one_against_the_history_beyond_its_window() {
    let (times, cols) = rows(9_000, 1, 9, &[70], &[3_000, 8_800]);
    let params = SeasonalParams {
        reference: ScoreReference::History,
        ..SeasonalParams::default()
    };
    check_same(&times, &cols, params);
}

#[test]
fn a_saved_state_continues_exactly_where_it_stopped() {
    let (times, cols) = rows(24 * 7 * 4, 2, 3, &[100], &[330, 500]);
    let periods = choose_periods(HOUR, 24 * 7 * 4, 8);
    let params = SeasonalParams {
        reference: ScoreReference::History,
        hold_off: 16,
        ..SeasonalParams::default()
    };
    let mut straight = SeasonalState::new(HOUR, &periods, 2, params).expect("state");
    let all = one_by_one(&mut straight, &times, &cols, 0);
    let cut = 333;
    let mut first = SeasonalState::new(HOUR, &periods, 2, params).expect("state");
    one_by_one(&mut first, &times[..cut], &cols, 0);
    let saved = serde_json::to_string(&first).expect("save");
    let mut restored: SeasonalState = serde_json::from_str(&saved).expect("restore");
    assert_eq!(restored, first);
    let rest = one_by_one(&mut restored, &times, &cols, cut);
    assert_eq!(rest, all[cut..]);
    assert_eq!(restored, straight);
}

#[test]
fn spikes_are_found_and_quiet_hours_are_not() {
    let spikes = [24 * 30 + 3, 24 * 33 + 15, 24 * 40 + 20];
    let (times, cols) = rows(24 * 7 * 8, 3, 11, &[], &spikes);
    let refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
    let s = score_table(&times, &refs, None, SeasonalParams::default()).expect("score");
    assert_eq!(s.interval_ms, HOUR);
    assert_eq!(s.periods, vec![24, 168]);
    // The top three scores after the warm-up are the spikes (one row per hour here, except
    // the repeated rows, which are looked up by time).
    let mut ranked: Vec<usize> = (0..times.len()).filter(|&r| !s.warm_up[r]).collect();
    ranked.sort_by(|&a, &b| s.scores[b].total_cmp(&s.scores[a]));
    let mut top: Vec<i64> = ranked[..3].iter().map(|&r| times[r] / HOUR).collect();
    top.sort_unstable();
    assert_eq!(top, spikes);
    let band = s.params.band_mads;
    for &r in &ranked[..3] {
        assert!(
            s.scores[r] > 3.0 * band,
            "spike at {r} scores {}",
            s.scores[r]
        );
    }
    // The band is 3.5 sigma of normal noise: over 4,000 points of noise a few may touch it, but
    // nothing else comes near the spikes.
    assert!(
        s.scores[ranked[3]] < 1.5 * band,
        "fourth {}",
        s.scores[ranked[3]]
    );
    assert!(s.scores[ranked[2]] > 4.0 * s.scores[ranked[3]]);
}

#[test]
fn missing_buckets_are_skipped_not_zeros() {
    // A day of hours missing: the rows after it are scored against the seasonal shape, not
    // against zeros, and the gap is counted.
    let gap: Vec<i64> = (24 * 20..24 * 21).collect();
    let (times, cols) = rows(24 * 28, 1, 5, &gap, &[]);
    let refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
    let s = score_table(&times, &refs, None, SeasonalParams::default()).expect("score");
    assert_eq!(s.missing_buckets, 24);
    let after = times
        .iter()
        .position(|&t| t >= 24 * 21 * HOUR)
        .expect("after the gap");
    for r in after..after + 48 {
        assert!(
            s.scores[r] < s.params.band_mads,
            "row {r} scores {}",
            s.scores[r]
        );
    }
    // The gap is reported on the row after it.
    let periods = s.periods.clone();
    let mut state =
        SeasonalState::new(HOUR, &periods, 1, SeasonalParams::default()).expect("state");
    let v = one_by_one(&mut state, &times, &cols, 0);
    assert_eq!(v[after].missing_before, 24);
    assert!(v[after - 1].missing_before == 0);
}

#[test]
fn the_first_rows_are_warm_up_and_errors_are_clear() {
    let (times, cols) = rows(24 * 3, 1, 1, &[], &[]);
    let refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
    let s = score_table(&times, &refs, None, SeasonalParams::default()).expect("score");
    assert_eq!(s.periods, vec![24]);
    assert!(s.warm_up[0] && s.warm_up[23]);
    assert_eq!(s.scores[0], 0.0);
    assert!(!s.warm_up[times.len() - 1]);
    assert!(score_table(&[5, 5], &[&[1.0, 2.0]], None, SeasonalParams::default()).is_err());
    assert!(score_table(&[1, 2], &[&[1.0]], None, SeasonalParams::default()).is_err());
    let mut st = SeasonalState::new(HOUR, &[24], 2, SeasonalParams::default()).expect("state");
    assert!(st.update(0, &[1.0]).is_err());
    let bad = SeasonalParams {
        cycles: 1,
        ..SeasonalParams::default()
    };
    assert!(SeasonalState::new(HOUR, &[24], 2, bad).is_err());
}

#[test]
fn the_band_of_a_count_series_stops_at_zero() {
    // A quiet count: 0 to 3 requests an hour, so expected minus the band is below 0.
    let times: Vec<i64> = (0..24 * 10).map(|t| t * HOUR).collect();
    let counts: Vec<f64> = (0..24 * 10).map(|t| ((t * 7) % 4) as f64).collect();
    let mut signed = counts.clone();
    signed[24 * 5] = -1.0;
    let s =
        score_table(&times, &[&counts, &signed], None, SeasonalParams::default()).expect("score");
    let raw_lower = |f: usize, r: usize| s.expected[f][r] - s.params.band_mads * s.scale[f][r];
    let mut clamped = 0;
    for r in 0..times.len() {
        let (lower, _) = s.band(0, r);
        assert_eq!(lower, raw_lower(0, r).max(0.0), "row {r}");
        clamped += usize::from(raw_lower(0, r) < 0.0);
        // The second series is a count until its -1 is learnt, then its band may go below 0.
        let (lower, _) = s.band(1, r);
        if r <= 24 * 5 {
            assert_eq!(lower, raw_lower(1, r).max(0.0), "row {r}");
        } else {
            assert_eq!(lower, raw_lower(1, r), "row {r}");
        }
    }
    assert!(
        clamped > 100,
        "{clamped} rows have a band below 0 before the clamp"
    );
    assert!(s.band(1, 24 * 6).0 < 0.0);
    // The explanation reads the clamped band.
    let words = s.row_in_words(
        30,
        &["a".into(), "b".into()],
        &[&counts, &signed],
        times[30],
        crate::zone::Zone::Unstated,
    );
    assert!(words.contains("(0-"), "{words}");
}

#[test]
fn history_scores_are_the_same_whatever_the_units_of_a_series() {
    // The same shape in units a million times apart (the count floor off): the same scores.
    let (times, cols) = rows(24 * 7 * 6, 1, 4, &[], &[24 * 30 + 5]);
    let small: Vec<f64> = cols[0].iter().map(|v| v * 1e-3).collect();
    let big: Vec<f64> = cols[0].iter().map(|v| v * 1e3).collect();
    let params = SeasonalParams {
        reference: ScoreReference::History,
        count_floor: 0.0,
        ..SeasonalParams::default()
    };
    let a = score_table(&times, &[&small], None, params).expect("small");
    let b = score_table(&times, &[&big], None, params).expect("big");
    for r in 0..times.len() {
        assert!((a.calibrated[r] - b.calibrated[r]).abs() < 1e-9, "row {r}");
        assert!((0.0..1.0).contains(&a.calibrated[r]));
    }
    // The spike is the highest score after the warm-up.
    let spike = times
        .iter()
        .position(|&t| t / HOUR == 24 * 30 + 5)
        .expect("spike row");
    let best = (0..times.len())
        .filter(|&r| !a.warm_up[r])
        .max_by(|&x, &y| a.calibrated[x].total_cmp(&a.calibrated[y]))
        .expect("rows");
    assert_eq!(best, spike);
}

#[test]
fn a_flat_series_is_judged_by_its_resolution() {
    // Whole numbers, flat at 1,000 but for one step of 1 early on: the MAD is 0.
    let n = 24 * 12;
    let times: Vec<i64> = (0..n).map(|t| t * HOUR).collect();
    let mut y = vec![1_000.0; n as usize];
    y[30] = 1_001.0;
    let last = y.len() - 1;
    let params = SeasonalParams {
        count_floor: 0.0,
        ..SeasonalParams::default()
    };
    let score = |v: f64| {
        let mut y = y.clone();
        y[last] = v;
        let s = score_table(&times, &[&y], None, params).expect("score");
        (s.scores[last], s.scale[0][last])
    };
    // One step is 4 MADs (a quarter of a step is the scale), three steps 12: not millions.
    let (one, scale) = score(1_001.0);
    assert_eq!(scale, 0.25);
    assert!((one - 4.0).abs() < 1e-3, "{one}");
    assert!((score(1_003.0).0 - 12.0).abs() < 1e-3);
}

#[test]
fn a_new_high_is_surprising_against_the_history_though_the_baseline_follows_it() {
    // Six weeks of hourly traffic, then the level climbs 0.15% an hour for two weeks: the
    // baseline follows the climb (against the model few of its hours are flagged), yet the
    // daily peaks are above every earlier value.
    let start = 24 * 7 * 6;
    let times: Vec<i64> = (0..start + 24 * 14).map(|t| t * HOUR).collect();
    let climbed: Vec<f64> = (0..start + 24 * 14)
        .map(|t| traffic(t, 5) * 1.0015f64.powi((t - start).max(0) as i32))
        .collect();
    let score = |reference| {
        let params = SeasonalParams {
            reference,
            ..SeasonalParams::default()
        };
        score_table(&times, &[&climbed], None, params).expect("score")
    };
    let history = score(ScoreReference::History);
    let model = score(ScoreReference::Model);
    let flag = super::calibrate::score_of_risk(super::calibrate::default_risk());
    let mut caught = 0;
    for r in 1..times.len() {
        let earlier = &climbed[r.saturating_sub(super::calibrate::HISTORY)..r];
        let lo = earlier.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = earlier.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let point = history.point(0, r, climbed[r]);
        if r < MIN_SEPARATE || climbed[r] <= hi {
            assert_ne!(point.record, Some(Record::High), "row {r}");
            continue;
        }
        // A new high: at least as surprising as one in (rows before + 1), and more so further out.
        assert_eq!(point.record, Some(Record::High), "row {r}");
        let excess = (climbed[r] - hi) / (hi - lo);
        let want = ((earlier.len() + 1) as f64).log10() + excess / RANGE_PER_DECADE;
        assert!(
            point.surprise >= want - 1e-9,
            "row {r}: {} < {want}",
            point.surprise
        );
        if history.calibrated[r] >= flag && model.calibrated[r] < flag {
            // Flagged for being a new high, where the baseline alone sees nothing wrong.
            assert_eq!(model.point(0, r, climbed[r]).record, None);
            caught += 1;
        }
    }
    // The climb's daily peaks (0.15% an hour: 3.7% a day) are new highs for its last days.
    assert!(
        caught >= 5,
        "{caught} new highs flagged only against the history"
    );
    let highs: Vec<usize> = (0..times.len())
        .filter(|&r| history.point(0, r, climbed[r]).record == Some(Record::High))
        .collect();
    let words = history.row_in_words(
        highs[0],
        &["requests".into()],
        &[&climbed],
        times[highs[0]],
        crate::zone::Zone::Unstated,
    );
    assert!(words.contains("above every recent value"), "{words}");
}

#[test]
fn the_row_is_explained_by_its_most_surprising_feature() {
    use super::state::combine;
    // The largest |z| is feature 0, but feature 1 is the more surprising (a new high, say).
    assert_eq!(combine([(5.0, 1.0), (-2.0, 3.0)]), (5.0, 1));
    // Equal surprise: the larger |z|, then the first.
    assert_eq!(combine([(1.0, 2.0), (-3.0, 2.0)]), (3.0, 1));
    assert_eq!(combine([(3.0, 2.0), (-3.0, 2.0)]), (3.0, 0));
    assert_eq!(combine([(1.0, f64::NAN), (0.5, 0.0)]), (1.0, 0));
    assert_eq!(combine(std::iter::empty()), (0.0, 0));
    // Against the model the surprise grows with |z|: the top feature is the largest |z|.
    let (times, cols) = rows(24 * 7 * 6, 3, 11, &[], &[24 * 30 + 5, 24 * 33 + 1]);
    let refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
    let model = score_table(&times, &refs, None, SeasonalParams::default()).expect("model");
    for (r, &score) in model.scores.iter().enumerate() {
        let (largest, top) = combine(
            cols.iter()
                .enumerate()
                .map(|(f, c)| (model.z(f, r, c[r]), 0.0)),
        );
        assert_eq!(score, largest);
        assert_eq!(model.top[r], top, "row {r}");
    }
}

#[test]
fn a_hold_off_flags_a_lasting_shift_on_its_first_row_only() {
    // Six weeks of hourly traffic, then its level doubles for 40 hours.
    let start = 24 * 7 * 6;
    let (times, mut cols) = rows(start + 24 * 3, 1, 5, &[], &[]);
    for (r, &t) in times.iter().enumerate() {
        let hour = t / HOUR;
        if (start..start + 40).contains(&hour) {
            cols[0][r] *= 2.0;
        }
    }
    let refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
    let alarm = super::calibrate::score_of_risk(super::calibrate::default_risk());
    let first = times
        .iter()
        .position(|&t| t / HOUR == start)
        .expect("the shift's first row");
    let scored = |hold_off: usize| -> Vec<f64> {
        let params = SeasonalParams {
            hold_off,
            ..SeasonalParams::default()
        };
        score_table(&times, &refs, None, params)
            .expect("score")
            .calibrated
    };
    // No alarm in the 17 rows before the shift, so no hold reaches into it.
    assert!(scored(0)[first - 17..first].iter().all(|&c| c <= alarm));
    // The rows flagged from the shift on.
    let flagged = |hold_off: usize| -> Vec<usize> {
        let c = scored(hold_off);
        (first..times.len()).filter(|&r| c[r] > alarm).collect()
    };
    let without = flagged(0);
    assert!(without.contains(&first), "{without:?}");
    assert!(without.len() > 20, "every row of the shift: {without:?}");
    // With a hold-off of 16 rows, one alarm per 17 rows of the shift.
    let with = flagged(16);
    assert_eq!(with[0], first, "{with:?}");
    for pair in with.windows(2) {
        assert!(pair[1] - pair[0] > 16, "{with:?}");
    }
    assert!(
        with.len() < without.len() / 5,
        "{with:?} against {without:?}"
    );
}

#[test]
fn a_hold_off_is_per_feature() {
    // Two features; a spike in the first, then one in the second five hours later.
    let (times, mut cols) = rows(24 * 7 * 6, 2, 21, &[], &[]);
    let hour_row = |h: i64| times.iter().position(|&t| t / HOUR == h).expect("row");
    let (a, b) = (hour_row(24 * 7 * 5 + 3), hour_row(24 * 7 * 5 + 8));
    cols[0][a] *= 4.0;
    cols[1][b] *= 4.0;
    let refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
    let alarm = super::calibrate::score_of_risk(super::calibrate::default_risk());
    for hold_off in [0, 16] {
        let params = SeasonalParams {
            hold_off,
            ..SeasonalParams::default()
        };
        let s = score_table(&times, &refs, None, params).expect("score");
        assert!(
            s.calibrated[a] > alarm,
            "hold-off {hold_off}: {}",
            s.calibrated[a]
        );
        assert!(
            s.calibrated[b] > alarm,
            "hold-off {hold_off}: {}",
            s.calibrated[b]
        );
    }
}

/// A table out of time order (newest row first, or shuffled) is scored as the same table sorted
/// by time: every row's numbers, to the bit, and the state after the latest row. Rows at the same
/// time keep their order in the table (a stable sort).
#[test]
fn a_table_out_of_time_order_is_scored_as_the_table_sorted_by_time() {
    // Every time distinct (a second row in an hour is 30 minutes in): sorting restores the order.
    let (times, cols) = rows(700, 2, 7, &[50, 51, 300], &[400, 555]);
    for reference in [ScoreReference::Model, ScoreReference::History] {
        let params = SeasonalParams {
            reference,
            hold_off: 8,
            ..SeasonalParams::default()
        };
        let refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
        let sorted = score_table(&times, &refs, None, params).expect("sorted");
        assert_eq!((sorted.steps_back, sorted.place.is_none()), (0, true));
        assert_eq!(sorted.rows_in_time_order(), None);
        let n = times.len();
        let newest_first: Vec<usize> = (0..n).rev().collect();
        let mut shuffled: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            shuffled.swap(i, (i * 7919 + 13) % (i + 1));
        }
        for order in [newest_first, shuffled] {
            let t: Vec<i64> = order.iter().map(|&r| times[r]).collect();
            let c: Vec<Vec<f64>> = cols
                .iter()
                .map(|col| order.iter().map(|&r| col[r]).collect())
                .collect();
            let refs: Vec<&[f64]> = c.iter().map(Vec::as_slice).collect();
            let s = score_table(&t, &refs, None, params).expect("out of order");
            assert!(s.steps_back > 0);
            assert_eq!(s.interval_ms, sorted.interval_ms);
            assert_eq!(s.periods, sorted.periods);
            assert_eq!(s.state, sorted.state, "the state after the latest row");
            let mut in_time: Vec<usize> = (0..n).collect();
            in_time.sort_by_key(|&r| t[r]);
            assert_eq!(s.rows_in_time_order(), Some(in_time));
            for (r, &row) in order.iter().enumerate() {
                assert_eq!(
                    s.calibrated[r].to_bits(),
                    sorted.calibrated[row].to_bits(),
                    "row {row}"
                );
                assert_eq!(s.scores[r].to_bits(), sorted.scores[row].to_bits());
                assert_eq!(s.top[r], sorted.top[row]);
                assert_eq!(s.warm_up[r], sorted.warm_up[row]);
                for f in 0..c.len() {
                    assert_eq!(
                        s.expected[f][r].to_bits(),
                        sorted.expected[f][row].to_bits()
                    );
                    assert_eq!(s.scale[f][r].to_bits(), sorted.scale[f][row].to_bits());
                    assert_eq!(
                        s.surprise[f][r].to_bits(),
                        sorted.surprise[f][row].to_bits()
                    );
                    assert_eq!(s.band(f, r), sorted.band(f, row));
                    assert_eq!(
                        s.point(f, r, c[f][r]).record,
                        sorted.point(f, row, cols[f][row]).record
                    );
                }
            }
        }
    }
    // Rows at one time keep their order in the table: the first is scored first (and learnt).
    let t = [2 * HOUR, 0, HOUR, HOUR];
    let y = [3.0, 1.0, 2.0, 20.0];
    let s = score_table(&t, &[&y], None, SeasonalParams::default()).expect("score");
    assert_eq!(s.rows_in_time_order(), Some(vec![1, 2, 3, 0]));
    assert_eq!(s.place, Some(vec![3, 0, 1, 2]));
    assert_eq!((s.steps_back, s.repeated_rows), (1, 1));
}

#[test]
fn values_whose_squares_overflow_are_scored_as_the_same_values_at_a_smaller_scale() {
    // Multiplied by 2^540 (exact), the values are near 1e164: their squares overflow, which
    // turned the seasonal terms' shrinkage, and the expected values, to NaN.
    let (times, cols) = rows(24 * 40, 2, 11, &[], &[24 * 30 + 5]);
    let big: Vec<Vec<f64>> = cols
        .iter()
        .map(|c| c.iter().map(|v| v * 2f64.powi(540)).collect())
        .collect();
    for reference in [ScoreReference::Model, ScoreReference::History] {
        let params = SeasonalParams {
            reference,
            count_floor: 0.0,
            ..SeasonalParams::default()
        };
        let small_refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
        let big_refs: Vec<&[f64]> = big.iter().map(Vec::as_slice).collect();
        let small = score_table(&times, &small_refs, None, params).expect("small");
        let large = score_table(&times, &big_refs, None, params).expect("large");
        for f in 0..2 {
            for (r, (e, e_big)) in small.expected[f].iter().zip(&large.expected[f]).enumerate() {
                assert!(e_big.is_finite(), "{reference:?} row {r}: expected {e_big}");
                let back = e_big * 2f64.powi(-540);
                assert!(
                    (back - e).abs() <= 1e-9 * e.abs().max(1.0),
                    "{reference:?} feature {f} row {r}: {back} against {e}"
                );
            }
        }
        for (r, (s, s_big)) in small.calibrated.iter().zip(&large.calibrated).enumerate() {
            assert!(
                (s - s_big).abs() <= 1e-9,
                "{reference:?} row {r}: {s_big} against {s}"
            );
        }
    }
}

#[test]
fn the_second_row_is_not_millions_of_mads_from_the_first() {
    // One earlier value has no spread: with no count floor (or values far above it) the second
    // row was scored against a scale of 1e-9 of the level, 5e7 MADs away, and flagged first.
    let times: Vec<i64> = (0..48).map(|h| h * 3_600_000).collect();
    let values: Vec<f64> = (0..48)
        .map(|h| [137.0, 91.0, 120.0, 140.0][h % 4])
        .collect();
    for (floor, scale) in [(0.0, 1.0), (1.0, 1.0), (1.0, 1e280)] {
        let scaled: Vec<f64> = values.iter().map(|v| v * scale).collect();
        let params = SeasonalParams {
            count_floor: floor,
            ..SeasonalParams::default()
        };
        let s = score_table(&times, &[&scaled], None, params).expect("score");
        let z = s.point(0, 1, scaled[1]).z;
        assert!(z.abs() < 1.0, "floor {floor}, scale {scale}: z {z}");
        assert!(s.calibrated[1] < 0.5, "floor {floor}, scale {scale}");
    }
}
