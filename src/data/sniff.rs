//! First look at a file, the one place its kind is decided: an access log (plain or gzip),
//! Parquet, or delimited text (which delimiter, is there a BOM); empty, binary and non-UTF-8
//! files are refused here. A new input format adds a variant to [`FileKind`] and a check to
//! [`sniff`]; [`super::load_source_with`] reads each kind in one `match`.

use super::{access, LoadError, Source};

/// How many bytes are inspected to classify a file.
const SNIFF_BYTES: usize = 64 * 1024;

/// What a file is, decided once from its name and first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// Delimited text.
    Csv {
        /// The field delimiter.
        delimiter: u8,
        /// Length of a UTF-8 byte-order mark at the start (0 or 3).
        bom_len: usize,
        /// Whether numbers use a decimal comma (`1,5`), seen with `;` delimiters.
        decimal_comma: bool,
    },
    /// Apache Parquet.
    Parquet,
    /// A web server access log (which log format it is, the access-log reader decides).
    AccessLog {
        /// Whether it is gzip-compressed.
        gzip: bool,
    },
}

/// Inspects the start of `source` and decides how to read it; `log_format_given` says the
/// caller named a log format, so the file is an access log whatever it looks like.
///
/// In order: gzip data is an access log (a gzip table is refused by the log reader with a
/// message saying to decompress it); with a log format given, or a name like `*.log`,
/// `*.log.*` or `*access_log*`, or first lines that parse as a known log format, the file is an
/// access log; `PAR1` is Parquet; anything else must be UTF-8 delimited text.
pub fn sniff(source: &Source, log_format_given: bool) -> Result<FileKind, LoadError> {
    let head = source.head(SNIFF_BYTES)?;
    let path = || source.path().to_path_buf();
    if head.is_empty() {
        return Err(LoadError::Empty { path: path() });
    }
    if head.starts_with(&[0x1f, 0x8b]) {
        return Ok(FileKind::AccessLog { gzip: true });
    }
    if log_format_given
        || named_log(source.path())
        || access::looks_like_log(&head, head.len() == SNIFF_BYTES)
    {
        check_line_ends(&head, source.path())?;
        return Ok(FileKind::AccessLog { gzip: false });
    }
    if head.starts_with(b"PAR1") {
        return Ok(FileKind::Parquet);
    }
    if head.starts_with(&[0xff, 0xfe, 0, 0]) || head.starts_with(&[0, 0, 0xfe, 0xff]) {
        return Err(LoadError::NotText {
            path: path(),
            reason: "it is UTF-32 text; save it as UTF-8".into(),
        });
    }
    if head.starts_with(&[0xff, 0xfe]) || head.starts_with(&[0xfe, 0xff]) {
        return Err(LoadError::NotText {
            path: path(),
            reason: "it is UTF-16 text; save it as UTF-8".into(),
        });
    }
    if let Some(pos) = memchr::memchr(0, &head) {
        return Err(LoadError::NotText {
            path: path(),
            reason: format!("binary data: a NUL byte at offset {pos}"),
        });
    }
    if let Err(e) = std::str::from_utf8(&head) {
        // A multi-byte character cut by the sniff window is fine; anything else is not UTF-8.
        let cut_at_window = e.error_len().is_none() && head.len() == SNIFF_BYTES;
        if !cut_at_window {
            return Err(LoadError::NotText {
                path: path(),
                reason: format!("invalid UTF-8 at byte {}", e.valid_up_to()),
            });
        }
    }
    let bom_len = if head.starts_with(&[0xef, 0xbb, 0xbf]) {
        3
    } else {
        0
    };
    let body = &head[bom_len..];
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(LoadError::Empty { path: path() });
    }
    check_line_ends(body, source.path())?;
    let mut lines = body.split(|&b| b == b'\n').filter(|l| !is_blank(l));
    let first = lines.next().unwrap_or_default();
    let second = lines.next();
    let delimiter = pick_delimiter(first, second);
    let decimal_comma = delimiter == b';' && second.is_some_and(has_decimal_comma_numbers);
    Ok(FileKind::Csv {
        delimiter,
        bom_len,
        decimal_comma,
    })
}

/// True for a name that says access log: `*.log`, `*.log.*` (rotated) or `*access_log*`.
fn named_log(path: &std::path::Path) -> bool {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    ext.as_deref() == Some("log") || name.contains(".log.") || name.contains("access_log")
}

/// Refuses text whose lines end with a bare CR (classic Mac OS): no line feed in `head`, but a
/// carriage return with more text after it. Such a file would read as one long line.
pub fn check_line_ends(head: &[u8], path: &std::path::Path) -> Result<(), LoadError> {
    if memchr::memchr(b'\n', head).is_none()
        && memchr::memchr(b'\r', head.trim_ascii_end()).is_some()
    {
        return Err(LoadError::CrLineEnds {
            path: path.to_path_buf(),
        });
    }
    Ok(())
}

