//! Parsing one access-log line against a [`LogFormat`]: quoted fields with `\"` escapes, lines
//! wrapped in an extra pair of quotes, IPv6 clients, `-` for missing values, requests without a
//! protocol, and extra fields after the format's end.

use super::format::{Duration, Field, LogFormat, Piece, TimeStyle};
use crate::data::time::{days_in_month, valid_offset, MAX_TIME_MS, MIN_TIME_MS};

/// The request method, as a small code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Method {
    /// GET.
    Get,
    /// POST.
    Post,
    /// HEAD.
    Head,
    /// PUT, PATCH or DELETE.
    Write,
    /// Anything else (OPTIONS, CONNECT, a garbled request...).
    Other,
}

impl Method {
    fn from_bytes(b: &[u8]) -> Method {
        match b {
            b"GET" => Method::Get,
            b"POST" => Method::Post,
            b"HEAD" => Method::Head,
            b"PUT" | b"PATCH" | b"DELETE" => Method::Write,
            _ => Method::Other,
        }
    }
}

/// The fields of one line that TrafficLens uses, borrowed from the line.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed<'a> {
    /// Client address as written.
    pub client: &'a [u8],
    /// Milliseconds since 1970-01-01 UTC.
    pub time_ms: i64,
    /// The offset from UTC the time was written with, in minutes east (`None`: no zone).
    pub offset_min: Option<i32>,
    /// Request method.
    pub method: Method,
    /// The request target without its query string (empty when the request is garbled).
    pub path: &'a [u8],
    /// The query string from its `?` (empty when there is none).
    pub query: &'a [u8],
    /// The status code.
    pub status: u16,
    /// Bytes sent (0 for `-`).
    pub bytes: u64,
    /// The user agent (empty when not logged).
    pub user_agent: &'a [u8],
    /// The referer (empty when not logged or `-`).
    pub referer: &'a [u8],
    /// The virtual host (empty when not logged).
    pub vhost: &'a [u8],
    /// Time taken in milliseconds (NaN when not logged).
    pub request_ms: f32,
}

/// Why a line does not match the format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    /// The line is empty.
    #[error("the line is empty")]
    Empty,
    /// Fixed text of the format is missing.
    #[error("expected `{0}` at byte {1}")]
    Literal(&'static str, usize),
    /// A quoted field has no closing quote.
    #[error("a quoted field is not closed")]
    Unclosed,
    /// The line ends before the format does.
    #[error("the line ends early (at byte {0})")]
    Short(usize),
    /// The client field is empty or not an address.
    #[error("no client address")]
    Client,
    /// The time does not parse (or names a date or UTC offset that does not exist).
    #[error("the time is not in the format's time format, or names a date or UTC offset that does not exist")]
    Time,
    /// The time parses but is before 1970 or after 9999.
    #[error("the time is outside 1970-01-01 to 9999-12-31")]
    TimeRange,
    /// The status is not a 3-digit number.
    #[error("the status is not a 3-digit code")]
    Status,
    /// The bytes field is not a number or `-`.
    #[error("the bytes sent are not a number")]
    Bytes,
}

/// Parses `line` (without its line break). A line wrapped in an extra pair of quotes (as some
/// exporters write it, with inner quotes doubled) is unwrapped into `scratch` first.
pub fn parse_line<'a>(
    format: &LogFormat,
    line: &'a [u8],
    scratch: &'a mut Vec<u8>,
) -> Result<Parsed<'a>, LineError> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.iter().all(u8::is_ascii_whitespace) {
        return Err(LineError::Empty);
    }
    let starts_with_quote =
        matches!(format.pieces.first(), Some(Piece::Literal(l)) if l.first() == Some(&b'"'));
    let line =
        if !starts_with_quote && line.len() >= 2 && line[0] == b'"' && line[line.len() - 1] == b'"'
        {
            let inner = &line[1..line.len() - 1];
            if memchr::memmem::find(inner, b"\"\"").is_some() {
                scratch.clear();
                let mut i = 0;
                while i < inner.len() {
                    scratch.push(inner[i]);
                    i += if inner[i] == b'"' && inner.get(i + 1) == Some(&b'"') {
                        2
                    } else {
                        1
                    };
                }
                &scratch[..]
            } else {
                inner
            }
        } else {
            line
        };
    parse_unwrapped(format, line)
}

