//! Delimited text (CSV, TSV, `;` with decimal commas): its sniff, the record scan, and two
//! readers, the parallel fast one for plain files and polars for the rest.

mod delimiters;
mod header;
mod read_csv;
mod read_fast;
pub mod rows;
pub(crate) mod scan;
mod sniff;

pub use header::NULL_VALUES;
pub use read_csv::{read, CsvEngine};
pub use sniff::{check_line_ends, sniff};
