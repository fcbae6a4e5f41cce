//! Network traffic over time: the traffic view of a Zeek conn.log (and of a capture) with its
//! bucket values checked against counts made by hand, and a port scan at night flagged by the
//! seasonal detector.

use trafficlens::data::access::{Bucket, LogOptions, LogView};
use trafficlens::data::{load, LoadOptions};

use crate::util::{bin, data, tempdir};

/// Load options for the traffic view in `seconds`-wide buckets.
fn traffic(seconds: i64) -> LoadOptions {
    LoadOptions {
        log: LogOptions {
            view: LogView::Traffic,
            bucket: Some(Bucket { seconds }),
            ..LogOptions::default()
        },
        ..LoadOptions::default()
    }
}

#[test]
fn conn_log_buckets_match_counts_made_by_hand() {
    // tests/data/zeek/conn.log, in 10 s buckets from 2026-03-02 09:00:00 UTC:
    // 09:00:00 holds the two connections of 192.168.10.21 (to the resolver, 38+54 bytes, and to
    //   93.184.215.14, 1532+48211 bytes) and the three of the scanner 192.168.10.34 to
    //   192.168.10.5 (S0, REJ, RSTO: failed, no bytes): 5 connections, 49,835 bytes, 2 sources,
    //   3 destinations, 3 of 5 failed;
    // 09:00:10 holds 192.168.10.21 to 140.82.121.4 (9214+1208831) and the NTP exchange of
    //   192.168.10.50 with 192.168.10.1 (48+48): 2, 1,218,141 bytes, 2 sources, 2 destinations;
    // 09:00:20 holds the beacon of 192.168.10.50 (512+217): 1, 729 bytes, 1, 1.
    for file in ["zeek/conn.log", "zeek/conn.json", "zeek/conn.log.gz"] {
        let ds = load(data(file), &traffic(10)).expect("loads");
        assert_eq!(
            ds.feature_names,
            [
                "connections",
                "bytes",
                "distinct sources",
                "distinct destinations",
                "failed share"
            ],
            "{file}"
        );
        let time = ds.time.as_ref().expect("time axis");
        assert_eq!(
            time.millis,
            [1_772_442_000_000, 1_772_442_010_000, 1_772_442_020_000],
            "{file}"
        );
        assert_eq!(ds.columns[0], [5.0, 2.0, 1.0], "{file}");
        assert_eq!(ds.columns[1], [49_835.0, 1_218_141.0, 729.0], "{file}");
        assert_eq!(ds.columns[2], [2.0, 2.0, 1.0], "{file}");
        assert_eq!(ds.columns[3], [3.0, 2.0, 1.0], "{file}");
        assert_eq!(ds.columns[4], [0.6, 0.0, 0.0], "{file}");
        let net = ds.network.as_ref().expect("network table");
        assert_eq!(net.view, LogView::Traffic);
        assert!(ds
            .warnings
            .iter()
            .any(|w| w == "10s buckets from 2026-03-02 09:00:00 (UTC)"));
    }
}

#[test]
fn an_empty_bucket_is_kept_and_the_bucket_is_chosen_when_not_given() {
    // In 5 s buckets 09:00:05 has no connection: it is a row of zeros, not a gap.
    let ds = load(data("zeek/conn.log"), &traffic(5)).expect("loads");
    assert_eq!(ds.columns[0], [5.0, 0.0, 1.0, 1.0, 1.0]);
    assert_eq!(ds.columns[4][1], 0.0);
    // Without a bucket: 1 minute for a span this short (as for access logs).
    let mut options = traffic(5);
    options.log.bucket = None;
    let ds = load(data("zeek/conn.log"), &options).expect("loads");
    assert_eq!(ds.columns[0], [8.0]);
    let net = ds.network.as_ref().expect("network table");
    assert_eq!(net.bucket, Some(Bucket { seconds: 60 }));
    // A grouping meant for access logs is said to be left aside, not silently dropped.
    options.log.group = trafficlens::data::access::LogGroup::VirtualHost;
    let ds = load(data("zeek/conn.log"), &options).expect("loads");
    assert!(ds
        .warnings
        .iter()
        .any(|w| w.starts_with("columns per region or per virtual host are for access logs")));
}

#[test]
fn a_port_scan_at_night_is_a_flagged_bucket() {
    // scripts/gen_conn_traffic_fixture.py: ten days, busy by day; 600 rejected connections of a
    // port scan on day 8 at 03:10 UTC: hour 7 * 24 + 3 = 171.
    let dir = tempdir();
    let out = bin(dir.path())
        .arg("detect")
        .arg(data("zeek/traffic.log.gz"))
        .args([
            "--view",
            "traffic",
            "--bucket",
            "1h",
            "--algo",
            "seasonal",
            "--scores-out",
            "s.csv",
        ])
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let scores = std::fs::read_to_string(dir.path().join("s.csv")).expect("scores");
    let rows: Vec<(usize, f64, bool)> = scores
        .lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            (
                c[0].parse().expect("row"),
                c[1].parse().expect("score"),
                c[2] == "1",
            )
        })
        .collect();
    assert_eq!(rows.len(), 240);
    let flagged: Vec<usize> = rows.iter().filter(|r| r.2).map(|r| r.0).collect();
    // Past the detector's two warm-up days (48 hourly rows scored with little history), the
    // scan's hour is the one flagged bucket and the highest score.
    let settled: Vec<usize> = flagged.iter().copied().filter(|&r| r >= 48).collect();
    assert_eq!(settled, [171], "flagged: {flagged:?}");
    let top = rows[48..]
        .iter()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .expect("rows");
    assert_eq!(top.0, 171, "the scan's hour scores highest");
    // The summary counts buckets, not hosts.
    let out = bin(dir.path())
        .arg("detect")
        .arg(data("zeek/traffic.log.gz"))
        .args(["--view", "traffic", "--bucket", "1h", "--algo", "seasonal"])
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("240 buckets x 5 features"), "{stdout}");
    assert!(
        stdout.contains("connections = 602 on Mon 9 Mar 2026 03:00, expected 5.54"),
        "{stdout}"
    );
}

#[test]
fn flow_records_and_their_capture_give_the_same_traffic_view() {
    // The traffic view is made from the connections, whatever file they came from: the
    // capture's flows and the flow records the real tools wrote from it count the same
    // connections, sources and destinations in every minute.
    let columns = |rel: &str| {
        let ds = load(data(rel), &traffic(60)).unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert_eq!(ds.feature_names[0], "connections", "{rel}");
        ds.columns
    };
    let capture = columns("pcap/scan.pcap");
    assert_eq!(capture[0].iter().sum::<f64>(), 120.0);
    for rel in ["flows/scan.nfdump.csv", "flows/scan.binetflow"] {
        let flows = columns(rel);
        for c in [0, 2, 3] {
            assert_eq!(flows[c], capture[c], "{rel}, column {c}");
        }
    }
}
