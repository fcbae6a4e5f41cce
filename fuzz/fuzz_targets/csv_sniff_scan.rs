//! CSV sniffing and the streaming record scan, plus the record splitter used for headers.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trafficlens::fuzzing;

fuzz_target!(|data: &[u8]| {
    let _ = std::hint::black_box(fuzzing::sniff_and_scan("fuzz.csv", data));
    // The first byte picks a delimiter for a scan without sniffing.
    if let Some((&d, rest)) = data.split_first() {
        let delimiter = [b',', b';', b'\t', b'|', d][usize::from(d % 5)];
        let _ = std::hint::black_box(fuzzing::scan(rest, delimiter));
        let line = rest.split(|&b| b == b'\n').next().unwrap_or_default();
        let _ = std::hint::black_box(fuzzing::parse_record(line, delimiter));
    }
});
