//! Issue 11, Local Outlier Factor robustness: duplicate rows give the same numbers as a plain
//! search over every row and no longer make the search quadratic (item 12), the memory of the
//! neighbour lists is checked before it is allocated (item 9), and values near the top of the
//! floating-point range no longer overflow the distances (item 15).

use std::sync::mpsc;
use std::time::Duration;

use rand::{Rng, SeedableRng};
use trafficlens::detect::{Contamination, FitError, LofParams, Matrix, NeighbourCache};

use crate::util::{bin, tempdir};

/// Squared Euclidean distance, feature by feature in order, as the search computes it.
fn distance2(a: &[f64], b: &[f64]) -> f64 {
    let mut s = 0.0;
    for (x, y) in a.iter().zip(b) {
        let t = x - y;
        s += t * t;
    }
    s
}

/// The `k` nearest rows of `q` by (distance, row index): a plain sort over every row.
fn nearest(rows: &[Vec<f64>], q: &[f64], k: usize) -> Vec<(usize, f64)> {
    let mut all: Vec<(f64, usize)> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (distance2(q, r), i))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    all.truncate(k);
    all.into_iter().map(|(s, i)| (i, s.sqrt())).collect()
}

/// LOF as it was computed before duplicates were grouped, written out plainly: every row's
/// `k + 1` nearest rows by (distance, row index), scikit-learn's self-exclusion (the row itself,
/// or the first neighbour where more than `k` duplicates hide it), then k-distance, local
/// reachability density and LOF in the same order of operations. Returns the training
/// `negative_outlier_factor_` and the novelty `score_samples` of `queries`.
fn reference_lof(rows: &[Vec<f64>], k: usize, queries: &[Vec<f64>]) -> (Vec<f64>, Vec<f64>) {
    let n = rows.len();
    let k = k.clamp(1, n - 1);
    let training: Vec<Vec<(usize, f64)>> = (0..n)
        .map(|q| {
            let raw = nearest(rows, &rows[q], k + 1);
            let skip = raw.iter().position(|&(i, _)| i == q).unwrap_or(0);
            raw.into_iter()
                .enumerate()
                .filter(|&(j, _)| j != skip)
                .map(|(_, p)| p)
                .take(k)
                .collect()
        })
        .collect();
    let k_distance: Vec<f64> = training
        .iter()
        .map(|nb| nb.last().map_or(0.0, |p| p.1))
        .collect();
    let lrd_of = |nb: &[(usize, f64)]| {
        let mut sum = 0.0;
        for &(o, d) in nb {
            sum += d.max(k_distance[o]);
        }
        1.0 / (sum / nb.len() as f64 + 1e-10)
    };
    let lrd: Vec<f64> = training.iter().map(|nb| lrd_of(nb)).collect();
    let nof_of = |nb: &[(usize, f64)], lrd_q: f64| {
        let mut sum = 0.0;
        for &(o, _) in nb {
            sum += lrd[o] / lrd_q;
        }
        -(sum / nb.len() as f64)
    };
    let nof = (0..n).map(|q| nof_of(&training[q], lrd[q])).collect();
    let novelty = queries
        .iter()
        .map(|x| {
            let nb = nearest(rows, x, k);
            nof_of(&nb, lrd_of(&nb))
        })
        .collect();
    (nof, novelty)
}

