//! Zeek connection logs (`conn.log`) in both of Zeek's writers, tab-separated with its `#`
//! header lines and JSON lines: [`sniff`] recognises them, [`read`] reads them (plain or gzip)
//! into columns, [`hosts`] makes the hosts view (one row per source address) and [`verdict`]
//! says in words what a ranked host is doing.

pub mod hosts;
pub mod read;
mod record;
mod sniff;
pub mod verdict;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use read::read_conn_log;
pub use sniff::sniff;

use crate::control::Control;
use crate::data::access::Malformed;
use crate::data::{Dataset, LoadError, Source};

/// Which of Zeek's log writers wrote the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writer {
    /// The default ASCII writer: tab-separated with `#separator`, `#fields`, `#types` lines.
    Tsv,
    /// The ASCII writer with `LogAscii::use_json=T`: one JSON object per line.
    Json,
}

impl Writer {
    /// Name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Writer::Tsv => "Zeek conn.log (tab-separated)",
            Writer::Json => "Zeek conn.log (JSON lines)",
        }
    }
}

/// Which end of the connections the hosts view ranks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum HostSide {
    /// One row per source address (`id.orig_h`): who connects.
    #[default]
    Source,
    /// One row per destination address (`id.resp_h`): who is connected to.
    Destination,
}

/// The connection states Zeek's `conn_state` field counts as failed connections.
///
/// From Zeek's `Conn::Info` documentation (`base/protocols/conn/main.zeek`): `S0` connection
/// attempt seen, no reply; `REJ` connection attempt rejected; `RSTO` established, originator
/// aborted (sent a RST); `RSTR` responder sent a RST; `RSTOS0` originator sent a SYN followed by a
/// RST, no SYN-ACK seen from the responder; `RSTRH` responder sent a SYN-ACK followed by a RST,
/// no SYN seen from the originator; `SH` originator sent a SYN followed by a FIN, no SYN-ACK from
/// the responder ("half" open); `SHR` responder sent a SYN-ACK followed by a FIN, no SYN from
/// the originator. Not failed: `SF` (normal establishment and termination), `S1`, `S2`, `S3`
/// (established, not or not fully closed) and `OTH` (no SYN seen, midstream traffic).
pub const FAILED_STATES: [&str; 8] = ["S0", "REJ", "RSTO", "RSTR", "RSTOS0", "RSTRH", "SH", "SHR"];

/// Whether a `conn_state` value counts as a failed connection (see [`FAILED_STATES`]).
pub fn is_failed(state: &str) -> bool {
    FAILED_STATES.contains(&state)
}

/// A Zeek connection log, one column per field TrafficLens uses, one row per well-formed line.
pub struct ConnLog {
    /// Where it was read from.
    pub path: PathBuf,
    /// Whether the file is gzip-compressed.
    pub gzip: bool,
    /// Which writer wrote it.
    pub writer: Writer,
    /// Distinct addresses (originators and responders); `orig` and `resp` index into it.
    pub addresses: Vec<String>,
    /// Start of each connection, seconds since 1970-01-01 UTC (`ts`).
    pub ts: Vec<f64>,
    /// Originator address (`id.orig_h`).
    pub orig: Vec<u32>,
    /// Responder address (`id.resp_h`).
    pub resp: Vec<u32>,
    /// Responder port (`id.resp_p`).
    pub resp_port: Vec<u16>,
    /// Duration in seconds (`duration`; NaN where unset).
    pub duration: Vec<f64>,
    /// Payload bytes the originator sent (`orig_bytes`; 0 where unset).
    pub orig_bytes: Vec<u64>,
    /// Payload bytes the responder sent (`resp_bytes`; 0 where unset).
    pub resp_bytes: Vec<u64>,
    /// Whether `conn_state` is one of [`FAILED_STATES`].
    pub failed: Vec<bool>,
    /// Fields of the file TrafficLens does not use (such as a data set's `label`): read past,
    /// named here.
    pub other_fields: Vec<String>,
    /// Lines read (header, data, blank and malformed).
    pub lines: u64,
    /// Data lines that could not be read.
    pub malformed: u64,
    /// The first malformed lines.
    pub samples: Vec<Malformed>,
    /// How long reading took.
    pub parse_time: Duration,
}

impl fmt::Debug for ConnLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnLog")
            .field("path", &self.path)
            .field("writer", &self.writer)
            .field("connections", &self.connections())
            .field("malformed", &self.malformed)
            .finish_non_exhaustive()
    }
}

impl ConnLog {
    /// Number of connections read.
    pub fn connections(&self) -> usize {
        self.ts.len()
    }

    /// One line about what was read, for the CLI.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} connections between {} addresses ({}{}), read in {:.2} s",
            self.connections(),
            self.addresses.len(),
            self.writer.name(),
            if self.gzip { ", gzip" } else { "" },
            self.parse_time.as_secs_f64()
        );
        if self.malformed > 0 {
            s.push_str(&format!("; {} malformed lines skipped", self.malformed));
        }
        s
    }
}

/// What the hosts view of a connection log carries besides its features: the log's summary and
/// what each host did, for the reasons in words.
#[derive(Debug, Clone)]
pub struct HostsTable {
    /// What was read, for the CLI (see [`ConnLog::summary`]).
    pub summary: String,
    /// Malformed lines in the log.
    pub malformed: u64,
    /// The first malformed lines.
    pub samples: Vec<Malformed>,
    /// Which end of the connections the rows are.
    pub side: HostSide,
    /// Per dataset row: the host's most telling patterns.
    pub details: Vec<hosts::HostDetail>,
}

/// Reads the connection log in `source` and makes its hosts view by `side`.
pub fn load(
    source: Source,
    gzip: bool,
    writer: Writer,
    side: HostSide,
    control: Control<'_>,
) -> Result<Dataset, LoadError> {
    let path = source.path().to_path_buf();
    let log = read_conn_log(&source, gzip, writer, control)?;
    if log.connections() == 0 {
        return Err(match log.samples.first() {
            Some(first) => LoadError::NoLogLines {
                path,
                format: writer.name().into(),
                malformed: log.malformed,
                first: first.to_string(),
            },
            None => LoadError::NoConnections { path },
        });
    }
    let started = std::time::Instant::now();
    let mut ds = hosts::dataset(&log, side);
    if log.malformed > 0 {
        let share = 100.0 * log.malformed as f64 / log.lines.max(1) as f64;
        let mut w = format!(
            "{} of {} lines ({share:.2}%) could not be read as connections and were skipped",
            log.malformed, log.lines
        );
        if let Some(first) = log.samples.first() {
            w.push_str(&format!("; first: {first}"));
        }
        ds.warnings.insert(0, w);
    }
    ds.load_time = log.parse_time + started.elapsed();
    if let Some(table) = ds.network.as_mut() {
        Arc::make_mut(table).summary = log.summary();
    }
    Ok(ds)
}
