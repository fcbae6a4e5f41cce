//! Terminal safety: text that carries data (cells, column names, paths, log lines) is escaped
//! before it reaches standard output or standard error, so that an attacker's user agent cannot
//! drive the analyst's terminal. Control characters (C0 except the line break our own text uses,
//! DEL, C1) become `\x1b`-style escapes, and the characters that reorder text (bidirectional
//! overrides, isolates and marks) become `\u{202e}`-style escapes. Exported files keep the
//! original bytes; only what is printed is escaped (an export sent to standard output is escaped
//! when standard output is a terminal, see [`TerminalWriter`], and kept as it is in a pipe).

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::Write;

/// True for a character that must not reach a terminal as it is.
fn is_unsafe(c: char) -> bool {
    match c {
        '\n' => false,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => true,
        // Bidirectional marks, embeddings, overrides and isolates.
        '\u{061c}'
        | '\u{200e}'
        | '\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}' => true,
        _ => false,
    }
}

/// The text with every unsafe character written as a visible escape: `\x1b` for C0 controls
/// and DEL, `\u{9b}` for C1 controls and `\u{202e}` for bidirectional controls. Line breaks are
/// kept. Text without such characters is returned as it is, so escaping twice changes nothing.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if !is_unsafe(c) {
            out.push(c);
        } else if u32::from(c) < 0x80 {
            let _ = write!(out, "\\x{:02x}", u32::from(c));
        } else {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
    }
    Cow::Owned(out)
}

/// JSON text with the characters that JSON allows raw but a terminal acts on (DEL, C1 and
/// bidirectional controls) written as `\u007f`-style JSON escapes: the same JSON value, safe to
/// print. C0 controls are already escaped by every JSON writer; they are escaped here too.
pub fn json(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c != '\n' && is_unsafe(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if c == '\n' || !is_unsafe(c) {
            out.push(c);
        } else {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        }
    }
    Cow::Owned(out)
}

/// Prints one line to standard error, escaped; errors writing it are ignored (there is nowhere
/// left to report them).
pub fn eprintln(args: std::fmt::Arguments<'_>) {
    let text = args.to_string();
    let mut line = escape(&text).into_owned();
    line.push('\n');
    let _ = std::io::stderr().write_all(line.as_bytes());
}

/// A writer that escapes what passes through it like [`escape`], for raw bytes (exported data
/// shown on a terminal): bytes that are not UTF-8 are written as `\xff`-style escapes too. A
/// character cut between two writes is held until its end arrives.
pub struct TerminalWriter<W: Write> {
    inner: W,
    /// The start of a character whose end has not arrived yet (at most 3 bytes).
    carry: Vec<u8>,
    /// How text is escaped: [`escape`], or [`json`] for JSON text.
    style: fn(&str) -> Cow<'_, str>,
}

impl<W: Write> TerminalWriter<W> {
    /// Wraps `inner`, escaping like [`escape`].
    pub fn new(inner: W) -> Self {
        TerminalWriter {
            inner,
            carry: Vec::new(),
            style: escape,
        }
    }

    /// Wraps `inner` for JSON text, escaping like [`json`] (the JSON value stays the same).
    pub fn json(inner: W) -> Self {
        TerminalWriter {
            inner,
            carry: Vec::new(),
            style: json,
        }
    }

    /// Escapes `bytes` (after the carried start of a character) into `out`; keeps an unfinished
    /// character at the end for the next write unless `last`.
    fn escape_into(&mut self, bytes: &[u8], last: bool, out: &mut String) {
        let mut data = std::mem::take(&mut self.carry);
        data.extend_from_slice(bytes);
        let mut rest = data.as_slice();
        while !rest.is_empty() {
            match std::str::from_utf8(rest) {
                Ok(text) => {
                    out.push_str(&(self.style)(text));
                    break;
                }
                Err(e) => {
                    let (good, bad) = rest.split_at(e.valid_up_to());
                    // Valid up to here by construction.
                    out.push_str(&(self.style)(std::str::from_utf8(good).unwrap_or_default()));
                    match e.error_len() {
                        None if !last => {
                            self.carry = bad.to_vec();
                            break;
                        }
                        None => {
                            for b in bad {
                                let _ = write!(out, "\\x{b:02x}");
                            }
                            break;
                        }
                        Some(n) => {
                            for b in &bad[..n] {
                                let _ = write!(out, "\\x{b:02x}");
                            }
                            rest = &bad[n..];
                        }
                    }
                }
            }
        }
    }
}

impl<W: Write> Write for TerminalWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut out = String::with_capacity(buf.len() + 16);
        self.escape_into(buf, false, &mut out);
        self.inner.write_all(out.as_bytes())?;
        Ok(buf.len())
    }

    /// Flushes, writing a cut character at the end as escapes.
    fn flush(&mut self) -> std::io::Result<()> {
        if !self.carry.is_empty() {
            let mut out = String::new();
            self.escape_into(&[], true, &mut out);
            self.inner.write_all(out.as_bytes())?;
        }
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_escaped_line_breaks_and_text_kept() {
        assert_eq!(escape("plain ä 中\nnext"), "plain ä 中\nnext");
        assert_eq!(
            escape("a\u{1b}]0;pwned\u{7}b\u{1b}[2J\0\t\r\u{7f}"),
            "a\\x1b]0;pwned\\x07b\\x1b[2J\\x00\\x09\\x0d\\x7f"
        );
        assert_eq!(escape("\u{9b}31m"), "\\u{9b}31m");
        assert_eq!(
            escape("abc\u{202e}txt.exe\u{2066}"),
            "abc\\u{202e}txt.exe\\u{2066}"
        );
        let once = escape("\u{1b}[1m\u{202e}").into_owned();
        assert_eq!(escape(&once), once, "escaping twice changes nothing");
    }

    #[test]
    fn json_stays_json() {
        let value = serde_json::json!({ "name": "a\u{1b}b\u{9b}c\u{202e}d\u{7f}" });
        let text = serde_json::to_string_pretty(&value).expect("json");
        let safe = json(&text);
        assert!(!safe.chars().any(|c| c != '\n' && is_unsafe(c)), "{safe}");
        let back: serde_json::Value = serde_json::from_str(&safe).expect("still JSON");
        assert_eq!(back, value, "the same value");
    }

    #[test]
    fn raw_bytes_are_escaped_even_when_cut_between_writes() {
        let data = "ok \u{1b}[2J \u{9b}1m \u{202e}é\n".as_bytes();
        let mut bytes = data.to_vec();
        bytes.extend_from_slice(b"bad \xff\xfe end\xe2\x80");
        for cut in 0..bytes.len() {
            let mut w = TerminalWriter::new(Vec::new());
            w.write_all(&bytes[..cut]).expect("write");
            w.write_all(&bytes[cut..]).expect("write");
            w.flush().expect("flush");
            assert_eq!(
                String::from_utf8(w.inner).expect("utf8"),
                "ok \\x1b[2J \\u{9b}1m \\u{202e}é\nbad \\xff\\xfe end\\xe2\\x80",
                "cut at {cut}"
            );
        }
    }
}
