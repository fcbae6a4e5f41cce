//! Times written with a UTC offset are shown on that clock, labelled, so that what the user reads
//! matches the file: CSV tables (both readers), access logs (their traffic view's buckets start
//! on the log's own midnights), the CLI's table and the seasonal baseline's explanations.

use std::path::Path;

use trafficlens::data::access::{Bucket, LogOptions, LogView};
use trafficlens::data::{load, LoadOptions};
use trafficlens::zone::Zone;

use crate::util::{bin, run_ok, tempdir};

/// Writes an hourly table of `hours` rows from 2021-03-01 00:00 on the clock `offset` (such as
/// `+02:00`), with one spike at row 300; `extra` is added as a last column to every row.
fn hourly_table(path: &Path, hours: usize, offset: &str, extra: Option<&str>) {
    let mut text = String::from("time,requests");
    if extra.is_some() {
        text.push_str(",note");
    }
    text.push('\n');
    for h in 0..hours {
        let day = 1 + h / 24;
        let month_day = if day <= 31 {
            format!("03-{day:02}")
        } else {
            format!("04-{:02}", day - 31)
        };
        let hour = h % 24;
        let daily = [
            2, 1, 1, 1, 2, 4, 8, 15, 22, 26, 28, 29, 30, 29, 28, 27, 26, 24, 20, 15, 10, 6, 4, 3,
        ];
        let v = if h == 300 {
            400
        } else {
            daily[hour] * 10 + (h * 7 % 5)
        };
        text.push_str(&format!("2021-{month_day}T{hour:02}:00:00{offset},{v}"));
        if let Some(e) = extra {
            text.push_str(&format!(",{e}"));
        }
        text.push('\n');
    }
    std::fs::write(path, text).expect("write");
}

#[test]
fn a_table_written_at_one_offset_is_shown_on_that_clock_by_both_readers() {
    let dir = tempdir();
    // The fast reader, and the general one (a quoted cell sends the file to polars).
    for (name, extra) in [("fast.csv", None), ("quoted.csv", Some("\"a, b\""))] {
        let path = dir.path().join(name);
        hourly_table(&path, 48, "+02:00", extra);
        let ds = load(&path, &LoadOptions::default()).expect("load");
        let time = ds.time.as_ref().expect("time axis");
        assert_eq!(time.zone, Zone::Offset(120), "{name}");
        // 2021-03-01T05:00:00+02:00 is 03:00 UTC, and is shown as written.
        assert_eq!(time.millis[5], 1_614_567_600_000, "{name}");
        assert_eq!(
            time.show(time.millis[5]),
            "2021-03-01 05:00:00 +02:00",
            "{name}"
        );
        // The local midnight is a date.
        assert_eq!(time.show(time.millis[24]), "2021-03-02", "{name}");
    }
}

#[test]
fn utc_no_zone_and_mixed_offsets_make_their_own_clocks() {
    let dir = tempdir();
    let write = |name: &str, times: [&str; 3]| {
        let path = dir.path().join(name);
        let rows: String = times.iter().map(|t| format!("{t},1\n")).collect();
        std::fs::write(&path, format!("time,a\n{rows}")).expect("write");
        load(&path, &LoadOptions::default())
            .expect("load")
            .time
            .expect("time")
            .zone
    };
    let plain = [
        "2021-03-01 00:00:00",
        "2021-03-01 01:00:00",
        "2021-03-01 02:00:00",
    ];
    assert_eq!(write("plain.csv", plain), Zone::Unstated);
    let utc = [
        "2021-03-01T00:00:00Z",
        "2021-03-01T01:00:00Z",
        "2021-03-01T02:00:00+00:00",
    ];
    assert_eq!(write("utc.csv", utc), Zone::Unstated);
    // Both sides of a daylight-saving change: no one offset is right, so UTC, labelled.
    let dst = [
        "2021-03-28T00:00:00+01:00",
        "2021-03-28T01:00:00+01:00",
        "2021-03-28T03:00:00+02:00",
    ];
    assert_eq!(write("dst.csv", dst), Zone::Utc);
}

