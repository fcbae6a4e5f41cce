//! Zeek connection logs (`conn.log`) in both of Zeek's writers, tab-separated with its `#`
//! header lines and JSON lines: [`sniff`] recognises them, [`read`] reads them (plain or gzip)
//! into columns, [`hosts`] makes the hosts view (one row per source address), [`traffic`] the
//! traffic view (one row per time bucket) and [`verdict`] says in words what a ranked host is
//! doing.

pub mod hosts;
pub mod read;
pub mod record;
mod sniff;
pub mod traffic;
pub mod verdict;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rayon::prelude::*;

pub use read::read_conn_log;
pub(crate) use sniff::gunzip_start;
pub use sniff::sniff;

use crate::control::Control;
use crate::data::access::{Bucket, BucketSeries, LogView, Malformed};
use crate::data::{Dataset, FileKind, LoadError, LoadOptions, Source};

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
    /// The file's size and modification time when it was read (a conn.log read from a file;
    /// an export of its lines checks the file is unchanged).
    pub fingerprint: Option<crate::data::Fingerprint>,
    /// A capture: where each connection's packets are (by connection), for an export of them;
    /// empty for a log.
    pub flows: Vec<crate::data::formats::pcap::flow::FlowSpan>,
    /// Flow records: the line numbers of each connection's records (the second 0 when it is one
    /// record), for an export of them; empty otherwise.
    pub record_lines: Vec<[u64; 2]>,
    /// What the file is: a conn.log (which writer, gzip or not) or a packet capture whose flows
    /// became the connections.
    pub kind: FileKind,
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
    /// Lines read (header, data, blank and malformed), or packets of a capture.
    pub lines: u64,
    /// Data lines (or packets) that could not be read.
    pub malformed: u64,
    /// The first malformed lines (or packets: `line` is then the packet number).
    pub samples: Vec<Malformed>,
    /// How long reading took.
    pub parse_time: Duration,
}

impl fmt::Debug for ConnLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnLog")
            .field("path", &self.path)
            .field("kind", &self.kind)
            .field("connections", &self.connections())
            .field("malformed", &self.malformed)
            .finish_non_exhaustive()
    }
}

impl ConnLog {
    /// A log of no connections yet, of the file at `path` of kind `kind`, for a reader to fill.
    pub fn empty(path: PathBuf, kind: FileKind) -> ConnLog {
        ConnLog {
            path,
            fingerprint: None,
            flows: Vec::new(),
            record_lines: Vec::new(),
            kind,
            addresses: Vec::new(),
            ts: Vec::new(),
            orig: Vec::new(),
            resp: Vec::new(),
            resp_port: Vec::new(),
            duration: Vec::new(),
            orig_bytes: Vec::new(),
            resp_bytes: Vec::new(),
            failed: Vec::new(),
            other_fields: Vec::new(),
            lines: 0,
            malformed: 0,
            samples: Vec::new(),
            parse_time: Duration::ZERO,
        }
    }

    /// Number of connections read.
    pub fn connections(&self) -> usize {
        self.ts.len()
    }

    /// Start of each connection in epoch milliseconds (rounded down).
    pub fn millis(&self) -> Vec<i64> {
        self.ts
            .par_iter()
            .with_min_len(1 << 16)
            .map(|&t| (t * 1000.0).floor() as i64)
            .collect()
    }

    /// Whether connection `i` is one of host `h`'s, as `side` counts them (it opened it, or it
    /// was connected to).
    pub fn is_of(&self, i: usize, h: u32, side: HostSide) -> bool {
        match side {
            HostSide::Source => self.orig[i] == h,
            HostSide::Destination => self.resp[i] == h,
        }
    }

