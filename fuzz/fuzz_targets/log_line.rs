//! The access-log line parser with every preset and custom Nginx and Apache formats.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use trafficlens::data::access::line::{is_login_path, parse_line};
use trafficlens::data::access::LogFormat;

/// Custom formats: Nginx with ISO time, `$msec` and request time; Apache with epoch millis.
const CUSTOM: [&str; 3] = [
    r#"$host $remote_addr [$time_iso8601] "$request" $status $body_bytes_sent $request_time"#,
    r#"$msec $remote_addr "$request_method $request_uri $server_protocol" $status $bytes_sent "$http_user_agent""#,
    r#"%{msec}t %a %v "%m %U %H" %>s %B %D %{ms}T "%{User-Agent}i""#,
];

fn formats() -> &'static [LogFormat] {
    static FORMATS: OnceLock<Vec<LogFormat>> = OnceLock::new();
    FORMATS.get_or_init(|| {
        let mut all = LogFormat::presets();
        all.extend(
            CUSTOM
                .iter()
                .map(|f| LogFormat::parse(f).expect("custom format compiles")),
        );
        all
    })
}

fuzz_target!(|data: &[u8]| {
    let mut scratch = Vec::new();
    for format in formats() {
        if let Ok(parsed) = parse_line(format, data, &mut scratch) {
            std::hint::black_box(is_login_path(parsed.path));
        }
    }
});
