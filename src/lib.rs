//! TrafficLens: find anomalous web traffic (spikes, scanners, floods, brute-force runs).
//!
//! Data flows one way: [`data`] reads files into a [`data::Dataset`] and computes exploration
//! statistics; [`detect`] holds the detectors; [`worker`] runs jobs off the UI thread; [`app`] is
//! the desktop GUI and [`cli`] the headless command line; [`export`] writes files for both;
//! [`generate`] makes test data. [`data::follow`] follows growing sources and [`live`] holds the
//! alerts and their outputs, for live monitoring.

pub mod analysis;
pub mod app;
pub mod calendar;
pub mod cli;
pub mod clock;
pub mod control;
pub mod data;
pub mod detect;
pub mod export;
pub mod file_type;
#[doc(hidden)]
pub mod fuzzing;
pub mod generate;
pub mod huge_pages;
pub mod live;
pub mod numeric;
pub mod panic_guard;
pub mod terminal;
pub mod worker;
pub mod zone;
