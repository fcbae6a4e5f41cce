//! Helpers shared by the benchmarks: generated input files and memory readings.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use trafficlens::generate::table::{generate, GeneratorConfig};

/// A generated traffic CSV with `rows` one-minute rows and six regions under
/// `target/bench_data/`, made once and reused.
pub fn ensure_file(rows: u64) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench_data");
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(format!("traffic_{rows}.csv"));
    if !path.exists() {
        let started = Instant::now();
        let cfg = GeneratorConfig {
            rows,
            step_seconds: 60,
            ..GeneratorConfig::default()
        };
        let tmp = dir.join(format!("traffic_{rows}.csv.part"));
        let file = std::fs::File::create(&tmp).expect("create the benchmark file");
        let mut data = std::io::BufWriter::with_capacity(1 << 20, file);
        generate(&cfg, &mut data, &mut std::io::sink()).expect("generate");
        data.flush().expect("flush");
        drop(data);
        std::fs::rename(&tmp, &path).expect("rename");
        println!(
            "generated {} in {:.1} s",
            path.display(),
            started.elapsed().as_secs_f64()
        );
    }
    path
}

/// A field of `/proc/self/status` in kB (`VmHWM` is the peak, `VmRSS` the current size).
pub fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Resets the peak resident size (`VmHWM`) to the current size (Linux).
pub fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The numbers on the last line a child printed.
pub fn last_line_numbers(out: &[u8]) -> Vec<f64> {
    String::from_utf8_lossy(out)
        .lines()
        .last()
        .map(|l| {
            l.split_whitespace()
                .filter_map(|v| v.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Runs this benchmark executable again as the measured child (with `var=path` in its
/// environment) and returns the numbers on the last line it printed.
pub fn run_self(var: &str, path: &std::path::Path) -> Option<Vec<f64>> {
    let exe = std::env::current_exe().ok()?;
    let out = std::process::Command::new(exe)
        .env(var, path)
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!(
            "trafficlens child failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return None;
    }
    Some(last_line_numbers(&out.stdout))
}

/// The Python the references run in: `TL_PYTHON` when set, else the end-to-end benchmark's
/// venv (`target/benchenv-e2e`, which has pandas and scikit-learn) when it has been made, else
/// `python3`.
pub fn python() -> std::path::PathBuf {
    if let Some(py) = std::env::var_os("TL_PYTHON") {
        return py.into();
    }
    let venv =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/benchenv-e2e/bin/python");
    if venv.exists() {
        venv
    } else {
        "python3".into()
    }
}

/// Runs a Python script (in [`python`]) and returns the numbers on the last line it printed, or
/// `None` (with a note) when Python or a package is missing.
pub fn run_python(script: &str) -> Option<Vec<f64>> {
    let out = std::process::Command::new(python())
        .arg("-c")
        .arg(script)
        .output()
        .ok()?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        eprintln!(
            "reference unavailable: {}",
            err.lines().last().unwrap_or("")
        );
        return None;
    }
    Some(last_line_numbers(&out.stdout))
}

/// The row counts to benchmark: `TL_BENCH_ROWS` (comma-separated) or the defaults.
pub fn sizes(default: &[u64]) -> Vec<u64> {
    std::env::var("TL_BENCH_ROWS")
        .ok()
        .map(|v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect())
        .unwrap_or_else(|| default.to_vec())
}
