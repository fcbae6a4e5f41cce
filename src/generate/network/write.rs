//! Writing the connections: a Zeek conn.log as Zeek's ASCII writer writes it (tab-separated,
//! `#` header lines, `-` for unset fields, `(empty)` for empty sets) and a pcap capture of the
//! same connections as packets (Ethernet, IPv4, TCP or UDP headers built with `etherparse`;
//! the payload is declared in the IP header and cut by the snapshot length, as a capture with
//! a short snapshot length has it, so the file stays small).

use std::io::{self, Write};
use std::net::Ipv4Addr;

use etherparse::{EtherType, Ethernet2Header, IpNumber, Ipv4Header, TcpHeader, UdpHeader};

use super::conn::{Conn, Shape, TCP_HEADER, UDP_HEADER};

/// Microseconds in a second.
const S: i64 = 1_000_000;

/// `sec.micro` with six decimals, as Zeek writes `time` and `interval` values.
fn seconds(us: i64) -> String {
    format!("{}.{:06}", us.div_euclid(S), us.rem_euclid(S))
}

/// Zeek's `#open`/`#close` time: `2026-03-02-09-00-00`.
fn stamp(us: i64) -> String {
    match chrono::DateTime::from_timestamp(us.div_euclid(S), 0) {
        Some(t) => t.format("%Y-%m-%d-%H-%M-%S").to_string(),
        None => "1970-01-01-00-00-00".into(),
    }
}

/// The service Zeek's protocol analyzers would name on an established connection to `port`.
fn service(c: &Conn) -> &'static str {
    if !matches!(c.shape, Shape::Established | Shape::UdpExchange) {
        return "-";
    }
    match c.resp_p {
        53 => "dns",
        443 | 853 | 993 => "ssl",
        80 | 8530 => "http",
        25 => "smtp",
        22 => "ssh",
        445 => "smb",
        _ => "-",
    }
}

/// Whether an address is in the office's networks (Zeek's `Site::local_nets` set to
/// 10.0.0.0/8).
fn local(a: Ipv4Addr) -> &'static str {
    if a.octets()[0] == 10 {
        "T"
    } else {
        "F"
    }
}

/// A Zeek connection uid: `C` and 17 base-62 characters from `bits`.
fn uid(mut bits: u128) -> String {
    const DIGITS: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut s = String::with_capacity(18);
    s.push('C');
    for _ in 0..17 {
        s.push(char::from(DIGITS[(bits % 62) as usize]));
        bits /= 62;
    }
    s
}

/// Writes `conns` (in time order) as a Zeek conn.log; `uids` draws each connection's uid.
pub fn conn_log(
    conns: &[Conn],
    mut uids: impl FnMut() -> u128,
    w: &mut impl Write,
) -> io::Result<()> {
    let first = conns.first().map_or(0, |c| c.ts_us);
    let last = conns.iter().map(|c| c.ts_us + c.dur_us).max().unwrap_or(0);
    writeln!(w, "#separator \\x09")?;
    writeln!(w, "#set_separator\t,")?;
    writeln!(w, "#empty_field\t(empty)")?;
    writeln!(w, "#unset_field\t-")?;
    writeln!(w, "#path\tconn")?;
    writeln!(w, "#open\t{}", stamp(first))?;
    writeln!(
        w,
        "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\t\
         orig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\t\
         orig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents"
    )?;
    writeln!(
        w,
        "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\t\
         string\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]"
    )?;
    for c in conns {
        let (op, oip, rp, rip) = c.counts();
        writeln!(
            w,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t0\t{}\t{op}\t{oip}\t{rp}\t{rip}\t(empty)",
            seconds(c.ts_us),
            uid(uids()),
            c.orig,
            c.orig_p,
            c.resp,
            c.resp_p,
            if c.shape.is_udp() { "udp" } else { "tcp" },
            service(c),
            seconds(c.dur_us),
            c.orig_bytes,
            c.resp_bytes,
            c.shape.state(),
            local(c.orig),
            local(c.resp),
            c.shape.history(c.orig_bytes > 0, c.resp_bytes > 0),
        )?;
    }
    writeln!(w, "#close\t{}", stamp(last))?;
    w.flush()
}

/// The Ethernet address of a host: the office's hosts by their IPv4 address, the rest behind
/// the office's router.
fn mac(a: Ipv4Addr) -> [u8; 6] {
    let o = a.octets();
    if o[0] == 10 {
        [0x02, 0x00, o[0], o[1], o[2], o[3]]
    } else {
        [0x02, 0x00, 0x0a, 0x14, 0x00, 0x01]
    }
}

