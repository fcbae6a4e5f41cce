//! One captured frame to the fields a flow needs: the link-layer header by the interface's link
//! type (Ethernet with its VLAN tags, raw IP, BSD loopback, Linux cooked capture v1 and v2), then
//! IPv4 or IPv6 and TCP, UDP or ICMP, sliced by `etherparse` without copying. Frames cut short
//! by the capture's snapshot length keep the lengths their IP header declares.

use std::net::IpAddr;

use etherparse::{EtherType, LaxNetSlice, LaxSlicedPacket, TransportSlice};

/// The link types read (numbers from <https://www.tcpdump.org/linktypes.html>).
pub mod link {
    /// BSD loopback: a 4-byte address family in the capturing host's byte order.
    pub const NULL: i32 = 0;
    /// Ethernet (with 802.1Q/802.1ad VLAN tags).
    pub const ETHERNET: i32 = 1;
    /// Raw IP as some BSDs number it.
    pub const RAW_BSD: i32 = 12;
    /// Raw IP as OpenBSD numbers it.
    pub const RAW_OPENBSD: i32 = 14;
    /// Raw IPv4 or IPv6.
    pub const RAW: i32 = 101;
    /// OpenBSD loopback: a 4-byte address family in network byte order.
    pub const LOOP: i32 = 108;
    /// Linux cooked capture v1 (`tcpdump -i any`).
    pub const LINUX_SLL: i32 = 113;
    /// Raw IPv4.
    pub const IPV4: i32 = 228;
    /// Raw IPv6.
    pub const IPV6: i32 = 229;
    /// Linux cooked capture v2.
    pub const LINUX_SLL2: i32 = 276;

    /// Whether frames of link type `linktype` are read.
    pub fn is_read(linktype: i32) -> bool {
        [
            NULL,
            ETHERNET,
            RAW_BSD,
            RAW_OPENBSD,
            RAW,
            LOOP,
            LINUX_SLL,
            IPV4,
            IPV6,
            LINUX_SLL2,
        ]
        .contains(&linktype)
    }

    /// The link types read, in words, for messages.
    pub const READ: &str = "Ethernet (1), raw IP (101, 228, 229), BSD loopback (0, 108) and Linux cooked capture (113, 276)";
}

/// The transport protocol of a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Proto {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
    /// ICMP or ICMPv6.
    Icmp,
}

impl Proto {
    /// Zeek's name (`proto` field of conn.log).
    pub fn name(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
            Proto::Icmp => "icmp",
        }
    }
}

/// TCP flags of a segment.
pub mod flags {
    /// FIN.
    pub const FIN: u8 = 0x01;
    /// SYN.
    pub const SYN: u8 = 0x02;
    /// RST.
    pub const RST: u8 = 0x04;
    /// ACK.
    pub const ACK: u8 = 0x10;
}

/// The fields of one IP packet that its flow needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet {
    /// Sender.
    pub src: IpAddr,
    /// Receiver.
    pub dst: IpAddr,
    /// Transport protocol.
    pub proto: Proto,
    /// Sender's port (for ICMP: the message type, as Zeek puts it in `id.orig_p`).
    pub sport: u16,
    /// Receiver's port (for ICMP: the message code, as Zeek puts it in `id.resp_p`).
    pub dport: u16,
    /// TCP flags ([`flags`]), 0 for UDP and ICMP.
    pub flags: u8,
    /// Transport payload bytes (TCP or UDP data, the ICMP message body), as the headers declare.
    pub payload: u64,
    /// IP bytes (the IP header's length).
    pub ip_bytes: u64,
}

/// What one frame is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// An IP packet of TCP, UDP or ICMP.
    Packet(Packet),
    /// Not a TCP, UDP or ICMP packet over IP (ARP, spanning tree, IGMP, GRE, ...): no flow.
    Other,
    /// A later IP fragment (fragments are not reassembled; the first fragment counts for the
    /// flow with the length it declares).
    Fragment,
    /// Headers that cannot be read, and why.
    Damaged(String),
}

/// Reads one frame of link type `linktype` (one of [`link::is_read`]).
pub fn frame(linktype: i32, data: &[u8]) -> Frame {
    if linktype == link::ETHERNET {
        if let Some(packet) = ethernet_ipv4(data) {
            return Frame::Packet(packet);
        }
    }
    sliced_frame(linktype, data)
}

