//! The input formats, one folder each with its sniff and its read: delimited text
//! ([`csv`]), Parquet ([`parquet`]) and web server access logs ([`access`]), Zeek connection logs ([`zeek`]),
//! packet captures ([`pcap`]); [`sniff`] decides a file's kind once.

pub mod access;
pub(crate) mod csv;
pub(crate) mod parquet;
pub mod pcap;
pub(crate) mod sniff;
pub mod zeek;

pub use sniff::FileKind;
