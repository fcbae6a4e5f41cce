//! Access logs: parsing real-world shapes and bad files, the client and traffic views, ranking
//! the generator's labelled attackers, and the command line's log options and exports.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use trafficlens::analysis::Session;
use trafficlens::control::Control;
use trafficlens::data::access::{LogGroup, LogOptions, LogView};
use trafficlens::data::{load, LoadError, LoadOptions};
use trafficlens::detect::DetectorConfig;
use trafficlens::generate::access_log::{generate_log, LogGeneratorConfig};

use crate::util::{bin, data, tempdir};

/// The generator's default log (seed 0) and its labels, written once for all tests.
pub(crate) fn generated() -> &'static (PathBuf, HashMap<String, String>) {
    static LOG: OnceLock<(PathBuf, HashMap<String, String>)> = OnceLock::new();
    LOG.get_or_init(|| {
        let dir = tempdir().keep();
        let path = dir.join("access.log");
        let mut out = std::fs::File::create(&path).expect("create log");
        let mut labels = Vec::new();
        generate_log(&LogGeneratorConfig::default(), &mut out, &mut labels).expect("generate");
        let labels = String::from_utf8(labels).expect("utf8");
        let map = labels
            .lines()
            .skip(1)
            .map(|l| {
                let mut cells = l.split(',');
                let client = cells.next().expect("client").to_string();
                (client, cells.next().expect("kind").to_string())
            })
            .collect();
        (path, map)
    })
}

fn log_options(view: LogView) -> LoadOptions {
    LoadOptions {
        log: LogOptions {
            view,
            ..LogOptions::default()
        },
        ..LoadOptions::default()
    }
}

/// Scores with the default detector; returns the scores.
fn default_scores(ds: &trafficlens::data::Dataset) -> Vec<f64> {
    Session::new(std::sync::Arc::new(ds.clone()))
        .score(&DetectorConfig::default(), &[], Control::default())
        .expect("fit")
        .detection
        .scores
        .to_vec()
}

#[test]
fn every_single_client_attacker_is_in_the_top_two_percent_and_most_ddos_addresses_in_the_top_tenth()
{
    let (path, labels) = generated();
    let ds = load(path, &log_options(LogView::Clients)).expect("load");
    let clients = &ds.row_labels.as_ref().expect("client labels").values;
    assert!(
        clients.len() > 3000,
        "thousands of clients: {}",
        clients.len()
    );
    let scores = default_scores(&ds);
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let rank: HashMap<&str, usize> = order
        .iter()
        .enumerate()
        .map(|(rank, &row)| (clients[row].as_str(), rank))
        .collect();
    let top2 = clients.len() * 2 / 100;
    for kind in ["scanner", "credential_stuffing", "exfiltration", "crawler"] {
        let (client, _) = labels.iter().find(|(_, k)| *k == kind).expect("labelled");
        let r = rank[client.as_str()];
        assert!(r < top2, "{kind} {client} ranks {r}, not in the top {top2}");
    }
    let ddos: Vec<usize> = labels
        .iter()
        .filter(|(_, k)| *k == "ddos")
        .map(|(c, _)| rank[c.as_str()])
        .collect();
    let in_top10 = ddos.iter().filter(|&&r| r < clients.len() / 10).count();
    assert!(
        2 * in_top10 > ddos.len(),
        "only {in_top10} of {} DDoS addresses in the top 10%",
        ddos.len()
    );
}

#[test]
fn the_traffic_view_flags_the_ddos_buckets() {
    let (path, _) = generated();
    let ds = load(path, &log_options(LogView::Traffic)).expect("load");
    let time = ds.time.as_ref().expect("time axis");
    assert_eq!(
        time.millis[1] - time.millis[0],
        300_000,
        "4 days give 5-minute buckets"
    );
    assert_eq!(
        ds.feature_names,
        ["requests", "bytes", "clients", "4xx rate", "5xx rate"]
    );
    let fitted = Session::new(std::sync::Arc::new(ds.clone()))
        .score(&DetectorConfig::default(), &[], Control::default())
        .expect("fit");
    // The generator's DDoS runs from 20:30 to 20:40 on the second day.
    let start = time.millis[0] + 86_400_000 + (20 * 60 + 30) * 60_000;
    for b in [start, start + 300_000] {
        let row = time.millis.iter().position(|&t| t == b).expect("bucket");
        assert!(
            fitted.detection.flags[row],
            "DDoS bucket {row} is not flagged"
        );
    }
}

