//! Issue 11, tables and exports: Parquet exports keep every column (item 6), the long-table
//! pivot refuses what it cannot hold (item 10), exporting many flagged rows stays linear and
//! correct (item 11), a huge CSV line is refused by name (item 13), and very wide tables stay
//! within memory in `stats --json` (item 14).

use std::fmt::Write as _;

use trafficlens::analysis::Session;
use trafficlens::control::Control;
use trafficlens::data::{load, Layout, LoadError, LoadOptions};
use trafficlens::detect::{Contamination, DetectorConfig, IsolationForestSettings};

use crate::util::{bin, run_ok, tempdir};

/// The records of a CSV file written by TrafficLens (header first).
fn records(path: &std::path::Path) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(path)
        .expect("open the export");
    reader
        .records()
        .map(|r| {
            r.expect("a CSV record")
                .iter()
                .map(str::to_string)
                .collect()
        })
        .collect()
}

/// A deterministic stream of numbers in [0, 1).
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

// Item 6: a Parquet file's text and bool columns are exported with the flagged rows.
#[test]
fn parquet_flagged_out_keeps_text_and_bool_columns() {
    use polars::prelude::*;
    let dir = tempdir();
    let n = 20usize;
    let times: Vec<String> = (1..=n).map(|d| format!("2021-01-{d:02}")).collect();
    let hosts: Vec<Option<String>> = (0..n)
        .map(|i| (i != 7).then(|| format!("host-{i}.example")))
        .collect();
    let ok: Vec<bool> = (0..n).map(|i| i % 3 != 0).collect();
    let requests: Vec<i64> = (0..n)
        .map(|i| if i == 7 { 90_000 } else { 100 + i as i64 % 5 })
        .collect();
    let latency: Vec<f64> = (0..n).map(|i| 0.25 + (i % 4) as f64 * 0.5).collect();
    let mut df = DataFrame::new_infer_height(vec![
        Column::new("time".into(), times.clone()),
        Column::new("host".into(), hosts.clone()),
        Column::new("ok".into(), ok.clone()),
        Column::new("requests".into(), requests.clone()),
        Column::new("latency".into(), latency.clone()),
    ])
    .expect("frame");
    let input = dir.path().join("traffic.parquet");
    let file = std::fs::File::create(&input).expect("create");
    ParquetWriter::new(file)
        .finish(&mut df)
        .expect("write parquet");

    bin(dir.path())
        .args([
            "detect",
            "traffic.parquet",
            "--contamination",
            "0.1",
            "--flagged-out",
            "flagged.csv",
        ])
        .assert()
        .success();
    let out = records(&dir.path().join("flagged.csv"));
    assert_eq!(
        out[0],
        vec![
            "time",
            "host",
            "ok",
            "requests",
            "latency",
            "anomaly_score",
            "top_feature"
        ]
    );
    assert_eq!(out.len(), 3, "{out:?}");
    let mut seen_outlier = false;
    for record in &out[1..] {
        let i = times
            .iter()
            .position(|t| *t == record[0])
            .unwrap_or_else(|| panic!("unknown time in {record:?}"));
        seen_outlier |= i == 7;
        let expected = [
            times[i].clone(),
            hosts[i].clone().unwrap_or_default(),
            ok[i].to_string(),
            requests[i].to_string(),
            latency[i].to_string(),
        ];
        assert_eq!(record[..5], expected[..], "row {i}");
        assert!(record[5].parse::<f64>().is_ok(), "{record:?}");
    }
    assert!(seen_outlier, "the planted row is flagged: {out:?}");
}

