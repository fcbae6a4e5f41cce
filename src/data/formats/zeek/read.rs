//! Reading a Zeek connection log line by line (plain or gzip, through the access-log reader's
//! [`open`]): header lines set the separator, the unset and empty markers and the field
//! positions; data lines become connections. Malformed lines are counted and the first few kept
//! with their line numbers; they never stop the read.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use super::record::{from_json, from_tsv, Columns, Markers, Record};
use super::{is_failed, ConnLog, Writer};
use crate::control::Control;
use crate::data::access::read::{gzip_or_io, open, MAX_LINE, SAMPLES};
use crate::data::access::Malformed;
use crate::data::{FileKind, LoadError, Source};

/// Characters of a malformed line kept in its sample.
const SAMPLE_CHARS: usize = 160;

/// The separator a `#separator` line names (Zeek writes it as an escape: `\x09`).
pub(crate) fn separator(line: &str) -> Option<char> {
    let value = line.strip_prefix("#separator")?.trim_start_matches(' ');
    match value.strip_prefix("\\x") {
        Some(hex) => u8::from_str_radix(hex.trim_end(), 16).ok().map(char::from),
        None => value.chars().next(),
    }
}

/// Fields of a tab-separated line split without an allocation.
const STACK_FIELDS: usize = 48;

/// Addresses to their numbers, with the hash the access-log reader uses (SipHash was a tenth of
/// the read).
type Ids = HashMap<String, u32, foldhash::fast::FixedState>;

/// The header state of a tab-separated log.
struct TsvHeader {
    separator: char,
    markers: Markers,
    columns: Option<Columns>,
}

/// Reads a whole connection log written by `writer`.
pub fn read_conn_log(
    source: &Source,
    gzip: bool,
    writer: Writer,
    control: Control<'_>,
) -> Result<ConnLog, LoadError> {
    let started = Instant::now();
    let path = source.path().to_path_buf();
    let mut log = ConnLog::empty(path, FileKind::ZeekConn { gzip, writer });
    log.fingerprint = source.fingerprint().ok();
    let mut ids: Ids = HashMap::with_hasher(crate::data::access::read::hasher());
    let columns = read_records(source, gzip, writer, &mut log, control, |log, _, record| {
        if let Some(record) = record {
            push(log, &mut ids, record);
        }
        Ok(())
    })?;
    if let Some(cols) = &columns {
        log.other_fields.clone_from(&cols.other);
    }
    log.parse_time = started.elapsed();
    Ok(log)
}

