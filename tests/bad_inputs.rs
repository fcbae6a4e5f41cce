//! The corpus of bad files: each gives its own clear error naming the file (and line and
//! column where they apply), through the library and through the command line (exit 3).

use std::io::Write;

use trafficlens::data::{load, LoadError, LoadOptions};

use crate::util::{bin, data, tempdir};

fn err(rel: &str) -> LoadError {
    match load(data(rel), &LoadOptions::default()) {
        Ok(ds) => panic!("{rel} loaded ({} rows) but should fail", ds.n_rows()),
        Err(e) => e,
    }
}

#[test]
fn binary_file() {
    let e = err("bad/binary.bin");
    assert!(matches!(e, LoadError::NotText { .. }), "{e}");
    assert!(e.to_string().contains("binary.bin"), "{e}");
    assert!(e.to_string().contains("NUL byte"), "{e}");
}

#[test]
fn empty_file() {
    assert!(matches!(err("bad/empty.csv"), LoadError::Empty { .. }));
}

#[test]
fn header_only() {
    let e = err("bad/header_only.csv");
    assert!(matches!(e, LoadError::NoRows { .. }), "{e}");
    assert!(e.to_string().contains("header but no data rows"));
}

#[test]
fn ragged_row_names_line() {
    let e = err("bad/ragged.csv");
    assert!(
        matches!(
            e,
            LoadError::Ragged {
                line: 4,
                expected: 3,
                found: 2,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("ragged.csv:4:"), "{e}");
}

#[test]
fn text_in_numeric_column_names_line_and_column() {
    let e = err("bad/text_in_numeric.csv");
    match &e {
        LoadError::NotANumber {
            line,
            column_no,
            column,
            value,
            ..
        } => {
            assert_eq!(
                (*line, *column_no, column.as_str(), value.as_str()),
                (5, 3, "Region 2", "lots")
            );
        }
        other => panic!("expected NotANumber, got {other}"),
    }
    assert!(e.to_string().contains("text_in_numeric.csv:5:3:"), "{e}");
}

#[test]
fn text_after_the_type_inference_window_is_found() {
    let dir = tempdir();
    let path = dir.path().join("late_text.csv");
    let mut f = std::fs::File::create(&path).expect("create");
    writeln!(f, "Date,hits").expect("write");
    let start = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).expect("date");
    for i in 0..20_000u64 {
        let d = start + chrono::Days::new(i);
        let v = if i == 15_000 {
            "oops".to_string()
        } else {
            format!("{}.5", i % 100)
        };
        writeln!(f, "{},{v}", d.format("%Y-%m-%d")).expect("write");
    }
    drop(f);
    match load(&path, &LoadOptions::default()) {
        Err(LoadError::NotANumber {
            line, column_no, ..
        }) => assert_eq!((line, column_no), (15_002, 2)),
        other => panic!("expected NotANumber, got {other:?}"),
    }
}

#[test]
fn mixed_date_formats() {
    let e = err("bad/mixed_dates.csv");
    assert!(
        matches!(
            e,
            LoadError::MixedTimeFormats {
                line: 4,
                column_no: 1,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("mixed_dates.csv:4:1:"), "{e}");
}

#[test]
fn contradictory_day_month_order() {
    let e = err("bad/contradictory_dates.csv");
    assert!(
        matches!(
            e,
            LoadError::ContradictoryDates {
                day_first_line: 2,
                month_first_line: 3,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn no_header() {
    let e = err("bad/no_header.csv");
    assert!(matches!(e, LoadError::NoHeader { .. }), "{e}");
    assert!(e.to_string().contains("no_header.csv:1:"), "{e}");
}

#[test]
fn no_numeric_column() {
    let e = err("bad/no_numeric.csv");
    assert!(matches!(e, LoadError::NoNumericColumn { .. }), "{e}");
    assert!(e.to_string().contains("name, city"), "{e}");
}

#[test]
fn unclosed_quote() {
    assert!(matches!(
        err("bad/unclosed_quote.csv"),
        LoadError::UnclosedQuote { line: 3, .. }
    ));
}

#[test]
fn not_utf8() {
    let e = err("bad/utf16.csv");
    assert!(matches!(e, LoadError::NotText { .. }), "{e}");
    assert!(e.to_string().contains("UTF-16"), "{e}");
    let e = err("bad/latin1.csv");
    assert!(matches!(e, LoadError::NotText { .. }), "{e}");
    assert!(e.to_string().contains("invalid UTF-8 at byte 6"), "{e}");
}

#[test]
fn duplicate_column() {
    let e = err("bad/duplicate_column.csv");
    assert!(
        matches!(
            e,
            LoadError::DuplicateColumn {
                first: 2,
                second: 3,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn missing_file_and_folder() {
    assert!(matches!(
        err("bad/does_not_exist.csv"),
        LoadError::NotFound { .. }
    ));
    assert!(matches!(err("bad"), LoadError::IsDirectory { .. }));
}

#[test]
fn fifty_thousand_columns_load() {
    let dir = tempdir();
    let path = dir.path().join("wide.csv");
    let n = 50_000;
    let mut text = String::from("Date");
    for i in 0..n {
        text.push_str(&format!(",c{i}"));
    }
    for d in 1..=3 {
        text.push_str(&format!("\n2021-01-0{d}"));
        for i in 0..n {
            text.push_str(&format!(",{}", (i + d) % 97));
        }
    }
    std::fs::write(&path, text).expect("write");
    let ds = load(&path, &LoadOptions::default()).expect("50,000 columns load");
    assert_eq!(ds.n_features(), n);
    assert_eq!(ds.n_rows(), 3);
    let stats = trafficlens::data::stats::describe(&ds);
    assert_eq!(stats.features.len(), n);
    assert!(
        stats.correlation.is_empty(),
        "no 50,000 x 50,000 correlation matrix"
    );
    assert!(
        stats.notes.iter().any(|n| n.contains("correlation")),
        "{:?}",
        stats.notes
    );
}

#[test]
fn a_single_100_mb_line() {
    let dir = tempdir();
    let path = dir.path().join("one_line.csv");
    let chunk = "1234567890,".repeat(1024);
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
    for _ in 0..(100 * 1024 * 1024 / chunk.len()) {
        f.write_all(chunk.as_bytes()).expect("write");
    }
    drop(f);
    let e = load(&path, &LoadOptions::default()).expect_err("a 100 MB line is not a table");
    assert!(matches!(e, LoadError::LineTooLong { line: 1, .. }), "{e}");
    assert!(e.to_string().contains("one_line.csv:1:"), "{e}");
}

#[test]
fn cli_reports_bad_input_with_exit_3() {
    let dir = tempdir();
    let out = bin(dir.path())
        .arg("stats")
        .arg(data("bad/text_in_numeric.csv"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("trafficlens: error: "), "{stderr}");
    assert!(
        stderr.contains("text_in_numeric.csv:5:3: `lots` in column `Region 2`"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    for rel in [
        "bad/binary.bin",
        "bad/empty.csv",
        "bad/ragged.csv",
        "bad/nope.csv",
    ] {
        let out = bin(dir.path())
            .arg("stats")
            .arg(data(rel))
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(3), "{rel}");
        assert!(out.stdout.is_empty(), "{rel}: nothing on stdout");
    }
}

/// Found by the `parquet` fuzz target: a damaged page header or file metadata makes polars' Parquet reader panic
/// ("Thrift out of range") instead of returning an error. It is a clear error naming the file,
/// from the library (so the GUI's worker thread survives) and the command line (exit 3, no
/// "internal error").
#[test]
fn a_parquet_footer_with_an_absurd_list_length_is_refused_before_polars_allocates_it() {
    // From the parquet fuzz target: polars sized a Vec from a list length in the footer (67 GB)
    // and the process aborted. The structural check refuses the file first.
    let e = err("bad/fuzz_huge_list_alloc.parquet");
    let text = e.to_string();
    assert!(
        text.contains("cannot read the Parquet file: the file is damaged"),
        "{text}"
    );
}

#[test]
fn parquet_files_from_other_writers_pass_the_structural_check() {
    // pyarrow's layouts (scripts/gen_parquet_writers.py): six codecs, data pages v1 and v2,
    // dictionary on and off, no statistics, many small pages in several row groups,
    // BYTE_STREAM_SPLIT and DELTA_BINARY_PACKED. The check must refuse none of them.
    let dir = data("parquet_writers");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("fixture folder") {
        let path = entry.expect("entry").path();
        let dataset = load(&path, &LoadOptions::default())
            .unwrap_or_else(|e| panic!("{} was refused: {e}", path.display()));
        // 600 rows written; the 86 with a missing `bytes` are dropped by the default policy.
        assert_eq!(dataset.n_rows(), 514, "{}", path.display());
        seen += 1;
    }
    assert_eq!(seen, 7);
}

#[test]
fn damaged_parquet_page_headers_are_refused_before_decoding() {
    // The page header's encoding is out of range: polars unwraps it on a pool thread.
    let text = err("bad/fuzz_damaged_page.parquet").to_string();
    assert!(text.contains("page at byte"), "{text}");
}

#[test]
fn a_damaged_parquet_file_is_an_error_not_a_crash() {
    // A second input from the fuzzer: damaged file metadata ("thrift bool field").
    let e = err("bad/fuzz_damaged_metadata.parquet");
    assert!(e.to_string().contains("the file is damaged"), "{e}");
    let e = err("bad/fuzz_damaged_page.parquet");
    assert!(matches!(e, LoadError::Parquet { .. }), "{e}");
    let text = e.to_string();
    assert!(
        text.contains(
            "fuzz_damaged_page.parquet: cannot read the Parquet file: the file is damaged"
        ),
        "{text}"
    );
    let dir = tempdir();
    let out = bin(dir.path())
        .arg("stats")
        .arg(data("bad/fuzz_damaged_page.parquet"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("the file is damaged"), "{stderr}");
    assert!(!stderr.contains("internal error"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
