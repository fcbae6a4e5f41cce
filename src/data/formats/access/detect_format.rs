//! Recognising an access log and its format from its first lines.

use std::io::Read;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use super::format::LogFormat;
use super::line::parse_line;
use crate::data::{LoadError, Source};

/// Bytes of (decompressed) text inspected.
const HEAD: usize = 256 << 10;
/// Lines tried against each known format.
const LINES: usize = 200;

/// The first whole, non-blank lines of `head` (a last line cut by the window is dropped).
fn first_lines(head: &[u8], cut: bool) -> Vec<(u64, &[u8])> {
    let mut lines: Vec<(u64, &[u8])> = head
        .split(|&b| b == b'\n')
        .enumerate()
        .map(|(i, l)| (i as u64 + 1, l))
        .collect();
    if cut && lines.len() > 1 {
        lines.pop();
    }
    lines
        .into_iter()
        .filter(|(_, l)| !l.iter().all(u8::is_ascii_whitespace))
        .take(LINES)
        .collect()
}

/// How many of `lines` each preset parses, best first: the richest format among those that
/// parse at least 90% as many lines as the best one (or all but two of them).
fn rank(lines: &[(u64, &[u8])]) -> Vec<(usize, LogFormat)> {
    let mut scratch = Vec::new();
    let mut ranked: Vec<(usize, LogFormat)> = LogFormat::presets()
        .into_iter()
        .map(|f| {
            let n = lines
                .iter()
                .filter(|(_, l)| parse_line(&f, l, &mut scratch).is_ok())
                .count();
            (n, f)
        })
        .collect();
    // The richest format that parses nearly as many lines as the best: a cut or odd line that
    // only the Common format accepts must not cost the user agents of every other line.
    let best = ranked.iter().map(|r| r.0).max().unwrap_or(0);
    let near = |n: usize| n > 0 && (10 * n >= 9 * best || best - n <= 2);
    ranked.sort_by(|a, b| {
        near(b.0)
            .cmp(&near(a.0))
            .then(b.1.field_count().cmp(&a.1.field_count()))
            .then(b.0.cmp(&a.0))
    });
    ranked
}

/// True when most of the first lines of `head` are access-log lines in a known format.
pub fn looks_like_log(head: &[u8], cut: bool) -> bool {
    let lines = first_lines(head, cut);
    let lines = &lines[..lines.len().min(20)];
    if lines.is_empty() {
        return false;
    }
    rank(lines)
        .first()
        .is_some_and(|(n, _)| 2 * n > lines.len())
}

/// The known format that parses most of `lines` (the first lines of a followed source), if
/// any parses at least one.
pub fn format_of_lines(lines: &[&[u8]]) -> Option<LogFormat> {
    let numbered: Vec<(u64, &[u8])> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| !l.iter().all(u8::is_ascii_whitespace))
        .take(LINES)
        .map(|(i, l)| (i as u64 + 1, *l))
        .collect();
    let mut ranked = rank(&numbered);
    match ranked.first() {
        Some((n, _)) if *n > 0 => Some(ranked.swap_remove(0).1),
        _ => None,
    }
}

/// The known format that parses most of the first lines of the log.
pub fn detect_format(source: &Source, gzip: bool) -> Result<LogFormat, LoadError> {
    let path = source.path().to_path_buf();
    let mut head = Vec::with_capacity(HEAD);
    let reader = super::read::open(source, gzip, Arc::new(AtomicU64::new(0)))?;
    reader
        .take(HEAD as u64)
        .read_to_end(&mut head)
        .map_err(|e| match gzip {
            true => LoadError::Gzip {
                path: path.clone(),
                message: e.to_string(),
            },
            false => LoadError::io(&path, e),
        })?;
    let lines = first_lines(&head, head.len() == HEAD);
    let Some(&(first_line, first)) = lines.first() else {
        return Err(LoadError::Empty { path });
    };
    let mut ranked = rank(&lines);
    match ranked.first() {
        Some((n, _)) if *n > 0 => Ok(ranked.swap_remove(0).1),
        _ if gzip && first.contains(&b',') && !first.contains(&b'[') => Err(LoadError::NotText {
            path,
            reason: "it is a gzip-compressed table; TrafficLens reads gzip access logs, but a table must be decompressed first".into(),
        }),
        _ => Err(LoadError::NotALog {
            path,
            line: first_line,
            sample: String::from_utf8_lossy(&first[..first.len().min(120)]).into_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_recognised() {
        let combined = br#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1 "-" "UA"
1.2.3.5 - - [10/Oct/2000:13:55:37 -0700] "GET /a HTTP/1.0" 404 1 "-" "UA"
"#;
        let common = br#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1
"#;
        let vhost = br#"www.example.com:443 1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1 "-" "UA"
"#;
        let top = |t: &[u8]| rank(&first_lines(t, false)).swap_remove(0).1.name;
        assert_eq!(top(combined), "Combined Log Format");
        assert_eq!(top(common), "Common Log Format");
        assert_eq!(top(vhost), "Combined Log Format (virtual host)");
        assert!(looks_like_log(combined, false));
        assert!(!looks_like_log(b"Date,Region 1\n1/1/2021,5\n", false));
    }
}
