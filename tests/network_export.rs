//! `detect --flagged-out-lines` on Zeek conn.logs: the header lines and exactly the lines of the
//! flagged hosts' connections (or of the flagged time buckets), byte for byte and in input order,
//! for both of Zeek's writers and for hosts ranked by source or by destination; for a capture, a
//! pcap of the flagged hosts' packets; for flow records, the header and their records.

use std::collections::HashSet;
use std::io::Read;
use std::path::Path;

use crate::util::{bin, data, run_ok, tempdir};

/// The lines of a file (gunzipped when it ends in `.gz`).
fn lines_of(path: &Path) -> Vec<String> {
    let raw = std::fs::read(path).expect("read");
    let text = if path.extension().is_some_and(|e| e == "gz") {
        let mut s = String::new();
        flate2::read::MultiGzDecoder::new(&raw[..])
            .read_to_string(&mut s)
            .expect("gunzip");
        s
    } else {
        String::from_utf8(raw).expect("UTF-8")
    };
    text.lines().map(str::to_string).collect()
}

/// The flagged hosts of a hosts view's scores file (`client,anomaly_score,flagged`).
fn flagged_hosts(scores: &Path) -> HashSet<String> {
    lines_of(scores)
        .iter()
        .skip(1)
        .filter(|l| l.ends_with(",1"))
        .map(|l| l.split(',').next().unwrap_or_default().to_string())
        .collect()
}

/// The hosts view of the file at `path`: every host's features, by address.
pub(crate) fn hosts_of(path: &Path) -> std::collections::BTreeMap<String, Vec<f64>> {
    let ds = trafficlens::data::load(path, &trafficlens::data::LoadOptions::default())
        .expect("the file loads");
    let labels = ds.row_labels.as_ref().expect("hosts");
    (0..ds.n_rows())
        .map(|r| {
            (
                labels.values[r].clone(),
                ds.columns.iter().map(|c| c[r]).collect(),
            )
        })
        .collect()
}

/// Writes a small generated network (40 workstations, a day, seed 3) to `dir` as `n.log` and
/// `n.pcap`.
pub(crate) fn small_capture(dir: &Path) {
    bin(dir)
        .args([
            "generate",
            "--network",
            "--hosts",
            "40",
            "--days",
            "1",
            "--seed",
            "3",
        ])
        .args(["--out", "n.log", "--pcap", "n.pcap"])
        .assert()
        .success();
}

/// Checks that the hosts of an export (`part`) are exactly `flagged`, each with the numbers it
/// has in the whole file: connections, peers, ports, failed share, bytes out and in, out/in
/// ratio and mean duration (the rare-port share and the periodicity depend on the other hosts
/// and are not compared).
fn same_hosts(
    whole: &std::collections::BTreeMap<String, Vec<f64>>,
    part: &std::collections::BTreeMap<String, Vec<f64>>,
    flagged: &HashSet<String>,
    what: &str,
) {
    assert_eq!(
        &part.keys().cloned().collect::<HashSet<_>>(),
        flagged,
        "{what}: the hosts of the export"
    );
    for (host, values) in part {
        assert_eq!(values[..8], whole[host][..8], "{what}: {host}");
    }
}

/// Runs `detect` on `input` with `args`, the scores and the lines written into `dir`.
fn detect(dir: &Path, input: &Path, args: &[&str]) -> (HashSet<String>, Vec<String>) {
    run_ok(bin(dir).arg("detect").arg(input).args(args).args([
        "--scores-out",
        "scores.csv",
        "--flagged-out-lines",
        "lines.log",
    ]));
    (
        flagged_hosts(&dir.join("scores.csv")),
        lines_of(&dir.join("lines.log")),
    )
}

#[test]
fn a_tab_separated_conn_log_gives_its_header_and_the_flagged_sources_lines() {
    let dir = tempdir();
    let input = data("zeek/traffic.log.gz");
    let (flagged, written) = detect(dir.path(), &input, &[]);
    assert!(flagged.contains("10.0.1.66"), "the scanner is flagged");
    // Expected: every header line, and every data line whose id.orig_h (the second field of this
    // file's #fields) is a flagged host.
    let expected: Vec<String> = lines_of(&input)
        .into_iter()
        .filter(|l| l.starts_with('#') || flagged.contains(l.split('\t').nth(1).unwrap_or("")))
        .collect();
    assert!(expected.len() > 600, "the scan's 600 lines at least");
    assert_eq!(written, expected);
    // Read back, it has the flagged hosts as its sources.
    let again = tempdir();
    let back = bin(again.path())
        .arg("detect")
        .arg(dir.path().join("lines.log"))
        .args(["--scores-out", "s.csv"])
        .output()
        .expect("run");
    assert!(back.status.success());
    let hosts: HashSet<String> = lines_of(&again.path().join("s.csv"))
        .iter()
        .skip(1)
        .map(|l| l.split(',').next().unwrap_or_default().to_string())
        .collect();
    assert_eq!(hosts, flagged);
}

