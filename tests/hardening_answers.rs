//! Issue 11, "wrong answers without a word" and "give the real reason": record boundaries of the
//! export re-reader, a warning when every row scores the same, invalid and outlying times,
//! generated times the reader accepts, client addresses counted once whatever their spelling,
//! and the real reason for pipes, CR-only files, UTF-32 and too few rows.

use std::path::{Path, PathBuf};

use crate::util::{bin, tempdir};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write the input");
    path
}

/// 40 daily rows with two outliers whose text cells hold a bare CR (in the middle, and first).
fn csv_with_bare_crs(quoted: bool) -> String {
    let mut s = String::from("time,value,note\n");
    for i in 0..40 {
        let (value, note) = match i {
            10 => (1000, "mid\rdle".to_string()),
            25 => (2000, "\rstart".to_string()),
            3 if quoted => (12, "\"q,uoted\"".to_string()),
            _ => (10 + i % 5, format!("n{i}")),
        };
        s.push_str(&format!("2021-01-{:02},{value},{note}\n", i % 28 + 1));
    }
    s
}

/// The `value` and `note` cells of every row of an exported CSV.
fn exported_notes(path: &Path) -> Vec<(String, String)> {
    let mut reader = csv::Reader::from_path(path).expect("open the export");
    let header = reader.headers().expect("header").clone();
    let at = |name: &str| header.iter().position(|h| h == name).expect(name);
    let (v, n) = (at("value"), at("note"));
    reader
        .records()
        .map(|r| {
            let r = r.expect("record");
            (r[v].to_string(), r[n].to_string())
        })
        .collect()
}

#[test]
fn a_bare_cr_inside_an_unquoted_cell_is_exported_as_loaded() {
    for quoted in [false, true] {
        let dir = tempdir();
        write(dir.path(), "in.csv", csv_with_bare_crs(quoted).as_bytes());
        let out = bin(dir.path())
            .args([
                "detect",
                "in.csv",
                "--contamination",
                "0.05",
                "--flagged-out",
                "flagged.csv",
            ])
            .output()
            .expect("run trafficlens");
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let mut rows = exported_notes(&dir.path().join("flagged.csv"));
        rows.sort();
        assert_eq!(
            rows,
            vec![
                ("1000".to_string(), "mid\rdle".to_string()),
                // A cell starting with CR is neutralised like any formula-like cell.
                ("2000".to_string(), "'\rstart".to_string()),
            ],
            "quoted: {quoted}"
        );
    }
}

#[test]
fn identical_rows_get_a_warning_that_nothing_can_be_told_apart() {
    let dir = tempdir();
    let mut csv = String::from("requests,bytes\n");
    for _ in 0..300 {
        csv.push_str("5,1200\n");
    }
    write(dir.path(), "same.csv", csv.as_bytes());
    for algo in ["iforest", "lof"] {
        let out = bin(dir.path())
            .args(["detect", "same.csv", "--algo", algo])
            .output()
            .expect("run trafficlens");
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains("trafficlens: warning: every row scores the same")
                && stderr.contains("nothing can be told apart"),
            "{algo}: {stderr}"
        );
    }
    // Rows that differ get no such warning.
    let mut csv = String::from("requests,bytes\n");
    for i in 0..300 {
        csv.push_str(&format!("{},{}\n", i % 7, 1200 + i % 11));
    }
    write(dir.path(), "varied.csv", csv.as_bytes());
    let out = bin(dir.path())
        .args(["detect", "varied.csv"])
        .output()
        .expect("run trafficlens");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("scores the same"));
}

/// Combined Log Format lines, one a minute for three hours from 2024-02-01 00:00 UTC.
fn three_hours_of_log() -> String {
    let mut s = String::new();
    for i in 0..180 {
        s.push_str(&format!(
            "10.0.{}.{} - - [01/Feb/2024:{:02}:{:02}:00 +0000] \"GET /p{} HTTP/1.1\" 200 {} \"-\" \"ua\"\n",
            i % 3,
            i % 17 + 1,
            i / 60,
            i % 60,
            i % 9,
            100 + i
        ));
    }
    s
}

/// Runs `detect` on a log's traffic view with 5-minute buckets.
fn traffic(dir: &Path, log: &str, extra: &[&str]) -> std::process::Output {
    bin(dir)
        .args(["detect", log, "--view", "traffic", "--bucket", "5m"])
        .args(extra)
        .output()
        .expect("run trafficlens")
}

