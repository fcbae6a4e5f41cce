//! Traffic keeps its local hours across a daylight-saving change: the seasonal baseline reads a
//! row's phase on the clock its time was written in, so a table or log written in local time
//! (`-04:00` in summer, `-05:00` in winter) is not flagged for weeks after the change, as it was
//! when phases were read in UTC. Checked on the CLI (`detect`), on `watch` replaying the same
//! table (the same scores, bit for bit), and on an access log's clock.

use std::path::Path;

use chrono::{DateTime, FixedOffset};
use trafficlens::data::access::{Bucket, LogOptions, LogView};
use trafficlens::data::{load, LoadOptions};

use crate::util::{bin, run_ok, tempdir};
use crate::watch_table::{assert_same, batch, scored};

const HOUR_S: i64 = 3_600;
/// 2021-09-20 04:00 UTC: midnight at -04:00.
const START_S: i64 = 1_632_110_400;
/// 2021-11-07 06:00 UTC: 02:00 at -04:00, when the clock goes back to -05:00.
const CHANGE_S: i64 = 1_636_264_800;
/// Hourly rows: 13 weeks.
const ROWS: i64 = 24 * 91;
/// The row of the change.
const CHANGE_ROW: usize = ((CHANGE_S - START_S) / HOUR_S) as usize;

/// How the generated table writes its times.
#[derive(Clone, Copy)]
enum Written {
    /// On the local clock, with the offset of the day (-04:00, then -05:00).
    Local,
    /// The same instants in UTC (`Z`): the offsets are lost.
    Utc,
    /// A clock that stays at -04:00 (no daylight saving): the control.
    NoChange,
    /// On the local clock, but every third time in UTC (`Z`): offsets that flip from row to
    /// row, which no one local clock fits.
    Mixed,
}

/// Writes an hourly table of requests and logins with a business-day rhythm on the local clock
/// (and a quieter weekend), with deterministic count noise and no anomaly.
fn write_table(path: &Path, written: Written) {
    let mut text = String::from("time,requests,logins\n");
    let mut seed: u64 = 5;
    let mut noise = || {
        // The sum of four uniforms, centred: close enough to a normal for count noise.
        let mut sum = 0.0;
        for _ in 0..4 {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            sum += (seed >> 11) as f64 / (1u64 << 53) as f64;
        }
        (sum - 2.0) * 3f64.sqrt()
    };
    for row in 0..ROWS {
        let t = START_S + row * HOUR_S;
        let offset_h = match written {
            Written::NoChange => -4,
            _ if t < CHANGE_S => -4,
            _ => -5,
        };
        let clock = FixedOffset::east_opt((offset_h * HOUR_S) as i32).expect("offset");
        let local = DateTime::from_timestamp(t, 0)
            .expect("time")
            .with_timezone(&clock);
        let hour = f64::from(chrono::Timelike::hour(&local));
        let weekday = chrono::Datelike::weekday(&local).num_days_from_monday();
        let mut day = if (6.0..=20.0).contains(&hour) {
            0.15 + 0.85 * (std::f64::consts::PI * (hour - 6.0) / 14.0).sin().max(0.0)
        } else {
            0.15
        };
        if weekday >= 5 {
            day *= 0.5;
        }
        let lambda = 40.0 + 900.0 * day;
        let requests = (lambda + lambda.sqrt() * noise()).round().max(0.0);
        let logins = (lambda / 2.0 + (lambda / 2.0).sqrt() * noise())
            .round()
            .max(0.0);
        let time = match written {
            Written::Mixed if row % 3 == 0 => DateTime::from_timestamp(t, 0)
                .expect("time")
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string(),
            Written::Utc => DateTime::from_timestamp(t, 0)
                .expect("time")
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string(),
            _ => local.format("%Y-%m-%dT%H:%M:%S%:z").to_string(),
        };
        text.push_str(&format!("{time},{requests},{logins}\n"));
    }
    std::fs::write(path, text).expect("write");
}

