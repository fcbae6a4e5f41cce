//! One-way flow records joined into connections. nfdump (like NetFlow and IPFIX exporters)
//! writes one record per direction; Zeek and the capture reader have one connection with both.
//! Two records are the two directions of one connection when their protocol and endpoints are
//! mirrored and the later starts no later than [`SLACK_S`] after the earlier one ends.
//!
//! Which record is the originator's: a TCP record with SYN but no ACK (an opening that was
//! never acknowledged by its sender); else the one that started first; at the same start (nfdump
//! 1.7's CSV gives whole seconds), the one from the higher port (the client's ephemeral port
//! against the server's). ICMP records are not joined (a reply has another type than its
//! request, so its endpoints do not mirror), each is a connection of its own.

use std::collections::HashMap;
use std::net::IpAddr;

use super::{tcp, Connection, Ends, FlowRecord};
use crate::data::formats::pcap::decode::flags::{ACK, SYN};
use crate::data::formats::pcap::decode::Proto;

/// Seconds a reply may start after its request ended and still join it (nfdump 1.7's CSV gives
/// start and end times in whole seconds).
pub const SLACK_S: f64 = 1.0;

/// A record's protocol and endpoints.
type Key = (Proto, IpAddr, u16, IpAddr, u16);

/// The connections of `records`, one-way records joined in pairs; records that cover both
/// directions are connections as they are. Sorted by start.
pub fn connections(records: Vec<FlowRecord>) -> Vec<Connection> {
    let mut records = records;
    records.sort_by(|a, b| a.ts.total_cmp(&b.ts));
    let mut open: HashMap<Key, Vec<usize>> = HashMap::new();
    let mut partner: Vec<Option<usize>> = vec![None; records.len()];
    let mut joined = vec![false; records.len()];
    for (i, r) in records.iter().enumerate() {
        if r.dst_bytes.is_some() || r.proto == Proto::Icmp {
            continue;
        }
        let mirror = (r.proto, r.dst, r.dst_port, r.src, r.src_port);
        let found = open.get_mut(&mirror).and_then(|list| {
            let at = list
                .iter()
                .position(|&u| r.ts <= records[u].ts + records[u].duration + SLACK_S)?;
            Some(list.remove(at))
        });
        match found {
            Some(u) => {
                partner[u] = Some(i);
                joined[i] = true;
            }
            None => open
                .entry((r.proto, r.src, r.src_port, r.dst, r.dst_port))
                .or_default()
                .push(i),
        }
    }
    let mut out = Vec::with_capacity(records.len());
    for (i, r) in records.iter().enumerate() {
        if joined[i] {
            continue;
        }
        out.push(match partner[i] {
            Some(j) => two_way(r, &records[j]),
            None => one_record(r),
        });
    }
    out
}

/// The connection of one record (both directions, or one that had no reply).
fn one_record(r: &FlowRecord) -> Connection {
    let state = match (r.proto, r.ends) {
        (_, Ends::State(s)) => s,
        (Proto::Tcp, Ends::Flags { src, dst }) => tcp::state(src, dst),
        (Proto::Udp, _) if r.dst_bytes.unwrap_or(0) > 0 => "SF",
        (Proto::Udp, _) => "S0",
        (Proto::Icmp, _) => "OTH",
    };
    Connection {
        ts: r.ts,
        duration: r.duration,
        orig: r.src,
        resp: r.dst,
        resp_port: r.dst_port,
        orig_bytes: r.src_bytes,
        resp_bytes: r.dst_bytes.unwrap_or(0),
        state,
        lines: [r.line, 0],
    }
}

/// The connection of two mirrored one-way records, `a` the one that started first.
fn two_way(a: &FlowRecord, b: &FlowRecord) -> Connection {
    let flags = |r: &FlowRecord| match r.ends {
        Ends::Flags { src, .. } => src,
        Ends::State(_) => 0,
    };
    let opening = |r: &FlowRecord| r.proto == Proto::Tcp && flags(r) & (SYN | ACK) == SYN;
    let a_first = if opening(a) != opening(b) {
        opening(a)
    } else if a.ts != b.ts {
        true
    } else {
        a.src_port >= b.src_port
    };
    let (o, r) = if a_first { (a, b) } else { (b, a) };
    let state = match o.proto {
        Proto::Tcp => tcp::state(flags(o), Some(flags(r))),
        _ => "SF",
    };
    let end = (o.ts + o.duration).max(r.ts + r.duration);
    let start = o.ts.min(r.ts);
    Connection {
        ts: start,
        duration: end - start,
        orig: o.src,
        resp: o.dst,
        resp_port: o.dst_port,
        orig_bytes: o.src_bytes,
        resp_bytes: r.src_bytes,
        state,
        lines: [o.line, r.line],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(ts: f64, src: u8, sp: u16, dst: u8, dp: u16, flags: &str) -> FlowRecord {
        FlowRecord {
            ts,
            duration: 0.02,
            proto: Proto::Tcp,
            src: IpAddr::from([10, 0, 0, src]),
            src_port: sp,
            dst: IpAddr::from([10, 0, 0, dst]),
            dst_port: dp,
            src_bytes: 100,
            dst_bytes: None,
            ends: Ends::Flags {
                src: tcp::parse_flags(flags),
                dst: None,
            },
            line: 0,
        }
    }

    #[test]
    fn mirrored_records_join_with_the_client_as_originator() {
        // The server's record first, at the same second: the higher port is the client.
        let c = connections(vec![
            rec(1.0, 2, 80, 1, 50001, "...A..SF"),
            rec(1.0, 1, 50001, 2, 80, "...AP.SF"),
            rec(2.0, 1, 50002, 2, 22, "......S."),
            rec(2.0, 2, 22, 1, 50002, "...A.R.."),
            rec(3.0, 1, 50003, 2, 23, "......S."),
            rec(9.0, 2, 80, 1, 50001, "...AP..."),
        ]);
        let got: Vec<_> = c.iter().map(|c| (c.orig, c.resp_port, c.state)).collect();
        let one = IpAddr::from([10, 0, 0, 1]);
        let two = IpAddr::from([10, 0, 0, 2]);
        assert_eq!(
            got,
            vec![
                (one, 80, "SF"),
                (one, 22, "REJ"),
                (one, 23, "S0"),
                (two, 50001, "OTH")
            ]
        );
    }
}