fn parse_unwrapped<'a>(format: &LogFormat, line: &'a [u8]) -> Result<Parsed<'a>, LineError> {
    let mut out = Parsed {
        client: b"",
        time_ms: 0,
        offset_min: None,
        method: Method::Other,
        path: b"",
        query: b"",
        status: 0,
        bytes: 0,
        user_agent: b"",
        referer: b"",
        vhost: b"",
        request_ms: f32::NAN,
    };
    let mut pos = 0usize;
    let pieces = &format.pieces;
    for (k, piece) in pieces.iter().enumerate() {
        match piece {
            Piece::Literal(lit) => {
                pos = match_literal(line, pos, lit)?;
            }
            Piece::Field(field) => {
                let prev_quote =
                    k > 0 && matches!(&pieces[k - 1], Piece::Literal(l) if l.last() == Some(&b'"'));
                let next = match pieces.get(k + 1) {
                    Some(Piece::Literal(l)) => Some(l.as_slice()),
                    _ => None,
                };
                let next_quote = next.is_some_and(|l| l.first() == Some(&b'"'));
                let end = if prev_quote && next_quote {
                    closing_quote(line, pos, next.unwrap_or_default(), k + 2 == pieces.len())?
                } else {
                    match next {
                        Some(l) => {
                            let stop = l[0];
                            // Time fields hold a space (`... -0700]`); others end at the stop byte.
                            match memchr::memchr(stop, &line[pos..]) {
                                Some(i) => pos + i,
                                None => return Err(LineError::Short(line.len())),
                            }
                        }
                        None => line[pos..]
                            .iter()
                            .position(|b| b.is_ascii_whitespace())
                            .map_or(line.len(), |i| pos + i),
                    }
                };
                let value = &line[pos..end];
                set_field(&mut out, *field, value)?;
                pos = end;
            }
        }
    }
    Ok(out)
}

/// Matches fixed text; a space in the format matches one or more spaces or tabs.
fn match_literal(line: &[u8], mut pos: usize, lit: &[u8]) -> Result<usize, LineError> {
    for &want in lit {
        if want == b' ' {
            if !matches!(line.get(pos), Some(b' ' | b'\t')) {
                return Err(literal_error(line, pos, lit));
            }
            while matches!(line.get(pos), Some(b' ' | b'\t')) {
                pos += 1;
            }
        } else if line.get(pos) == Some(&want) {
            pos += 1;
        } else {
            return Err(literal_error(line, pos, lit));
        }
    }
    Ok(pos)
}

fn literal_error(line: &[u8], pos: usize, lit: &[u8]) -> LineError {
    if pos >= line.len() {
        return LineError::Short(line.len());
    }
    let shown = match lit {
        b" " => "a space",
        b"\"" => "\"",
        b" \"" | b"\" \"" | b"\" " => "a quoted field",
        b" [" | b"[" => "[",
        b"] " | b"]" | b"] \"" => "]",
        _ => "the format's text",
    };
    LineError::Literal(shown, pos)
}

/// Where a quoted field that starts at `pos` ends: the first quote not escaped by a backslash
/// that is followed by the rest of the format's text (so an unescaped quote inside a user agent
/// does not end it early). `last`: the closing quote is the format's last piece.
fn closing_quote(line: &[u8], pos: usize, next: &[u8], last: bool) -> Result<usize, LineError> {
    let mut first_candidate = None;
    let mut i = pos;
    while let Some(off) = memchr::memchr(b'"', &line[i..]) {
        let j = i + off;
        let mut backslashes = 0;
        while j > pos + backslashes && line[j - 1 - backslashes] == b'\\' {
            backslashes += 1;
        }
        if backslashes % 2 == 0 {
            first_candidate.get_or_insert(j);
            let fits = if last && next.len() == 1 {
                line.get(j + 1).is_none_or(|b| b.is_ascii_whitespace())
            } else {
                match_literal(line, j, next).is_ok()
            };
            if fits {
                return Ok(j);
            }
        }
        i = j + 1;
    }
    first_candidate.ok_or(LineError::Unclosed)
}

