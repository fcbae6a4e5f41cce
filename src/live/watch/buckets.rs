//! Time buckets of access-log lines per subject, by the log's own timestamps.
//!
//! A line goes into the bucket of its time (`floor(time / width)`) for each of its subjects
//! (`all`, and `host NAME` when the format has a virtual host). A bucket closes when a line
//! arrives whose time is at least the bucket's end plus the allowance for late lines; lines
//! whose bucket has already closed are counted as late and not put in any bucket (their
//! bucket's numbers were already scored and cannot change). Buckets in which no line fell are
//! closed too, with zero requests, so an outage is seen as zero traffic; a jump in the log's
//! time longer than [`MAX_FILL`] buckets is taken as a gap instead (the buckets in it are not
//! filled with zeros and the seasonal state counts them as missing).

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

/// The numbers of a bucket per subject, in this order.
pub const FEATURES: [&str; 5] = [
    "requests",
    "bytes",
    "distinct clients",
    "4xx share",
    "5xx share",
];

/// The numbers of a bucket of Zeek connections, in this order (the batch traffic view's).
pub const CONNECTION_FEATURES: [&str; 5] = [
    "connections",
    "bytes",
    "distinct sources",
    "distinct destinations",
    "failed share",
];

/// What a watcher's buckets count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Records {
    /// Access-log lines: requests, bytes, distinct clients, 4xx and 5xx shares.
    #[default]
    Requests,
    /// Zeek connections: connections, bytes both ways, distinct sources and destinations,
    /// failed share.
    Connections,
}

impl Records {
    /// The names of the numbers of a bucket, in order.
    pub fn features(self) -> [&'static str; 5] {
        match self {
            Records::Requests => FEATURES,
            Records::Connections => CONNECTION_FEATURES,
        }
    }
}

/// One connection as a bucket counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conn {
    /// Hash of the source address.
    pub source: u64,
    /// Hash of the destination address.
    pub destination: u64,
    /// Bytes both ways.
    pub bytes: u64,
    /// Whether Zeek's state says it failed (S0, REJ, resets, ...).
    pub failed: bool,
}

/// Empty buckets filled with zeros at most when the log's time jumps.
pub const MAX_FILL: i64 = 10_080;

/// The subject of all traffic.
pub const ALL: &str = "all";

/// Virtual hosts watched as subjects of their own at most (more are counted in `all` only).
pub const MAX_HOSTS: usize = 64;

/// Log lines kept per subject and bucket as samples for an alert.
const SAMPLES: usize = crate::live::alerts::SAMPLES;

/// What one subject's lines in one bucket add up to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Tally {
    /// Requests.
    pub requests: u64,
    /// Bytes sent.
    pub bytes: u64,
    /// Requests answered 4xx.
    pub client_errors: u64,
    /// Requests answered 5xx.
    pub server_errors: u64,
    /// Distinct clients (hashes of their addresses).
    pub clients: HashSet<u64>,
    /// Connections: hashes of the distinct destination addresses (sources are in `clients`).
    #[serde(default)]
    pub destinations: HashSet<u64>,
    /// The first lines of the bucket (for the alert's samples).
    pub samples: Vec<String>,
}

impl Tally {
    /// Adds one request.
    fn add(&mut self, client: u64, status: u16, bytes: u64, raw: &[u8]) {
        self.requests += 1;
        self.bytes = self.bytes.saturating_add(bytes);
        match status / 100 {
            4 => self.client_errors += 1,
            5 => self.server_errors += 1,
            _ => {}
        }
        self.clients.insert(client);
        if self.samples.len() < SAMPLES {
            self.samples.push(String::from_utf8_lossy(raw).into_owned());
        }
    }

