//! The worker's follow: lines appended to a log while it is followed come back as batched
//! increments of scored buckets, with an alert for an injected burst; a malformed line is
//! reported with its byte offset and following goes on. No timing is asserted beyond generous
//! time-outs.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use trafficlens::data::follow::Start;
use trafficlens::data::formats::access::format::COMBINED;
use trafficlens::data::formats::access::LogFormat;
use trafficlens::live::alerts::AlertKind;
use trafficlens::live::feed::FeedSettings;
use trafficlens::worker::{Event, FollowKind, FollowRequest, Increment, Worker};

use crate::util::tempdir;

/// A combined-format line of client `c` at `minute` (from 2 Dec 2026, 00:00 UTC) and `second`.
pub fn log_line(c: u32, minute: u32, second: u32, status: u16) -> String {
    format!(
        "10.0.{}.{} - - [{:02}/Dec/2026:{:02}:{:02}:{second:02} +0000] \"GET /page/{c} HTTP/1.1\" {status} 2048 \"-\" \"Mozilla/5.0\"\n",
        c / 250,
        c % 250,
        2 + minute / 1440,
        minute / 60 % 24,
        minute % 60
    )
}

/// Appends `text` to `path`.
fn append(path: &Path, text: &str) {
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .expect("open for appending");
    f.write_all(text.as_bytes()).expect("append");
}

/// Minutes `range` of steady traffic (about 20 requests a minute), with `per_minute(m)`
/// requests instead where it says so.
pub fn traffic(range: std::ops::Range<u32>, per_minute: impl Fn(u32) -> Option<u32>) -> String {
    let mut text = String::new();
    for m in range {
        let n = per_minute(m).unwrap_or(20 + m * 7 % 5);
        for i in 0..n {
            text.push_str(&log_line(i % 40, m, i * 59 / n, 200));
        }
    }
    text
}

/// Starts following `path` from its end on a new worker (`learn`: what is there is learnt
/// first); returns the worker and the follow's generation.
fn follow(path: &Path, kind: FollowKind, learn: bool) -> (Worker, u64) {
    let mut w = Worker::spawn(|| {});
    let generation = w.follow(FollowRequest {
        path: path.to_path_buf(),
        kind,
        settings: FeedSettings::live(),
        start: Start::End,
        learn_history: learn,
    });
    (w, generation)
}

/// A combined-format access log.
fn log_kind() -> FollowKind {
    FollowKind::Log(LogFormat::parse(COMBINED).expect("format"))
}

/// Waits for increments of `generation` until `done` holds for what arrived.
fn collect(
    w: &Worker,
    generation: u64,
    got: &mut Vec<Increment>,
    what: &str,
    done: impl Fn(&[Increment]) -> bool,
) {
    let started = Instant::now();
    while !done(got) {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "gave up waiting for {what}; got {} increments",
            got.len()
        );
        match w.wait(Duration::from_millis(200)) {
            Some(Event::Followed {
                generation: g,
                increment,
            }) if g == generation => got.push(*increment),
            Some(Event::FollowFailed { error, .. }) => panic!("follow failed: {error}"),
            _ => {}
        }
    }
}

