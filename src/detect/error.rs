//! Errors of detector parameters (one variant per rule) and of fitting and scoring.

/// A parameter breaks a rule; nothing was fitted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParamsError {
    /// `contamination` must be `auto` or a fraction in (0, 0.5].
    #[error("contamination must be `auto` or a fraction in (0, 0.5], not {0}")]
    Contamination(f64),
    /// The automatic threshold's risk must be in (0, 0.01].
    #[error(
        "the risk must be a probability above 0 and at most 0.01, not {0}; try the default, 1e-4"
    )]
    Risk(f64),
    /// `n_estimators` must be at least 1.
    #[error("the number of trees must be at least 1")]
    NoTrees,
    /// `max_samples` as a count must be at least 1.
    #[error("max_samples must be at least 1")]
    MaxSamplesZero,
    /// `max_samples` as a fraction must be in (0, 1].
    #[error("max_samples as a fraction must be in (0, 1], not {0}")]
    MaxSamplesFraction(f64),
    /// `max_features` must be in (0, 1].
    #[error("max_features must be a fraction in (0, 1], not {0}")]
    MaxFeatures(f64),
    /// `n_neighbors` must be at least 1.
    #[error("the number of neighbours must be at least 1")]
    NoNeighbours,
    /// A seasonal baseline setting breaks a rule.
    #[error(transparent)]
    Seasonal(#[from] super::seasonal::SeasonalError),
}

/// Fitting or scoring could not be done with this data.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    /// No rows to learn from.
    #[error("no rows to analyse")]
    NoRows,
    /// Fewer rows than the detector needs.
    #[error("{algorithm} needs at least {needed} rows to compare, but the data has {rows}")]
    TooFewRows {
        /// The detector.
        algorithm: &'static str,
        /// Rows given.
        rows: usize,
        /// Rows needed.
        needed: usize,
    },
    /// No feature columns.
    #[error("no feature columns to analyse")]
    NoFeatures,
    /// Columns of different lengths.
    #[error("feature `{feature}` has {found} rows but the others have {expected}")]
    RaggedColumns {
        /// The column.
        feature: String,
        /// Rows of the first column.
        expected: usize,
        /// Rows of this one.
        found: usize,
    },
    /// A NaN or infinite value.
    #[error("row {row} of feature `{feature}` is {value}, not a finite number; fill or drop missing values first")]
    NotFinite {
        /// The row.
        row: usize,
        /// The column.
        feature: String,
        /// The value.
        value: f64,
    },
    /// Points to score have another number of features than the model.
    #[error("the model was fitted on {expected} features but got {found}")]
    FeatureCount {
        /// Features of the model.
        expected: usize,
        /// Features given.
        found: usize,
    },
    /// LOF's neighbour lists would need more memory than
    /// [`LOF_MEMORY_LIMIT`](super::lof_memory::LOF_MEMORY_LIMIT); nothing was allocated.
    #[error(
        "LOF with {neighbours} neighbours on {rows} rows ({distinct} distinct) needs about {} for its neighbour lists, more than the limit of {}; {}",
        super::lof_memory::gib(.needed),
        super::lof_memory::gib(.limit),
        super::lof_memory::advice(.max_neighbours)
    )]
    TooMuchMemory {
        /// Rows to score.
        rows: usize,
        /// Distinct rows among them (copies share one list).
        distinct: usize,
        /// Neighbours asked for (after clamping to the rows).
        neighbours: usize,
        /// Bytes needed.
        needed: u64,
        /// Bytes allowed.
        limit: u64,
        /// The most neighbours that fit (0: none).
        max_neighbours: usize,
    },
    /// `max_samples` as a fraction of the rows leaves no row to grow a tree from
    /// (scikit-learn raises "max_samples must be in (0, n_samples]" here too).
    #[error("max_samples {fraction} of {rows} rows is 0 rows (scikit-learn rounds down), and a tree needs at least 1; use a fraction whose product with {rows} is at least 1, or a count (`--max-samples 1` up to {rows})")]
    MaxSamplesNoRows {
        /// The fraction asked for.
        fraction: f64,
        /// Rows to fit on.
        rows: usize,
    },
    /// The work was cancelled.
    #[error("cancelled")]
    Cancelled,
    /// The parameters break a rule.
    #[error(transparent)]
    Params(#[from] ParamsError),
    /// The automatic threshold cannot be set on these scores.
    #[error(transparent)]
    Threshold(#[from] super::spot::SpotError),
    /// The seasonal baseline cannot run on this data (no time column, no interval).
    #[error(transparent)]
    Seasonal(#[from] super::seasonal::SeasonalError),
}
