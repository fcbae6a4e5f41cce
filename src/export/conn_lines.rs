//! Writing the records of flagged hosts (or of flagged time buckets) of a Zeek conn.log exactly
//! as they are in the input: the log is read again (plain or gzip) by the reader's own line
//! parser, so a line is exported when, and only when, the reader made the connection it names;
//! the header lines (`#separator`, `#fields`, `#types`, ...) are copied as they come, so the
//! output is a conn.log Zeek's tools and TrafficLens read back.

use std::collections::HashSet;
use std::io::Write;
use std::sync::Arc;

use super::{ExportError, LinesWritten, TableError, Target};
use crate::control::Control;
use crate::data::formats::zeek::read::{read_lines, read_records, Next};
use crate::data::formats::zeek::{ConnLog, HostSide};
use crate::data::{Dataset, FileKind, LoadError, Source};

/// Which connections' lines to copy.
#[derive(Debug, Clone, PartialEq)]
pub enum ConnFilter {
    /// The connections of these hosts (indices into the log's addresses), as `side` counts them:
    /// the ones they opened (`Source`) or the ones made to them (`Destination`).
    Hosts {
        /// Which end of a connection is the host.
        side: HostSide,
        /// The hosts.
        hosts: Vec<u32>,
    },
    /// The connections starting in one of these `[start, end)` ranges (epoch ms).
    Times(Vec<(i64, i64)>),
}

impl ConnFilter {
    /// The connections behind some rows of a view of a connection log (the rows' hosts, or the
    /// rows' time buckets), with the log; `None` when the table is not a view of a conn.log read
    /// from a file.
    pub fn for_rows(ds: &Dataset, rows: &[usize]) -> Option<(Arc<ConnLog>, ConnFilter)> {
        let table = ds.network.as_ref()?;
        let log = Arc::clone(table.conn.as_ref()?);
        let filter = match (table.bucket, &ds.time) {
            (Some(bucket), Some(t)) => ConnFilter::Times(
                rows.iter()
                    .map(|&r| (t.millis[r], t.millis[r] + bucket.seconds * 1000))
                    .collect(),
            ),
            _ => ConnFilter::Hosts {
                side: table.side,
                hosts: rows
                    .iter()
                    .filter_map(|&r| table.host_of_row.get(r).copied())
                    .collect(),
            },
        };
        Some((log, filter))
    }

    /// The connections of `log` it picks, in order.
    pub fn connections(&self, log: &ConnLog) -> Vec<usize> {
        match self {
            ConnFilter::Hosts { side, hosts } => {
                let hosts: HashSet<u32> = hosts.iter().copied().collect();
                let ends = match side {
                    HostSide::Source => &log.orig,
                    HostSide::Destination => &log.resp,
                };
                (0..ends.len())
                    .filter(|&i| hosts.contains(&ends[i]))
                    .collect()
            }
            ConnFilter::Times(ranges) => {
                let mut ranges = ranges.clone();
                ranges.sort_unstable();
                (0..log.ts.len())
                    .filter(|&i| in_ranges(&ranges, log.ts[i]))
                    .collect()
            }
        }
    }
}

/// Whether a connection starting at `ts` (seconds) falls in one of the sorted `[start, end)`
/// ranges (epoch ms), by its start in milliseconds, as the traffic view counts it.
fn in_ranges(ranges: &[(i64, i64)], ts: f64) -> bool {
    let ms = (ts * 1000.0).floor() as i64;
    let i = ranges.partition_point(|r| r.0 <= ms);
    i > 0 && ms < ranges[i - 1].1
}

/// Copies the header lines and the lines of the connections `filter` picks of the conn.log
/// `log` was read from to `target`; returns how many connection lines were written. Only a Zeek
/// conn.log (either writer, plain or gzip) can be exported this way: a capture's or flow
/// records' connections are not lines of their file, and the error says so.
pub fn write_conn_lines_to(
    target: &Target,
    log: &ConnLog,
    filter: &ConnFilter,
) -> Result<LinesWritten, TableError> {
    let FileKind::ZeekConn { gzip, writer } = log.kind else {
        return Err(TableError::NotLines {
            path: log.path.clone(),
            what: match log.kind {
                FileKind::Capture { .. } => "packets (export them with write_capture_packets_to)",
                _ => "flow records",
            },
        });
    };
    let source = unchanged(log)?;
    let wanted_hosts: HashSet<&str> = match filter {
        ConnFilter::Hosts { hosts, .. } => hosts
            .iter()
            .filter_map(|&h| log.addresses.get(h as usize))
            .map(String::as_str)
            .collect(),
        ConnFilter::Times(_) => HashSet::new(),
    };
    let mut ranges = match filter {
        ConnFilter::Times(r) => r.clone(),
        ConnFilter::Hosts { .. } => Vec::new(),
    };
    ranges.sort_unstable();
    let wanted = |orig: &str, resp: &str, ts: f64| match filter {
        ConnFilter::Hosts {
            side: HostSide::Source,
            ..
        } => wanted_hosts.contains(orig),
        ConnFilter::Hosts {
            side: HostSide::Destination,
            ..
        } => wanted_hosts.contains(resp),
        ConnFilter::Times(_) => in_ranges(&ranges, ts),
    };
    let mut count = LinesWritten::default();
    copy_into(target, |out, failed| {
        let mut scratch = ConnLog::empty(log.path.clone(), log.kind);
        read_records(
            &source,
            gzip,
            writer,
            &mut scratch,
            Control::default(),
            |_, text, record| {
                let keep = match record {
                    None => true,
                    Some(r) => wanted(r.orig, r.resp, r.ts),
                };
                if keep {
                    line_to(out, text, failed)?;
                    count.written += u64::from(record.is_some());
                }
                Ok(())
            },
        )
        .map(|_| ())
    })?;
    Ok(count)
}

