//! Optional feature scaling shared by the detectors: none (the default, so results equal
//! scikit-learn's on the same matrix), standard (scikit-learn's `StandardScaler`: mean and
//! population standard deviation) or robust (`RobustScaler`: median and interquartile range).
//! A zero spread is replaced by 1, as scikit-learn does.

use serde::{Deserialize, Serialize};

use super::{FitError, Matrix};
use crate::numeric::{mean, percentile_sorted, sorted_finite, std_dev};

/// How features are scaled before a detector sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Scaling {
    /// Values as they are.
    #[default]
    None,
    /// `(x - mean) / standard deviation`.
    Standard,
    /// `(x - median) / (75th - 25th percentile)`.
    Robust,
}

impl std::str::FromStr for Scaling {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" => Ok(Scaling::None),
            "standard" => Ok(Scaling::Standard),
            "robust" => Ok(Scaling::Robust),
            other => Err(format!(
                "`{other}` is not a scaling: use none, standard or robust"
            )),
        }
    }
}

impl std::fmt::Display for Scaling {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Scaling::None => "none",
            Scaling::Standard => "standard",
            Scaling::Robust => "robust",
        })
    }
}

/// Centre and scale per feature, learnt from training data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scaler {
    /// Subtracted from each feature.
    pub centre: Vec<f64>,
    /// Each feature is divided by this.
    pub scale: Vec<f64>,
}

impl Scaler {
    /// Learns the scaling of each column of `x`.
    pub fn fit(x: &Matrix, scaling: Scaling) -> Scaler {
        let d = x.features();
        let (centre, scale) = match scaling {
            Scaling::None => (vec![0.0; d], vec![1.0; d]),
            Scaling::Standard => (0..d)
                .map(|f| (mean(x.column(f)), nonzero(std_dev(x.column(f), 0))))
                .unzip(),
            Scaling::Robust => (0..d)
                .map(|f| {
                    let sorted = sorted_finite(x.column(f));
                    let iqr = percentile_sorted(&sorted, 75.0) - percentile_sorted(&sorted, 25.0);
                    (percentile_sorted(&sorted, 50.0), nonzero(iqr))
                })
                .unzip(),
        };
        Scaler { centre, scale }
    }

    /// Scaled copies of the columns of `x`.
    pub fn transform(&self, x: &Matrix) -> Result<Vec<Vec<f64>>, FitError> {
        self.check(x.features())?;
        Ok((0..x.features())
            .map(|f| {
                x.column(f)
                    .iter()
                    .map(|v| (v - self.centre[f]) / self.scale[f])
                    .collect()
            })
            .collect())
    }

    /// One scaled row.
    pub fn transform_row(&self, row: &[f64]) -> Result<Vec<f64>, FitError> {
        self.check(row.len())?;
        Ok(row
            .iter()
            .enumerate()
            .map(|(f, v)| (v - self.centre[f]) / self.scale[f])
            .collect())
    }

    fn check(&self, features: usize) -> Result<(), FitError> {
        if features != self.centre.len() {
            return Err(FitError::FeatureCount {
                expected: self.centre.len(),
                found: features,
            });
        }
        Ok(())
    }
}

/// scikit-learn's `_handle_zeros_in_scale`: a zero (or non-finite) spread becomes 1.
fn nonzero(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        1.0
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Oracle: StandardScaler / RobustScaler().fit_transform([[1,5],[2,5],[3,5],[4,5],[100,5]]).
    #[test]
    fn matches_sklearn_scalers() {
        let cols = vec![vec![1.0, 2.0, 3.0, 4.0, 100.0], vec![5.0; 5]];
        let names = vec!["a".to_string(), "b".to_string()];
        let x = Matrix::new(&cols, &names).expect("matrix");
        let s = Scaler::fit(&x, Scaling::Standard)
            .transform(&x)
            .expect("scale");
        let expected = [
            -0.538_284_616_643_566_9,
            -0.512_652_015_851_016,
            -0.487_019_415_058_465_24,
            -0.461_386_814_265_914_44,
            1.999_342_861_818_962_6,
        ];
        for (a, b) in s[0].iter().zip(expected) {
            assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        }
        assert_eq!(s[1], vec![0.0; 5]);
        let r = Scaler::fit(&x, Scaling::Robust)
            .transform(&x)
            .expect("scale");
        assert_eq!(r[0], vec![-1.0, -0.5, 0.0, 0.5, 48.5]);
        assert_eq!(r[1], vec![0.0; 5]);
        let none = Scaler::fit(&x, Scaling::None);
        assert_eq!(
            none.transform_row(&[7.0, 8.0]).expect("row"),
            vec![7.0, 8.0]
        );
        assert!(none.transform_row(&[7.0]).is_err());
        assert_eq!("Robust".parse::<Scaling>(), Ok(Scaling::Robust));
        assert!("minmax".parse::<Scaling>().is_err());
    }
}
