//! Isolation Forest parity with scikit-learn, from fixtures written by
//! `scripts/gen_iforest_fixtures.py`.

use serde_json::Value;
use trafficlens::data::{load, LoadOptions};
use trafficlens::detect::iforest::Tree;
use trafficlens::detect::metrics::roc_auc;
use trafficlens::detect::{Contamination, FittedIsolationForest, IsolationForestParams, Matrix};

use crate::util::{floats, json, repo};

fn ints(v: &Value) -> Vec<i64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_i64().expect("integer"))
        .collect()
}

fn check_exact(rel: &str) {
    let doc = json(rel);
    let trees: Vec<Tree> = doc["trees"]
        .as_array()
        .expect("trees")
        .iter()
        .map(|t| {
            let samples: Vec<u64> = ints(&t["n_node_samples"])
                .into_iter()
                .map(|v| v as u64)
                .collect();
            Tree::from_sklearn(
                &ints(&t["children_left"]),
                &ints(&t["children_right"]),
                &ints(&t["feature"]),
                &floats(&t["threshold"]),
                &samples,
            )
            .expect("consistent tree")
        })
        .collect();
    let n_features = doc["n_features"].as_u64().expect("n_features") as usize;
    let forest = FittedIsolationForest::from_trees(
        trees,
        doc["max_samples"].as_u64().expect("max_samples") as usize,
        n_features,
    );
    let rows: Vec<Vec<f64>> = doc["test"]
        .as_array()
        .expect("test")
        .iter()
        .map(floats)
        .collect();
    let columns: Vec<Vec<f64>> = (0..n_features)
        .map(|f| rows.iter().map(|r| r[f]).collect())
        .collect();
    let names: Vec<String> = (0..n_features).map(|f| format!("f{f}")).collect();
    let x = Matrix::new(&columns, &names).expect("matrix");
    let ours = forest.score_samples(&x).expect("score");
    let theirs = floats(&doc["score_samples"]);
    assert_eq!(ours.len(), theirs.len());
    let worst = ours
        .iter()
        .zip(&theirs)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f64, f64::max);
    assert!(worst <= 1e-12, "{rel}: largest difference {worst:e}");
    for (i, row) in rows.iter().enumerate().step_by(37) {
        let one = forest.score_one(row).expect("score one");
        assert!((one - theirs[i]).abs() <= 1e-12, "{rel}: row {i}");
    }
}

#[test]
fn scores_from_sklearn_trees_match_exactly() {
    check_exact("tests/fixtures/iforest/exact_traffic.json");
    check_exact("tests/fixtures/iforest/exact_small.json");
}

/// Loads a fixture data set and its labels.
fn dataset(name: &str) -> (Vec<Vec<f64>>, Vec<String>, Vec<bool>) {
    let options = LoadOptions {
        no_time: true,
        ..LoadOptions::default()
    };
    let ds = load(
        repo(&format!("tests/fixtures/iforest/{name}.csv")),
        &options,
    )
    .expect("data");
    let labels = load(
        repo(&format!("tests/fixtures/iforest/{name}_labels.csv")),
        &options,
    )
    .expect("labels");
    let y = labels.columns[0].iter().map(|&v| v == 1.0).collect();
    (ds.columns, ds.feature_names, y)
}

#[test]
fn roc_auc_and_flag_counts_match_sklearn() {
    let stats = json("tests/fixtures/iforest/stats.json");
    let sets = stats["datasets"].as_object().expect("datasets");
    assert!(sets.len() >= 4);
    for (name, expected) in sets {
        let (columns, names, labels) = dataset(name);
        let x = Matrix::new(&columns, &names).expect("matrix");
        assert_eq!(x.rows() as u64, expected["rows"].as_u64().expect("rows"));
        let mut aucs = Vec::new();
        for seed in 0..5u64 {
            let params = IsolationForestParams {
                seed,
                contamination: Contamination::Fraction(0.05),
                ..IsolationForestParams::default()
            };
            let forest = params.validate().expect("valid").fit(&x).expect("fit");
            aucs.push(roc_auc(&forest.training().anomaly_scores(), &labels).expect("both classes"));
            let flagged = forest
                .training()
                .flags(Contamination::Fraction(0.05))
                .iter()
                .filter(|&&f| f)
                .count();
            assert_eq!(
                flagged as u64,
                expected["flagged_0_05"][seed as usize]
                    .as_u64()
                    .expect("count"),
                "{name}: rows flagged at contamination 0.05, seed {seed}"
            );
        }
        let ours = aucs.iter().sum::<f64>() / aucs.len() as f64;
        let theirs = expected["auc_mean"].as_f64().expect("auc");
        println!("{name}: mean ROC AUC ours {ours:.4}, scikit-learn {theirs:.4}");
        assert!(
            (ours - theirs).abs() <= 0.01,
            "{name}: mean ROC AUC {ours:.4}, scikit-learn {theirs:.4} ({aucs:?})"
        );
    }
}
