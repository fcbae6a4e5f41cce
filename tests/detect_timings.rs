//! `detect --timings` names the time of each stage it ran, and only those.

use crate::util::{bin, repo, tempdir};

#[test]
fn timings_name_each_stage_run() {
    let dir = tempdir();
    let out = dir.path().join("scores.csv");
    let run = bin(dir.path())
        .arg("detect")
        .arg(repo("tests/fixtures/iforest/clusters.csv"))
        .arg("--timings")
        .arg("--scores-out")
        .arg(&out)
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&run.get_output().stderr).into_owned();
    let line = stderr
        .lines()
        .find(|l| l.starts_with("trafficlens: timings: "))
        .unwrap_or_else(|| panic!("no timings line in {stderr}"));
    for stage in ["load ", "score ", "write scores ", "total "] {
        assert!(line.contains(stage), "{stage:?} missing from {line}");
    }
    // Nothing is printed, so no row is explained.
    assert!(!line.contains("explain"), "{line}");

    let printed = bin(dir.path())
        .arg("detect")
        .arg(repo("tests/fixtures/iforest/clusters.csv"))
        .arg("--timings")
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&printed.get_output().stderr).into_owned();
    assert!(stderr.contains("explain top rows "), "{stderr}");
    assert!(!stderr.contains("write scores"), "{stderr}");
}
