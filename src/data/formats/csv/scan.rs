//! One streaming pass over delimited text: the header, where each data row starts, and a
//! check that every row has as many fields as the header (with the line number if not).

use std::io::Read;

use crate::control::Control;
use crate::data::{LoadError, Source};

/// The longest line accepted, header or data row (a row with quoted line breaks counts as one
/// line): 16 MiB, the same cap as the access-log reader's. A longer line is an error that names
/// it, so that one huge cell cannot take the reader's time and memory.
pub const LINE_LIMIT: u64 = 16 * 1024 * 1024;

/// The result of scanning: column names and the byte offset of every data row.
#[derive(Debug, Clone)]
pub struct RecordIndex {
    /// Column names from the header (BOM removed, empty names replaced).
    pub header: Vec<String>,
    /// Byte offset where each data row starts (blank lines are not rows).
    pub starts: Vec<u64>,
    /// Blank lines after the header, as positions among all lines after the header (blank
    /// or not); CSV engines that read blank lines as empty rows drop these afterwards.
    pub blank_rows: Vec<usize>,
}

/// Scans `source` (after a BOM of `bom_len` bytes) with the given delimiter.
pub fn scan(source: &Source, delimiter: u8, bom_len: usize) -> Result<RecordIndex, LoadError> {
    scan_with(source, delimiter, bom_len, Control::default())
}

/// [`scan`], checking `control`'s cancel flag and reporting the share of bytes scanned after
/// every block of [`SCAN_BLOCK`] bytes.
pub fn scan_with(
    source: &Source,
    delimiter: u8,
    bom_len: usize,
    control: Control<'_>,
) -> Result<RecordIndex, LoadError> {
    let path = source.path();
    let len = source.fingerprint()?.len.max(1);
    let mut reader = source.open()?;
    let mut scanner = Scanner::new(delimiter, bom_len as u64);
    let mut buf = vec![0u8; SCAN_BLOCK];
    loop {
        if control.cancelled() {
            return Err(LoadError::Cancelled);
        }
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(LoadError::io(path, e)),
        };
        scanner.feed(&buf[..n], path)?;
        control.report((scanner.pos as f64 / len as f64).min(1.0) as f32);
    }
    scanner.finish(path)
}

/// How many bytes the scan reads at a time (and between two checks of the cancel flag).
pub const SCAN_BLOCK: usize = 1 << 20;

/// State of the byte-level scan.
struct Scanner {
    delimiter: u8,
    /// Absolute offset of the next byte fed.
    pos: u64,
    /// Bytes of the BOM still to skip.
    skip: u64,
    in_quotes: bool,
    /// The next byte starts a field (the record's start, or after a delimiter).
    field_start: bool,
    /// The current field started with a quote: every quote in it opens or closes a quoted
    /// part. In a field that did not, a quote is an ordinary character.
    quoted_field: bool,
    /// Fields seen so far in the current record.
    fields: usize,
    /// Offset where the current record starts.
    record_start: u64,
    /// Whether the current record has any non-blank byte.
    record_nonblank: bool,
    /// Line number where the current record starts.
    record_line: u64,
    /// Current line number.
    line: u64,
    /// The header line's bytes, while it is being read.
    header_bytes: Option<Vec<u8>>,
    header: Vec<String>,
    starts: Vec<u64>,
    blank_rows: Vec<usize>,
}

impl Scanner {
    fn new(delimiter: u8, skip: u64) -> Self {
        Scanner {
            delimiter,
            pos: 0,
            skip,
            in_quotes: false,
            field_start: true,
            quoted_field: false,
            fields: 1,
            record_start: skip,
            record_nonblank: false,
            record_line: 1,
            line: 1,
            header_bytes: Some(Vec::new()),
            header: Vec::new(),
            starts: Vec::new(),
            blank_rows: Vec::new(),
        }
    }

