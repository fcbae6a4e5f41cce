//! Packets assembled into bidirectional flows, the connections Zeek's `conn.log` lists: one flow
//! per protocol and pair of endpoints (address and port) while packets keep coming, with start,
//! duration, packets and bytes each way and, for TCP, Zeek's `conn_state`.
//!
//! Written here rather than taken from a crate: this is the product's core (what a capture means
//! as connections), and it follows Zeek's definitions, which no flow crate reproduces. What it
//! does, and where it is simpler than Zeek:
//!
//! - The originator is the sender of the flow's first packet, except that a first TCP segment
//!   with SYN and ACK (a reply whose SYN was not captured) makes its receiver the originator.
//!   Zeek also swaps ends by well-known server ports; this does not.
//! - A flow ends when no packet came for its idle timeout, Zeek's defaults: 5 minutes for TCP
//!   (`tcp_inactivity_timeout`), 1 minute for UDP and ICMP (`udp_inactivity_timeout`,
//!   `icmp_inactivity_timeout`); and a TCP flow that was closed (FIN from both ends) or reset
//!   ends when a new SYN on the same endpoints opens the next one.
//! - Bytes are payload bytes as the IP and TCP/UDP headers declare them, retransmissions counted
//!   again (Zeek counts TCP bytes from sequence numbers, once); IP bytes are the IP lengths.
//! - ICMP: the two ends and the message type make the flow (an echo reply joins its request's
//!   flow); `orig_p` is the type and `resp_p` the code, as in Zeek. IP fragments are not
//!   reassembled.
//! - TCP endpoint states follow Zeek's TCP analyzer in outline (an endpoint that sent a SYN is
//!   `SYN_SENT`, the SYN-ACK of an answered SYN makes the responder `ESTABLISHED`, the
//!   originator's next ACK makes it `ESTABLISHED`, FIN `CLOSED`, RST `RESET`, data without a SYN
//!   `PARTIAL`), without its sequence-number checks; [`conn_state`] then names the connection
//!   exactly as Zeek's `conn_state` function in `base/protocols/conn/main.zeek` does.
//!
//! Memory: only flows still receiving packets are held ([`FlowTable::sweep`] ends idle ones as
//! capture time passes); past [`MAX_ACTIVE`] at once, the longest-idle are ended early and
//! counted.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::net::IpAddr;

use rayon::slice::ParallelSliceMut;

use super::decode::{flags, Packet, Proto};

/// Idle timeout of a TCP flow, seconds (Zeek's `tcp_inactivity_timeout`).
pub const TCP_TIMEOUT_S: f64 = 300.0;
/// Idle timeout of a UDP or ICMP flow, seconds (Zeek's `udp_inactivity_timeout` and
/// `icmp_inactivity_timeout`).
pub const UDP_TIMEOUT_S: f64 = 60.0;
/// Flows held at once; past it, the longest-idle quarter is ended early.
pub const MAX_ACTIVE: usize = 1 << 19;
/// Capture seconds between sweeps for idle flows.
const SWEEP_EVERY_S: f64 = 10.0;

/// One connection assembled from packets.
#[derive(Debug, Clone, PartialEq)]
pub struct Flow {
    /// Transport protocol.
    pub proto: Proto,
    /// Originator address (`id.orig_h`).
    pub orig: IpAddr,
    /// Originator port (`id.orig_p`; the ICMP type).
    pub orig_port: u16,
    /// Responder address (`id.resp_h`).
    pub resp: IpAddr,
    /// Responder port (`id.resp_p`; the ICMP code).
    pub resp_port: u16,
    /// Time of the first packet, seconds since 1970 (`ts`).
    pub start: f64,
    /// Time of the last packet.
    pub last: f64,
    /// Packets from the originator (`orig_pkts`).
    pub orig_packets: u64,
    /// Packets from the responder (`resp_pkts`).
    pub resp_packets: u64,
    /// Payload bytes from the originator (`orig_bytes`).
    pub orig_bytes: u64,
    /// Payload bytes from the responder (`resp_bytes`).
    pub resp_bytes: u64,
    /// IP bytes from the originator (`orig_ip_bytes`).
    pub orig_ip_bytes: u64,
    /// IP bytes from the responder (`resp_ip_bytes`).
    pub resp_ip_bytes: u64,
    /// Zeek's `conn_state` (see [`conn_state`]).
    pub state: &'static str,
    /// TCP: what each end sent (originator, responder), to derive the state.
    ends: [Sent; 2],
}

