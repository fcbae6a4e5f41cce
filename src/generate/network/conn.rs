//! One generated connection and the packets that make it: the same list of packets gives the
//! conn.log line's counts (packets, payload and IP bytes each way, duration) and the capture's
//! records, so the two files describe the same traffic.

use std::net::Ipv4Addr;

/// Largest TCP payload put in one packet: an IPv4 packet is at most 65,535 bytes (captures of
/// hosts with segmentation offload show such large segments).
pub const TCP_CHUNK: u64 = 65_000;
/// Largest gap between two packets of a TCP connection, microseconds: under Zeek's 5-minute
/// TCP inactivity timeout, so the capture's reader keeps a long connection whole (long
/// connections get keep-alive ACKs).
const MAX_TCP_GAP_US: i64 = 240_000_000;
/// IPv4 header without options, bytes.
pub const IP_HEADER: u64 = 20;
/// TCP header without options, bytes.
pub const TCP_HEADER: u64 = 20;
/// UDP header, bytes.
pub const UDP_HEADER: u64 = 8;

/// How a connection goes, and so its Zeek `conn_state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// TCP opened, data both ways, closed by both ends (`SF`).
    Established,
    /// TCP SYN sent twice (the retry a second later), never answered (`S0`).
    Unanswered,
    /// TCP SYN answered with a reset (`REJ`).
    Rejected,
    /// TCP SYN answered with SYN-ACK, then reset by the originator, as a SYN scan does (`RSTO`).
    ResetByOriginator,
    /// A UDP request and its answer (`SF`).
    UdpExchange,
}

impl Shape {
    /// Zeek's `conn_state`.
    pub fn state(self) -> &'static str {
        match self {
            Shape::Established | Shape::UdpExchange => "SF",
            Shape::Unanswered => "S0",
            Shape::Rejected => "REJ",
            Shape::ResetByOriginator => "RSTO",
        }
    }

    /// Zeek's `history` (upper case: the originator; lower case: the responder).
    pub fn history(self, orig_data: bool, resp_data: bool) -> String {
        match self {
            Shape::Established => {
                let mut h = String::from("ShA");
                if orig_data {
                    h.push('D');
                }
                if resp_data {
                    h.push('d');
                }
                h.push_str("Ff");
                h
            }
            Shape::Unanswered => "S".into(),
            Shape::Rejected => "Sr".into(),
            Shape::ResetByOriginator => "ShR".into(),
            Shape::UdpExchange => "Dd".into(),
        }
    }

    /// Whether the connection is UDP.
    pub fn is_udp(self) -> bool {
        self == Shape::UdpExchange
    }
}

/// One generated connection.
#[derive(Debug, Clone, PartialEq)]
pub struct Conn {
    /// Start (first packet), microseconds since 1970.
    pub ts_us: i64,
    /// Originator.
    pub orig: Ipv4Addr,
    /// Originator port (set once all connections are in time order).
    pub orig_p: u16,
    /// Responder.
    pub resp: Ipv4Addr,
    /// Responder port.
    pub resp_p: u16,
    /// How it goes.
    pub shape: Shape,
    /// First packet to last, microseconds.
    pub dur_us: i64,
    /// Payload bytes from the originator.
    pub orig_bytes: u64,
    /// Payload bytes from the responder.
    pub resp_bytes: u64,
}

/// One packet of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pkt {
    /// Sent by the originator (else the responder).
    pub from_orig: bool,
    /// TCP flags (see [`crate::data::formats::pcap::decode::flags`]); 0 for UDP.
    pub flags: u8,
    /// Payload bytes.
    pub payload: u64,
    /// Bytes of this side's payload sent before this packet (for the sequence number).
    pub sent_before: u64,
}

const FIN: u8 = 0x01;
const SYN: u8 = 0x02;
const RST: u8 = 0x04;
const ACK: u8 = 0x10;

impl Conn {
    /// Packets the connection has.
    pub fn packets(&self) -> usize {
        match self.shape {
            Shape::Established => {
                let base = 6 + chunks(self.orig_bytes) + chunks(self.resp_bytes);
                let needed = usize::try_from(self.dur_us / MAX_TCP_GAP_US + 2).unwrap_or(base);
                base.max(needed)
            }
            Shape::Unanswered | Shape::Rejected | Shape::UdpExchange => 2,
            Shape::ResetByOriginator => 3,
        }
    }

