//! `trafficlens detect` as a user runs it: the output contract, exit codes and export safety.

use std::path::Path;

use crate::util::{bin, data, generate_access_log, json, repo, shared, tempdir};

fn run(dir: &Path, args: &[&str]) -> std::process::Output {
    bin(dir)
        .arg("detect")
        .args(args)
        .output()
        .expect("run trafficlens")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn summary_on_the_sample() {
    let dir = tempdir();
    let sample = repo("sample_data/web_traffic.csv");
    let out = run(dir.path(), &[sample.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout
            .contains("Isolation Forest (100 trees, max_samples auto, seed 0, contamination auto)"),
        "{stdout}"
    );
    assert!(stdout.contains("Top 20 rows by anomaly score:"), "{stdout}");
    assert!(stdout.contains("top_feature"), "{stdout}");
    let out = run(
        dir.path(),
        &[
            "--algo",
            "lof",
            "--n-neighbors",
            "10",
            sample.to_str().expect("path"),
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("Local Outlier Factor (10 neighbours, contamination auto)"));
}

#[test]
fn scores_file_has_the_contract_header_and_one_line_per_analysed_row() {
    let dir = tempdir();
    let sample = repo("sample_data/web_traffic.csv");
    let out = run(
        dir.path(),
        &[
            sample.to_str().expect("path"),
            "--scores-out",
            "s.csv",
            "--contamination",
            "0.05",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let scores = std::fs::read_to_string(dir.path().join("s.csv")).expect("scores");
    let lines: Vec<&str> = scores.lines().collect();
    assert_eq!(lines[0], "row,anomaly_score,flagged");
    assert_eq!(lines.len(), 731);
    assert!(lines[1].starts_with("0,"));
    let flagged = lines[1..].iter().filter(|l| l.ends_with(",1")).count();
    // np.percentile at 5% of 730 distinct scores leaves 37 rows below it.
    assert_eq!(flagged, 37);
    for l in &lines[1..] {
        let score: f64 = l.split(',').nth(1).expect("score").parse().expect("number");
        assert!(score > 0.0 && score <= 1.0);
    }

    // Rows left out for missing values are not listed, and stderr says so.
    let out = run(
        dir.path(),
        &[
            data("good/missing.csv").to_str().expect("path"),
            "--scores-out",
            "m.csv",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("3 of 6 rows have missing values and were left out"));
    let m = std::fs::read_to_string(dir.path().join("m.csv")).expect("scores");
    let rows: Vec<&str> = m
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap_or(""))
        .collect();
    assert_eq!(rows, ["0", "3", "5"]);
}

#[test]
fn flagged_rows_are_formula_safe() {
    let dir = tempdir();
    let input = data("good/formula.csv");
    let out = run(
        dir.path(),
        &[
            input.to_str().expect("path"),
            "--features",
            "hits",
            "--contamination",
            "0.2",
            "--flagged-out",
            "f.csv",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let written = std::fs::read_to_string(dir.path().join("f.csv")).expect("flagged");
    let mut reader = csv::Reader::from_reader(written.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(
        header,
        [
            "Date",
            "host",
            "delta",
            "hits",
            "anomaly_score",
            "top_feature"
        ]
    );
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("record")).collect();
    let hosts: Vec<&str> = records.iter().map(|r| &r[1]).collect();
    assert_eq!(
        hosts,
        [
            "'=cmd|' /C calc'!A0",
            "'@SUM(1+1)*cmd|' /C calc'!A0",
            "'+1+1",
            "'-2+3"
        ],
        "flagged rows in time order, formulas neutralised"
    );
    assert!(
        records.iter().all(|r| &r[2] == "-3.5" && &r[5] == "hits"),
        "numbers stay numbers"
    );
}

#[test]
fn never_writes_the_input_and_never_overwrites_without_force() {
    let dir = tempdir();
    let input = dir.path().join("traffic.csv");
    std::fs::copy(repo("sample_data/web_traffic.csv"), &input).expect("copy");
    let before = std::fs::read(&input).expect("read");
    std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
    for target in ["traffic.csv", "./traffic.csv", "sub/../traffic.csv"] {
        for flag in ["--flagged-out", "--scores-out"] {
            let out = run(dir.path(), &["traffic.csv", flag, target, "--force"]);
            assert_eq!(out.status.code(), Some(2), "{flag} {target}");
            assert!(
                text(&out.stderr).contains("is an input file"),
                "{}",
                text(&out.stderr)
            );
        }
    }
    assert_eq!(
        std::fs::read(&input).expect("read"),
        before,
        "the input is untouched"
    );

    std::fs::write(dir.path().join("out.csv"), "keep me\n").expect("write");
    let out = run(dir.path(), &["traffic.csv", "--scores-out", "out.csv"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("already exists; choose another name or pass --force"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out.csv")).expect("read"),
        "keep me\n"
    );
    let out = run(
        dir.path(),
        &["traffic.csv", "--scores-out", "out.csv", "--force"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(std::fs::read_to_string(dir.path().join("out.csv"))
        .expect("read")
        .starts_with("row,anomaly_score,flagged\n"));
}

#[test]
fn exit_codes() {
    let dir = tempdir();
    let sample = repo("sample_data/web_traffic.csv");
    let sample = sample.to_str().expect("path");
    let code = |args: &[&str]| run(dir.path(), args).status.code();
    assert_eq!(code(&[sample, "--contamination", "0.7"]), Some(2));
    assert_eq!(code(&[sample, "--algo", "svm"]), Some(2));
    assert_eq!(code(&[sample, "--features", "Region 1,Nowhere"]), Some(2));
    assert_eq!(code(&[sample, "--n-neighbors", "0"]), Some(2));
    assert_eq!(
        code(&[data("bad/ragged.csv").to_str().expect("path")]),
        Some(3)
    );
    let out = run(
        dir.path(),
        &[data("bad/text_in_numeric.csv").to_str().expect("path")],
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("text_in_numeric.csv:5:3:"));
    assert!(!text(&out.stderr).contains("panicked"));
}

#[test]
#[ignore = "needs ../shared/data"]
fn flagged_out_on_the_reference_file_has_the_injected_spikes() {
    let dir = tempdir();
    let input = shared("regional_web_traffic.csv");
    let out = run(
        dir.path(),
        &[
            input.to_str().expect("path"),
            "--contamination",
            "0.05",
            "--flagged-out",
            "f.csv",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let written = std::fs::read_to_string(dir.path().join("f.csv")).expect("flagged");
    assert!(written.starts_with(
        "Date,Region 1,Region 2,Region 3,Region 4,Region 5,Region 6,anomaly_score,top_feature\n"
    ));
    assert!(
        written.contains("\n28/3/2021,206.1602413,518,410,649,473,404,"),
        "the surge across all six regions"
    );
    assert!(
        written.contains("\n28/2/2021,107.19796,695,"),
        "Region 2 = 695"
    );
}

#[test]
#[ignore = "needs ../shared/data"]
fn lof_flags_exactly_what_sklearn_flags_on_the_reference_file() {
    let dir = tempdir();
    let input = shared("regional_web_traffic.csv");
    let out = run(
        dir.path(),
        &[
            input.to_str().expect("path"),
            "--algo",
            "lof",
            "--n-neighbors",
            "20",
            "--contamination",
            "0.05",
            "--scores-out",
            "s.csv",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let scores = std::fs::read_to_string(dir.path().join("s.csv")).expect("scores");
    let ours: Vec<u64> = scores
        .lines()
        .skip(1)
        .filter(|l| l.ends_with(",1"))
        .map(|l| l.split(',').next().unwrap_or("").parse().expect("row"))
        .collect();
    let expected = json("tests/fixtures/lof/regional_flagged.json");
    let theirs: Vec<u64> = expected["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|v| v.as_u64().expect("row"))
        .collect();
    assert_eq!(ours, theirs);
}

#[test]
fn exporting_many_rows_streams_them_exactly_as_written() {
    use trafficlens::data::{load, LoadOptions};
    use trafficlens::generate::table::{generate, GeneratorConfig};
    let dir = tempdir();
    let input = dir.path().join("big.csv");
    let cfg = GeneratorConfig {
        rows: 20_000,
        step_seconds: 3600,
        ..GeneratorConfig::default()
    };
    let mut bytes = Vec::new();
    generate(&cfg, &mut bytes, &mut std::io::sink()).expect("generate");
    std::fs::write(&input, &bytes).expect("write");
    let ds = load(&input, &LoadOptions::default()).expect("load");
    // Every row, in reverse order: the export sorts them by time and reads them back in chunks.
    let rows: Vec<usize> = (0..ds.n_rows()).rev().collect();
    let scores: Vec<f64> = rows.iter().map(|&r| r as f64).collect();
    let tops: Vec<String> = rows.iter().map(|_| "Region 1".to_string()).collect();
    let out = dir.path().join("all.csv");
    trafficlens::export::write_flagged(&out, false, &ds, &rows, &scores, &tops, None)
        .expect("export");
    let written = std::fs::read_to_string(&out).expect("read");
    let original = String::from_utf8(bytes).expect("utf8");
    for (w, o) in written.lines().skip(1).zip(original.lines().skip(1)) {
        assert!(w.starts_with(&format!("{o},")), "{w} vs {o}");
    }
    assert_eq!(written.lines().count(), 20_001);
}

#[test]
fn a_plain_table_with_a_note_column_is_read_wide_and_its_features_work() {
    let dir = tempdir();
    let path = dir.path().join("notes.csv");
    std::fs::write(&path, crate::load_formats::plain_table_with_notes()).expect("write");
    let path = path.to_str().expect("path");
    let out = run(dir.path(), &[path, "--features", "hits,bytes"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("200 rows x 2 features"),
        "{}",
        text(&out.stdout)
    );
    // A long-looking table is read as written when --features names its columns.
    let long = data("good/long.csv");
    let long = long.to_str().expect("path");
    let out = run(
        dir.path(),
        &[long, "--features", "hits", "--n-estimators", "10"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // A name that is neither: the error says the table was pivoted and how to read it wide.
    let out = run(dir.path(), &[long, "--features", "nowhere"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("pivoted on column `region`"), "{stderr}");
    assert!(stderr.contains("--layout wide"), "{stderr}");
}

#[test]
fn a_max_samples_fraction_of_no_row_is_an_error() {
    let dir = tempdir();
    let path = dir.path().join("five.csv");
    std::fs::write(&path, "a,b\n1,5\n2,1\n3,4\n4,2\n50,3\n").expect("write");
    let out = run(
        dir.path(),
        &[path.to_str().expect("path"), "--max-samples", "0.1"],
    );
    assert_ne!(out.status.code(), Some(0));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("max_samples 0.1 of 5 rows is 0 rows"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn what_the_reading_of_a_table_noted_is_said_once() {
    let dir = tempdir();
    let path = dir.path().join("notes.csv");
    // `host` is text, `spare` is empty, and the third row has no value for `a`.
    let mut text_rows = String::from("time,a,host,spare\n");
    for d in 1..=20 {
        let a = if d == 3 {
            String::new()
        } else {
            format!("{}", d % 7)
        };
        text_rows.push_str(&format!("2021-03-{d:02},{a},web{},\n", d % 2));
    }
    std::fs::write(&path, text_rows).expect("write");
    let out = run(dir.path(), &[path.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("note: ")
            && stderr.contains("column `host` holds text; it is kept for export but not analysed"),
        "{stderr}"
    );
    assert!(
        stderr.contains("column `spare` is empty (no value in any row)"),
        "{stderr}"
    );
    // The rows left out are said once, with what to do.
    assert_eq!(stderr.matches("have missing values").count(), 1, "{stderr}");
    assert!(stderr.contains("--fill-missing"), "{stderr}");
    // Asking for the empty column says why it is not there.
    let out = run(
        dir.path(),
        &["--features", "spare", path.to_str().expect("path")],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("no numeric column named `spare`")
            && stderr.contains("column `spare` is empty (no value in any row)"),
        "{stderr}"
    );
}

/// An option that only another detector reads is refused by name (it used to be ignored
/// without a word); the same option with its own detector, and every default, still run.
#[test]
fn options_of_another_detector_are_refused() {
    let dir = tempdir();
    let sample = repo("sample_data/web_traffic.csv");
    let sample = sample.to_str().expect("path");
    for (args, flag, detector) in [
        (&["--cycles", "4"][..], "--cycles", "--algo seasonal"),
        (
            &["--algo", "lof", "--hold-off", "3"][..],
            "--hold-off",
            "--algo seasonal",
        ),
        (
            &["--algo", "lof", "--seed", "3"][..],
            "--seed",
            "--algo iforest",
        ),
        (
            &["--algo", "seasonal", "--scale", "robust"][..],
            "--scale",
            "--algo iforest or --algo lof",
        ),
        (
            &["--algo", "seasonal", "--n-neighbors", "5"][..],
            "--n-neighbors",
            "--algo lof",
        ),
        (
            &["--algo", "lof", "--max-samples", "0.5"][..],
            "--max-samples",
            "--algo iforest",
        ),
    ] {
        let mut all = vec![sample];
        all.extend_from_slice(args);
        let out = run(dir.path(), &all);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(&format!("{flag} is a setting of {detector}, not of")),
            "{args:?}: {stderr}"
        );
        assert!(out.stdout.is_empty(), "{args:?}: nothing scored");
    }
    // Every such option is named, and the default detector is called so.
    let out = run(dir.path(), &[sample, "--cycles", "4", "--hold-off", "2"]);
    assert_eq!(
        text(&out.stderr).trim(),
        "trafficlens: error: --cycles, --hold-off are settings of --algo seasonal, not of \
         --algo iforest (the default detector): drop them, or choose that detector"
    );
    let out = run(
        dir.path(),
        &[sample, "--algo", "lof", "--cycles", "4", "--seed", "1"],
    );
    assert!(
        text(&out.stderr).contains(
            "--seed, --cycles are settings of other detectors, not of --algo lof: drop them"
        ),
        "{}",
        text(&out.stderr)
    );
    for args in [
        &["--algo", "seasonal", "--cycles", "4", "--hold-off", "3"][..],
        &["--algo", "lof", "--n-neighbors", "5", "--scale", "robust"][..],
        &[
            "--seed",
            "3",
            "--n-estimators",
            "10",
            "--max-samples",
            "0.5",
        ][..],
    ] {
        let mut all = vec![sample];
        all.extend_from_slice(args);
        let out = run(dir.path(), &all);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}

/// A reading option that the input's kind does not read is refused by name, with what to do
/// (it used to be ignored without a word); on the input that reads it, it runs.
#[test]
fn reading_options_of_another_kind_of_input_are_refused() {
    let dir = tempdir();
    let log = dir.path().join("access.log");
    let log = log.to_str().expect("path");
    generate_access_log(dir.path(), "access.log", 1, 200);
    let sample = repo("sample_data/web_traffic.csv");
    let sample = sample.to_str().expect("path");
    for (command, args, said) in [
        (
            "detect",
            vec![log, "--bucket", "5m"],
            "--bucket is for the traffic view of an access log or of network traffic; ",
        ),
        (
            "detect",
            vec![log, "--time-column", "t", "--by", "destination"],
            "--time-column is for tables (CSV or Parquet); --by is for network traffic",
        ),
        (
            "detect",
            vec![sample, "--view", "traffic", "--by-host"],
            "--view is for access logs and network traffic; --by-host is for the traffic view of \
             an access log; ",
        ),
        (
            "stats",
            vec![sample, "--bucket", "1h"],
            "is a table (CSV): drop it",
        ),
    ] {
        let out = bin(dir.path())
            .arg(command)
            .args(&args)
            .output()
            .expect("run trafficlens");
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(said), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}: nothing read");
    }
    let out = run(dir.path(), &[log, "--bucket", "5m"]);
    assert!(
        text(&out.stderr).contains(
            "access.log is an access log, read in the clients view: add --view traffic, or drop it"
        ),
        "{}",
        text(&out.stderr)
    );
    let out = run(dir.path(), &[log, "--view", "traffic", "--bucket", "5m"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = run(dir.path(), &[sample, "--fill-missing", "--utc"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

/// The traffic view of a log that starts and ends inside its buckets says so: their counts are
/// partial, and often what is flagged at the log's edges.
#[test]
fn a_log_traffic_view_names_its_partial_first_and_last_buckets() {
    let dir = tempdir();
    let mut log = String::new();
    for minute in (10..=135).step_by(5) {
        log.push_str(&format!(
            "203.0.113.7 - - [01/Mar/2021:{:02}:{:02}:00 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"curl/8\"\n",
            minute / 60,
            minute % 60
        ));
    }
    std::fs::write(dir.path().join("a.log"), log).expect("write");
    let out = run(
        dir.path(),
        &["a.log", "--view", "traffic", "--bucket", "1h"],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("a.log: the first bucket holds only 50 min of its 1h of log"),
        "{stderr}"
    );
    assert!(
        stderr.contains("a.log: the last bucket holds only 15 min of its 1h of log"),
        "{stderr}"
    );
}