#[test]
fn impossible_log_times_are_malformed_lines_and_the_view_still_builds() {
    let dir = tempdir();
    for (bad, reason) in [
        ("31/Feb/2023:10:00:00 +0000", "does not exist"),
        ("01/Feb/2024:01:00:00 +99:99", "does not exist"),
        ("01/Feb/2024:01:00:00 +2400", "does not exist"),
        ("01/Feb/2024:01:00:00 +0060", "does not exist"),
        (
            "01/Jan/0000:00:00:00 +0000",
            "outside 1970-01-01 to 9999-12-31",
        ),
    ] {
        let mut log = three_hours_of_log();
        log.insert_str(
            0,
            &format!("10.9.9.9 - - [{bad}] \"GET / HTTP/1.1\" 200 1 \"-\" \"x\"\n"),
        );
        write(dir.path(), "a.log", log.as_bytes());
        let out = traffic(dir.path(), "a.log", &[]);
        assert_eq!(out.status.code(), Some(0), "{bad}: {}", text(&out.stderr));
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains("1 malformed lines skipped")
                && stderr.contains("a.log:1: skipped: the time")
                && stderr.contains(reason),
            "{bad}: {stderr}"
        );
        let stdout = text(&out.stdout);
        assert!(stdout.contains("(36 buckets x"), "{bad}: {stdout}");
    }
}

#[test]
fn an_msec_overflow_line_is_malformed_and_the_traffic_view_builds() {
    let dir = tempdir();
    let mut log = String::new();
    for i in 0..180i64 {
        log.push_str(&format!(
            "10.0.0.{} [{}.250] 200 {}\n",
            i % 7 + 1,
            1_706_745_600 + i * 60,
            100 + i
        ));
    }
    log.push_str("10.0.0.1 [99999999999999999999.000] 200 5\n");
    write(dir.path(), "msec.log", log.as_bytes());
    let out = traffic(
        dir.path(),
        "msec.log",
        &["--log-format", "$remote_addr [$msec] $status $bytes_sent"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("1 malformed lines skipped") && stderr.contains("msec.log:181: skipped"),
        "{stderr}"
    );
    assert!(text(&out.stdout).contains("(36 buckets x"));
}

#[test]
fn one_outlying_time_does_not_decide_the_bucket_range() {
    let dir = tempdir();
    let mut log = three_hours_of_log();
    // A valid time, but decades after the rest: left out of the traffic view, with a note.
    log.push_str(
        "10.9.9.9 - - [01/Feb/2094:00:00:00 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"x\"\n",
    );
    write(dir.path(), "late.log", log.as_bytes());
    let out = traffic(dir.path(), "late.log", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("1 requests with times far outside the rest of the log (at 2094-02-01)")
            && stderr.contains("left out of the traffic view"),
        "{stderr}"
    );
    assert!(text(&out.stdout).contains("(36 buckets x"));
    // Without --bucket the width is chosen from the bulk too (1 minute for three hours).
    let out = bin(dir.path())
        .args(["detect", "late.log", "--view", "traffic"])
        .output()
        .expect("run trafficlens");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("(180 buckets x"));
}

#[test]
fn invalid_utc_offsets_in_a_table_are_bad_times() {
    for bad in ["+99:99", "+2400", "+0060"] {
        let csv = format!(
            "time,value\n2021-03-13T08:00:00+01:00,1\n2021-03-14T08:00:00{bad},2\n2021-03-15T08:00:00+01:00,3\n"
        );
        let err = trafficlens::data::load_bytes(
            "t.csv",
            std::sync::Arc::from(csv.as_bytes()),
            &trafficlens::data::LoadOptions::default(),
        )
        .expect_err(bad);
        let message = err.to_string();
        assert!(
            message.starts_with("t.csv:3:1:") && message.contains(bad),
            "{bad}: {message}"
        );
    }
}

