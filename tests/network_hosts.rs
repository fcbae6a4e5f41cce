//! Network traffic: Zeek conn.log in both writers (and gzip) read into the hosts view, bad lines
//! reported with their line numbers, and synthesised attackers ranked first by `detect` with
//! the matching reason.

use std::io::Write;
use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};
use rand_pcg::Pcg64;

use trafficlens::data::{load, LoadError, LoadOptions};

use crate::util::{bin, data, run_ok, tempdir};

/// Start of the synthesised traffic, epoch seconds (2026-03-02 09:00 UTC).
const T0: f64 = 1_772_442_000.0;

/// One connection: start, originator, responder, port, duration, bytes each way, state.
struct Conn {
    ts: f64,
    orig: String,
    resp: String,
    port: u16,
    duration: Option<f64>,
    out: u64,
    inn: u64,
    state: &'static str,
    label: &'static str,
}

/// Synthesised traffic: 40 workstations browsing, resolving names and fetching mail at random
/// times over 6 hours, plus a vertical port scanner (1,000 ports of one server in 40 s, almost
/// all rejected), an SSH brute forcer (212 connections to one server's port 22 in 3 minutes)
/// a workstation that beacons to 203.0.113.7:443 every 60 s (+-2 s) for 5 hours besides its
/// ordinary traffic, and a host that uploads 2.3 GB to one outside address.
fn synthesise(seed: u64) -> Vec<Conn> {
    let mut rng = Pcg64::seed_from_u64(seed);
    let mut conns = Vec::new();
    let servers: Vec<String> = (1..=30).map(|i| format!("198.51.100.{i}")).collect();
    let hours = 6.0 * 3600.0;
    for w in 1..=41 {
        let me = format!("10.0.1.{w}");
        let rate = rng.random_range(60.0..200.0) / hours;
        let mut t = T0;
        loop {
            // Exponential gaps: connections at random times.
            t += -(1.0 - rng.random::<f64>()).ln() / rate;
            if t > T0 + hours {
                break;
            }
            let kind = rng.random::<f64>();
            let (resp, port, out, inn, duration) = if kind < 0.2 {
                (
                    "10.0.0.53".to_string(),
                    53,
                    40,
                    90,
                    rng.random_range(0.001..0.05),
                )
            } else if kind < 0.3 {
                (
                    "10.0.0.25".to_string(),
                    993,
                    rng.random_range(500..3000),
                    rng.random_range(2000..90_000),
                    rng.random_range(0.5..20.0),
                )
            } else {
                let s = servers[rng.random_range(0..servers.len())].clone();
                let port = if rng.random::<f64>() < 0.8 { 443 } else { 80 };
                (
                    s,
                    port,
                    rng.random_range(300..5000),
                    rng.random_range(3000..400_000),
                    rng.random_range(0.05..60.0),
                )
            };
            let failed = rng.random::<f64>() < 0.02;
            conns.push(Conn {
                ts: t,
                orig: me.clone(),
                resp,
                port,
                duration: (!failed).then_some(duration),
                out: if failed { 0 } else { out },
                inn: if failed { 0 } else { inn },
                state: if failed { "S0" } else { "SF" },
                label: "benign",
            });
        }
    }
    // The beacon: the last workstation (10.0.1.41) also calls home every 60 s (+-2 s).
    let jitter = Normal::new(0.0, 2.0).expect("valid normal");
    let mut t = T0 + 600.0;
    while t < T0 + 600.0 + 5.0 * 3600.0 {
        conns.push(Conn {
            ts: t,
            orig: "10.0.1.41".into(),
            resp: "203.0.113.7".into(),
            port: 443,
            duration: Some(rng.random_range(0.2..0.6)),
            out: rng.random_range(400..700),
            inn: rng.random_range(150..300),
            state: "SF",
            label: "Malicious C&C",
        });
        t += 60.0 + jitter.sample(&mut rng);
    }
    // The vertical port scan: 1,000 ports of 10.0.0.5 in 40 s.
    let start = T0 + 7200.0;
    for p in 1..=1000u16 {
        let open = [22, 80, 443].contains(&p);
        conns.push(Conn {
            ts: start + 0.04 * f64::from(p - 1),
            orig: "10.0.1.66".into(),
            resp: "10.0.0.5".into(),
            port: p,
            duration: open.then_some(0.001),
            out: 0,
            inn: 0,
            state: if open { "RSTO" } else { "REJ" },
            label: "Malicious PartOfAVerticalPortScan",
        });
    }
    // SSH brute force: 212 connections to 10.0.0.22:22 in about 3 minutes.
    let start = T0 + 3.0 * 3600.0;
    for k in 0..212 {
        conns.push(Conn {
            ts: start + 0.85 * f64::from(k) + rng.random_range(0.0..0.3),
            orig: "10.0.1.77".into(),
            resp: "10.0.0.22".into(),
            port: 22,
            duration: Some(rng.random_range(1.5..3.0)),
            out: rng.random_range(1200..1600),
            inn: rng.random_range(1800..2300),
            state: if k % 5 == 0 { "RSTO" } else { "SF" },
            label: "Malicious SSH brute force",
        });
    }
    // Exfiltration: 23 uploads of 100 MB to one outside host over 4 hours, answered with
    // 2.5 MB in all.
    for k in 0..23 {
        conns.push(Conn {
            ts: T0 + 3600.0 + 600.0 * f64::from(k) + rng.random_range(0.0..300.0),
            orig: "10.0.1.99".into(),
            resp: "192.0.2.200".into(),
            port: 443,
            duration: Some(rng.random_range(60.0..120.0)),
            out: 100_000_000,
            inn: 2_500_000 / 23,
            state: "SF",
            label: "Malicious exfiltration",
        });
    }
    conns.sort_by(|a, b| a.ts.total_cmp(&b.ts));
    conns
}

