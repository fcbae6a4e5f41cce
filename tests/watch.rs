//! `trafficlens watch`: restart with `--state` (no gap, no repeat), Ctrl-C, malformed lines,
//! and detection (traffic buckets and client windows) on the labelled access-log generator
//! replayed at full speed.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::util::{bin, generate_access_log, tempdir};

/// Writes a generated access log (`days`, `clients`) to `dir/access.log` (labels beside it).
fn generate(dir: &Path, days: u32, clients: u32) {
    generate_access_log(dir, "access.log", days, clients);
}

/// Replays `log` at full speed with `--state` and `--buckets-out`.
fn replay(dir: &Path, log: &str, state: &str, buckets: &str) {
    bin(dir)
        .args(["watch", "--replay", "max", log, "--state", state])
        .args(["--buckets-out", buckets])
        .assert()
        .success();
}

#[test]
fn a_restart_with_state_continues_without_gaps_or_repeats() {
    let dir = tempdir();
    generate(dir.path(), 2, 300);
    let text = std::fs::read(dir.path().join("access.log")).expect("log");
    // Cut in the middle of the log, at a line break.
    let cut = text[..text.len() / 2]
        .iter()
        .rposition(|&b| b == b'\n')
        .expect("a line break")
        + 1;
    replay(dir.path(), "access.log", "whole.state", "whole.jsonl");

    std::fs::write(dir.path().join("grown.log"), &text[..cut]).expect("first half");
    replay(dir.path(), "grown.log", "grown.state", "grown.jsonl");
    let first = std::fs::read_to_string(dir.path().join("grown.jsonl")).expect("buckets");
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.path().join("grown.log"))
        .expect("append");
    f.write_all(&text[cut..]).expect("second half");
    drop(f);
    replay(dir.path(), "grown.log", "grown.state", "grown.jsonl");

    let whole = std::fs::read_to_string(dir.path().join("whole.jsonl")).expect("buckets");
    let grown = std::fs::read_to_string(dir.path().join("grown.jsonl")).expect("buckets");
    assert!(first.lines().count() > 100, "the first run scored buckets");
    assert!(grown.lines().count() > first.lines().count());
    // Every bucket once, with the same counts and the same scores as one uninterrupted run.
    assert_eq!(grown.lines().count(), whole.lines().count());
    for (i, (a, b)) in grown.lines().zip(whole.lines()).enumerate() {
        assert!(a == b, "bucket {i}: {a} against {b}");
    }
}

#[test]
#[cfg(unix)]
fn ctrl_c_saves_the_state_and_exits_0() {
    let dir = tempdir();
    generate(dir.path(), 1, 100);
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_trafficlens"))
        .current_dir(dir.path())
        .args(["watch", "--from-start", "access.log", "--state", "w.state"])
        .args(["--buckets-out", "b.jsonl"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the watch");
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        let n = std::fs::read_to_string(dir.path().join("b.jsonl"))
            .map(|t| t.lines().count())
            .unwrap_or(0);
        if n >= 1000 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let out = child.wait_with_output().expect("wait");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let state: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("w.state")).expect("the state was saved"),
    )
    .expect("JSON");
    assert!(state["follow"]["sources"][0]["files"][0]["offset"].as_u64() > Some(0));
    // A restart reads the rest (if any): together, the buckets of one uninterrupted run.
    replay(dir.path(), "access.log", "w.state", "b.jsonl");
    replay(dir.path(), "access.log", "whole.state", "whole.jsonl");
    let after = std::fs::read_to_string(dir.path().join("b.jsonl")).expect("buckets");
    let whole = std::fs::read_to_string(dir.path().join("whole.jsonl")).expect("buckets");
    assert_eq!(after.lines().count(), whole.lines().count());
    assert!(
        after == whole,
        "the buckets differ from an uninterrupted run's"
    );
}

