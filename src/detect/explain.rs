//! Which feature explains a row most, by robust distance from the typical value: the feature
//! with the largest |x - median| / MAD (each feature's median and MAD from the training rows).
//! Used for detectors whose model names no feature (LOF); Isolation Forest uses its own splits.

use super::Matrix;
use crate::numeric::{percentile_sorted, sorted_finite};

/// Median and MAD of each feature, to explain rows by robust z-scores.
#[derive(Debug, Clone, PartialEq)]
pub struct RobustExplainer {
    median: Vec<f64>,
    mad: Vec<f64>,
}

impl RobustExplainer {
    /// Learns each feature's median and MAD.
    pub fn fit(x: &Matrix) -> Self {
        let (median, mad) = (0..x.features())
            .map(|f| {
                let sorted = sorted_finite(x.column(f));
                let median = percentile_sorted(&sorted, 50.0);
                let deviations = sorted_finite(
                    &sorted
                        .iter()
                        .map(|v| (v - median).abs())
                        .collect::<Vec<_>>(),
                );
                (median, percentile_sorted(&deviations, 50.0))
            })
            .unzip();
        RobustExplainer { median, mad }
    }

    /// How many MADs `value` of `feature` lies from its median (in absolute value); a feature
    /// with a zero MAD counts any difference as infinitely far and no difference as 0.
    pub fn distance(&self, feature: usize, value: f64) -> f64 {
        let d = (value - self.median[feature]).abs();
        let mad = self.mad[feature];
        if mad > 0.0 {
            d / mad
        } else if d > 0.0 {
            f64::INFINITY
        } else {
            0.0
        }
    }

    /// The feature that explains each given row most (the first one on ties).
    pub fn top_features(&self, x: &Matrix, rows: &[usize]) -> Vec<usize> {
        rows.iter()
            .map(|&r| {
                (0..x.features())
                    .map(|f| (f, self.distance(f, x.get(r, f))))
                    .fold((0, f64::NEG_INFINITY), |best, (f, d)| {
                        if d > best.1 {
                            (f, d)
                        } else {
                            best
                        }
                    })
                    .0
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_feature_farthest_from_normal() {
        let cols = vec![
            vec![10.0, 11.0, 12.0, 13.0, 30.0],
            vec![5.0, 5.0, 5.0, 5.0, 5.0],
            vec![1.0, 2.0, 3.0, 4.0, 5.0],
        ];
        let names = vec!["a".to_string(), "b".to_string(), "c".to_string()];
        let x = Matrix::new(&cols, &names).expect("matrix");
        let e = RobustExplainer::fit(&x);
        assert_eq!(e.top_features(&x, &[4, 2]), vec![0, 0]);
        assert_eq!(e.distance(0, 30.0), 18.0);
        assert_eq!(e.distance(1, 6.0), f64::INFINITY);
    }
}
