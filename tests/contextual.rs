//! Contextual anomalies (`generate --contextual`): values that are normal at another time of
//! day or week. Isolation Forest, which looks at each row on its own, misses most of them while
//! it finds the point anomalies of the same files; the seasonal baseline finds every contextual
//! kind.

use std::collections::HashMap;
use std::path::Path;

use crate::util::{bin, tempdir};

/// The contextual kinds, as the labels file names them.
const CONTEXTUAL: [&str; 3] = ["night_surge", "midday_drop", "lost_day"];

/// Writes twelve weeks of hourly traffic in six regions with contextual anomalies.
fn generate(dir: &Path, seed: u64) {
    bin(dir)
        .args([
            "generate",
            "--out",
            "hourly.csv",
            "--step",
            "1h",
            "--rows",
            "2016",
        ])
        .args(["--contextual", "--seed", &seed.to_string()])
        .assert()
        .success();
}

/// The labels file: kind per labelled row.
fn labels(dir: &Path) -> HashMap<usize, String> {
    let mut reader = csv::Reader::from_path(dir.join("hourly_labels.csv")).expect("labels");
    reader
        .records()
        .map(|r| {
            let r = r.expect("label row");
            (r[0].parse().expect("row"), r[1].to_string())
        })
        .collect()
}

/// `detect --scores-out`: flag per row.
fn flags(dir: &Path, algo_args: &[&str]) -> Vec<bool> {
    bin(dir)
        .args([
            "detect",
            "hourly.csv",
            "--scores-out",
            "scores.csv",
            "--force",
        ])
        .args(algo_args)
        .assert()
        .success();
    let mut reader = csv::Reader::from_path(dir.join("scores.csv")).expect("scores");
    reader
        .records()
        .map(|r| &r.expect("score row")[2] == "1")
        .collect()
}

/// The share of rows of the given kinds that are flagged, and how many rows that is of how many.
fn recall(labels: &HashMap<usize, String>, flags: &[bool], kinds: &[&str]) -> (f64, usize, usize) {
    let rows: Vec<usize> = labels
        .iter()
        .filter(|(_, k)| kinds.contains(&k.as_str()))
        .map(|(&r, _)| r)
        .collect();
    let found = rows.iter().filter(|&&r| flags[r]).count();
    (found as f64 / rows.len() as f64, found, rows.len())
}

/// Measured with the default Isolation Forest (100 trees, contamination auto) on seeds 0, 1, 2:
/// contextual rows flagged 11 of 110, 4 of 119, 33 of 121 (10%, 3%, 27%), while the spikes and
/// surges of the same files were flagged 10 of 11, 16 of 16, 12 of 12.
#[test]
fn isolation_forest_misses_most_contextual_anomalies() {
    for seed in 0..3 {
        let dir = tempdir();
        generate(dir.path(), seed);
        let labels = labels(dir.path());
        for kind in CONTEXTUAL {
            assert!(
                labels.values().any(|k| k == kind),
                "seed {seed}: the file has {kind} rows"
            );
        }
        let flags = flags(dir.path(), &[]);
        assert_eq!(flags.len(), 2016);
        let (contextual, found, of) = recall(&labels, &flags, &CONTEXTUAL);
        assert!(
            contextual < 0.5,
            "seed {seed}: Isolation Forest flagged {found} of {of} contextual rows"
        );
        let (points, found, of) = recall(&labels, &flags, &["spike", "surge"]);
        assert!(
            points >= 0.8,
            "seed {seed}: Isolation Forest flagged only {found} of {of} spike and surge rows"
        );
    }
}

/// The events of the given kind: runs of consecutive labelled rows.
fn events(labels: &HashMap<usize, String>, kind: &str) -> Vec<Vec<usize>> {
    let mut rows: Vec<usize> = labels
        .iter()
        .filter(|(_, k)| k.as_str() == kind)
        .map(|(&r, _)| r)
        .collect();
    rows.sort_unstable();
    let mut out: Vec<Vec<usize>> = Vec::new();
    for r in rows {
        match out.last_mut() {
            Some(event) if event.last() == Some(&(r - 1)) => event.push(r),
            _ => out.push(vec![r]),
        }
    }
    out
}

/// On the same files (seeds 0, 1, 2), the seasonal baseline at its default threshold finds
/// every contextual kind where Isolation Forest misses most of them. Measured: contextual rows
/// flagged 83 of 110, 75 of 119, 82 of 121 (75%, 63%, 68%; Isolation Forest 10%, 3%,
/// 27%); events missed: 4 of 34, 3 of them in the first three weeks (the warm-up). Rows with
/// no label flagged: 86, 50, 66 (of about 1,830), 33 of seed 0's in the warm-up.
#[test]
fn seasonal_baseline_finds_every_contextual_kind() {
    for seed in 0..3 {
        let dir = tempdir();
        generate(dir.path(), seed);
        let labels = labels(dir.path());
        let forest = flags(dir.path(), &[]);
        let seasonal = flags(dir.path(), &["--algo", "seasonal"]);
        for kind in CONTEXTUAL {
            let events = events(&labels, kind);
            let found = events
                .iter()
                .filter(|rows| rows.iter().any(|&r| seasonal[r]))
                .count();
            assert!(
                found > 0,
                "seed {seed}: the seasonal baseline found none of {} {kind} events",
                events.len()
            );
        }
        let (by_season, found, of) = recall(&labels, &seasonal, &CONTEXTUAL);
        let (by_forest, ..) = recall(&labels, &forest, &CONTEXTUAL);
        assert!(
            by_season > 0.5 && by_season > by_forest + 0.25,
            "seed {seed}: the seasonal baseline flagged {found} of {of} contextual rows, Isolation Forest {by_forest:.2}"
        );
    }
}