#[test]
fn appended_lines_stream_as_scored_buckets_and_a_burst_raises_an_alert() {
    let dir = tempdir();
    let path = dir.path().join("access.log");
    // What is there before following starts is not read (the follow starts at the end).
    std::fs::write(&path, traffic(0..30, |_| None)).expect("write");
    let (mut w, generation) = follow(&path, log_kind(), false);
    let mut got = Vec::new();
    collect(&w, generation, &mut got, "the follow to start", |g| {
        !g.is_empty()
    });
    assert!(
        got[0].notes[0].contains("from its end"),
        "{:?}",
        got[0].notes
    );
    // Two hours of steady traffic, a malformed line, then three minutes of twenty times as
    // much and half an hour of calm again, appended in pieces as a server would.
    append(&path, &traffic(30..150, |_| None));
    let bad_offset = std::fs::metadata(&path).expect("size").len();
    append(&path, "this is not an access-log line\n");
    let burst = |m: u32| (155..158).contains(&m).then_some(400);
    append(&path, &traffic(150..170, burst));
    append(&path, &traffic(170..190, |_| None));
    collect(
        &w,
        generation,
        &mut got,
        "a raised alert for all traffic",
        |g| {
            g.iter()
                .flat_map(|i| &i.alerts)
                .any(|a| a.kind == AlertKind::Raised && a.subject == "all")
        },
    );
    collect(&w, generation, &mut got, "every bucket", |g| {
        g.last().is_some_and(|i| i.counts.buckets >= 158)
    });
    let buckets: Vec<_> = got.iter().flat_map(|i| &i.buckets).collect();
    // Each bucket once, in order, with its expected band.
    assert!(buckets.windows(2).all(|b| b[0].start_ms < b[1].start_ms));
    assert!(buckets.iter().all(|b| b.points.len() == 5));
    let raised = got
        .iter()
        .flat_map(|i| &i.alerts)
        .find(|a| a.kind == AlertKind::Raised && a.subject == "all")
        .expect("raised");
    assert!(raised.reason.contains("MADs above"), "{}", raised.reason);
    // The burst's buckets are over the band, the calm before is not.
    let over: Vec<i64> = buckets
        .iter()
        .filter(|b| b.over)
        .map(|b| (b.start_ms / 60_000) % 1440)
        .collect();
    assert!(over.contains(&155), "{over:?}");
    assert!(over.iter().all(|m| *m >= 155), "{over:?}");
    let notes: Vec<&String> = got.iter().flat_map(|i| &i.notes).collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains(&format!("at byte {bad_offset}: malformed line"))),
        "{notes:?}"
    );
    let counts = got.last().expect("increments").counts;
    assert_eq!(counts.malformed, 1);
    assert_eq!(
        counts.lines,
        traffic(30..190, burst).lines().count() as u64 + 1
    );
    // Batched: far fewer increments than lines.
    assert!(
        (got.len() as u64) < counts.lines / 10,
        "{} increments",
        got.len()
    );

    // Stopped: nothing more comes of that follow.
    w.stop_follow();
    std::thread::sleep(Duration::from_millis(500));
    while w.wait(Duration::from_millis(100)).is_some() {}
    append(&path, &traffic(190..200, |_| None));
    let quiet = Instant::now();
    while quiet.elapsed() < Duration::from_secs(1) {
        if let Some(Event::Followed { generation: g, .. }) = w.wait(Duration::from_millis(100)) {
            assert_ne!(g, generation, "an increment after the follow stopped");
        }
    }
}

#[test]
fn a_file_that_cannot_be_followed_is_reported_and_a_vanished_file_is_a_note() {
    let dir = tempdir();
    let path = dir.path().join("gone.log");
    std::fs::write(&path, traffic(0..2, |_| None)).expect("write");
    let (w, generation) = follow(&path, log_kind(), false);
    let mut got = Vec::new();
    collect(&w, generation, &mut got, "the follow to start", |g| {
        !g.is_empty()
    });
    std::fs::remove_file(&path).expect("remove");
    collect(
        &w,
        generation,
        &mut got,
        "a note that the file is gone",
        |g| {
            g.iter()
                .flat_map(|i| &i.notes)
                .any(|n| n.contains("has disappeared"))
        },
    );
    // It comes back and is followed again from its start.
    std::fs::write(&path, traffic(2..4, |_| None)).expect("write again");
    collect(&w, generation, &mut got, "the new file's lines", |g| {
        g.last().is_some_and(|i| i.counts.lines >= 40)
    });
}

