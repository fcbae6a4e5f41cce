//! Loading every supported shape of input.

use std::sync::Arc;

use trafficlens::data::{load, load_bytes, Layout, LoadOptions, MissingPolicy, TimeFormat};

use crate::util::{data, tempdir};

fn ms(y: i32, m: u32, d: u32, hh: u32, mm: u32) -> i64 {
    chrono::NaiveDate::from_ymd_opt(y, m, d)
        .and_then(|x| x.and_hms_opt(hh, mm, 0))
        .expect("valid date")
        .and_utc()
        .timestamp_millis()
}

fn default_load(rel: &str) -> trafficlens::data::Dataset {
    load(data(rel), &LoadOptions::default()).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn semicolon_with_decimal_comma() {
    let ds = default_load("good/semicolon_decimal_comma.csv");
    assert_eq!(ds.feature_names, vec!["North", "South"]);
    assert_eq!(ds.columns[0], vec![12.5, 13.0, 11.75]);
    assert_eq!(ds.columns[1], vec![3.25, 3.5, 4.0]);
    assert_eq!(ds.time.as_ref().map(|t| t.name.as_str()), Some("Datum"));
}

#[test]
fn tab_separated_with_utc_times() {
    let ds = default_load("good/tab.tsv");
    assert_eq!(ds.feature_names, vec!["web", "api"]);
    let t = ds.time.as_ref().expect("time");
    assert_eq!(
        t.millis,
        vec![
            ms(2021, 1, 1, 0, 0),
            ms(2021, 1, 1, 1, 0),
            ms(2021, 1, 1, 2, 0)
        ]
    );
}

#[test]
fn quoted_fields_and_original_cells() {
    let ds = default_load("good/quoted.csv");
    assert_eq!(ds.feature_names, vec!["hits, total", "errors"]);
    assert_eq!(ds.columns[0], vec![100.5, 101.0, 99.25]);
    assert!(
        ds.warnings.iter().any(|w| w.contains("`note` holds text")),
        "{:?}",
        ds.warnings
    );
    assert_eq!(
        ds.original_header(),
        vec!["date", "hits, total", "note", "errors"]
    );
    let rows = ds.original_rows(&[2, 0, 1]).expect("original rows");
    assert_eq!(rows[0], vec!["2021-01-03", "99.25", "=cmd|x", "3"]);
    assert_eq!(
        rows[1],
        vec!["2021-01-01", "100.50", "said \"hi\", then left", "1"]
    );
    assert_eq!(rows[2], vec!["2021-01-02", "101", "two\nlines", "2"]);
}

#[test]
fn long_format_is_detected_and_pivoted() {
    let ds = default_load("good/long.csv");
    assert_eq!(ds.layout, Layout::Long);
    assert_eq!(ds.category_column.as_deref(), Some("region"));
    assert_eq!(ds.feature_names, vec!["eu", "us"]);
    // us has two values on 2021-01-02 (summed) and none on 2021-01-03 (missing, row left out).
    assert_eq!(ds.n_rows(), 2);
    assert_eq!(ds.columns[0], vec![10.0, 11.0]);
    assert_eq!(ds.columns[1], vec![20.0, 25.0]);
    assert_eq!(ds.missing.per_column, vec![0, 1]);
    assert_eq!(ds.missing.rows_left_out, 1);
    let filled = load(
        data("good/long.csv"),
        &LoadOptions {
            missing: MissingPolicy::FillMedian,
            ..LoadOptions::default()
        },
    )
    .expect("load");
    assert_eq!(filled.columns[1], vec![20.0, 25.0, 22.5]);
    let rows = filled.original_rows(&[2]).expect("rows");
    assert_eq!(rows[0], vec!["2021-01-03", "12", "22.5"]);
}

#[test]
fn layout_can_be_overridden() {
    let wide = load(
        data("good/long.csv"),
        &LoadOptions {
            layout: Layout::Wide,
            ..LoadOptions::default()
        },
    )
    .expect("load");
    assert_eq!(wide.layout, Layout::Wide);
    assert_eq!(wide.feature_names, vec!["hits"]);
    assert_eq!(wide.n_rows(), 6);
    let e = load(
        data("good/tab.tsv"),
        &LoadOptions {
            layout: Layout::Long,
            ..LoadOptions::default()
        },
    )
    .expect_err("no category column");
    assert!(e.to_string().contains("cannot read as long format"), "{e}");
}

#[test]
fn month_first_dates() {
    let ds = default_load("good/month_first.csv");
    let t = ds.time.as_ref().expect("time");
    assert_eq!(t.format, TimeFormat::MonthFirst);
    assert_eq!(t.millis[2], ms(2022, 1, 1, 0, 0));
}

#[test]
fn epoch_seconds_by_name_and_millis_by_value() {
    let ds = default_load("good/epoch_seconds.csv");
    let t = ds.time.as_ref().expect("time");
    assert_eq!(t.format, TimeFormat::EpochSeconds);
    assert_eq!(t.millis[1], ms(2021, 1, 1, 1, 0));
    assert_eq!(ds.feature_names, vec!["value"]);
    let ds = default_load("good/epoch_millis_unnamed.csv");
    let t = ds.time.as_ref().expect("time");
    assert_eq!(t.name, "when_ms");
    assert_eq!(t.format, TimeFormat::EpochMillis);
    assert_eq!(t.millis[2], ms(2021, 1, 1, 0, 2));
}

#[test]
fn iso_with_and_without_zones() {
    let ds = default_load("good/iso_zones.csv");
    let t = ds.time.as_ref().expect("time");
    assert_eq!(
        t.millis,
        vec![
            ms(2021, 1, 1, 8, 0),
            ms(2021, 1, 1, 9, 0),
            ms(2021, 1, 1, 10, 0)
        ]
    );
}

#[test]
fn missing_values_dropped_or_filled() {
    let ds = default_load("good/missing.csv");
    assert_eq!(ds.missing.per_column, vec![1, 1]);
    assert_eq!(ds.missing.time_missing, 1);
    assert_eq!(ds.missing.rows_left_out, 3);
    assert_eq!(ds.row_numbers, vec![0, 3, 5]);
    assert!(
        ds.warnings.iter().any(|w| w.contains("3 of 6 rows")),
        "{:?}",
        ds.warnings
    );
    let filled = load(
        data("good/missing.csv"),
        &LoadOptions {
            missing: MissingPolicy::FillMedian,
            ..LoadOptions::default()
        },
    )
    .expect("load");
    assert_eq!(filled.row_numbers, vec![0, 1, 2, 3, 5]);
    // Medians over the present values: a = median(1,3,5,7,9) = 5, b = median(10,20,40,50,60) = 40.
    assert_eq!(filled.columns[0], vec![1.0, 5.0, 3.0, 5.0, 9.0]);
    assert_eq!(filled.columns[1], vec![10.0, 20.0, 40.0, 40.0, 60.0]);
    assert_eq!(filled.missing.cells_filled, 2);
}

#[test]
fn blank_lines_are_skipped() {
    let ds = default_load("good/blank_lines.csv");
    assert_eq!(ds.columns[0], vec![1.0, 2.0]);
    let rows = ds.original_rows(&[1]).expect("rows");
    assert_eq!(rows[0], vec!["2021-01-02", "2"]);
}

#[test]
fn parquet_files() {
    use polars::prelude::*;
    let dir = tempdir();
    let path = dir.path().join("traffic.parquet");
    let dates = Column::new("date".into(), ["2021-01-01", "2021-01-02", "2021-01-03"]);
    let mut df = DataFrame::new_infer_height(vec![
        dates,
        Column::new("Region 1".into(), [1.5f64, 2.5, 3.5]),
        Column::new("Region 2".into(), [10i64, 20, 30]),
    ])
    .expect("frame");
    let file = std::fs::File::create(&path).expect("create");
    ParquetWriter::new(file)
        .finish(&mut df)
        .expect("write parquet");
    let ds = load(&path, &LoadOptions::default()).expect("load parquet");
    assert_eq!(ds.feature_names, vec!["Region 1", "Region 2"]);
    assert_eq!(ds.columns[1], vec![10.0, 20.0, 30.0]);
    assert_eq!(
        ds.time.as_ref().map(|t| t.millis[1]),
        Some(ms(2021, 1, 2, 0, 0))
    );
    assert_eq!(
        ds.original_rows(&[0]).expect("rows")[0],
        vec!["2021-01-01", "1.5", "10"]
    );
}

#[test]
fn in_memory_tables() {
    let bytes: Arc<[u8]> = Arc::from(&b"Date,a\n2021-01-01,1\n2021-01-02,2\n"[..]);
    let ds = load_bytes("sample.csv", bytes, &LoadOptions::default()).expect("load");
    assert_eq!(ds.columns[0], vec![1.0, 2.0]);
    assert_eq!(
        ds.original_rows(&[1]).expect("rows")[0],
        vec!["2021-01-02", "2"]
    );
}

#[test]
fn original_rows_notice_a_changed_file() {
    let dir = tempdir();
    let path = dir.path().join("t.csv");
    std::fs::write(&path, "Date,a\n2021-01-01,1\n2021-01-02,2\n").expect("write");
    let ds = load(&path, &LoadOptions::default()).expect("load");
    std::fs::write(&path, "Date,a\n2021-01-01,1\n2021-01-02,2\n2021-01-03,3\n").expect("write");
    let e = ds.original_rows(&[0]).expect_err("changed");
    assert!(e.to_string().contains("changed on disk"), "{e}");
}

#[test]
fn time_column_options() {
    let ds = load(
        data("good/tab.tsv"),
        &LoadOptions {
            no_time: true,
            ..LoadOptions::default()
        },
    )
    .expect("load");
    assert!(ds.time.is_none());
    let e = load(
        data("good/tab.tsv"),
        &LoadOptions {
            time_column: Some("nope".into()),
            ..LoadOptions::default()
        },
    )
    .expect_err("no such column");
    assert!(e.to_string().contains("no column named `nope`"), "{e}");
}

/// Both CSV readers give the same dataset, value for value.
fn assert_same_as_polars(path: &std::path::Path, expect_fast: bool) {
    use trafficlens::data::{CsvEngine, Reader};
    let auto = load(path, &LoadOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let polars = load(
        path,
        &LoadOptions {
            csv_engine: CsvEngine::Polars,
            ..LoadOptions::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let name = path.display();
    assert_eq!(
        auto.reader == Reader::FastCsv,
        expect_fast,
        "{name}: reader {:?}",
        auto.reader
    );
    assert_eq!(polars.reader, Reader::PolarsCsv);
    assert_eq!(auto.feature_names, polars.feature_names, "{name}");
    assert_eq!(auto.row_numbers, polars.row_numbers, "{name}");
    assert_eq!(auto.time, polars.time, "{name}");
    assert_eq!(auto.missing, polars.missing, "{name}");
    assert_eq!(auto.layout, polars.layout, "{name}");
    for (a, b) in auto.columns.iter().zip(&polars.columns) {
        let same = a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits());
        assert!(same, "{name}: columns differ");
    }
    let rows: Vec<usize> = (0..auto.n_rows()).step_by(97).collect();
    assert_eq!(
        auto.original_rows(&rows).expect("rows"),
        polars.original_rows(&rows).expect("rows"),
        "{name}"
    );
}

#[test]
fn fast_reader_and_polars_agree() {
    for (rel, fast) in [
        ("good/tab.tsv", true),
        ("good/long.csv", true),
        ("good/month_first.csv", true),
        ("good/epoch_seconds.csv", true),
        ("good/epoch_millis_unnamed.csv", true),
        ("good/iso_zones.csv", true),
        ("good/missing.csv", true),
        ("good/blank_lines.csv", true),
        ("good/quoted.csv", false),
        ("good/semicolon_decimal_comma.csv", false),
    ] {
        assert_same_as_polars(&data(rel), fast);
    }
    assert_same_as_polars(&crate::util::repo("sample_data/web_traffic.csv"), true);
    assert_same_as_polars(&crate::util::repo("sample_data/web_traffic_dmy.csv"), true);
}

#[test]
fn fast_reader_over_many_parts_agrees_with_polars() {
    // Large enough to be split into several parts read in parallel, with a long line, blank
    // lines and missing cells scattered through it.
    let dir = tempdir();
    let path = dir.path().join("big.csv");
    let mut text = String::from("Timestamp,a,b,label\n");
    let start = ms(2021, 1, 1, 0, 0) / 1000;
    for i in 0..400_000i64 {
        let t = chrono::DateTime::from_timestamp(start + 60 * i, 0)
            .expect("time")
            .naive_utc();
        let b = if i % 1013 == 0 {
            String::new()
        } else {
            format!("{}", (i * 7) % 1000)
        };
        let label = if i == 200_000 {
            "x".repeat(100_000)
        } else {
            format!("k{}", i % 3)
        };
        text.push_str(&format!(
            "{},{}.25,{b},{label}\r\n",
            t.format("%Y-%m-%d %H:%M:%S"),
            i % 500
        ));
        if i % 50_000 == 0 {
            text.push_str("\r\n");
        }
    }
    std::fs::write(&path, text).expect("write");
    assert_same_as_polars(&path, true);
}

/// A plain table with repeating hourly times and a free-text `note` column (mostly `ok`, a few
/// formula-like strings), as issue 12 describes.
pub fn plain_table_with_notes() -> String {
    let mut text = String::from("time,note,hits,bytes\n");
    for i in 0..200 {
        let note = match i {
            17 => "=1+2",
            60 => "@SUM(A1:A9)",
            101 => "+cmd|' /C calc'!A0",
            150 => "-2+3",
            _ => "ok",
        };
        text.push_str(&format!(
            "2024-03-01 {:02}:00:00,\"{note}\",{},{}\n",
            i % 24,
            100 + (i * 7) % 31,
            5000 + (i * 13) % 97
        ));
    }
    text
}

#[test]
fn a_free_text_column_is_not_pivoted_on() {
    let dir = tempdir();
    let path = dir.path().join("notes.csv");
    std::fs::write(&path, plain_table_with_notes()).expect("write");
    let ds = load(&path, &LoadOptions::default()).expect("load");
    assert_eq!(ds.layout, Layout::Wide);
    assert_eq!(ds.category_column, None);
    assert_eq!(ds.feature_names, vec!["hits", "bytes"]);
    assert_eq!(ds.n_rows(), 200);
}

#[test]
fn features_named_as_written_read_a_long_looking_table_wide() {
    let long = load(data("good/long.csv"), &LoadOptions::default()).expect("load");
    assert_eq!(long.layout, Layout::Long);
    let wide = load(
        data("good/long.csv"),
        &LoadOptions {
            features: vec!["hits".into()],
            ..LoadOptions::default()
        },
    )
    .expect("load");
    assert_eq!(wide.layout, Layout::Wide);
    assert_eq!(wide.feature_names, vec!["hits"]);
    // Names of the pivoted table (categories) are not columns as written: still long.
    let pivoted = load(
        data("good/long.csv"),
        &LoadOptions {
            features: vec!["eu".into()],
            ..LoadOptions::default()
        },
    )
    .expect("load");
    assert_eq!(pivoted.layout, Layout::Long);
}

#[test]
fn an_error_after_a_pivot_says_how_to_read_the_table_wide() {
    // Category `a` only at the first ten times, `b` only at the last ten: every pivoted row
    // misses one of them.
    let mut text = String::from("time,site,hits\n");
    for day in 1..=20 {
        let site = if day <= 10 { "a" } else { "b" };
        text.push_str(&format!("2024-01-{day:02},{site},{day}\n"));
        text.push_str(&format!("2024-01-{day:02},c,{}\n", day + 1));
    }
    let dir = tempdir();
    let path = dir.path().join("sites.csv");
    std::fs::write(&path, text).expect("write");
    let e = load(&path, &LoadOptions::default()).expect_err("every row misses a or b");
    let message = e.to_string();
    assert!(
        message.contains("every row has a missing value"),
        "{message}"
    );
    assert!(
        message.contains("read as long, pivoted on column `site`"),
        "{message}"
    );
    assert!(message.contains("--layout wide"), "{message}");
}
