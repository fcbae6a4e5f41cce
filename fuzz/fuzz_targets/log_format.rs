//! The log-format compiler; a format that compiles then parses the rest of the input's lines.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trafficlens::data::access::line::parse_line;
use trafficlens::data::access::LogFormat;

fuzz_target!(|data: &[u8]| {
    let (spec, lines) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let Ok(spec) = std::str::from_utf8(spec) else {
        return;
    };
    let Ok(format) = LogFormat::parse(spec) else {
        return;
    };
    std::hint::black_box((format.field_count(), format.has_request_time()));
    let mut scratch = Vec::new();
    for line in lines.split(|&b| b == b'\n') {
        let _ = std::hint::black_box(parse_line(&format, line, &mut scratch));
    }
});
