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
