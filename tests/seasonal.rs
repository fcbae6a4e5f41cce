//! The seasonal baseline on the shared reference file: its 40 injected-spike rows against the
//! rest.

use std::sync::Arc;

use trafficlens::data::{load, Dataset, LoadOptions};
use trafficlens::detect::seasonal::{score_table, SeasonalParams};

use crate::util::shared;

/// The reference file's spike rows: a whole number above 400 in any region (see
/// `../shared/README.md`), read from the raw text.
fn spike_rows() -> Vec<bool> {
    let text = std::fs::read_to_string(shared("regional_web_traffic.csv")).expect("read");
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            line.trim_end_matches('\r')
                .split(',')
                .skip(1)
                .any(|cell| !cell.contains('.') && cell.parse::<f64>().is_ok_and(|v| v > 400.0))
        })
        .collect()
}

fn reference() -> Arc<Dataset> {
    Arc::new(load(shared("regional_web_traffic.csv"), &LoadOptions::default()).expect("load"))
}

#[test]
#[ignore = "needs ../shared/data"]
fn the_spike_rows_are_the_top_scores_of_the_reference_file() {
    let ds = reference();
    let spikes = spike_rows();
    assert_eq!(spikes.len(), ds.n_rows());
    assert_eq!(spikes.iter().filter(|&&s| s).count(), 40);
    let time = ds.time.as_ref().expect("time column");
    let columns: Vec<&[f64]> = ds.columns.iter().map(Vec::as_slice).collect();
    let s = score_table(&time.millis, &columns, None, SeasonalParams::default()).expect("score");
    assert_eq!(s.periods, vec![7]);
    let mut ranked: Vec<usize> = (0..ds.n_rows()).collect();
    ranked.sort_by(|&a, &b| s.scores[b].total_cmp(&s.scores[a]));
    let caught = ranked[..40].iter().filter(|&&r| spikes[r]).count();
    let band = s.params.band_mads;
    let over_band: Vec<usize> = (0..ds.n_rows()).filter(|&r| s.scores[r] > band).collect();
    let right = over_band.iter().filter(|&&r| spikes[r]).count();
    eprintln!(
        "top 40 scores: {caught} spike rows; over the band ({band:.2} MADs): {} rows, {right} of them spikes",
        over_band.len()
    );
    for &r in ranked.iter().take(46) {
        eprintln!(
            "row {r} score {:.2} spike {} warm {}",
            s.scores[r], spikes[r], s.warm_up[r]
        );
    }
    assert_eq!(caught, 40);
}
