//! The checked-in sample data is exactly what the generator writes, and loads as expected.

use trafficlens::data::stats::describe;
use trafficlens::data::{load, LoadOptions, TimeFormat};
use trafficlens::generate::table::{generate, GeneratorConfig};

use crate::util::{assert_sig, read_fixture, repo};

fn generated(cfg: &GeneratorConfig) -> (Vec<u8>, Vec<u8>) {
    let (mut d, mut l) = (Vec::new(), Vec::new());
    generate(cfg, &mut d, &mut l).expect("generate");
    (d, l)
}

#[test]
fn sample_files_match_the_generator() {
    let cfg = GeneratorConfig {
        seed: 3,
        ..GeneratorConfig::default()
    };
    let (data, labels) = generated(&cfg);
    assert!(
        data == std::fs::read(repo("sample_data/web_traffic.csv")).expect("read"),
        "regenerate with the README's command"
    );
    assert!(labels == std::fs::read(repo("sample_data/web_traffic_labels.csv")).expect("read"));
    let (dmy, dmy_labels) = generated(&cfg.clone().seed_shaped());
    assert!(dmy == std::fs::read(repo("sample_data/web_traffic_dmy.csv")).expect("read"));
    assert_eq!(dmy_labels, labels);
}

#[test]
fn both_sample_shapes_load_to_the_same_values() {
    let iso = load(repo("sample_data/web_traffic.csv"), &LoadOptions::default()).expect("load");
    let dmy = load(
        repo("sample_data/web_traffic_dmy.csv"),
        &LoadOptions::default(),
    )
    .expect("load");
    assert_eq!(iso.n_rows(), 730);
    assert_eq!(iso.n_features(), 6);
    assert_eq!(iso.columns, dmy.columns);
    assert_eq!(
        iso.time.as_ref().map(|t| &t.millis),
        dmy.time.as_ref().map(|t| &t.millis)
    );
    assert_eq!(
        dmy.time.as_ref().map(|t| t.format),
        Some(TimeFormat::DayFirst)
    );
}

#[test]
fn sample_statistics_match_pandas_and_numpy() {
    let ds = load(repo("sample_data/web_traffic.csv"), &LoadOptions::default()).expect("load");
    let stats = describe(&ds);
    let (header, rows) = read_fixture("tests/fixtures/sample_describe.csv");
    check_against_describe(&stats, &header, &rows);
}

/// Compares statistics with a pandas `describe()` fixture (plus MAD and numpy bin counts).
pub fn check_against_describe(
    stats: &trafficlens::data::stats::DatasetStats,
    header: &[String],
    rows: &[(String, Vec<f64>)],
) {
    assert_eq!(stats.features.len(), rows.len());
    for (f, (name, values)) in stats.features.iter().zip(rows) {
        assert_eq!(&f.name, name);
        let col = |h: &str| values[header.iter().position(|x| x == h).expect("fixture column") - 1];
        assert_eq!(f.count as f64, col("count"));
        for (ours, key) in [
            (f.mean, "mean"),
            (f.std, "std"),
            (f.min, "min"),
            (f.p01, "1%"),
            (f.p25, "25%"),
            (f.median, "50%"),
            (f.p75, "75%"),
            (f.p99, "99%"),
            (f.max, "max"),
            (f.mad, "mad"),
        ] {
            assert_sig(ours, col(key), 12, &format!("{name} {key}"));
        }
        assert_eq!(
            f.histogram.counts.len() as f64,
            col("bins"),
            "{name} histogram bins"
        );
    }
}
