//! Flow records as text, the shared part of the two readers: nfdump's CSV output
//! ([`super::nfdump`]) and Argus's CSV (`ra -c ,`, the CTU-13 `binetflow` files,
//! [`super::argus`]). Each reader turns a line into a [`FlowRecord`]; [`read`] reads the lines
//! (plain or gzip), counting malformed ones with their line numbers; [`pair`] joins the two
//! one-way records of a connection; [`tcp`] names the TCP state as Zeek would; the connections
//! then make the same [`ConnLog`] as a conn.log or a capture, so the hosts view and its reasons
//! are shared.

pub mod pair;
pub mod read;
pub mod tcp;

use std::net::IpAddr;

pub use read::read_flow_records;

use crate::control::Control;
use crate::data::formats::pcap::decode::Proto;
use crate::data::formats::zeek::{self, ConnLog};
use crate::data::{Dataset, LoadError, Source};

/// Which tool wrote the flow records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowFormat {
    /// `nfdump -o csv` (nfdump 1.6 and 1.7).
    Nfdump,
    /// Argus client CSV: `ra -c ,` with its header line, as in the CTU-13 `binetflow` files.
    Argus,
}

impl FlowFormat {
    /// Name for messages.
    pub fn name(self) -> &'static str {
        match self {
            FlowFormat::Nfdump => "nfdump CSV flow records",
            FlowFormat::Argus => "Argus CSV flow records",
        }
    }
}

/// What a record says about the TCP (or other) state of its connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ends {
    /// TCP flags (see [`tcp::parse_flags`]) the source sent and, when the record covers both
    /// directions, the flags the destination sent (`None`: a one-way record).
    Flags {
        /// Flags from the source.
        src: u8,
        /// Flags from the destination, if the record has them.
        dst: Option<u8>,
    },
    /// A Zeek `conn_state` the reader derived itself (from Argus's state words, UDP, ICMP).
    State(&'static str),
}

/// One flow record as read from a line.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowRecord {
    /// Start, seconds since 1970-01-01 UTC.
    pub ts: f64,
    /// Duration, seconds.
    pub duration: f64,
    /// Transport protocol.
    pub proto: Proto,
    /// Source address.
    pub src: IpAddr,
    /// Source port (the ICMP type for ICMP).
    pub src_port: u16,
    /// Destination address.
    pub dst: IpAddr,
    /// Destination port (the ICMP code for ICMP, as in Zeek).
    pub dst_port: u16,
    /// Bytes the source sent (IP bytes, headers included).
    pub src_bytes: u64,
    /// Bytes the destination sent, when the record covers both directions.
    pub dst_bytes: Option<u64>,
    /// What the record says about the connection's state.
    pub ends: Ends,
    /// Its line number in the file (set by the reader; 0 when not from a file).
    pub line: u64,
}

/// One connection made of one record (or two one-way records), for the [`ConnLog`].
#[derive(Debug, Clone, PartialEq)]
pub struct Connection {
    /// Start, seconds since 1970-01-01 UTC.
    pub ts: f64,
    /// Duration, seconds.
    pub duration: f64,
    /// Originator.
    pub orig: IpAddr,
    /// Responder.
    pub resp: IpAddr,
    /// Responder port.
    pub resp_port: u16,
    /// Bytes from the originator.
    pub orig_bytes: u64,
    /// Bytes from the responder.
    pub resp_bytes: u64,
    /// Zeek's `conn_state`.
    pub state: &'static str,
    /// The line numbers of its records (the second 0 when it is one record).
    pub lines: [u64; 2],
}

/// What a reader makes of one data line.
pub enum Line {
    /// A flow record.
    Record(FlowRecord),
    /// A record that is not an IP connection (Argus's `man` and `arp` records, nfdump's summary
    /// lines): counted, not read.
    Other,
}

/// Reads the flow records in `source` and makes their hosts view by `side`.
pub fn load(
    source: Source,
    gzip: bool,
    format: FlowFormat,
    net: &zeek::NetView,
    control: Control<'_>,
) -> Result<Dataset, LoadError> {
    let path = source.path().to_path_buf();
    let read = read_flow_records(&source, gzip, format, control)?;
    if read.log.connections() == 0 {
        return Err(match read.log.samples.first() {
            Some(first) => LoadError::NoLogLines {
                path,
                format: format.name().into(),
                malformed: read.log.malformed,
                first: first.to_string(),
            },
            None => LoadError::NoFlowRecords {
                path,
                format: format.name(),
            },
        });
    }
    let mut ds = zeek::view_of(std::sync::Arc::new(read.log), net)?;
    if let Some(table) = ds.network.as_mut() {
        std::sync::Arc::make_mut(table)
            .notes
            .clone_from(&read.notes);
    }
    ds.warnings.extend(read.notes);
    Ok(ds)
}

