//! The feature matrix a session scores: the selected columns, scaled as asked.

use crate::data::Dataset;
use crate::detect::{FitError, Matrix, Scaler, Scaling};

use super::AnalysisError;

/// The selected features of a dataset, scaled.
pub(super) struct FeatureMatrix {
    /// The feature names, in column order.
    pub names: Vec<String>,
    /// The scaling asked for.
    pub scaling: Scaling,
    /// The fitted scaler (`None` for [`Scaling::None`]), to scale a "what if" row the same way.
    pub scaler: Option<Scaler>,
    /// The selected, scaled columns; `None` when they are the dataset's own columns as loaded
    /// (every feature, no scaling: nothing is copied).
    pub columns: Option<Vec<Vec<f64>>>,
}

impl FeatureMatrix {
    /// Selects `names` of `ds` (each once) and scales them.
    pub fn prepare(
        ds: &Dataset,
        names: &[String],
        scaling: Scaling,
    ) -> Result<Self, AnalysisError> {
        for (i, name) in names.iter().enumerate() {
            if names[..i].contains(name) {
                return Err(AnalysisError::FeatureTwice(name.clone()));
            }
        }
        let own = names == ds.feature_names.as_slice();
        let selected: Option<Vec<Vec<f64>>> = if own {
            None
        } else {
            let mut columns = Vec::with_capacity(names.len());
            for name in names {
                let col = ds
                    .feature(name)
                    .ok_or_else(|| AnalysisError::NoSuchFeature(name.clone()))?;
                columns.push(col.to_vec());
            }
            Some(columns)
        };
        let raw = Matrix::new(selected.as_deref().unwrap_or(&ds.columns), names)?;
        let scaler = (scaling != Scaling::None).then(|| Scaler::fit(&raw, scaling));
        let columns = match &scaler {
            Some(s) => Some(s.transform(&raw)?),
            None => selected,
        };
        Ok(FeatureMatrix {
            names: names.to_vec(),
            scaling,
            scaler,
            columns,
        })
    }

    /// Whether this matrix holds `names` scaled by `scaling`.
    pub fn holds(&self, names: &[String], scaling: Scaling) -> bool {
        self.names == names && self.scaling == scaling
    }

    /// The matrix view of the columns.
    pub fn matrix<'a>(&'a self, ds: &'a Dataset) -> Result<Matrix<'a>, FitError> {
        Matrix::new(self.columns.as_deref().unwrap_or(&ds.columns), &self.names)
    }

    /// One new row, unscaled, scaled like the training rows.
    pub fn scale_row(&self, values: &[f64]) -> Result<Vec<f64>, FitError> {
        match &self.scaler {
            Some(s) => s.transform_row(values),
            None => Ok(values.to_vec()),
        }
    }
}
