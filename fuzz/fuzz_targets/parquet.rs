//! The Parquet reader, through the loader (classification and layout included).
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use trafficlens::data::{load_bytes, LoadOptions};

fuzz_target!(|data: &[u8]| {
    // Only inputs that sniff as Parquet reach the Parquet reader.
    let mut bytes = data.to_vec();
    if !bytes.starts_with(b"PAR1") {
        bytes.splice(0..0, *b"PAR1");
    }
    if let Ok(ds) = load_bytes("fuzz.parquet", Arc::from(bytes), &LoadOptions::default()) {
        std::hint::black_box((ds.n_rows(), ds.n_features()));
    }
});