    fn feed(&mut self, mut chunk: &[u8], path: &std::path::Path) -> Result<(), LoadError> {
        if self.skip > 0 {
            let k = (self.skip as usize).min(chunk.len());
            chunk = &chunk[k..];
            self.skip -= k as u64;
            self.pos += k as u64;
        }
        if self.header_bytes.is_none() && !self.in_quotes && memchr::memchr(b'"', chunk).is_none() {
            return self.feed_unquoted(chunk, path);
        }
        for &b in chunk {
            if let Some(h) = self.header_bytes.as_mut() {
                if b != b'\n' || self.in_quotes {
                    h.push(b);
                    if h.len() as u64 > LINE_LIMIT {
                        return Err(LoadError::LineTooLong {
                            path: path.to_path_buf(),
                            line: self.record_line,
                            bytes: h.len() as u64,
                            limit: LINE_LIMIT,
                        });
                    }
                }
            }
            // Quotes as polars' reader splits fields (the table is read with it): a quote opens
            // a quoted part only in a field that starts with one (`"a,b"`, `"a""b"`); in any
            // other field (`5" screen`) it is an ordinary character. Toggling on every quote
            // made the scan and the reader disagree on where fields end: a file the scan passed
            // then reached the reader with a lone `"` field, which it reads out of bounds.
            if self.in_quotes {
                if b == b'"' {
                    self.in_quotes = false;
                } else if b == b'\n' {
                    self.line += 1;
                }
            } else if b == b'"' && (self.field_start || self.quoted_field) {
                self.in_quotes = true;
                self.quoted_field = true;
                self.record_nonblank = true;
            } else if b == self.delimiter {
                self.fields += 1;
                self.record_nonblank = true;
            } else if b == b'\n' {
                self.check_length(self.pos, path)?;
                self.end_record(path)?;
                self.line += 1;
                self.record_start = self.pos + 1;
                self.record_line = self.line;
            } else if !b.is_ascii_whitespace() {
                self.record_nonblank = true;
            }
            let ends_field = !self.in_quotes && (b == self.delimiter || b == b'\n');
            self.field_start = ends_field;
            if ends_field {
                self.quoted_field = false;
            }
            self.pos += 1;
        }
        self.check_length(self.pos, path)
    }

    /// Refuses the current record when it runs (up to `end`) past [`LINE_LIMIT`]; checked at
    /// every line break and at the end of every chunk, so a long line is noticed within a chunk
    /// of the limit.
    fn check_length(&self, end: u64, path: &std::path::Path) -> Result<(), LoadError> {
        let bytes = end.saturating_sub(self.record_start);
        if bytes > LINE_LIMIT {
            return Err(LoadError::LineTooLong {
                path: path.to_path_buf(),
                line: self.record_line,
                bytes,
                limit: LINE_LIMIT,
            });
        }
        Ok(())
    }

    /// The fast path for a chunk without quotes: jump from line break to line break and count
    /// delimiters per line (both vectorised).
    fn feed_unquoted(&mut self, chunk: &[u8], path: &std::path::Path) -> Result<(), LoadError> {
        let base = self.pos;
        let delimiter = self.delimiter;
        let mut from = 0usize;
        let take = |this: &mut Self, seg: &[u8]| {
            this.fields += seg.iter().filter(|&&b| b == delimiter).count();
            if !this.record_nonblank && !seg.iter().all(u8::is_ascii_whitespace) {
                this.record_nonblank = true;
            }
        };
        for nl in memchr::memchr_iter(b'\n', chunk) {
            take(self, &chunk[from..nl]);
            self.check_length(base + nl as u64, path)?;
            self.end_record(path)?;
            self.line += 1;
            self.record_start = base + nl as u64 + 1;
            self.record_line = self.line;
            from = nl + 1;
        }
        take(self, &chunk[from..]);
        if let Some(&last) = chunk.last() {
            self.field_start = last == delimiter || last == b'\n';
            self.quoted_field = false;
        }
        self.pos = base + chunk.len() as u64;
        self.check_length(self.pos, path)
    }