#[test]
fn real_world_line_shapes_parse_and_bad_lines_are_counted_with_their_numbers() {
    let ds = load(data("logs/messy.log"), &log_options(LogView::Clients)).expect("load");
    let table = ds.log.as_ref().expect("log");
    let log = &table.log;
    assert_eq!(log.requests(), 7);
    assert_eq!(log.lines, 10);
    assert_eq!(log.blank, 1);
    assert_eq!(log.malformed, 2);
    assert_eq!(log.samples[0].line, 8);
    assert_eq!(log.samples[1].line, 10);
    assert!(
        log.samples[1].reason.contains("cut short"),
        "{}",
        log.samples[1]
    );
    assert!(log.clients.contains(&"2001:db8::ff00:42:8329".to_string()));
    assert!(
        log.clients.contains(&"198.51.100.4".to_string()),
        "the wrapped line"
    );
    assert!(
        ds.warnings[0].contains("2 of 10 lines"),
        "{:?}",
        ds.warnings
    );
    assert!(ds.warnings[0].contains("line 8"), "{:?}", ds.warnings);
    // Out of time order is fine: the traffic view covers 13:55 (20:55 UTC) minute by minute.
    let traffic = load(data("logs/messy.log"), &log_options(LogView::Traffic)).expect("traffic");
    let t = traffic.time.as_ref().expect("time");
    assert_eq!(t.millis.len(), 1);
    assert_eq!(traffic.columns[0], vec![7.0]);
}

/// Loading `path` fails with a message that contains `text`.
fn assert_load_error(path: impl AsRef<Path>, options: &LoadOptions, text: &str) {
    match load(path.as_ref(), options) {
        Ok(_) => panic!(
            "{} loaded; expected an error with `{text}`",
            path.as_ref().display()
        ),
        Err(e) => assert!(e.to_string().contains(text), "{e}"),
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write");
    p
}

const LINE: &str =
    r#"192.0.2.1 - - [01/Feb/2024:10:00:00 +0000] "GET / HTTP/1.1" 200 100 "-" "UA""#;

#[test]
fn a_one_megabyte_line_invalid_utf8_and_a_cut_last_line_are_reported_not_fatal() {
    let dir = tempdir();
    let mut text = Vec::new();
    for _ in 0..5 {
        text.extend_from_slice(LINE.as_bytes());
        text.push(b'\n');
    }
    // Line 6: a 1 MB request path (a valid line), line 7: 1 MB of junk.
    text.extend_from_slice(b"192.0.2.2 - - [01/Feb/2024:10:00:01 +0000] \"GET /");
    text.extend(std::iter::repeat_n(b'a', 1 << 20));
    text.extend_from_slice(b" HTTP/1.1\" 414 0 \"-\" \"UA\"\n");
    text.extend(std::iter::repeat_n(b'x', 1 << 20));
    text.push(b'\n');
    // Line 8: invalid UTF-8 in the user agent (kept), line 9: in the address (refused).
    text.extend_from_slice(b"192.0.2.3 - - [01/Feb/2024:10:00:02 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"\xff\xfe bot\"\n");
    text.extend_from_slice(
        b"192.0.2.\xff - - [01/Feb/2024:10:00:02 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"UA\"\n",
    );
    // Line 10: cut short.
    text.extend_from_slice(b"192.0.2.4 - - [01/Feb/2024:10:00:03 +0000] \"GET / HT");
    let path = write(dir.path(), "big.log", &text);
    let ds = load(&path, &log_options(LogView::Clients)).expect("load");
    let log = &ds.log.as_ref().expect("log").log;
    assert_eq!(log.requests(), 7);
    let lines: Vec<u64> = log.samples.iter().map(|m| m.line).collect();
    assert_eq!(lines, [7, 9, 10]);
    assert!(log.samples[0].text.len() < 200, "samples are cut");
    assert!(log.samples[2].reason.contains("cut short"));
    assert!(
        ds.warnings[0].contains("3 of 10 lines"),
        "{:?}",
        ds.warnings
    );
}

#[test]
fn a_file_that_is_not_a_log_gets_a_clear_error() {
    let dir = tempdir();
    let path = write(
        dir.path(),
        "notes.log",
        b"\nDear diary,\ntoday nothing happened.\n",
    );
    match load(&path, &LoadOptions::default()) {
        Err(e @ LoadError::NotALog { line: 2, .. }) => {
            let msg = e.to_string();
            assert!(msg.contains("notes.log:2: not an access log"), "{msg}");
            assert!(msg.contains("--log-format"), "{msg}");
        }
        other => panic!("expected NotALog, got {other:?}"),
    }
    let path = write(
        dir.path(),
        "binary.log",
        &[0x00, 0x01, 0x02, 0xff, b'\n', 0x00],
    );
    assert!(matches!(
        load(&path, &LoadOptions::default()),
        Err(LoadError::NotALog { .. })
    ));
    let empty = write(dir.path(), "empty.log", b"");
    assert!(matches!(
        load(&empty, &LoadOptions::default()),
        Err(LoadError::Empty { .. })
    ));
    // A format that matches no line says so, with the first line's problem.
    let opts = LoadOptions {
        log: LogOptions {
            format: Some("common".into()),
            ..LogOptions::default()
        },
        ..LoadOptions::default()
    };
    assert_load_error(data("good/iso_zones.csv"), &opts, "no line matches");
}

#[test]
fn gzip_logs_read_like_plain_ones_and_damage_is_reported() {
    use std::io::Write;
    let dir = tempdir();
    let plain = std::fs::read(data("logs/vhost.log")).expect("read");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&plain).expect("gzip");
    let gz = enc.finish().expect("gzip");
    let path = write(dir.path(), "vhost.log.gz", &gz);
    let a = load(&path, &log_options(LogView::Clients)).expect("gz");
    let b = load(data("logs/vhost.log"), &log_options(LogView::Clients)).expect("plain");
    assert_eq!(a.columns, b.columns);
    assert_eq!(a.row_labels, b.row_labels);
    let cut = write(dir.path(), "cut.log.gz", &gz[..gz.len() - 12]);
    assert_load_error(&cut, &log_options(LogView::Clients), "gzip data is damaged");
}

