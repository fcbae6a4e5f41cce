//! Web server access logs (Apache and Nginx): formats, the line parser, a streaming parallel
//! reader for plain and gzip files, and the two views a log becomes a [`Dataset`] through:
//! traffic over time and one row per client.

pub mod address;
pub mod attack_patterns;
pub mod cidr;
pub mod clients;
pub mod declared_bot;
mod detect_format;
pub mod flood;
pub mod format;
pub mod grid;
pub mod line;
pub mod read;
pub mod resource;
mod sniff;
pub mod span;
pub mod traffic;
pub mod verdict;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use rayon::prelude::*;

pub use detect_format::{detect_format, format_of_lines, looks_like_log};
pub use format::{FormatError, LogFormat};
pub use line::Method;
pub use read::read_log;
pub use sniff::sniff;

use crate::control::Control;
use crate::data::{Dataset, Fingerprint, LoadError, Source};

/// A parsed access log, one column per field TrafficLens uses, one row per well-formed line.
pub struct AccessLog {
    /// Where it was read from (re-read to export a client's lines).
    pub source: Source,
    /// Size and modification time when read.
    pub fingerprint: Fingerprint,
    /// Whether the file is gzip-compressed.
    pub gzip: bool,
    /// The format the lines were parsed with.
    pub format: LogFormat,
    /// Distinct client addresses; `client` holds indices into it.
    pub clients: Vec<String>,
    /// Distinct virtual hosts; `vhost` holds indices into it (`u16::MAX`: none).
    pub vhosts: Vec<String>,
    /// Client of each request.
    pub client: Vec<u32>,
    /// Virtual host of each request.
    pub vhost: Vec<u16>,
    /// Time of each request, epoch milliseconds UTC.
    pub time: Vec<i64>,
    /// Status code.
    pub status: Vec<u16>,
    /// Bytes sent.
    pub bytes: Vec<u64>,
    /// Method.
    pub method: Vec<Method>,
    /// Hash of the path (without query string).
    pub path: Vec<u64>,
    /// Whether the path looks like a login endpoint.
    pub login: Vec<bool>,
    /// Hash of the user agent.
    pub agent: Vec<u64>,
    /// Time taken per request in milliseconds, when the format logs it (NaN where `-`).
    pub request_ms: Option<Vec<f32>>,
    /// Hash of the query string (0: none).
    pub query: Vec<u64>,
    /// The site the referer names, as a [`resource::site_key`] (0: no referer).
    pub referer: Vec<u64>,
    /// Whether the path is a static asset (by extension, [`resource::is_asset`]).
    pub asset: Vec<bool>,
    /// Attack classes found in the request ([`attack_patterns::classify`]; 0: none).
    pub attack: Vec<u8>,
    /// The bot the user agent declares ([`declared_bot::declared_bot`]; 0: none).
    pub bot: Vec<u8>,
    /// The lines with attack patterns (the first [`read::ATTACK_LINES`]), in request order.
    pub attack_lines: Vec<AttackLine>,
    /// Lines read (well-formed, blank and malformed).
    pub lines: u64,
    /// Blank lines.
    pub blank: u64,
    /// Lines that do not match the format.
    pub malformed: u64,
    /// The first malformed lines.
    pub samples: Vec<Malformed>,
    /// Requests grouped by client, in time order.
    pub by_client: ClientIndex,
    /// The clock the request times were written in.
    pub zone: crate::zone::Zone,
    /// Where the offset the request times were written with changed (see [`crate::clock`]).
    pub clock: crate::clock::LocalClock,
    /// How long reading took.
    pub parse_time: Duration,
}

impl fmt::Debug for AccessLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessLog")
            .field("source", &self.source.path())
            .field("format", &self.format.name)
            .field("requests", &self.requests())
            .field("clients", &self.clients.len())
            .field("malformed", &self.malformed)
            .finish_non_exhaustive()
    }
}

impl AccessLog {
    /// Number of well-formed requests.
    pub fn requests(&self) -> usize {
        self.time.len()
    }

    /// First and last request time.
    pub fn span(&self) -> Option<(i64, i64)> {
        let min = self.time.par_iter().min()?;
        let max = self.time.par_iter().max()?;
        Some((*min, *max))
    }

    /// The time range of the bulk of the requests, which the views cover: requests with times
    /// far outside the rest are left out of it (see [`span::bulk_span`]).
    pub fn bulk_span(&self) -> Option<span::TimeSpan> {
        span::bulk_span(&self.time)
    }

    /// The index of a client address.
    pub fn client_id(&self, address: &str) -> Option<u32> {
        self.clients
            .iter()
            .position(|c| c == address)
            .map(|i| i as u32)
    }