#[test]
fn generate_refuses_time_stamps_the_reader_would_not_read_back() {
    let dir = tempdir();
    for (args, says) in [
        (
            vec!["--step", "99999999999d"],
            "the last time stamp would be 6298560001546473600 seconds after 1970-01-01",
        ),
        (
            vec!["--start", "9999-12-31", "--rows", "2"],
            "10000-01-01T00:00:00, after 9999-12-31T23:59:59",
        ),
        (
            vec![
                "--start",
                "9999-12-31T12:00:00",
                "--step",
                "1h",
                "--rows",
                "13",
            ],
            "the last time stamp would be +10000-01-01T00:00:00",
        ),
        (
            vec!["--start", "1969-12-31"],
            "the first time stamp would be 1969-12-31T00:00:00, before 1970-01-01",
        ),
        (
            vec!["--access-log", "--start", "9999-12-30", "--days", "3"],
            "the last time stamp would be +10000-01-01T23:59:59",
        ),
    ] {
        let out = bin(dir.path())
            .args(["generate", "--out", "o.csv"])
            .args(&args)
            .output()
            .expect("run trafficlens");
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("trafficlens: error: generate") && stderr.contains(says),
            "{args:?}: {stderr}"
        );
        assert!(!dir.path().join("o.csv").exists(), "{args:?}");
    }
    // The last day of year 9999 is written and read back.
    for (args, read) in [
        (vec!["--start", "9999-12-30", "--rows", "2"], vec!["stats"]),
        (
            vec![
                "--access-log",
                "--start",
                "9999-12-30",
                "--days",
                "2",
                "--clients",
                "10",
            ],
            vec!["detect", "--view", "traffic"],
        ),
    ] {
        let out = bin(dir.path())
            .args(["generate", "--out", "last.csv", "--force"])
            .args(&args)
            .output()
            .expect("run trafficlens");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
        let out = bin(dir.path())
            .args(&read)
            .arg("last.csv")
            .output()
            .expect("run trafficlens");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stdout).contains("9999-12-3"),
            "{args:?}: {}",
            text(&out.stdout)
        );
    }
}

/// A log whose clients write one IPv6 address three ways, an IPv4 address also as
/// IPv4-mapped IPv6, and a link-local address with a zone.
fn log_with_address_spellings() -> String {
    let spellings = [
        ("2001:DB8::1", 10),
        ("2001:db8::1", 10),
        ("2001:0db8:0000:0000:0000:0000:0000:0001", 10),
        ("10.0.0.1", 6),
        ("::ffff:10.0.0.1", 4),
        ("10.0.0.2", 8),
        ("10.0.0.3", 8),
        ("fe80::1%eth0", 5),
    ];
    let mut s = String::new();
    let mut minute = 0;
    for (client, n) in spellings {
        for _ in 0..n {
            s.push_str(&format!(
                "{client} - - [01/Feb/2024:10:{:02}:00 +0000] \"GET /x HTTP/1.1\" 200 10 \"-\" \"ua\"\n",
                minute % 60
            ));
            minute += 1;
        }
    }
    s
}

fn log_options(
    view: trafficlens::data::access::LogView,
    group: trafficlens::data::access::LogGroup,
) -> trafficlens::data::LoadOptions {
    trafficlens::data::LoadOptions {
        log: trafficlens::data::access::LogOptions {
            view,
            group,
            ..Default::default()
        },
        ..Default::default()
    }
}