/// Reads the lines of a connection log written by `writer`, counting them (and the malformed
/// ones, with samples) in `log`, and passes every header line (`None`) and every connection
/// (`Some`) to `each` with the line's text; returns the field positions of the last `#fields`
/// line. The reader of the log and the export of its lines share it, so both see the same
/// connections.
pub(crate) fn read_records(
    source: &Source,
    gzip: bool,
    writer: Writer,
    log: &mut ConnLog,
    control: Control<'_>,
    mut each: impl FnMut(&mut ConnLog, &str, Option<&Record<'_>>) -> Result<(), LoadError>,
) -> Result<Option<Columns>, LoadError> {
    let path = source.path().to_path_buf();
    let mut header = TsvHeader {
        separator: '\t',
        markers: Markers::default(),
        columns: None,
    };
    read_lines(source, gzip, log, control, |log, text| {
        let line = match writer {
            Writer::Tsv => match tsv_line(text, &mut header, &path, log.lines)? {
                Ok(record) => each(log, text, record.as_ref()).map(Ok)?,
                Err(reason) => Err(reason),
            },
            Writer::Json => match json_object(text) {
                Ok(object) => match from_json(&object) {
                    Ok(record) => each(log, text, Some(&record)).map(Ok)?,
                    Err(reason) => Err(reason),
                },
                Err(reason) => Err(reason),
            },
        };
        Ok(line.map(|()| Next::Read))
    })?;
    Ok(header.columns)
}

/// A connection log read one line at a time as it grows (`trafficlens watch`): the header
/// lines of each file (a rotated log starts again with them, perhaps with other fields) set the
/// separator, markers and field positions, and each data line becomes a connection, through the
/// same parsing as [`read_conn_log`].
pub struct ConnLines {
    writer: Writer,
    header: TsvHeader,
    /// The source's name, for messages.
    name: std::path::PathBuf,
}

impl ConnLines {
    /// A reader of lines written by `writer`, of the source called `name`.
    pub fn new(writer: Writer, name: &str) -> ConnLines {
        ConnLines {
            writer,
            header: TsvHeader {
                separator: '\t',
                markers: Markers::default(),
                columns: None,
            },
            name: name.into(),
        }
    }

    /// Whether the field positions are known (a tab-separated log followed from its end needs
    /// the header lines of its start first: see [`ConnLines::header_from`]).
    pub fn has_header(&self) -> bool {
        self.writer == Writer::Json || self.header.columns.is_some()
    }

    /// Takes the header lines at the start of `head` (the first bytes of the file).
    pub fn header_from(&mut self, head: &str) {
        for line in head.lines().take_while(|l| l.starts_with('#')) {
            // A header line never gives a connection or an error worth more than skipping.
            let _ = self.line(line, |_| {});
        }
    }

    /// Reads one line (without its line break): a header line changes the state and gives
    /// `Ok(false)`; a connection is passed to `each` and gives `Ok(true)`; `Err` says what is
    /// wrong with the line.
    pub fn line(&mut self, text: &str, each: impl FnOnce(&Record<'_>)) -> Result<bool, String> {
        match self.writer {
            Writer::Tsv => match tsv_line(text, &mut self.header, &self.name, 0) {
                Ok(Ok(Some(record))) => {
                    each(&record);
                    Ok(true)
                }
                Ok(Ok(None)) => Ok(false),
                Ok(Err(reason)) => Err(reason),
                Err(e) => Err(e.to_string()),
            },
            Writer::Json => {
                let object = json_object(text)?;
                let record = from_json(&object)?;
                each(&record);
                Ok(true)
            }
        }
    }
}

/// What a line reader's callback wants next.
pub(crate) enum Next {
    /// The next line.
    Read,
    /// No more lines (what follows is not records, such as nfdump's summary).
    Stop,
}

/// Reads the lines of `source` (gzip-compressed when `gzip`) into `log`, as the conn.log and
/// flow-record readers share it: counts the lines (`log.lines`, the line numbers of the
/// samples), reports progress and stops when cancelled, skips and reports over-long lines and
/// lines that are not UTF-8, passes every other non-empty line (without its line break) to
/// `each`, counts the lines `each` says are malformed (`Ok(Err(reason))`), and says so when the
/// last one had no line break. An error of `each` stops the read.
pub(crate) fn read_lines(
    source: &Source,
    gzip: bool,
    log: &mut ConnLog,
    control: Control<'_>,
    mut each: impl FnMut(&mut ConnLog, &str) -> Result<Result<Next, String>, LoadError>,
) -> Result<(), LoadError> {
    let path = source.path().to_path_buf();
    let total = source.fingerprint()?.len.max(1) as f64;
    let counter = Arc::new(AtomicU64::new(0));
    let mut reader = BufReader::with_capacity(1 << 20, open(source, gzip, Arc::clone(&counter))?);
    let mut line: Vec<u8> = Vec::new();
    let mut last_had_break = true;
    loop {
        line.clear();
        let n = (&mut reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut line)
            .map_err(|e| gzip_or_io(&path, gzip, e))?;
        if n == 0 {
            break;
        }
        log.lines += 1;
        if log.lines.is_multiple_of(1 << 16) {
            if control.cancelled() {
                return Err(LoadError::Cancelled);
            }
            control.report((counter.load(Ordering::Relaxed) as f64 / total).min(1.0) as f32);
        }
        last_had_break = line.ends_with(b"\n");
        if !last_had_break && line.len() > MAX_LINE {
            skip_rest_of_line(&mut reader).map_err(|e| gzip_or_io(&path, gzip, e))?;
            malformed(log, "longer than 16 MB".into(), b"");
            continue;
        }
        let text = trim_end(&line);
        if text.is_empty() {
            continue;
        }
        let Ok(text) = std::str::from_utf8(text) else {
            malformed(log, "not UTF-8 text".into(), text);
            continue;
        };
        match each(log, text)? {
            Ok(Next::Read) => {}
            Ok(Next::Stop) => break,
            Err(reason) => malformed(log, reason, text.as_bytes()),
        }
    }
    if !last_had_break {
        if let Some(last) = log.samples.last_mut() {
            if last.line == log.lines {
                last.reason
                    .push_str("; the last line has no line break, so the file may be cut short");
            }
        }
    }
    Ok(())
}

/// One line of a tab-separated log: a header line (`Ok(None)`), a connection, or what is wrong.
/// A `#fields` line without the connection fields stops the read.
fn tsv_line<'a>(
    text: &'a str,
    header: &mut TsvHeader,
    path: &std::path::Path,
    line: u64,
) -> Result<Result<Option<Record<'a>>, String>, LoadError> {
    if let Some(rest) = text.strip_prefix('#') {
        if text.starts_with("#separator") {
            if let Some(sep) = separator(text) {
                header.separator = sep;
            }
            return Ok(Ok(None));
        }
        let mut parts = rest.split(header.separator);
        match parts.next() {
            Some("fields") => {
                let names: Vec<&str> = parts.collect();
                let columns = Columns::new(&names).map_err(|missing| LoadError::ZeekFields {
                    path: path.to_path_buf(),
                    line,
                    missing: missing.join(", "),
                })?;
                header.columns = Some(columns);
            }
            Some("unset_field") => {
                header.markers.unset = parts.next().unwrap_or("-").to_string();
            }
            Some("empty_field") => {
                header.markers.empty = parts.next().unwrap_or("(empty)").to_string();
            }
            _ => {}
        }
        return Ok(Ok(None));
    }
    let Some(columns) = &header.columns else {
        return Ok(Err("a data line before the #fields header line".into()));
    };
    // The fields on the stack: a conn.log line has about 22; a Vec per line was a tenth of the
    // read's time in allocations. Longer lines (many extra columns) go to the heap.
    let mut stack = [""; STACK_FIELDS];
    let mut parts = fields_of(text, header.separator);
    let mut n = 0;
    for (slot, field) in stack.iter_mut().zip(&mut parts) {
        *slot = field;
        n += 1;
    }
    let heap: Vec<&str>;
    let fields: &[&str] = match parts.next() {
        None => &stack[..n],
        Some(next) => {
            heap = stack.iter().copied().chain([next]).chain(parts).collect();
            &heap
        }
    };
    Ok(from_tsv(fields, columns, &header.markers).map(Some))
}

