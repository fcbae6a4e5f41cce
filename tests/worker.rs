//! The background worker: results come back over a channel, newer requests supersede older
//! ones, the contamination re-thresholds without a refit and the LOF neighbours slider reuses
//! the neighbour lists.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use trafficlens::data::{LoadOptions, Source};
use trafficlens::detect::{
    Algorithm, Contamination, DetectorConfig, IsolationForestSettings, LofSettings,
};
use trafficlens::worker::{Event, Job, ScoreWork, Worker, WorkerError};

use crate::util::{data, repo};

const WAIT: Duration = Duration::from_secs(120);

/// Waits for the final event (not progress) of `generation`.
fn outcome(w: &Worker, generation: u64) -> Event {
    loop {
        match w.wait(WAIT) {
            Some(Event::Progress { .. }) => {}
            Some(e) if generation_of(&e) == generation => return e,
            Some(_) => {}
            None => panic!("no answer for generation {generation}"),
        }
    }
}

fn generation_of(e: &Event) -> u64 {
    match e {
        Event::Progress { generation, .. }
        | Event::Loaded { generation, .. }
        | Event::Scored { generation, .. }
        | Event::Failed { generation, .. }
        | Event::WhatIf { generation, .. }
        | Event::Exported { generation, .. }
        | Event::Followed { generation, .. }
        | Event::FollowFailed { generation, .. }
        | Event::Cancelled { generation } => *generation,
    }
}

fn load_sample(w: &mut Worker) {
    let g = w.submit(Job::Load {
        source: Source::File(repo("sample_data/web_traffic.csv")),
        options: LoadOptions::default(),
    });
    match outcome(w, g) {
        Event::Loaded { dataset, stats, .. } => {
            assert_eq!(dataset.n_rows(), 730);
            assert_eq!(stats.features.len(), 6);
        }
        other => panic!("{other:?}"),
    }
}

fn detect(config: DetectorConfig) -> Job {
    Job::Detect {
        config,
        features: Vec::new(),
    }
}

#[test]
fn loads_scores_and_rethresholds_without_refitting() {
    let repaints = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&repaints);
    let mut w = Worker::spawn(move || {
        counter.fetch_add(1, Ordering::Relaxed);
    });
    load_sample(&mut w);
    let config = DetectorConfig {
        contamination: Contamination::Fraction(0.05),
        ..DetectorConfig::default()
    };
    let g = w.submit(detect(config));
    let first = match outcome(&w, g) {
        Event::Scored {
            detection,
            work,
            top_features,
            ..
        } => {
            assert_eq!(work, ScoreWork::Fitted);
            assert_eq!(detection.flags.iter().filter(|f| **f).count(), 37);
            assert_eq!(top_features.len(), 730);
            detection
        }
        other => panic!("{other:?}"),
    };
    let g = w.submit(detect(DetectorConfig {
        contamination: Contamination::Fraction(0.2),
        ..config
    }));
    match outcome(&w, g) {
        Event::Scored {
            detection, work, ..
        } => {
            assert_eq!(work, ScoreWork::Rethresholded);
            assert_eq!(detection.scores, first.scores, "same scores, new threshold");
            assert_eq!(detection.flags.iter().filter(|f| **f).count(), 146);
        }
        other => panic!("{other:?}"),
    }
    assert!(
        repaints.load(Ordering::Relaxed) >= 4,
        "the worker asks for a repaint after each event"
    );
}