#[test]
fn spellings_of_one_address_are_one_client() {
    use trafficlens::data::access::{LogGroup, LogView};
    let dir = tempdir();
    let log = write(
        dir.path(),
        "v6.log",
        log_with_address_spellings().as_bytes(),
    );
    let ds = trafficlens::data::load(&log, &log_options(LogView::Clients, LogGroup::All))
        .expect("load the log");
    let labels = &ds.row_labels.as_ref().expect("client labels").values;
    let mut sorted = labels.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        vec![
            "10.0.0.1",
            "10.0.0.2",
            "10.0.0.3",
            "2001:db8::1",
            "fe80::1%eth0"
        ]
    );
    let requests = ds.feature("requests").expect("requests");
    let of = |name: &str| requests[labels.iter().position(|l| l == name).expect(name)];
    assert_eq!(of("2001:db8::1"), 30.0);
    assert_eq!(of("10.0.0.1"), 10.0);
    // The exported lines of that client are its lines in every spelling, as written.
    let table = ds.log.as_ref().expect("a log");
    let id = table.log.client_id("2001:db8::1").expect("client");
    let out = dir.path().join("lines.log");
    let n = trafficlens::export::write_log_lines(
        &out,
        false,
        &table.log,
        &trafficlens::export::LineFilter::Clients(vec![id]),
    )
    .expect("export");
    assert_eq!(n.written, 30);
    let written = std::fs::read_to_string(&out).expect("read the export");
    assert_eq!(written.matches("2001:DB8::1 ").count(), 10);
    assert_eq!(written.matches("2001:0db8:0000").count(), 10);
    // The command line counts them the same way.
    let out = bin(dir.path())
        .args(["detect", "v6.log"])
        .output()
        .expect("run trafficlens");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("61 requests from 5 clients"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_link_local_address_with_a_zone_is_in_its_region() {
    use trafficlens::data::access::{LogGroup, LogView};
    let dir = tempdir();
    let log = write(
        dir.path(),
        "v6.log",
        log_with_address_spellings().as_bytes(),
    );
    let regions = write(
        dir.path(),
        "regions.csv",
        b"prefix,region\nfe80::/10,link-local\n2001:db8::/32,documentation\n10.0.0.1/32,one\n",
    );
    let ds = trafficlens::data::load(
        &log,
        &log_options(LogView::Traffic, LogGroup::Regions(regions)),
    )
    .expect("load the log");
    let total = |name: &str| -> f64 { ds.feature(name).expect(name).iter().sum() };
    assert_eq!(total("requests [link-local]"), 5.0);
    assert_eq!(total("requests [documentation]"), 30.0);
    assert_eq!(total("requests [one]"), 10.0);
    assert_eq!(total("requests [other]"), 16.0);
}

/// Runs `trafficlens detect` with `args`, giving up after 20 seconds (a FIFO must never hang).
fn detect_within(dir: &Path, args: &[&str]) -> std::process::Output {
    bin(dir)
        .arg("detect")
        .args(args)
        .timeout(std::time::Duration::from_secs(20))
        .output()
        .expect("run trafficlens")
}

#[cfg(unix)]
#[test]
fn a_fifo_or_standard_input_is_named_as_a_pipe_not_an_empty_file() {
    let dir = tempdir();
    let made = std::process::Command::new("mkfifo")
        .arg(dir.path().join("in.csv"))
        .status()
        .expect("run mkfifo");
    assert!(made.success());
    let out = detect_within(dir.path(), &["in.csv"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("in.csv: is a pipe (FIFO)")
            && stderr.contains("not a regular file")
            && stderr.contains("save it to a file first"),
        "{stderr}"
    );
    // /dev/stdin fed by a pipe, as in `cat data.csv | trafficlens detect /dev/stdin`.
    let out = bin(dir.path())
        .args(["detect", "/dev/stdin"])
        .write_stdin("a,b\n1,2\n3,4\n")
        .timeout(std::time::Duration::from_secs(20))
        .output()
        .expect("run trafficlens");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("/dev/stdin: is a pipe (FIFO)") && !stderr.contains("empty"),
        "{stderr}"
    );
    // A character device.
    let out = detect_within(dir.path(), &["/dev/null"]);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("/dev/null: is a character device, not a regular file"),
        "{stderr}"
    );
}

#[test]
fn cr_only_line_ends_are_named_for_tables_and_logs() {
    let dir = tempdir();
    write(dir.path(), "mac.csv", b"a,b\r1,2\r3,4\r5,6\r");
    let log = three_hours_of_log().replace('\n', "\r");
    write(dir.path(), "mac.log", log.as_bytes());
    for name in ["mac.csv", "mac.log"] {
        let out = detect_within(dir.path(), &[name]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{name}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "{name}: uses CR-only line endings (old Mac format)"
            )) && stderr.contains("tr '\\r' '\\n'"),
            "{name}: {stderr}"
        );
    }
}

#[test]
fn utf32_is_called_utf32() {
    let dir = tempdir();
    let little: Vec<u8> = [0xff, 0xfe, 0, 0]
        .into_iter()
        .chain("a,b\n1,2\n".chars().flat_map(|c| (c as u32).to_le_bytes()))
        .collect();
    let big: Vec<u8> = [0, 0, 0xfe, 0xff]
        .into_iter()
        .chain("a,b\n1,2\n".chars().flat_map(|c| (c as u32).to_be_bytes()))
        .collect();
    write(dir.path(), "le.csv", &little);
    write(dir.path(), "be.csv", &big);
    for name in ["le.csv", "be.csv"] {
        let out = detect_within(dir.path(), &[name]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{name}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "{name}: not a text file (it is UTF-32 text; save it as UTF-8)"
            )),
            "{name}: {stderr}"
        );
    }
}

#[test]
fn lof_on_one_row_names_the_file_and_the_row_count() {
    let dir = tempdir();
    write(dir.path(), "one.csv", b"requests,bytes\n5,1200\n");
    let out = detect_within(dir.path(), &["one.csv", "--algo", "lof"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert_eq!(
        stderr.trim_end(),
        "trafficlens: error: one.csv: Local Outlier Factor needs at least 2 rows to compare, but the data has 1"
    );
    // Isolation Forest scores a single row (as scikit-learn does).
    let out = detect_within(dir.path(), &["one.csv"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}