/// The fields of a line split at `separator`: at a byte with `memchr` when the separator is
/// ASCII (Zeek's tab), which `str::split` on a char does by a search and a compare per field.
fn fields_of(text: &str, separator: char) -> Box<dyn Iterator<Item = &str> + '_> {
    let byte = match u8::try_from(separator) {
        Ok(byte) if byte.is_ascii() => byte,
        _ => return Box::new(text.split(separator)),
    };
    let ends = memchr::memchr_iter(byte, text.as_bytes()).chain([text.len()]);
    let mut start = 0;
    // An ASCII byte never sits inside a UTF-8 sequence, so every cut is at a char boundary.
    Box::new(ends.map(move |end| {
        let field = &text[start..end];
        start = end + 1;
        field
    }))
}

/// One JSON line as an object, or what is wrong.
fn json_object(text: &str) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    serde_json::from_str(text).map_err(|e| format!("not a JSON object ({e})"))
}

/// Appends one connection.
fn push(log: &mut ConnLog, ids: &mut Ids, r: &Record<'_>) {
    let mut id = |address: &str| match ids.get(address) {
        Some(&i) => i,
        None => {
            let i = log.addresses.len() as u32;
            log.addresses.push(address.to_string());
            ids.insert(address.to_string(), i);
            i
        }
    };
    let (orig, resp) = (id(r.orig), id(r.resp));
    log.orig.push(orig);
    log.resp.push(resp);
    log.ts.push(r.ts);
    log.resp_port.push(r.resp_port);
    log.duration.push(r.duration);
    log.orig_bytes.push(r.orig_bytes);
    log.resp_bytes.push(r.resp_bytes);
    log.failed.push(is_failed(r.state));
}

/// Counts a malformed line and keeps it as a sample while there are few.
fn malformed(log: &mut ConnLog, reason: String, text: &[u8]) {
    log.malformed += 1;
    if log.samples.len() < SAMPLES {
        let text: String = String::from_utf8_lossy(text)
            .chars()
            .take(SAMPLE_CHARS)
            .map(|c| if c == '\t' { ' ' } else { c })
            .collect();
        log.samples.push(Malformed {
            line: log.lines,
            reason,
            text,
        });
    }
}