/// The connections as Zeek's tab-separated writer writes them (with a `label` column, as
/// labelled research data sets have).
fn write_tsv(conns: &[Conn], out: &mut impl Write) -> std::io::Result<()> {
    writeln!(out, "#separator \\x09")?;
    writeln!(out, "#set_separator\t,")?;
    writeln!(out, "#empty_field\t(empty)")?;
    writeln!(out, "#unset_field\t-")?;
    writeln!(out, "#path\tconn")?;
    writeln!(out, "#open\t2026-03-02-09-00-00")?;
    writeln!(out, "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tmissed_bytes\thistory\ttunnel_parents\tlabel")?;
    writeln!(out, "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tcount\tstring\tset[string]\tstring")?;
    for (i, c) in conns.iter().enumerate() {
        let proto = if c.port == 53 { "udp" } else { "tcp" };
        let dur = c.duration.map_or("-".into(), |d| format!("{d:.6}"));
        let (ob, rb) = if c.state == "S0" {
            ("-".to_string(), "-".to_string())
        } else {
            (c.out.to_string(), c.inn.to_string())
        };
        writeln!(
            out,
            "{:.6}\tC{i:017}\t{}\t{}\t{}\t{}\t{proto}\t-\t{dur}\t{ob}\t{rb}\t{}\t0\t-\t(empty)\t{}",
            c.ts,
            c.orig,
            40000 + i % 20000,
            c.resp,
            c.port,
            c.state,
            c.label
        )?;
    }
    writeln!(out, "#close\t2026-03-02-15-00-00")
}

