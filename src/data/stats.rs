//! Exploration statistics: per-feature summaries (percentiles as numpy's default linear method,
//! standard deviation as pandas' `ddof=1`), histograms (numpy's `auto` bin rule), the correlation
//! matrix, robust centre and spread (median and MAD), and the time range and sampling interval.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::Dataset;
use crate::numeric::{mean, percentile_sorted, std_dev};

/// Scale that turns a MAD into a standard-deviation estimate for normal data.
pub const MAD_TO_SIGMA: f64 = 1.482_602_218_505_602;

/// The most features for which a correlation matrix is computed (it grows with the square).
pub const MAX_CORRELATION_FEATURES: usize = 1000;

/// The most histogram bins produced, whatever the rule asks for.
pub const MAX_BINS: usize = 10_000;

/// Summary of one feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureStats {
    /// Feature name.
    pub name: String,
    /// Values analysed.
    pub count: usize,
    /// Missing cells in the input.
    pub missing: usize,
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation (ddof = 1).
    pub std: f64,
    /// Minimum.
    pub min: f64,
    /// 1st percentile.
    pub p01: f64,
    /// 25th percentile.
    pub p25: f64,
    /// Median.
    pub median: f64,
    /// 75th percentile.
    pub p75: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Maximum.
    pub max: f64,
    /// Median absolute deviation from the median (unscaled).
    pub mad: f64,
    /// Histogram of the values.
    pub histogram: Histogram,
}

impl FeatureStats {
    /// How many MADs `value` lies above (positive) or below the median; NaN if MAD is 0.
    pub fn mads_from_median(&self, value: f64) -> f64 {
        if self.mad > 0.0 {
            (value - self.median) / self.mad
        } else {
            f64::NAN
        }
    }

    /// Robust z-score: distance from the median in MADs scaled to standard deviations.
    pub fn robust_z(&self, value: f64) -> f64 {
        self.mads_from_median(value) / MAD_TO_SIGMA
    }
}

/// Equal-width histogram.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    /// Bin edges, one more than the counts.
    pub edges: Vec<f64>,
    /// Values per bin (the last bin includes its right edge, as numpy does).
    pub counts: Vec<u64>,
}

/// The time span of a dataset and how often it is sampled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeSummary {
    /// Earliest time (epoch ms).
    pub start: i64,
    /// Latest time (epoch ms).
    pub end: i64,
    /// The most common step between consecutive distinct times (epoch ms), if there are two.
    pub interval_ms: Option<i64>,
    /// Share of steps equal to that interval (1.0 for perfectly regular data).
    pub regularity: f64,
    /// Whether rows are in time order.
    pub sorted: bool,
    /// Times that appear more than once.
    pub duplicates: usize,
}

impl TimeSummary {
    /// A word for the interval: `daily`, `hourly`, `every 5 minutes`...
    pub fn interval_name(&self) -> String {
        self.interval_ms
            .map_or_else(|| "unknown".to_string(), interval_name)
    }
}

/// Names a step in milliseconds.
pub fn interval_name(ms: i64) -> String {
    const S: i64 = 1000;
    const M: i64 = 60 * S;
    const H: i64 = 60 * M;
    const D: i64 = 24 * H;
    let plural = |n: i64, unit: &str| format!("every {n} {unit}s");
    match ms {
        x if x == D => "daily".into(),
        x if x == H => "hourly".into(),
        x if x == M => "every minute".into(),
        x if x == S => "every second".into(),
        x if x == 7 * D => "weekly".into(),
        x if (28 * D..=31 * D).contains(&x) => "monthly".into(),
        x if x % D == 0 => plural(x / D, "day"),
        x if x % H == 0 => plural(x / H, "hour"),
        x if x % M == 0 => plural(x / M, "minute"),
        x if x % S == 0 => plural(x / S, "second"),
        x => format!("every {x} ms"),
    }
}

