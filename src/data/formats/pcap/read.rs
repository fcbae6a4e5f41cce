//! A whole capture read into flows: the container's packets ([`super::container`]) decoded
//! ([`super::decode`]) and assembled ([`super::flow`]), with every packet that made no flow
//! counted by why; then the flows as the connections of a [`ConnLog`], so the hosts view,
//! detectors and reasons of Zeek's conn.log apply unchanged.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use super::container::{packets, End, Unreadable};
use super::decode::{frame, link, Frame, Packet};
use super::flow::{Flow, FlowTable};
use crate::control::Control;
use crate::data::access::read::{open, SAMPLES};
use crate::data::access::Malformed;
use crate::data::formats::zeek::{is_failed, ConnLog};
use crate::data::{FileKind, LoadError, Source};

/// Decoded packets handed to the flow assembler at once.
const BATCH: usize = 4096;

/// Batches waiting for the assembler before the decoder waits (bounds the memory in flight).
const BATCHES_IN_FLIGHT: usize = 8;

/// What a capture held.
#[derive(Debug)]
pub struct Capture {
    /// The flows, by start time.
    pub flows: Vec<Flow>,
    /// Packets read.
    pub packets: u64,
    /// Packets that are not TCP, UDP or ICMP over IP (ARP, IGMP, ...).
    pub other: u64,
    /// Later IP fragments (not reassembled).
    pub fragments: u64,
    /// Packets whose headers could not be read.
    pub damaged: u64,
    /// The first damaged packets (`line` is the packet number).
    pub samples: Vec<Malformed>,
    /// Packets on interfaces of a link type that is not read, by link type.
    pub unread_links: BTreeMap<i32, u64>,
    /// How reading ended.
    pub end: End,
    /// Flows ended early because too many were active at once.
    pub ended_early: u64,
    /// Most flows active at once.
    pub peak_active: usize,
    /// How long reading took.
    pub parse_time: Duration,
}

impl Capture {
    /// What the packets that made no flow were, in words (empty when every packet made one).
    pub fn unused(&self) -> Vec<String> {
        let mut parts = Vec::new();
        if self.other > 0 {
            parts.push(format!(
                "{} packets not TCP, UDP or ICMP over IP (such as ARP) left out",
                self.other
            ));
        }
        if self.fragments > 0 {
            parts.push(format!(
                "{} later IP fragments left out (fragments are not reassembled)",
                self.fragments
            ));
        }
        for (linktype, n) in &self.unread_links {
            let what = if *linktype < 0 {
                "of an interface no Interface Description Block declares".to_string()
            } else {
                format!("of link type {linktype}")
            };
            parts.push(format!(
                "{n} packets {what} left out (read are {})",
                link::READ
            ));
        }
        if self.ended_early > 0 {
            parts.push(format!(
                "{} flows ended early because more than {} were active at once",
                self.ended_early,
                super::flow::MAX_ACTIVE
            ));
        }
        parts
    }
}