/// Appends `connections` to `log`, addresses as the capture reader writes them.
pub(crate) fn push_all(log: &mut ConnLog, connections: &[Connection]) {
    let mut ids: std::collections::HashMap<IpAddr, u32, _> =
        std::collections::HashMap::with_hasher(crate::data::access::read::hasher());
    for c in connections {
        let mut id = |a: IpAddr| {
            *ids.entry(a).or_insert_with(|| {
                log.addresses.push(a.to_string());
                log.addresses.len() as u32 - 1
            })
        };
        let (o, r) = (id(c.orig), id(c.resp));
        log.orig.push(o);
        log.resp.push(r);
        log.ts.push(c.ts);
        log.resp_port.push(c.resp_port);
        log.duration.push(c.duration);
        log.orig_bytes.push(c.orig_bytes);
        log.resp_bytes.push(c.resp_bytes);
        log.failed.push(zeek::is_failed(c.state));
        log.record_lines.push(c.lines);
    }
}

/// Seconds since 1970 of a date-time `YYYY-MM-DD HH:MM:SS[.fff]` (also with `/` between the
/// date's parts, or `T` before the time), read as UTC; or of a plain number of seconds.
pub fn parse_time(text: &str) -> Option<f64> {
    let text = text.trim();
    if let Ok(secs) = text.parse::<f64>() {
        return secs.is_finite().then_some(secs);
    }
    let b = text.as_bytes();
    if b.len() < 19 || !matches!(b[10], b' ' | b'T') || b[4] != b[7] || !matches!(b[4], b'-' | b'/')
    {
        return None;
    }
    let num = |s: &str| -> Option<u32> {
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    let year = num(text.get(0..4)?)?;
    let month = num(text.get(5..7)?)?;
    let day = num(text.get(8..10)?)?;
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (h, m) = (num(text.get(11..13)?)?, num(text.get(14..16)?)?);
    let s = num(text.get(17..19)?)?;
    let year = i32::try_from(year).ok()?;
    if !(1..=12).contains(&month)
        || day == 0
        || day > crate::data::time::days_in_month(year, month)
        || h > 23
        || m > 59
        || s > 60
    {
        return None;
    }
    let frac = match text.get(19..)? {
        "" => 0.0,
        f if f.starts_with('.') && f.len() > 1 && f[1..].bytes().all(|c| c.is_ascii_digit()) => {
            format!("0{f}").parse().ok()?
        }
        _ => return None,
    };
    let days = crate::data::time::days_from_civil(year, month, day);
    Some(days as f64 * 86_400.0 + f64::from(h * 3600 + m * 60 + s) + frac)
}

/// A port: decimal, or hexadecimal with `0x` (Argus writes ICMP types and codes so).
pub fn parse_port(text: &str) -> Option<u16> {
    let text = text.trim();
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u16::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

/// Checks that a data line has the header's number of fields, or says what is wrong.
pub fn same_width(fields: &[&str], width: usize) -> Result<(), String> {
    if fields.len() == width {
        Ok(())
    } else {
        Err(format!(
            "{} fields where the header has {width}",
            fields.len()
        ))
    }
}

/// The position of each name of `wanted` among `names` (compared without case and spaces), or
/// the names that are missing.
pub fn positions<const N: usize>(
    names: &[&str],
    wanted: [&str; N],
) -> Result<[usize; N], Vec<String>> {
    let mut out = [0; N];
    let mut missing = Vec::new();
    for (slot, w) in out.iter_mut().zip(wanted) {
        match names.iter().position(|n| n.trim().eq_ignore_ascii_case(w)) {
            Some(i) => *slot = i,
            None => missing.push(w.to_string()),
        }
    }
    if missing.is_empty() {
        Ok(out)
    } else {
        Err(missing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_ports_as_the_tools_write_them() {
        assert_eq!(parse_time("2026-01-01 00:00:01"), Some(1_767_225_601.0));
        assert_eq!(
            parse_time("2026/01/01 00:00:10.500000"),
            Some(1_767_225_610.5)
        );
        assert_eq!(parse_time("1767225601.25"), Some(1_767_225_601.25));
        assert_eq!(parse_time("2026-02-30 00:00:01"), None);
        assert_eq!(parse_time("2026-01-01 00:00:01x"), None);
        assert_eq!(parse_time("00:00:10.000000"), None);
        assert_eq!(parse_port("0x0303"), Some(0x0303));
        assert_eq!(parse_port("443"), Some(443));
        assert_eq!(parse_port("http"), None);
        assert_eq!(parse_port("70000"), None);
    }
}
