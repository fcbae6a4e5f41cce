//! Cancellation and progress of the CSV and Parquet readers: both CSV readers (the parallel fast
//! one and the scan before polars) report progress block by block and stop at the next block
//! once the cancel flag is set; the Parquet reader checks the flag before and after polars'
//! read. The worker's newer load supersedes an older one in the middle of a CSV file.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use trafficlens::control::Control;
use trafficlens::data::{load_source_with, CsvEngine, LoadError, LoadOptions, Reader, Source};
use trafficlens::worker::{Event, Job, Worker};

use crate::util::{repo, tempdir};

/// A plain CSV of about 24 MB (three blocks of the fast reader, 24 blocks of the scan).
fn large_csv() -> Source {
    let mut text = String::with_capacity(25 << 20);
    text.push_str("a,b,c\n");
    let mut i: u64 = 0;
    while text.len() < 24 << 20 {
        text.push_str(&format!("{},{},{}\n", i, i % 97, (i * 7919) % 1_000_003));
        i += 1;
    }
    Source::Memory {
        name: "large.csv".into(),
        bytes: text.into_bytes().into(),
    }
}

fn options(engine: CsvEngine) -> LoadOptions {
    LoadOptions {
        no_time: true,
        csv_engine: engine,
        ..LoadOptions::default()
    }
}

#[test]
fn both_csv_readers_report_progress_block_by_block() {
    let source = large_csv();
    for (engine, reader) in [
        (CsvEngine::Auto, Reader::FastCsv),
        (CsvEngine::Polars, Reader::PolarsCsv),
    ] {
        let flag = AtomicBool::new(false);
        let seen = Mutex::new(Vec::new());
        let record = |done: f32| seen.lock().expect("lock").push(done);
        let ds = load_source_with(
            source.clone(),
            &options(engine),
            Control::new(&flag, &record),
        )
        .expect("load");
        assert_eq!(ds.reader, reader);
        let seen = seen.into_inner().expect("lock");
        let part_way = seen.iter().filter(|d| **d > 0.0 && **d < 1.0).count();
        assert!(part_way >= 2, "{reader:?}: {seen:?}");
        assert_eq!(seen.last(), Some(&1.0), "{reader:?}: {seen:?}");
    }
}

#[test]
fn cancelling_a_csv_load_stops_it_part_way() {
    let source = large_csv();
    for engine in [CsvEngine::Auto, CsvEngine::Polars] {
        let flag = AtomicBool::new(false);
        let seen = Mutex::new(Vec::new());
        // Cancel at the first report: the readers stop before their next block.
        let cancel_at_once = |done: f32| {
            seen.lock().expect("lock").push(done);
            flag.store(true, Ordering::Relaxed);
        };
        let loaded = load_source_with(
            source.clone(),
            &options(engine),
            Control::new(&flag, &cancel_at_once),
        );
        assert!(
            matches!(loaded, Err(LoadError::Cancelled)),
            "{engine:?}: {:?}",
            loaded.map(|d| d.n_rows())
        );
        let seen = seen.into_inner().expect("lock");
        let furthest = seen.iter().copied().fold(0.0f32, f32::max);
        assert!(furthest < 1.0, "{engine:?} read on to the end: {seen:?}");
    }
}

#[test]
fn a_parquet_load_checks_the_cancel_flag() {
    use polars::prelude::*;
    let dir = tempdir();
    let path = dir.path().join("t.parquet");
    let mut df = DataFrame::new_infer_height(vec![
        Column::new("a".into(), [1.5f64, 2.5, 3.5]),
        Column::new("b".into(), [10i64, 20, 30]),
    ])
    .expect("frame");
    let file = std::fs::File::create(&path).expect("create");
    ParquetWriter::new(file)
        .finish(&mut df)
        .expect("write parquet");
    let options = LoadOptions {
        no_time: true,
        ..LoadOptions::default()
    };
    let flag = AtomicBool::new(true);
    let seen = Mutex::new(Vec::new());
    let record = |done: f32| seen.lock().expect("lock").push(done);
    let loaded = load_source_with(
        Source::File(path.clone()),
        &options,
        Control::new(&flag, &record),
    );
    assert!(matches!(loaded, Err(LoadError::Cancelled)));
    assert!(seen.lock().expect("lock").is_empty(), "nothing read");
    flag.store(false, Ordering::Relaxed);
    let ds =
        load_source_with(Source::File(path), &options, Control::new(&flag, &record)).expect("load");
    assert_eq!(ds.n_rows(), 3);
    assert_eq!(*seen.lock().expect("lock"), vec![0.0, 1.0]);
}

#[test]
fn a_newer_load_supersedes_an_older_one_in_the_middle_of_a_csv_file() {
    let mut w = Worker::spawn(|| {});
    let first = w.submit(Job::Load {
        source: large_csv(),
        options: options(CsvEngine::Auto),
    });
    // The progress bar moves while the file is read; then another file is opened.
    loop {
        match w.wait(Duration::from_secs(120)) {
            Some(Event::Progress {
                generation,
                stage: "reading",
                done,
            }) if generation == first && done > 0.0 && done < 0.9 => break,
            Some(Event::Loaded { generation, .. }) if generation == first => {
                panic!("loaded before any progress was reported part way")
            }
            Some(_) => {}
            None => panic!("no progress while reading the CSV"),
        }
    }
    let second = w.submit(Job::Load {
        source: Source::File(repo("sample_data/web_traffic.csv")),
        options: LoadOptions::default(),
    });
    let mut first_cancelled = false;
    loop {
        match w.wait(Duration::from_secs(120)) {
            Some(Event::Cancelled { generation }) if generation == first => first_cancelled = true,
            Some(Event::Loaded { generation, .. }) if generation == first => {
                panic!("the older load ran to the end")
            }
            Some(Event::Loaded {
                generation,
                dataset,
                ..
            }) if generation == second => {
                assert_eq!(dataset.n_rows(), 730);
                break;
            }
            Some(_) => {}
            None => panic!("no answer for the newer load"),
        }
    }
    assert!(
        first_cancelled,
        "the older load was cancelled, not finished"
    );
}
