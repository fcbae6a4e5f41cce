//! Packet captures (pcap, pcapng) read into flows: the flows of the committed fixtures
//! (tests/data/pcap/, written by scripts/gen_pcap_fixtures.py) against the conversations tshark
//! finds in them, Zeek's connection states, the same hosts view from pcap and pcapng, and bad
//! captures reported by packet number, never a panic.

use std::collections::HashMap;

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;

use trafficlens::control::Control;
use trafficlens::data::formats::pcap::container::End;
use trafficlens::data::formats::pcap::decode::Proto;
use trafficlens::data::formats::pcap::flow::Flow;
use trafficlens::data::formats::pcap::{read_capture, Capture};
use trafficlens::data::{load, load_source, LoadError, LoadOptions, Source};

use crate::util::{bin, data, tempdir};

/// The capture `rel` in tests/data/pcap.
fn capture(rel: &str) -> Capture {
    read_capture(
        &Source::File(data(&format!("pcap/{rel}"))),
        false,
        Control::default(),
    )
    .expect("reads")
}

/// How many flows of `flows` are in each state.
fn states(flows: &[Flow]) -> HashMap<&'static str, usize> {
    let mut n = HashMap::new();
    for f in flows {
        *n.entry(f.state).or_default() += 1;
    }
    n
}

#[test]
fn flows_match_the_conversations_tshark_finds() {
    for name in [
        "http.pcap",
        "http.pcapng",
        "scan.pcap",
        "dns.pcapng",
        "mixed.pcap",
        "loopback.pcapng",
    ] {
        let c = capture(name);
        let mut ours: HashMap<(String, String, String, String, String), u64> = HashMap::new();
        for f in &c.flows {
            let proto = f.proto.name().to_string();
            let mut ends = [
                (f.orig.to_string(), f.orig_port.to_string()),
                (f.resp.to_string(), f.resp_port.to_string()),
            ];
            ends.sort();
            let [(a, pa), (b, pb)] = ends;
            *ours.entry((proto, a, pa, b, pb)).or_default() += f.orig_packets + f.resp_packets;
        }
        let text = std::fs::read_to_string(data(&format!("pcap/{name}.tshark.csv")))
            .expect("tshark fixture");
        let mut theirs = HashMap::new();
        for line in text.lines().skip(1) {
            let v: Vec<&str> = line.split(',').collect();
            let mut ends = [
                (v[1].to_string(), v[2].to_string()),
                (v[3].to_string(), v[4].to_string()),
            ];
            ends.sort();
            let [(a, pa), (b, pb)] = ends;
            let frames: u64 = v[5].parse().expect("frames");
            theirs.insert((v[0].to_string(), a, pa, b, pb), frames);
        }
        assert!(!theirs.is_empty(), "{name}");
        assert_eq!(ours, theirs, "{name}: flows and packets per conversation");
    }
}

#[test]
fn zeek_states_bytes_and_times_of_the_fixtures() {
    let http = capture("http.pcap");
    assert_eq!(http.packets, 27);
    assert_eq!(states(&http.flows), HashMap::from([("SF", 3)]));
    let f = &http.flows[0];
    assert_eq!(
        (f.orig.to_string(), f.orig_port),
        ("10.0.0.10".into(), 50001)
    );
    assert_eq!((f.resp.to_string(), f.resp_port), ("10.0.0.2".into(), 80));
    assert_eq!((f.orig_packets, f.resp_packets), (6, 3));
    assert_eq!((f.orig_bytes, f.resp_bytes), (300, 4000));
    assert_eq!(
        (f.orig_ip_bytes, f.resp_ip_bytes),
        (6 * 40 + 300, 3 * 40 + 4000)
    );
    assert_eq!(f.start, 1_767_225_601.0);
    assert!((f.duration() - 0.022).abs() < 1e-6, "{}", f.duration());
    // The VLAN-tagged exchange is read like the others.
    assert_eq!(http.flows[2].orig.to_string(), "10.0.0.11");

    let scan = capture("scan.pcap");
    assert_eq!(
        states(&scan.flows),
        HashMap::from([("REJ", 107), ("RSTO", 2), ("S0", 11)])
    );
    assert!(scan
        .flows
        .iter()
        .all(|f| f.orig.to_string() == "10.0.0.66" && f.proto == Proto::Tcp));
    // Nanosecond timestamps, big-endian file: the 120 SYNs 5 ms apart.
    let span = scan.flows[119].start - scan.flows[0].start;
    assert!((span - 0.595).abs() < 1e-6, "{span}");

    let dns = capture("dns.pcapng");
    assert_eq!(states(&dns.flows), HashMap::from([("SF", 3), ("S0", 1)]));
    assert_eq!(dns.other, 1, "the ARP packet");
    assert!(dns
        .flows
        .iter()
        .any(|f| f.orig.to_string() == "2001:db8::10"));
    assert!(dns
        .flows
        .iter()
        .all(|f| f.proto == Proto::Udp && f.resp_port == 53));
}