    /// One line about what was read, for the status bar and the CLI.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} requests from {} clients ({}), read in {:.2} s",
            self.requests(),
            self.clients.len(),
            self.format.name,
            self.parse_time.as_secs_f64()
        );
        if self.malformed > 0 {
            s.push_str(&format!("; {} malformed lines skipped", self.malformed));
        }
        s
    }
}

/// A line that does not match the format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    /// 1-based line number.
    pub line: u64,
    /// What is wrong.
    pub reason: String,
    /// The start of the line.
    pub text: String,
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.text.is_empty() {
            write!(f, "line {}: {}", self.line, self.reason)
        } else {
            write!(f, "line {}: {}: `{}`", self.line, self.reason, self.text)
        }
    }
}

/// A log line in which attack patterns were found, kept to show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttackLine {
    /// The request's index.
    pub request: u32,
    /// 1-based line number in the file.
    pub line: u64,
    /// The line (its first 400 bytes), as written: escape it before showing it.
    pub text: String,
}

/// Requests grouped by client: `order[starts[c]..starts[c + 1]]` are client `c`'s requests in
/// time order.
#[derive(Debug, Clone, Default)]
pub struct ClientIndex {
    /// Request indices grouped by client.
    pub order: Vec<u32>,
    /// Where each client's requests start in `order` (one more entry than clients).
    pub starts: Vec<usize>,
}

impl ClientIndex {
    /// Groups requests by client (a counting sort), then sorts each client's requests by time.
    pub fn build(client: &[u32], time: &[i64], n_clients: usize) -> ClientIndex {
        let mut starts = vec![0usize; n_clients + 1];
        for &c in client {
            starts[c as usize + 1] += 1;
        }
        for i in 0..n_clients {
            starts[i + 1] += starts[i];
        }
        let mut fill = starts.clone();
        let mut order = vec![0u32; client.len()];
        for (i, &c) in client.iter().enumerate() {
            order[fill[c as usize]] = i as u32;
            fill[c as usize] += 1;
        }
        let mut slices: Vec<&mut [u32]> = Vec::with_capacity(n_clients);
        let mut rest = order.as_mut_slice();
        for c in 0..n_clients {
            let (head, tail) = rest.split_at_mut(starts[c + 1] - starts[c]);
            slices.push(head);
            rest = tail;
        }
        slices
            .into_par_iter()
            .for_each(|s| s.sort_by_key(|&i| (time[i as usize], i)));
        ClientIndex { order, starts }
    }

    /// The requests of client `c`, in time order.
    pub fn of(&self, c: usize) -> &[u32] {
        &self.order[self.starts[c]..self.starts[c + 1]]
    }
}

/// Which table a log becomes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum LogView {
    /// One row per client address, with behaviour features.
    #[default]
    Clients,
    /// One row per time bucket: requests, bytes, clients, error rates.
    Traffic,
}

impl LogView {
    /// Name for menus.
    pub fn label(self) -> &'static str {
        match self {
            LogView::Clients => "Clients",
            LogView::Traffic => "Traffic over time",
        }
    }
}

/// The width of a time bucket in the traffic view (also how `generate --step` reads a duration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Bucket {
    /// Seconds.
    pub seconds: i64,
}

impl Bucket {
    /// The buckets offered in menus.
    pub const CHOICES: [Bucket; 4] = [
        Bucket { seconds: 60 },
        Bucket { seconds: 300 },
        Bucket { seconds: 3600 },
        Bucket { seconds: 86_400 },
    ];

    /// The bucket for a time span: the widest of 1 day, 1 hour, 5 minutes that gives at least 200
    /// buckets, else 1 minute.
    pub fn auto(span_ms: i64) -> Bucket {
        for b in [86_400, 3600, 300] {
            if span_ms / (b * 1000) >= 200 {
                return Bucket { seconds: b };
            }
        }
        Bucket { seconds: 60 }
    }
}

impl fmt::Display for Bucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.seconds;
        if s % 86_400 == 0 {
            write!(f, "{}d", s / 86_400)
        } else if s % 3600 == 0 {
            write!(f, "{}h", s / 3600)
        } else if s % 60 == 0 {
            write!(f, "{}m", s / 60)
        } else {
            write!(f, "{s}s")
        }
    }
}

impl FromStr for Bucket {
    type Err = String;