/// The most common frame read by hand: Ethernet (with up to two VLAN tags) carrying an
/// unfragmented IPv4 packet whose TCP or UDP header is whole. `None` for anything else (IPv6,
/// ICMP, fragments, other link layers, damaged or cut headers), which [`sliced_frame`] reads.
///
/// Why by hand: etherparse's `LaxSlicedPacket` is a struct of a few hundred bytes that its
/// cursor copies by value at every layer; on a 200 MB capture those copies were an eighth of the
/// whole read's CPU time (perf). This reads the dozen fields a flow needs in place and gives the
/// same [`Packet`] as etherparse does for these frames (`fast_path_matches_etherparse` compares
/// the two on every cut of every frame shape).
fn ethernet_ipv4(data: &[u8]) -> Option<Packet> {
    let be16 = |at: usize| -> Option<u16> {
        let b = data.get(at..at + 2)?;
        Some(u16::from_be_bytes([b[0], b[1]]))
    };
    let mut at = 12;
    let mut ether_type = be16(at)?;
    // 802.1Q and 802.1ad tags: 4 bytes each, the inner EtherType at their end.
    for _ in 0..2 {
        if matches!(ether_type, 0x8100 | 0x88a8 | 0x9100) {
            at += 4;
            ether_type = be16(at)?;
        }
    }
    if ether_type != 0x0800 {
        return None;
    }
    let ip = data.get(at + 2..)?;
    let first = *ip.first()?;
    let ihl = usize::from(first & 0x0f) * 4;
    if first >> 4 != 4 || ihl < 20 || ip.len() < ihl {
        return None;
    }
    let total = usize::from(u16::from_be_bytes([ip[2], ip[3]]));
    // More fragments, or a fragment offset: etherparse's reading (a later fragment).
    let fragmenting = u16::from_be_bytes([ip[6], ip[7]]) & 0x3fff != 0;
    if total < ihl || fragmenting {
        return None;
    }
    // The payload as far as the frame holds it, cut at the declared length (Ethernet padding).
    let payload = ip.get(ihl..total.min(ip.len()))?;
    let declared = (total - ihl) as u64;
    let (proto, header) = match ip[9] {
        6 => {
            let offset = usize::from(payload.get(12)? >> 4) * 4;
            if offset < 20 || payload.len() < offset {
                return None;
            }
            (Proto::Tcp, offset)
        }
        17 => {
            let length = u16::from_be_bytes([*payload.get(4)?, *payload.get(5)?]);
            if length < 8 || payload.len() < 8 {
                return None;
            }
            (Proto::Udp, 8)
        }
        _ => return None,
    };
    let flags = match proto {
        Proto::Tcp => payload[13] & (flags::FIN | flags::SYN | flags::RST | flags::ACK),
        _ => 0,
    };
    let address = |at: usize| IpAddr::from([ip[at], ip[at + 1], ip[at + 2], ip[at + 3]]);
    Some(Packet {
        src: address(12),
        dst: address(16),
        proto,
        sport: u16::from_be_bytes([payload[0], payload[1]]),
        dport: u16::from_be_bytes([payload[2], payload[3]]),
        flags,
        payload: declared.saturating_sub(header as u64),
        ip_bytes: total as u64,
    })
}

/// Reads one frame of link type `linktype` through etherparse (every frame shape).
fn sliced_frame(linktype: i32, data: &[u8]) -> Frame {
    let sliced = match linktype {
        link::ETHERNET => LaxSlicedPacket::from_ethernet(data).map_err(|e| e.to_string()),
        link::RAW | link::RAW_BSD | link::RAW_OPENBSD | link::IPV4 | link::IPV6 => ip(data),
        link::NULL | link::LOOP => match data.get(..4) {
            Some(family) => {
                let family: [u8; 4] = [family[0], family[1], family[2], family[3]];
                // NULL is in the capturing host's byte order: either reads as a small number.
                let le = u32::from_le_bytes(family);
                let be = u32::from_be_bytes(family);
                match le.min(be) {
                    2 | 24 | 28 | 30 => ip(&data[4..]),
                    _ => return Frame::Other,
                }
            }
            None => Err("shorter than the 4-byte loopback header".into()),
        },
        link::LINUX_SLL => cooked(data, 16, 14),
        link::LINUX_SLL2 => cooked(data, 20, 0),
        other => Err(format!("link type {other} is not read")),
    };
    match sliced {
        Ok(p) => packet(&p),
        Err(e) => Frame::Damaged(e),
    }
}

/// A frame that starts with an IP header.
fn ip(data: &[u8]) -> Result<LaxSlicedPacket<'_>, String> {
    LaxSlicedPacket::from_ip(data).map_err(|e| e.to_string())
}

/// A Linux cooked capture frame: a `header`-byte header with the EtherType at `at`.
fn cooked(data: &[u8], header: usize, at: usize) -> Result<LaxSlicedPacket<'_>, String> {
    match (data.get(at..at + 2), data.get(header..)) {
        (Some(t), Some(rest)) => Ok(LaxSlicedPacket::from_ether_type(
            EtherType(u16::from_be_bytes([t[0], t[1]])),
            rest,
        )),
        _ => Err(format!(
            "shorter than the {header}-byte Linux cooked capture header"
        )),
    }
}

