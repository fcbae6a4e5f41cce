//! `trafficlens watch` on a CSV table that grows by appended rows: each row is scored exactly as
//! `trafficlens detect TABLE --algo seasonal` scores it (same score to the last bit, same flags),
//! whether the table is replayed from its start, followed from its end after learning the rows
//! already there, or replayed in two runs joined by `--state`; a malformed line and a row with
//! a missing value are reported or counted, and nothing else changes.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::util::{bin, interrupt, run_ok, shared, tempdir};

/// The reference file's rows (its header first), as text lines.
fn reference_lines() -> Vec<String> {
    let text = std::fs::read_to_string(shared("regional_web_traffic.csv")).expect("read");
    text.lines().map(str::to_string).collect()
}

/// `detect --algo seasonal`'s score and flag of every row of `file` in `dir`.
pub(crate) fn batch(dir: &Path, file: &str) -> Vec<(f64, bool)> {
    run_ok(bin(dir).args([
        "detect",
        file,
        "--algo",
        "seasonal",
        "--scores-out",
        "batch.csv",
    ]));
    let mut reader = csv::Reader::from_path(dir.join("batch.csv")).expect("scores");
    reader
        .records()
        .map(|r| {
            let r = r.expect("record");
            (r[1].parse().expect("score"), &r[2] == "1")
        })
        .collect()
}

/// The rows of a `--buckets-out` file: start, score, over.
pub(crate) fn scored(path: &Path) -> Vec<(i64, f64, bool)> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    text.lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("json");
            (
                v["start_ms"].as_i64().expect("start"),
                v["score"].as_f64().expect("score"),
                v["over"].as_bool().expect("over"),
            )
        })
        .collect()
}

/// Asserts the watch's rows have the batch's scores and flags (bit for bit).
pub(crate) fn assert_same(watched: &[(i64, f64, bool)], batch: &[(f64, bool)]) {
    assert_eq!(watched.len(), batch.len());
    for (i, (w, b)) in watched.iter().zip(batch).enumerate() {
        assert_eq!(
            w.1.to_bits(),
            b.0.to_bits(),
            "row {i}: {} against {}",
            w.1,
            b.0
        );
        assert_eq!(w.2, b.1, "row {i}'s flag");
    }
}

#[test]
fn a_table_replayed_is_scored_and_flagged_as_detect_scores_it() {
    let dir = tempdir();
    std::fs::copy(
        shared("regional_web_traffic.csv"),
        dir.path().join("traffic.csv"),
    )
    .expect("copy");
    let out = run_ok(bin(dir.path()).args([
        "watch",
        "traffic.csv",
        "--replay",
        "max",
        "--buckets-out",
        "b.jsonl",
        "--alerts-out",
        "a.jsonl",
    ]));
    let expected = batch(dir.path(), "traffic.csv");
    let watched = scored(&dir.path().join("b.jsonl"));
    // Every row, the last one without its line break included.
    assert_same(&watched, &expected);
    assert_eq!(expected.iter().filter(|b| b.1).count(), 40);
    // One raise per run of flagged rows, in words, with the row as its sample.
    let runs = expected
        .iter()
        .enumerate()
        .filter(|(i, b)| b.1 && (*i == 0 || !expected[i - 1].1))
        .count();
    let alerts = std::fs::read_to_string(dir.path().join("a.jsonl")).expect("alerts");
    let raised: Vec<serde_json::Value> = alerts
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .filter(|a: &serde_json::Value| a["kind"] == "raised")
        .collect();
    assert_eq!(raised.len(), runs, "{alerts}");
    let first = &raised[0];
    assert_eq!(first["subject"], "table traffic.csv");
    let reason = first["reason"].as_str().expect("reason");
    assert!(
        reason.contains("Region 2 = 551 on Mon 18 Jan 2021"),
        "{reason}"
    );
    assert!(reason.contains("MADs above"), "{reason}");
    assert_eq!(
        first["samples"][0],
        "18/1/2021,146.0000451,551,156.1563916,207.1829196,184.8417267,160.090048"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("RAISED    table traffic.csv"), "{stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("time column `Date` (a row every 1 day), 6 numeric columns"),
        "{stderr}"
    );
}

