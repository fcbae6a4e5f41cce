//! Access-log benchmark: TrafficLens versus GoAccess parsing the same generated Combined Log
//! Format file, side by side in one run, printed as lines per second.
//!
//! `cargo bench --bench access_log` writes (once) a 5,000,000-line log with the project's
//! generator under `target/bench_data/`, then times, each in a child process and best of three
//! after a warm-up read: TrafficLens reading it into columns (all cores, and one core), reading
//! it and making the client view, and GoAccess (`apt-get install goaccess`) with
//! `--log-format=COMBINED --process-and-exit`, which parses and aggregates without writing a
//! report. Set `TL_BENCH_LINES` for another size.

// Shared with the other benchmarks; this one uses the memory readings only.
#[allow(dead_code)]
mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use trafficlens::control::Control;
use trafficlens::data::access::{detect_format, read_log, view, LogOptions};
use trafficlens::data::Source;
use trafficlens::generate::access_log::{generate_log, LogGeneratorConfig};

thread_local! {
    /// The largest peak resident size a TrafficLens child reported, in kB.
    static PEAK_KB: std::cell::Cell<f64> = const { std::cell::Cell::new(0.0) };
}

/// Environment variable that makes this executable act as the measured child.
const CHILD: &str = "TL_BENCH_LOG_CHILD";
/// In the child: also make the client view.
const WITH_VIEW: &str = "TL_BENCH_LOG_VIEW";

fn main() {
    if let Ok(path) = std::env::var(CHILD) {
        child(Path::new(&path));
        return;
    }
    let lines: u64 = std::env::var("TL_BENCH_LINES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000_000);
    let path = ensure_log(lines);
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!(
        "access-log benchmark: {} ({lines} lines, {:.0} MB), best of 3",
        path.display(),
        size as f64 / 1e6
    );
    // Warm the page cache so every reader starts from memory.
    let _ = std::fs::read(&path).map(|b| b.len());

    let ours = best_of(3, || run_ours(&path, &[]));
    let ours_one = best_of(3, || run_ours(&path, &[("RAYON_NUM_THREADS", "1")]));
    let ours_view = best_of(3, || run_ours(&path, &[(WITH_VIEW, "1")]));
    let goaccess = best_of(3, || goaccess(&path));

    println!();
    println!("{:<52} {:>9} {:>14}", "parser", "time (s)", "lines/s");
    let row = |name: &str, t: Option<f64>| match t {
        Some(t) => println!("{name:<52} {t:>9.2} {:>14.0}", lines as f64 / t),
        None => println!("{name:<52} {:>9}", "n/a"),
    };
    row("trafficlens: read into columns (2 cores)", ours);
    row("trafficlens: read into columns (1 core)", ours_one);
    row(
        "trafficlens: read and make the client view (2 cores)",
        ours_view,
    );
    row("goaccess --process-and-exit (1 thread)", goaccess);
    let peak = PEAK_KB.with(std::cell::Cell::get);
    println!(
        "\ntrafficlens peak memory: {:.0} MB ({:.2}x the file; the text is never held whole)",
        peak / 1e3,
        peak * 1e3 / size.max(1) as f64
    );
    if let (Some(t), Some(g)) = (ours, goaccess) {
        println!("\nspeed-up over GoAccess: {:.1}x", g / t);
    }
    if let (Some(t), Some(g)) = (ours_one, goaccess) {
        println!("speed-up over GoAccess, one core each: {:.1}x", g / t);
    }
    if let (Some(t), Some(g)) = (ours_view, goaccess) {
        println!(
            "speed-up over GoAccess, with the client view: {:.1}x",
            g / t
        );
    }
}

/// The best of `n` timings (None if any run failed).
fn best_of(n: usize, mut run: impl FnMut() -> Option<f64>) -> Option<f64> {
    let mut best: Option<f64> = None;
    for _ in 0..n {
        let t = run()?;
        best = Some(best.map_or(t, |b: f64| b.min(t)));
    }
    best
}

/// The generated log, cut to exactly `lines` lines, made once and reused.
fn ensure_log(lines: u64) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench_data");
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(format!("access_{lines}.log"));
    if path.exists() {
        return path;
    }
    let started = Instant::now();
    // About 90 lines per normal client over four days, plus the attacks.
    let cfg = LogGeneratorConfig {
        clients: usize::try_from(lines / 80).unwrap_or(usize::MAX).max(100),
        ..LogGeneratorConfig::default()
    };
    let tmp = dir.join(format!("access_{lines}.log.part"));
    let file = std::fs::File::create(&tmp).expect("create the benchmark log");
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let summary = generate_log(&cfg, &mut out, &mut std::io::sink()).expect("generate");
    out.flush().expect("flush");
    drop(out);
    assert!(
        summary.lines >= lines,
        "generated only {} lines",
        summary.lines
    );
    // Cut after the `lines`-th line.
    let bytes = std::fs::read(&tmp).expect("read back");
    let end = memchr::memchr_iter(b'\n', &bytes)
        .nth(usize::try_from(lines - 1).unwrap_or(usize::MAX))
        .map_or(bytes.len(), |i| i + 1);
    std::fs::write(&tmp, &bytes[..end]).expect("cut");
    std::fs::rename(&tmp, &path).expect("rename");
    println!(
        "generated {} in {:.1} s",
        path.display(),
        started.elapsed().as_secs_f64()
    );
    path
}

/// In the child: read (and maybe view) the log, print seconds and lines.
fn child(path: &Path) {
    let source = Source::File(path.to_path_buf());
    common::reset_peak();
    let started = Instant::now();
    let format = detect_format(&source, false).expect("format");
    let log = read_log(&source, &format, false, Control::default()).expect("read");
    let lines = log.lines;
    assert_eq!(log.malformed, 0);
    if std::env::var(WITH_VIEW).is_ok() {
        let options = LogOptions::default();
        let ds = view(std::sync::Arc::new(log), &options).expect("view");
        assert!(ds.n_rows() > 0);
    }
    println!(
        "{} {lines} {}",
        started.elapsed().as_secs_f64(),
        common::status_kb("VmHWM:")
    );
}

fn run_ours(path: &Path, env: &[(&str, &str)]) -> Option<f64> {
    let exe = std::env::current_exe().ok()?;
    let mut cmd = Command::new(exe);
    cmd.env(CHILD, path);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let started = Instant::now();
    let out = cmd.output().ok()?;
    let wall = started.elapsed().as_secs_f64();
    if !out.status.success() {
        eprintln!(
            "trafficlens child failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return None;
    }
    // The wall time, like GoAccess's (process start included); the child reports its peak.
    let numbers = common::last_line_numbers(&out.stdout);
    if let Some(kb) = numbers.get(2) {
        PEAK_KB.with(|p| p.set(p.get().max(*kb)));
    }
    Some(wall)
}

fn goaccess(path: &Path) -> Option<f64> {
    let started = Instant::now();
    let out = Command::new("goaccess")
        .arg(path)
        .args([
            "--log-format=COMBINED",
            "--process-and-exit",
            "--no-progress",
            "--no-global-config",
        ])
        .output();
    let wall = started.elapsed().as_secs_f64();
    match out {
        Ok(o) if o.status.success() => Some(wall),
        Ok(o) => {
            eprintln!("goaccess failed: {}", String::from_utf8_lossy(&o.stderr));
            None
        }
        Err(e) => {
            eprintln!("goaccess unavailable ({e}); install it with `apt-get install goaccess`");
            None
        }
    }
}
