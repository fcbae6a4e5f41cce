//! Flow records as text: nfdump CSV and Argus CSV (CTU-13's `binetflow` layout), written by the
//! real tools from the captures of tests/data/pcap (scripts/gen_flow_fixtures.sh), read into the
//! same hosts view as the captures themselves; malformed lines skipped by line number; gzip; the
//! app opening one.

use std::collections::BTreeMap;

use trafficlens::data::formats::flows::FlowFormat;
use trafficlens::data::formats::zeek::hosts::col;
use trafficlens::data::{load, Dataset, FileKind, LoadError, LoadOptions, Source};

use crate::util::{bin, data, tempdir};

/// Per host of a hosts view: connections, distinct peers, distinct ports, failed share (%).
fn hosts(ds: &Dataset) -> BTreeMap<String, [i64; 4]> {
    let labels = &ds.row_labels.as_ref().expect("hosts view").values;
    labels
        .iter()
        .enumerate()
        .map(|(r, host)| {
            let v = |c: usize| ds.columns[c][r];
            (
                host.clone(),
                [
                    v(col::CONNECTIONS) as i64,
                    v(col::DEST_HOSTS) as i64,
                    v(col::DEST_PORTS) as i64,
                    (v(col::FAILED) * 100.0).round() as i64,
                ],
            )
        })
        .collect()
}