#[test]
fn malformed_lines_are_counted_shown_with_their_offset_and_the_watch_goes_on() {
    let dir = tempdir();
    let good = |m: u32| {
        format!("203.0.113.9 - - [01/Jan/2021:00:{m:02}:00 +0000] \"GET / HTTP/1.1\" 200 512 \"-\" \"curl/8\"\n")
    };
    let mut text = String::new();
    for m in 0..30 {
        text.push_str(&good(m));
    }
    let offset = text.len();
    text.push_str("not a log line\u{1b}[2J\n");
    for m in 30..40 {
        text.push_str(&good(m));
    }
    let binary = text.len();
    text.push_str("\u{7f}ELF\0\0\0binary\n");
    std::fs::write(dir.path().join("a.log"), &text).expect("log");
    let out = bin(dir.path())
        .args([
            "watch",
            "--replay",
            "max",
            "a.log",
            "--buckets-out",
            "b.jsonl",
        ])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!("a.log at byte {offset}: malformed line")),
        "{stderr}"
    );
    assert!(!stderr.contains('\u{1b}'), "escaped: {stderr}");
    // Binary data is skipped with a warning that says so (it had no label).
    assert!(
        stderr.contains(&format!(
            "trafficlens: warning: a.log: binary data (NUL bytes) in a.log at byte {binary}"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("41 lines, 1 malformed"), "{stderr}");
    // All 40 good lines counted: one bucket per minute, one request each.
    let buckets = std::fs::read_to_string(dir.path().join("b.jsonl")).expect("buckets");
    let requests: f64 = buckets
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).expect("JSON")["values"][0]
                .as_f64()
                .expect("requests")
        })
        .sum();
    assert_eq!(requests, 40.0);
}

/// Seconds since 1970 of a Combined Log Format time (`01/Jan/2021:00:00:29 +0000`).
fn log_time(line: &str) -> Option<i64> {
    let t = &line[line.find('[')? + 1..line.find(']')?];
    chrono::DateTime::parse_from_str(t, "%d/%b/%Y:%H:%M:%S %z")
        .ok()
        .map(|d| d.timestamp())
}

/// The benign group of a client that is not an attacker, by its user agents: `monitor`,
/// `search bot`, `office` (several browsers behind one address) or `visitor`.
fn benign_group(agents: &BTreeSet<&str>) -> &'static str {
    if agents.iter().any(|a| a.contains("UptimeMonitor")) {
        "monitor"
    } else if agents.iter().any(|a| a.contains("Googlebot")) {
        "search bot"
    } else if agents.len() >= 2 {
        "office"
    } else {
        "visitor"
    }
}

/// What a replay of the generated 4-day log raised: each attack's first alert after its start
/// (seconds), the benign raises by group, the alerts' JSON lines and the attackers' clients.
struct Replayed {
    first: BTreeMap<String, i64>,
    benign: BTreeMap<&'static str, usize>,
    alerts: String,
    crawler: String,
}

/// Replays the generated 4-day log (seed 1, 3,000 clients) with the defaults and `extra`.
fn replay_four_days(extra: &[&str]) -> Replayed {
    let dir = tempdir();
    generate(dir.path(), 4, 3000);
    bin(dir.path())
        .args([
            "watch",
            "--replay",
            "max",
            "access.log",
            "--alerts-out",
            "alerts.jsonl",
        ])
        .args(extra)
        .assert()
        .success();
    let labels = std::fs::read_to_string(dir.path().join("access_labels.csv")).expect("labels");
    let kind: BTreeMap<&str, &str> = labels
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut f = l.split(',');
            Some((f.next()?, f.next()?))
        })
        .collect();
    // The minutes holding each attack's lines, each attack's first line, every client's agents.
    let log = std::fs::read_to_string(dir.path().join("access.log")).expect("log");
    let mut minutes: BTreeMap<i64, BTreeSet<&str>> = BTreeMap::new();
    let mut start: BTreeMap<&str, i64> = BTreeMap::new();
    let mut agents: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for line in log.lines() {
        let client = line.split(' ').next().unwrap_or("");
        let agent = line.rsplit('"').nth(1).unwrap_or("");
        agents.entry(client).or_default().insert(agent);
        if let (Some(&k), Some(t)) = (kind.get(client), log_time(line)) {
            minutes.entry(t.div_euclid(60)).or_default().insert(k);
            let s = start.entry(k).or_insert(t);
            *s = (*s).min(t);
        }
    }
    let alerts = std::fs::read_to_string(dir.path().join("alerts.jsonl")).expect("alerts");
    // Raised alerts: (time in seconds, subject).
    let raised: Vec<(i64, String)> = alerts
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("JSON"))
        .filter(|a| a["kind"] == "raised")
        .map(|a| {
            let t = chrono::DateTime::parse_from_rfc3339(a["time"].as_str().expect("time"))
                .expect("RFC 3339")
                .timestamp();
            (t, a["subject"].as_str().expect("subject").to_string())
        })
        .collect();
    // What an alert points at: a client alert its client's attack (or benign group); a bucket
    // alert (its time is the end of its bucket) the attacks with lines in that bucket.
    let mut first: BTreeMap<String, i64> = BTreeMap::new();
    let mut benign: BTreeMap<&'static str, usize> = BTreeMap::new();
    for (t, subject) in &raised {
        let attacks: Vec<&str> = match subject.strip_prefix("client ") {
            Some(c) => match kind.get(c) {
                Some(&k) => vec![k],
                None => {
                    *benign.entry(benign_group(&agents[c])).or_default() += 1;
                    continue;
                }
            },
            None => match minutes.get(&(t.div_euclid(60) - 1)) {
                Some(s) => s.iter().copied().collect(),
                None => {
                    *benign.entry("traffic bucket").or_default() += 1;
                    continue;
                }
            },
        };
        for k in attacks {
            let d = t - start[k];
            let f = first.entry(k.to_string()).or_insert(d);
            *f = (*f).min(d);
        }
    }
    let crawler = kind
        .iter()
        .find(|(_, &k)| k == "crawler")
        .map(|(c, _)| format!("client {c}"))
        .expect("a crawler");
    Replayed {
        first,
        benign,
        alerts,
        crawler,
    }
}