fn set_field<'a>(out: &mut Parsed<'a>, field: Field, v: &'a [u8]) -> Result<(), LineError> {
    match field {
        Field::Client => {
            if v.is_empty() || v == b"-" || !v.iter().all(|b| b.is_ascii_graphic() && *b != b'"') {
                return Err(LineError::Client);
            }
            out.client = v;
        }
        Field::Time(style) => {
            let (t, offset) = parse_time_zoned(style, v).ok_or(LineError::Time)?;
            if !(MIN_TIME_MS..=MAX_TIME_MS).contains(&t) {
                return Err(LineError::TimeRange);
            }
            out.time_ms = t;
            out.offset_min = offset;
        }
        Field::Request => {
            let (method, target) = split_request(v);
            out.method = method;
            (out.path, out.query) = split_query(target);
        }
        Field::Method => out.method = Method::from_bytes(v),
        Field::Target => (out.path, out.query) = split_query(v),
        Field::Status => {
            if v.len() != 3 || !v.iter().all(u8::is_ascii_digit) {
                return Err(LineError::Status);
            }
            out.status = v.iter().fold(0u16, |a, &b| a * 10 + u16::from(b - b'0'));
        }
        Field::Bytes => {
            out.bytes = if v == b"-" {
                0
            } else {
                parse_u64(v).ok_or(LineError::Bytes)?
            }
        }
        Field::UserAgent => out.user_agent = if v == b"-" { b"" } else { v },
        Field::VirtualHost => out.vhost = v,
        Field::RequestTime(unit) => {
            let x = std::str::from_utf8(v)
                .ok()
                .and_then(|s| s.parse::<f64>().ok())
                .filter(|x| x.is_finite());
            out.request_ms = match (x, unit) {
                (None, _) => f32::NAN,
                (Some(x), Duration::Seconds) => (x * 1000.0) as f32,
                (Some(x), Duration::Millis) => x as f32,
                (Some(x), Duration::Micros) => (x / 1000.0) as f32,
            };
        }
        Field::Referer => out.referer = if v == b"-" { b"" } else { v },
        Field::Ident | Field::User | Field::Protocol | Field::Skip => {}
    }
    Ok(())
}

fn parse_u64(v: &[u8]) -> Option<u64> {
    if v.is_empty() || v.len() > 19 {
        return None;
    }
    let mut n = 0u64;
    for &b in v {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u64::from(b - b'0');
    }
    Some(n)
}

/// `GET /a?b HTTP/1.1` -> (GET, `/a?b`); `GET /` -> (GET, `/`); `-` or junk -> (Other, ``).
fn split_request(v: &[u8]) -> (Method, &[u8]) {
    let Some(sp) = memchr::memchr(b' ', v) else {
        return (Method::Other, b"");
    };
    let method = Method::from_bytes(&v[..sp]);
    let rest = &v[sp + 1..];
    let target = match memchr::memmem::rfind(rest, b" HTTP/") {
        Some(i) => &rest[..i],
        None => rest,
    };
    (method, target.trim_ascii())
}

/// `/a?b=1` -> (`/a`, `?b=1`); `/a` -> (`/a`, ``).
fn split_query(v: &[u8]) -> (&[u8], &[u8]) {
    v.split_at(memchr::memchr(b'?', v).unwrap_or(v.len()))
}

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// Parses a time field in the given style into epoch milliseconds (UTC). Epoch seconds beyond
/// the range of `i64` milliseconds (`$msec` of `99999999999999999999.000`) give `None`.
pub fn parse_time(style: TimeStyle, v: &[u8]) -> Option<i64> {
    parse_time_zoned(style, v).map(|(ms, _)| ms)
}

/// Parses a time field as [`parse_time`] does, with the offset from UTC it was written with, in
/// minutes east (`None` when it names no zone, as epoch times do not).
pub fn parse_time_zoned(style: TimeStyle, v: &[u8]) -> Option<(i64, Option<i32>)> {
    match style {
        TimeStyle::Clf => parse_clf_time(v),
        TimeStyle::Iso8601 => crate::data::time::parse_iso_zoned(std::str::from_utf8(v).ok()?),
        TimeStyle::EpochSeconds => {
            let s: f64 = std::str::from_utf8(v).ok()?.parse().ok()?;
            let ms = (s * 1000.0).round();
            // `as` would saturate: only values that fit are times.
            (ms.is_finite() && ms.abs() < 9.0e18).then_some((ms as i64, None))
        }
        TimeStyle::EpochMillis => parse_u64(v)
            .and_then(|n| i64::try_from(n).ok())
            .map(|ms| (ms, None)),
    }
}

