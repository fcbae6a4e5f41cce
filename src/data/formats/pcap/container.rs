//! The capture container, read with `pcap-parser`: pcap (either byte order, micro- or
//! nanosecond timestamps) and pcapng (sections, interfaces with their link types and timestamp
//! resolutions, Enhanced and Simple Packet Blocks), streamed block by block in a bounded buffer.
//! Each packet comes with its number (1-based, counting every packet block, as Wireshark numbers
//! frames), its time and its interface's link type.

use std::io::Read;

use pcap_parser::{create_reader, Block, PcapBlockOwned, PcapError};

/// Buffer the container is read through, at first.
const BUFFER: usize = 1 << 20;
/// Largest block accepted (the buffer grows up to it): libpcap's largest snapshot length is
/// 256 KiB, so a larger block means a damaged length field.
const MAX_BLOCK: usize = 16 << 20;
/// Largest packet in a pcap file whose header gives a smaller snapshot length (libpcap's
/// largest, as Wireshark checks).
const MAX_PCAP_PACKET: u32 = 256 << 10;

/// One captured packet.
#[derive(Debug)]
pub struct Captured<'a> {
    /// 1-based number in the file.
    pub number: u64,
    /// Seconds since 1970.
    pub ts: f64,
    /// The link type of its interface.
    pub linktype: i32,
    /// The bytes captured.
    pub data: &'a [u8],
    /// Its length on the wire (at least `data`'s; more when the snapshot length cut it).
    pub wire_len: u32,
}

/// How reading the container ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// At the end of the file.
    Complete,
    /// Early: the container is cut short or damaged at packet `packet` (the number the next
    /// packet would have had), `offset` bytes into the (decompressed) file; nothing after it is
    /// read.
    Stopped {
        /// The packet number where reading stopped.
        packet: u64,
        /// Byte offset of the block that could not be read.
        offset: u64,
        /// What is wrong, in words.
        reason: String,
    },
    /// Cancelled by the caller.
    Cancelled,
}

/// Why the container could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unreadable {
    /// The file header is not a pcap or pcapng header, or is cut short.
    Header(String),
    /// Reading the file failed.
    Io(String),
}

/// An interface of a pcapng section: link type, timestamp units per second, offset seconds.
#[derive(Debug, Clone, Copy)]
struct Interface {
    linktype: i32,
    resolution: Option<u64>,
    offset_s: i64,
}

