//! The flagged rows as an export writes them: rows, scores, top feature names and, for an
//! access log's client view, the verdict in words.

/// The flagged rows of a detection, ready for [`crate::export::write_flagged_to`].
#[derive(Debug, Clone, PartialEq)]
pub struct FlaggedRows {
    /// The flagged rows (indices into the dataset's rows), in row order (an access log's client
    /// view: attacks first, see [`crate::data::access::verdict::triage_order`]).
    pub rows: Vec<usize>,
    /// The anomaly score of each.
    pub scores: Vec<f64>,
    /// The name of the feature that explains each most.
    pub top_features: Vec<String>,
    /// Access logs, client view: why each client looks suspicious, in words.
    pub words: Option<Vec<String>>,
}
