//! Issue 12, Local Outlier Factor: Breunig et al.'s k-distance neighbourhood (independent of row
//! order, equal to scikit-learn's k nearest rows where there are no ties), scikit-learn's
//! brute-force rule (`n_neighbors >= n_samples // 2`) and its duplicates warning.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use trafficlens::detect::knn::Index;
use trafficlens::detect::lof::DUPLICATES_WARNING;
use trafficlens::detect::{Contamination, FittedLof, LofParams, Matrix, Neighbourhood};

use crate::util::{bin, floats, json, repo, tempdir};

/// Column-major values and names of `rows`, for [`Matrix::new`].
fn columns(rows: &[Vec<f64>]) -> (Vec<Vec<f64>>, Vec<String>) {
    let d = rows[0].len();
    let cols: Vec<Vec<f64>> = (0..d)
        .map(|f| rows.iter().map(|r| r[f]).collect())
        .collect();
    let names: Vec<String> = (0..d).map(|f| format!("f{f}")).collect();
    (cols, names)
}

fn fit(rows: &[Vec<f64>], k: usize, neighbourhood: Neighbourhood) -> FittedLof {
    let (cols, names) = columns(rows);
    LofParams {
        n_neighbors: k,
        contamination: Contamination::Auto,
        neighbourhood,
    }
    .validate()
    .expect("valid")
    .fit(&Matrix::new(&cols, &names).expect("matrix"))
    .expect("fit")
}

/// Integer counts with many ties and duplicates, as traffic is.
fn counts(n: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed);
    (0..n)
        .map(|i| {
            if i % 50 == 0 {
                vec![f64::from(rng.random_range(30..40u32)), 0.0, 9.0]
            } else {
                (0..3)
                    .map(|_| f64::from(rng.random_range(0..6u32)))
                    .collect()
            }
        })
        .collect()
}

fn distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt()
}

/// Breunig et al.'s LOF written out from the definitions over every pair of rows: N_k(p) is
/// every other row within the distance of p's k-th nearest other row.
fn reference_k_distance_lof(rows: &[Vec<f64>], k: usize) -> Vec<f64> {
    let n = rows.len();
    let others = |p: usize| -> Vec<(usize, f64)> {
        let mut v: Vec<(usize, f64)> = (0..n)
            .filter(|&o| o != p)
            .map(|o| (o, distance(&rows[p], &rows[o])))
            .collect();
        v.sort_by(|a, b| a.1.total_cmp(&b.1));
        v
    };
    let all: Vec<Vec<(usize, f64)>> = (0..n).map(others).collect();
    let k_distance: Vec<f64> = all.iter().map(|v| v[k - 1].1).collect();
    let hood: Vec<Vec<(usize, f64)>> = (0..n)
        .map(|p| {
            all[p]
                .iter()
                .copied()
                .filter(|(_, d)| *d <= k_distance[p])
                .collect()
        })
        .collect();
    let lrd: Vec<f64> = (0..n)
        .map(|p| {
            let sum: f64 = hood[p].iter().map(|&(o, d)| d.max(k_distance[o])).sum();
            1.0 / (sum / hood[p].len() as f64 + 1e-10)
        })
        .collect();
    (0..n)
        .map(|p| hood[p].iter().map(|&(o, _)| lrd[o]).sum::<f64>() / hood[p].len() as f64 / lrd[p])
        .collect()
}

fn assert_close(ours: &[f64], theirs: &[f64], tolerance: f64, what: &str) {
    assert_eq!(ours.len(), theirs.len(), "{what}");
    for (i, (a, b)) in ours.iter().zip(theirs).enumerate() {
        let rel = (a - b).abs() / a.abs().max(b.abs()).max(1e-300);
        assert!(rel <= tolerance, "{what}: row {i}: {a} vs {b} ({rel:e})");
    }
}

#[test]
fn k_distance_follows_the_definition_on_data_full_of_ties() {
    let rows = counts(400, 1);
    // 250 is at least half the rows: brute force.
    for k in [1, 3, 10, 25, 250] {
        let ours = fit(&rows, k, Neighbourhood::KDistance);
        let lof: Vec<f64> = ours.negative_outlier_factor().iter().map(|v| -v).collect();
        assert_close(
            &lof,
            &reference_k_distance_lof(&rows, k),
            1e-12,
            &format!("k = {k}"),
        );
    }
}