/// The line without its line break.
fn trim_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Drops the rest of an over-long line.
pub(crate) fn skip_rest_of_line(reader: &mut impl BufRead) -> std::io::Result<()> {
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(());
        }
        match memchr::memchr(b'\n', buf) {
            Some(i) => {
                reader.consume(i + 1);
                return Ok(());
            }
            None => {
                let n = buf.len();
                reader.consume(n);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_split_as_str_split_does_for_any_separator() {
        for (text, sep) in [
            ("a\tb\t\t-\t(empty)\t", '\t'),
            ("", '\t'),
            ("\t", '\t'),
            ("é,ü,,x", ','),
            ("1§2§§3", '§'),
        ] {
            let want: Vec<&str> = text.split(sep).collect();
            assert_eq!(fields_of(text, sep).collect::<Vec<_>>(), want, "{text:?}");
        }
    }

    #[test]
    fn a_line_with_more_fields_than_the_stack_holds_is_read() {
        let extra: Vec<String> = (0..60).map(|i| format!("x{i}")).collect();
        let names = format!(
            "ts\tid.orig_h\tid.resp_h\tid.resp_p\tconn_state\t{}",
            extra.join("\t")
        );
        let text = format!(
            "#separator \\x09\n#fields\t{names}\n1.5\t10.0.0.1\t10.0.0.2\t80\tS0\t{}\n",
            extra.join("\t")
        );
        let log = read(&text, Writer::Tsv).expect("read");
        assert_eq!((log.connections(), log.malformed), (1, 0));
        assert_eq!(log.other_fields.len(), 60);
    }

    fn read(text: &str, writer: Writer) -> Result<ConnLog, LoadError> {
        let source = Source::Memory {
            name: "conn.log".into(),
            bytes: text.as_bytes().into(),
        };
        read_conn_log(&source, false, writer, Control::default())
    }

    const HEAD: &str = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n#open\t2026-01-01-00-00-00\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\ttunnel_parents\tlabel\n#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tset[string]\tstring\n";

    #[test]
    fn tsv_markers_close_and_bad_lines() {
        let text = format!(
            "{HEAD}1.0\tC1\t10.0.0.1\t5000\t10.0.0.2\t80\ttcp\thttp\t0.5\t100\t2000\tSF\t(empty)\tbenign\n\
             2.0\tC2\t10.0.0.1\t5001\t10.0.0.3\t22\ttcp\t-\t-\t-\t-\tS0\t(empty)\tMalicious\n\
             3.0\tC3\t10.0.0.1\t5002\n\
             4.0\tC4\t10.0.0.1\t5003\t10.0.0.3\t22\ttcp\t-\tx1\t0\t0\tREJ\t(empty)\t-\n\
             #close\t2026-01-01-01-00-00\n"
        );
        let log = read(&text, Writer::Tsv).expect("reads");
        assert_eq!(log.connections(), 2);
        assert_eq!(log.addresses, vec!["10.0.0.1", "10.0.0.2", "10.0.0.3"]);
        assert_eq!(log.resp_bytes, vec![2000, 0]);
        assert!(log.duration[1].is_nan());
        assert_eq!(log.failed, vec![false, true]);
        assert!(log.other_fields.contains(&"label".to_string()));
        assert_eq!(log.malformed, 2);
        assert_eq!(log.samples[0].line, 11);
        assert!(log.samples[0].reason.starts_with("4 fields where"));
        assert_eq!(log.samples[1].line, 12);
        assert_eq!(
            log.samples[1].reason,
            "`duration` is not a number of seconds: `x1`"
        );
    }

    #[test]
    fn tsv_without_connection_fields_is_an_error_with_its_line() {
        let text = "#separator \\x09\n#fields\tts\tquery\n1.0\tx\n";
        match read(text, Writer::Tsv) {
            Err(LoadError::ZeekFields { line, missing, .. }) => {
                assert_eq!(line, 2);
                assert_eq!(missing, "id.orig_h, id.resp_h, id.resp_p, conn_state");
            }
            other => panic!("expected ZeekFields, got {other:?}"),
        }
    }

    #[test]
    fn json_lines_with_a_cut_last_line() {
        let text = "{\"ts\":1.0,\"id.orig_h\":\"a\",\"id.resp_h\":\"b\",\"id.resp_p\":443,\"conn_state\":\"RSTO\",\"label\":\"x\"}\n\n{\"ts\":2.0,\"id.orig_h\":\"a\",\"id.re";
        let log = read(text, Writer::Json).expect("reads");
        assert_eq!(log.connections(), 1);
        assert_eq!(log.failed, vec![true]);
        assert_eq!(log.malformed, 1);
        assert_eq!(log.samples[0].line, 3);
        assert!(log.samples[0].reason.ends_with("may be cut short"));
    }
}