// Item 10: a pivot with more cells than the limit is refused before anything is allocated,
// with the numbers and the ways out.
#[test]
fn long_pivot_over_the_cell_limit_is_refused() {
    let dir = tempdir();
    let path = dir.path().join("long.csv");
    // 10,001 distinct times x 10,000 regions = 100,010,000 cells, from a 350 kB file.
    let start = chrono::NaiveDate::from_ymd_opt(2021, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("date");
    let mut text = String::from("time,region,requests\n");
    for i in 0..10_001i64 {
        let t = start + chrono::Duration::minutes(i);
        writeln!(text, "{},r{},1", t.format("%Y-%m-%d %H:%M:%S"), i % 10_000).expect("write");
    }
    std::fs::write(&path, text).expect("write");
    let options = LoadOptions {
        layout: Layout::Long,
        ..LoadOptions::default()
    };
    let e = load(&path, &options).expect_err("the pivot is too large");
    assert!(
        matches!(
            e,
            LoadError::PivotTooLarge {
                times: 10_001,
                columns: 10_000,
                cells: 100_010_000,
                limit: 100_000_000,
                ..
            }
        ),
        "{e}"
    );
    let message = e.to_string();
    for part in [
        "long.csv",
        "`region`",
        "10001 times x 10000 columns = 100010000 cells",
        "--layout wide",
    ] {
        assert!(message.contains(part), "{part}: {message}");
    }
    bin(dir.path())
        .args(["stats", "long.csv", "--layout", "long"])
        .assert()
        .failure()
        .stderr(predicates::str::contains("100010000 cells"));
}

// Item 11: many flagged rows are exported (contamination 0.5 of 100,000 rows), each with its
// own original cells, score and top feature.
#[test]
fn flagged_out_of_many_rows_is_complete_and_correct() {
    let dir = tempdir();
    let n = 100_000usize;
    let mut noise = Noise(0x2545_f491_4f6c_dd1d);
    let mut text = String::from("id,x,y\n");
    let mut cells = Vec::with_capacity(n);
    for i in 0..n {
        let x = format!("{:.3}", noise.next() * 100.0);
        let y = format!("{:.3}", noise.next().powi(4) * 50.0);
        writeln!(text, "r{i},{x},{y}").expect("write");
        cells.push([format!("r{i}"), x, y]);
    }
    let input = dir.path().join("many.csv");
    std::fs::write(&input, text).expect("write");
    bin(dir.path())
        .args([
            "detect",
            "many.csv",
            "--contamination",
            "0.5",
            "--seed",
            "3",
            "--flagged-out",
            "flagged.csv",
        ])
        .assert()
        .success();

    // The same detection through the library.
    let ds = std::sync::Arc::new(load(&input, &LoadOptions::default()).expect("load"));
    let config = DetectorConfig {
        contamination: Contamination::Fraction(0.5),
        iforest: IsolationForestSettings {
            seed: 3,
            ..IsolationForestSettings::default()
        },
        ..DetectorConfig::default()
    };
    let mut session = Session::new(std::sync::Arc::clone(&ds));
    let detection = session
        .score(&config, &[], Control::default())
        .expect("score")
        .detection;
    let flagged = detection.flagged_rows();
    let tops = session.explain(&flagged).expect("explain");
    assert!(flagged.len() >= n / 2 - 10, "{} flagged", flagged.len());

    let out = records(&dir.path().join("flagged.csv"));
    assert_eq!(out[0], vec!["id", "x", "y", "anomaly_score", "top_feature"]);
    assert_eq!(out.len() - 1, flagged.len());
    for ((record, &row), &top) in out[1..].iter().zip(&flagged).zip(&tops) {
        assert_eq!(record[..3], cells[row][..], "row {row}");
        let score: f64 = record[3].parse().expect("a score");
        assert_eq!(score, detection.scores[row], "row {row}");
        assert_eq!(record[4], ds.feature_names[top], "row {row}");
    }
}

/// A CSV whose third line holds one cell of `cell_len` bytes.
fn long_cell_csv(cell: &str) -> String {
    format!("time,note,value\n2021-01-01,short,1\n2021-01-02,{cell},2\n2021-01-03,x,3\n")
}

// Item 13: a data line longer than the line cap is an error that names the file, the line, its
// length and the cap, for plain and quoted files, through the library and the command line.
#[test]
fn csv_line_over_the_cap_is_refused_by_name() {
    const LIMIT: u64 = 16 * 1024 * 1024;
    let dir = tempdir();
    let plain = dir.path().join("long.csv");
    std::fs::write(&plain, long_cell_csv(&"a".repeat(20 << 20))).expect("write");
    let e = load(&plain, &LoadOptions::default()).expect_err("the line is too long");
    match &e {
        LoadError::LineTooLong {
            line, bytes, limit, ..
        } => {
            assert_eq!((*line, *limit), (3, LIMIT), "{e}");
            assert!(*bytes > LIMIT, "{e}");
        }
        other => panic!("expected a line-too-long error, got {other}"),
    }
    let message = e.to_string();
    assert!(
        message.contains("long.csv:3: the line is at least"),
        "{message}"
    );
    assert!(message.contains("16 MiB"), "{message}");

    // Quoted cells (and a quoted line break before it) take the scanner's byte-by-byte path.
    let quoted = dir.path().join("quoted.csv");
    let cell = format!("\"{}\"", "b\n".repeat(10 << 20));
    let text = format!("time,note,value\n2021-01-01,\"two\nlines\",1\n2021-01-02,{cell},2\n");
    std::fs::write(&quoted, text).expect("write");
    let e = load(&quoted, &LoadOptions::default()).expect_err("the row is too long");
    assert!(matches!(e, LoadError::LineTooLong { line: 4, .. }), "{e}");

    bin(dir.path())
        .args(["stats", "long.csv"])
        .assert()
        .failure()
        .stderr(predicates::str::contains(
            "long.csv:3: the line is at least",
        ));
}

// Item 13: a line of exactly the cap is still read.
#[test]
fn csv_line_of_exactly_the_cap_loads() {
    const LIMIT: usize = 16 * 1024 * 1024;
    let dir = tempdir();
    let path = dir.path().join("edge.csv");
    let cell = "a".repeat(LIMIT - "2021-01-02,".len() - ",2".len());
    std::fs::write(&path, long_cell_csv(&cell)).expect("write");
    let ds = load(&path, &LoadOptions::default()).expect("a line of exactly the cap loads");
    assert_eq!(ds.n_rows(), 3);
    assert_eq!(
        ds.original_rows(&[1]).expect("rows")[0][1].len(),
        cell.len()
    );
}

// Item 14: `stats --json` on a very wide table completes and says the correlation matrix was
// left out, and why.
#[test]
fn stats_json_of_a_wide_table_leaves_the_correlation_out() {
    let dir = tempdir();
    let width = 20_000;
    let mut text = String::new();
    let names: Vec<String> = (0..width).map(|i| format!("c{i}")).collect();
    text.push_str(&names.join(","));
    text.push('\n');
    for r in 0..3 {
        let row: Vec<String> = (0..width).map(|i| ((i * 7 + r) % 10).to_string()).collect();
        text.push_str(&row.join(","));
        text.push('\n');
    }
    std::fs::write(dir.path().join("wide.csv"), text).expect("write");
    let out = run_ok(bin(dir.path()).args(["stats", "wide.csv", "--json"]));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(json["features"].as_array().map(Vec::len), Some(width));
    assert_eq!(
        json["statistics"]["features"].as_array().map(Vec::len),
        Some(width)
    );
    assert_eq!(json["statistics"]["correlation"], serde_json::json!([]));
    let notes = json["statistics"]["notes"].to_string();
    assert!(
        notes.contains("no correlation matrix: 20000 features (the limit is 1000)"),
        "{notes}"
    );
}
