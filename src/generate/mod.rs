//! Generators of realistic test data with labelled anomalies, for tests, demos, benchmarks and
//! the `generate` command: a regional traffic table ([`table`]) and an access log
//! ([`access_log`]). They write files; they read none.

pub mod access_log;
pub mod contextual;
pub mod table;
