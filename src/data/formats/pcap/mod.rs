//! Packet captures, pcap and pcapng: [`sniff`] recognises them by their magic numbers,
//! [`container`] reads the packets, [`decode`] their headers, [`flow`] assembles them into
//! Zeek-style connections and [`read`] puts it together; the connections then make the same
//! hosts view as a Zeek conn.log ([`crate::data::formats::zeek::view`]).

pub mod container;
pub mod decode;
pub mod flow;
pub mod read;
mod sniff;

pub use read::{conn_log, read_capture, Capture};
pub use sniff::{format_of, sniff};

use std::sync::Arc;

use container::End;

use crate::control::Control;
use crate::data::formats::zeek;
use crate::data::{Dataset, FileKind, LoadError, Source};

/// Which container a capture is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureFormat {
    /// libpcap's format (`tcpdump -w`).
    Pcap {
        /// Whether the file is big-endian.
        big_endian: bool,
        /// Whether timestamps are in nanoseconds (else microseconds).
        nanoseconds: bool,
    },
    /// pcapng (Wireshark's and dumpcap's default).
    PcapNg,
}

impl CaptureFormat {
    /// Name for messages.
    pub fn name(self) -> &'static str {
        match self {
            CaptureFormat::Pcap {
                nanoseconds: false, ..
            } => "pcap",
            CaptureFormat::Pcap {
                nanoseconds: true, ..
            } => "pcap, nanosecond timestamps",
            CaptureFormat::PcapNg => "pcapng",
        }
    }
}

/// Reads the capture in `source`, assembles its flows and makes the view `net` asks for of them
/// (hosts by a side, or traffic over time).
pub fn load(
    source: Source,
    gzip: bool,
    format: CaptureFormat,
    net: &zeek::NetView,
    control: Control<'_>,
) -> Result<Dataset, LoadError> {
    let path = source.path().to_path_buf();
    // What the file was when read: an export of its packets checks it is unchanged.
    let fingerprint = source.fingerprint().ok();
    // The container parser is a dependency: a panic of it on damaged data becomes an error.
    let capture = crate::panic_guard::contain(|| read_capture(&source, gzip, control)).map_err(
        |message| LoadError::CaptureUnreadable {
            path: path.clone(),
            reason: format!("the capture reader stopped on damaged data ({message})"),
        },
    )??;
    let mut notes = capture.unused();
    if let End::Stopped {
        packet,
        offset,
        reason,
    } = &capture.end
    {
        notes.insert(
            0,
            format!(
                "packet {packet} (at byte {offset}): {reason}; the {} packets before it were read",
                packet - 1
            ),
        );
    }
    if capture.flows.is_empty() {
        let mut what = format!("{} packets", capture.packets);
        if capture.damaged > 0 {
            what.push_str(&format!("; {} damaged", capture.damaged));
            if let Some(first) = capture.samples.first() {
                what.push_str(&format!(", first: {}", zeek::sample_text(first, "packet")));
            }
        }
        for n in &notes {
            what.push_str("; ");
            what.push_str(n);
        }
        return Err(LoadError::NoFlows { path, what });
    }
    let mut log = conn_log(&capture, &path, FileKind::Capture { gzip, format });
    log.fingerprint = fingerprint;
    let mut ds = zeek::view_of(Arc::new(log), net)?;
    if let Some(table) = ds.network.as_mut() {
        Arc::make_mut(table).notes.clone_from(&notes);
    }
    ds.warnings.extend(notes);
    Ok(ds)
}