/// Reads the capture in `source` (gzip-compressed when `gzip`).
pub fn read_capture(
    source: &Source,
    gzip: bool,
    control: Control<'_>,
) -> Result<Capture, LoadError> {
    let started = Instant::now();
    let path = source.path();
    let total = source.fingerprint()?.len.max(1) as f64;
    let counter = Arc::new(AtomicU64::new(0));
    let input = open(source, gzip, Arc::clone(&counter))?;
    let mut capture = Capture {
        flows: Vec::new(),
        packets: 0,
        other: 0,
        fragments: 0,
        damaged: 0,
        samples: Vec::new(),
        unread_links: BTreeMap::new(),
        end: End::Complete,
        ended_early: 0,
        peak_active: 0,
        parse_time: Duration::ZERO,
    };
    // Two stages on two threads: this one reads the container and decodes the headers, a
    // second one assembles the decoded packets into flows (in packet order, so the flows are
    // the same as in one pass). Batches keep the channel's cost off each packet.
    let (batches, assembler) = mpsc::sync_channel::<Vec<(f64, Packet)>>(BATCHES_IN_FLIGHT);
    let (end, table) = std::thread::scope(|scope| {
        let assembling = scope.spawn(move || {
            let mut table = FlowTable::default();
            for batch in assembler {
                for (ts, packet) in &batch {
                    table.add(*ts, packet);
                }
            }
            table
        });
        let mut batch = Vec::with_capacity(BATCH);
        let end = packets(input, |p| {
            capture.packets = p.number;
            if p.number.is_multiple_of(1 << 16) {
                if control.cancelled() {
                    return Ok(false);
                }
                control.report((counter.load(Ordering::Relaxed) as f64 / total).min(1.0) as f32);
            }
            if !link::is_read(p.linktype) {
                *capture.unread_links.entry(p.linktype).or_default() += 1;
                return Ok(true);
            }
            let damaged = |capture: &mut Capture, reason: String| {
                capture.damaged += 1;
                if capture.samples.len() < SAMPLES {
                    capture.samples.push(Malformed {
                        line: p.number,
                        reason,
                        text: String::new(),
                    });
                }
            };
            if !p.ts.is_finite() {
                damaged(
                    &mut capture,
                    "its interface gives an invalid timestamp resolution".into(),
                );
                return Ok(true);
            }
            match frame(p.linktype, p.data) {
                Frame::Packet(packet) => {
                    batch.push((p.ts, packet));
                    if batch.len() == BATCH {
                        let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                        // The assembler only stops when this side hangs up, so sending fails only
                        // if it panicked; its join below reports that.
                        let _ = batches.send(full);
                    }
                }
                Frame::Other => capture.other += 1,
                Frame::Fragment => capture.fragments += 1,
                Frame::Damaged(reason) => damaged(&mut capture, reason),
            }
            Ok(true)
        })
        .map_err(|e| match e {
            Unreadable::Header(reason) => LoadError::CaptureUnreadable {
                path: path.to_path_buf(),
                reason,
            },
            Unreadable::Io(reason) => LoadError::CaptureUnreadable {
                path: path.to_path_buf(),
                reason: if gzip {
                    format!("{reason} (damaged gzip data?)")
                } else {
                    reason
                },
            },
        });
        if !batch.is_empty() {
            let _ = batches.send(batch);
        }
        drop(batches);
        let table = assembling.join();
        (end, table)
    });
    let table = table.map_err(|_| LoadError::CaptureUnreadable {
        path: path.to_path_buf(),
        reason: "assembling the flows failed (an internal error)".into(),
    })?;
    let end = end?;
    if end == End::Cancelled {
        return Err(LoadError::Cancelled);
    }
    let table = table.finish_all();
    capture.flows = table.done;
    capture.ended_early = table.ended_early;
    capture.peak_active = table.peak_active;
    capture.end = end;
    capture.parse_time = started.elapsed();
    Ok(capture)
}

/// The flows of `capture` as the connections of a log, for the hosts view.
pub fn conn_log(capture: &Capture, path: &std::path::Path, kind: FileKind) -> ConnLog {
    let n = capture.flows.len();
    let mut log = ConnLog {
        path: path.to_path_buf(),
        fingerprint: None,
        flows: capture.flows.iter().map(Flow::span).collect(),
        record_lines: Vec::new(),
        kind,
        addresses: Vec::new(),
        ts: Vec::with_capacity(n),
        orig: Vec::with_capacity(n),
        resp: Vec::with_capacity(n),
        resp_port: Vec::with_capacity(n),
        duration: Vec::with_capacity(n),
        orig_bytes: Vec::with_capacity(n),
        resp_bytes: Vec::with_capacity(n),
        failed: Vec::with_capacity(n),
        other_fields: Vec::new(),
        lines: capture.packets,
        malformed: capture.damaged,
        samples: capture.samples.clone(),
        parse_time: capture.parse_time,
    };
    let mut ids: HashMap<IpAddr, u32, _> =
        HashMap::with_hasher(crate::data::access::read::hasher());
    for f in &capture.flows {
        let mut id = |a: IpAddr| {
            *ids.entry(a).or_insert_with(|| {
                log.addresses.push(a.to_string());
                log.addresses.len() as u32 - 1
            })
        };
        let (o, r) = (id(f.orig), id(f.resp));
        log.orig.push(o);
        log.resp.push(r);
        log.ts.push(f.start);
        log.resp_port.push(f.resp_port);
        log.duration.push(f.duration());
        log.orig_bytes.push(f.orig_bytes);
        log.resp_bytes.push(f.resp_bytes);
        log.failed.push(is_failed(f.state));
    }
    log
}
