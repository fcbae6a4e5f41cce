//! The Parquet reader, through the loader (classification and layout included).
#![no_main]

use std::sync::{Arc, Once};

use libfuzzer_sys::fuzz_target;
use trafficlens::data::{load_bytes, LoadOptions};

/// libFuzzer's panic hook aborts on every panic, even one the loader contains (polars panics on
/// some damaged Parquet files, and `trafficlens::panic_guard` turns those into errors). This hook
/// lets contained panics unwind to the guard and still aborts on any other, so a panic of our own
/// code is still a finding.
fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            if trafficlens::panic_guard::is_containing() {
                return;
            }
            eprintln!("{info}");
            std::process::abort();
        }));
    });
}

fuzz_target!(|data: &[u8]| {
    install_hook();
    // Only inputs that sniff as Parquet reach the Parquet reader.
    let mut bytes = data.to_vec();
    if !bytes.starts_with(b"PAR1") {
        bytes.splice(0..0, *b"PAR1");
    }
    if let Ok(ds) = load_bytes("fuzz.parquet", Arc::from(bytes), &LoadOptions::default()) {
        std::hint::black_box((ds.n_rows(), ds.n_features()));
    }
});