impl Flow {
    /// Where its packets are in the capture.
    pub fn span(&self) -> FlowSpan {
        // As [`key`] makes it from any of its packets: for ICMP both ends carry the request's
        // type (the originator's port here).
        let resp_port = if self.proto == Proto::Icmp {
            self.orig_port
        } else {
            self.resp_port
        };
        let (a, b) = ((self.orig, self.orig_port), (self.resp, resp_port));
        FlowSpan {
            key: if a <= b {
                (self.proto, a, b)
            } else {
                (self.proto, b, a)
            },
            start: self.start,
            last: self.last,
        }
    }

    /// Seconds from the first packet to the last (`duration`).
    pub fn duration(&self) -> f64 {
        self.last - self.start
    }
}

/// The TCP flags and packets one end sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Sent {
    packets: bool,
    syn: bool,
    syn_ack: bool,
    /// An ACK without SYN after the peer's SYN-ACK.
    ack_after_syn_ack: bool,
    fin: bool,
    rst: bool,
}

/// A TCP endpoint's state, as Zeek's TCP analyzer names them (`TCP_INACTIVE`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// Sent nothing.
    Inactive,
    /// Sent a SYN, not yet established.
    SynSent,
    /// Sent a SYN-ACK to a SYN that was not seen.
    SynAckSent,
    /// Sent packets without a SYN (midstream).
    Partial,
    /// Established.
    Established,
    /// Sent a FIN.
    Closed,
    /// Sent a RST.
    Reset,
}

/// Zeek's `conn_state` of a TCP connection from its endpoints' states and whether any payload
/// was sent, transcribed from the `conn_state` function of Zeek's
/// `base/protocols/conn/main.zeek`.
pub fn conn_state(os: Endpoint, rs: Endpoint, no_payload: bool) -> &'static str {
    use Endpoint::*;
    let o_inactive = matches!(os, Inactive | Partial);
    let r_inactive = matches!(rs, Inactive | Partial);
    if rs == Reset {
        if matches!(os, SynSent | SynAckSent) || (os == Reset && no_payload) {
            "REJ"
        } else if o_inactive {
            "RSTRH"
        } else {
            "RSTR"
        }
    } else if os == Reset {
        if r_inactive {
            "RSTOS0"
        } else {
            "RSTO"
        }
    } else if rs == Closed && os == Closed {
        "SF"
    } else if os == Closed {
        if r_inactive {
            "SH"
        } else {
            "S2"
        }
    } else if rs == Closed {
        if o_inactive {
            "SHR"
        } else {
            "S3"
        }
    } else if os == SynSent && rs == Inactive {
        "S0"
    } else if os == Established && rs == Established {
        "S1"
    } else {
        "OTH"
    }
}

/// The endpoint state of `me` (the originator when `is_orig`) facing `peer`.
fn endpoint(me: &Sent, peer: &Sent, is_orig: bool) -> Endpoint {
    if me.rst {
        Endpoint::Reset
    } else if me.fin {
        Endpoint::Closed
    } else if (is_orig && me.syn && peer.syn_ack && me.ack_after_syn_ack)
        || (!is_orig && me.syn_ack && peer.syn)
    {
        Endpoint::Established
    } else if me.syn {
        Endpoint::SynSent
    } else if me.syn_ack {
        Endpoint::SynAckSent
    } else if me.packets {
        Endpoint::Partial
    } else {
        Endpoint::Inactive
    }
}

/// The flow key: protocol and the two endpoints in a fixed order.
pub type Key = (Proto, (IpAddr, u16), (IpAddr, u16));

/// Where a flow's packets are in its capture: its key (the protocol and both ends, in order,
/// as the flow table keys a packet) and the times of its first and last packet. A packet whose
/// key is a flow's and whose time is within its span is one of its packets (flows of one key
/// follow each other in time), so an export finds them again by reading the capture once more.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FlowSpan {
    /// The flow table's key.
    pub key: Key,
    /// Time of the first packet.
    pub start: f64,
    /// Time of the last packet.
    pub last: f64,
}

/// The ICMP type whose flow a message of `t` joins: replies join their requests (echo,
/// timestamp, information, address mask; ICMPv6 echo).
fn icmp_request_type(t: u16) -> u16 {
    match t {
        0 => 8,
        14 => 13,
        16 => 15,
        18 => 17,
        129 => 128,
        other => other,
    }
}