#[test]
fn a_real_loopback_capture_reads_as_zeek_would_name_it() {
    let c = capture("loopback.pcapng");
    assert_eq!(c.packets, 39);
    assert_eq!(
        states(&c.flows),
        HashMap::from([("SF", 3), ("REJ", 1), ("S0", 1)])
    );
    for f in c.flows.iter().filter(|f| f.state == "SF") {
        assert_eq!((f.resp_port, f.orig_packets, f.resp_packets), (8765, 6, 6));
        // The request line and headers; the response headers and body.
        assert_eq!((f.orig_bytes, f.resp_bytes), (88, 190));
    }
    let udp = c.flows.iter().find(|f| f.proto == Proto::Udp).expect("udp");
    assert_eq!((udp.resp_port, udp.orig_bytes, udp.state), (8767, 20, "S0"));
}

#[test]
fn pcap_and_pcapng_of_the_same_packets_give_the_same_flows() {
    let a = capture("http.pcap").flows;
    let b = capture("http.pcapng").flows;
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert!((x.start - y.start).abs() < 1e-6);
        assert_eq!(
            (x.orig, x.resp, x.orig_bytes, x.resp_bytes, x.state),
            (y.orig, y.resp, y.orig_bytes, y.resp_bytes, y.state)
        );
    }
}

