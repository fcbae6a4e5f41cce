//! Isolation Forest benchmark: scikit-learn (`n_jobs=-1`) and TrafficLens side by side in one run,
//! on the same generated data: 100 trees, `max_samples=256`, fit plus scoring every row.
//!
//! `cargo bench --bench iforest` runs 1,000,000 x 6 and 10,000,000 x 6 (set `TL_BENCH_ROWS`, such
//! as `1000000`, for one size). Each side runs in its own process; loading the CSV is not timed.
//! Needs a Python with scikit-learn and pandas for the reference (see `common::python`).

mod common;

use std::path::Path;
use std::time::Instant;

use trafficlens::data::{load, LoadOptions};
use trafficlens::detect::{IsolationForestParams, Matrix, MaxSamples};

/// Environment variable that makes this executable act as the measured child.
const CHILD: &str = "TL_BENCH_IFOREST_CHILD";

const DEFAULT_ROWS: [u64; 2] = [1_000_000, 10_000_000];

fn main() {
    if let Ok(path) = std::env::var(CHILD) {
        child(Path::new(&path));
        return;
    }
    let sizes = common::sizes(&DEFAULT_ROWS);
    let mut table = Vec::new();
    for rows in sizes {
        let path = common::ensure_file(rows);
        let ours = run_ours(&path);
        let theirs = run_sklearn(&path);
        table.push((rows, ours, theirs));
    }
    println!();
    println!(
        "{:>10}  {:>14}  {:>16}  {:>8}  {:>12}  {:>22}",
        "rows",
        "scikit-learn s",
        "trafficlens s",
        "speed-up",
        "matrix MB",
        "our extra peak / matrix"
    );
    for (rows, ours, theirs) in table {
        let (t, extra_kb, matrix_kb) = ours.unwrap_or((f64::NAN, f64::NAN, f64::NAN));
        let s = theirs.unwrap_or(f64::NAN);
        println!(
            "{rows:>10}  {s:>14.2}  {t:>16.3}  {:>7.1}x  {:>12.0}  {:>22.2}",
            s / t,
            matrix_kb / 1e3,
            extra_kb / matrix_kb
        );
    }
}

/// In the child: load (untimed), then fit (which scores every training row), and print
/// seconds, the extra peak memory during the fit (kB) and the matrix size (kB).
fn child(path: &Path) {
    let ds = load(path, &LoadOptions::default()).expect("load");
    let x = Matrix::new(&ds.columns, &ds.feature_names).expect("matrix");
    let matrix_kb = (ds.n_rows() * ds.n_features() * 8) as f64 / 1024.0;
    common::reset_peak();
    let before = common::status_kb("VmRSS:");
    let params = IsolationForestParams {
        n_estimators: 100,
        max_samples: MaxSamples::Count(256),
        ..IsolationForestParams::default()
    }
    .validate()
    .expect("valid");
    let started = Instant::now();
    let forest = params.fit(&x).expect("fit");
    let secs = started.elapsed().as_secs_f64();
    let peak = common::status_kb("VmHWM:");
    assert_eq!(forest.train_score_samples().len(), ds.n_rows());
    println!("{secs} {} {matrix_kb}", peak.saturating_sub(before));
}

/// (seconds, extra peak kB, matrix kB)
fn run_ours(path: &Path) -> Option<(f64, f64, f64)> {
    let v = common::run_self(CHILD, path)?;
    println!("trafficlens {}: {:.3} s", path.display(), v.first()?);
    Some((*v.first()?, *v.get(1)?, *v.get(2)?))
}

fn run_sklearn(path: &Path) -> Option<f64> {
    let script = format!(
        "import time, pandas as pd\n\
         from sklearn.ensemble import IsolationForest\n\
         X = pd.read_csv({path:?}).drop(columns=['Timestamp']).to_numpy()\n\
         t = time.perf_counter()\n\
         m = IsolationForest(n_estimators=100, max_samples=256, n_jobs=-1, random_state=0).fit(X)\n\
         s = m.score_samples(X)\n\
         print(time.perf_counter() - t)\n",
        path = path.display().to_string()
    );
    let t = *common::run_python(&script)?.first()?;
    println!("scikit-learn {}: {t:.2} s", path.display());
    Some(t)
}