/// The initial sequence numbers of connection `n`'s two ends.
fn isn(n: usize) -> (u32, u32) {
    let x = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    ((x >> 32) as u32, x as u32)
}

/// Writes the packets of `conns` as a pcap capture (microsecond timestamps, Ethernet), in time
/// order; returns the number of packets.
pub fn pcap(conns: &[Conn], w: &mut impl Write) -> io::Result<u64> {
    // Global header: magic, version 2.4, zone 0, accuracy 0, snapshot length, Ethernet.
    w.write_all(&0xa1b2_c3d4u32.to_le_bytes())?;
    w.write_all(&2u16.to_le_bytes())?;
    w.write_all(&4u16.to_le_bytes())?;
    w.write_all(&0i32.to_le_bytes())?;
    w.write_all(&0u32.to_le_bytes())?;
    w.write_all(&65_535u32.to_le_bytes())?;
    w.write_all(&1u32.to_le_bytes())?;
    let mut order: Vec<(i64, u32, u32)> = Vec::new();
    for (n, c) in conns.iter().enumerate() {
        let count = c.packets();
        for i in 0..count {
            order.push((c.packet_time(i, count), n as u32, i as u32));
        }
    }
    order.sort_unstable();
    let mut frame = Vec::with_capacity(64);
    for &(t, n, i) in &order {
        let c = &conns[n as usize];
        frame.clear();
        let declared = write_packet(c, n as usize, i as usize, &mut frame)?;
        let caplen = frame.len() as u32;
        w.write_all(&(t.div_euclid(S) as u32).to_le_bytes())?;
        w.write_all(&(t.rem_euclid(S) as u32).to_le_bytes())?;
        w.write_all(&caplen.to_le_bytes())?;
        w.write_all(&(declared as u32).to_le_bytes())?;
        w.write_all(&frame)?;
    }
    w.flush()?;
    Ok(order.len() as u64)
}

/// The headers of packet `i` of connection `c` (number `n`) into `out`; gives the length of
/// the whole frame on the wire.
fn write_packet(c: &Conn, n: usize, i: usize, out: &mut Vec<u8>) -> io::Result<usize> {
    let p = c.packet(i);
    let (src, dst, sport, dport) = if p.from_orig {
        (c.orig, c.resp, c.orig_p, c.resp_p)
    } else {
        (c.resp, c.orig, c.resp_p, c.orig_p)
    };
    let transport = if c.shape.is_udp() {
        UDP_HEADER
    } else {
        TCP_HEADER
    };
    let invalid = |e: String| io::Error::new(io::ErrorKind::InvalidInput, e);
    let ip_payload = u16::try_from(transport + p.payload).map_err(|e| invalid(e.to_string()))?;
    Ethernet2Header {
        source: mac(src),
        destination: mac(dst),
        ether_type: EtherType::IPV4,
    }
    .write(out)?;
    let proto = if c.shape.is_udp() {
        IpNumber::UDP
    } else {
        IpNumber::TCP
    };
    let mut ip = Ipv4Header::new(ip_payload, 64, proto, src.octets(), dst.octets())
        .map_err(|e| invalid(e.to_string()))?;
    ip.header_checksum = ip.calc_header_checksum();
    ip.write(out)?;
    if c.shape.is_udp() {
        let payload = usize::try_from(p.payload).unwrap_or(usize::MAX);
        UdpHeader::without_ipv4_checksum(sport, dport, payload)
            .map_err(|e| invalid(e.to_string()))?
            .write(out)?;
    } else {
        let (mine, theirs) = if p.from_orig {
            isn(n)
        } else {
            (isn(n).1, isn(n).0)
        };
        let syn = p.flags & 0x02 != 0;
        let seq = if syn {
            mine
        } else {
            mine.wrapping_add(1).wrapping_add(p.sent_before as u32)
        };
        let mut tcp = TcpHeader::new(sport, dport, seq, 64_240);
        tcp.syn = syn;
        tcp.fin = p.flags & 0x01 != 0;
        tcp.rst = p.flags & 0x04 != 0;
        tcp.ack = p.flags & 0x10 != 0;
        if tcp.ack {
            tcp.acknowledgment_number = theirs.wrapping_add(1);
        }
        tcp.write(out)?;
    }
    Ok(14 + 20 + usize::from(ip_payload))
}
