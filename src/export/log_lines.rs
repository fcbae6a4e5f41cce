//! Writing the log lines of flagged clients (or flagged time buckets) exactly as they are in the
//! input: the log is streamed again (plain or gzip), each line is parsed, and the lines that
//! match are copied, in input order, to an atomic output.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use super::{AtomicFile, ExportError, TableError};
use crate::data::access::address::canonical;
use crate::data::access::line::{parse_line, Parsed};
use crate::data::access::AccessLog;
use crate::data::{Dataset, LoadError};

/// Which lines to copy.
#[derive(Debug, Clone, PartialEq)]
pub enum LineFilter {
    /// The lines of these clients (indices into the log's clients).
    Clients(Vec<u32>),
    /// The lines whose time falls in one of these `[start, end)` ranges (epoch ms).
    Times(Vec<(i64, i64)>),
}

impl LineFilter {
    /// The lines behind some rows of a view of a log: the rows' clients (client view) or the
    /// rows' time buckets (traffic view). `None` when the table is not a log.
    pub fn for_rows(ds: &Dataset, rows: &[usize]) -> Option<LineFilter> {
        let table = ds.log.as_ref()?;
        Some(match (table.bucket, &ds.time) {
            (Some(bucket), Some(t)) => LineFilter::Times(
                rows.iter()
                    .map(|&r| (t.millis[r], t.millis[r] + bucket.seconds * 1000))
                    .collect(),
            ),
            _ => LineFilter::Clients(
                rows.iter()
                    .filter_map(|&r| table.client_of_row.get(r).copied())
                    .collect(),
            ),
        })
    }
}

/// Copies the matching lines of `log` to `path`; returns how many were written. A line that a
/// spreadsheet would run as a formula is prefixed with `'`.
pub fn write_log_lines(
    path: &Path,
    overwrite: bool,
    log: &AccessLog,
    filter: &LineFilter,
) -> Result<u64, TableError> {
    let input = log.source.path();
    if log.source.fingerprint()? != log.fingerprint {
        return Err(LoadError::Changed {
            path: input.to_path_buf(),
        }
        .into());
    }
    let clients: HashSet<&[u8]> = match filter {
        LineFilter::Clients(ids) => ids
            .iter()
            .filter_map(|&c| log.clients.get(c as usize))
            .map(|s| s.as_bytes())
            .collect(),
        LineFilter::Times(_) => HashSet::new(),
    };
    let mut ranges = match filter {
        LineFilter::Times(r) => r.clone(),
        LineFilter::Clients(_) => Vec::new(),
    };
    ranges.sort_unstable();
    let wanted = |p: &Parsed<'_>| match filter {
        // Clients are numbered by their standard spelling (see `access::address`).
        LineFilter::Clients(_) => clients.contains(canonical(p.client).as_ref()),
        LineFilter::Times(_) => {
            let i = ranges.partition_point(|r| r.0 <= p.time_ms);
            i > 0 && p.time_ms < ranges[i - 1].1
        }
    };
    let reader =
        crate::data::access::read::open(&log.source, log.gzip, Arc::new(AtomicU64::new(0)))?;
    let mut reader = BufReader::with_capacity(1 << 20, reader);
    let mut file = AtomicFile::create(path, overwrite, &[input])?;
    let mut written = 0u64;
    let mut line = Vec::new();
    let mut scratch = Vec::new();
    let mut copy = || -> Result<(), TableError> {
        let mut out = std::io::BufWriter::with_capacity(1 << 20, &mut file);
        loop {
            line.clear();
            let n = reader
                .read_until(b'\n', &mut line)
                .map_err(|e| LoadError::io(input, e))?;
            if n == 0 {
                break;
            }
            let text = line.strip_suffix(b"\n").unwrap_or(&line);
            let keep = parse_line(&log.format, text, &mut scratch).is_ok_and(|p| wanted(&p));
            if keep {
                let io = |e: std::io::Error| ExportError::Io {
                    path: path.to_path_buf(),
                    source: e,
                };
                if matches!(
                    text.first(),
                    Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
                ) {
                    out.write_all(b"'").map_err(io)?;
                }
                out.write_all(text).map_err(io)?;
                out.write_all(b"\n").map_err(io)?;
                written += 1;
            }
        }
        out.flush().map_err(|e| ExportError::Io {
            path: path.to_path_buf(),
            source: e,
        })?;
        Ok(())
    };
    let result = copy();
    result?;
    file.commit()?;
    Ok(written)
}
