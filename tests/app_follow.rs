//! *Follow* in the app, driven headless with egui_kittest: the toggle starts a real follow on
//! the worker; increments are then fed as the worker sends them, and the alerts panel lists
//! them newest first, *Pause* holds the live plot's view while data keeps arriving, *Resume*
//! jumps to the newest buckets, and clicking an alert focuses its subject.

use std::time::{Duration, Instant};

use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use trafficlens::app::{alert_row, BottomTab, Persisted, TrafficLensApp};
use trafficlens::data::Source;
use trafficlens::detect::seasonal::state::PointScore;
use trafficlens::live::alerts::{Alert, AlertKind};
use trafficlens::live::feed::FeedCounts;
use trafficlens::live::watch::ScoredBucket;
use trafficlens::worker::{Event, Increment};

use crate::live_follow::traffic;
use crate::util::tempdir;

const MIN: i64 = 60_000;

/// Start of the log's day (2 Dec 2026, 00:00 UTC), in milliseconds.
const DAY_MS: i64 = 1_796_169_600_000;

/// The app on `path`, stepped until the file is loaded and scored.
fn open_scored(path: &std::path::Path) -> Harness<'static, TrafficLensApp> {
    let app = TrafficLensApp::new(
        Persisted::default(),
        Source::File(path.to_path_buf()),
        || {},
    );
    let mut h = Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_ui_state(|ui, app: &mut TrafficLensApp| app.ui_frame(ui), app);
    step_until(&mut h, "the file to be scored", |a| {
        a.state.scores.is_some() && a.state.scoring.is_none()
    });
    h
}

/// The app on half an hour of steady traffic written to `dir/access.log`, scored, with *Follow*
/// turned on and its first increment in.
fn following_a_log(dir: &std::path::Path) -> Harness<'static, TrafficLensApp> {
    let path = dir.join("access.log");
    std::fs::write(&path, traffic(0..30, |_| None)).expect("write");
    let mut h = open_scored(&path);
    h.get_by_label("Follow").click();
    step_until(&mut h, "the follow to start", |a| {
        a.state.live.increments >= 1
    });
    h
}

/// Buckets (or table rows) the follow has delivered, all subjects.
fn live_rows(a: &TrafficLensApp) -> usize {
    a.state.live.subjects.values().map(|s| s.len()).sum()
}

/// Steps frames until `done` holds.
fn step_until(
    h: &mut Harness<'static, TrafficLensApp>,
    what: &str,
    done: impl Fn(&TrafficLensApp) -> bool,
) {
    let started = Instant::now();
    while !done(h.state()) {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "gave up waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
        h.step();
    }
    h.step();
}

/// A scored bucket of all traffic at `minute`, with its band.
fn bucket(minute: i64, requests: f64, over: bool) -> ScoredBucket {
    let point = |v: f64| PointScore {
        observed: v,
        expected: 20.0,
        scale: 2.0,
        lower: 10.0,
        upper: 30.0,
        z: (v - 20.0) / 2.0,
        warm_up: false,
        surprise: 0.0,
        record: None,
    };
    ScoredBucket {
        start_ms: DAY_MS + minute * MIN,
        subject: "all".into(),
        values: vec![requests, requests * 2048.0, 20.0, 0.0, 0.0],
        score: if over { 40.0 } else { 1.0 },
        over,
        points: vec![
            point(requests),
            point(0.0),
            point(20.0),
            point(0.0),
            point(0.0),
        ],
    }
}

fn alert(minute: i64, subject: &str, reason: &str) -> Alert {
    Alert {
        time: DAY_MS + minute * MIN,
        kind: AlertKind::Raised,
        subject: subject.into(),
        score: 12.5,
        threshold: 5.19,
        reason: reason.into(),
        samples: Vec::new(),
    }
}