    /// Counts one connection (`requests` counts connections, `client_errors` the failed ones).
    fn add_connection(&mut self, c: &Conn, raw: &[u8]) {
        self.requests += 1;
        self.bytes = self.bytes.saturating_add(c.bytes);
        if c.failed {
            self.client_errors += 1;
        }
        self.clients.insert(c.source);
        self.destinations.insert(c.destination);
        if self.samples.len() < SAMPLES {
            self.samples.push(String::from_utf8_lossy(raw).into_owned());
        }
    }

    /// The bucket's numbers as `records` names them ([`Records::features`]).
    pub fn values_of(&self, records: Records) -> [f64; 5] {
        match records {
            Records::Requests => self.values(),
            Records::Connections => {
                let v = self.values();
                [v[0], v[1], v[2], self.destinations.len() as f64, v[3]]
            }
        }
    }

    /// The bucket's numbers, in the order of [`FEATURES`] (shares are 0 without requests).
    pub fn values(&self) -> [f64; 5] {
        let share = |n: u64| {
            if self.requests == 0 {
                0.0
            } else {
                n as f64 / self.requests as f64
            }
        };
        [
            self.requests as f64,
            self.bytes as f64,
            self.clients.len() as f64,
            share(self.client_errors),
            share(self.server_errors),
        ]
    }
}

/// A bucket that has closed: its start and every known subject's tally.
#[derive(Debug, Clone, PartialEq)]
pub struct ClosedBucket {
    /// Start of the bucket, milliseconds since 1970 (the log's time).
    pub start_ms: i64,
    /// Each subject's tally (zero for known subjects without a line in it), by subject.
    pub subjects: BTreeMap<String, Tally>,
    /// The UTC offset its last line was written with, in minutes east (`None`: no line, or
    /// none said).
    pub offset: Option<i16>,
}

/// The open buckets and what is needed to close them in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Buckets {
    width_ms: i64,
    allowance_ms: i64,
    /// Open buckets by index, each with its subjects' tallies.
    open: BTreeMap<i64, BTreeMap<String, Tally>>,
    /// The index of the next bucket to close (none before the first line).
    next: Option<i64>,
    /// Every subject seen, so that a bucket without its lines closes with zeros for it.
    subjects: Vec<String>,
    /// Lines whose bucket had closed already.
    late: u64,
    /// Virtual hosts not watched on their own (over [`MAX_HOSTS`]).
    hosts_over: u64,
    /// The UTC offset (minutes) the last line of each open bucket was written with, where it
    /// had one (see [`crate::clock`]).
    #[serde(default)]
    offsets: BTreeMap<i64, i16>,
    /// Milliseconds added to a time before it is placed: the UTC offset of the first line that
    /// gave one, so that buckets start on the log's own round times (an hour at +05:30 starts at
    /// its half hours, a day at -07:00 at its midnights); fixed from then on, so the grid never
    /// moves (after a daylight-saving change, a day's bucket starts an hour off its midnight).
    /// `None` before that line (and in a state saved before this was kept: UTC's round times).
    #[serde(default)]
    align_ms: Option<i64>,
}

impl Buckets {
    /// Buckets of `width_ms`, closed `allowance_ms` after their end.
    pub fn new(width_ms: i64, allowance_ms: i64) -> Buckets {
        Buckets {
            width_ms: width_ms.max(1),
            allowance_ms: allowance_ms.max(0),
            open: BTreeMap::new(),
            next: None,
            subjects: vec![ALL.to_string()],
            late: 0,
            hosts_over: 0,
            offsets: BTreeMap::new(),
            align_ms: None,
        }
    }

    /// The bucket of time `time_ms`.
    fn index_of(&self, time_ms: i64) -> i64 {
        time_ms
            .saturating_add(self.align_ms.unwrap_or(0))
            .div_euclid(self.width_ms)
    }

    /// The start of bucket `index`, milliseconds since 1970.
    fn start_of(&self, index: i64) -> i64 {
        index
            .saturating_mul(self.width_ms)
            .saturating_sub(self.align_ms.unwrap_or(0))
    }