/// `10/Oct/2000:13:55:36 -0700` (fractional seconds and a missing zone are accepted): epoch
/// milliseconds and the offset, in minutes east.
fn parse_clf_time(v: &[u8]) -> Option<(i64, Option<i32>)> {
    let num = |s: &[u8]| -> Option<i64> {
        s.iter().try_fold(0i64, |a, &b| {
            b.is_ascii_digit().then(|| a * 10 + i64::from(b - b'0'))
        })
    };
    if v.len() < 20
        || v[2] != b'/'
        || v[6] != b'/'
        || v[11] != b':'
        || v[14] != b':'
        || v[17] != b':'
    {
        return None;
    }
    let day = num(&v[0..2])?;
    let month = MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(&v[3..6]))? as u32
        + 1;
    let year = i32::try_from(num(&v[7..11])?).ok()?;
    let (h, m, s) = (num(&v[12..14])?, num(&v[15..17])?, num(&v[18..20])?);
    // A leap second (60) is accepted; 31/Feb is not.
    if day < 1 || day > i64::from(days_in_month(year, month)) || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let mut rest = &v[20..];
    let mut frac_ms = 0i64;
    if rest.first() == Some(&b'.') {
        let digits = rest[1..].iter().take_while(|b| b.is_ascii_digit()).count();
        let mut scale = 100;
        for &d in &rest[1..1 + digits.min(3)] {
            frac_ms += i64::from(d - b'0') * scale;
            scale /= 10;
        }
        rest = &rest[1 + digits..];
    }
    let mut offset_min = 0i64;
    let mut zoned = false;
    if rest.first() == Some(&b' ') {
        let z = &rest[1..];
        if z.len() != 5 || !matches!(z[0], b'+' | b'-') {
            return None;
        }
        let hh = num(&z[1..3])?;
        let mm = num(&z[3..5])?;
        if !valid_offset(hh as u32, mm as u32) {
            return None;
        }
        offset_min = (hh * 60 + mm) * if z[0] == b'-' { -1 } else { 1 };
        zoned = true;
    } else if !rest.is_empty() {
        return None;
    }
    let days = crate::data::time::days_from_civil(year, month, day as u32);
    let ms = ((days * 86_400 + h * 3600 + m * 60 + s) - offset_min * 60) * 1000 + frac_ms;
    // The offset is at most 23:59, so it fits.
    Some((ms, zoned.then_some(offset_min as i32)))
}