#[test]
fn k_distance_does_not_depend_on_row_order() {
    let rows = counts(600, 2);
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(3);
    for k in [2, 5, 20] {
        let base = fit(&rows, k, Neighbourhood::KDistance);
        let nearest = fit(&rows, k, Neighbourhood::KNearest);
        let mut differs = false;
        for _ in 0..4 {
            let mut order: Vec<usize> = (0..rows.len()).collect();
            order.shuffle(&mut rng);
            let shuffled: Vec<Vec<f64>> = order.iter().map(|&r| rows[r].clone()).collect();
            let again = fit(&shuffled, k, Neighbourhood::KDistance);
            for (i, &r) in order.iter().enumerate() {
                assert_eq!(
                    again.negative_outlier_factor()[i].to_bits(),
                    base.negative_outlier_factor()[r].to_bits(),
                    "k = {k}: row {r} moved to {i}"
                );
            }
            // The k nearest rows do depend on row order on these ties: the test has teeth.
            let shuffled_nearest = fit(&shuffled, k, Neighbourhood::KNearest);
            differs |= order.iter().enumerate().any(|(i, &r)| {
                (shuffled_nearest.negative_outlier_factor()[i]
                    - nearest.negative_outlier_factor()[r])
                    .abs()
                    > 1e-9
            });
        }
        assert!(
            differs,
            "k = {k}: k-nearest scores never changed with row order"
        );
    }
}

#[test]
fn k_distance_equals_k_nearest_without_ties() {
    // The fixtures with continuous values: no ties at any k-th distance.
    for name in ["traffic", "clusters", "high_dim"] {
        let doc = json(&format!("tests/fixtures/lof/{name}.json"));
        let text = std::fs::read_to_string(repo(&format!("tests/fixtures/lof/{name}.csv")))
            .expect("fixture");
        let parse = |text: &str| -> Vec<Vec<f64>> {
            text.lines()
                .skip(1)
                .map(|l| l.split(',').map(|v| v.parse().expect("number")).collect())
                .collect()
        };
        let rows = parse(&text);
        let test_text =
            std::fs::read_to_string(repo(&format!("tests/fixtures/lof/{name}_test.csv")))
                .expect("fixture");
        let (test_cols, test_names) = columns(&parse(&test_text));
        let queries = Matrix::new(&test_cols, &test_names).expect("matrix");
        for k in [1usize, 5, 20, 50] {
            let what = format!("{name}, k = {k}");
            let kd = fit(&rows, k, Neighbourhood::KDistance);
            let kn = fit(&rows, k, Neighbourhood::KNearest);
            assert_close(
                kd.negative_outlier_factor(),
                kn.negative_outlier_factor(),
                1e-12,
                &what,
            );
            let expected = &doc["k"][k.to_string()];
            assert_close(
                kd.negative_outlier_factor(),
                &floats(&expected["negative_outlier_factor"]),
                1e-9,
                &format!("{what}: scikit-learn"),
            );
            assert_close(
                &kd.score_samples(&queries).expect("novelty"),
                &kn.score_samples(&queries).expect("novelty"),
                1e-12,
                &format!("{what}: novelty"),
            );
        }
    }
}

#[test]
fn brute_force_when_k_is_at_least_half_the_rows_gives_sklearns_numbers() {
    let doc = json("tests/fixtures/lof/brute_rule.json");
    let text = std::fs::read_to_string(repo("tests/fixtures/lof/brute_rule.csv")).expect("fixture");
    let rows: Vec<Vec<f64>> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(|v| v.parse().expect("number")).collect())
        .collect();
    let (cols, names) = columns(&rows);
    let index = Index::build(&Matrix::new(&cols, &names).expect("matrix"));
    for k in [10usize, 19, 20, 30, 39] {
        let expected = &doc["k"][k.to_string()];
        let brute = expected["method"].as_str().expect("method") == "brute";
        assert_eq!(brute, k >= rows.len() / 2, "k = {k}: the fixture's rule");
        assert_eq!(index.brute_force(k), brute, "k = {k}: our rule");
        let ours = fit(&rows, k, Neighbourhood::KNearest);
        assert_close(
            ours.negative_outlier_factor(),
            &floats(&expected["negative_outlier_factor"]),
            1e-9,
            &format!("k = {k}"),
        );
    }
}

