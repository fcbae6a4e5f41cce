//! End to end against scikit-learn (issue 16): from a CSV file to a scores file, each side a
//! whole process of its own, as a user runs it.
//!
//! - TrafficLens: `trafficlens detect FILE --algo ALGO [--n-neighbors 20] --scores-out OUT`.
//! - scikit-learn: `scripts/bench_end_to_end.py` (pandas `read_csv`, the detector with
//!   `n_jobs=-1`, `to_csv` of `row,anomaly_score,flagged`), run by the Python of a venv in
//!   `target/benchenv-e2e` (made with the system's site packages; scikit-learn and pandas are
//!   installed into it from PyPI when the system has none).
//!
//! Inputs (random normals, written with every digit, `f0..fN` headers) are generated once under
//! `target/bench_e2e/`: Isolation Forest on 1,000,000 x 6, LOF (k = 20) on 100,000 x 6,
//! 20,000 x 16 and 5,000 x 36, and, with `TL_E2E_10M=1` (1.2 GB of disk), Isolation Forest on
//! 10,000,000 x 6. `TL_E2E_CASES=if1m,lof100k` picks cases by name.
//!
//! Each command runs 3 times; the table gives the median of each figure: wall time, CPU time
//! (user + system, from `wait4`'s resource usage of the child), peak resident memory (the
//! child's `ru_maxrss`), and the ratio of the wall times.

#[cfg(unix)]
fn main() {
    unix::main();
}

#[cfg(not(unix))]
fn main() {
    eprintln!("the end-to-end benchmark measures child processes with wait4: Unix only");
}

