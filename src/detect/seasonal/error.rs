//! What can go wrong with the seasonal detector.

/// The seasonal detector cannot run with these settings or this data.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SeasonalError {
    /// The data has no time column.
    #[error(
        "the seasonal baseline needs a time column, and this file has none named as one (such \
         as time, timestamp or date; on the command line, --time-column NAME names another); \
         otherwise choose another detector (Isolation Forest or LOF; --algo iforest or lof)"
    )]
    NoTime,
    /// The data is a log's or capture's view of one row per client or host (`rows`): it has no
    /// time axis, but the traffic view has one.
    #[error(
        "the seasonal baseline scores a series over time, and this view has one row per {rows}; \
         use the traffic over time instead (--view traffic; in the app, View: Traffic over time), \
         or choose another detector (Isolation Forest or LOF)"
    )]
    NoTimeInView {
        /// What a row is: `client` or `host`.
        rows: &'static str,
    },
    /// The timestamps do not give a sampling interval.
    #[error(
        "the seasonal baseline needs rows at two different times at least to find the sampling \
         interval; {}",
        if *rows == 1 { "this data has one row".to_string() } else { format!("this data has {rows} rows and no two different times") }
    )]
    NoInterval {
        /// Rows given.
        rows: usize,
    },
    /// A row with the wrong number of values.
    #[error("a row has {found} values but the detector follows {expected} features")]
    Width {
        /// Features the state follows.
        expected: usize,
        /// Values given.
        found: usize,
    },
    /// Columns of different lengths.
    #[error("feature {feature} has {found} rows but the time column has {expected}")]
    Ragged {
        /// The feature's index.
        feature: usize,
        /// Rows of the time column.
        expected: usize,
        /// Rows of the feature.
        found: usize,
    },
    /// `cycles` is out of range.
    #[error("the seasonal baseline keeps 2 to {max} cycles per phase, not {0}", max = super::baseline::MAX_CYCLES)]
    Cycles(usize),
    /// `scale_window` is too small.
    #[error("the residual window must hold at least 8 rows, not {0}")]
    ScaleWindow(usize),
    /// `count_floor` is negative or not finite.
    #[error("the count-noise floor must be a finite number of at least 0, not {0}")]
    CountFloor(f64),
    /// `band_mads` is not positive.
    #[error("the band must be a positive number of MADs, not {0}")]
    Band(f64),
}