    /// Notes that a line at `time_ms` was written at `offset_minutes` east of UTC (`None`: no
    /// zone written, which is UTC): its bucket is scored on that local clock (a line of a
    /// bucket already closed is late, and ignored).
    pub fn note_offset(&mut self, time_ms: i64, offset_minutes: Option<i32>) {
        let offset = offset_minutes
            .and_then(|m| i16::try_from(m).ok())
            .unwrap_or(0);
        if self.next.is_none() && self.align_ms.is_none() {
            self.align_ms = Some(i64::from(offset) * 60_000);
        }
        let index = self.index_of(time_ms);
        if self.next.is_none_or(|next| index >= next) {
            self.offsets.insert(index, offset);
        }
    }

    /// The bucket width in milliseconds.
    pub fn width_ms(&self) -> i64 {
        self.width_ms
    }

    /// Lines that came after their bucket had closed.
    pub fn late(&self) -> u64 {
        self.late
    }

    /// Lines of virtual hosts over [`MAX_HOSTS`] (counted in `all` only).
    pub fn hosts_over(&self) -> u64 {
        self.hosts_over
    }

    /// Adds one request at `time_ms` and returns the buckets it closes, oldest first.
    pub fn add(
        &mut self,
        time_ms: i64,
        host: Option<&str>,
        client: u64,
        status: u16,
        bytes: u64,
        raw: &[u8],
    ) -> Vec<ClosedBucket> {
        self.add_with(time_ms, host, |t| t.add(client, status, bytes, raw))
    }

    /// Counts one connection at `time_ms` (subject `all`); returns the buckets it closes.
    pub fn add_connection(&mut self, time_ms: i64, c: &Conn, raw: &[u8]) -> Vec<ClosedBucket> {
        self.add_with(time_ms, None, |t| t.add_connection(c, raw))
    }

    /// Counts a record at `time_ms` with `count` in the bucket of each of its subjects.
    fn add_with(
        &mut self,
        time_ms: i64,
        host: Option<&str>,
        count: impl Fn(&mut Tally),
    ) -> Vec<ClosedBucket> {
        let index = self.index_of(time_ms);
        let next = *self.next.get_or_insert(index);
        if index < next {
            self.late += 1;
            return Vec::new();
        }
        let host = host
            .filter(|h| !h.is_empty() && *h != "-")
            .map(|h| format!("host {h}"));
        let host = match host {
            Some(h) if self.subjects.contains(&h) => Some(h),
            Some(h) if self.subjects.len() <= MAX_HOSTS => {
                self.subjects.push(h.clone());
                Some(h)
            }
            Some(_) => {
                self.hosts_over += 1;
                None
            }
            None => None,
        };
        let bucket = self.open.entry(index).or_default();
        for subject in std::iter::once(ALL.to_string()).chain(host) {
            count(bucket.entry(subject).or_default());
        }
        self.close_before(time_ms - self.allowance_ms)
    }

    /// Closes the buckets that end at or before `time_ms`, oldest first.
    fn close_before(&mut self, time_ms: i64) -> Vec<ClosedBucket> {
        let mut closed = Vec::new();
        while let Some(next) = self.next {
            if self.start_of(next + 1) > time_ms {
                break;
            }
            closed.push(self.close(next));
            // A long jump in time is a gap: go on at the next bucket that has lines.
            let following = next + 1;
            self.next = match self.open.keys().next() {
                Some(&first) if first - following > MAX_FILL => Some(first),
                Some(_) => Some(following),
                None if self.index_of(time_ms) - following > MAX_FILL => {
                    Some(self.index_of(time_ms))
                }
                None => Some(following),
            };
        }
        closed
    }

    /// Closes bucket `index` (zeros for known subjects without lines in it).
    fn close(&mut self, index: i64) -> ClosedBucket {
        let mut tallies = self.open.remove(&index).unwrap_or_default();
        for s in &self.subjects {
            tallies.entry(s.clone()).or_default();
        }
        // Offsets of buckets skipped over (a gap) are dropped with this one's.
        let offset = self.offsets.remove(&index);
        self.offsets.retain(|&i, _| i > index);
        ClosedBucket {
            start_ms: self.start_of(index),
            subjects: tallies,
            offset,
        }
    }