#[cfg(unix)]
mod unix {
    use std::io::Write;
    use std::path::{Path, PathBuf};
    use std::process::{Command, Stdio};
    use std::time::Instant;

    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};

    /// Runs of each command; the median is reported.
    const RUNS: usize = 3;

    /// One comparison.
    struct Case {
        name: &'static str,
        algo: &'static str,
        rows: usize,
        columns: usize,
    }

    const CASES: [Case; 5] = [
        Case {
            name: "if1m",
            algo: "iforest",
            rows: 1_000_000,
            columns: 6,
        },
        Case {
            name: "if10m",
            algo: "iforest",
            rows: 10_000_000,
            columns: 6,
        },
        Case {
            name: "lof100k",
            algo: "lof",
            rows: 100_000,
            columns: 6,
        },
        Case {
            name: "lof20k16",
            algo: "lof",
            rows: 20_000,
            columns: 16,
        },
        Case {
            name: "lof5k36",
            algo: "lof",
            rows: 5_000,
            columns: 36,
        },
    ];

    /// What one run of a command cost.
    #[derive(Clone, Copy)]
    struct Cost {
        wall: f64,
        cpu: f64,
        peak_mb: f64,
    }

    pub fn main() {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let dir = root.join("target/bench_e2e");
        std::fs::create_dir_all(&dir).expect("create target/bench_e2e");
        let chosen: Option<Vec<String>> = std::env::var("TL_E2E_CASES")
            .ok()
            .map(|v| v.split(',').map(|s| s.trim().to_string()).collect());
        let big = std::env::var("TL_E2E_10M").is_ok_and(|v| v == "1");
        let cases: Vec<&Case> = CASES
            .iter()
            .filter(|c| match &chosen {
                Some(names) => names.iter().any(|n| n == c.name),
                None => c.name != "if10m" || big,
            })
            .collect();
        let python = python(&root);
        let ours = PathBuf::from(env!("CARGO_BIN_EXE_trafficlens"));
        let script = root.join("scripts/bench_end_to_end.py");
        println!(
            "end to end, file to scores file, median of {RUNS} runs, {} cores",
            std::thread::available_parallelism().map_or(1, |n| n.get())
        );
        let mut table = Vec::new();
        for case in cases {
            let input = ensure_input(&dir, case.rows, case.columns);
            let file_mb = std::fs::metadata(&input).map_or(0.0, |m| m.len() as f64 / 1e6);
            let our_out = dir.join(format!("{}_trafficlens.csv", case.name));
            let their_out = dir.join(format!("{}_sklearn.csv", case.name));
            let mut our_cmd = vec![
                ours.display().to_string(),
                "detect".into(),
                input.display().to_string(),
                "--algo".into(),
                case.algo.into(),
            ];
            if case.algo == "lof" {
                our_cmd.extend(["--n-neighbors".into(), "20".into()]);
            }
            our_cmd.extend([
                "--scores-out".into(),
                our_out.display().to_string(),
                "--force".into(),
            ]);
            let their_cmd = python.as_ref().map(|py| {
                vec![
                    py.display().to_string(),
                    script.display().to_string(),
                    case.algo.to_string(),
                    input.display().to_string(),
                    their_out.display().to_string(),
                ]
            });
            let ours = median(&dir, case.name, "trafficlens", &our_cmd);
            let theirs = their_cmd.and_then(|c| median(&dir, case.name, "sklearn", &c));
            if let (Some(_), Some(_)) = (&ours, &theirs) {
                check_rows(&our_out, &their_out, case.rows);
            }
            table.push((case, file_mb, ours, theirs));
        }
        println!();
        println!(
            "{:<30} {:>8} | {:>8} {:>8} {:>8} {:>8} | {:>8} {:>8} {:>8} | {:>7}",
            "work",
            "file MB",
            "ours s",
            "CPU s",
            "CPU/wall",
            "peak MB",
            "sklearn s",
            "CPU s",
            "peak MB",
            "ratio"
        );
        let nan = Cost {
            wall: f64::NAN,
            cpu: f64::NAN,
            peak_mb: f64::NAN,
        };
        for (case, file_mb, ours, theirs) in table {
            let o = ours.unwrap_or(nan);
            let t = theirs.unwrap_or(nan);
            let work = format!(
                "{} {} x {}",
                if case.algo == "lof" {
                    "LOF k=20"
                } else {
                    "IForest"
                },
                case.rows,
                case.columns
            );
            println!(
                "{work:<30} {file_mb:>8.0} | {:>8.2} {:>8.2} {:>8.2} {:>8.0} | {:>9.2} {:>8.2} {:>8.0} | {:>6.1}x",
                o.wall,
                o.cpu,
                o.cpu / o.wall,
                o.peak_mb,
                t.wall,
                t.cpu,
                t.peak_mb,
                t.wall / o.wall
            );
        }
    }

    /// The Python of `target/benchenv-e2e`, made if needed; `None` (with a note) when it
    /// cannot be made or lacks scikit-learn and pandas.
    fn python(root: &Path) -> Option<PathBuf> {
        let env = root.join("target/benchenv-e2e");
        let py = env.join("bin/python");
        let has = |py: &Path| {
            Command::new(py)
                .args(["-c", "import sklearn, pandas"])
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        if !has(&py) {
            println!("making the Python in {}", env.display());
            let made = Command::new("python3")
                .args(["-m", "venv", "--system-site-packages"])
                .arg(&env)
                .status()
                .is_ok_and(|s| s.success());
            if made && !has(&py) {
                let _ = Command::new(env.join("bin/pip"))
                    .args(["install", "--quiet", "numpy", "pandas", "scikit-learn"])
                    .status();
            }
        }
        if !has(&py) {
            println!("scikit-learn side skipped: no Python with scikit-learn and pandas");
            return None;
        }
        if let Ok(out) = Command::new(&py)
            .args([
                "-c",
                "import sklearn, pandas, numpy; print(sklearn.__version__, pandas.__version__, numpy.__version__)",
            ])
            .output()
        {
            let v = String::from_utf8_lossy(&out.stdout);
            let v: Vec<&str> = v.split_whitespace().collect();
            if v.len() == 3 {
                println!(
                    "scikit-learn {}, pandas {}, numpy {}",
                    v[0], v[1], v[2]
                );
            }
        }
        Some(py)
    }

    /// `rows` x `columns` standard normals, every digit written, made once.
    fn ensure_input(dir: &Path, rows: usize, columns: usize) -> PathBuf {
        let path = dir.join(format!("normals_{rows}x{columns}.csv"));
        if path.exists() {
            return path;
        }
        let started = Instant::now();
        let part = path.with_extension("csv.part");
        let file = std::fs::File::create(&part).expect("create the input");
        let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
        let header: Vec<String> = (0..columns).map(|c| format!("f{c}")).collect();
        writeln!(w, "{}", header.join(",")).expect("write");
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64((rows * 100 + columns) as u64);
        for _ in 0..rows {
            for c in 0..columns {
                let v: f64 = StandardNormal.sample(&mut rng);
                if c > 0 {
                    w.write_all(b",").expect("write");
                }
                write!(w, "{v}").expect("write");
            }
            w.write_all(b"\n").expect("write");
        }
        w.flush().expect("flush");
        drop(w);
        std::fs::rename(&part, &path).expect("rename");
        println!(
            "generated {} in {:.1} s",
            path.display(),
            started.elapsed().as_secs_f64()
        );
        path
    }

    /// Runs `cmd` [`RUNS`] times; the median of each figure, or `None` if a run failed.
    fn median(dir: &Path, case: &str, side: &str, cmd: &[String]) -> Option<Cost> {
        let mut runs = Vec::new();
        for i in 0..RUNS {
            let log = dir.join(format!("{case}_{side}.stderr"));
            let cost = run(cmd, &log)?;
            println!(
                "{case} {side} run {}: {:.2} s wall, {:.2} s CPU, {:.0} MB peak",
                i + 1,
                cost.wall,
                cost.cpu,
                cost.peak_mb
            );
            runs.push(cost);
        }
        let mid = |f: fn(&Cost) -> f64| {
            let mut v: Vec<f64> = runs.iter().map(f).collect();
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        Some(Cost {
            wall: mid(|c| c.wall),
            cpu: mid(|c| c.cpu),
            peak_mb: mid(|c| c.peak_mb),
        })
    }

    /// One run of `cmd` (standard error to `log`), measured with `wait4`.
    fn run(cmd: &[String], log: &Path) -> Option<Cost> {
        let stderr = std::fs::File::create(log).ok()?;
        let started = Instant::now();
        let child = Command::new(&cmd[0])
            .args(&cmd[1..])
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .ok()?;
        let pid = child.id() as libc::pid_t;
        let mut status: libc::c_int = 0;
        // SAFETY: an all-zero rusage is a valid value of this plain C struct.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: `pid` is our child, not yet waited for; both pointers are to live locals.
        let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        let wall = started.elapsed().as_secs_f64();
        let ok = waited == pid && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
        if !ok {
            println!("failed: {} (see {})", cmd.join(" "), log.display());
            return None;
        }
        let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        Some(Cost {
            wall,
            cpu: seconds(usage.ru_utime) + seconds(usage.ru_stime),
            // Linux reports kilobytes.
            peak_mb: usage.ru_maxrss as f64 / 1024.0,
        })
    }

    /// Both scores files have a header and one line per row.
    fn check_rows(ours: &Path, theirs: &Path, rows: usize) {
        for path in [ours, theirs] {
            let lines =
                std::fs::read(path).map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count());
            if lines != rows + 1 {
                println!(
                    "warning: {} has {lines} lines, expected {}",
                    path.display(),
                    rows + 1
                );
            }
        }
    }
}
