//! The automatic threshold on the command line (`detect --threshold auto --risk R`): it flags a
//! handful of injected outliers and few other rows, a smaller risk never flags more, at risk
//! 1e-2 about 1% of the normal rows are flagged, the scores file keeps its shape, and wrong uses are refused with a message that says what to do.

use std::path::{Path, PathBuf};

use rand::SeedableRng;
use rand_distr::{Distribution, Normal};
use rand_pcg::Pcg64Mcg;

use crate::util::{bin, run_ok, tempdir};

/// The rows holding the injected outliers.
const OUTLIERS: [usize; 5] = [400, 2600, 5100, 7300, 9600];

/// Writes 10,000 rows of three correlated traffic-like features (requests, errors, bytes) with
/// outliers in [`OUTLIERS`], and returns its path.
fn table(dir: &Path) -> PathBuf {
    let mut rng = Pcg64Mcg::seed_from_u64(13);
    let noise = Normal::new(0.0, 1.0).expect("normal");
    let mut csv = String::from("requests,errors,kilobytes\n");
    for row in 0..10_000 {
        let base = 1000.0 + 50.0 * noise.sample(&mut rng);
        let (requests, errors, kb) = if OUTLIERS.contains(&row) {
            (1900.0 + row as f64 / 100.0, 160.0, 1.0e5)
        } else {
            (
                base,
                20.0 + 0.02 * (base - 1000.0) + 4.0 * noise.sample(&mut rng),
                base * 50.0 + 1500.0 * noise.sample(&mut rng),
            )
        };
        csv.push_str(&format!("{requests:.1},{errors:.1},{kb:.0}\n"));
    }
    let path = dir.join("traffic.csv");
    std::fs::write(&path, csv).expect("write table");
    path
}

/// Runs `detect` with `args` and returns the flagged rows from the scores file.
fn flagged(dir: &Path, input: &Path, args: &[&str]) -> Vec<usize> {
    let out = dir.join("scores.csv");
    bin(dir)
        .arg("detect")
        .arg(input)
        .args(args)
        .arg("--scores-out")
        .arg(&out)
        .arg("--force")
        .assert()
        .success();
    let text = std::fs::read_to_string(&out).expect("scores written");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("row,anomaly_score,flagged"));
    lines
        .filter_map(|line| {
            let mut cells = line.split(',');
            let row: usize = cells.next()?.parse().ok()?;
            (cells.nth(1)? == "1").then_some(row)
        })
        .collect()
}

#[test]
fn auto_flags_the_injected_outliers_and_few_others() {
    let dir = tempdir();
    let input = table(dir.path());
    for algo in ["iforest", "lof"] {
        let rows = flagged(dir.path(), &input, &["--algo", algo, "--threshold", "auto"]);
        for o in OUTLIERS {
            assert!(rows.contains(&o), "{algo}: {o} not in {rows:?}");
        }
        // At the default risk 1e-4, about one of the 9,995 normal rows is flagged by chance.
        assert!(rows.len() <= OUTLIERS.len() + 5, "{algo}: {rows:?}");
    }
}

#[test]
fn a_smaller_risk_never_flags_more() {
    let dir = tempdir();
    let input = table(dir.path());
    for algo in ["iforest", "lof"] {
        let counts: Vec<usize> = ["1e-2", "1e-3", "1e-4", "1e-5", "1e-6"]
            .iter()
            .map(|risk| {
                flagged(
                    dir.path(),
                    &input,
                    &["--algo", algo, "--threshold", "auto", "--risk", risk],
                )
                .len()
            })
            .collect();
        assert!(
            counts.windows(2).all(|w| w[0] >= w[1]),
            "{algo}: {counts:?}"
        );
        assert!(counts[0] > counts[4], "{algo}: {counts:?}");
        // The risk is what it says: at 1e-2 about 1% of the 9,995 normal rows are flagged by
        // chance (expected 100, Poisson standard deviation 10; four allowed either way).
        let chance = counts[0] as f64 - OUTLIERS.len() as f64;
        assert!((chance - 99.95).abs() < 40.0, "{algo}: {counts:?}");
    }
}

#[test]
fn contamination_stays_the_default_for_iforest_and_lof() {
    let dir = tempdir();
    let input = table(dir.path());
    for algo in ["iforest", "lof"] {
        let default = flagged(dir.path(), &input, &["--algo", algo]);
        let explicit = flagged(
            dir.path(),
            &input,
            &["--algo", algo, "--threshold", "contamination"],
        );
        assert_eq!(default, explicit, "{algo}");
    }
}

#[test]
fn wrong_uses_are_refused_with_advice() {
    let dir = tempdir();
    let input = table(dir.path());
    let small = dir.path().join("small.csv");
    let mut csv = String::from("a,b\n");
    for i in 0..50 {
        csv.push_str(&format!("{},{}\n", i % 7, i % 5));
    }
    std::fs::write(&small, csv).expect("write");
    let refused = |file: &Path, args: &[&str], says: &str| {
        let out = bin(dir.path())
            .arg("detect")
            .arg(file)
            .args(args)
            .assert()
            .failure()
            .get_output()
            .clone();
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(err.contains(says), "{args:?}: {err}");
    };
    refused(
        &small,
        &["--threshold", "auto"],
        "needs at least 100 scores",
    );
    refused(&input, &["--threshold", "auto", "--risk", "0.5"], "risk");
    refused(&input, &["--threshold", "sometimes"], "auto");
    refused(
        &input,
        &["--threshold", "auto", "--contamination", "0.1"],
        "--risk",
    );
    refused(&input, &["--risk", "1e-3"], "--threshold auto");
}

/// The seasonal baseline's scores are bounded by 1 (`L / (1 + L)`): the automatic threshold fits
/// their tail on `L`, so it stays below 1 and flags rare spikes. Fitted on the scores themselves,
/// crowded below 1, it extrapolated past 1 (1.58 here) and flagged nothing.
#[test]
fn the_seasonal_automatic_threshold_stays_below_its_top_score_and_flags_rare_spikes() {
    let dir = tempdir();
    let path = dir.path().join("rare.csv");
    let mut rng = Pcg64Mcg::seed_from_u64(5);
    let noise = Normal::new(0.0, 8.0).expect("normal");
    let spikes = [24 * 30 + 3, 24 * 50 + 14, 24 * 70 + 22];
    let start = 1_609_718_400_000_i64; // 2021-01-04 00:00 UTC, a Monday
    let mut text = String::from("time,requests\n");
    for h in 0..24 * 84 {
        let hour = (h % 24) as f64;
        let mut v = 200.0
            + 150.0 * ((hour - 8.0) / 24.0 * std::f64::consts::TAU).sin()
            + noise.sample(&mut rng);
        if spikes.contains(&h) {
            v += 400.0;
        }
        text.push_str(&format!("{},{v:.0}\n", start / 1000 + h as i64 * 3600));
    }
    std::fs::write(&path, text).expect("write");
    let out = run_ok(
        bin(dir.path())
            .args([
                "detect",
                "--algo",
                "seasonal",
                "--threshold",
                "auto",
                "--scores-out",
                "-",
            ])
            .arg(&path),
    );
    let flagged: Vec<usize> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip(1)
        .filter_map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            (cells.get(2) == Some(&"1")).then(|| cells[0].parse().expect("row"))
        })
        .collect();
    assert_eq!(flagged, spikes, "{}", String::from_utf8_lossy(&out.stderr));
}
