//! Reading a flow-record CSV line by line (plain or gzip, through the access-log reader's
//! [`open`]): the first line is the header naming the columns, each later line a record.
//! Malformed lines are counted and the first few kept with their line numbers; they never stop
//! the read.

use std::time::Instant;

use super::{pair, push_all, FlowFormat, FlowRecord, Line};
use crate::control::Control;
use crate::data::formats::zeek::read::{read_lines, Next};
use crate::data::formats::zeek::ConnLog;
use crate::data::formats::{argus, nfdump};
use crate::data::{FileKind, LoadError, Source};

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
    let mut log = ConnLog::empty(path.clone(), FileKind::FlowRecords { gzip, format });
    log.fingerprint = source.fingerprint().ok();
    let mut columns: Option<Columns> = None;
    let mut records: Vec<FlowRecord> = Vec::new();
    let mut other = 0u64;
    read_lines(source, gzip, &mut log, control, |log, text| {
        if text.bytes().all(|b| b.is_ascii_whitespace()) {
            return Ok(Ok(Next::Read));
        }
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
            return Ok(Ok(Next::Read));
        };
        if format == FlowFormat::Nfdump && nfdump::is_summary(text) {
            // nfdump's summary block ends the records.
            return Ok(Ok(Next::Stop));
        }
        Ok(match cols.record(&fields) {
            Ok(Line::Record(mut r)) => {
                r.line = log.lines;
                records.push(r);
                Ok(Next::Read)
            }
            Ok(Line::Other) => {
                other += 1;
                Ok(Next::Read)
            }
            Err(reason) => Err(reason),
        })
    })?;
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