    fn from_str(text: &str) -> Result<Bucket, String> {
        let t = text.trim();
        let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let (num, unit) = t.split_at(split);
        let n: i64 = num
            .parse()
            .map_err(|_| format!("`{t}` is not a duration like 1d, 1h, 5m or 30s"))?;
        let scale = match unit {
            "s" => 1,
            "m" | "min" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => return Err(format!("unknown unit `{unit}` in `{t}`: use s, m, h or d")),
        };
        if n <= 0 {
            return Err("the duration must be positive".into());
        }
        Ok(Bucket {
            seconds: n.checked_mul(scale).ok_or("the duration is too long")?,
        })
    }
}

/// How the traffic view splits its columns.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum LogGroup {
    /// One set of columns for all traffic.
    #[default]
    All,
    /// One set per virtual host.
    VirtualHost,
    /// One set per region, from a CSV of address prefixes (CIDR) and region names.
    Regions(PathBuf),
}

/// How to read an access log and which table to make of it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LogOptions {
    /// The format string (Nginx or Apache syntax, or `combined`/`common`); `None` detects it.
    pub format: Option<String>,
    /// Clients or traffic over time.
    pub view: LogView,
    /// Traffic view: the bucket width (`None`: chosen from the time span).
    pub bucket: Option<Bucket>,
    /// Traffic view: per region or per virtual host.
    pub group: LogGroup,
    /// Network traffic (connection logs, captures, flow records): rank the source or the
    /// destination hosts.
    #[serde(default)]
    pub hosts_by: crate::data::formats::zeek::HostSide,
}

/// What the dataset made from a log is, for display and export.
#[derive(Debug, Clone)]
pub struct LogTable {
    /// The parsed log.
    pub log: Arc<AccessLog>,
    /// The view.
    pub view: LogView,
    /// The bucket used (traffic view).
    pub bucket: Option<Bucket>,
    /// For the client view: the client index of each dataset row.
    pub client_of_row: Vec<u32>,
    /// For the client view: all requests per time bucket, as a backdrop for one client's.
    pub overall: Option<Arc<BucketSeries>>,
    /// The region file read for the traffic view (an input too: never a valid output).
    pub regions: Option<PathBuf>,
}

/// Request counts per time bucket.
#[derive(Debug, Clone, PartialEq)]
pub struct BucketSeries {
    /// Start of the first bucket, epoch ms.
    pub t0: i64,
    /// Bucket width.
    pub bucket: Bucket,
    /// Requests per bucket.
    pub counts: Vec<f64>,
    /// The clock the times were written in: buckets start on it, and are shown on it.
    pub zone: crate::zone::Zone,
}

impl BucketSeries {
    /// Counts the requests `lines` (indices into the log) per bucket of this series.
    pub fn of_lines(&self, log: &AccessLog, lines: &[u32]) -> Vec<f64> {
        self.count(lines.iter().map(|&i| log.time[i as usize]))
    }

    /// Counts the `times` (epoch ms) per bucket of this series (times outside it are not).
    pub fn count(&self, times: impl Iterator<Item = i64>) -> Vec<f64> {
        let width = self.bucket.seconds * 1000;
        let mut counts = vec![0.0; self.counts.len()];
        for t in times {
            let b = (t - self.t0).div_euclid(width);
            if let Some(c) = usize::try_from(b).ok().and_then(|b| counts.get_mut(b)) {
                *c += 1.0;
            }
        }
        counts
    }

    /// All of `times` (epoch ms, written on the clock `zone`) per bucket of the width chosen
    /// for the span of their bulk (times far outside it are not counted), the buckets starting
    /// on that clock's round times.
    pub fn of_all(times: &[i64], zone: crate::zone::Zone) -> BucketSeries {
        let (first, last) = span::bulk_span(times).map_or((0, 0), |s| (s.first, s.last));
        let bucket = Bucket::auto(last - first);
        let width = bucket.seconds * 1000;
        let shift = zone.shift_ms();
        let t0 = (first + shift).div_euclid(width) * width - shift;
        let n = usize::try_from((last - t0) / width + 1)
            .unwrap_or(1)
            .min(traffic::MAX_BUCKETS);
        let counts = times
            .par_iter()
            .with_min_len(1 << 16)
            .fold(
                || vec![0.0; n],
                |mut acc, &t| {
                    let b = usize::try_from((t - t0).div_euclid(width)).ok();
                    if let Some(c) = b.and_then(|b| acc.get_mut(b)) {
                        *c += 1.0;
                    }
                    acc
                },
            )
            .reduce(
                || vec![0.0; n],
                |mut a, b| {
                    a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                    a
                },
            );
        BucketSeries {
            t0,
            bucket,
            counts,
            zone,
        }
    }

    /// Epoch seconds of the start of bucket `b`.
    pub fn x(&self, b: usize) -> f64 {
        (self.t0 + b as i64 * self.bucket.seconds * 1000) as f64 / 1000.0
    }
}