/// Feeds an increment of `minutes` buckets (and `alerts`) as the worker would send it.
fn feed(
    h: &mut Harness<'static, TrafficLensApp>,
    minutes: std::ops::Range<i64>,
    alerts: Vec<Alert>,
) {
    let generation = h.state().state.live.generation;
    let before = h.state().state.live.counts;
    let buckets: Vec<ScoredBucket> = minutes
        .map(|m| bucket(m, if m == 120 { 400.0 } else { 20.0 }, m == 120))
        .collect();
    let counts = FeedCounts {
        lines: before.lines + 20 * buckets.len() as u64,
        buckets: before.buckets + buckets.len() as u64,
        alerts: before.alerts + alerts.len() as u64,
        ..before
    };
    h.state_mut().apply_worker_event(Event::Followed {
        generation,
        increment: Box::new(Increment {
            buckets,
            alerts,
            notes: Vec::new(),
            counts,
            bucket_ms: MIN,
            features: None,
        }),
    });
    h.step();
    h.step();
}

#[test]
fn follow_lists_alerts_pause_holds_the_view_and_an_alert_focuses_its_subject() {
    let dir = tempdir();
    // Follow: the worker starts following the file from its end and says so.
    let mut h = following_a_log(dir.path());
    assert!(h.state().state.live.following());
    assert_eq!(h.state().state.persisted.bottom_tab, BottomTab::Alerts);
    // From here the test plays the worker. The real follow keeps running and sends an increment
    // of its own whenever its counts change (an idle tick closing a bucket, at a time that
    // depends on the machine's speed), which would replace the counts fed below; under a
    // generation of the test's own, the app takes only the test's increments.
    let own = h.state().state.live.generation + 1_000_000;
    h.state_mut().state.live.generation = own;

    // Buckets and two alerts arrive: listed newest first.
    let burst = alert(121, "all", "requests 400 against 20 expected");
    let client = alert(125, "client 10.0.0.7", "a scanner: 90% 404");
    feed(&mut h, 90..130, vec![burst.clone(), client.clone()]);
    let newest = h.get_by_label(&alert_row(&client)).rect();
    let older = h.get_by_label(&alert_row(&burst)).rect();
    assert!(newest.top() < older.top(), "{newest:?} {older:?}");
    h.get_by_label("Alerts (2)");
    let live = h.state().live_view().expect("the live plot is drawn");
    let end = (DAY_MS + 130 * MIN) as f64 / 1000.0;
    assert!((live.1 - end).abs() < 1.0, "{live:?} against {end}");
    assert!((live.1 - live.0 - 3.0 * 3600.0).abs() < 1.0, "{live:?}");

    // Pause holds the view while ten more buckets arrive; a counter says so.
    h.get_by_label("Pause").click();
    h.step();
    assert!(h.state().live_paused());
    let held = h.state().live_view().expect("view");
    feed(&mut h, 130..140, Vec::new());
    assert_eq!(h.state().live_view(), Some(held));
    h.get_by_label("paused: 10 buckets and 0 alerts arrived since");
    // Resume jumps to the newest bucket.
    h.get_by_label("Resume").click();
    h.step();
    h.step();
    let resumed = h.state().live_view().expect("view");
    let end = (DAY_MS + 140 * MIN) as f64 / 1000.0;
    assert!((resumed.1 - end).abs() < 1.0, "{resumed:?} against {end}");

    // A bucket alert holds the live plot centred on its time.
    h.get_by_label(&alert_row(&burst)).click();
    h.step();
    h.step();
    assert!(h.state().live_paused());
    let centred = h.state().live_view().expect("view");
    let at = burst.time as f64 / 1000.0;
    assert!(
        ((centred.0 + centred.1) / 2.0 - at).abs() < 1.0,
        "{centred:?} against {at}"
    );

    // A client alert selects the client among the ranked clients.
    h.get_by_label(&alert_row(&client)).click();
    h.step();
    h.step();
    let app = h.state();
    assert_eq!(app.state.persisted.bottom_tab, BottomTab::Clients);
    let row = app.state.selected_client.expect("a client is selected");
    let ds = app.state.dataset.as_ref().expect("dataset");
    let table = ds.log.as_ref().expect("a log");
    assert_eq!(
        table.log.clients[table.client_of_row[row] as usize],
        "10.0.0.7"
    );

    // Follow off: the live plot goes, the alerts stay listed.
    h.get_by_label("Follow").click();
    h.step();
    assert!(!h.state().state.live.following());
    assert_eq!(h.state().state.live.alerts.len(), 2);
}

