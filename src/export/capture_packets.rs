//! Writing the packets of flagged hosts' connections (or of the connections starting in flagged
//! time buckets) of a packet capture, as a pcap file: the capture is read again, each packet is
//! decoded as the reader decodes it, and a packet is copied when its flow key and time fall in
//! the span of a picked connection ([`FlowSpan`]), with its captured bytes, its length on the
//! wire and its time (to the microsecond), in capture order. What Wireshark or tcpdump open
//! then shows exactly the flagged hosts' traffic.
//!
//! The pcap format is written by hand: a 24-byte file header and a 16-byte header per packet
//! (<https://www.tcpdump.org/manpages/pcap-savefile.5.html>); no crate is needed for that.

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use super::{ConnFilter, ExportError, TableError, Target};
use crate::data::access::read::open;
use crate::data::formats::pcap::container::{packets, Unreadable};
use crate::data::formats::pcap::decode::{frame, link, Frame};
use crate::data::formats::pcap::flow::{key, Key};
use crate::data::formats::zeek::ConnLog;
use crate::data::{FileKind, LoadError};

/// What an export of packets wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PacketsWritten {
    /// Packets copied.
    pub written: u64,
    /// Packets of the picked connections left out because their interface's link type differs
    /// from the first one's (a pcap file has one link type; pcapng captures may mix them).
    pub other_link: u64,
}

/// Copies the packets of the connections `filter` picks of the capture `log` was read from to
/// `target`, as a pcap file.
pub fn write_capture_packets_to(
    target: &Target,
    log: &ConnLog,
    filter: &ConnFilter,
) -> Result<PacketsWritten, TableError> {
    let FileKind::Capture { gzip, .. } = log.kind else {
        return Err(TableError::NotLines {
            path: log.path.clone(),
            what: "flow records",
        });
    };
    let source = super::conn_lines::unchanged(log)?;
    let spans = picked_spans(log, filter);
    let io = |e: std::io::Error| -> TableError {
        ExportError::Io {
            path: target.path().to_path_buf(),
            source: e,
        }
        .into()
    };
    let mut file = target.open()?;
    let mut count = PacketsWritten::default();
    let mut linktype: Option<i32> = None;
    let mut failed: Option<std::io::Error> = None;
    {
        let mut out = std::io::BufWriter::with_capacity(1 << 20, &mut file);
        let input = open(&source, gzip, Arc::new(AtomicU64::new(0)))?;
        let read = packets(input, |p| {
            if !link::is_read(p.linktype) {
                return Ok(true);
            }
            let Frame::Packet(packet) = frame(p.linktype, p.data) else {
                return Ok(true);
            };
            let picked = spans
                .get(&key(&packet))
                .is_some_and(|s| s.iter().any(|&(start, last)| start <= p.ts && p.ts <= last));
            if !picked {
                return Ok(true);
            }
            let first = *linktype.get_or_insert(p.linktype);
            if first != p.linktype {
                count.other_link += 1;
                return Ok(true);
            }
            let written = (|| {
                if count.written == 0 {
                    out.write_all(&file_header(first))?;
                }
                out.write_all(&record_header(p.ts, p.data.len(), p.wire_len))?;
                out.write_all(p.data)
            })();
            match written {
                Ok(()) => {
                    count.written += 1;
                    Ok(true)
                }
                Err(e) => {
                    failed = Some(e);
                    Ok(false)
                }
            }
        });
        if let Some(e) = failed.take() {
            return Err(io(e));
        }
        read.map_err(|e| match e {
            Unreadable::Header(reason) | Unreadable::Io(reason) => LoadError::CaptureUnreadable {
                path: log.path.clone(),
                reason,
            },
        })?;
        if count.written == 0 {
            // No packet: an empty capture, of Ethernet.
            out.write_all(&file_header(link::ETHERNET)).map_err(io)?;
        }
        out.flush().map_err(io)?;
    }
    file.commit()?;
    Ok(count)
}

/// The flow spans of the connections `filter` picks, by flow key.
fn picked_spans(log: &ConnLog, filter: &ConnFilter) -> HashMap<Key, Vec<(f64, f64)>> {
    let mut spans: HashMap<Key, Vec<(f64, f64)>> = HashMap::new();
    for i in filter.connections(log) {
        if let Some(span) = log.flows.get(i) {
            spans
                .entry(span.key)
                .or_default()
                .push((span.start, span.last));
        }
    }
    spans
}

/// A pcap file header: microsecond timestamps, little-endian, snapshot length 262,144.
fn file_header(linktype: i32) -> [u8; 24] {
    let mut h = [0u8; 24];
    h[0..4].copy_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    h[4..6].copy_from_slice(&2u16.to_le_bytes());
    h[6..8].copy_from_slice(&4u16.to_le_bytes());
    h[16..20].copy_from_slice(&262_144u32.to_le_bytes());
    h[20..24].copy_from_slice(&linktype.to_le_bytes());
    h
}

/// A pcap packet header: the time in seconds and microseconds, the captured and wire lengths.
fn record_header(ts: f64, captured: usize, wire: u32) -> [u8; 16] {
    let mut seconds = ts.floor();
    let mut micros = ((ts - seconds) * 1e6).round();
    if micros >= 1e6 {
        seconds += 1.0;
        micros = 0.0;
    }
    let mut h = [0u8; 16];
    h[0..4].copy_from_slice(&(seconds as u32).to_le_bytes());
    h[4..8].copy_from_slice(&(micros as u32).to_le_bytes());
    h[8..12].copy_from_slice(&u32::try_from(captured).unwrap_or(u32::MAX).to_le_bytes());
    h[12..16].copy_from_slice(&wire.to_le_bytes());
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_pcap_s_layout() {
        let h = file_header(1);
        assert_eq!(&h[0..4], &[0xd4, 0xc3, 0xb2, 0xa1]);
        assert_eq!(&h[20..24], &[1, 0, 0, 0]);
        let r = record_header(1_600_000_000.999_999_7, 60, 1514);
        assert_eq!(u32::from_le_bytes([r[0], r[1], r[2], r[3]]), 1_600_000_001);
        assert_eq!(u32::from_le_bytes([r[4], r[5], r[6], r[7]]), 0);
        let r = record_header(1_600_000_000.25, 60, 1514);
        assert_eq!(u32::from_le_bytes([r[4], r[5], r[6], r[7]]), 250_000);
        assert_eq!(u32::from_le_bytes([r[12], r[13], r[14], r[15]]), 1514);
    }
}