/// True when the path looks like a login or authentication endpoint: a path segment that
/// contains `login`, `signin`, `logon` or `xmlrpc`, or is `auth`, `oauth`, `token`, `session` or
/// `password` (an extension such as `.php` is ignored).
pub fn is_login_path(path: &[u8]) -> bool {
    const CONTAINS: [&[u8]; 6] = [
        b"login", b"signin", b"sign-in", b"sign_in", b"logon", b"xmlrpc",
    ];
    const EXACT: [&[u8]; 7] = [
        b"auth",
        b"oauth",
        b"token",
        b"session",
        b"sessions",
        b"password",
        b"authenticate",
    ];
    path.split(|&b| b == b'/').any(|seg| {
        if seg.len() < 4 || seg.len() > 64 {
            return false;
        }
        let mut buf = [0u8; 64];
        let lower = &mut buf[..seg.len()];
        for (d, s) in lower.iter_mut().zip(seg) {
            *d = s.to_ascii_lowercase();
        }
        let stem = match memchr::memchr(b'.', lower) {
            Some(i) => &lower[..i],
            None => &lower[..],
        };
        CONTAINS
            .iter()
            .any(|w| memchr::memmem::find(stem, w).is_some())
            || EXACT.contains(&stem)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::access::format::{COMBINED, COMMON};

    fn combined() -> LogFormat {
        LogFormat::parse(COMBINED).unwrap()
    }

    fn parse<'a>(
        f: &LogFormat,
        line: &'a str,
        scratch: &'a mut Vec<u8>,
    ) -> Result<Parsed<'a>, LineError> {
        parse_line(f, line.as_bytes(), scratch)
    }

    #[test]
    fn combined_line() {
        let mut s = Vec::new();
        let p = parse(
            &combined(),
            r#"203.0.113.7 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif?x=1 HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)""#,
            &mut s,
        )
        .unwrap();
        assert_eq!(p.client, b"203.0.113.7");
        assert_eq!(p.time_ms, 971_211_336_000);
        assert_eq!(p.method, Method::Get);
        assert_eq!(p.path, b"/apache_pb.gif");
        assert_eq!(p.status, 200);
        assert_eq!(p.bytes, 2326);
        assert_eq!(p.user_agent, b"Mozilla/4.08 [en] (Win98; I ;Nav)");
    }

    #[test]
    fn real_world_shapes() {
        let f = combined();
        let mut s = Vec::new();
        // IPv6 client, `-` for bytes.
        let p = parse(&f, r#"2001:db8::ff00:42:8329 - - [01/Feb/2024:00:00:01 +0000] "HEAD / HTTP/1.1" 304 - "-" "curl/8.5.0""#, &mut s).unwrap();
        assert_eq!(p.client, b"2001:db8::ff00:42:8329");
        assert_eq!(p.bytes, 0);
        assert_eq!(p.method, Method::Head);
        // Escaped quotes in the user agent.
        let mut s = Vec::new();
        let p = parse(&f, r#"10.0.0.1 - - [01/Feb/2024:00:00:01 +0000] "GET /a HTTP/1.1" 200 5 "-" "Mozilla/5.0 \"quoted\" thing""#, &mut s).unwrap();
        assert_eq!(p.user_agent, br#"Mozilla/5.0 \"quoted\" thing"#);
        // Unescaped quotes inside a quoted field end only where the format's next text follows.
        let mut s = Vec::new();
        let p = parse(&f, r#"10.0.0.1 - - [01/Feb/2024:00:00:01 +0000] "GET /a"b HTTP/1.1" 200 5 "-" "Evil "bot"/1.0""#, &mut s).unwrap();
        assert_eq!(p.path, br#"/a"b"#);
        assert_eq!(p.user_agent, br#"Evil "bot"/1.0"#);
        // A request with no protocol (HTTP/0.9 style), and a garbled one.
        let mut s = Vec::new();
        let p = parse(
            &f,
            r#"10.0.0.2 - - [01/Feb/2024:00:00:02 +0000] "GET /index.html" 200 10 "-" "-""#,
            &mut s,
        )
        .unwrap();
        assert_eq!(p.path, b"/index.html");
        assert_eq!(p.user_agent, b"");
        let mut s = Vec::new();
        let p = parse(
            &f,
            r#"10.0.0.2 - - [01/Feb/2024:00:00:02 +0000] "\x16\x03\x01\x00" 400 157 "-" "-""#,
            &mut s,
        )
        .unwrap();
        assert_eq!(p.method, Method::Other);
        assert_eq!(p.status, 400);
        // Extra trailing fields (Nginx with $request_time and X-Forwarded-For appended).
        let mut s = Vec::new();
        let p = parse(&f, r#"10.0.0.3 - - [01/Feb/2024:00:00:03 +0000] "POST /login HTTP/2.0" 401 0 "https://x/" "UA" 0.004 "198.51.100.1, 10.0.0.1""#, &mut s).unwrap();
        assert_eq!(p.method, Method::Post);
        assert_eq!(p.status, 401);
        assert_eq!(p.user_agent, b"UA");
        // A line wrapped in an extra pair of quotes, inner quotes doubled.
        let mut s = Vec::new();
        let p = parse(&f, r#""10.0.0.4 - - [01/Feb/2024:00:00:04 +0000] ""GET /x HTTP/1.1"" 404 12 ""-"" ""UA 2""""#, &mut s).unwrap();
        assert_eq!(p.path, b"/x");
        assert_eq!(p.status, 404);
        assert_eq!(p.user_agent, b"UA 2");
        // CRLF line ends.
        let mut s = Vec::new();
        assert!(parse(
            &f,
            "10.0.0.5 - - [01/Feb/2024:00:00:05 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"UA\"\r",
            &mut s
        )
        .is_ok());
    }

    #[test]
    fn common_format_and_time_zones() {
        let f = LogFormat::parse(COMMON).unwrap();
        let mut s = Vec::new();
        let a = parse(
            &f,
            r#"h - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1"#,
            &mut s,
        )
        .unwrap()
        .time_ms;
        let mut s = Vec::new();
        let b = parse(
            &f,
            r#"h - - [10/Oct/2000:20:55:36 +0000] "GET / HTTP/1.0" 200 1"#,
            &mut s,
        )
        .unwrap()
        .time_ms;
        assert_eq!(a, b);
    }

    #[test]
    fn malformed_lines_are_refused() {
        let f = combined();
        let bad = [
            "",
            "hello world",
            r#"10.0.0.1 - - [99/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1 "-" "-""#,
            r#"10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" OK 1 "-" "-""#,
            r#"10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 many "-" "-""#,
            r#"10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1 "-" "cut sh"#,
            r#"10.0.0.1 - - [10/Oct/2000:13:55"#,
            r#"- - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1 "-" "-""#,
        ];
        for line in bad {
            let mut s = Vec::new();
            assert!(parse(&f, line, &mut s).is_err(), "{line}");
        }
    }

    #[test]
    fn impossible_and_outlying_times_are_malformed() {
        let f = combined();
        let line = |time: &str| format!(r#"10.0.0.1 - - [{time}] "GET / HTTP/1.0" 200 1 "-" "-""#);
        for time in [
            "31/Feb/2023:10:00:00 +0000",
            "29/Feb/2023:10:00:00 +0000",
            "31/Apr/2023:10:00:00 +0000",
            "10/Oct/2000:13:55:36 +9999",
            "10/Oct/2000:13:55:36 +2400",
            "10/Oct/2000:13:55:36 +0060",
        ] {
            let mut s = Vec::new();
            assert_eq!(
                parse(&f, &line(time), &mut s).map(|p| p.time_ms),
                Err(LineError::Time),
                "{time}"
            );
        }
        for time in ["01/Jan/0000:00:00:00 +0000", "31/Dec/1969:23:59:59 +0000"] {
            let mut s = Vec::new();
            assert_eq!(
                parse(&f, &line(time), &mut s).map(|p| p.time_ms),
                Err(LineError::TimeRange),
                "{time}"
            );
        }
        let mut s = Vec::new();
        assert!(parse(&f, &line("29/Feb/2024:10:00:00 -2359"), &mut s).is_ok());
        let msec = LogFormat::parse("$remote_addr [$msec] $status").unwrap();
        for (text, ok) in [
            ("10.0.0.1 [99999999999999999999.000] 200", false),
            ("10.0.0.1 [1e300] 200", false),
            ("10.0.0.1 [-5.000] 200", false),
            ("10.0.0.1 [1706781600.123] 200", true),
        ] {
            let mut s = Vec::new();
            assert_eq!(parse(&msec, text, &mut s).is_ok(), ok, "{text}");
        }
    }

    #[test]
    fn custom_formats_parse() {
        let f = LogFormat::parse(
            r#"$host $remote_addr [$time_iso8601] "$request" $status $bytes_sent $request_time"#,
        )
        .unwrap();
        let mut s = Vec::new();
        let p = parse(&f, r#"shop.example 192.0.2.9 [2024-02-01T10:00:00+01:00] "GET /cart HTTP/1.1" 500 99 0.250"#, &mut s).unwrap();
        assert_eq!(p.vhost, b"shop.example");
        assert_eq!(
            p.time_ms,
            crate::data::time::parse_iso("2024-02-01T09:00:00Z").unwrap()
        );
        assert_eq!(p.status, 500);
        assert!((p.request_ms - 250.0).abs() < 1e-3);
        let f = LogFormat::parse("%h %{msec}t %>s %b %D").unwrap();
        let mut s = Vec::new();
        let p = parse(&f, "192.0.2.9 1706781600123 200 10 1500", &mut s).unwrap();
        assert_eq!(p.time_ms, 1_706_781_600_123);
        assert!((p.request_ms - 1.5).abs() < 1e-6);
    }

    #[test]
    fn login_paths() {
        for p in [
            "/login",
            "/wp-login.php",
            "/user/signin",
            "/api/auth/token",
            "/xmlrpc.php",
            "/Account/LogOn",
        ] {
            assert!(is_login_path(p.as_bytes()), "{p}");
        }
        for p in ["/", "/products/42", "/author/jane", "/static/tokens.css"] {
            assert!(!is_login_path(p.as_bytes()), "{p}");
        }
    }
}
