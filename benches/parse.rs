//! Number parsing and scores writing benchmark.
//!
//! Parsing: a plain numeric CSV (full-precision random normals, the end-to-end benchmark's kind
//! of file) read from memory by the loader, so that no disk is timed: the record scan (memchr
//! line splitting), the parallel number parsing (fast-float), the column classification and the
//! missing-value check, on every core. Prints MB/s.
//!
//! Writing: the scores file of the same rows (`row,anomaly_score,flagged`, full-precision
//! scores as the forest gives them) written by `export::write_scores`, as `detect --scores-out`
//! writes it: formatted in parallel, into a temporary file synced to disk and renamed into place
//! (under `target/bench_write/`, or `TL_WRITE_DIR`: a tmpfs leaves the disk out), a new file each
//! run. Prints MB/s of the file written.
//!
//! `cargo bench --bench parse` (2,000,000 rows x 6 columns, about 236 MB; `TL_BENCH_ROWS` for
//! another size).

#[allow(dead_code)]
mod common;

use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use trafficlens::data::{load_bytes, LoadOptions};
use trafficlens::export::write_scores;

/// Runs timed per size (the median is printed).
const RUNS: usize = 5;

fn main() {
    let rows = common::sizes(&[2_000_000])
        .first()
        .copied()
        .unwrap_or(2_000_000) as usize;
    let columns = 6;
    let mut text = Vec::with_capacity(rows * columns * 20);
    writeln!(text, "f0,f1,f2,f3,f4,f5").expect("write");
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(42);
    for _ in 0..rows {
        for c in 0..columns {
            let v: f64 = StandardNormal.sample(&mut rng);
            if c > 0 {
                text.push(b',');
            }
            write!(text, "{v}").expect("write");
        }
        text.push(b'\n');
    }
    let bytes: Arc<[u8]> = Arc::from(text);
    let mb = bytes.len() as f64 / 1e6;
    let mut times = Vec::with_capacity(RUNS);
    // The last run's table, dropped before the next run (untimed) and kept for the write bench.
    let mut last = None;
    for _ in 0..RUNS {
        drop(last.take());
        let started = Instant::now();
        let ds =
            load_bytes("normals.csv", Arc::clone(&bytes), &LoadOptions::default()).expect("load");
        times.push(started.elapsed().as_secs_f64());
        assert_eq!(ds.n_rows(), rows);
        last = Some(ds);
    }
    let ds = last.expect("at least one run");
    times.sort_by(f64::total_cmp);
    let median = times[RUNS / 2];
    println!(
        "parse from memory: {rows} rows x {columns} columns, {mb:.0} MB, {} cores: median {median:.3} s \
         ({:.0} MB/s, {:.0} M numbers/s); runs {:?}",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        mb / median,
        (rows * columns) as f64 / median / 1e6,
        times.iter().map(|t| format!("{t:.3}")).collect::<Vec<_>>()
    );

    write_bench(&ds, &mut rng);
}

/// Times the scores file of `ds`'s rows, as `detect --scores-out` writes it, and prints MB/s.
fn write_bench(ds: &trafficlens::data::Dataset, rng: &mut rand_pcg::Pcg64Mcg) {
    use rand::Rng;
    let rows = ds.n_rows();
    // Isolation Forest's scores: full-precision values around 0.45, 5% flagged.
    let scores: Vec<f64> = (0..rows).map(|_| rng.random_range(0.35..0.75)).collect();
    let flags: Vec<bool> = scores.iter().map(|&s| s > 0.73).collect();
    let dir = std::path::PathBuf::from(std::env::var("TL_WRITE_DIR").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/target/bench_write").to_string()
    }));
    std::fs::create_dir_all(&dir).expect("create target/bench_write");
    let path = dir.join("scores.csv");
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        // Each run writes a new file, as `--scores-out` usually does: the last run's file is
        // removed first, untimed (replacing it would also time the freeing of its pages).
        let _ = std::fs::remove_file(&path);
        let started = Instant::now();
        write_scores(&path, true, ds, &scores, &flags).expect("write scores");
        times.push(started.elapsed().as_secs_f64());
    }
    let mb = std::fs::metadata(&path).expect("scores file").len() as f64 / 1e6;
    times.sort_by(f64::total_cmp);
    let median = times[RUNS / 2];
    println!(
        "write scores file: {rows} rows, {mb:.0} MB, synced and renamed: median {median:.3} s \
         ({:.0} MB/s, {:.0} M rows/s); runs {:?}",
        mb / median,
        rows as f64 / median / 1e6,
        times.iter().map(|t| format!("{t:.3}")).collect::<Vec<_>>()
    );
    let _ = std::fs::remove_file(&path);
}