fn columns(rows: &[Vec<f64>]) -> (Vec<Vec<f64>>, Vec<String>) {
    let d = rows[0].len();
    let cols = (0..d)
        .map(|f| rows.iter().map(|r| r[f]).collect())
        .collect();
    (cols, (0..d).map(|f| format!("f{f}")).collect())
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Rows with duplicate groups smaller than, equal to and larger than the k tested, on a lattice
/// (so whole groups tie at the k-th distance), mixed with scattered unique rows, shuffled so
/// that copies are spread over the row order. Plus queries: copies of training rows, lattice
/// points between groups and far points.
fn duplicated(dims: usize, seed: u64) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed);
    let mut rows = Vec::new();
    let sizes = [1, 2, 3, 4, 5, 6, 19, 20, 21, 49, 50, 51, 90];
    for (g, &size) in sizes.iter().enumerate() {
        // Group centres on a coarse lattice: distances between groups tie often.
        let centre: Vec<f64> = (0..dims)
            .map(|f| f64::from(((g * (f + 3)) % 5) as u32) * 2.0)
            .collect();
        rows.extend(std::iter::repeat_n(centre, size));
    }
    for _ in 0..150 {
        // Integer points near the lattice: accidental duplicates and more ties.
        rows.push(
            (0..dims)
                .map(|_| f64::from(rng.random_range(0..9)))
                .collect(),
        );
    }
    for _ in 0..40 {
        rows.push((0..dims).map(|_| rng.random_range(-3.0..12.0)).collect());
    }
    // Signed zeros are the same point.
    rows.extend(std::iter::repeat_n(vec![0.0; dims], 3));
    rows.extend(std::iter::repeat_n(vec![-0.0; dims], 3));
    for i in (1..rows.len()).rev() {
        let j = rng.random_range(0..=i);
        rows.swap(i, j);
    }
    let mut queries: Vec<Vec<f64>> = rows.iter().step_by(17).cloned().collect();
    queries.extend((0..20).map(|_| {
        (0..dims)
            .map(|_| f64::from(rng.random_range(-1..10)))
            .collect()
    }));
    queries.push(vec![1.0; dims]);
    queries.push(vec![-0.0; dims]);
    queries.push(vec![40.0; dims]);
    (rows, queries)
}

fn lof(k: usize) -> trafficlens::detect::ValidLofParams {
    LofParams {
        n_neighbors: k,
        contamination: Contamination::Auto,
        ..LofParams::default()
    }
    .validate()
    .expect("valid")
}

/// Item 12: grouping duplicate rows must give every row, and every novelty query, exactly the
/// numbers of a search over every row (bit for bit), for k below, at and above the group sizes,
/// in few dimensions (k-d tree) and more than 15 (brute force).
#[test]
fn duplicate_rows_give_the_same_numbers_as_a_search_over_every_row() {
    for (dims, seed) in [(1, 1), (2, 2), (3, 3), (17, 4)] {
        let (rows, queries) = duplicated(dims, seed);
        let (cols, names) = columns(&rows);
        let (qcols, _) = columns(&queries);
        let x = Matrix::new(&cols, &names).expect("matrix");
        let t = Matrix::new(&qcols, &names).expect("matrix");
        let cache = NeighbourCache::build(&x, 60).expect("cache");
        for k in [1usize, 5, 20, 50] {
            let what = format!("{dims} features, k = {k}");
            let (nof, novelty) = reference_lof(&rows, k, &queries);
            let fitted = lof(k).fit(&x).expect("fit");
            assert_eq!(bits(fitted.negative_outlier_factor()), bits(&nof), "{what}");
            assert_eq!(
                bits(&fitted.score_samples(&t).expect("novelty")),
                bits(&novelty),
                "{what}: novelty"
            );
            let derived = cache.fit(k, Contamination::Auto).expect("fit");
            assert_eq!(
                bits(derived.negative_outlier_factor()),
                bits(&nof),
                "{what}: from the cache"
            );
        }
    }
}