#[test]
fn duplicates_warn_as_scikit_learn_does() {
    // scikit-learn warns exactly where some negative_outlier_factor_ is below -1e7.
    let doc = json("tests/fixtures/lof/duplicates.json");
    let text = std::fs::read_to_string(repo("tests/fixtures/lof/duplicates.csv")).expect("fixture");
    let rows: Vec<Vec<f64>> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(|v| v.parse().expect("number")).collect())
        .collect();
    let mut warned_somewhere = false;
    for k in [1usize, 5, 20, 50] {
        let sklearn_warns = floats(&doc["k"][k.to_string()]["negative_outlier_factor"])
            .iter()
            .any(|&v| v < -1e7);
        let ours = fit(&rows, k, Neighbourhood::KNearest);
        let warns = ours
            .warnings()
            .iter()
            .any(|w| w.starts_with(DUPLICATES_WARNING));
        assert_eq!(warns, sklearn_warns, "k = {k}");
        warned_somewhere |= warns;
    }
    assert!(
        warned_somewhere,
        "the duplicates fixture makes scikit-learn warn"
    );
    // Without duplicates, no warning.
    let plain = counts(200, 9)
        .into_iter()
        .enumerate()
        .map(|(i, r)| r.into_iter().map(|v| v + i as f64 * 1e-3).collect())
        .collect::<Vec<Vec<f64>>>();
    assert!(fit(&plain, 5, Neighbourhood::KNearest)
        .warnings()
        .is_empty());
}

#[test]
fn detect_offers_the_k_distance_neighbourhood_and_prints_the_duplicates_warning() {
    let dir = tempdir();
    let path = dir.path().join("copies.csv");
    let mut text = String::from("a,b\n");
    for i in 0..60 {
        let (a, b) = if i % 3 == 0 { (i, 7 * i % 11) } else { (5, 5) };
        text.push_str(&format!("{a},{b}\n"));
    }
    std::fs::write(&path, text).expect("write");
    let path = path.to_str().expect("path");
    let run = |extra: &[&str]| {
        bin(dir.path())
            .args(["detect", path, "--algo", "lof", "--n-neighbors", "3"])
            .args(extra)
            .output()
            .expect("run")
    };
    for extra in [&[][..], &["--lof-neighbourhood", "k-distance"][..]] {
        let out = run(extra);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        assert!(
            stderr.contains(
                "trafficlens: warning: Duplicate values are leading to incorrect results."
            ),
            "{extra:?}: {stderr}"
        );
    }
    let out = run(&["--lof-neighbourhood", "k-distance"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("k-distance neighbourhood"));
    let out = run(&["--lof-neighbourhood", "breunig"]);
    assert_eq!(out.status.code(), Some(2));
}

/// The k-distance search stops on the cancel flag (issue 16): with the flag set, LOF with
/// Breunig et al.'s neighbourhood from a cache returns `Cancelled`; without it, the same scores
/// as a direct fit. Low and high widths (the k-d tree and the blocked brute force).
#[test]
fn k_distance_search_is_cancellable() {
    use std::sync::atomic::AtomicBool;
    use trafficlens::control::Control;
    use trafficlens::detect::{FitError, NeighbourCache};

    let report = |_: f32| {};
    for d in [3usize, 20] {
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(d as u64);
        let rows: Vec<Vec<f64>> = (0..600)
            .map(|_| (0..d).map(|_| f64::from(rng.random_range(0..5))).collect())
            .collect();
        let (cols, names) = columns(&rows);
        let x = Matrix::new(&cols, &names).expect("matrix");
        let cache = NeighbourCache::build(&x, 20).expect("cache");
        let params = LofParams {
            n_neighbors: 10,
            contamination: Contamination::Auto,
            neighbourhood: Neighbourhood::KDistance,
        };
        let set = AtomicBool::new(true);
        let cancelled = cache.fit_params(&params, Control::new(&set, &report));
        assert!(
            matches!(cancelled, Err(FitError::Cancelled)),
            "d = {d}: {:?}",
            cancelled.map(|f| f.n_neighbors())
        );
        let unset = AtomicBool::new(false);
        let scores = cache
            .fit_params(&params, Control::new(&unset, &report))
            .expect("fit");
        assert_eq!(
            scores.negative_outlier_factor(),
            fit(&rows, 10, Neighbourhood::KDistance).negative_outlier_factor(),
            "d = {d}"
        );
    }
}