#[test]
fn lof_neighbours_slider_reuses_the_lists() {
    let mut w = Worker::spawn(|| {});
    load_sample(&mut w);
    let lof = DetectorConfig {
        algorithm: Algorithm::Lof,
        ..DetectorConfig::default()
    };
    let g = w.submit(detect(lof));
    let k20 = match outcome(&w, g) {
        Event::Scored {
            detection, work, ..
        } => {
            assert_eq!(work, ScoreWork::Fitted);
            detection
        }
        other => panic!("{other:?}"),
    };
    let g = w.submit(detect(DetectorConfig {
        lof: LofSettings {
            n_neighbors: 35,
            ..lof.lof
        },
        ..lof
    }));
    match outcome(&w, g) {
        Event::Scored {
            detection, work, ..
        } => {
            assert_eq!(work, ScoreWork::NeighboursReused);
            assert_ne!(detection.scores, k20.scores, "another k, other scores");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn newer_requests_supersede_older_ones() {
    let mut w = Worker::spawn(|| {});
    load_sample(&mut w);
    let mut last = 0;
    for seed in 0..20 {
        last = w.submit(detect(DetectorConfig {
            iforest: IsolationForestSettings {
                seed,
                n_estimators: 300,
                ..IsolationForestSettings::default()
            },
            ..DetectorConfig::default()
        }));
    }
    let mut fitted = 0;
    let mut cancelled = 0;
    loop {
        match w.wait(WAIT).expect("an event") {
            Event::Scored { generation, .. } => {
                fitted += 1;
                if generation == last {
                    break;
                }
            }
            Event::Cancelled { .. } => cancelled += 1,
            Event::Progress { .. } => {}
            other => panic!("{other:?}"),
        }
    }
    assert!(fitted <= 2, "{fitted} fits for 20 requests");
    assert!(cancelled >= 18);
}

#[test]
fn a_bad_file_fails_and_keeps_the_old_data() {
    let mut w = Worker::spawn(|| {});
    let g = w.submit(detect(DetectorConfig::default()));
    assert!(matches!(
        outcome(&w, g),
        Event::Failed {
            error: WorkerError::NoData,
            ..
        }
    ));
    load_sample(&mut w);
    let g = w.submit(Job::Load {
        source: Source::File(data("bad/ragged.csv")),
        options: LoadOptions::default(),
    });
    match outcome(&w, g) {
        Event::Failed { error, .. } => {
            assert!(error.to_string().contains("ragged.csv:4:"), "{error}")
        }
        other => panic!("{other:?}"),
    }
    assert_sample_still_loaded(&mut w);
}

#[test]
fn a_cancelled_load_keeps_the_current_table() {
    use trafficlens::generate::table::{generate, GeneratorConfig};
    let mut w = Worker::spawn(|| {});
    load_sample(&mut w);
    let mut bytes = Vec::new();
    let cfg = GeneratorConfig {
        rows: 50_000,
        step_seconds: 60,
        ..GeneratorConfig::default()
    };
    generate(&cfg, &mut bytes, &mut std::io::sink()).expect("generate");
    let g = w.submit(Job::Load {
        source: Source::Memory {
            name: "bigger".into(),
            bytes: bytes.into(),
        },
        options: LoadOptions::default(),
    });
    w.cancel_current();
    assert!(matches!(outcome(&w, g), Event::Cancelled { .. }));
    assert_sample_still_loaded(&mut w);
}

#[test]
fn reading_a_log_reports_progress_and_stops_when_cancelled_part_way() {
    use trafficlens::generate::access_log::{generate_log, LogGeneratorConfig};
    let mut w = Worker::spawn(|| {});
    load_sample(&mut w);
    let mut log = Vec::new();
    let cfg = LogGeneratorConfig {
        days: 2,
        clients: 1500,
        ..LogGeneratorConfig::default()
    };
    generate_log(&cfg, &mut log, &mut std::io::sink()).expect("generate");
    assert!(
        log.len() > 30 << 20,
        "several 8 MB chunks: {} bytes",
        log.len()
    );
    let g = w.submit(Job::Load {
        source: Source::Memory {
            name: "access.log".into(),
            bytes: log.into(),
        },
        options: LoadOptions::default(),
    });
    // Wait for the reader's first report, then cancel: the parse stops at the next chunk.
    loop {
        match w.wait(WAIT) {
            Some(Event::Progress {
                generation,
                stage: "reading",
                done,
            }) if generation == g => {
                assert!(done > 0.0 && done < 0.9, "{done}");
                break;
            }
            Some(_) => {}
            None => panic!("no progress while reading the log"),
        }
    }
    w.cancel_current();
    assert!(matches!(outcome(&w, g), Event::Cancelled { .. }));
    assert_sample_still_loaded(&mut w);
}

/// Scoring now scores the 730 rows of the sample: the table on screen did not change.
fn assert_sample_still_loaded(w: &mut Worker) {
    let g = w.submit(detect(DetectorConfig::default()));
    match outcome(w, g) {
        Event::Scored { detection, .. } => {
            assert_eq!(detection.scores.len(), 730, "the sample is still loaded")
        }
        other => panic!("{other:?}"),
    }
}

/// Scores `sample_data/web_traffic.csv` with `detect` and with the worker (after `before`,
/// scored first on the same worker) and compares the two scores files byte for byte.
fn assert_cli_equals_worker(cli: &[&str], before: Option<DetectorConfig>, config: DetectorConfig) {
    let dir = crate::util::tempdir();
    let input = repo("sample_data/web_traffic.csv");
    let by_cli = dir.path().join("cli.csv");
    crate::util::bin(dir.path())
        .arg("detect")
        .arg(&input)
        .args(cli)
        .arg("--scores-out")
        .arg(&by_cli)
        .assert()
        .success();
    let mut w = Worker::spawn(|| {});
    load_sample(&mut w);
    for c in before.into_iter().chain([config]) {
        let g = w.submit(detect(c));
        assert!(matches!(outcome(&w, g), Event::Scored { .. }));
    }
    let by_worker = dir.path().join("worker.csv");
    let g = w.submit(Job::ExportScores {
        path: by_worker.clone(),
        overwrite: false,
    });
    assert!(matches!(outcome(&w, g), Event::Exported { .. }));
    let a = std::fs::read(&by_cli).expect("CLI scores");
    let b = std::fs::read(&by_worker).expect("worker scores");
    assert!(
        a == b,
        "{cli:?}: the CLI and the worker wrote different scores"
    );
}

#[test]
fn cli_and_worker_write_identical_scores_iforest() {
    let config = DetectorConfig {
        contamination: Contamination::Fraction(0.05),
        scaling: trafficlens::detect::Scaling::Robust,
        ..DetectorConfig::default()
    };
    assert_cli_equals_worker(
        &["--contamination", "0.05", "--scale", "robust"],
        None,
        config,
    );
    // Re-thresholded in the worker, fitted with that contamination by the CLI.
    assert_cli_equals_worker(
        &["--contamination", "0.1", "--scale", "robust"],
        Some(config),
        DetectorConfig {
            contamination: Contamination::Fraction(0.1),
            ..config
        },
    );
}

#[test]
fn cli_and_worker_write_identical_scores_lof() {
    let lof = DetectorConfig {
        algorithm: Algorithm::Lof,
        lof: LofSettings {
            n_neighbors: 20,
            ..LofSettings::default()
        },
        contamination: Contamination::Fraction(0.05),
        ..DetectorConfig::default()
    };
    let args = [
        "--algo",
        "lof",
        "--n-neighbors",
        "20",
        "--contamination",
        "0.05",
    ];
    assert_cli_equals_worker(&args, None, lof);
    // k = 20 from the neighbour lists the worker searched for k = 35.
    assert_cli_equals_worker(
        &args,
        Some(DetectorConfig {
            lof: LofSettings {
                n_neighbors: 35,
                ..lof.lof
            },
            ..lof
        }),
        lof,
    );
}

#[test]
fn a_log_view_change_uses_the_log_held_without_reading_the_file_again() {
    use trafficlens::data::access::{LogOptions, LogView};
    let dir = crate::util::tempdir();
    let log = dir.path().join("access.log");
    std::fs::copy(data("logs/vhost.log"), &log).expect("copy");
    let mut w = Worker::spawn(|| {});
    let g = w.submit(Job::Load {
        source: Source::File(log.clone()),
        options: LoadOptions::default(),
    });
    let clients = match outcome(&w, g) {
        Event::Loaded { dataset, .. } => dataset,
        other => panic!("{other:?}"),
    };
    assert!(clients.log.as_ref().is_some_and(|t| t.bucket.is_none()));
    // Gone from disk: a reload would fail; a view of the log held does not read it.
    std::fs::remove_file(&log).expect("remove");
    let g = w.submit(Job::LogView(LogOptions {
        view: LogView::Traffic,
        ..LogOptions::default()
    }));
    match outcome(&w, g) {
        Event::Loaded { dataset, .. } => {
            assert!(dataset.log.as_ref().is_some_and(|t| t.bucket.is_some()));
            assert!(std::sync::Arc::ptr_eq(
                &dataset.log.as_ref().expect("log").log,
                &clients.log.as_ref().expect("log").log
            ));
        }
        other => panic!("{other:?}"),
    }
    // A table is not a log: the view change fails and the table stays.
    load_sample(&mut w);
    let g = w.submit(Job::LogView(LogOptions::default()));
    assert!(matches!(
        outcome(&w, g),
        Event::Failed {
            error: WorkerError::NotALog,
            ..
        }
    ));
}
