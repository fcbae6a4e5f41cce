//! Apache Parquet: recognised by its `PAR1` magic, read with polars.

pub mod check;
mod read_parquet;

pub use read_parquet::read;

use super::FileKind;

/// `Some(Parquet)` when `head` starts with the Parquet magic.
pub fn sniff(head: &[u8]) -> Option<FileKind> {
    head.starts_with(b"PAR1").then_some(FileKind::Parquet)
}