/// All exploration statistics of a dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetStats {
    /// Rows analysed.
    pub rows: usize,
    /// Per-feature summaries, in feature order.
    pub features: Vec<FeatureStats>,
    /// Pearson correlation, `correlation[i][j]`; NaN where a feature is constant.
    pub correlation: Vec<Vec<f64>>,
    /// Time range and interval, when the dataset has a time column.
    pub time: Option<TimeSummary>,
    /// Notes about what was not computed and why.
    pub notes: Vec<String>,
}

/// Computes every statistic (features in parallel).
pub fn describe(ds: &Dataset) -> DatasetStats {
    let features = ds
        .columns
        .par_iter()
        .zip(ds.feature_names.par_iter())
        .enumerate()
        .map(|(i, (col, name))| {
            feature_stats(
                name,
                col,
                ds.missing.per_column.get(i).copied().unwrap_or(0),
            )
        })
        .collect();
    let mut notes = Vec::new();
    let correlation = if ds.n_features() <= MAX_CORRELATION_FEATURES {
        correlation(&ds.columns)
    } else {
        notes.push(format!(
            "no correlation matrix: {} features (the limit is {MAX_CORRELATION_FEATURES})",
            ds.n_features()
        ));
        Vec::new()
    };
    DatasetStats {
        rows: ds.n_rows(),
        features,
        correlation,
        time: ds.time.as_ref().and_then(|t| time_summary(&t.millis)),
        notes,
    }
}

/// Summarises one column of finite values.
pub fn feature_stats(name: &str, values: &[f64], missing: usize) -> FeatureStats {
    let mut sorted = values.to_vec();
    sorted.par_sort_unstable_by(f64::total_cmp);
    let q = |p: f64| percentile_sorted(&sorted, p);
    let median = q(50.0);
    let mut deviations: Vec<f64> = sorted.iter().map(|v| (v - median).abs()).collect();
    deviations.par_sort_unstable_by(f64::total_cmp);
    FeatureStats {
        name: name.to_string(),
        count: values.len(),
        missing,
        mean: mean(values),
        std: std_dev(values, 1),
        min: sorted.first().copied().unwrap_or(f64::NAN),
        p01: q(1.0),
        p25: q(25.0),
        median,
        p75: q(75.0),
        p99: q(99.0),
        max: sorted.last().copied().unwrap_or(f64::NAN),
        mad: percentile_sorted(&deviations, 50.0),
        histogram: histogram(&sorted),
    }
}

/// Histogram of sorted values with numpy's `auto` rule (numpy 2.x): the smaller bin width of
/// Sturges' rule and a relaxed Freedman-Diaconis rule (at least half the square-root rule's width).
pub fn histogram(sorted: &[f64]) -> Histogram {
    let n = sorted.len();
    let (Some(&lo), Some(&hi)) = (sorted.first(), sorted.last()) else {
        return Histogram {
            edges: vec![0.0, 1.0],
            counts: vec![0],
        };
    };
    let data_range = hi - lo;
    let sturges = data_range / ((n as f64).log2() + 1.0);
    let sqrt = data_range / (n as f64).sqrt();
    let iqr = percentile_sorted(sorted, 75.0) - percentile_sorted(sorted, 25.0);
    let fd = 2.0 * iqr * (n as f64).powf(-1.0 / 3.0);
    let width = fd.max(sqrt / 2.0).min(sturges);
    let bins = if width > 0.0 {
        ((data_range / width).ceil() as usize).clamp(1, MAX_BINS)
    } else {
        1
    };
    let (lo, hi) = if lo == hi {
        (lo - 0.5, hi + 0.5)
    } else {
        (lo, hi)
    };
    let range = hi - lo;
    let step = range / bins as f64;
    let edges: Vec<f64> = (0..=bins).map(|i| lo + step * i as f64).collect();
    let mut counts = vec![0u64; bins];
    for &v in sorted {
        let k = (((v - lo) / step) as usize).min(bins - 1);
        counts[k] += 1;
    }
    Histogram { edges, counts }
}

