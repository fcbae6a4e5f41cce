//! The command line as a user runs it: help, exit codes, generate's safety rules.

use crate::util::{bin, repo, tempdir};

#[test]
fn help_lists_subcommands_and_exit_codes() {
    let dir = tempdir();
    let out = bin(dir.path()).arg("--help").output().expect("run");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for s in [
        "stats",
        "generate",
        "Exit status: 0 success, 1 other error, 2 bad usage, 3 bad input",
    ] {
        assert!(text.contains(s), "{s} in {text}");
    }
    let out = bin(dir.path())
        .args(["stats", "--help"])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    for s in [
        "--layout",
        "--time-column",
        "--category",
        "--fill-missing",
        "--json",
    ] {
        assert!(text.contains(s), "{s} in {text}");
    }
}

#[test]
fn bad_usage_exits_2() {
    let dir = tempdir();
    let out = bin(dir.path())
        .args(["stats", "--no-such-flag", "x.csv"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let out = bin(dir.path())
        .args(["generate", "--out", "a.csv", "--step", "3w"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown unit"));
}

#[test]
fn stats_on_the_sample() {
    let dir = tempdir();
    let out = bin(dir.path())
        .arg("stats")
        .arg(repo("sample_data/web_traffic.csv"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Rows       730 (730 analysed, 0 left out"),
        "{text}"
    );
    assert!(text.contains("2021-01-01 to 2022-12-31"), "{text}");
    assert!(text.contains("Correlation (Pearson)"), "{text}");
}

#[test]
fn stats_on_a_long_table() {
    let dir = tempdir();
    let out = bin(dir.path())
        .args(["stats", "--fill-missing"])
        .arg(crate::util::data("good/long.csv"))
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Layout     long"), "{text}");
    assert!(text.contains("1 filled with the median"), "{text}");
}

#[test]
fn generate_is_deterministic_and_never_overwrites_without_force() {
    let dir = tempdir();
    let run = |extra: &[&str]| {
        bin(dir.path())
            .args([
                "generate", "--out", "a.csv", "--rows", "500", "--step", "1h", "--seed", "9",
            ])
            .args(extra)
            .output()
            .expect("run")
    };
    let out = run(&[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let first = std::fs::read(dir.path().join("a.csv")).expect("data");
    let labels = std::fs::read_to_string(dir.path().join("a_labels.csv")).expect("labels");
    assert!(labels.starts_with("row,kind,regions\n"));
    assert!(String::from_utf8_lossy(&first).contains("\n2021-01-01 01:00:00,"));

    let out = run(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    assert_eq!(
        std::fs::read(dir.path().join("a.csv")).expect("data"),
        first,
        "untouched"
    );

    let out = run(&["--force"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        std::fs::read(dir.path().join("a.csv")).expect("data"),
        first,
        "same seed, same bytes"
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("ls")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".part"))
        .collect();
    assert!(leftovers.is_empty());
}
