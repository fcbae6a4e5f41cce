//! Why a session request failed.

use crate::detect::FitError;

/// Why an analysis request failed; the session is left as it was before the request, except
/// that a new feature selection drops the previous fit.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AnalysisError {
    /// A feature name is not a numeric column of the table.
    #[error("no numeric column named `{0}`")]
    NoSuchFeature(String),
    /// A feature is named twice in the selection.
    #[error("`{0}` is named twice")]
    FeatureTwice(String),
    /// The detector could not run (or was cancelled: [`FitError::Cancelled`]).
    #[error(transparent)]
    Fit(#[from] FitError),
    /// Re-thresholding, "what if", explanations or export were asked for before any scoring.
    #[error("nothing has been scored yet")]
    NotScored,
}