#[test]
fn follow_on_a_table_shows_its_rows_with_their_band_and_lists_a_new_spike() {
    let dir = tempdir();
    let text = std::fs::read_to_string(crate::util::shared("regional_web_traffic.csv"))
        .expect("reference file");
    let lines: Vec<&str> = text.lines().collect();
    let path = dir.path().join("traffic.csv");
    std::fs::write(&path, lines[..400].join("\n") + "\n").expect("write");
    let mut h = open_scored(&path);
    h.get_by_label("Follow").click();
    // The table's 399 rows arrive as its history, named by its columns.
    step_until(&mut h, "the table's history", |a| live_rows(a) >= 399);
    assert_eq!(
        h.state()
            .state
            .live
            .features
            .as_deref()
            .map(<[String]>::len),
        Some(6)
    );
    h.step();
    // The live plot's subject is the table, its number the first column.
    assert_eq!(h.state().live_subject(), "table traffic.csv");
    assert_eq!(h.state().live_feature_name().as_deref(), Some("Region 1"));
    let (lo, hi) = h.state().live_view().expect("the live plot is drawn");
    // About 120 days of daily rows in the window.
    assert!((hi - lo - 120.0 * 86_400.0).abs() < 1.0, "{lo} {hi}");
    // New rows appended, a spike among them: raised and listed.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .expect("open");
    std::io::Write::write_all(&mut f, (lines[400..].join("\n") + "\n").as_bytes()).expect("append");
    drop(f);
    step_until(&mut h, "the appended rows", |a| {
        live_rows(a) >= lines.len() - 1
    });
    step_until(&mut h, "an alert", |a| !a.state.live.alerts.is_empty());
    h.step();
    let live = &h.state().state.live;
    assert!(live.alerts.iter().all(|a| a.subject == "table traffic.csv"));
    let newest = live.alerts.back().expect("an alert").clone();
    // Listed newest first, in the table's words.
    assert!(newest.reason.contains("MADs"), "{}", newest.reason);
    // Clicking it shows the column it names, centred on its time.
    h.get_by_label(&alert_row(&newest)).click();
    h.step();
    let column = newest
        .reason
        .trim_start_matches("back within the band: ")
        .split(" = ")
        .next()
        .expect("a column")
        .to_string();
    assert_eq!(h.state().live_feature_name(), Some(column));
    assert!(h.state().live_paused());
}

#[test]
fn follow_settings_change_the_buckets_and_restart_a_follow_under_way() {
    let dir = tempdir();
    let mut h = following_a_log(dir.path());
    let first = h.state().state.live.generation;
    assert_eq!(h.state().state.live.bucket_ms, MIN);
    // Five-minute buckets, picked in the settings menu: the follow starts again with them.
    h.get_by_label("Follow settings").click();
    h.run_steps(4);
    h.get_by_label("5 min").click();
    h.step();
    assert_eq!(h.state().state.persisted.follow.bucket_minutes, 5);
    step_until(&mut h, "the new follow", |a| {
        a.state.live.generation != first && a.state.live.bucket_ms == 5 * MIN
    });
    assert!(h.state().state.live.following());
    // The band alone, and no clients: the worker's settings say so.
    let settings = trafficlens::app::FollowSettings {
        dspot: false,
        clients: false,
        ..h.state().state.persisted.follow
    };
    let feed = settings.feed_settings();
    assert_eq!(feed.watch.bucket_ms, 5 * MIN);
    assert_eq!(
        feed.watch.threshold,
        trafficlens::live::watch::threshold::BucketThreshold::Band
    );
    assert!(feed.clients.is_none());
}