/// The rows `detect --algo seasonal` flags in the weeks after the change, and its warnings.
fn flagged_after_change(dir: &Path, file: &str) -> (Vec<usize>, String) {
    let out = run_ok(
        bin(dir)
            .args(["detect", file, "--algo", "seasonal", "--scores-out"])
            .arg(format!("{file}.scores.csv")),
    );
    let flagged = batch_flags(&dir.join(format!("{file}.scores.csv")));
    (
        flagged.into_iter().filter(|&r| r >= CHANGE_ROW).collect(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The flagged rows of a scores file.
fn batch_flags(path: &Path) -> Vec<usize> {
    let mut reader = csv::Reader::from_path(path).expect("scores");
    reader
        .records()
        .filter_map(|r| {
            let r = r.expect("record");
            (&r[2] == "1").then(|| r[0].parse().expect("row"))
        })
        .collect()
}

#[test]
fn a_table_in_local_time_keeps_its_rhythm_across_the_change() {
    let dir = tempdir();
    write_table(&dir.path().join("local.csv"), Written::Local);
    write_table(&dir.path().join("utc.csv"), Written::Utc);
    write_table(&dir.path().join("control.csv"), Written::NoChange);
    let (local, warnings) = flagged_after_change(dir.path(), "local.csv");
    let (utc, utc_warnings) = flagged_after_change(dir.path(), "utc.csv");
    let (control, _) = flagged_after_change(dir.path(), "control.csv");
    // Read in UTC, the rhythm moves by an hour at the change: its ramps are flagged for weeks.
    assert!(utc.len() >= 15, "UTC phases: {utc:?}");
    // On the local clock, no more than a table without daylight saving.
    assert!(
        local.len() <= control.len() + 2,
        "local phases {local:?}, control {control:?}"
    );
    assert!(warnings.contains("the times change their UTC offset once (daylight saving)"));
    assert!(!utc_warnings.contains("change their UTC offset"));
}

#[test]
fn watch_replaying_a_table_in_local_time_scores_it_as_detect_does() {
    for (file, written) in [("local.csv", Written::Local), ("mixed.csv", Written::Mixed)] {
        let dir = tempdir();
        write_table(&dir.path().join(file), written);
        let buckets = format!("{file}.jsonl");
        run_ok(bin(dir.path()).args(["watch", file, "--replay", "max", "--buckets-out", &buckets]));
        let watched = scored(&dir.path().join(&buckets));
        let expected = batch(dir.path(), file);
        assert_same(&watched, &expected);
        if let Written::Local = written {
            let after = expected[CHANGE_ROW..].iter().filter(|(_, f)| *f).count();
            assert!(after <= 5, "{after} rows flagged after the change");
        }
    }
}

#[test]
fn offsets_that_flip_from_row_to_row_are_not_followed() {
    // Every third time written in UTC: the offsets change twice a day, not as daylight saving
    // does. Following each would read those rows four hours off; the rhythm stays on one clock,
    // as when all are written in UTC, and the warning says why.
    let dir = tempdir();
    write_table(&dir.path().join("mixed.csv"), Written::Mixed);
    write_table(&dir.path().join("utc.csv"), Written::Utc);
    let (mixed, warnings) = flagged_after_change(dir.path(), "mixed.csv");
    let (utc, _) = flagged_after_change(dir.path(), "utc.csv");
    assert!(
        warnings.contains("too often for daylight saving (twice within a week"),
        "{warnings}"
    );
    assert!(
        mixed.len() <= utc.len() + 3,
        "mixed {mixed:?} against UTC {utc:?}"
    );
}

#[test]
fn an_access_log_across_the_change_has_a_clock_that_changes_once() {
    let dir = tempdir();
    let path = dir.path().join("east.log");
    let line = |day: u32, hour: u32, offset: &str| {
        format!(
            "203.0.113.7 - - [{day:02}/Nov/2021:{hour:02}:30:00 {offset}] \"GET / HTTP/1.1\" 200 5 \"-\" \"curl/8\"\n"
        )
    };
    let mut text = String::new();
    for day in 5..=6 {
        for hour in 0..24 {
            text.push_str(&line(day, hour, "-0400"));
        }
    }
    for day in 7..=8 {
        for hour in 0..24 {
            text.push_str(&line(day, hour, "-0500"));
        }
    }
    std::fs::write(&path, text).expect("write");
    let options = LoadOptions {
        log: LogOptions {
            view: LogView::Traffic,
            bucket: Some(Bucket { seconds: 3_600 }),
            ..LogOptions::default()
        },
        ..LoadOptions::default()
    };
    let ds = load(&path, &options).expect("load");
    let time = ds.time.as_ref().expect("time axis");
    assert_eq!(time.clock.changes(), 1);
    // 2021-11-07 05:30 UTC: the first -0500 line (00:30 local); the last -0400 line was at
    // 03:30 UTC (23:30 local on the 6th).
    let change = 1_636_263_000_000;
    assert_eq!(time.clock.offset_at(change - 3_600_000), Some(-240));
    assert_eq!(time.clock.offset_at(change), Some(-300));
    assert_eq!(time.clock.offset_at(change + 86_400_000), Some(-300));
}

#[test]
fn both_table_readers_find_the_change_in_any_row_order() {
    let dir = tempdir();
    let times = [
        "2021-03-28T00:00:00+01:00",
        "2021-03-28T01:00:00+01:00",
        "2021-03-28T03:00:00+02:00",
        "2021-03-28T04:00:00+02:00",
    ];
    // 2021-03-28 01:00 UTC: the first +02:00 row (03:00 local).
    let change = 1_616_893_200_000;
    // The fast reader, the general one (a quoted cell sends the file to polars), newest first.
    for (name, quoted, reversed) in [
        ("fast.csv", false, false),
        ("quoted.csv", true, false),
        ("newest_first.csv", false, true),
        ("newest_first_quoted.csv", true, true),
    ] {
        let mut rows: Vec<String> = times
            .iter()
            .map(|t| {
                if quoted {
                    format!("{t},1,\"a, b\"\n")
                } else {
                    format!("{t},1,x\n")
                }
            })
            .collect();
        if reversed {
            rows.reverse();
        }
        let path = dir.path().join(name);
        std::fs::write(&path, format!("time,a,note\n{}", rows.concat())).expect("write");
        let ds = load(&path, &LoadOptions::default()).expect("load");
        let clock = &ds.time.as_ref().expect("time axis").clock;
        assert_eq!(clock.changes(), 1, "{name}");
        assert_eq!(clock.offset_at(change - 1), Some(60), "{name}");
        assert_eq!(clock.offset_at(change), Some(120), "{name}");
    }
    // One offset all along: a clock that never changes.
    let path = dir.path().join("one.csv");
    std::fs::write(
        &path,
        "time,a\n2021-03-01T00:00:00+02:00,1\n2021-03-01T01:00:00+02:00,2\n",
    )
    .expect("write");
    let ds = load(&path, &LoadOptions::default()).expect("load");
    let clock = &ds.time.as_ref().expect("time axis").clock;
    assert!(clock.is_constant());
    assert_eq!(clock.offset_at(0), Some(120));
}
