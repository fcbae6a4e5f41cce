//! Load benchmark: TrafficLens versus pandas `read_csv` on the same generated file, in one run.
//!
//! `cargo bench --bench load` generates (once) a 10,000,000-row, 7-column CSV with
//! `trafficlens generate` logic under `target/bench_data/`, then loads it in a child process
//! with TrafficLens and with pandas (`TL_PYTHON`, else the venv `cargo bench --bench end_to_end`
//! makes in `target/benchenv-e2e`, else `python3` with pandas installed), each measured for wall
//! time and peak resident memory, and prints a table with the ratios.
//! Set `TL_BENCH_ROWS` for another size.

mod common;

use std::path::Path;
use std::time::Instant;

use trafficlens::data::{load, LoadOptions};

/// Environment variable that makes this executable act as the measured child.
const CHILD: &str = "TL_BENCH_LOAD_CHILD";

fn main() {
    if let Ok(path) = std::env::var(CHILD) {
        child(Path::new(&path));
        return;
    }
    let rows = common::sizes(&[10_000_000])
        .first()
        .copied()
        .unwrap_or(10_000_000);
    let path = common::ensure_file(rows);
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!(
        "load benchmark: {} ({} rows x 7 columns, {:.0} MB)",
        path.display(),
        rows,
        size as f64 / 1e6
    );
    let ours = measure_ours(&path);
    let pandas = measure_pandas(&path, false);
    let pandas_dates = measure_pandas(&path, true);

    println!();
    println!(
        "{:<38} {:>9} {:>12} {:>14}",
        "reader", "time (s)", "peak (MB)", "peak / file"
    );
    let row = |name: &str, m: Option<(f64, f64)>| match m {
        Some((t, kb)) => println!(
            "{:<38} {:>9.2} {:>12.0} {:>14.2}",
            name,
            t,
            kb / 1e3,
            kb * 1e3 / size as f64
        ),
        None => println!("{name:<38} {:>9}", "n/a"),
    };
    row("trafficlens load (times parsed)", ours);
    row("pandas read_csv", pandas);
    row("pandas read_csv, parse_dates", pandas_dates);
    if let (Some((t, _)), Some((p, _))) = (ours, pandas) {
        println!("\nspeed-up over pandas read_csv: {:.1}x", p / t);
    }
    if let (Some((t, _)), Some((p, _))) = (ours, pandas_dates) {
        println!(
            "speed-up over pandas read_csv with parse_dates: {:.1}x",
            p / t
        );
    }
}

/// In the child: load, then print seconds and peak RSS in kB.
fn child(path: &Path) {
    common::reset_peak();
    let started = Instant::now();
    let ds = load(path, &LoadOptions::default()).expect("load");
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(ds.n_features(), 6);
    println!("{secs} {}", common::status_kb("VmHWM:"));
}

fn measure_ours(path: &Path) -> Option<(f64, f64)> {
    let v = common::run_self(CHILD, path)?;
    Some((*v.first()?, *v.get(1)?))
}

fn measure_pandas(path: &Path, dates: bool) -> Option<(f64, f64)> {
    let script = format!(
        "import time, resource, pandas as pd\n\
         t = time.perf_counter()\n\
         df = pd.read_csv({path:?}{extra})\n\
         t = time.perf_counter() - t\n\
         assert df.shape[1] == 7\n\
         print(t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n",
        path = path.display().to_string(),
        extra = if dates {
            ", parse_dates=['Timestamp']"
        } else {
            ""
        }
    );
    let v = common::run_python(&script)?;
    Some((*v.first()?, *v.get(1)?))
}
