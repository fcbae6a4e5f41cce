//! The streaming, gzip-framed log reader. The first byte picks how the rest is read: as a
//! gzip stream as given, compressed here into one or two gzip members (so the line framing
//! behind the decompressor is reached), or as plain text.
#![no_main]

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use flate2::write::GzEncoder;
use flate2::Compression;
use libfuzzer_sys::fuzz_target;
use trafficlens::control::Control;
use trafficlens::data::access::{read_log, LogFormat};
use trafficlens::data::Source;

fn formats() -> &'static [LogFormat] {
    static FORMATS: OnceLock<Vec<LogFormat>> = OnceLock::new();
    FORMATS.get_or_init(|| {
        let mut all = LogFormat::presets();
        all.push(
            LogFormat::parse(r#"$host $remote_addr [$time_iso8601] "$request" $status $body_bytes_sent $request_time"#)
                .expect("custom format compiles"),
        );
        all
    })
}

fn gzip(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for part in parts {
        let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
        if enc.write_all(part).is_err() {
            return out;
        }
        match enc.finish() {
            Ok(bytes) => out.extend_from_slice(&bytes),
            Err(_) => return out,
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let format = &formats()[usize::from(mode >> 2) % formats().len()];
    let (bytes, gz) = match mode & 3 {
        0 => (rest.to_vec(), true),
        1 => (gzip(&[rest]), true),
        2 => {
            let cut = rest.len() / 2;
            (gzip(&[&rest[..cut], &rest[cut..]]), true)
        }
        _ => (rest.to_vec(), false),
    };
    let source = Source::Memory {
        name: PathBuf::from("fuzz.log.gz"),
        bytes: Arc::from(bytes),
    };
    if let Ok(log) = read_log(&source, format, gz, Control::default()) {
        std::hint::black_box((log.requests(), log.span(), log.summary()));
    }
});