    /// Closes the current record at a line break or the end of the file.
    fn end_record(&mut self, path: &std::path::Path) -> Result<(), LoadError> {
        let fields = self.fields;
        let nonblank = self.record_nonblank;
        self.fields = 1;
        self.record_nonblank = false;
        if let Some(bytes) = self.header_bytes.take() {
            if !nonblank {
                // Blank lines before the header are skipped.
                self.header_bytes = Some(Vec::new());
                return Ok(());
            }
            self.header = parse_header(&bytes, self.delimiter, path)?;
            return Ok(());
        }
        if !nonblank {
            self.blank_rows
                .push(self.starts.len() + self.blank_rows.len());
            return Ok(());
        }
        if fields != self.header.len() {
            return Err(LoadError::Ragged {
                path: path.to_path_buf(),
                line: self.record_line,
                expected: self.header.len(),
                found: fields,
            });
        }
        self.starts.push(self.record_start);
        Ok(())
    }

    fn finish(mut self, path: &std::path::Path) -> Result<RecordIndex, LoadError> {
        if self.in_quotes {
            return Err(LoadError::UnclosedQuote {
                path: path.to_path_buf(),
                line: self.record_line,
            });
        }
        if self.record_nonblank || self.header_bytes.as_ref().is_some_and(|h| !h.is_empty()) {
            self.end_record(path)?;
        }
        if self.header_bytes.is_some() {
            return Err(LoadError::Empty {
                path: path.to_path_buf(),
            });
        }
        if self.starts.is_empty() {
            return Err(LoadError::NoRows {
                path: path.to_path_buf(),
            });
        }
        Ok(RecordIndex {
            header: self.header,
            starts: self.starts,
            blank_rows: self.blank_rows,
        })
    }
}

/// Splits the header line into names with the csv crate (quotes handled), checking for
/// duplicates and naming empty columns `column N`.
pub fn parse_header(
    bytes: &[u8],
    delimiter: u8,
    path: &std::path::Path,
) -> Result<Vec<String>, LoadError> {
    let record = parse_record(bytes, delimiter).map_err(|message| LoadError::Csv {
        path: path.to_path_buf(),
        message: format!("line 1: {message}"),
    })?;
    let mut names: Vec<String> = Vec::with_capacity(record.len());
    let mut seen = std::collections::HashMap::with_capacity(record.len());
    for (i, raw) in record.into_iter().enumerate() {
        let trimmed = raw.trim();
        let name = if trimmed.is_empty() {
            format!("column {}", i + 1)
        } else {
            trimmed.to_string()
        };
        if let Some(&first) = seen.get(&name) {
            return Err(LoadError::DuplicateColumn {
                path: path.to_path_buf(),
                name,
                first,
                second: i + 1,
            });
        }
        seen.insert(name.clone(), i + 1);
        names.push(name);
    }
    Ok(names)
}

