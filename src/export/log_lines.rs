//! Writing the log lines of flagged clients (or flagged time buckets) exactly as they are in the
//! input: the log is streamed again (plain or gzip), each line is parsed, and the lines that
//! match are copied, in input order, to an atomic output.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use super::{ExportError, OutputPlan, TableError, Target};
use crate::data::access::address::canonical;
use crate::data::access::line::{parse_line, Parsed};
use crate::data::access::read::MAX_LINE;
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

/// How many lines an export of log lines wrote, and how many it skipped for being too long.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinesWritten {
    /// Lines copied.
    pub written: u64,
    /// Lines of [`MAX_LINE`] bytes or more, skipped without being held in memory (the log reader
    /// skips them too, so they never counted in the analysis).
    pub too_long: u64,
}

/// Copies the matching lines of `log` to `path`; returns how many were written. A line that a
/// spreadsheet would run as a formula is prefixed with `'`.
pub fn write_log_lines(
    path: &Path,
    overwrite: bool,
    log: &AccessLog,
    filter: &LineFilter,
) -> Result<LinesWritten, TableError> {
    let target = OutputPlan::new(&[log.source.path()], overwrite).file(path)?;
    write_log_lines_to(&target, log, filter)
}

/// [`write_log_lines`] to an output checked by an [`OutputPlan`] (a file or standard output).
pub fn write_log_lines_to(
    target: &Target,
    log: &AccessLog,
    filter: &LineFilter,
) -> Result<LinesWritten, TableError> {
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
    let mut file = target.open()?;
    let mut count = LinesWritten::default();
    let mut line = Vec::new();
    let mut scratch = Vec::new();
    let mut copy = || -> Result<(), TableError> {
        let io = |e: std::io::Error| ExportError::Io {
            path: target.path().to_path_buf(),
            source: e,
        };
        let mut out = std::io::BufWriter::with_capacity(1 << 20, &mut file);
        loop {
            let next =
                next_line(&mut reader, &mut line, MAX_LINE).map_err(|e| LoadError::io(input, e))?;
            match next {
                Line::End => break,
                Line::TooLong => {
                    count.too_long += 1;
                    continue;
                }
                Line::Text => {}
            }
            let text = line.as_slice();
            let keep = parse_line(&log.format, text, &mut scratch).is_ok_and(|p| wanted(&p));
            if keep {
                if matches!(
                    text.first(),
                    Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
                ) {
                    out.write_all(b"'").map_err(io)?;
                }
                out.write_all(text).map_err(io)?;
                out.write_all(b"\n").map_err(io)?;
                count.written += 1;
            }
        }
        out.flush().map_err(io)?;
        Ok(())
    };
    copy()?;
    file.commit()?;
    Ok(count)
}

/// What [`next_line`] found.
#[derive(Debug, PartialEq, Eq)]
enum Line {
    /// A line, now in the buffer without its line break.
    Text,
    /// A line of `max` bytes or more, skipped (the buffer is empty).
    TooLong,
    /// The end of the input.
    End,
}

/// Reads the next line into `line` (without its `\n`), holding at most `max` bytes: a longer
/// line is read past, never kept whole.
fn next_line(reader: &mut impl BufRead, line: &mut Vec<u8>, max: usize) -> std::io::Result<Line> {
    line.clear();
    let mut started = false;
    let mut too_long = false;
    loop {
        let buf = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            return Ok(match (started, too_long) {
                (false, _) => Line::End,
                (true, true) => Line::TooLong,
                (true, false) => Line::Text,
            });
        }
        started = true;
        let (part, used, done) = match memchr::memchr(b'\n', buf) {
            Some(i) => (&buf[..i], i + 1, true),
            None => (buf, buf.len(), false),
        };
        if !too_long {
            if line.len() + part.len() >= max {
                too_long = true;
                line.clear();
            } else {
                line.extend_from_slice(part);
            }
        }
        reader.consume(used);
        if done {
            return Ok(if too_long { Line::TooLong } else { Line::Text });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_skipped_without_being_held() {
        let mut text = b"short\n".to_vec();
        text.extend(std::iter::repeat_n(b'A', 100));
        text.extend(b"\nlast");
        // A tiny buffer, so the long line arrives in many pieces.
        let mut reader = BufReader::with_capacity(7, text.as_slice());
        let mut line = Vec::new();
        assert_eq!(
            next_line(&mut reader, &mut line, 10).expect("read"),
            Line::Text
        );
        assert_eq!(line, b"short");
        assert_eq!(
            next_line(&mut reader, &mut line, 10).expect("read"),
            Line::TooLong
        );
        assert!(line.capacity() < 20, "the long line was never held");
        assert_eq!(
            next_line(&mut reader, &mut line, 10).expect("read"),
            Line::Text
        );
        assert_eq!(line, b"last");
        assert_eq!(
            next_line(&mut reader, &mut line, 10).expect("read"),
            Line::End
        );
    }
}
