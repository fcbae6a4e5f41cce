//! Generators of realistic test data with labelled anomalies, for tests, demos, benchmarks and
//! the `generate` command: a regional traffic table ([`table`]), an access log
//! ([`access_log`]) and an office network's Zeek conn.log and capture ([`network`]). They write
//! files; they read none.

pub mod access_log;
pub mod contextual;
pub mod network;
pub mod table;
