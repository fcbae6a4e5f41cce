//! Integration tests: one binary (so the large dependency graph links once).

mod access_logs;
mod app;
mod bad_inputs;
mod cli;
mod detect;
mod iforest;
mod load_formats;
mod lof;
mod properties;
mod sample_data;
mod shared_data;
mod util;
mod worker;