/// The connections as Zeek's JSON writer writes them (unset fields left out).
fn write_json(conns: &[Conn], out: &mut impl Write) -> std::io::Result<()> {
    for (i, c) in conns.iter().enumerate() {
        let mut o = serde_json::json!({
            // As the tab-separated writer gives it: microseconds.
            "ts": (c.ts * 1e6).round() / 1e6,
            "uid": format!("C{i:017}"),
            "id.orig_h": c.orig,
            "id.orig_p": 40000 + i % 20000,
            "id.resp_h": c.resp,
            "id.resp_p": c.port,
            "proto": if c.port == 53 { "udp" } else { "tcp" },
            "conn_state": c.state,
            "label": c.label,
        });
        if let Some(d) = c.duration {
            o["duration"] = serde_json::json!((d * 1e6).round() / 1e6);
        }
        if c.state != "S0" {
            o["orig_bytes"] = c.out.into();
            o["resp_bytes"] = c.inn.into();
        }
        writeln!(out, "{o}")?;
    }
    Ok(())
}

/// Writes the synthesised traffic to `dir` in both writers and gzip; returns the three paths.
fn write_all(dir: &Path) -> [std::path::PathBuf; 3] {
    let conns = synthesise(7);
    let tsv = dir.join("conn.log");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&tsv).expect("create"));
    write_tsv(&conns, &mut f).expect("write");
    f.flush().expect("flush");
    let json = dir.join("conn.json");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&json).expect("create"));
    write_json(&conns, &mut f).expect("write");
    f.flush().expect("flush");
    let gz = dir.join("conn.log.gz");
    let mut e = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).expect("create"),
        flate2::Compression::fast(),
    );
    write_tsv(&conns, &mut e).expect("write");
    e.finish().expect("finish");
    [tsv, json, gz]
}

/// The rows of `detect`'s summary table, best first: (host, the whole row, which ends with the
/// reason).
fn ranked(stdout: &str) -> Vec<(String, String)> {
    stdout
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("host"))
        .skip(1)
        .map(|l| {
            let host = l.split_whitespace().next().unwrap_or_default().to_string();
            (host, l.to_string())
        })
        .collect()
}

#[test]
fn attackers_rank_first_with_their_reasons() {
    let dir = tempdir();
    let [tsv, _, _] = write_all(dir.path());
    let out = run_ok(bin(dir.path()).args(["detect"]).arg(&tsv));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let rows = ranked(&stdout);
    assert_eq!(rows.len(), 20, "{stdout}");
    let top: Vec<&str> = rows[..4].iter().map(|(h, _)| h.as_str()).collect();
    let mut sorted = top.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        ["10.0.1.41", "10.0.1.66", "10.0.1.77", "10.0.1.99"],
        "{stdout}"
    );
    let reason = |host: &str| {
        rows.iter()
            .find(|(h, _)| h == host)
            .map(|(_, l)| l.clone())
            .unwrap_or_default()
    };
    assert!(
        reason("10.0.1.66")
            .contains("vertical port scan: 1,000 ports of 10.0.0.5 in 40 s, 100% failed"),
        "{stdout}"
    );
    assert!(
        reason("10.0.1.77")
            .contains("SSH brute force: 212 connections to port 22 of 10.0.0.22 in 3 minutes"),
        "{stdout}"
    );
    assert!(
        reason("10.0.1.41").contains("beacon to 203.0.113.7:443 every 60 s (+-2 s) for 5.0 hours"),
        "{stdout}"
    );
    assert!(
        reason("10.0.1.99").contains("sent 2.3 GB, 920x what it received"),
        "{stdout}"
    );
    assert!(stdout.contains("(44 hosts x 10 features)"), "{stdout}");
    assert!(stdout.contains("Flagged 4 of 44 hosts"), "{stdout}");
}