impl AccessLog {
    /// All requests per bucket of the width chosen for the span of the bulk of the requests
    /// (requests far outside it are not counted).
    pub fn overall_series(&self) -> BucketSeries {
        BucketSeries::of_all(&self.time, self.zone)
    }
}

/// Reads the log in `source` and makes the table `options` asks for; with `utc`, its times are
/// shown in UTC whatever offset its lines carry (see [`crate::zone::Zone::in_utc`]).
pub fn load(
    source: Source,
    gzip: bool,
    options: &LogOptions,
    utc: bool,
    control: Control<'_>,
) -> Result<Dataset, LoadError> {
    let path = source.path().to_path_buf();
    let format = match &options.format {
        Some(text) => LogFormat::parse(text).map_err(|error| LoadError::LogFormat {
            path: path.clone(),
            error,
        })?,
        None => detect_format(&source, gzip)?,
    };
    if let (LogView::Traffic, LogGroup::Regions(regions)) = (&options.view, &options.group) {
        // A bad region file is reported at once, not after the whole log was read.
        cidr::RegionMap::load(regions)?;
    }
    let mut log = read_log(&source, &format, gzip, control)?;
    if utc {
        log.zone = log.zone.in_utc();
    }
    if log.requests() == 0 {
        return Err(match log.samples.first() {
            Some(first) => LoadError::NoLogLines {
                path,
                format: format.name.clone(),
                malformed: log.malformed,
                first: first.to_string(),
            },
            None => LoadError::Empty { path },
        });
    }
    view(Arc::new(log), options)
}

/// Makes the table `options` asks for from a log already read.
pub fn view(log: Arc<AccessLog>, options: &LogOptions) -> Result<Dataset, LoadError> {
    let started = std::time::Instant::now();
    let mut ds = match options.view {
        LogView::Clients => clients::dataset(&log)?,
        LogView::Traffic => traffic::dataset(&log, options.bucket, &options.group)?,
    };
    let mut warnings = Vec::new();
    if log.malformed > 0 {
        let share = 100.0 * log.malformed as f64 / log.lines.max(1) as f64;
        let mut w = format!(
            "{} of {} lines ({share:.2}%) do not match the {} and were skipped",
            log.malformed, log.lines, log.format.name
        );
        if let Some(first) = log.samples.first() {
            w.push_str(&format!("; first: {first}"));
        }
        warnings.push(w);
    }
    warnings.append(&mut ds.warnings);
    ds.warnings = warnings;
    ds.load_time = log.parse_time + started.elapsed();
    Ok(ds)
}

/// A dataset shell for a view of `log`.
pub(crate) fn dataset_of(
    log: &Arc<AccessLog>,
    table: LogTable,
    time: Option<crate::data::TimeAxis>,
    feature_names: Vec<String>,
    columns: Vec<Vec<f64>>,
    row_labels: Option<crate::data::RowLabels>,
) -> Dataset {
    let n = columns.first().map_or(0, Vec::len);
    Dataset {
        path: log.source.path().to_path_buf(),
        kind: crate::data::FileKind::AccessLog { gzip: log.gzip },
        reader: crate::data::Reader::AccessLog,
        layout: crate::data::Layout::Wide,
        category_column: None,
        time,
        feature_names,
        columns,
        row_numbers: (0..n).collect(),
        input_rows: n,
        original: crate::data::OriginalRows::Derived,
        missing: crate::data::MissingReport::default(),
        warnings: Vec::new(),
        load_time: Duration::ZERO,
        row_labels,
        log: Some(table),
        network: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets() {
        assert_eq!("5m".parse::<Bucket>(), Ok(Bucket { seconds: 300 }));
        assert_eq!(
            "1d".parse::<Bucket>().map(|b| b.to_string()),
            Ok("1d".into())
        );
        assert!("0m".parse::<Bucket>().is_err());
        assert!("5w".parse::<Bucket>().is_err());
        assert_eq!(Bucket::auto(4 * 86_400_000).seconds, 300);
        assert_eq!(Bucket::auto(60 * 86_400_000).seconds, 3600);
        assert_eq!(Bucket::auto(3 * 365 * 86_400_000).seconds, 86_400);
        assert_eq!(Bucket::auto(3_600_000).seconds, 60);
    }

    #[test]
    fn client_index_groups_in_time_order() {
        let client = [1, 0, 1, 2, 0, 1];
        let time = [50, 40, 10, 5, 30, 20];
        let idx = ClientIndex::build(&client, &time, 3);
        assert_eq!(idx.of(0), &[4, 1]);
        assert_eq!(idx.of(1), &[2, 5, 0]);
        assert_eq!(idx.of(2), &[3]);
    }
}
