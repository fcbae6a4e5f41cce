//! Terminal safety: text that carries data (cells, column names, paths, log lines) is escaped
//! before it reaches standard output or standard error, so that an attacker's user agent cannot
//! drive the analyst's terminal. Control characters (C0 except the line break our own text uses,
//! DEL, C1) become `\x1b`-style escapes, and the characters that reorder text (bidirectional
//! overrides, isolates and marks) become `\u{202e}`-style escapes. Exported files keep the
//! original bytes; only what is printed is escaped.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::Write as _;

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
}