/// The key of packet `p`.
pub fn key(p: &Packet) -> Key {
    let (a, b) = if p.proto == Proto::Icmp {
        let t = icmp_request_type(p.sport);
        ((p.src, t), (p.dst, t))
    } else {
        ((p.src, p.sport), (p.dst, p.dport))
    };
    if a <= b {
        (p.proto, a, b)
    } else {
        (p.proto, b, a)
    }
}

/// The flows being assembled and those ended.
#[derive(Debug, Default)]
pub struct FlowTable {
    /// Keyed with a fixed-seed fast hash (results never depend on a run; the access-log
    /// reader's hasher).
    active: HashMap<Key, Flow, foldhash::fast::FixedState>,
    /// Flows ended, in the order they ended.
    pub done: Vec<Flow>,
    /// Flows ended early because more than [`MAX_ACTIVE`] were active.
    pub ended_early: u64,
    /// Most flows active at once.
    pub peak_active: usize,
    next_sweep: f64,
}

impl FlowTable {
    /// Adds packet `p` seen at `ts` (seconds since 1970).
    pub fn add(&mut self, ts: f64, p: &Packet) {
        if ts >= self.next_sweep {
            self.sweep(ts);
            self.next_sweep = ts + SWEEP_EVERY_S;
        }
        let k = key(p);
        let timeout = if p.proto == Proto::Tcp {
            TCP_TIMEOUT_S
        } else {
            UDP_TIMEOUT_S
        };
        let new_syn = p.proto == Proto::Tcp && p.flags & (flags::SYN | flags::ACK) == flags::SYN;
        // One lookup per packet: an ended flow of the same key is replaced in place by the new
        // one and finished after (nothing else happens in between, so the order is a remove's).
        let ended = match self.active.entry(k) {
            Entry::Occupied(mut slot) => {
                let f = slot.get();
                let over = f.ends.iter().any(|e| e.rst) || f.ends.iter().all(|e| e.fin);
                let ended = (ts - f.last > timeout || (new_syn && over))
                    .then(|| std::mem::replace(slot.get_mut(), start(ts, p)));
                update(slot.get_mut(), ts, p);
                ended
            }
            Entry::Vacant(slot) => {
                update(slot.insert(start(ts, p)), ts, p);
                None
            }
        };
        if let Some(f) = ended {
            self.finish(f);
        }
        if self.active.len() > MAX_ACTIVE {
            self.sweep(ts);
            if self.active.len() > MAX_ACTIVE {
                self.evict(MAX_ACTIVE * 3 / 4);
            }
        }
        self.peak_active = self.peak_active.max(self.active.len());
    }

    /// Ends the flows idle for longer than their timeout at capture time `now`.
    pub fn sweep(&mut self, now: f64) {
        // Taken out in one pass over the table (in its order, as a scan then removals would).
        let idle: Vec<Flow> = self
            .active
            .extract_if(|_, f| {
                let timeout = if f.proto == Proto::Tcp {
                    TCP_TIMEOUT_S
                } else {
                    UDP_TIMEOUT_S
                };
                now - f.last > timeout
            })
            .map(|(_, f)| f)
            .collect();
        for f in idle {
            self.finish(f);
        }
    }

    /// Ends the longest-idle flows until `keep` remain.
    fn evict(&mut self, keep: usize) {
        let mut by_last: Vec<(f64, Key)> = self.active.iter().map(|(k, f)| (f.last, *k)).collect();
        by_last.sort_by(|a, b| a.0.total_cmp(&b.0));
        let n = by_last.len().saturating_sub(keep);
        for (_, k) in by_last.into_iter().take(n) {
            if let Some(f) = self.active.remove(&k) {
                self.ended_early += 1;
                self.finish(f);
            }
        }
    }

