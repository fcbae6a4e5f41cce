//! The input formats, one folder each with its sniff and its read: delimited text
//! ([`csv`]), Parquet ([`parquet`]) and web server access logs ([`access`]), Zeek connection logs ([`zeek`]),
//! packet captures ([`pcap`]), flow records as text ([`nfdump`], [`argus`], read through
//! [`flows`]); [`sniff`] decides a file's kind once.

pub mod access;
pub mod argus;
pub(crate) mod csv;
pub mod flows;
pub mod nfdump;
pub(crate) mod parquet;
pub mod pcap;
pub(crate) mod sniff;
pub mod zeek;

pub use sniff::FileKind;
