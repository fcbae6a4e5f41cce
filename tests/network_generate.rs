//! `trafficlens generate --network`: the generated office network's attackers are in the top 1%
//! of `detect`'s ranking (default algorithm and threshold) with the matching reasons, the
//! conn.log and the pcap of the same traffic give the same hosts view, and the labels name the
//! attacking hosts.

use std::collections::HashMap;
use std::path::Path;

use trafficlens::data::{load, Dataset, LoadOptions};

use crate::util::{bin, tempdir};

/// Workstations of the tested network: with the servers, devices, outside mail servers and
/// attackers, about 760 hosts, so the top 1% is 7 hosts for the 6 attackers.
const HOSTS: &str = "600";

/// Generates one day of the network into `dir` (conn.log, its labels and capture.pcap).
fn generate(dir: &Path) -> String {
    let out = bin(dir)
        .args([
            "generate",
            "--network",
            "--out",
            "conn.log",
            "--pcap",
            "capture.pcap",
            "--hosts",
            HOSTS,
            "--days",
            "1",
            "--start",
            "2026-03-02",
            "--seed",
            "15",
        ])
        .output()
        .expect("run");
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

#[test]
fn generated_attackers_are_in_the_top_percent_with_their_reasons_and_both_files_agree() {
    let dir = tempdir();
    let said = generate(dir.path());
    assert!(said.contains("packets to capture.pcap"), "{said}");
    let labels = labels(dir.path());
    let kinds: Vec<&str> = labels.iter().map(|(_, k)| k.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "vertical_scan",
            "horizontal_scan",
            "ssh_brute_force",
            "beacon",
            "slow_exfiltration",
            "dns_flood"
        ]
    );

    // The conn.log and the capture: the same hosts, the same features.
    let options = LoadOptions::default();
    let log = load(&dir.path().join("conn.log"), &options).expect("conn.log");
    let cap = load(&dir.path().join("capture.pcap"), &options).expect("capture");
    assert_eq!(log.feature_names, cap.feature_names);
    let (a, b) = (by_host(&log), by_host(&cap));
    assert_eq!(a.len(), b.len());
    for (host, x) in &a {
        let y = b.get(host).unwrap_or_else(|| panic!("{host} not in the capture"));
        for (f, (u, v)) in x.iter().zip(y).enumerate() {
            // Times near 1.8e9 s carry about 2e-7 s of rounding either way.
            assert!(
                (u - v).abs() <= 1e-6 * u.abs().max(1.0),
                "{host}: {} {u} in the conn.log, {v} in the capture",
                log.feature_names[f]
            );
        }
    }
    assert_eq!(cap.network.as_ref().expect("hosts view").malformed, 0);
    for (host, _) in &labels {
        assert!(a.contains_key(host), "{host} not in the hosts view");
    }

    // `detect` as a user runs it: every attacker in the top 1%, with its reason.
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
    let rows = ranked(&stdout);
    let top = a.len() / 100;
    assert!(top >= labels.len(), "{} hosts", a.len());
    let expected = [
        "vertical port scan: 1,024 ports of 10.20.0.45 in ",
        "horizontal port scan: port 445 of 254 hosts in 2 minutes, ",
        "SSH brute force: 300 connections to port 22 of 10.20.0.22 in 4 minutes",
        "beacon to 203.0.113.7:443 every 60 s (+-2 s) for ",
        "slow exfiltration: sent ",
        "DNS flood: 30,000 queries to 10.20.0.53 in ",
    ];
    for ((host, kind), words) in labels.iter().zip(expected) {
        let rank = rows
            .iter()
            .position(|(h, _)| h == host)
            .unwrap_or_else(|| panic!("{kind} host {host} not ranked:\n{stdout}"));
        assert!(
            rank < top,
            "{kind} host {host} ranked {} of {} (top 1% = {top}):\n{stdout}",
            rank + 1,
            a.len()
        );
        assert!(rows[rank].1.contains(words), "{kind}: {words}\n{stdout}");
    }
}