/// The hosts view of a fixture.
fn view(rel: &str) -> Dataset {
    load(data(rel), &LoadOptions::default()).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn each_fixture_gives_the_hosts_view_of_its_capture() {
    for (capture, name) in [
        ("http.pcap", "http"),
        ("scan.pcap", "scan"),
        ("mixed.pcap", "mixed"),
        ("dns.pcapng", "dns"),
        ("loopback.pcapng", "loopback"),
    ] {
        let want = hosts(&view(&format!("pcap/{capture}")));
        for (ext, format) in [
            ("nfdump.csv", FlowFormat::Nfdump),
            ("binetflow", FlowFormat::Argus),
            ("argus.csv", FlowFormat::Argus),
        ] {
            let rel = format!("flows/{name}.{ext}");
            let ds = view(&rel);
            assert!(
                matches!(ds.kind, FileKind::FlowRecords { gzip: false, format: f } if f == format),
                "{rel}: {:?}",
                ds.kind
            );
            assert_eq!(hosts(&ds), want, "{rel} against pcap/{capture}");
        }
    }
}

#[test]
fn the_scanner_fails_as_often_in_every_format() {
    for rel in [
        "pcap/scan.pcap",
        "flows/scan.nfdump.csv",
        "flows/scan.binetflow",
        "flows/scan.argus.csv",
    ] {
        let h = hosts(&view(rel));
        // 120 ports tried: 107 rejected, 11 unanswered, 2 open and reset by the scanner.
        assert_eq!(h.get("10.0.0.66"), Some(&[120, 1, 120, 100]), "{rel}");
    }
}

#[test]
fn detect_ranks_the_scanner_first_with_its_reason_in_every_format() {
    let dir = tempdir();
    for (rel, summary, took) in [
        (
            "mixed.nfdump.csv",
            "270 connections between 25 addresses (nfdump CSV flow records)",
            // nfdump's CSV gives start times in whole seconds.
            "in 0 ms",
        ),
        (
            "mixed.binetflow",
            "270 connections between 25 addresses (Argus CSV flow records)",
            "in 745 ms",
        ),
    ] {
        let out = bin(dir.path())
            .arg("detect")
            .arg(data(&format!("flows/{rel}")))
            .output()
            .expect("runs");
        assert!(out.status.success(), "{rel}: {out:?}");
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        assert!(stderr.contains(summary), "{rel}: {stderr}");
        let first = stdout
            .lines()
            .find(|l| l.trim_start().starts_with("10."))
            .expect("a ranked host");
        assert!(first.trim_start().starts_with("10.0.0.66 "), "{stdout}");
        let reason = format!("vertical port scan: 150 ports of 10.0.0.5 {took}, 100% failed");
        assert!(first.contains(&reason), "{rel}: {first}");
    }
}

#[test]
fn the_label_column_is_carried_and_gzip_reads_the_same() {
    let plain = view("flows/scan.binetflow");
    let gz = view("flows/scan.binetflow.gz");
    assert!(matches!(
        gz.kind,
        FileKind::FlowRecords {
            gzip: true,
            format: FlowFormat::Argus
        }
    ));
    assert_eq!(hosts(&gz), hosts(&plain));
    let read = trafficlens::data::formats::flows::read_flow_records(
        &Source::File(data("flows/scan.binetflow")),
        false,
        FlowFormat::Argus,
        trafficlens::control::Control::default(),
    )
    .expect("reads");
    assert!(read.log.other_fields.contains(&"Label".to_string()));
    assert_eq!(read.log.connections(), 120);
}

#[test]
fn malformed_lines_are_skipped_with_their_line_numbers() {
    let ds = view("flows/bad.nfdump.csv");
    let table = ds.network.as_ref().expect("hosts table");
    assert_eq!(table.malformed, 3);
    let lines: Vec<u64> = table.samples.iter().map(|m| m.line).collect();
    assert_eq!(lines, vec![3, 5, 6]);
    assert_eq!(
        table.samples[0].reason,
        "`da` is not an IP address: `10.0.0`"
    );
    assert!(table.samples[1]
        .reason
        .ends_with("fields where the header has 48"));
    assert_eq!(table.samples[2].reason, "`dp` is not a port: `http`");
    assert!(
        ds.warnings[0].starts_with("3 of ") && ds.warnings[0].contains("first: line 3: "),
        "{}",
        ds.warnings[0]
    );
    let ds = view("flows/bad.binetflow");
    let table = ds.network.as_ref().expect("hosts table");
    let lines: Vec<(u64, &str)> = table
        .samples
        .iter()
        .map(|m| (m.line, m.reason.as_str()))
        .collect();
    assert_eq!(
        lines,
        vec![
            (
                2,
                "`StartTime` is not a date and time: `00:00:01.000000` (ra needs a time format with the date)"
            ),
            (3, "`Sport` is not a port: `0xZZ`")
        ]
    );
    assert_eq!(hosts(&ds).get("10.0.0.11").map(|h| h[0]), Some(1));
}

#[test]
fn headers_without_what_a_record_needs_are_refused_by_line() {
    let dir = tempdir();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).expect("write");
        p
    };
    let p = write(
        "a.csv",
        "StartTime,Dur,SrcAddr,DstAddr\n2026/01/01 00:00:01,0,10.0.0.1,10.0.0.2\n",
    );
    match load(&p, &LoadOptions::default()) {
        Err(e @ LoadError::FlowHeader { line: 1, .. }) => {
            let text = e.to_string();
            assert!(text.contains("has no Proto, Sport, Dport, State"), "{text}");
        }
        other => panic!("expected FlowHeader, got {other:?}"),
    }
    let p = write("b.csv", "ts,te,td,sa,da\n");
    assert!(matches!(
        load(&p, &LoadOptions::default()),
        Err(LoadError::FlowHeader { line: 1, .. })
    ));
    let head = "ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt\n";
    let p = write("c.csv", &format!("{head}Summary\nflows,bytes\n0,0\n"));
    assert!(matches!(
        load(&p, &LoadOptions::default()),
        Err(LoadError::NoFlowRecords { .. })
    ));
    let p = write("d.csv", &format!("{head}x,y\n"));
    match load(&p, &LoadOptions::default()) {
        Err(LoadError::NoLogLines {
            malformed: 1,
            first,
            ..
        }) => {
            assert!(first.starts_with("line 2"), "{first}")
        }
        other => panic!("expected NoLogLines, got {other:?}"),
    }
}

#[test]
fn the_app_opens_flow_records_on_their_hosts() {
    use egui_kittest::kittest::Queryable;
    use trafficlens::app::{Persisted, TrafficLensApp};

    let source = Source::File(data("flows/mixed.nfdump.csv"));
    let app = TrafficLensApp::new(Persisted::default(), source, || {});
    let mut h = egui_kittest::Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_ui_state(|ui, app: &mut TrafficLensApp| app.ui_frame(ui), app);
    let started = std::time::Instant::now();
    while h.state().state.scores.is_none() || h.state().state.scoring.is_some() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(120),
            "never scored"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
        h.step();
    }
    h.step();
    let ds = h.state().state.dataset.clone().expect("loaded");
    assert_eq!(ds.n_rows(), 21);
    assert!(matches!(ds.kind, FileKind::FlowRecords { .. }));
    h.get_by_role_and_label(egui::Role::Button, "10.0.0.66");
}
