//! Reading a flow-record CSV line by line (plain or gzip, through the access-log reader's
//! [`open`]): the first line is the header naming the columns, each later line a record.
//! Malformed lines are counted and the first few kept with their line numbers; they never stop
//! the read.

use std::io::{BufRead, BufReader, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use super::{pair, push_all, FlowFormat, FlowRecord, Line};
use crate::control::Control;
use crate::data::access::read::{gzip_or_io, open, MAX_LINE, SAMPLES};
use crate::data::access::Malformed;
use crate::data::formats::zeek::read::skip_rest_of_line;
use crate::data::formats::zeek::ConnLog;
use crate::data::formats::{argus, nfdump};
use crate::data::{FileKind, LoadError, Source};

/// Characters of a malformed line kept in its sample.
const SAMPLE_CHARS: usize = 160;

/// What reading flow records gave: the connections, and what else the reader has to say.
#[derive(Debug)]
pub struct FlowRead {
    /// The connections, as a connection log.
    pub log: ConnLog,
    /// Records that were not IP connections and other remarks, in words.
    pub notes: Vec<String>,
}

/// The columns of either format.
enum Columns {
    /// nfdump's.
    Nfdump(nfdump::Columns),
    /// Argus's.
    Argus(argus::Columns),
}

impl Columns {
    /// One data line's fields as a record.
    fn record(&self, fields: &[&str]) -> Result<Line, String> {
        match self {
            Columns::Nfdump(c) => c.record(fields),
            Columns::Argus(c) => c.record(fields),
        }
    }
}

/// Reads all flow records of `source` (gzip-compressed when `gzip`) written by `format`.
pub fn read_flow_records(
    source: &Source,
    gzip: bool,
    format: FlowFormat,
    control: Control<'_>,
) -> Result<FlowRead, LoadError> {
    let started = Instant::now();
    let path = source.path().to_path_buf();
    let total = source.fingerprint()?.len.max(1) as f64;
    let counter = Arc::new(AtomicU64::new(0));
    let mut reader = BufReader::with_capacity(1 << 20, open(source, gzip, Arc::clone(&counter))?);
    let mut log = ConnLog::empty(path.clone(), FileKind::FlowRecords { gzip, format });
    let mut columns: Option<Columns> = None;
    let mut records: Vec<FlowRecord> = Vec::new();
    let mut other = 0u64;
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
            malformed(&mut log, "longer than 16 MB".into(), b"");
            continue;
        }
        let text = trim_end(&line);
        if text.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let Ok(text) = std::str::from_utf8(text) else {
            malformed(&mut log, "not UTF-8 text".into(), text);
            continue;
        };
        let fields: Vec<&str> = text.split(',').collect();
        let Some(cols) = &columns else {
            let header = match format {
                FlowFormat::Nfdump => {
                    nfdump::Columns::new(&fields).map(|(c, n)| (Columns::Nfdump(c), n))
                }
                FlowFormat::Argus => {
                    argus::Columns::new(&fields).map(|(c, n)| (Columns::Argus(c), n))
                }
            };
            let (cols, names) = header.map_err(|missing| LoadError::FlowHeader {
                path: path.clone(),
                line: log.lines,
                format: format.name(),
                missing: missing.join(", "),
            })?;
            log.other_fields = names;
            columns = Some(cols);
            continue;
        };
        if format == FlowFormat::Nfdump && nfdump::is_summary(text) {
            // nfdump's summary block ends the records.
            break;
        }
        match cols.record(&fields) {
            Ok(Line::Record(r)) => records.push(r),
            Ok(Line::Other) => other += 1,
            Err(reason) => malformed(&mut log, reason, text.as_bytes()),
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
    let one_way = records.iter().filter(|r| r.dst_bytes.is_none()).count();
    let connections = pair::connections(records);
    push_all(&mut log, &connections);
    let mut notes = Vec::new();
    if other > 0 {
        notes.push(format!(
            "{other} records that are not TCP, UDP or ICMP connections (such as ARP or the \
             reader's management records) left out"
        ));
    }
    if one_way > 0 {
        notes.push(format!(
            "{one_way} one-way records (one per direction) joined into connections: {} in all",
            connections.len()
        ));
    }
    log.parse_time = started.elapsed();
    Ok(FlowRead { log, notes })
}

/// Counts a malformed line and keeps it as a sample while there are few.
fn malformed(log: &mut ConnLog, reason: String, text: &[u8]) {
    log.malformed += 1;
    if log.samples.len() < SAMPLES {
        let text: String = String::from_utf8_lossy(text)
            .chars()
            .take(SAMPLE_CHARS)
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