    /// Ends every flow and gives all of them, by start time.
    pub fn finish_all(mut self) -> FlowTable {
        let rest: Vec<Flow> = self.active.drain().map(|(_, f)| f).collect();
        for f in rest {
            self.finish(f);
        }
        // By start time, then originator, then the order they ended in (what a stable sort of
        // the flows gives), sorting small keys instead of the flows: a merge sort moved every
        // flow some twenty times, a fifth of a capture's read.
        let mut keys: Vec<(f64, IpAddr, usize)> = self
            .done
            .iter()
            .enumerate()
            .map(|(i, f)| (f.start, f.orig, i))
            .collect();
        keys.par_sort_unstable_by(|a, b| {
            a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2))
        });
        let mut slots: Vec<Option<Flow>> = std::mem::take(&mut self.done)
            .into_iter()
            .map(Some)
            .collect();
        self.done = keys.iter().filter_map(|k| slots[k.2].take()).collect();
        self
    }

    /// Names the state of an ended flow and keeps it.
    fn finish(&mut self, mut f: Flow) {
        f.state = match f.proto {
            Proto::Tcp => conn_state(
                endpoint(&f.ends[0], &f.ends[1], true),
                endpoint(&f.ends[1], &f.ends[0], false),
                f.orig_bytes == 0 && f.resp_bytes == 0,
            ),
            // Zeek's UDP states: both ends active SF, only the originator S0.
            Proto::Udp if f.resp_packets > 0 => "SF",
            Proto::Udp => "S0",
            Proto::Icmp => "OTH",
        };
        self.done.push(f);
    }
}

/// A new flow whose first packet is `p`.
fn start(ts: f64, p: &Packet) -> Flow {
    let reply_first =
        p.proto == Proto::Tcp && p.flags & (flags::SYN | flags::ACK) == flags::SYN | flags::ACK;
    let (orig, orig_port, resp, resp_port) = if p.proto == Proto::Icmp {
        (p.src, icmp_request_type(p.sport), p.dst, p.dport)
    } else if reply_first {
        (p.dst, p.dport, p.src, p.sport)
    } else {
        (p.src, p.sport, p.dst, p.dport)
    };
    Flow {
        proto: p.proto,
        orig,
        orig_port,
        resp,
        resp_port,
        start: ts,
        last: ts,
        orig_packets: 0,
        resp_packets: 0,
        orig_bytes: 0,
        resp_bytes: 0,
        orig_ip_bytes: 0,
        resp_ip_bytes: 0,
        state: "",
        ends: [Sent::default(); 2],
    }
}

