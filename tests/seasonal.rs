//! The seasonal baseline on the shared reference file: its 40 injected-spike rows against the
//! rest.

use std::sync::Arc;

use trafficlens::data::{load, Dataset, LoadOptions};
use trafficlens::detect::seasonal::{score_table, SeasonalParams};

use crate::util::{bin, shared, tempdir};

/// The reference file's spike rows: a whole number above 400 in any region (see
/// `../shared/README.md`), read from the raw text.
fn spike_rows() -> Vec<bool> {
    let text = std::fs::read_to_string(shared("regional_web_traffic.csv")).expect("read");
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            line.trim_end_matches('\r')
                .split(',')
                .skip(1)
                .any(|cell| !cell.contains('.') && cell.parse::<f64>().is_ok_and(|v| v > 400.0))
        })
        .collect()
}

fn reference() -> Arc<Dataset> {
    Arc::new(load(shared("regional_web_traffic.csv"), &LoadOptions::default()).expect("load"))
}

#[test]
#[ignore = "needs ../shared/data"]
fn the_spike_rows_are_the_top_scores_of_the_reference_file() {
    let ds = reference();
    let spikes = spike_rows();
    assert_eq!(spikes.len(), ds.n_rows());
    assert_eq!(spikes.iter().filter(|&&s| s).count(), 40);
    let time = ds.time.as_ref().expect("time column");
    let columns: Vec<&[f64]> = ds.columns.iter().map(Vec::as_slice).collect();
    let s = score_table(&time.millis, &columns, None, SeasonalParams::default()).expect("score");
    assert_eq!(s.periods, vec![7]);
    let mut ranked: Vec<usize> = (0..ds.n_rows()).collect();
    ranked.sort_by(|&a, &b| s.scores[b].total_cmp(&s.scores[a]));
    let caught = ranked[..40].iter().filter(|&&r| spikes[r]).count();
    let band = s.params.band_mads;
    let over_band: Vec<usize> = (0..ds.n_rows()).filter(|&r| s.scores[r] > band).collect();
    let right = over_band.iter().filter(|&&r| spikes[r]).count();
    eprintln!(
        "top 40 scores: {caught} spike rows; over the band ({band:.2} MADs): {} rows, {right} of them spikes",
        over_band.len()
    );
    for &r in ranked.iter().take(46) {
        eprintln!(
            "row {r} score {:.2} spike {} warm {}",
            s.scores[r], spikes[r], s.warm_up[r]
        );
    }
    assert_eq!(caught, 40);
    // The row score (the tail probability in [0, 1)) ranks them the same way.
    ranked.sort_by(|&a, &b| s.calibrated[b].total_cmp(&s.calibrated[a]));
    assert!(ranked[..40].iter().all(|&r| spikes[r]));
}

/// The rows flagged in a scores file (`row,anomaly_score,flagged`).
fn flagged_in(scores_csv: &str) -> Vec<usize> {
    scores_csv
        .lines()
        .skip(1)
        .filter_map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            (cells.get(2) == Some(&"1")).then(|| cells[0].parse().expect("row"))
        })
        .collect()
}

#[test]
#[ignore = "needs ../shared/data"]
fn detect_seasonal_on_the_reference_file_flags_every_spike_row() {
    let dir = tempdir();
    let spikes = spike_rows();
    let path = shared("regional_web_traffic.csv");
    let run = |extra: &[&str]| -> Vec<usize> {
        let out = dir.path().join("scores.csv");
        let status = bin(dir.path())
            .arg("detect")
            .arg(&path)
            .args(["--algo", "seasonal", "--force", "--scores-out"])
            .arg(&out)
            .args(extra)
            .output()
            .expect("run");
        assert_eq!(status.status.code(), Some(0), "{status:?}");
        flagged_in(&std::fs::read_to_string(&out).expect("scores"))
    };
    let want: Vec<usize> = (0..spikes.len()).filter(|&r| spikes[r]).collect();
    assert_eq!(want.len(), 40);
    // The default threshold (a row's tail probability below 1e-4 across its six features):
    // exactly the 40 spike rows.
    let flagged = run(&[]);
    let right = flagged.iter().filter(|&&r| spikes[r]).count();
    eprintln!(
        "default threshold: {} rows flagged, {right} of the 40 spike rows",
        flagged.len()
    );
    assert_eq!(flagged, want);
    // A contamination of 40 rows: the same rows (they are the 40 top scores).
    let c = format!("{}", 40.0 / spikes.len() as f64);
    let flagged = run(&["--contamination", &c]);
    assert_eq!(flagged, want);
}