#[test]
fn the_cli_shows_a_table_and_its_seasonal_verdicts_on_the_file_clock() {
    let dir = tempdir();
    let path = dir.path().join("west.csv");
    // 24 days, so that the daily pattern is learnt before the spike at row 300.
    let text_hours = 24 * 24;
    hourly_table(&path, text_hours, "-07:00", None);
    let out = run_ok(
        bin(dir.path())
            .args(["detect", "--algo", "seasonal"])
            .arg(&path),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    // Row 300 is day 13 (2021-03-13) at 12:00 on the file's clock, 19:00 UTC.
    assert!(stdout.contains("2021-03-13 12:00:00 -07:00"), "{stdout}");
    assert!(
        stdout.contains("requests = 400 on Sat 13 Mar 2021 12:00 -07:00, expected"),
        "{stdout}"
    );
    assert!(!stdout.contains("19:00"), "{stdout}");
    let stats = run_ok(bin(dir.path()).arg("stats").arg(&path));
    let stats = String::from_utf8_lossy(&stats.stdout);
    assert!(
        stats.contains("2021-03-01 00:00:00 -07:00 to 2021-03-24 23:00:00 -07:00"),
        "{stats}"
    );
}

#[test]
fn an_access_log_traffic_view_counts_days_from_the_log_midnights() {
    let dir = tempdir();
    let path = dir.path().join("west.log");
    // Three requests on 1 March and one on 2 March, on the log's clock (-07:00); 20:00 on 1
    // March is 03:00 on 2 March in UTC.
    let line = |day: u32, hour: u32| {
        format!(
            "203.0.113.7 - - [{day:02}/Mar/2021:{hour:02}:00:00 -0700] \"GET / HTTP/1.1\" 200 5 \"-\" \"curl/8\"\n"
        )
    };
    let text = [line(1, 1), line(1, 12), line(1, 20), line(2, 9)].concat();
    std::fs::write(&path, text).expect("write");
    let options = LoadOptions {
        log: LogOptions {
            view: LogView::Traffic,
            bucket: Some(Bucket { seconds: 86_400 }),
            ..LogOptions::default()
        },
        ..LoadOptions::default()
    };
    let ds = load(&path, &options).expect("load");
    let time = ds.time.as_ref().expect("time axis");
    assert_eq!(time.zone, Zone::Offset(-420));
    // Buckets start at the log's midnights (07:00 UTC).
    assert_eq!(time.millis.len(), 2);
    assert_eq!(time.show(time.millis[0]), "2021-03-01");
    assert_eq!(time.show(time.millis[1]), "2021-03-02");
    let requests = ds
        .feature_names
        .iter()
        .position(|n| n == "requests")
        .expect("requests column");
    assert_eq!(ds.columns[requests], [3.0, 1.0]);
    assert!(
        ds.warnings
            .iter()
            .any(|w| w == "1d buckets from 2021-03-01 (UTC-07:00)"),
        "{:?}",
        ds.warnings
    );
    // In UTC (`--utc`), the days are UTC's: 20:00 on 1 March at -07:00 is on 2 March.
    let utc = load(
        &path,
        &LoadOptions {
            utc: true,
            ..options
        },
    )
    .expect("load");
    let time = utc.time.as_ref().expect("time axis");
    assert_eq!(time.zone, Zone::Utc);
    assert_eq!(time.show(time.millis[0]), "2021-03-01");
    assert_eq!(utc.columns[requests], [2.0, 2.0]);
}

#[test]
fn utc_shows_the_same_times_in_utc_and_the_same_scores() {
    let dir = tempdir();
    let path = dir.path().join("west.csv");
    hourly_table(&path, 24 * 24, "-07:00", None);
    let on_clock = dir.path().join("clock.csv");
    let in_utc = dir.path().join("utc.csv");
    for (out, utc) in [(&on_clock, false), (&in_utc, true)] {
        let mut cmd = bin(dir.path());
        cmd.args(["detect", "--algo", "seasonal", "--scores-out"])
            .arg(out)
            .arg(&path);
        if utc {
            cmd.arg("--utc");
        }
        run_ok(&mut cmd);
    }
    assert_eq!(
        std::fs::read(&on_clock).expect("read"),
        std::fs::read(&in_utc).expect("read"),
        "the clock times are shown on changes no score"
    );
    let out = run_ok(
        bin(dir.path())
            .args(["detect", "--algo", "seasonal", "--utc"])
            .arg(&path),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("2021-03-13 19:00:00 UTC"), "{stdout}");
    assert!(
        stdout.contains("requests = 400 on Sat 13 Mar 2021 19:00 UTC, expected"),
        "{stdout}"
    );
}

#[test]
fn the_app_shows_a_file_on_its_clock_and_in_utc_when_asked() {
    use crate::app::{harness, scored, step_until};
    use egui_kittest::kittest::Queryable;
    use trafficlens::data::Source;

    let dir = tempdir();
    let path = dir.path().join("west.csv");
    hourly_table(&path, 48, "-07:00", None);
    let mut h = harness(Source::File(path));
    step_until(&mut h, "the table to be scored", scored);
    h.get_by_label("2021-03-01 00:00:00 -07:00 to 2021-03-02 23:00:00 -07:00");
    h.get_by_label("Show times in UTC").click();
    h.step();
    step_until(&mut h, "the table read again in UTC", |a| {
        scored(a)
            && a.state
                .dataset
                .as_ref()
                .and_then(|d| d.time.as_ref())
                .is_some_and(|t| t.zone == Zone::Utc)
    });
    h.get_by_label("2021-03-01 07:00:00 UTC to 2021-03-03 06:00:00 UTC");
    assert!(h.state().state.persisted.times_in_utc);
}