/// Reads every packet of the capture in `input`, calling `each` on it; `each` returns false to
/// cancel.
pub fn packets(
    input: impl Read + Send,
    mut each: impl FnMut(Captured<'_>) -> Result<bool, Unreadable>,
) -> Result<End, Unreadable> {
    let mut reader = create_reader(BUFFER, input).map_err(|e| match e {
        PcapError::Eof | PcapError::Incomplete(_) | PcapError::UnexpectedEof => {
            Unreadable::Header("the file ends inside its header".into())
        }
        PcapError::ReadError => Unreadable::Io("the file could not be read".into()),
        _ => Unreadable::Header("not a pcap or pcapng file header".into()),
    })?;
    let mut capacity = BUFFER;
    let mut number = 0u64;
    let mut offset = 0u64;
    let mut legacy: Option<Legacy> = None;
    let mut interfaces: Vec<Interface> = Vec::new();
    let mut last_ts = 0.0;
    let stop = |number: u64, offset: u64, reason: String| End::Stopped {
        packet: number + 1,
        offset,
        reason,
    };
    loop {
        let (consumed, keep_going) = match reader.next() {
            Ok((consumed, block)) => {
                let packet = match block {
                    PcapBlockOwned::LegacyHeader(h) => {
                        let unit = if h.is_nanosecond_precision() { 1e9 } else { 1e6 };
                        legacy = Some(Legacy {
                            linktype: h.network.0,
                            unit,
                            limit: h.snaplen.max(MAX_PCAP_PACKET),
                            big_endian: h.is_bigendian(),
                        });
                        None
                    }
                    PcapBlockOwned::Legacy(b) => {
                        let Some(l) = legacy else {
                            return Ok(stop(number, offset, "a packet before the file header".into()));
                        };
                        if b.caplen > l.limit {
                            return Ok(stop(number, offset, l.too_long(b.caplen)));
                        }
                        Some((
                            l.linktype,
                            f64::from(b.ts_sec) + f64::from(b.ts_usec) / l.unit,
                            b.data,
                            b.origlen,
                        ))
                    }
                    PcapBlockOwned::NG(Block::SectionHeader(_)) => {
                        interfaces.clear();
                        None
                    }
                    PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                        interfaces.push(Interface {
                            linktype: idb.linktype.0,
                            resolution: idb.ts_resolution(),
                            offset_s: idb.if_tsoffset,
                        });
                        None
                    }
                    PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                        match interfaces.get(epb.if_id as usize) {
                            Some(i) => {
                                let ts = time(epb.ts_high, epb.ts_low, i);
                                Some((i.linktype, ts, epb.data, epb.origlen))
                            }
                            None => {
                                // Counted as a packet of an unknown link type by the caller.
                                Some((-1, last_ts, epb.data, epb.origlen))
                            }
                        }
                    }
                    PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                        // A Simple Packet Block has no time: it gets the previous packet's.
                        let linktype = interfaces.first().map_or(-1, |i| i.linktype);
                        Some((linktype, last_ts, spb.data, spb.origlen))
                    }
                    PcapBlockOwned::NG(_) => None,
                };
                let keep_going = match packet {
                    Some((linktype, ts, data, wire_len)) => {
                        number += 1;
                        last_ts = ts;
                        each(Captured {
                            number,
                            ts,
                            linktype,
                            data,
                            wire_len: wire_len.max(u32::try_from(data.len()).unwrap_or(u32::MAX)),
                        })?
                    }
                    None => true,
                };
                (consumed, keep_going)
            }
            Err(PcapError::Eof) => return Ok(End::Complete),
            Err(PcapError::Incomplete(_)) => {
                let before = reader.data().len();
                if reader.refill().is_err() {
                    return Err(Unreadable::Io(format!(
                        "reading failed after packet {number}"
                    )));
                }
                if reader.data().len() == before && !reader.reader_exhausted() {
                    // The buffer is full and still not a whole block: make room.
                    if capacity >= MAX_BLOCK || !reader.grow(capacity * 2) {
                        return Ok(stop(number, offset, block_too_large()));
                    }
                    capacity *= 2;
                }
                continue;
            }
            Err(PcapError::BufferTooSmall) => {
                if let Some(reason) = legacy.and_then(|l| l.damaged(reader.data())) {
                    return Ok(stop(number, offset, reason));
                }
                if capacity >= MAX_BLOCK || !reader.grow(capacity * 2) {
                    return Ok(stop(number, offset, block_too_large()));
                }
                capacity *= 2;
                if reader.refill().is_err() {
                    return Err(Unreadable::Io(format!(
                        "reading failed after packet {number}"
                    )));
                }
                continue;
            }
            Err(PcapError::UnexpectedEof) => {
                if let Some(reason) = legacy.and_then(|l| l.damaged(reader.data())) {
                    return Ok(stop(number, offset, reason));
                }
                return Ok(stop(
                    number,
                    offset,
                    "the file ends inside this packet's block: the capture was cut short".into(),
                ))
            }
            Err(PcapError::ReadError) => {
                return Err(Unreadable::Io(format!(
                    "reading failed after packet {number}"
                )))
            }
            Err(_) => {
                return Ok(stop(
                    number,
                    offset,
                    "its block cannot be read (a damaged block header or length): the file is damaged from here"
                        .into(),
                ))
            }
        };
        // Not `consume`: it moves the unread rest of the buffer to its start every time half of
        // it is read (about one copy of the file); `refill` moves just the partial block left.
        reader.consume_noshift(consumed);
        offset += consumed as u64;
        if !keep_going {
            return Ok(End::Cancelled);
        }
    }
}

/// What the header of a pcap (not pcapng) file says about its packet records.
#[derive(Debug, Clone, Copy)]
struct Legacy {
    linktype: i32,
    /// Timestamp fraction units per second.
    unit: f64,
    /// The longest packet a record can hold.
    limit: u32,
    big_endian: bool,
}

impl Legacy {
    /// Why a record header at the start of `data` is damaged, when its length field is.
    fn damaged(self, data: &[u8]) -> Option<String> {
        let field: [u8; 4] = data.get(8..12)?.try_into().ok()?;
        let caplen = if self.big_endian {
            u32::from_be_bytes(field)
        } else {
            u32::from_le_bytes(field)
        };
        (caplen > self.limit).then(|| self.too_long(caplen))
    }

    /// The message for a record of `caplen` bytes, more than [`Legacy::limit`].
    fn too_long(self, caplen: u32) -> String {
        format!(
            "its record header gives a length of {caplen} bytes, more than the {} bytes a packet can have: the file is damaged from here",
            self.limit
        )
    }
}

/// The message for a block longer than [`MAX_BLOCK`].
fn block_too_large() -> String {
    format!(
        "its block is longer than {} MB, which no capture writes: a damaged length field; the file is damaged from here",
        MAX_BLOCK >> 20
    )
}

/// A pcapng timestamp in seconds since 1970, from the interface's resolution and offset
/// (computed here in floating point, so that no value of the file can overflow).
fn time(high: u32, low: u32, i: &Interface) -> f64 {
    let ticks = (u64::from(high) << 32) | u64::from(low);
    let Some(per_s) = i.resolution.filter(|r| *r > 0) else {
        return f64::NAN;
    };
    (ticks / per_s) as f64 + (ticks % per_s) as f64 / per_s as f64 + i.offset_s as f64
}
