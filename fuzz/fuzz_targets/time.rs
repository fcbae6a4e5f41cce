//! The time parsers: ISO 8601, CLF and epoch fields of logs, and whole text and epoch columns.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trafficlens::data::access::format::TimeStyle;
use trafficlens::data::access::line::parse_time;
use trafficlens::data::time::{looks_like_time, parse_epoch_column, parse_iso, parse_text_column};
use trafficlens::data::TextColumn;

const STYLES: [TimeStyle; 4] = [
    TimeStyle::Clf,
    TimeStyle::Iso8601,
    TimeStyle::EpochSeconds,
    TimeStyle::EpochMillis,
];

fuzz_target!(|data: &[u8]| {
    for style in STYLES {
        std::hint::black_box(parse_time(style, data));
    }
    let text = String::from_utf8_lossy(data);
    std::hint::black_box((parse_iso(&text), looks_like_time(&text)));
    // Each line is a cell of one column.
    let mut col = TextColumn::with_capacity(16, data.len());
    for cell in text.split('\n') {
        col.push(cell);
    }
    let _ = std::hint::black_box(parse_text_column(&col, true));
    let _ = std::hint::black_box(parse_text_column(&col, false));
    // Every 8 bytes are one f64 of a numeric column.
    let values: Vec<f64> = data
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap_or_default()))
        .collect();
    std::hint::black_box(parse_epoch_column(&values, true));
    std::hint::black_box(parse_epoch_column(&values, false));
});
