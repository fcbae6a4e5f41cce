//! Integration tests: one binary (so the large dependency graph links once).

mod access_logs;
mod app;
mod bad_inputs;
mod behaviour;
mod cli;
mod contextual;
mod detect;
mod detector_settings;
mod hardening_answers;
mod hardening_inputs;
mod hardening_lof;
mod hardening_outputs;
mod hardening_tables;
mod hardening_terminal;
mod iforest;
mod load_control;
mod load_formats;
mod lof;
mod lof_neighbourhood;
mod properties;
mod sample_data;
mod seasonal;
mod shared_data;
mod util;
mod worker;
