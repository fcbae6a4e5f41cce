//! The input formats, one folder each with its sniff and its read: delimited text
//! ([`csv`]), Parquet ([`parquet`]) and web server access logs ([`access`]); [`sniff`] decides
//! a file's kind once.

pub mod access;
pub(crate) mod csv;
pub(crate) mod parquet;
pub(crate) mod sniff;

pub use sniff::FileKind;