/// Parses one CSV record (a line without its line break) into its fields.
///
/// Records end at `\n` only, with one trailing `\r` removed: the scan and both readers split
/// rows the same way, so a bare `\r` inside a cell is part of the cell (the csv crate's default
/// would end the record there and the re-read row would not match the loaded one).
pub fn parse_record(bytes: &[u8], delimiter: u8) -> Result<Vec<String>, String> {
    let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(delimiter)
        .flexible(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_reader(bytes);
    let mut record = csv::StringRecord::new();
    match reader.read_record(&mut record) {
        Ok(true) => Ok(record.iter().map(str::to_string).collect()),
        Ok(false) => Ok(vec![String::new()]),
        Err(e) => Err(e.to_string()),
    }
}

/// The 1-based line number of byte `offset`, counted by reading the source again.
/// Used only to report errors, so its cost does not matter.
pub fn line_of_offset(source: &Source, offset: u64) -> u64 {
    let Ok(reader) = source.open() else { return 0 };
    let mut line = 1u64;
    let mut remaining = offset;
    let mut reader = reader.take(offset);
    let mut buf = vec![0u8; 1 << 16];
    while remaining > 0 {
        match reader.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                line += memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
                remaining -= n as u64;
            }
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn mem(text: &str) -> Source {
        Source::Memory {
            name: "t.csv".into(),
            bytes: Arc::from(text.as_bytes()),
        }
    }

    #[test]
    fn offsets_skip_blank_lines_and_handle_crlf_and_quotes() {
        let src = mem("a,b\r\n1,2\r\n\r\n\"x\ny\",3\r\n4,5");
        let idx = scan(&src, b',', 0).expect("scan");
        assert_eq!(idx.header, vec!["a", "b"]);
        assert_eq!(idx.starts.len(), 3);
        assert_eq!(idx.starts[0], 5);
        assert_eq!(line_of_offset(&src, idx.starts[2]), 6);
    }

    #[test]
    fn ragged_row_names_its_line() {
        let src = mem("a,b,c\n1,2,3\n4,5\n");
        match scan(&src, b',', 0) {
            Err(LoadError::Ragged {
                line,
                expected,
                found,
                ..
            }) => assert_eq!((line, expected, found), (3, 3, 2)),
            other => panic!("expected ragged, got {other:?}"),
        }
    }

    #[test]
    fn fast_path_across_chunks_agrees_with_line_numbers() {
        let mut text = String::from("t,a,b\n");
        for i in 0..200_000 {
            text.push_str(&format!("{i},1.5,2.25\n"));
            if i == 150_000 {
                text.push_str("\n  \r\n");
            }
        }
        let good = scan(&mem(&text), b',', 0).expect("scan");
        assert_eq!(good.starts.len(), 200_000);
        assert_eq!(good.blank_rows, vec![150_001, 150_002]);
        let offset = good.starts[199_999];
        assert_eq!(
            &text.as_bytes()[offset as usize..offset as usize + 7],
            b"199999,"
        );
        text.push_str("oops,1\n");
        match scan(&mem(&text), b',', 0) {
            Err(LoadError::Ragged { line, found, .. }) => assert_eq!((line, found), (200_004, 2)),
            other => panic!("expected ragged, got {other:?}"),
        }
    }

    #[test]
    fn a_bare_cr_inside_a_cell_is_part_of_the_cell() {
        assert_eq!(
            parse_record(b"1,a\rb,\rc\r", b','),
            Ok(vec!["1".to_string(), "a\rb".into(), "\rc".into()])
        );
        assert_eq!(
            parse_record(b"\"x\ry\",z", b','),
            Ok(vec!["x\ry".to_string(), "z".into()])
        );
    }

    #[test]
    fn header_only_and_unclosed_quote() {
        assert!(matches!(
            scan(&mem("a,b\n"), b',', 0),
            Err(LoadError::NoRows { .. })
        ));
        assert!(matches!(
            scan(&mem("a,b\n1,\"2\n"), b',', 0),
            Err(LoadError::UnclosedQuote { line: 2, .. })
        ));
        assert!(matches!(
            scan(&mem("a,a\n1,2\n"), b',', 0),
            Err(LoadError::DuplicateColumn { .. })
        ));
    }

    #[test]
    fn a_quote_opens_a_quoted_part_only_in_a_field_that_starts_with_one() {
        // A quote inside an unquoted field is a character: two rows of two fields.
        let index = scan(&mem("a,b\n5\" screen,2\nx,\"y,\"\"z\"\n"), b',', 0).expect("scan");
        assert_eq!(index.starts.len(), 2);
        // Found by the load property test (`tests/properties.rs`): the scan toggled on the quote
        // in `c"`, took the last line's `"` as its closing quote and passed the file; polars'
        // reader then read the lone `"` field out of bounds (a debug build aborts there). Now
        // the last line's quote is the unclosed one, and the whole load says so.
        let crash = ",\"\"\n\"\",c\"\n\"";
        assert!(matches!(
            scan(&mem(crash), b',', 0),
            Err(LoadError::UnclosedQuote { line: 3, .. })
        ));
        let loaded = crate::data::load_bytes(
            "data.csv",
            std::sync::Arc::from(crash.as_bytes()),
            &crate::data::LoadOptions::default(),
        );
        assert!(matches!(
            loaded,
            Err(LoadError::UnclosedQuote { line: 3, .. })
        ));
    }
}
