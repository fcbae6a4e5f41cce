//! LOF benchmark: scikit-learn (`algorithm="auto"`, `n_jobs=-1`) and TrafficLens side by side in
//! one run on the same generated data, k = 20: 100,000 x 6 and 1,000,000 x 6. Also times
//! re-deriving LOF for a new k from cached neighbour lists (k_max = 100) at 100,000 rows.
//!
//! `cargo bench --bench lof` (set `TL_BENCH_ROWS=100000` for one size). Loading is not timed.
//! Needs a Python with scikit-learn and pandas for the reference (see `common::python`).

mod common;

use std::path::Path;
use std::time::Instant;

use trafficlens::data::{load, LoadOptions};
use trafficlens::detect::{Contamination, LofParams, Matrix, NeighbourCache};

/// Environment variable that makes this executable act as the measured child.
const CHILD: &str = "TL_BENCH_LOF_CHILD";

const DEFAULT_ROWS: [u64; 2] = [100_000, 1_000_000];

fn main() {
    if let Ok(path) = std::env::var(CHILD) {
        child(Path::new(&path));
        return;
    }
    let sizes = common::sizes(&DEFAULT_ROWS);
    let mut table = Vec::new();
    for rows in sizes {
        let path = common::ensure_file(rows);
        table.push((rows, run_ours(&path), run_sklearn(&path)));
    }
    println!();
    println!(
        "{:>10}  {:>14}  {:>14}  {:>8}  {:>26}",
        "rows", "scikit-learn s", "trafficlens s", "speed-up", "new k from cache (k=35) ms"
    );
    for (rows, ours, theirs) in table {
        let (t, rederive) = ours.unwrap_or((f64::NAN, f64::NAN));
        let s = theirs.unwrap_or(f64::NAN);
        println!(
            "{rows:>10}  {s:>14.2}  {t:>14.3}  {:>7.1}x  {:>26.1}",
            s / t,
            rederive * 1e3
        );
    }
}

/// In the child: load (untimed), fit LOF with k = 20 and print its time; then build a cache for
/// k <= 100 and print the time to derive LOF for k = 35 from it.
fn child(path: &Path) {
    let ds = load(path, &LoadOptions::default()).expect("load");
    let x = Matrix::new(&ds.columns, &ds.feature_names).expect("matrix");
    let params = LofParams::default().validate().expect("valid");
    common::reset_peak();
    let before = common::status_kb("VmRSS:");
    let started = Instant::now();
    let lof = params.fit(&x).expect("fit");
    let fit = started.elapsed().as_secs_f64();
    let extra_mb = common::status_kb("VmHWM:").saturating_sub(before) as f64 / 1024.0;
    assert_eq!(lof.negative_outlier_factor().len(), ds.n_rows());
    let rederive = if ds.n_rows() <= 100_000 {
        let cache = NeighbourCache::build(&x, 100).expect("cache");
        let started = Instant::now();
        let again = cache.fit(35, Contamination::Auto).expect("fit");
        let secs = started.elapsed().as_secs_f64();
        assert_eq!(again.n_neighbors(), 35);
        secs
    } else {
        f64::NAN
    };
    println!("{fit} {rederive} {extra_mb}");
}

fn run_ours(path: &Path) -> Option<(f64, f64)> {
    let v = common::run_self(CHILD, path)?;
    let (fit, rederive, extra) = (*v.first()?, *v.get(1)?, *v.get(2)?);
    println!(
        "trafficlens {}: {fit:.3} s, {extra:.0} MB above the loaded data",
        path.display()
    );
    Some((fit, rederive))
}

fn run_sklearn(path: &Path) -> Option<f64> {
    let script = format!(
        "import time, pandas as pd\n\
         from sklearn.neighbors import LocalOutlierFactor\n\
         X = pd.read_csv({path:?}).drop(columns=['Timestamp']).to_numpy()\n\
         t = time.perf_counter()\n\
         m = LocalOutlierFactor(n_neighbors=20, algorithm='auto', n_jobs=-1).fit(X)\n\
         print(time.perf_counter() - t)\n",
        path = path.display().to_string()
    );
    let t = *common::run_python(&script)?.first()?;
    println!("scikit-learn {}: {t:.2} s", path.display());
    Some(t)
}
