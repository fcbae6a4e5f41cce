//! Checks on the reference data set in ../shared/data (ignored where it is absent; CI runs them).

use trafficlens::data::stats::describe;
use trafficlens::data::{load, LoadOptions};
use trafficlens::zone::Zone;

use crate::sample_data::check_against_describe;
use crate::util::{assert_sig, bin, read_fixture, shared, tempdir};

#[test]
#[ignore = "needs ../shared/data"]
fn reference_file_statistics_match_pandas() {
    let ds = load(shared("regional_web_traffic.csv"), &LoadOptions::default()).expect("load");
    assert_eq!(ds.n_rows(), 526);
    let names: Vec<String> = (1..=6).map(|i| format!("Region {i}")).collect();
    assert_eq!(ds.feature_names, names);
    let stats = describe(&ds);
    let time = stats.time.as_ref().expect("time");
    assert_eq!(Zone::Unstated.format(time.start), "2021-01-01");
    assert_eq!(Zone::Unstated.format(time.end), "2022-06-10");
    assert_eq!(time.interval_name(), "daily");
    let (header, rows) = read_fixture("tests/fixtures/regional_describe.csv");
    check_against_describe(&stats, &header, &rows);
    let (_, corr) = read_fixture("tests/fixtures/regional_corr.csv");
    for (i, (_, row)) in corr.iter().enumerate() {
        for (j, v) in row.iter().enumerate() {
            assert_sig(stats.correlation[i][j], *v, 10, &format!("corr[{i}][{j}]"));
        }
    }
}

#[test]
#[ignore = "needs ../shared/data"]
fn stats_command_on_the_reference_file() {
    let dir = tempdir();
    let out = bin(dir.path())
        .arg("stats")
        .arg(shared("regional_web_traffic.csv"))
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Rows       526 (526 analysed"), "{text}");
    assert!(
        text.contains("6 features (Region 1, Region 2, Region 3, Region 4, Region 5, Region 6)"),
        "{text}"
    );
    assert!(
        text.contains("2021-01-01 to 2022-06-10 (d/m/Y dates), interval daily"),
        "{text}"
    );
    // pandas: Region 2 mean 166.377523, std 88.645325, 25% 127.111143, 50% 153.490292, 75% 192.370810
    let line = text
        .lines()
        .find(|l| l.starts_with("Region 2 "))
        .expect("Region 2 row");
    for v in ["166.378", "88.6453", "127.111", "153.49", "192.371"] {
        assert!(line.split_whitespace().any(|x| x == v), "{v} in {line}");
    }

    let out = bin(dir.path())
        .args(["stats", "--json"])
        .arg(shared("regional_web_traffic.csv"))
        .output()
        .expect("run");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(json["rows"], 526);
    assert_eq!(json["time"]["interval"], "daily");
    assert_eq!(json["time"]["start"], "2021-01-01");
    assert_eq!(json["statistics"]["features"][1]["name"], "Region 2");
}