#[test]
fn a_table_without_time_is_a_clear_error() {
    let dir = tempdir();
    let csv = dir.path().join("no_time.csv");
    let mut text = String::from("a,b\n");
    for i in 0..50 {
        text.push_str(&format!("{},{}\n", i % 7, i % 5));
    }
    std::fs::write(&csv, text).expect("write");
    let out = bin(dir.path())
        .args(["detect", "no_time.csv", "--algo", "seasonal"])
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0));
    assert!(err.contains("no_time.csv"), "{err}");
    assert!(err.contains("needs a time column"), "{err}");
    assert!(err.contains("--time-column"), "{err}");
}

/// An access log or a conn.log read as one row per client or host has no time axis: the error
/// names the view that has one (before, it asked for a time column a log cannot name).
#[test]
fn a_log_without_its_traffic_view_points_to_it() {
    let dir = tempdir();
    for (what, file) in [("--access-log", "access.log"), ("--network", "conn.log")] {
        let made = bin(dir.path())
            .args(["generate", what, "--days", "1", "--out", file])
            .output()
            .expect("generate");
        assert_eq!(made.status.code(), Some(0), "{made:?}");
        let out = bin(dir.path())
            .args(["detect", file, "--algo", "seasonal"])
            .output()
            .expect("run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_ne!(out.status.code(), Some(0), "{err}");
        assert!(err.contains(file), "{err}");
        assert!(err.contains("--view traffic"), "{err}");
        assert!(!err.contains("--time-column"), "{err}");
        let (scores, _) = detect_seasonal(dir.path(), file, &["--view", "traffic"]);
        assert!(scores.lines().count() > 100, "{scores}");
    }
}

/// Hourly request counts from 2024-01-01 00:00 (`time,requests`): 900 in the day (08:00-19:00),
/// 100 at night, a deterministic wobble of up to 22, then `change(hour, value)`.
fn hourly_requests(hours: usize, change: impl Fn(usize, usize) -> usize) -> String {
    let start = 1_704_067_200i64; // 2024-01-01T00:00:00Z
    let mut text = String::from("time,requests\n");
    for h in 0..hours {
        let hour = h % 24;
        let base = if (8..20).contains(&hour) { 900 } else { 100 };
        let v = change(h, base + (h * 37) % 23);
        let t = chrono::DateTime::from_timestamp(start + 3600 * h as i64, 0).expect("time");
        text.push_str(&format!("{},{v}\n", t.format("%Y-%m-%dT%H:%M:%S")));
    }
    text
}

/// Runs `detect FILE --algo seasonal --scores-out scores.csv --force EXTRA...` in `dir`, which
/// must succeed; returns the scores file and the standard error.
fn detect_seasonal(dir: &std::path::Path, file: &str, extra: &[&str]) -> (String, String) {
    let out = bin(dir)
        .args(["detect", file, "--algo", "seasonal"])
        .args(["--scores-out", "scores.csv", "--force"])
        .args(extra)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let scores = std::fs::read_to_string(dir.join("scores.csv")).expect("scores");
    (scores, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn flagged_rows_of_the_seasonal_baseline_say_why_in_words() {
    // Hourly traffic for three weeks with a daily rhythm, and a night at daytime level.
    let dir = tempdir();
    let text = hourly_requests(24 * 21, |h, v| if h == 24 * 18 + 3 { 900 } else { v });
    std::fs::write(dir.path().join("hourly.csv"), text).expect("write");
    let out = bin(dir.path())
        .args([
            "detect",
            "hourly.csv",
            "--algo",
            "seasonal",
            "--flagged-out",
            "flagged.csv",
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let flagged = std::fs::read_to_string(dir.path().join("flagged.csv")).expect("flagged");
    let night = flagged
        .lines()
        .find(|l| l.starts_with("2024-01-19T03:00:00"))
        .unwrap_or_else(|| panic!("the night surge is flagged: {flagged}"));
    assert!(
        night.contains("requests = 900 on Fri 19 Jan 2024 03:00, expected 1"),
        "{night}"
    );
    assert!(night.contains("MADs above"), "{night}");
    // Daytime hours at their usual level are not flagged.
    assert!(!flagged.contains("2024-01-19T12:00:00"), "{flagged}");
}

/// A file with the newest row first (as many dashboards export) is scored in time order: each
/// row gets the score it has in the file sorted by time, and the run says the rows were not in
/// time order. (Before, its interval could not be found: "no two different times".)
#[test]
fn a_file_newest_first_is_scored_in_time_order() {
    let dir = tempdir();
    let text = hourly_requests(24 * 21, |h, v| if h == 24 * 18 + 3 { 900 } else { v });
    std::fs::write(dir.path().join("oldest_first.csv"), &text).expect("write");
    let mut lines: Vec<&str> = text.lines().collect();
    lines[1..].reverse();
    std::fs::write(dir.path().join("newest_first.csv"), lines.join("\n") + "\n").expect("write");
    let (forward, _) = detect_seasonal(dir.path(), "oldest_first.csv", &[]);
    let (backward, stderr) = detect_seasonal(dir.path(), "newest_first.csv", &[]);
    assert!(
        stderr.contains("the rows are not in time order"),
        "{stderr}"
    );
    assert!(stderr.contains("one row per 1 h"), "{stderr}");
    let cells = |scores: &str| -> Vec<(String, String)> {
        scores
            .lines()
            .skip(1)
            .map(|l| {
                let c: Vec<&str> = l.split(',').collect();
                (c[1].to_string(), c[2].to_string())
            })
            .collect()
    };
    let mut backward = cells(&backward);
    backward.reverse();
    let forward = cells(&forward);
    assert_eq!(forward.len(), 24 * 21);
    assert_eq!(backward, forward);
    // The night surge is flagged either way (row 435 of the file oldest first).
    assert_eq!(forward[24 * 18 + 3].1, "1");
}

#[test]
fn the_session_rethresholds_the_seasonal_baseline_without_refitting() {
    use trafficlens::analysis::{ScoreWork, Session};
    use trafficlens::control::Control;
    use trafficlens::data::load_source;
    use trafficlens::detect::seasonal::calibrate::{model_band_mads, score_of_risk};
    use trafficlens::detect::{Algorithm, Contamination, DetectorConfig};

    let ds = Arc::new(
        load_source(trafficlens::app::sample_source(), &LoadOptions::default()).expect("sample"),
    );
    let mut session = Session::new(Arc::clone(&ds));
    let config = DetectorConfig {
        algorithm: Algorithm::Seasonal,
        ..DetectorConfig::default()
    };
    let first = session
        .score(&config, &[], Control::default())
        .expect("score");
    assert_eq!(first.work, ScoreWork::Fitted);
    let seasonal = session.seasonal().expect("the seasonal verdicts");
    assert_eq!(seasonal.expected.len(), ds.n_features());
    // `auto` flags the rows whose tail probability is below 1e-4 (score 0.8): every row where a
    // feature leaves its band (set for that risk and the number of features), and rows where
    // several features are unusual together (Fisher's combination).
    let band = seasonal.params.band_mads;
    assert!((band - model_band_mads(1e-4, ds.n_features())).abs() < 1e-12);
    let threshold = score_of_risk(1e-4);
    for (r, &flag) in first.detection.flags.iter().enumerate() {
        let score = first.detection.scores[r];
        assert!((0.0..1.0).contains(&score), "row {r}: {score}");
        assert_eq!(score, seasonal.calibrated[r]);
        assert_eq!(flag, score > threshold, "row {r}");
        if seasonal.scores[r] > band {
            assert!(flag, "row {r} leaves its band");
        }
    }
    let tenth = DetectorConfig {
        contamination: Contamination::Fraction(0.1),
        ..config
    };
    let again = session
        .score(&tenth, &[], Control::default())
        .expect("rethreshold");
    assert_eq!(again.work, ScoreWork::Rethresholded);
    assert_eq!(again.detection.scores, first.detection.scores);
    let flagged = again.detection.flags.iter().filter(|&&f| f).count();
    assert_eq!(flagged, (ds.n_rows() as f64 * 0.1).round() as usize);
    // Scaling does not apply: asking for it changes nothing in the scores.
    let scaled = DetectorConfig {
        scaling: trafficlens::detect::Scaling::Robust,
        ..config
    };
    let s = session
        .score(&scaled, &[], Control::default())
        .expect("scaled");
    assert_eq!(s.detection.scores, first.detection.scores);
    // The flagged rows say why, in words.
    let f = session.flagged().expect("flagged");
    let words = f.words.expect("words");
    assert!(words.iter().all(|w| w.contains("MADs")), "{words:?}");
    // "What if" scores a row as the next interval.
    let calm: Vec<f64> = (0..ds.n_features())
        .map(|c| ds.columns[c][ds.n_rows() - 7])
        .collect();
    let spike: Vec<f64> = calm.iter().map(|v| v * 5.0 + 1000.0).collect();
    assert!(!session.what_if(&calm).expect("calm").flagged);
    assert!(session.what_if(&spike).expect("spike").flagged);
}

#[test]
fn the_app_shows_the_seasonal_band_and_why_a_row_is_flagged() {
    use egui_kittest::kittest::Queryable;
    use egui_kittest::Harness;
    use trafficlens::app::{sample_source, Persisted, TrafficLensApp};
    use trafficlens::detect::Algorithm;

    let mut persisted = Persisted::default();
    persisted.config.algorithm = Algorithm::Seasonal;
    let app = TrafficLensApp::new(persisted, sample_source(), || {});
    let mut h = Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_ui_state(|ui, app: &mut TrafficLensApp| app.ui_frame(ui), app);
    let started = std::time::Instant::now();
    while !(h.state().state.scores.is_some() && h.state().state.scoring.is_none()) {
        assert!(
            started.elapsed().as_secs() < 120,
            "gave up waiting for the scores"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
        h.step();
    }
    h.step();
    h.step();
    let scores = h.state().state.scores.clone().expect("scores");
    assert!(scores.seasonal.is_some(), "the band came with the scores");
    h.get_by_label("expected");
    h.get_by_label("why");
    // The seasonal settings, the hold-off among them.
    h.get_by_label("Hold-off");
    assert!(
        h.query_all_by_label_contains(" MADs ").count() > 1,
        "a flagged row is explained in words"
    );
}

#[test]
fn the_score_reference_is_chosen_on_the_command_line() {
    // Hourly traffic for four weeks; a byte-like burst of 1,000,000 at 03:00 on three days of
    // different weekdays (the same weekday would be a weekly rhythm the baseline learns).
    let dir = tempdir();
    let mut text = String::from("time,bytes\n");
    for h in 0..24 * 28 {
        let hour = h % 24;
        let day = h / 24;
        let base = if (8..20).contains(&hour) { 900 } else { 100 };
        let v = if hour == 3 && [10, 16, 23].contains(&day) {
            1_000_000
        } else {
            base + (h * 37) % 23
        };
        text.push_str(&format!("2024-02-{:02}T{hour:02}:00:00,{v}\n", day + 1));
    }
    std::fs::write(dir.path().join("bytes.csv"), text).expect("write");
    let scores = |extra: &[&str]| -> Vec<(f64, bool)> {
        detect_seasonal(dir.path(), "bytes.csv", extra)
            .0
            .lines()
            .skip(1)
            .map(|l| {
                let cells: Vec<&str> = l.split(',').collect();
                (cells[1].parse().expect("score"), cells[2] == "1")
            })
            .collect()
    };
    let model = scores(&[]);
    let history = scores(&["--score-reference", "history"]);
    let burst = |day: usize| day * 24 + 3;
    for s in [&model, &history] {
        assert!(s.iter().all(|(v, _)| (0.0..1.0).contains(v)));
    }
    // The model calls every burst an anomaly; the history learns that they recur: the third
    // burst is less surprising than the first, and less than under the model.
    for day in [10, 16, 23] {
        assert!(model[burst(day)].1, "model, day {day}");
    }
    assert!(history[burst(10)].1, "history, the first burst");
    assert!(history[burst(23)].0 < history[burst(10)].0);
    assert!(history[burst(23)].0 < model[burst(23)].0);
    let out = bin(dir.path())
        .args([
            "detect",
            "bytes.csv",
            "--algo",
            "seasonal",
            "--score-reference",
            "past",
        ])
        .output()
        .expect("run");
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("use `model` or `history`"), "{err}");
}

#[test]
fn a_hold_off_on_the_command_line_flags_a_lasting_surge_once() {
    // Hourly traffic for five weeks, then ten hours at five times the usual level.
    let dir = tempdir();
    let surge: Vec<usize> = (24 * 35 + 2..24 * 35 + 12).collect();
    let text = hourly_requests(24 * 36, |h, v| if surge.contains(&h) { v * 5 } else { v });
    std::fs::write(dir.path().join("surge.csv"), text).expect("write");
    let run = |extra: &[&str]| -> (Vec<usize>, String) {
        let (scores, stderr) = detect_seasonal(dir.path(), "surge.csv", extra);
        (flagged_in(&scores), stderr)
    };
    let (without, _) = run(&[]);
    let in_surge = |rows: &[usize]| rows.iter().filter(|r| surge.contains(r)).count();
    assert!(in_surge(&without) >= 8, "every surge hour: {without:?}");
    let (with, summary) = run(&["--hold-off", "16"]);
    assert_eq!(in_surge(&with), 1, "one alarm for the surge: {with:?}");
    assert!(with.contains(&surge[0]), "on its first hour: {with:?}");
    assert!(
        summary.contains("16 rows held off after a feature's alarm"),
        "{summary}"
    );
}

#[test]
fn no_time_with_the_seasonal_baseline_is_refused_for_what_it_is() {
    let dir = crate::util::tempdir();
    let out = crate::util::bin(dir.path())
        .args(["detect", "--algo", "seasonal", "--no-time"])
        .arg(crate::util::repo("sample_data/web_traffic.csv"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("drop --no-time"), "{stderr}");
    assert!(!stderr.contains("this file has none"), "{stderr}");
}

/// Monthly rows (the first of each month, or each month's end) are bucketed by calendar month,
/// with a yearly period: a busy November and December every year is learnt as normal, and after
/// the first two years (warm-up) only a spike in June and a December at an ordinary month's level
/// are flagged. On a fixed grid of 31 days there was no period at all, and every November and
/// December was flagged.
#[test]
fn monthly_and_quarterly_rows_have_a_yearly_rhythm_on_the_calendar() {
    let dir = tempdir();
    let mut x: u64 = 5;
    let mut noise = || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((x >> 33) % 61) as f64 - 30.0
    };
    let days_in = |y: i32, m: u32| match m {
        2 if y % 4 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    for month_end in [false, true] {
        let mut text = String::from("month,sales\n");
        let (mut spike, mut drop) = (0, 0);
        let mut row = 0;
        for y in 2013..2025 {
            for m in 1..=12u32 {
                let mut v = 1000.0 + if m >= 11 { 400.0 } else { 0.0 } + noise();
                if (y, m) == (2022, 6) {
                    v += 600.0;
                    spike = row;
                }
                if (y, m) == (2023, 12) {
                    v -= 400.0;
                    drop = row;
                }
                let day = if month_end { days_in(y, m) } else { 1 };
                text.push_str(&format!("{y}-{m:02}-{day:02},{v:.1}\n"));
                row += 1;
            }
        }
        std::fs::write(dir.path().join("monthly.csv"), text).expect("write");
        let out = bin(dir.path())
            .args(["detect", "monthly.csv", "--algo", "seasonal", "--force"])
            .args(["--scores-out", "s.csv"])
            .output()
            .expect("run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{err}");
        assert!(
            err.contains("one row per 1 month, seasonal periods of 12 intervals"),
            "{err}"
        );
        assert!(!err.contains("already has a row"), "{err}");
        let scores = std::fs::read_to_string(dir.path().join("s.csv")).expect("scores");
        let after_warm_up: Vec<usize> = flagged_in(&scores)
            .into_iter()
            .filter(|&r| r >= 24)
            .collect();
        assert_eq!(after_warm_up, vec![spike, drop], "month ends: {month_end}");
    }
    // Quarters: a year of 4; two years of months are needed for the yearly period; years have
    // no period, and the note says why.
    let quarters: String = (0..40)
        .map(|q| {
            format!(
                "{}-{:02}-01,{}
",
                2000 + q / 4,
                3 * (q % 4) + 1,
                100 + q % 4
            )
        })
        .collect();
    let months: String = (0..20)
        .map(|m| {
            format!(
                "{}-{:02}-28,{}
",
                2000 + m / 12,
                m % 12 + 1,
                100 + m % 3
            )
        })
        .collect();
    let years: String = (0..30)
        .map(|y| {
            format!(
                "{}-12-31,{}
",
                1990 + y,
                100 + y % 3
            )
        })
        .collect();
    for (rows, said) in [
        (
            quarters,
            "one row per 1 quarter, seasonal periods of 4 intervals",
        ),
        (
            months,
            "one row per 1 month, no seasonal period (the history is shorter than two years)",
        ),
        (
            years,
            "one row per 1 year, no seasonal period (rows every 1 year have no daily, weekly or \
             yearly rhythm that it learns)",
        ),
    ] {
        std::fs::write(dir.path().join("t.csv"), format!("t,v\n{rows}")).expect("write");
        let out = bin(dir.path())
            .args(["detect", "t.csv", "--algo", "seasonal"])
            .output()
            .expect("run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{err}");
        assert!(err.contains(said), "{err}");
    }
}