#[test]
fn traffic_per_virtual_host_and_per_region() {
    let hosts = LoadOptions {
        log: LogOptions {
            view: LogView::Traffic,
            group: LogGroup::VirtualHost,
            ..LogOptions::default()
        },
        ..LoadOptions::default()
    };
    let ds = load(data("logs/vhost.log"), &hosts).expect("vhost");
    assert_eq!(
        ds.log.as_ref().expect("log").log.format.name,
        "Combined Log Format (virtual host)"
    );
    let req = |ds: &trafficlens::data::Dataset, name: &str| {
        ds.feature(name).expect(name).iter().sum::<f64>()
    };
    assert_eq!(req(&ds, "requests [shop.example.com]"), 2.0);
    assert_eq!(req(&ds, "requests [blog.example.com]"), 2.0);
    assert_eq!(req(&ds, "5xx rate [shop.example.com]"), 1.0);

    let regions = LoadOptions {
        log: LogOptions {
            view: LogView::Traffic,
            group: LogGroup::Regions(data("logs/regions.csv")),
            ..LogOptions::default()
        },
        ..LoadOptions::default()
    };
    let ds = load(data("logs/nginx_timed.log"), &LoadOptions {
        log: LogOptions {
            format: Some(r#"$host $remote_addr [$time_iso8601] "$request" $status $bytes_sent $request_time"#.into()),
            ..regions.log.clone()
        },
        ..regions.clone()
    })
    .expect("regions");
    assert_eq!(req(&ds, "requests [north]"), 3.0);
    assert_eq!(req(&ds, "requests [south]"), 0.0);
    assert_eq!(req(&ds, "requests [other]"), 0.0);
    // The response time is kept when the format logs it ($request_time in seconds).
    let ms = ds
        .feature("mean response ms [north]")
        .expect("response time");
    assert!((ms[0] - 150.0).abs() < 1e-3, "{ms:?}");
    // Per host needs a host in the format.
    assert_load_error(
        data("logs/messy.log"),
        &hosts,
        "does not record the virtual host",
    );
}

#[test]
fn detect_scores_clients_with_their_address_and_exports_their_lines() {
    let (path, labels) = generated();
    let dir = tempdir();
    let log = path.to_str().expect("path");
    let out = bin(dir.path())
        .args([
            "detect",
            log,
            "--view",
            "clients",
            "--scores-out",
            "s.csv",
            "--flagged-out",
            "f.csv",
            "--flagged-out-lines",
            "lines.log",
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
    assert!(scores.starts_with("client,anomaly_score,flagged\n"));
    let flagged: Vec<&str> = scores
        .lines()
        .skip(1)
        .filter(|l| l.ends_with(",1"))
        .map(|l| l.split(',').next().expect("client"))
        .collect();
    let scanner = labels
        .iter()
        .find(|(_, k)| *k == "scanner")
        .expect("scanner")
        .0
        .as_str();
    assert!(flagged.contains(&scanner));
    let features = std::fs::read_to_string(dir.path().join("f.csv")).expect("features");
    let header = features.lines().next().expect("header");
    assert!(
        header.starts_with("client,requests,requests per active minute,"),
        "{header}"
    );
    assert!(
        header.ends_with(",anomaly_score,top_feature,explanation"),
        "{header}"
    );
    let scanner_row = features
        .lines()
        .find(|l| l.starts_with(&format!("{scanner},")))
        .expect("scanner row");
    assert!(
        scanner_row.contains(",\"a scanner: 2,500 requests, 94% 404, "),
        "{scanner_row}"
    );
    // Every exported line is one of a flagged client's, and all of them are there.
    let lines = std::fs::read_to_string(dir.path().join("lines.log")).expect("lines");
    let set: std::collections::HashSet<&str> = flagged.iter().copied().collect();
    let mut per_client: HashMap<&str, usize> = HashMap::new();
    for l in lines.lines() {
        let c = l.split(' ').next().expect("client");
        assert!(set.contains(c), "{c} is not flagged");
        *per_client.entry(c).or_default() += 1;
    }
    assert_eq!(per_client.len(), flagged.len());
    assert_eq!(per_client[scanner], 2500);
    // Nothing is overwritten without --force.
    let again = bin(dir.path())
        .args(["detect", log, "--flagged-out-lines", "lines.log"])
        .output()
        .expect("run");
    assert_eq!(again.status.code(), Some(2));
}

#[test]
fn detect_scores_time_buckets_with_the_row_header() {
    let (path, _) = generated();
    let dir = tempdir();
    let out = bin(dir.path())
        .args([
            "detect",
            path.to_str().expect("path"),
            "--view",
            "traffic",
            "--bucket",
            "1h",
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
    assert!(scores.starts_with("row,anomaly_score,flagged\n"));
    assert_eq!(scores.lines().count(), 1 + 4 * 24);
    // The DDoS hour (day 2, 20:00) is flagged.
    let ddos_hour = scores.lines().nth(1 + 24 + 20).expect("row");
    assert!(
        ddos_hour.starts_with("44,") && ddos_hour.ends_with(",1"),
        "{ddos_hour}"
    );
    // A bad bucket is a usage error; a bad format names the directive.
    let out = bin(dir.path())
        .args([
            "detect",
            path.to_str().expect("path"),
            "--view",
            "traffic",
            "--bucket",
            "5w",
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let out = bin(dir.path())
        .args([
            "detect",
            path.to_str().expect("path"),
            "--log-format",
            "%h %t %Z",
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`%Z`"));
}

#[test]
fn generate_writes_a_labelled_log_deterministically() {
    let dir = tempdir();
    let run = || {
        bin(dir.path())
            .args([
                "generate",
                "--access-log",
                "--out",
                "a.log.gz",
                "--days",
                "1",
                "--clients",
                "200",
                "--ddos-addresses",
                "20",
                "--force",
            ])
            .output()
            .expect("run")
    };
    assert_eq!(run().status.code(), Some(0));
    let first = std::fs::read(dir.path().join("a.log.gz")).expect("log");
    assert_eq!(run().status.code(), Some(0));
    assert_eq!(
        std::fs::read(dir.path().join("a.log.gz")).expect("log"),
        first
    );
    let labels = std::fs::read_to_string(dir.path().join("a.log_labels.csv")).expect("labels");
    assert!(labels.starts_with("client,kind,start,end\n"));
    assert_eq!(labels.lines().filter(|l| l.contains(",ddos,")).count(), 20);
    let ds = load(dir.path().join("a.log.gz"), &log_options(LogView::Clients)).expect("load");
    assert_eq!(ds.log.as_ref().expect("log").log.malformed, 0);
}

#[test]
fn exported_log_lines_are_formula_safe_atomic_and_never_the_input() {
    use trafficlens::export::{write_log_lines, LineFilter};
    let dir = tempdir();
    let text = format!(
        "{LINE}\n=SUM(1,2) - - [01/Feb/2024:10:00:05 +0000] \"GET /x HTTP/1.1\" 200 1 \"-\" \"UA\"\n"
    );
    let input = write(dir.path(), "f.log", text.as_bytes());
    let ds = load(&input, &log_options(LogView::Clients)).expect("load");
    let log = &ds.log.as_ref().expect("log").log;
    let all = LineFilter::Clients((0..log.clients.len() as u32).collect());
    let out = dir.path().join("lines.log");
    assert_eq!(
        write_log_lines(&out, false, log, &all)
            .expect("write")
            .written,
        2
    );
    let written = std::fs::read_to_string(&out).expect("read");
    assert!(written.contains("\n'=SUM(1,2) - - ["), "{written}");
    // Never over an existing file unless asked, never over the input even when asked.
    assert!(write_log_lines(&out, false, log, &all).is_err());
    assert!(write_log_lines(&input, true, log, &all).is_err());
    assert_eq!(std::fs::read_to_string(&input).expect("input"), text);
    // Buckets: only the lines inside the given times.
    let first = LineFilter::Times(vec![(log.time[0], log.time[0] + 1)]);
    assert_eq!(
        write_log_lines(&out, true, log, &first)
            .expect("write")
            .written,
        1
    );
}