    /// What [`ConnLog::lines`] and [`ConnLog::samples`] count: "line", or "packet" for a capture.
    pub fn unit(&self) -> &'static str {
        record_unit(self.kind)
    }

    /// One line about what was read, for the CLI.
    pub fn summary(&self) -> String {
        let (name, gzip) = match self.kind {
            FileKind::ZeekConn { gzip, writer } => (writer.name().to_string(), gzip),
            FileKind::Capture { gzip, format } => {
                (format!("{}; {} packets", format.name(), self.lines), gzip)
            }
            FileKind::FlowRecords { gzip, format } => (format.name().to_string(), gzip),
            _ => (String::new(), false),
        };
        let mut s = format!(
            "{} connections between {} addresses ({name}{}), read in {:.2} s",
            self.connections(),
            self.addresses.len(),
            if gzip { ", gzip" } else { "" },
            self.parse_time.as_secs_f64()
        );
        if self.malformed > 0 {
            s.push_str(&format!(
                "; {} malformed {}s skipped",
                self.malformed,
                self.unit()
            ));
        }
        s
    }
}

/// What the records of a file of `kind` are called in messages: "packet" for a capture, "line"
/// for a log.
pub fn record_unit(kind: FileKind) -> &'static str {
    match kind {
        FileKind::Capture { .. } => "packet",
        _ => "line",
    }
}

/// What the hosts view of a connection log carries besides its features: the log's summary and
/// what each host did, for the reasons in words.
#[derive(Debug, Clone)]
pub struct HostsTable {
    /// What was read, for the CLI (see [`ConnLog::summary`]).
    pub summary: String,
    /// Malformed lines in the log (or packets in a capture).
    pub malformed: u64,
    /// The first malformed lines (or packets).
    pub samples: Vec<Malformed>,
    /// What the samples' numbers count: "line", or "packet" for a capture.
    pub unit: &'static str,
    /// What else the reader has to say (a capture cut short, packets that made no flow).
    pub notes: Vec<String>,
    /// Which end of the connections the rows are.
    pub side: HostSide,
    /// Per dataset row: the host's most telling patterns.
    pub details: Vec<hosts::HostDetail>,
    /// Which table this is: one row per host ([`LogView::Clients`]) or per time bucket.
    pub view: LogView,
    /// The bucket width of the traffic view.
    pub bucket: Option<Bucket>,
    /// The log read, kept for its other view and a host's connections over time (`None` when
    /// the reader did not keep it).
    pub conn: Option<Arc<ConnLog>>,
    /// Hosts view: the address (index into the log's addresses) of each row.
    pub host_of_row: Vec<u32>,
    /// Hosts view with the log kept: all connections per time bucket, the backdrop of one
    /// host's.
    pub overall: Option<Arc<BucketSeries>>,
}

impl HostsTable {
    /// The table of a view of `log` by `side`, with no details, bucket or log kept yet.
    pub fn of(log: &ConnLog, side: HostSide, view: LogView) -> HostsTable {
        HostsTable {
            summary: log.summary(),
            malformed: log.malformed,
            samples: log.samples.clone(),
            unit: log.unit(),
            notes: Vec::new(),
            side,
            details: Vec::new(),
            view,
            bucket: None,
            conn: None,
            host_of_row: Vec::new(),
            overall: None,
        }
    }

    /// The connections of the host on `row` of the hosts view per bucket of
    /// [`HostsTable::overall`] (`None` for the traffic view or without the log).
    pub fn host_series(&self, row: usize) -> Option<Vec<f64>> {
        let (log, overall) = (self.conn.as_ref()?, self.overall.as_ref()?);
        let h = *self.host_of_row.get(row)?;
        Some(
            overall.count(
                (0..log.connections())
                    .filter(|&i| log.is_of(i, h, self.side))
                    .map(|i| (log.ts[i] * 1000.0).floor() as i64),
            ),
        )
    }
}

