//! TrafficLens: find anomalous web traffic (spikes, scanners, floods, brute-force runs).
//!
//! Data flows one way: [`data`] reads files into a [`data::Dataset`] and computes
//! exploration statistics; later layers (detectors, the worker, the GUI) build on it.
//! [`cli`] holds the headless command line.

pub mod cli;
pub mod data;
pub mod detect;
pub mod export;
pub mod numeric;
pub mod worker;