#[test]
fn detect_ranks_the_scanner_of_a_capture_first_with_its_reason() {
    let dir = tempdir();
    let run = |name: &str| {
        let out = bin(dir.path())
            .arg("detect")
            .arg(data(&format!("pcap/{name}")))
            .output()
            .expect("runs");
        assert!(out.status.success(), "{name}: {out:?}");
        (
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (pcap, err) = run("mixed.pcap");
    assert!(
        err.contains("270 connections between 25 addresses (pcap; 951 packets)"),
        "{err}"
    );
    let first = pcap
        .lines()
        .find(|l| l.trim_start().starts_with("10."))
        .expect("a ranked host");
    assert!(first.trim_start().starts_with("10.0.0.66 "), "{pcap}");
    assert!(
        first.contains("vertical port scan: 150 ports of 10.0.0.5 in 745 ms, 100% failed"),
        "{first}"
    );
    let (pcapng, _) = run("mixed.pcapng");
    assert_eq!(
        pcap.replace("mixed.pcap ", "X "),
        pcapng.replace("mixed.pcapng ", "X ")
    );
}

#[test]
fn a_capture_cut_short_keeps_its_flows_and_says_where_it_ends() {
    let c = capture("bad/truncated.pcap");
    assert_eq!(c.packets, 26);
    assert_eq!(c.flows.len(), 3);
    match &c.end {
        End::Stopped { packet, reason, .. } => {
            assert_eq!(*packet, 27);
            assert!(reason.contains("cut short"), "{reason}");
        }
        other => panic!("expected a stop, got {other:?}"),
    }
    let ds = load(data("pcap/bad/truncated.pcap"), &LoadOptions::default()).expect("loads");
    assert!(
        ds.warnings
            .iter()
            .any(|w| w.starts_with("packet 27 (at byte ")
                && w.contains("cut short; the 26 packets before it were read")),
        "{:?}",
        ds.warnings
    );
}

#[test]
fn a_damaged_packet_is_skipped_by_number_and_a_damaged_record_stops_the_read() {
    let c = capture("bad/damaged.pcap");
    assert_eq!(c.damaged, 1);
    assert_eq!(c.samples[0].line, 4);
    assert!(
        c.samples[0].reason.contains("IPv4"),
        "{}",
        c.samples[0].reason
    );
    match &c.end {
        End::Stopped { packet, reason, .. } => {
            assert_eq!(*packet, 11);
            assert!(reason.contains("damaged"), "{reason}");
        }
        other => panic!("expected a stop, got {other:?}"),
    }
    assert_eq!(states(&c.flows), HashMap::from([("SF", 1)]));
    let dir = tempdir();
    let out = bin(dir.path())
        .arg("detect")
        .arg(data("pcap/bad/damaged.pcap"))
        .output()
        .expect("runs");
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("damaged.pcap: packet 4: skipped: IPv4"),
        "{err}"
    );
    assert!(
        err.contains("warning:") && err.contains("packet 11 (at byte "),
        "{err}"
    );
}

#[test]
fn unreadable_captures_are_refused_with_their_reason() {
    let err = |rel: &str| match load(data(rel), &LoadOptions::default()) {
        Ok(_) => panic!("{rel} loaded"),
        Err(e) => e,
    };
    let e = err("pcap/bad/wifi.pcap");
    assert!(matches!(e, LoadError::NoFlows { .. }), "{e}");
    assert!(e.to_string().contains("1 packets of link type 105"), "{e}");
    let e = err("pcap/bad/header.pcap");
    assert!(matches!(e, LoadError::CaptureUnreadable { .. }), "{e}");
    assert!(e.to_string().contains("ends inside its header"), "{e}");
    // Through the command line: exit status 3 and the message.
    let dir = tempdir();
    let out = bin(dir.path())
        .arg("detect")
        .arg(data("pcap/bad/wifi.pcap"))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("wifi.pcap: no TCP, UDP or ICMP flow"));
}

#[test]
fn a_gzip_capture_is_read_like_the_plain_one() {
    use std::io::Write;
    let dir = tempdir();
    let path = dir.path().join("capture.bin");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&std::fs::read(data("pcap/mixed.pcapng")).expect("fixture"))
        .expect("in memory");
    std::fs::write(&path, gz.finish().expect("in memory")).expect("write");
    let a = load(&path, &LoadOptions::default()).expect("gzip loads");
    let b = load(data("pcap/mixed.pcapng"), &LoadOptions::default()).expect("loads");
    assert_eq!(
        a.row_labels.map(|l| l.values),
        b.row_labels.map(|l| l.values)
    );
    assert_eq!(a.columns, b.columns);
}

#[test]
fn damaged_bytes_anywhere_never_panic() {
    let mut rng = Pcg64::seed_from_u64(15);
    for name in ["http.pcap", "http.pcapng", "dns.pcapng", "scan.pcap"] {
        let whole = std::fs::read(data(&format!("pcap/{name}"))).expect("fixture");
        for _ in 0..150 {
            let mut bytes = whole.clone();
            for _ in 0..rng.random_range(1..12) {
                // Keep the magic number, so the file is read as a capture.
                let at = rng.random_range(4..bytes.len());
                bytes[at] = rng.random();
            }
            if rng.random_bool(0.3) {
                bytes.truncate(rng.random_range(4..bytes.len()));
            }
            let source = Source::Memory {
                name: name.into(),
                bytes: bytes.into(),
            };
            // Loads or gives an error; either is fine, a panic is not.
            let _ = load_source(source, &LoadOptions::default());
        }
    }
}

#[test]
fn the_app_opens_a_capture_on_its_hosts() {
    use egui_kittest::kittest::Queryable;
    use trafficlens::app::{Persisted, TrafficLensApp};

    let source = Source::File(data("pcap/mixed.pcapng"));
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
    assert_eq!(
        ds.row_labels.as_ref().map(|l| l.name.as_str()),
        Some("host")
    );
    // The hosts open on their ranking, the scanner listed by its address.
    h.get_by_role_and_label(egui::Role::Button, "10.0.0.66");
}