#[test]
fn both_writers_and_gzip_give_the_same_hosts_view() {
    let dir = tempdir();
    let [tsv, json, gz] = write_all(dir.path());
    let options = LoadOptions::default();
    let a = load(&tsv, &options).expect("tsv");
    let b = load(&json, &options).expect("json");
    let c = load(&gz, &options).expect("gzip");
    assert_eq!(a.n_rows(), 44);
    assert_eq!(a.feature_names, b.feature_names);
    assert_eq!(a.row_labels, b.row_labels);
    assert_eq!(a.row_labels, c.row_labels);
    for f in 0..a.n_features() {
        for r in 0..a.n_rows() {
            let (x, y) = (a.columns[f][r], b.columns[f][r]);
            assert!(
                // Times near 1.8e9 s carry about 2e-7 s of rounding, and the two writers'
                // texts may round the same microsecond to neighbouring doubles; gaps under a
                // second (the brute forcer's) show it in the 7th digit.
                (x - y).abs() <= 1e-6 * x.abs().max(1.0),
                "{} of row {r}: {x} vs {y}",
                a.feature_names[f]
            );
        }
    }
    assert_eq!(a.columns, c.columns);
    let net = b.network.as_ref().expect("hosts view");
    assert_eq!(net.malformed, 0);
}

#[test]
fn hand_written_fixtures_in_both_writers_agree() {
    let options = LoadOptions::default();
    let tsv = load(data("zeek/conn.log"), &options).expect("tsv");
    let json = load(data("zeek/conn.json"), &options).expect("json");
    let gz = load(data("zeek/conn.log.gz"), &options).expect("gzip");
    let hosts = tsv.row_labels.as_ref().expect("labels");
    assert_eq!(
        hosts.values,
        ["192.168.10.21", "192.168.10.34", "192.168.10.50"]
    );
    assert_eq!(tsv.columns, json.columns);
    assert_eq!(tsv.columns, gz.columns);
    // 192.168.10.34: three connections to 192.168.10.5 (S0, REJ, RSTO), all failed.
    let failed = tsv.feature("failed share").expect("feature");
    assert_eq!(failed, [0.0, 1.0, 0.0]);
    let ports = tsv.feature("distinct destination ports").expect("feature");
    assert_eq!(ports, [2.0, 3.0, 2.0]);
    let out = tsv.feature("bytes out").expect("feature");
    assert_eq!(out, [38.0 + 1532.0 + 9214.0, 0.0, 48.0 + 512.0]);
}

#[test]
fn bad_lines_are_counted_and_shown_with_their_line_numbers() {
    let dir = tempdir();
    let out = bin(dir.path())
        .arg("detect")
        .arg(data("zeek/bad.log"))
        .output()
        .expect("run");
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("3 malformed lines skipped"), "{stderr}");
    assert!(
        stderr.contains("bad.log:11: skipped: 9 fields where the #fields line names 22 (a truncated or damaged line)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("bad.log:12: skipped: 23 fields where the #fields line names 22"),
        "{stderr}"
    );
    assert!(
        stderr.contains("bad.log:13: skipped: `duration` is not a number of seconds: `0.0o4208`"),
        "{stderr}"
    );
    let ds = load(data("zeek/bad.log"), &LoadOptions::default()).expect("loads");
    assert!(
        ds.warnings[0].starts_with("3 of 17 lines"),
        "{:?}",
        ds.warnings
    );
}

#[test]
fn a_log_of_only_bad_lines_and_other_zeek_logs_are_refused() {
    let dir = tempdir();
    let only_bad = dir.path().join("conn.log");
    std::fs::write(
        &only_bad,
        "#separator \\x09\n#fields\tts\tid.orig_h\tid.resp_h\tid.resp_p\tduration\tconn_state\n1.0\ta\tb\t22\tslow\tSF\n",
    )
    .expect("write");
    match load(&only_bad, &LoadOptions::default()) {
        Err(e @ LoadError::NoLogLines { .. }) => {
            let text = e.to_string();
            assert!(
                text.contains("line 3: `duration` is not a number"),
                "{text}"
            );
        }
        other => panic!("expected NoLogLines, got {other:?}"),
    }
    let dns = dir.path().join("dns.log");
    std::fs::write(
        &dns,
        "#separator \\x09\n#path\tdns\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tquery\n1.0\tC1\ta\t5\tb\t53\tx\n",
    )
    .expect("write");
    match load(&dns, &LoadOptions::default()) {
        Err(e @ LoadError::ZeekFields { line: 3, .. }) => {
            assert!(
                e.to_string()
                    .contains("dns.log:3: the #fields line has no conn_state: not a Zeek conn.log"),
                "{e}"
            );
        }
        other => panic!("expected ZeekFields, got {other:?}"),
    }
}