/// Pearson correlation matrix of the columns.
pub fn correlation(columns: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let k = columns.len();
    let centred: Vec<(Vec<f64>, f64)> = columns
        .par_iter()
        .map(|c| {
            let m = mean(c);
            let d: Vec<f64> = c.iter().map(|v| v - m).collect();
            let ss = d.iter().map(|v| v * v).sum::<f64>();
            (d, ss.sqrt())
        })
        .collect();
    let mut out = vec![vec![f64::NAN; k]; k];
    for i in 0..k {
        for j in i..k {
            let (a, na) = &centred[i];
            let (b, nb) = &centred[j];
            let r = if *na > 0.0 && *nb > 0.0 {
                let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
                (dot / (na * nb)).clamp(-1.0, 1.0)
            } else {
                f64::NAN
            };
            out[i][j] = r;
            out[j][i] = r;
        }
    }
    out
}

/// Time range and the most common step between consecutive distinct times.
pub fn time_summary(millis: &[i64]) -> Option<TimeSummary> {
    let first = *millis.first()?;
    let sorted_input = millis.windows(2).all(|w| w[0] <= w[1]);
    let mut t = millis.to_vec();
    if !sorted_input {
        t.sort_unstable();
    }
    let len_before = t.len();
    t.dedup();
    let duplicates = len_before - t.len();
    let steps: Vec<i64> = t.windows(2).map(|w| w[1] - w[0]).collect();
    let (interval_ms, regularity) = most_common(&steps);
    Some(TimeSummary {
        start: *t.first().unwrap_or(&first),
        end: *t.last().unwrap_or(&first),
        interval_ms,
        regularity,
        sorted: sorted_input,
        duplicates,
    })
}

/// The most frequent value and its share; calendar months count as one step.
fn most_common(steps: &[i64]) -> (Option<i64>, f64) {
    if steps.is_empty() {
        return (None, 0.0);
    }
    let mut counts = std::collections::HashMap::new();
    for &s in steps {
        let key = if (28 * 86_400_000..=31 * 86_400_000).contains(&s) {
            30 * 86_400_000
        } else {
            s
        };
        *counts.entry(key).or_insert(0usize) += 1;
    }
    let (value, count) = counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
        .unwrap_or((steps[0], 1));
    (Some(value), count as f64 / steps.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_matches_numpy_auto() {
        // np.histogram_bin_edges(np.arange(100.), 'auto') has 8 bins (Sturges: 7.64 -> width 12.96...)
        let v: Vec<f64> = (0..100).map(f64::from).collect();
        let h = histogram(&v);
        assert_eq!(h.counts.len(), 8);
        assert_eq!(h.counts.iter().sum::<u64>(), 100);
        assert_eq!(h.edges.first(), Some(&0.0));
        assert_eq!(h.edges.last(), Some(&99.0));
    }

    #[test]
    fn constant_column_is_handled() {
        let f = feature_stats("c", &[5.0; 10], 0);
        assert_eq!(f.std, 0.0);
        assert_eq!(f.mad, 0.0);
        assert!(f.mads_from_median(6.0).is_nan());
        assert_eq!(f.histogram.counts, vec![10]);
        let r = correlation(&[
            vec![1.0, 2.0, 3.0],
            vec![5.0, 5.0, 5.0],
            vec![3.0, 2.0, 1.0],
        ]);
        assert!(r[0][1].is_nan());
        assert!((r[0][2] + 1.0).abs() < 1e-12);
        assert!((r[0][0] - 1.0).abs() < 1e-12);
    }

    #[test]
    fn mad_and_robust_z() {
        let f = feature_stats("x", &[1.0, 2.0, 3.0, 4.0, 100.0], 0);
        assert_eq!(f.median, 3.0);
        assert_eq!(f.mad, 1.0);
        assert_eq!(f.mads_from_median(11.0), 8.0);
    }

    #[test]
    fn intervals_are_named() {
        let day = 86_400_000;
        let s = time_summary(&[0, day, 2 * day, 4 * day]).unwrap();
        assert_eq!(s.interval_name(), "daily");
        assert!((s.regularity - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(interval_name(300_000), "every 5 minutes");
        assert_eq!(interval_name(3_600_000), "hourly");
        let unsorted = time_summary(&[day, 0, day]).unwrap();
        assert!(!unsorted.sorted);
        assert_eq!(unsorted.duplicates, 1);
    }
}