#[test]
fn a_followed_table_learns_its_rows_then_judges_new_ones_as_detect_does() {
    let dir = tempdir();
    let text = std::fs::read_to_string(crate::util::shared("regional_web_traffic.csv"))
        .expect("reference file");
    let lines: Vec<&str> = text.lines().collect();
    let path = dir.path().join("traffic.csv");
    // The header and 300 rows are there when following starts; the rest is appended.
    std::fs::write(&path, lines[..301].join("\n") + "\n").expect("write");
    let (w, generation) = follow(&path, FollowKind::Table { time_column: None }, true);
    let mut got = Vec::new();
    // The history's rows arrive scored, without alerts.
    collect(&w, generation, &mut got, "the history", |g| {
        g.iter().map(|i| i.buckets.len()).sum::<usize>() >= 300
    });
    assert!(got.iter().all(|i| i.alerts.is_empty()));
    let features = got
        .iter()
        .find_map(|i| i.features.clone())
        .expect("the columns");
    assert_eq!(features.len(), 6);
    assert_eq!(features[0], "Region 1");
    assert_eq!(got.last().map(|i| i.bucket_ms), Some(86_400_000));
    append(&path, &(lines[301..].join("\n") + "\n"));
    let want = lines.len() - 1;
    collect(&w, generation, &mut got, "every row", |g| {
        g.iter().map(|i| i.buckets.len()).sum::<usize>() >= want
    });
    // Every row once, in order, scored and flagged as `detect --algo seasonal` does: the 40
    // injected spikes, 24 of them among the appended rows, each in its own raised alert.
    let buckets: Vec<_> = got.iter().flat_map(|i| &i.buckets).collect();
    assert_eq!(buckets.len(), want);
    assert!(buckets.windows(2).all(|b| b[0].start_ms < b[1].start_ms));
    assert!(buckets.iter().all(|b| b.subject == "table traffic.csv"));
    assert_eq!(buckets.iter().filter(|b| b.over).count(), 40);
    let new_over = buckets[300..].iter().filter(|b| b.over).count();
    let raised: Vec<_> = got
        .iter()
        .flat_map(|i| &i.alerts)
        .filter(|a| a.kind == AlertKind::Raised)
        .collect();
    assert!(!raised.is_empty() && raised.len() <= new_over, "{raised:?}");
    assert!(raised.iter().all(|a| a.reason.contains("MADs")));
    assert_eq!(
        got.last().map(|i| i.counts.lines),
        Some((want - 300) as u64)
    );
}

#[test]
fn a_followed_log_learns_what_is_there_and_judges_the_first_new_minutes_against_it() {
    let dir = tempdir();
    let path = dir.path().join("access.log");
    // Two and a half hours of steady traffic are there when following starts.
    std::fs::write(&path, traffic(0..150, |_| None)).expect("write");
    let (w, generation) = follow(&path, log_kind(), true);
    let mut got = Vec::new();
    // The history's buckets arrive (all but the last, still open), with no alert.
    collect(&w, generation, &mut got, "the history", |g| {
        g.iter().map(|i| i.buckets.len()).sum::<usize>() >= 149
    });
    assert!(
        got[0].notes[0].contains("the lines already there are learnt"),
        "{:?}",
        got[0].notes
    );
    assert!(got.iter().all(|i| i.alerts.is_empty()));
    assert_eq!(got.last().map(|i| i.counts.lines), Some(0));
    // A burst in the first new minutes: judged against the history at once (a follow with no
    // history judges nothing in its first nine minutes).
    let new = traffic(150..160, |m| (150..153).contains(&m).then_some(400));
    let new_lines = new.lines().count() as u64;
    append(&path, &new);
    append(&path, &traffic(160..162, |_| None));
    collect(
        &w,
        generation,
        &mut got,
        "a raised alert for all traffic",
        |g| {
            g.iter()
                .flat_map(|i| &i.alerts)
                .any(|a| a.kind == AlertKind::Raised && a.subject == "all")
        },
    );
    let raised = got
        .iter()
        .flat_map(|i| &i.alerts)
        .find(|a| a.kind == AlertKind::Raised && a.subject == "all")
        .expect("raised");
    // 2 Dec 2026 02:31, the end of the burst's first minute.
    assert_eq!(raised.time, 1_796_169_600_000 + 151 * 60_000);
    assert!(got.last().is_some_and(|i| i.counts.lines >= new_lines));
}