#[test]
fn the_app_opens_a_conn_log_on_its_hosts() {
    use egui_kittest::kittest::Queryable;
    use trafficlens::app::{Persisted, TrafficLensApp};
    use trafficlens::data::Source;

    let dir = tempdir();
    let [tsv, _, _] = write_all(dir.path());
    let app = TrafficLensApp::new(Persisted::default(), Source::File(tsv), || {});
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
    assert_eq!(ds.n_rows(), 44);
    assert_eq!(
        ds.row_labels.as_ref().map(|l| l.name.as_str()),
        Some("host")
    );
    let flags = &h
        .state()
        .state
        .scores
        .as_ref()
        .expect("scored")
        .detection
        .flags;
    assert_eq!(flags.iter().filter(|f| **f).count(), 4);
    // The hosts open on their ranking, listed by address.
    h.get_by_role_and_label(egui::Role::Button, "10.0.1.66");
}

#[test]
fn the_flagged_hosts_export_carries_the_reasons() {
    let dir = tempdir();
    let [tsv, _, _] = write_all(dir.path());
    run_ok(
        bin(dir.path())
            .arg("detect")
            .arg(&tsv)
            .args(["--flagged-out", "flagged.csv"]),
    );
    let text = std::fs::read_to_string(dir.path().join("flagged.csv")).expect("written");
    let mut lines = text.lines();
    let header = lines.next().expect("header");
    assert!(header.starts_with("host,"), "{header}");
    assert!(header.ends_with("explanation"), "{header}");
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 4, "{text}");
    let scan = rows
        .iter()
        .find(|l| l.starts_with("10.0.1.66,"))
        .expect("the scanner is flagged");
    assert!(
        scan.contains("vertical port scan: 1,000 ports of 10.0.0.5"),
        "{scan}"
    );
}

#[test]
fn by_destination_the_targets_are_flagged_with_their_reasons() {
    let dir = tempdir();
    let [tsv, _, _] = write_all(dir.path());
    let out = run_ok(
        bin(dir.path())
            .arg("detect")
            .arg(&tsv)
            .args(["--by", "destination"]),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let rows = ranked(&stdout);
    let flagged: Vec<&(String, String)> = rows
        .iter()
        .filter(|(_, l)| l.split_whitespace().nth(2) == Some("yes"))
        .collect();
    let reason = |host: &str| {
        flagged
            .iter()
            .find(|(h, _)| h == host)
            .map(|(_, l)| l.clone())
            .unwrap_or_default()
    };
    assert!(
        reason("10.0.0.5").contains("port-scanned: 1,000 of its ports by 10.0.1.66 in 40 s"),
        "{stdout}"
    );
    assert!(
        reason("10.0.0.22")
            .contains("SSH brute force target: 212 connections to port 22 from 10.0.1.77"),
        "{stdout}"
    );
    assert!(
        reason("203.0.113.7").contains("beacon target: 10.0.1.41 connects to port 443 every 60 s"),
        "{stdout}"
    );
    assert!(
        reason("192.0.2.200").contains("received 2.3 GB, 920x what it sent"),
        "{stdout}"
    );
    // The scanned host ranks first; besides the four targets, only the busy internal DNS and
    // mail servers are flagged.
    assert_eq!(rows[0].0, "10.0.0.5", "{stdout}");
    assert_eq!(flagged.len(), 6, "{stdout}");
    assert!(stdout.contains("distinct source hosts"), "{stdout}");
}
