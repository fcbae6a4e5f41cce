//! Seasonal baseline benchmark: causal scoring of every point of six series, in parallel over
//! the series (the batch scorer), and row by row through the live state on one core.
//!
//! `cargo bench --bench seasonal` scores the generated 10,000,000 x 6 traffic table (one-minute
//! rows, so the periods are a day of 1,440 and a week of 10,080 buckets); set `TL_BENCH_ROWS`
//! (such as `1000000`) for other sizes. Loading the CSV is not timed. The batch scorer runs
//! three times, each result dropped before the next run; the median is reported with every run
//! (the later runs may reuse memory the earlier ones freed). The Python side by side
//! (statsmodels) times `trafficlens detect FILE --algo seasonal` on the same file.

#[allow(dead_code)]
mod common;

use std::time::Instant;

use trafficlens::data::{load, LoadOptions};
use trafficlens::detect::seasonal::state::RowScore;
use trafficlens::detect::seasonal::{score_table, SeasonalParams, SeasonalState};

const DEFAULT_ROWS: [u64; 1] = [10_000_000];

/// Runs of the batch scorer per size; the median is reported.
const BATCH_RUNS: usize = 3;

fn main() {
    println!(
        "{:>10}  {:>8}  {:>10}  {:>16}  {:>22}  batch runs (s)",
        "rows", "series", "batch s", "points/s (batch)", "points/s (row by row)"
    );
    for rows in common::sizes(&DEFAULT_ROWS) {
        let path = common::ensure_file(rows);
        let ds = load(&path, &LoadOptions::default()).expect("load");
        let Some(time) = ds.time.as_ref() else {
            eprintln!("{}: no time column", path.display());
            return;
        };
        let columns: Vec<&[f64]> = ds.columns.iter().map(Vec::as_slice).collect();
        let points = (ds.n_rows() * columns.len()) as f64;
        // The batch scorer BATCH_RUNS times (this machine's runs vary by 10-30%): the median
        // is reported, and every run listed.
        let mut runs = Vec::with_capacity(BATCH_RUNS);
        let mut last = None;
        for _ in 0..BATCH_RUNS {
            drop(last.take());
            let started = Instant::now();
            let scored = score_table(&time.millis, &columns, None, SeasonalParams::default())
                .expect("score");
            runs.push(started.elapsed().as_secs_f64());
            std::hint::black_box(&scored.scores);
            last = Some(scored);
        }
        let Some(scored) = last else {
            return;
        };
        let mut sorted = runs.clone();
        sorted.sort_by(f64::total_cmp);
        let batch = sorted[BATCH_RUNS / 2];
        // Row by row through the live state, one core (what `watch` does per source).
        let mut state = SeasonalState::new(
            scored.interval_ms,
            &scored.periods,
            columns.len(),
            SeasonalParams::default(),
        )
        .expect("state");
        drop(scored);
        let mut row = vec![0.0; columns.len()];
        let mut out = RowScore::default();
        let started = Instant::now();
        for (r, &t) in time.millis.iter().enumerate() {
            for (v, c) in row.iter_mut().zip(&columns) {
                *v = c[r];
            }
            state.update_into(t, &row, &mut out).expect("update");
        }
        let streamed = started.elapsed().as_secs_f64();
        std::hint::black_box(&out);
        println!(
            "{:>10}  {:>8}  {batch:>10.3}  {:>16.0}  {:>22.0}  {}",
            ds.n_rows(),
            columns.len(),
            points / batch,
            points / streamed,
            runs.iter()
                .map(|t| format!("{t:.3}"))
                .collect::<Vec<_>>()
                .join(" / ")
        );
    }
}