#[test]
fn every_attack_is_alerted_within_a_minute_and_benign_heavy_hitters_rarely() {
    let Replayed {
        first,
        benign,
        alerts,
        crawler,
    } = replay_four_days(&[]);
    eprintln!("first alert after the attack's start (s): {first:?}; benign raises: {benign:?}");
    // The volume attacks show in the traffic buckets; the scanner and the credential stuffing
    // in their clients' windows.
    assert_eq!(first.get("ddos"), Some(&60));
    assert_eq!(first.get("exfiltration"), Some(&60));
    for k in ["scanner", "credential_stuffing"] {
        assert!(first.get(k).is_some_and(|&d| d <= 60), "{k}: {first:?}");
    }
    // The crawler by its client, the crawl rule's words, once 30 different pages arrived.
    assert!(first.get("crawler").is_some_and(|&d| d <= 60), "{first:?}");
    assert!(
        alerts.lines().any(|l| l.contains(&crawler)
            && l.contains("\"raised\"")
            && l.contains("like an aggressive crawler")),
        "{crawler}"
    );
    // Benign raises over the 4 days (documented in the README with the measured counts).
    // Measured: 14 benign bucket raises (35 with --threshold band). DSPOT judges from the third
    // day on (two days for the daily rhythm, then 240 buckets to calibrate), so the DDoS (44 h
    // in) and the exfiltration (9 h in) are still the band's: the unit test in src/live/watch
    // has a burst judged by DSPOT.
    let count = |g: &str| benign.get(g).copied().unwrap_or(0);
    assert!(count("traffic bucket") <= 20, "{benign:?}");
    // Measured: no monitor or search bot, 4 raises of office gateways, 22 of visitors and
    // regulars (out of about 3,000), over the 4 days.
    assert!(count("monitor") <= 1, "{benign:?}");
    assert!(count("search bot") <= 1, "{benign:?}");
    assert!(count("office") <= 10, "{benign:?}");
    assert!(count("visitor") <= 30, "{benign:?}");
}

#[test]
fn with_the_band_alone_the_volume_attacks_are_alerted_within_a_minute() {
    let Replayed { first, benign, .. } = replay_four_days(&["--threshold", "band"]);
    eprintln!(
        "band: first alert after the attack's start (s): {first:?}; benign raises: {benign:?}"
    );
    assert_eq!(first.get("ddos"), Some(&60));
    assert_eq!(first.get("exfiltration"), Some(&60));
    // Measured: 35 benign bucket raises (14 with DSPOT, the default), most in the first day.
    let count = |g: &str| benign.get(g).copied().unwrap_or(0);
    assert!(count("traffic bucket") <= 40, "{benign:?}");
}

#[test]
fn a_replay_of_a_missing_file_or_a_folder_is_an_error_at_once() {
    let dir = crate::util::tempdir();
    let missing = dir.path().join("nonexist.log");
    let out = crate::util::bin(dir.path())
        .args(["watch", "--replay", "max"])
        .arg(&missing)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nonexist.log: file not found"));
    // A folder is never a log, replayed or followed.
    let out = crate::util::bin(dir.path())
        .arg("watch")
        .arg(dir.path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is a folder, not a file"));
}