/// Item 12: all rows identical, and k at or above the number of rows (clamped to n - 1).
#[test]
fn identical_rows_and_k_at_the_number_of_rows_give_the_same_numbers() {
    let rows: Vec<Vec<f64>> = (0..70)
        .map(|i| {
            if i % 10 == 3 {
                vec![1.0, 2.0]
            } else {
                vec![5.0, 5.0]
            }
        })
        .collect();
    let (cols, names) = columns(&rows);
    let x = Matrix::new(&cols, &names).expect("matrix");
    for k in [1usize, 6, 7, 8, 62, 63, 64, 69, 200] {
        let (nof, novelty) = reference_lof(&rows, k, &[vec![5.0, 5.0], vec![3.0, 3.5]]);
        let fitted = lof(k).fit(&x).expect("fit");
        assert_eq!(
            bits(fitted.negative_outlier_factor()),
            bits(&nof),
            "k = {k}"
        );
        let (qcols, _) = columns(&[vec![5.0, 5.0], vec![3.0, 3.5]]);
        let t = Matrix::new(&qcols, &names).expect("matrix");
        assert_eq!(
            bits(&fitted.score_samples(&t).expect("novelty")),
            bits(&novelty),
            "k = {k}: novelty"
        );
    }
}

/// Runs `f` on another thread and fails if it takes longer than `limit` (a quadratic search
/// would take hours in a debug build).
fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit)
        .unwrap_or_else(|_| panic!("did not finish within {limit:?}"))
}

/// Item 12: 200,000 identical rows took quadratic time (80,000 took 9.3 s in a release build);
/// grouped, the search is over one point.
#[test]
fn many_identical_rows_are_fast() {
    let nof = within(Duration::from_secs(60), || {
        let cols = vec![vec![3.5; 200_000], vec![-1.25; 200_000]];
        let names = vec!["a".to_string(), "b".to_string()];
        let x = Matrix::new(&cols, &names).expect("matrix");
        lof(20)
            .fit(&x)
            .expect("fit")
            .negative_outlier_factor()
            .to_vec()
    });
    assert_eq!(nof.len(), 200_000);
    assert!(nof.iter().all(|&v| v == -1.0));
}

/// Item 12: many rows with few distinct values (25 points, 8,000 copies each on average), with
/// the numbers checked against a search over a sample of the same points.
#[test]
fn many_rows_with_few_distinct_values_are_fast() {
    let (nof, cols) = within(Duration::from_secs(60), || {
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(12);
        let cols: Vec<Vec<f64>> = (0..2)
            .map(|_| {
                (0..200_000)
                    .map(|_| f64::from(rng.random_range(0..5)))
                    .collect()
            })
            .collect();
        let names = vec!["a".to_string(), "b".to_string()];
        let x = Matrix::new(&cols, &names).expect("matrix");
        let nof = lof(20)
            .fit(&x)
            .expect("fit")
            .negative_outlier_factor()
            .to_vec();
        (nof, cols)
    });
    // Every group holds far more than k + 1 copies: each row's neighbours are copies of itself.
    assert!(nof.iter().all(|&v| v == -1.0), "{:?}", &nof[..5]);
    assert_eq!(nof.len(), cols[0].len());
}

/// Item 9: the neighbour lists of 100,000 rows with k = 100,000 would need about 120 GB; the
/// fit is refused before anything is allocated, naming the numbers and the largest k that fits.
#[test]
fn lof_refuses_neighbour_lists_larger_than_the_memory_limit() {
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(9);
    let cols: Vec<Vec<f64>> = (0..2)
        .map(|_| (0..100_000).map(|_| rng.random_range(0.0..1.0)).collect())
        .collect();
    let names = vec!["a".to_string(), "b".to_string()];
    let x = Matrix::new(&cols, &names).expect("matrix");
    let err = NeighbourCache::build(&x, 100_000).expect_err("refused");
    let FitError::TooMuchMemory {
        rows,
        distinct,
        neighbours,
        max_neighbours,
        ..
    } = err
    else {
        panic!("{err:?}");
    };
    assert_eq!((rows, distinct, neighbours), (100_000, 100_000, 99_999));
    assert!(
        max_neighbours > 1000 && max_neighbours < 99_999,
        "{max_neighbours}"
    );
    let message = err.to_string();
    assert!(message.contains("100000 rows"), "{message}");
    assert!(
        message.contains(&format!("--n-neighbors of at most {max_neighbours}")),
        "{message}"
    );
    assert!(matches!(
        lof(100_000).fit(&x),
        Err(FitError::TooMuchMemory { .. })
    ));
}