    /// Closes every open bucket (the input has ended), oldest first.
    pub fn close_all(&mut self) -> Vec<ClosedBucket> {
        match self.open.keys().next_back() {
            Some(&last) => self.close_before(self.start_of(last + 1)),
            None => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    #[test]
    fn a_bucket_closes_after_its_end_plus_the_allowance_and_late_lines_are_counted() {
        let mut b = Buckets::new(MIN, 10_000);
        assert!(b.add(0, None, 1, 200, 10, b"a").is_empty());
        assert!(b.add(MIN + 5_000, None, 2, 404, 10, b"b").is_empty());
        // Inside the allowance: still goes to bucket 0.
        assert!(b.add(MIN - 1, None, 3, 500, 10, b"c").is_empty());
        let closed = b.add(MIN + 10_000, None, 1, 200, 10, b"d");
        assert_eq!(closed.len(), 1);
        let all = &closed[0].subjects[ALL];
        assert_eq!(all.values(), [2.0, 20.0, 2.0, 0.0, 0.5]);
        assert!(b.add(30_000, None, 1, 200, 10, b"late").is_empty());
        assert_eq!(b.late(), 1);
    }

    #[test]
    fn empty_buckets_close_with_zeros_and_hosts_are_subjects() {
        let mut b = Buckets::new(MIN, 0);
        b.add(0, Some("a.example"), 1, 200, 1, b"x");
        let closed = b.add(3 * MIN, Some("b.example"), 1, 200, 1, b"y");
        assert_eq!(closed.len(), 3);
        assert_eq!(closed[1].subjects[ALL].requests, 0);
        assert_eq!(closed[2].subjects["host a.example"].requests, 0);
        let rest = b.close_all();
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].subjects["host b.example"].requests, 1);
    }

    #[test]
    fn buckets_start_on_the_log_own_round_times_and_carry_its_offset() {
        const HOUR: i64 = 60 * MIN;
        const DAY: i64 = 24 * HOUR;
        // A -07:00 log counted by the day: its days start at 07:00 UTC.
        let mut b = Buckets::new(DAY, 0);
        let t = |hours: i64| 20 * DAY + hours * HOUR;
        let mut closed = Vec::new();
        for (hours, offset) in [(7, -420), (20, -420), (30, -420), (33, -480)] {
            b.note_offset(t(hours), Some(offset));
            closed.extend(b.add(t(hours), None, 1, 200, 1, b"x"));
        }
        closed.extend(b.close_all());
        let starts: Vec<i64> = closed.iter().map(|c| c.start_ms).collect();
        assert_eq!(starts, [t(7), t(31)]);
        let counts: Vec<u64> = closed.iter().map(|c| c.subjects[ALL].requests).collect();
        assert_eq!(counts, [3, 1]);
        // Each bucket carries the offset of its last line (the grid does not move with it).
        let offsets: Vec<Option<i16>> = closed.iter().map(|c| c.offset).collect();
        assert_eq!(offsets, [Some(-420), Some(-480)]);
        // +05:30 by the hour: buckets at UTC's half hours.
        let mut b = Buckets::new(HOUR, 0);
        b.note_offset(t(1) + 40 * MIN, Some(330));
        b.add(t(1) + 40 * MIN, None, 1, 200, 1, b"x");
        assert_eq!(b.close_all()[0].start_ms, t(1) + 30 * MIN);
        // No offset given: UTC's round times, as before.
        let mut b = Buckets::new(HOUR, 0);
        b.note_offset(t(1) + 40 * MIN, None);
        b.add(t(1) + 40 * MIN, None, 1, 200, 1, b"x");
        assert_eq!(b.close_all()[0].start_ms, t(1));
    }
}
