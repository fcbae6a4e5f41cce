//! Entry points for fuzzers and property tests (`fuzz/`, `tests/properties.rs`): the parsers
//! that are private to [`crate::data`], reachable without widening the public API. Not for
//! other use; nothing here is stable.

use std::path::PathBuf;
use std::sync::Arc;

use crate::data::{FileKind, LoadError, Source};

/// Sniffs `bytes` (named `name` in messages) and, when they look like delimited text, scans
/// them with the sniffed delimiter; returns the kind and, for text, the number of data rows.
pub fn sniff_and_scan(name: &str, bytes: &[u8]) -> Result<(FileKind, Option<usize>), LoadError> {
    let source = Source::Memory {
        name: PathBuf::from(name),
        bytes: Arc::from(bytes),
    };
    let kind = crate::data::formats::sniff::sniff(&source, false)?;
    let rows = match kind {
        FileKind::Csv {
            delimiter, bom_len, ..
        } => Some(
            crate::data::scan::scan(&source, delimiter, bom_len)?
                .starts
                .len(),
        ),
        _ => None,
    };
    Ok((kind, rows))
}

/// Scans `bytes` as delimited text with `delimiter` (no sniffing); returns the data rows.
pub fn scan(bytes: &[u8], delimiter: u8) -> Result<usize, LoadError> {
    let source = Source::Memory {
        name: PathBuf::from("fuzz.csv"),
        bytes: Arc::from(bytes),
    };
    Ok(crate::data::scan::scan(&source, delimiter, 0)?.starts.len())
}

/// Splits one CSV record as the header and export re-reader do.
pub fn parse_record(bytes: &[u8], delimiter: u8) -> Result<Vec<String>, String> {
    crate::data::scan::parse_record(bytes, delimiter)
}