/// A dataset of a view of `log`: `columns` (one value per row) named `names`, with `table`.
pub(crate) fn dataset_of(
    log: &ConnLog,
    time: Option<crate::data::TimeAxis>,
    names: Vec<String>,
    columns: Vec<Vec<f64>>,
    row_labels: Option<crate::data::RowLabels>,
    table: HostsTable,
) -> Dataset {
    let n = columns.first().map_or(0, Vec::len);
    Dataset {
        path: log.path.clone(),
        kind: log.kind,
        reader: match log.kind {
            FileKind::Capture { .. } => crate::data::Reader::Capture,
            FileKind::FlowRecords { .. } => crate::data::Reader::FlowRecords,
            _ => crate::data::Reader::ZeekConn,
        },
        layout: crate::data::Layout::Wide,
        category_column: None,
        time,
        feature_names: names,
        columns,
        row_numbers: (0..n).collect(),
        input_rows: n,
        original: crate::data::OriginalRows::Derived,
        missing: crate::data::MissingReport::default(),
        warnings: Vec::new(),
        load_time: Duration::ZERO,
        row_labels,
        log: None,
        network: Some(Arc::new(table)),
    }
}

/// Which table a connection log (or capture) becomes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NetView {
    /// Hosts by source or by destination.
    pub side: HostSide,
    /// Hosts ([`LogView::Clients`]) or traffic over time.
    pub view: LogView,
    /// Traffic view: the bucket width (`None`: chosen from the span).
    pub bucket: Option<Bucket>,
}

impl NetView {
    /// The view the load options ask for (the access-log view and bucket apply to connection
    /// logs too).
    pub fn of(options: &LoadOptions) -> NetView {
        NetView {
            side: options.log.hosts_by,
            view: options.log.view,
            bucket: options.log.bucket,
        }
    }
}

/// Reads the connection log in `source` and makes its hosts view by `side`.
pub fn load(
    source: Source,
    gzip: bool,
    writer: Writer,
    net: &NetView,
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
    view_of(Arc::new(log), net)
}

/// The view `net` asks for of a log (or capture) that has connections, keeping the log in it
/// (for the other view and a host's connections over time).
pub fn view_of(log: Arc<ConnLog>, net: &NetView) -> Result<Dataset, LoadError> {
    match net.view {
        LogView::Clients => {
            let mut ds = view(&log, net.side);
            let overall = BucketSeries::of_all(&log.millis(), crate::zone::Zone::Unstated);
            if let Some(table) = ds.network.as_mut() {
                let table = Arc::make_mut(table);
                table.overall = Some(Arc::new(overall));
                table.conn = Some(log);
            }
            Ok(ds)
        }
        LogView::Traffic => {
            let started = std::time::Instant::now();
            let mut ds = traffic::dataset(&log, net.bucket, net.side)?;
            ds.warnings.splice(0..0, skipped_note(&log));
            ds.load_time = log.parse_time + started.elapsed();
            Ok(ds)
        }
    }
}

/// The hosts view by `side` of a log (or capture) that has connections, with the skipped lines
/// (or packets) as its first warning and the read's summary.
pub fn view(log: &ConnLog, side: HostSide) -> Dataset {
    let started = std::time::Instant::now();
    let mut ds = hosts::dataset(log, side);
    ds.warnings.splice(0..0, skipped_note(log));
    ds.load_time = log.parse_time + started.elapsed();
    ds
}

/// The note on the lines (or packets) that could not be read, when there were any.
fn skipped_note(log: &ConnLog) -> Option<String> {
    if log.malformed == 0 {
        return None;
    }
    let unit = log.unit();
    let share = 100.0 * log.malformed as f64 / log.lines.max(1) as f64;
    let mut w = format!(
        "{} of {} {unit}s ({share:.2}%) could not be read as connections and were skipped",
        log.malformed, log.lines
    );
    if let Some(first) = log.samples.first() {
        w.push_str(&format!("; first: {}", sample_text(first, unit)));
    }
    Some(w)
}

/// A skipped line or packet in words: "line 12: reason: `text`" or "packet 7: reason".
pub fn sample_text(m: &Malformed, unit: &str) -> String {
    if m.text.is_empty() {
        format!("{unit} {}: {}", m.line, m.reason)
    } else {
        format!("{unit} {}: {}: `{}`", m.line, m.reason, m.text)
    }
}