/// What an export of the flagged hosts' records wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordsWritten {
    /// Records copied.
    pub written: u64,
    /// What they are: "connection lines" (a conn.log) or "packets" (a capture).
    pub unit: &'static str,
    /// Anything left out, in words.
    pub note: Option<String>,
}

/// Copies the records of the connections `filter` picks of the file `log` was read from: a
/// conn.log's header and lines ([`write_conn_lines_to`]), or a capture's packets as a pcap file
/// ([`super::capture_packets::write_capture_packets_to`]); flow records are refused.
pub fn write_host_records_to(
    target: &Target,
    log: &ConnLog,
    filter: &ConnFilter,
) -> Result<RecordsWritten, TableError> {
    match log.kind {
        FileKind::FlowRecords { .. } => {
            let n = write_flow_lines_to(target, log, filter)?;
            Ok(RecordsWritten {
                written: n.written,
                unit: "flow record lines",
                note: None,
            })
        }
        FileKind::Capture { .. } => {
            let n = super::capture_packets::write_capture_packets_to(target, log, filter)?;
            Ok(RecordsWritten {
                written: n.written,
                unit: "packets",
                note: (n.other_link > 0).then(|| {
                    format!(
                        "{} packets of another link type than the first left out (a pcap file has one)",
                        n.other_link
                    )
                }),
            })
        }
        _ => {
            let n = write_conn_lines_to(target, log, filter)?;
            Ok(RecordsWritten {
                written: n.written,
                unit: "connection lines",
                note: None,
            })
        }
    }
}

/// Copies the header line and the lines of the records of the connections `filter` picks of
/// the flow-record file `log` was read from (a connection joined from two one-way records has
/// both), in input order, each ending in a line break.
pub fn write_flow_lines_to(
    target: &Target,
    log: &ConnLog,
    filter: &ConnFilter,
) -> Result<LinesWritten, TableError> {
    let FileKind::FlowRecords { gzip, .. } = log.kind else {
        return Err(TableError::NotLines {
            path: log.path.clone(),
            what: "packets",
        });
    };
    let source = unchanged(log)?;
    let wanted: HashSet<u64> = filter
        .connections(log)
        .into_iter()
        .filter_map(|i| log.record_lines.get(i))
        .flat_map(|l| l.iter().copied().filter(|&n| n > 0))
        .collect();
    let mut count = LinesWritten::default();
    copy_into(target, |out, failed| {
        let mut scratch = ConnLog::empty(log.path.clone(), log.kind);
        let mut header = true;
        read_lines(
            &source,
            gzip,
            &mut scratch,
            Control::default(),
            |scratch, text| {
                if text.bytes().all(|b| b.is_ascii_whitespace()) {
                    return Ok(Ok(Next::Read));
                }
                // The first line is the header, as the reader takes it.
                let was_header = std::mem::take(&mut header);
                if was_header || wanted.contains(&scratch.lines) {
                    line_to(out, text, failed)?;
                    count.written += u64::from(!was_header);
                }
                Ok(Ok(Next::Read))
            },
        )
    })?;
    Ok(count)
}

/// The source `log` was read from, when it is the same file still (size and modification
/// time); an export of its records refuses a file that changed.
pub(super) fn unchanged(log: &ConnLog) -> Result<Source, TableError> {
    let source = Source::File(log.path.clone());
    if log.fingerprint.is_none() || source.fingerprint().ok() != log.fingerprint {
        return Err(LoadError::Changed {
            path: log.path.clone(),
        }
        .into());
    }
    Ok(source)
}

/// Writes `text` and a line break to `out`; a write error is kept in `failed` and stops the
/// read (as [`LoadError::Cancelled`], which [`copy_into`] turns back into the write error).
fn line_to(
    out: &mut dyn Write,
    text: &str,
    failed: &mut Option<std::io::Error>,
) -> Result<(), LoadError> {
    match out
        .write_all(text.as_bytes())
        .and_then(|()| out.write_all(b"\n"))
    {
        Ok(()) => Ok(()),
        Err(e) => {
            *failed = Some(e);
            Err(LoadError::Cancelled)
        }
    }
}

/// Runs `copy` with a buffered writer to `target` and a slot for the first write error, then
/// commits the output: a write error (kept in the slot) is reported as such, else the read's.
fn copy_into(
    target: &Target,
    copy: impl FnOnce(&mut dyn Write, &mut Option<std::io::Error>) -> Result<(), LoadError>,
) -> Result<(), TableError> {
    let mut file = target.open()?;
    let mut failed: Option<std::io::Error> = None;
    {
        let mut out = std::io::BufWriter::with_capacity(1 << 20, &mut file);
        let read = copy(&mut out, &mut failed);
        let flushed = out.flush();
        if let Some(e) = failed.take().or(flushed.err()) {
            return Err(ExportError::Io {
                path: target.path().to_path_buf(),
                source: e,
            }
            .into());
        }
        read?;
    }
    file.commit()?;
    Ok(())
}