#[test]
fn json_lines_ranked_by_destination_give_the_lines_made_to_the_flagged_hosts() {
    let dir = tempdir();
    let input = data("zeek/conn.json");
    let (flagged, written) = detect(
        dir.path(),
        &input,
        &["--by", "destination", "--contamination", "0.3"],
    );
    assert!(!flagged.is_empty());
    let expected: Vec<String> = lines_of(&input)
        .into_iter()
        .filter(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("JSON");
            v["id.resp_h"].as_str().is_some_and(|h| flagged.contains(h))
        })
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(written, expected);
}

#[test]
fn the_traffic_view_gives_the_lines_of_the_flagged_buckets() {
    // The night scan's hour is flagged (tests/network_traffic.rs); the flagged rows' connection
    // counts add up to the lines written.
    let dir = tempdir();
    run_ok(
        bin(dir.path())
            .arg("detect")
            .arg(data("zeek/traffic.log.gz"))
            .args(["--view", "traffic", "--bucket", "1h", "--algo", "seasonal"])
            .args([
                "--flagged-out",
                "flagged.csv",
                "--flagged-out-lines",
                "lines.log",
            ]),
    );
    let flagged = lines_of(&dir.path().join("flagged.csv"));
    let header: Vec<&str> = flagged[0].split(',').collect();
    let col = header
        .iter()
        .position(|h| *h == "connections")
        .expect("a connections column");
    let connections: f64 = flagged
        .iter()
        .skip(1)
        .map(|l| {
            l.split(',')
                .nth(col)
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
        })
        .sum();
    let written = lines_of(&dir.path().join("lines.log"));
    let data_lines = written.iter().filter(|l| !l.starts_with('#')).count();
    assert_eq!(data_lines as f64, connections);
    let scan = written
        .iter()
        .filter(|l| l.split('\t').nth(1) == Some("10.0.1.66"))
        .count();
    assert_eq!(scan, 600, "the scan's hour is exported whole");
}

#[test]
fn a_capture_gives_a_pcap_of_the_flagged_hosts_packets() {
    let dir = tempdir();
    small_capture(dir.path());
    let (flagged, _) = {
        run_ok(
            bin(dir.path())
                .args(["detect", "n.pcap", "--scores-out", "scores.csv"])
                .args(["--flagged-out-lines", "flagged.pcap"]),
        );
        (flagged_hosts(&dir.path().join("scores.csv")), ())
    };
    assert!(!flagged.is_empty());
    // Read back, the export has exactly the flagged hosts as sources, each with all of its
    // connections (the same hosts-view numbers as in the whole capture).
    let whole = hosts_of(&dir.path().join("n.pcap"));
    let part = hosts_of(&dir.path().join("flagged.pcap"));
    same_hosts(&whole, &part, &flagged, "the capture");
}

#[test]
fn flow_records_give_their_header_and_the_flagged_hosts_records() {
    // nfdump and Argus writings of the same capture (tests/data/flows, scripts/gen_flow_fixtures.sh):
    // the export, read back, has exactly the flagged hosts, each with the connections, peers,
    // ports, failed share, bytes, ratio and duration it has in the whole file.
    for file in ["flows/mixed.nfdump.csv", "flows/mixed.binetflow"] {
        let dir = tempdir();
        let input = data(file);
        let (flagged, written) = detect(dir.path(), &input, &["--contamination", "0.3"]);
        assert!(!flagged.is_empty(), "{file}");
        let original = lines_of(&input);
        assert_eq!(written[0], original[0], "{file}: the header first");
        assert!(
            written.iter().all(|l| original.contains(l)),
            "{file}: lines as in the input"
        );
        let (whole, part) = (hosts_of(&input), hosts_of(&dir.path().join("lines.log")));
        same_hosts(&whole, &part, &flagged, file);
    }
}