/// Counts packet `p` at `ts` into flow `f`.
fn update(f: &mut Flow, ts: f64, p: &Packet) {
    let from_orig = if p.proto == Proto::Icmp {
        p.src == f.orig
    } else {
        p.src == f.orig && p.sport == f.orig_port
    };
    f.start = f.start.min(ts);
    f.last = f.last.max(ts);
    let side = usize::from(!from_orig);
    if from_orig {
        f.orig_packets += 1;
        f.orig_bytes += p.payload;
        f.orig_ip_bytes += p.ip_bytes;
    } else {
        f.resp_packets += 1;
        f.resp_bytes += p.payload;
        f.resp_ip_bytes += p.ip_bytes;
    }
    let peer_syn_ack = f.ends[1 - side].syn_ack;
    let e = &mut f.ends[side];
    e.packets = true;
    if p.proto != Proto::Tcp {
        return;
    }
    let syn = p.flags & flags::SYN != 0;
    let ack = p.flags & flags::ACK != 0;
    e.syn |= syn && !ack;
    e.syn_ack |= syn && ack;
    e.ack_after_syn_ack |= !syn && ack && peer_syn_ack;
    e.fin |= p.flags & flags::FIN != 0;
    e.rst |= p.flags & flags::RST != 0;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A TCP segment from `a`:`ap` to `b`:`bp` with `f` flags and `len` payload bytes.
    fn tcp(a: u8, ap: u16, b: u8, bp: u16, f: u8, len: u64) -> Packet {
        Packet {
            src: IpAddr::from([10, 0, 0, a]),
            dst: IpAddr::from([10, 0, 0, b]),
            proto: Proto::Tcp,
            sport: ap,
            dport: bp,
            flags: f,
            payload: len,
            ip_bytes: 40 + len,
        }
    }

    /// The flows of `packets`, one per second.
    fn flows(packets: &[Packet]) -> Vec<Flow> {
        let mut t = FlowTable::default();
        for (i, p) in packets.iter().enumerate() {
            t.add(1000.0 + i as f64, p);
        }
        t.finish_all().done
    }

    const S: u8 = flags::SYN;
    const A: u8 = flags::ACK;
    const F: u8 = flags::FIN;
    const R: u8 = flags::RST;

    #[test]
    fn zeek_states_of_the_usual_exchanges() {
        let state = |ps: &[Packet]| flows(ps)[0].state;
        // Normal open, data, close from both ends.
        let sf = [
            tcp(1, 5000, 2, 80, S, 0),
            tcp(2, 80, 1, 5000, S | A, 0),
            tcp(1, 5000, 2, 80, A, 0),
            tcp(1, 5000, 2, 80, A, 100),
            tcp(2, 80, 1, 5000, A, 2000),
            tcp(1, 5000, 2, 80, F | A, 0),
            tcp(2, 80, 1, 5000, F | A, 0),
            tcp(1, 5000, 2, 80, A, 0),
        ];
        assert_eq!(state(&sf), "SF");
        assert_eq!(state(&sf[..5]), "S1");
        assert_eq!(state(&sf[..1]), "S0");
        assert_eq!(state(&[sf[0], tcp(2, 80, 1, 5000, R | A, 0)]), "REJ");
        assert_eq!(state(&[sf[0], sf[1], tcp(1, 5000, 2, 80, R, 0)]), "RSTO");
        assert_eq!(state(&[sf[0], tcp(1, 5000, 2, 80, R, 0)]), "RSTOS0");
        assert_eq!(
            state(&[sf[0], sf[1], sf[2], sf[3], tcp(2, 80, 1, 5000, R, 0)]),
            "RSTR"
        );
        assert_eq!(state(&[sf[0], sf[5]]), "SH");
        // Midstream traffic without a SYN.
        assert_eq!(state(&[sf[3], sf[4]]), "OTH");
        let f = &flows(&sf)[0];
        assert_eq!((f.orig_packets, f.resp_packets), (5, 3));
        assert_eq!((f.orig_bytes, f.resp_bytes), (100, 2000));
        assert_eq!((f.orig_ip_bytes, f.resp_ip_bytes), (300, 2120));
        assert_eq!(f.duration(), 7.0);
        assert_eq!(f.orig, IpAddr::from([10, 0, 0, 1]));
    }

    #[test]
    fn a_syn_ack_first_makes_its_receiver_the_originator() {
        let f = &flows(&[tcp(2, 80, 1, 5000, S | A, 0), tcp(1, 5000, 2, 80, A, 0)])[0];
        assert_eq!(
            (f.orig, f.orig_port, f.resp_port),
            (IpAddr::from([10, 0, 0, 1]), 5000, 80)
        );
    }

    #[test]
    fn idle_timeout_and_port_reuse_start_new_flows() {
        let mut t = FlowTable::default();
        let q = Packet {
            proto: Proto::Udp,
            flags: 0,
            ..tcp(1, 5353, 2, 53, 0, 30)
        };
        t.add(0.0, &q);
        t.add(59.0, &q);
        t.add(200.0, &q); // more than a minute after the last: a new flow
        let syn = tcp(1, 5000, 2, 22, S, 0);
        let rej = tcp(2, 22, 1, 5000, R | A, 0);
        for k in 0..3 {
            t.add(300.0 + f64::from(k), &syn);
            t.add(300.5 + f64::from(k), &rej);
        }
        let done = t.finish_all().done;
        let udp: Vec<u64> = done
            .iter()
            .filter(|f| f.proto == Proto::Udp)
            .map(|f| f.orig_packets)
            .collect();
        assert_eq!(udp, vec![2, 1]);
        let rejected = done.iter().filter(|f| f.state == "REJ").count();
        assert_eq!(rejected, 3);
    }

    #[test]
    fn icmp_echo_reply_joins_its_request() {
        let ping = |a: u8, b: u8, t: u16| Packet {
            proto: Proto::Icmp,
            sport: t,
            dport: 0,
            flags: 0,
            ..tcp(a, 0, b, 0, 0, 56)
        };
        let done = flows(&[ping(1, 2, 8), ping(2, 1, 0), ping(1, 2, 8), ping(2, 1, 0)]);
        assert_eq!(done.len(), 1);
        assert_eq!((done[0].orig_packets, done[0].resp_packets), (2, 2));
        assert_eq!((done[0].orig_port, done[0].state), (8, "OTH"));
    }

    #[test]
    fn too_many_active_flows_end_the_longest_idle() {
        let mut t = FlowTable::default();
        for i in 0..(MAX_ACTIVE as u32 + 1) {
            let p = Packet {
                src: IpAddr::from(i.to_be_bytes()),
                ..tcp(1, 1, 2, 80, S, 0)
            };
            t.add(1.0 + f64::from(i) * 1e-6, &p);
        }
        assert_eq!(t.ended_early, (MAX_ACTIVE + 1 - MAX_ACTIVE * 3 / 4) as u64);
        assert_eq!(t.peak_active, MAX_ACTIVE);
        let done = t.finish_all().done;
        assert_eq!(done.len(), MAX_ACTIVE + 1);
    }
}
