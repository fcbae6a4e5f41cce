//! Behaviour is unchanged: scores files written by `detect` equal the ones committed
//! under `tests/fixtures/expected/` byte for byte (written before issue 12's restructuring).

use std::path::Path;

use crate::util::{bin, repo, shared, tempdir};

/// Runs `detect input args --scores-out <tmp>` and compares the file with `expected`.
fn assert_scores(input: &Path, args: &[&str], expected: &str) {
    let dir = tempdir();
    let out = dir.path().join("scores.csv");
    bin(dir.path())
        .arg("detect")
        .arg(input)
        .args(args)
        .arg("--scores-out")
        .arg(&out)
        .assert()
        .success();
    let got = std::fs::read(&out).expect("scores written");
    let want = std::fs::read(repo("tests/fixtures/expected").join(expected)).expect("fixture");
    assert!(
        got == want,
        "scores of {} with {args:?} differ from tests/fixtures/expected/{expected}",
        input.display()
    );
}

const IF_AUTO: &[&str] = &[];
const IF_C05: &[&str] = &["--contamination", "0.05"];
const LOF_K20_C05: &[&str] = &[
    "--algo",
    "lof",
    "--n-neighbors",
    "20",
    "--contamination",
    "0.05",
];

#[test]
fn sample_iforest_default_unchanged() {
    assert_scores(
        &repo("sample_data/web_traffic.csv"),
        IF_AUTO,
        "sample_iforest_auto.csv",
    );
}

#[test]
fn sample_iforest_contamination_unchanged() {
    assert_scores(
        &repo("sample_data/web_traffic.csv"),
        IF_C05,
        "sample_iforest_c05.csv",
    );
}

#[test]
fn sample_lof_unchanged() {
    assert_scores(
        &repo("sample_data/web_traffic.csv"),
        LOF_K20_C05,
        "sample_lof_k20_c05.csv",
    );
}

#[test]
#[ignore = "needs ../shared/data"]
fn shared_iforest_default_unchanged() {
    assert_scores(
        &shared("regional_web_traffic.csv"),
        IF_AUTO,
        "regional_iforest_auto.csv",
    );
}

#[test]
#[ignore = "needs ../shared/data"]
fn shared_iforest_contamination_unchanged() {
    assert_scores(
        &shared("regional_web_traffic.csv"),
        IF_C05,
        "regional_iforest_c05.csv",
    );
}

#[test]
#[ignore = "needs ../shared/data"]
fn shared_lof_unchanged() {
    assert_scores(
        &shared("regional_web_traffic.csv"),
        LOF_K20_C05,
        "regional_lof_k20_c05.csv",
    );
}

#[test]
fn generated_log_clients_unchanged() {
    let dir = tempdir();
    let log = dir.path().join("gen.log");
    bin(dir.path())
        .args(["generate", "--access-log", "--clients", "60", "--days", "1"])
        .args(["--ddos-addresses", "5", "--seed", "7", "--out"])
        .arg(&log)
        .assert()
        .success();
    assert_scores(&log, IF_AUTO, "log_clients_iforest_auto.csv");
}
