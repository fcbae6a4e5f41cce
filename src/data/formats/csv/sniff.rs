//! Whether a file is delimited text that can be read, and how: which delimiter, is there a
//! BOM, do numbers use a decimal comma. Empty, binary, UTF-16/32 and bare-CR text is refused.

use std::path::Path;

use crate::data::formats::FileKind;
use crate::data::LoadError;

/// Decides how to read `head`, the first bytes of `file` (`cut`: the window ended
/// before the file did).
pub fn sniff(head: &[u8], cut: bool, file: &Path) -> Result<FileKind, LoadError> {
    let path = || file.to_path_buf();
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
    if let Some(pos) = memchr::memchr(0, head) {
        return Err(LoadError::NotText {
            path: path(),
            reason: format!("binary data: a NUL byte at offset {pos}"),
        });
    }
    if let Err(e) = std::str::from_utf8(head) {
        // A multi-byte character cut by the sniff window is fine; anything else is not UTF-8.
        let cut_at_window = e.error_len().is_none() && cut;
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
    check_line_ends(body, file)?;
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

/// Refuses text whose lines end with a bare CR (classic Mac OS): no line feed in `head`, but a
/// carriage return with more text after it. Such a file would read as one long line.
pub fn check_line_ends(head: &[u8], path: &Path) -> Result<(), LoadError> {
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

    #[test]
    fn decimal_comma_is_recognised() {
        assert!(has_decimal_comma_numbers(b"2021-01-01;12,5;3"));
        assert!(!has_decimal_comma_numbers(b"2021-01-01;12.5;3"));
    }
}