/// Item 9 from the command line: `--algo lof --n-neighbors 100000` on 100,000 rows aborted with
/// "memory allocation of 40000000000 bytes failed"; now it is refused with exit status 3.
#[test]
fn detect_refuses_lof_that_needs_too_much_memory() {
    let dir = tempdir();
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(90);
    let mut text = String::from("a,b\n");
    for _ in 0..100_000 {
        text.push_str(&format!(
            "{},{}\n",
            rng.random_range(0..1_000_000),
            rng.random_range(0..1_000_000)
        ));
    }
    std::fs::write(dir.path().join("in.csv"), text).expect("write");
    let out = bin(dir.path())
        .args([
            "detect",
            "in.csv",
            "--no-time",
            "--algo",
            "lof",
            "--n-neighbors",
            "100000",
        ])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("trafficlens: error: "), "{stderr}");
    assert!(stderr.contains("--n-neighbors of at most "), "{stderr}");
    assert!(!stderr.contains("memory allocation"), "{stderr}");
}

/// Data around `magnitude` (a cluster and a few far rows), continuous so that no distances tie.
fn spread(magnitude: f64) -> Vec<Vec<f64>> {
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(15);
    let mut cols: Vec<Vec<f64>> = (0..3)
        .map(|_| {
            (0..400)
                .map(|_| rng.random_range(1.0..2.0) * magnitude)
                .collect()
        })
        .collect();
    for (row, v) in [(7, 9.0), (123, 8.5), (301, 0.05)] {
        cols[row % 3][row] = v * magnitude;
    }
    cols
}

/// Item 15: finite values near 1e301 overflowed the squared distances, so every score was NaN
/// and nothing was flagged. Now the scores are finite and the flags those of the same data
/// divided by 1e300.
#[test]
fn values_near_the_top_of_the_range_score_like_ordinary_values() {
    let names = vec!["a".to_string(), "b".to_string(), "c".to_string()];
    let huge = spread(1e301);
    let plain: Vec<Vec<f64>> = huge
        .iter()
        .map(|c| c.iter().map(|v| v / 1e300).collect())
        .collect();
    let x = Matrix::new(&huge, &names).expect("matrix");
    let y = Matrix::new(&plain, &names).expect("matrix");
    for k in [5, 20] {
        let params = LofParams {
            n_neighbors: k,
            contamination: Contamination::Fraction(0.01),
            ..LofParams::default()
        }
        .validate()
        .expect("valid");
        let a = params.fit(&x).expect("fit");
        let b = params.fit(&y).expect("fit");
        let (sa, sb) = (a.negative_outlier_factor(), b.negative_outlier_factor());
        assert!(sa.iter().all(|v| v.is_finite()), "k = {k}: {:?}", &sa[..5]);
        for (i, (p, q)) in sa.iter().zip(sb).enumerate() {
            assert!(
                (p - q).abs() <= 1e-6 * q.abs(),
                "k = {k}, row {i}: {p} vs {q}"
            );
        }
        for c in [Contamination::Auto, Contamination::Fraction(0.01)] {
            let flags = a.training().flags(c);
            assert_eq!(flags, b.training().flags(c), "k = {k}, {c}");
            assert!(flags.iter().any(|&f| f), "k = {k}, {c}: nothing flagged");
        }
        assert!(a.training().flags(Contamination::Fraction(0.01))[7]);
        // Novelty scoring scales new rows the same way.
        let far = a.score_one(&[9e301, 1.5e301, 1.5e301]).expect("score");
        let far_plain = b.score_one(&[90.0, 15.0, 15.0]).expect("score");
        assert!(
            (far - far_plain).abs() <= 1e-6 * far_plain.abs(),
            "{far} vs {far_plain}"
        );
    }
}