#[test]
fn a_table_followed_from_its_end_learns_its_history_and_scores_new_rows_as_detect_does() {
    let dir = tempdir();
    let lines = reference_lines();
    let table = dir.path().join("traffic.csv");
    let cut = 301; // the header and 300 rows
    std::fs::write(&table, lines[..cut].join("\n") + "\n").expect("write");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_trafficlens"))
        .current_dir(dir.path())
        .args(["watch", "traffic.csv", "--buckets-out", "b.jsonl"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the watch");
    std::thread::sleep(Duration::from_millis(700));
    // The rest appended while followed, with a malformed line and a row missing a value
    // among them (neither is learnt, as `detect` leaves such rows out).
    let mut more = lines[cut..cut + 50].join("\n") + "\n";
    more.push_str("not,a,row\n3/4/2022,1,NA,3,4,5,6\n");
    more.push_str(&(lines[cut + 50..].join("\n") + "\n"));
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&table)
        .expect("open");
    std::io::Write::write_all(&mut file, more.as_bytes()).expect("append");
    drop(file);
    let want = lines.len() - cut;
    let start = Instant::now();
    while scored(&dir.path().join("b.jsonl")).len() < want
        && start.elapsed() < Duration::from_secs(60)
    {
        std::thread::sleep(Duration::from_millis(100));
    }
    let err = interrupt(child);
    std::fs::write(dir.path().join("whole.csv"), lines.join("\n") + "\n").expect("write");
    let expected = batch(dir.path(), "whole.csv");
    assert_same(&scored(&dir.path().join("b.jsonl")), &expected[cut - 1..]);
    assert!(
        err.contains("300 rows already there learnt as its history"),
        "{err}"
    );
    assert!(
        err.contains("malformed line (3 fields where the header has 7)"),
        "{err}"
    );
    assert!(
        err.contains("1 rows with a missing value left out"),
        "{err}"
    );
}

#[test]
fn a_table_replayed_in_two_runs_with_state_is_scored_as_in_one() {
    let dir = tempdir();
    let lines = reference_lines();
    let table = dir.path().join("traffic.csv");
    let cut = 200;
    std::fs::write(&table, lines[..cut].join("\n") + "\n").expect("write");
    let replay = || {
        run_ok(bin(dir.path()).args([
            "watch",
            "traffic.csv",
            "--replay",
            "max",
            "--state",
            "watch.state",
            "--buckets-out",
            "b.jsonl",
        ]))
    };
    replay();
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&table)
        .expect("open");
    std::io::Write::write_all(&mut file, (lines[cut..].join("\n") + "\n").as_bytes())
        .expect("append");
    drop(file);
    replay();
    let expected = batch(dir.path(), "traffic.csv");
    assert_same(&scored(&dir.path().join("b.jsonl")), &expected);
}

#[test]
fn a_table_on_standard_input_is_watched_as_a_file_is() {
    let dir = tempdir();
    let text = std::fs::read(shared("regional_web_traffic.csv")).expect("read");
    let out = run_ok(
        bin(dir.path())
            .args(["watch", "-", "--buckets-out", "b.jsonl"])
            .write_stdin(text),
    );
    std::fs::copy(
        shared("regional_web_traffic.csv"),
        dir.path().join("traffic.csv"),
    )
    .expect("copy");
    assert_same(
        &scored(&dir.path().join("b.jsonl")),
        &batch(dir.path(), "traffic.csv"),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("read from its start, every row judged"),
        "{stderr}"
    );
}

/// A table whose rows go back in time (newest first) is refused with the reason at once (it was
/// never scored, and each new line read its start again); one row a little late in its first
/// rows is let through.
#[test]
fn a_newest_first_table_is_refused_and_a_late_row_is_not() {
    let dir = tempdir();
    let lines = reference_lines();
    let mut newest_first = vec![lines[0].clone()];
    newest_first.extend(lines[1..].iter().rev().cloned());
    std::fs::write(dir.path().join("desc.csv"), newest_first.join("\n") + "\n").expect("write");
    let out = run_ok(bin(dir.path()).args([
        "watch",
        "desc.csv",
        "--replay",
        "max",
        "--buckets-out",
        "desc.jsonl",
    ]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("its rows go back in time"), "{stderr}");
    assert!(scored(&dir.path().join("desc.jsonl")).is_empty());
    let mut late = lines.clone();
    late.swap(5, 6);
    std::fs::write(dir.path().join("late.csv"), late.join("\n") + "\n").expect("write");
    run_ok(bin(dir.path()).args([
        "watch",
        "late.csv",
        "--replay",
        "max",
        "--buckets-out",
        "late.jsonl",
    ]));
    assert_eq!(
        scored(&dir.path().join("late.jsonl")).len(),
        lines.len() - 1
    );
}

#[test]
fn a_table_of_one_row_is_said_to_wait_and_starts_when_a_second_time_comes() {
    let dir = tempdir();
    let table = dir.path().join("one.csv");
    std::fs::write(&table, "time,requests\n2021-01-01T00:00:00,5\n").expect("write");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_trafficlens"))
        .current_dir(dir.path())
        .args([
            "watch",
            "one.csv",
            "--from-start",
            "--buckets-out",
            "b.jsonl",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the watch");
    std::thread::sleep(Duration::from_millis(1500));
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&table)
        .expect("open");
    std::io::Write::write_all(
        &mut file,
        b"2021-01-01T01:00:00,6\n2021-01-01T02:00:00,4\n2021-01-01T03:00:00,5\n",
    )
    .expect("append");
    drop(file);
    let start = Instant::now();
    while scored(&dir.path().join("b.jsonl")).len() < 3 && start.elapsed() < Duration::from_secs(60)
    {
        std::thread::sleep(Duration::from_millis(100));
    }
    let err = interrupt(child);
    let waiting = "one.csv: read as a table once it has rows at two different times (its \
                   interval); waiting for them";
    assert_eq!(err.matches(waiting).count(), 1, "said once: {err}");
    assert!(
        err.contains("one.csv: a table: time column `time` (a row every 1 h)"),
        "{err}"
    );
    assert!(scored(&dir.path().join("b.jsonl")).len() >= 3, "{err}");
}