/// The flow fields of a sliced frame.
fn packet(p: &LaxSlicedPacket<'_>) -> Frame {
    let (src, dst, ip_bytes, payload) = match &p.net {
        Some(LaxNetSlice::Ipv4(v4)) => {
            let h = v4.header();
            let declared = usize::from(h.total_len()).saturating_sub(usize::from(h.ihl()) * 4);
            (
                IpAddr::from(h.source()),
                IpAddr::from(h.destination()),
                u64::from(h.total_len()),
                (v4.payload(), declared),
            )
        }
        Some(LaxNetSlice::Ipv6(v6)) => {
            let h = v6.header();
            (
                IpAddr::from(h.source()),
                IpAddr::from(h.destination()),
                40 + u64::from(h.payload_length()),
                (v6.payload(), usize::from(h.payload_length())),
            )
        }
        Some(LaxNetSlice::Arp(_)) => return Frame::Other,
        None => {
            return match &p.stop_err {
                Some((e, _)) => Frame::Damaged(e.to_string()),
                None => Frame::Other,
            }
        }
    };
    let (ip_payload, declared) = payload;
    // Cut by the snapshot length: the length the header declares (TCP segmentation offload
    // captures declare 0 and carry the whole payload, so the larger of the two).
    let ip_payload_len = if ip_payload.incomplete {
        declared.max(ip_payload.payload.len())
    } else {
        ip_payload.payload.len()
    } as u64;
    let ip_bytes = ip_bytes.max(ip_payload_len);
    let (proto, sport, dport, flags, header_len) = match &p.transport {
        Some(TransportSlice::Tcp(t)) => {
            let mut f = 0;
            for (set, bit) in [
                (t.fin(), flags::FIN),
                (t.syn(), flags::SYN),
                (t.rst(), flags::RST),
                (t.ack(), flags::ACK),
            ] {
                if set {
                    f |= bit;
                }
            }
            let header = t.slice().len() - t.payload().len();
            (Proto::Tcp, t.source_port(), t.destination_port(), f, header)
        }
        Some(TransportSlice::Udp(u)) => (Proto::Udp, u.source_port(), u.destination_port(), 0, 8),
        Some(TransportSlice::Icmpv4(i)) => (
            Proto::Icmp,
            u16::from(i.type_u8()),
            u16::from(i.code_u8()),
            0,
            i.header_len(),
        ),
        Some(TransportSlice::Icmpv6(i)) => (
            Proto::Icmp,
            u16::from(i.type_u8()),
            u16::from(i.code_u8()),
            0,
            i.header_len(),
        ),
        Some(_) => return Frame::Other,
        None if ip_payload.fragmented => return Frame::Fragment,
        None => {
            return match &p.stop_err {
                Some((e, _)) => Frame::Damaged(e.to_string()),
                None => Frame::Other,
            }
        }
    };
    Frame::Packet(Packet {
        src,
        dst,
        proto,
        sport,
        dport,
        flags,
        payload: ip_payload_len.saturating_sub(header_len as u64),
        ip_bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use etherparse::PacketBuilder;

    /// An Ethernet frame with a VLAN tag carrying TCP from 10.0.0.1:4000 to 10.0.0.2:80.
    fn vlan_tcp(payload: &[u8]) -> Vec<u8> {
        let builder = PacketBuilder::ethernet2([1; 6], [2; 6])
            .single_vlan(etherparse::VlanId::try_new(7).expect("vlan id"))
            .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
            .tcp(4000, 80, 1, 1000)
            .syn();
        let mut out = Vec::new();
        builder.write(&mut out, payload).expect("in memory");
        out
    }

    #[test]
    fn vlan_tcp_and_a_cut_frame_keep_their_declared_lengths() {
        let full = vlan_tcp(&[7; 100]);
        let Frame::Packet(p) = frame(link::ETHERNET, &full) else {
            panic!("expected a packet");
        };
        assert_eq!(p.src, IpAddr::from([10, 0, 0, 1]));
        assert_eq!((p.sport, p.dport, p.proto), (4000, 80, Proto::Tcp));
        assert_eq!(p.flags, flags::SYN);
        assert_eq!((p.payload, p.ip_bytes), (100, 140));
        // Cut to 70 bytes by the snapshot length: the same lengths.
        assert_eq!(frame(link::ETHERNET, &full[..70]), Frame::Packet(p));
    }

    #[test]
    fn fast_path_matches_etherparse() {
        let tcp = |vlans: usize, payload: usize, fin: bool| {
            let b = PacketBuilder::ethernet2([1; 6], [2; 6]);
            let b = match vlans {
                0 => b.ipv4([10, 0, 0, 1], [192, 168, 1, 2], 64),
                1 => b
                    .single_vlan(etherparse::VlanId::try_new(7).expect("vlan"))
                    .ipv4([10, 0, 0, 1], [192, 168, 1, 2], 64),
                _ => b
                    .double_vlan(
                        etherparse::VlanId::try_new(7).expect("vlan"),
                        etherparse::VlanId::try_new(9).expect("vlan"),
                    )
                    .ipv4([10, 0, 0, 1], [192, 168, 1, 2], 64),
            };
            let b = b.tcp(4000, 443, 1, 1000).ack(5);
            let b = if fin { b.fin().rst() } else { b.syn() };
            let mut out = Vec::new();
            b.write(&mut out, &vec![3; payload]).expect("in memory");
            out
        };
        let udp = |payload: usize| {
            let b = PacketBuilder::ethernet2([1; 6], [2; 6])
                .ipv4([10, 0, 0, 9], [8, 8, 8, 8], 64)
                .udp(5353, 53);
            let mut out = Vec::new();
            b.write(&mut out, &vec![1; payload]).expect("in memory");
            out
        };
        let mut frames = vec![
            tcp(0, 0, false),
            tcp(0, 100, true),
            tcp(1, 30, false),
            tcp(2, 30, true),
            udp(0),
            udp(40),
        ];
        // Ethernet padding after a short packet, a TCP header with options, IPv4 options.
        let mut padded = udp(2);
        padded.extend_from_slice(&[0; 20]);
        frames.push(padded);
        let mut options = tcp(0, 10, false);
        options[14 + 20 + 12] = 0x60; // data offset 6: 4 bytes of options (of the payload)
        frames.push(options);
        let mut ip_options = udp(12);
        ip_options[14] = 0x46; // IHL 6: the first 4 bytes of the UDP header read as options
        frames.push(ip_options);
        let mut fragment = udp(12);
        fragment[14 + 6] = 0x20; // more fragments
        frames.push(fragment);
        let mut icmp = udp(12);
        icmp[14 + 9] = 1;
        frames.push(icmp);
        let mut zero_length = tcp(0, 10, false);
        zero_length[14 + 2] = 0;
        zero_length[14 + 3] = 0;
        frames.push(zero_length);
        let mut fast = 0;
        for f in &frames {
            for cut in 0..=f.len() {
                let data = &f[..cut];
                if let Some(p) = ethernet_ipv4(data) {
                    fast += 1;
                    assert_eq!(
                        Frame::Packet(p),
                        sliced_frame(link::ETHERNET, data),
                        "frame {f:?} cut at {cut}"
                    );
                }
                assert_eq!(frame(link::ETHERNET, data).clone(), {
                    let slow = sliced_frame(link::ETHERNET, data);
                    match ethernet_ipv4(data) {
                        Some(p) => Frame::Packet(p),
                        None => slow,
                    }
                });
            }
        }
        assert!(fast > 200, "the fast path read {fast} frames");
    }

    #[test]
    fn udp_over_ipv6_raw_and_loopback() {
        let builder = PacketBuilder::ipv6([0xfe; 16], [0xfd; 16], 64).udp(5353, 53);
        let mut ip6 = Vec::new();
        builder.write(&mut ip6, &[1; 30]).expect("in memory");
        let Frame::Packet(p) = frame(link::RAW, &ip6) else {
            panic!("expected a packet");
        };
        assert_eq!(
            (p.proto, p.sport, p.dport, p.payload),
            (Proto::Udp, 5353, 53, 30)
        );
        let mut null = 30u32.to_le_bytes().to_vec();
        null.extend_from_slice(&ip6);
        assert_eq!(frame(link::NULL, &null), Frame::Packet(p));
        let mut sll = vec![0; 14];
        sll.extend_from_slice(&[0x86, 0xdd]);
        sll.extend_from_slice(&ip6);
        assert_eq!(frame(link::LINUX_SLL, &sll), Frame::Packet(p));
    }

    #[test]
    fn arp_damaged_and_short_frames() {
        let mut arp = vec![2; 12];
        arp.extend_from_slice(&[0x08, 0x06]);
        arp.extend_from_slice(&[0; 28]);
        assert_eq!(frame(link::ETHERNET, &arp), Frame::Other);
        let mut bad_ip = vec![2; 12];
        bad_ip.extend_from_slice(&[0x08, 0x00, 0x45]);
        assert!(matches!(frame(link::ETHERNET, &bad_ip), Frame::Damaged(_)));
        assert!(matches!(
            frame(link::ETHERNET, &[1, 2, 3]),
            Frame::Damaged(_)
        ));
        assert!(matches!(
            frame(link::LINUX_SLL2, &[0; 10]),
            Frame::Damaged(_)
        ));
        assert!(matches!(frame(link::RAW, &[0x45]), Frame::Damaged(_)));
    }
}