/// True for a line with nothing but white space.
pub fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|b| b.is_ascii_whitespace())
}

/// Candidate delimiters, most common first.
const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];

/// Picks the delimiter that occurs most in the header, preferring one that gives the second
/// line the same number of fields.
fn pick_delimiter(header: &[u8], second: Option<&[u8]>) -> u8 {
    let mut best = (b',', 0usize, false);
    for &d in &CANDIDATES {
        let n = count_outside_quotes(header, d);
        if n == 0 {
            continue;
        }
        let consistent = second.is_some_and(|s| count_outside_quotes(s, d) == n);
        let better = (consistent && !best.2) || (consistent == best.2 && n > best.1);
        if better {
            best = (d, n, consistent);
        }
    }
    best.0
}

/// Counts `delimiter` bytes that are not inside double quotes.
fn count_outside_quotes(line: &[u8], delimiter: u8) -> usize {
    let mut in_quotes = false;
    let mut n = 0;
    for &b in line {
        if b == b'"' {
            in_quotes = !in_quotes;
        } else if b == delimiter && !in_quotes {
            n += 1;
        }
    }
    n
}

/// True when a `;`-separated line has fields like `12,5` (numbers with a decimal comma).
fn has_decimal_comma_numbers(line: &[u8]) -> bool {
    line.split(|&b| b == b';').any(|field| {
        let f = field.trim_ascii();
        let mut parts = f.splitn(2, |&b| b == b',');
        match (parts.next(), parts.next()) {
            (Some(a), Some(b)) => {
                let a = a.strip_prefix(b"-").unwrap_or(a);
                !a.is_empty()
                    && !b.is_empty()
                    && a.iter().all(u8::is_ascii_digit)
                    && b.iter().all(u8::is_ascii_digit)
            }
            _ => false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters_are_sniffed() {
        assert_eq!(pick_delimiter(b"a,b,c", Some(b"1,2,3")), b',');
        assert_eq!(pick_delimiter(b"a;b;c", Some(b"1,5;2;3")), b';');
        assert_eq!(pick_delimiter(b"a\tb\tc", Some(b"1\t2\t3")), b'\t');
        assert_eq!(pick_delimiter(b"\"a,x\";b;c", Some(b"1;2;3")), b';');
        assert_eq!(pick_delimiter(b"value", Some(b"1")), b',');
    }

    #[test]
    fn cr_only_line_ends_are_named() {
        let p = std::path::Path::new("t.csv");
        assert!(matches!(
            check_line_ends(b"a,b\r1,2\r3,4\r", p),
            Err(LoadError::CrLineEnds { .. })
        ));
        for fine in [&b"a,b\r\n1,2\r\n"[..], b"a,b\n1,2", b"a,b\r", b"a,b\r \r"] {
            assert!(check_line_ends(fine, p).is_ok(), "{fine:?}");
        }
    }

    /// Sniffs `bytes` named `name`.
    fn kind(name: &str, bytes: &[u8], log_format_given: bool) -> Result<FileKind, LoadError> {
        let source = Source::Memory {
            name: name.into(),
            bytes: bytes.into(),
        };
        sniff(&source, log_format_given)
    }

    #[test]
    fn every_kind_is_decided_here() {
        let line =
            b"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 1 \"-\" \"UA\"\n";
        let table = b"time,hits\n2021-01-01,5\n";
        let gzip = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0];
        let plain_log = Some(FileKind::AccessLog { gzip: false });
        assert_eq!(kind("x.txt", line, false).ok(), plain_log);
        assert_eq!(kind("x.log", table, false).ok(), plain_log);
        assert_eq!(kind("x.log.1", table, false).ok(), plain_log);
        assert_eq!(kind("access_log", table, false).ok(), plain_log);
        assert_eq!(kind("x.csv", table, true).ok(), plain_log);
        assert_eq!(
            kind("x.csv", &gzip, false).ok(),
            Some(FileKind::AccessLog { gzip: true })
        );
        assert_eq!(
            kind("x.bin", b"PAR1\0\0", false).ok(),
            Some(FileKind::Parquet)
        );
        assert_eq!(
            kind("x.csv", table, false).ok(),
            Some(FileKind::Csv {
                delimiter: b',',
                bom_len: 0,
                decimal_comma: false
            })
        );
        assert!(matches!(
            kind("x.csv", b"a,b\0", false),
            Err(LoadError::NotText { .. })
        ));
        assert!(matches!(
            kind("x.log", b"a\rb\rc\r", false),
            Err(LoadError::CrLineEnds { .. })
        ));
    }

    #[test]
    fn decimal_comma_is_recognised() {
        assert!(has_decimal_comma_numbers(b"2021-01-01;12,5;3"));
        assert!(!has_decimal_comma_numbers(b"2021-01-01;12.5;3"));
    }
}