    /// Packet `i` (0-based, below [`Conn::packets`]).
    pub fn packet(&self, i: usize) -> Pkt {
        let p = |from_orig, flags, payload, sent_before| Pkt {
            from_orig,
            flags,
            payload,
            sent_before,
        };
        match self.shape {
            Shape::UdpExchange => {
                if i == 0 {
                    p(true, 0, self.orig_bytes, 0)
                } else {
                    p(false, 0, self.resp_bytes, 0)
                }
            }
            Shape::Unanswered => p(true, SYN, 0, 0),
            Shape::Rejected => match i {
                0 => p(true, SYN, 0, 0),
                _ => p(false, RST | ACK, 0, 0),
            },
            Shape::ResetByOriginator => match i {
                0 => p(true, SYN, 0, 0),
                1 => p(false, SYN | ACK, 0, 0),
                _ => p(true, RST, 0, 0),
            },
            Shape::Established => {
                let n = self.packets();
                let (co, cr) = (chunks(self.orig_bytes), chunks(self.resp_bytes));
                match i {
                    0 => p(true, SYN, 0, 0),
                    1 => p(false, SYN | ACK, 0, 0),
                    2 => p(true, ACK, 0, 0),
                    _ if i == n - 3 => p(true, FIN | ACK, 0, self.orig_bytes),
                    _ if i == n - 2 => p(false, FIN | ACK, 0, self.resp_bytes),
                    _ if i == n - 1 => p(true, ACK, 0, self.orig_bytes),
                    _ if i - 3 < co => {
                        let k = (i - 3) as u64;
                        let payload = (self.orig_bytes - k * TCP_CHUNK).min(TCP_CHUNK);
                        p(true, ACK, payload, k * TCP_CHUNK)
                    }
                    _ if i - 3 - co < cr => {
                        let k = (i - 3 - co) as u64;
                        let payload = (self.resp_bytes - k * TCP_CHUNK).min(TCP_CHUNK);
                        p(false, ACK, payload, k * TCP_CHUNK)
                    }
                    // Keep-alive: an empty ACK from the originator after the data.
                    _ => p(true, ACK, 0, self.orig_bytes),
                }
            }
        }
    }

    /// Time of packet `i` of `n`, microseconds: spread evenly from the start to the end.
    pub fn packet_time(&self, i: usize, n: usize) -> i64 {
        if n < 2 {
            return self.ts_us;
        }
        let (i, last) = (i as i128, (n - 1) as i128);
        self.ts_us + i64::try_from(i128::from(self.dur_us) * i / last).unwrap_or(0)
    }

    /// Packets, payload bytes and IP bytes from each side: (orig_pkts, orig_ip_bytes,
    /// resp_pkts, resp_ip_bytes).
    pub fn counts(&self) -> (u64, u64, u64, u64) {
        let header = IP_HEADER
            + if self.shape.is_udp() {
                UDP_HEADER
            } else {
                TCP_HEADER
            };
        let mut c = (0, 0, 0, 0);
        for i in 0..self.packets() {
            let pk = self.packet(i);
            if pk.from_orig {
                c.0 += 1;
                c.1 += header + pk.payload;
            } else {
                c.2 += 1;
                c.3 += header + pk.payload;
            }
        }
        c
    }
}

/// Packets needed for `bytes` of payload.
fn chunks(bytes: u64) -> usize {
    usize::try_from(bytes.div_ceil(TCP_CHUNK)).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(shape: Shape, dur_us: i64, ob: u64, rb: u64) -> Conn {
        Conn {
            ts_us: 1_000_000,
            orig: Ipv4Addr::new(10, 0, 0, 1),
            orig_p: 50_000,
            resp: Ipv4Addr::new(10, 0, 0, 2),
            resp_p: 443,
            shape,
            dur_us,
            orig_bytes: ob,
            resp_bytes: rb,
        }
    }

    #[test]
    fn packets_carry_the_bytes_and_keep_long_connections_alive() {
        let c = conn(Shape::Established, 2_000_000, 1_000, 150_000);
        // Handshake, 1 + 3 data packets, FIN, FIN, ACK.
        assert_eq!(c.packets(), 10);
        let (op, oip, rp, rip) = c.counts();
        assert_eq!((op, rp), (5, 5));
        assert_eq!(oip, 5 * 40 + 1_000);
        assert_eq!(rip, 5 * 40 + 150_000);
        assert_eq!(c.packet_time(9, 10), 3_000_000);
        let long = conn(Shape::Established, 3 * 3600 * 1_000_000, 10, 10);
        let n = long.packets();
        let widest = (1..n)
            .map(|i| long.packet_time(i, n) - long.packet_time(i - 1, n))
            .max()
            .unwrap_or(0);
        assert!(widest <= MAX_TCP_GAP_US, "{widest}");
        assert_eq!(long.counts().1, (n as u64 - 3) * 40 + 10);
        assert_eq!(conn(Shape::Rejected, 100, 0, 0).counts(), (1, 40, 1, 40));
        assert_eq!(
            conn(Shape::UdpExchange, 100, 40, 90).counts(),
            (1, 68, 1, 118)
        );
        assert_eq!(Shape::Established.history(true, false), "ShADFf");
    }
}
