//! Local Outlier Factor parity with scikit-learn, from fixtures written by
//! `scripts/gen_lof_fixtures.py`: five data sets, k in {1, 5, 20, 50}.

use serde_json::Value;
use trafficlens::data::{load, LoadOptions};
use trafficlens::detect::{Contamination, LofParams, Matrix, NeighbourCache};

use crate::util::{floats, json, repo};

fn table(rel: &str) -> (Vec<Vec<f64>>, Vec<String>) {
    let options = LoadOptions {
        no_time: true,
        ..LoadOptions::default()
    };
    let ds = load(repo(rel), &options).expect("fixture data");
    (ds.columns, ds.feature_names)
}

fn rows(v: &Value) -> Vec<usize> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_u64().expect("index") as usize)
        .collect()
}

fn assert_close(ours: &[f64], theirs: &[f64], what: &str) {
    assert_eq!(ours.len(), theirs.len(), "{what}");
    for (i, (a, b)) in ours.iter().zip(theirs).enumerate() {
        let rel = (a - b).abs() / a.abs().max(b.abs()).max(1e-300);
        assert!(
            rel <= 1e-9,
            "{what}: row {i}: {a} vs {b} (relative {rel:e})"
        );
    }
}

#[test]
fn negative_outlier_factors_flags_and_novelty_match_sklearn() {
    for name in ["traffic", "clusters", "duplicates", "one_d", "high_dim"] {
        let doc = json(&format!("tests/fixtures/lof/{name}.json"));
        let (cols, names) = table(&format!("tests/fixtures/lof/{name}.csv"));
        let (test_cols, _) = table(&format!("tests/fixtures/lof/{name}_test.csv"));
        let x = Matrix::new(&cols, &names).expect("matrix");
        let t = Matrix::new(&test_cols, &names).expect("matrix");
        let cache = NeighbourCache::build(&x, 50).expect("cache");
        for k in [1usize, 5, 20, 50] {
            let expected = &doc["k"][k.to_string()];
            let what = format!("{name}, k = {k}");
            let fitted = LofParams {
                n_neighbors: k,
                contamination: Contamination::Fraction(0.05),
                ..LofParams::default()
            }
            .validate()
            .expect("valid")
            .fit(&x)
            .expect("fit");
            assert_close(
                fitted.negative_outlier_factor(),
                &floats(&expected["negative_outlier_factor"]),
                &what,
            );
            let flagged = |flags: Vec<bool>| -> Vec<usize> {
                flags
                    .iter()
                    .enumerate()
                    .filter(|(_, f)| **f)
                    .map(|(i, _)| i)
                    .collect()
            };
            assert_eq!(
                flagged(fitted.training().flags(Contamination::Auto)),
                rows(&expected["flagged_auto"]),
                "{what}: auto"
            );
            assert_eq!(
                flagged(fitted.training().flags(Contamination::Fraction(0.05))),
                rows(&expected["flagged_0_05"]),
                "{what}: 0.05"
            );
            assert_close(
                &[fitted.training().offset()],
                &[expected["offset_0_05"].as_f64().expect("offset")],
                &what,
            );
            assert_close(
                &fitted.score_samples(&t).expect("novelty"),
                &floats(&expected["novelty_score_samples"]),
                &format!("{what}: novelty"),
            );
            // The slider path: the same numbers from the cached k = 50 lists, without a search.
            let derived = cache.fit(k, Contamination::Auto).expect("fit");
            assert_eq!(
                derived.negative_outlier_factor(),
                fitted.negative_outlier_factor(),
                "{what}: cache"
            );
        }
    }
}

/// The LOF neighbour search on 1,000,000 rows stops within 100 ms of the cancel flag being set
/// (set once the search has reported progress), long before it would have finished.
#[test]
fn neighbour_search_on_a_million_rows_cancels_within_100_ms() {
    use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
    use std::time::{Duration, Instant};
    use trafficlens::control::Control;

    let rows = 1_000_000;
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let cols: Vec<Vec<f64>> = (0..3)
        .map(|_| (0..rows).map(|_| next()).collect())
        .collect();
    let names: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
    let cancel = AtomicBool::new(false);
    let done = AtomicU32::new(0f32.to_bits());
    let (result, latency, at_return) = std::thread::scope(|scope| {
        let search = scope.spawn(|| {
            let x = Matrix::new(&cols, &names).expect("matrix");
            let report = |d: f32| done.store(d.to_bits(), Ordering::Relaxed);
            let r = NeighbourCache::build_with(&x, 20, Control::new(&cancel, &report));
            (r.map(|_| ()), Instant::now())
        });
        while f32::from_bits(done.load(Ordering::Relaxed)) == 0.0 {
            assert!(!search.is_finished(), "the search reported no progress");
            std::thread::sleep(Duration::from_millis(1));
        }
        let set = Instant::now();
        cancel.store(true, Ordering::Relaxed);
        let (r, returned) = search.join().expect("search thread");
        (
            r,
            returned.duration_since(set),
            f32::from_bits(done.load(Ordering::Relaxed)),
        )
    });
    assert_eq!(result, Err(trafficlens::detect::FitError::Cancelled));
    assert!(
        at_return < 0.5,
        "stopped at {at_return}: not well before the end"
    );
    assert!(
        latency < Duration::from_millis(100),
        "returned {latency:?} after the flag was set"
    );
}
