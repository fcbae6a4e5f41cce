//! `trafficlens generate --network`: the generated office network's attackers are in the top 1%
//! of `detect`'s ranking (default algorithm and threshold) with the matching reasons, the
//! conn.log and the pcap of the same traffic give the same hosts view, and the labels name the
//! attacking hosts.

use std::collections::HashMap;
use std::path::Path;

use trafficlens::data::{load, Dataset, LoadOptions};

use crate::util::{bin, tempdir};

/// Generates the network into `dir` (conn.log and its labels, and with `pcap` capture.pcap):
/// `hosts` workstations over `days` days from Monday 2026-03-02.
fn generate(dir: &Path, hosts: &str, days: &str, pcap: bool) -> String {
    let mut cmd = bin(dir);
    cmd.args([
        "generate",
        "--network",
        "--out",
        "conn.log",
        "--hosts",
        hosts,
        "--days",
        days,
        "--start",
        "2026-03-02",
        "--seed",
        "1",
    ]);
    if pcap {
        cmd.args(["--pcap", "capture.pcap"]);
    }
    let out = cmd.output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    stderr
}

/// The labels file: (host, kind).
fn labels(dir: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(dir.join("conn_labels.csv")).expect("labels");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("host,kind,start,end"));
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f.len(), 4, "{l}");
            (f[0].to_string(), f[1].to_string())
        })
        .collect()
}

/// The rows of `detect`'s summary table, best first: (host, the whole row).
fn ranked(stdout: &str) -> Vec<(String, String)> {
    stdout
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("host"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .map(|l| {
            let host = l.split_whitespace().next().unwrap_or_default().to_string();
            (host, l.to_string())
        })
        .collect()
}

/// The hosts view's rows by host name.
fn by_host(ds: &Dataset) -> HashMap<String, Vec<f64>> {
    let names = &ds.row_labels.as_ref().expect("hosts").values;
    names
        .iter()
        .enumerate()
        .map(|(r, h)| (h.clone(), ds.row(r)))
        .collect()
}

/// The attack kinds, in the labels file's order.
const KINDS: [&str; 6] = [
    "vertical_scan",
    "horizontal_scan",
    "ssh_brute_force",
    "beacon",
    "slow_exfiltration",
    "dns_flood",
];

/// 1,000 workstations over two days: with the servers, devices, outside mail servers and
/// attackers about 1,250 hosts, so the top 1% is 12 hosts for the 6 attackers.
#[test]
fn generated_attackers_are_in_the_top_percent_with_their_reasons() {
    let dir = tempdir();
    let said = generate(dir.path(), "1000", "2", false);
    assert!(said.contains("over 2 days to conn.log"), "{said}");
    let labels = labels(dir.path());
    let kinds: Vec<&str> = labels.iter().map(|(_, k)| k.as_str()).collect();
    assert_eq!(kinds, KINDS);
    let out = bin(dir.path())
        .args(["detect", "conn.log"])
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let hosts: usize = stdout
        .split(" hosts x 10 features")
        .next()
        .and_then(|s| s.rsplit('(').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no host count:\n{stdout}"));
    let top = hosts / 100;
    assert!(top >= 12, "{hosts} hosts");
    let rows = ranked(&stdout);
    let expected = [
        "vertical port scan: 1,024 ports of 10.20.0.45 in 4",
        "horizontal port scan: port 445 of 254 hosts in 3 minutes, 9",
        "SSH brute force: 300 connections to port 22 of 10.20.0.22 in ",
        "beacon to 203.0.113.7:443 every 60 s (+-2 s) for ",
        "slow exfiltration: sent ",
        "DNS flood: 5,000 queries to 10.20.0.53 in ",
    ];
    for ((host, kind), words) in labels.iter().zip(expected) {
        let rank = rows
            .iter()
            .position(|(h, _)| h == host)
            .unwrap_or_else(|| panic!("{kind} host {host} not in the top 20:\n{stdout}"));
        assert!(
            rank < top,
            "{kind} host {host} ranked {} of {hosts} (top 1% = {top}):\n{stdout}",
            rank + 1
        );
        assert!(rows[rank].1.contains(words), "{kind}: {words}\n{stdout}");
    }
    // The brute force is cut short by a ban: a third of it unanswered.
    let brute = rows.iter().find(|(h, _)| h == "45.155.205.233");
    assert!(
        brute.is_some_and(|(_, row)| row.contains(" minutes, 33% failed")),
        "{stdout}"
    );
}

/// 150 workstations for a day, written as conn.log and as pcap.
#[test]
fn generated_conn_log_and_capture_give_the_same_hosts_view() {
    let dir = tempdir();
    let said = generate(dir.path(), "150", "1", true);
    assert!(said.contains("packets to capture.pcap"), "{said}");
    let labels = labels(dir.path());
    let options = LoadOptions::default();
    let log = load(dir.path().join("conn.log"), &options).expect("conn.log");
    let cap = load(dir.path().join("capture.pcap"), &options).expect("capture");
    assert_eq!(log.feature_names, cap.feature_names);
    let (a, b) = (by_host(&log), by_host(&cap));
    assert_eq!(a.len(), b.len());
    assert!(a.len() > 150, "{}", a.len());
    for (host, x) in &a {
        let y = b
            .get(host)
            .unwrap_or_else(|| panic!("{host} not in the capture"));
        for (f, (u, v)) in x.iter().zip(y).enumerate() {
            // Times near 1.8e9 s carry about 2e-7 s of rounding either way.
            assert!(
                (u - v).abs() <= 1e-6 * u.abs().max(1.0),
                "{host}: {} {u} in the conn.log, {v} in the capture",
                log.feature_names[f]
            );
        }
    }
    let net = cap.network.as_ref().expect("hosts view");
    assert_eq!(net.malformed, 0);
    assert!(net.notes.is_empty(), "{:?}", net.notes);
    // The labels name hosts of the view, one per attack.
    let kinds: Vec<&str> = labels.iter().map(|(_, k)| k.as_str()).collect();
    assert_eq!(kinds, KINDS);
    for (host, _) in &labels {
        assert!(a.contains_key(host), "{host} not in the hosts view");
    }
}
