//! One client's sliding window: its requests of the last few minutes (the log's time) with
//! running counts, so that the client-view features of the window are read without going over
//! its requests again.
//!
//! The features are the batch client view's ([`clients::FEATURES`]) over the window instead of
//! the whole log, with the same share smoothing ([`clients::SHARE_PRIOR`] pseudo-requests at
//! the rate of all traffic seen so far). The median gap between requests, the one feature that
//! needs a sort, is only computed for an alert's reason ([`Window::median_gap_s`]); the model
//! sees the other [`MODEL_FEATURES`].

use std::collections::{HashMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::data::formats::access::clients::{self, col};

/// The features the client model sees: the batch client features before the median gap
/// (requests to user agents). The later ones (page views, static assets, referers, declared
/// bots, attack patterns) are not counted per window.
pub const MODEL_FEATURES: usize = col::GAP;

/// Requests kept per client window at most: a client sending more within the window has its
/// oldest requests dropped early (its counts then cover its last `MAX_EVENTS` requests).
pub const MAX_EVENTS: usize = 4096;

/// Log lines kept per client as samples for an alert (its latest ones).
pub const SAMPLES: usize = 3;

/// Bytes of a sample line kept at most.
const SAMPLE_BYTES: usize = 512;

/// The hash seed of paths and user agents (fixed: the hashes are saved with the state).
const SEED: u64 = 0x636c_6965_6e74_7321;

/// The rates of all traffic that the shares are smoothed towards, in [`col`] order of the
/// shares: 404, 401/403, POST, login path.
pub type Overall = [f64; 4];

/// Requests per hash (the keys are hashes already: foldhash, not SipHash, hashes them again).
type Counts = HashMap<u64, u32, foldhash::fast::RandomState>;

/// One request of the window.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct Event {
    time_ms: i64,
    path: u64,
    agent: u64,
    bytes: u64,
    status: u16,
    post: bool,
    login: bool,
}

/// What the window needs of a request.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// Milliseconds since 1970 (the log's time).
    pub time_ms: i64,
    /// The path without its query.
    pub path: &'a [u8],
    /// The user agent.
    pub agent: &'a [u8],
    /// Bytes sent.
    pub bytes: u64,
    /// The status code.
    pub status: u16,
    /// True for a POST.
    pub post: bool,
    /// True for a login-like path.
    pub login: bool,
}

/// One client's requests of the last `width` milliseconds, with running counts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Window {
    events: VecDeque<Event>,
    /// Requests per distinct path hash.
    paths: Counts,
    /// Requests per distinct user-agent hash.
    agents: Counts,
    /// Requests per minute, oldest first (only minutes with requests).
    minutes: VecDeque<(i64, u32)>,
    not_found: u32,
    refused: u32,
    post: u32,
    login: u32,
    bytes: u64,
    /// The latest log time seen for the client.
    pub last_ms: i64,
    /// When the client was last scored (log time), if ever.
    pub scored_ms: Option<i64>,
    /// The client's latest lines, oldest first.
    samples: VecDeque<Vec<u8>>,
}

/// Adds one to the count of `key`.
fn bump(map: &mut Counts, key: u64) {
    *map.entry(key).or_insert(0) += 1;
}

/// Takes one from the count of `key`, removing it at zero.
fn drop_one(map: &mut Counts, key: u64) {
    if let Some(n) = map.get_mut(&key) {
        *n -= 1;
        if *n == 0 {
            map.remove(&key);
        }
    }
}

/// A client's pace over the last stretch of its window (see [`Window::pace`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pace {
    /// Requests.
    pub requests: usize,
    /// Distinct paths among them.
    pub paths: usize,
    /// Distinct seconds they fall in.
    pub seconds: usize,
    /// Of them, answered 404.
    pub not_found: usize,
    /// Of them, POSTs.
    pub posts: usize,
    /// Distinct user agents over the whole window.
    pub agents: usize,
}

impl Window {
    /// Requests in the window.
    pub fn requests(&self) -> usize {
        self.events.len()
    }

    /// The requests of the last `span_ms` before `now_ms` (log time): how many, to how many
    /// distinct paths, in how many distinct seconds, how many 404s and POSTs; and the distinct
    /// user agents of the whole window. One pass over those requests.
    pub fn pace(&self, now_ms: i64, span_ms: i64) -> Pace {
        let mut paths = Vec::new();
        let mut seconds = Vec::new();
        let mut pace = Pace {
            agents: self.agents.len(),
            ..Pace::default()
        };
        for e in self.events.iter().rev() {
            if e.time_ms <= now_ms - span_ms {
                // Late lines may sit out of order: look a little further, never past the window.
                if e.time_ms <= now_ms - 2 * span_ms {
                    break;
                }
                continue;
            }
            pace.requests += 1;
            pace.not_found += usize::from(e.status == 404);
            pace.posts += usize::from(e.post);
            paths.push(e.path);
            seconds.push(e.time_ms.div_euclid(1000));
        }
        paths.sort_unstable();
        paths.dedup();
        seconds.sort_unstable();
        seconds.dedup();
        pace.paths = paths.len();
        pace.seconds = seconds.len();
        pace
    }

    /// Adds a request (its line `raw` kept as a sample) and drops the requests older than
    /// `width_ms` before the latest time seen.
    pub fn push(&mut self, r: &Request<'_>, raw: &[u8], width_ms: i64) {
        use std::hash::BuildHasher;
        let hasher = foldhash::fast::FixedState::with_seed(SEED);
        let e = Event {
            time_ms: r.time_ms,
            path: hasher.hash_one(r.path),
            agent: hasher.hash_one(r.agent),
            bytes: r.bytes,
            status: r.status,
            post: r.post,
            login: r.login,
        };
        self.last_ms = self.last_ms.max(r.time_ms);
        if self.events.is_empty() {
            self.last_ms = r.time_ms;
        }
        self.add(e);
        let oldest = self.last_ms - width_ms;
        while let Some(front) = self.events.front() {
            if front.time_ms > oldest && self.events.len() <= MAX_EVENTS {
                break;
            }
            self.pop();
        }
        let mut sample = if self.samples.len() >= SAMPLES {
            self.samples.pop_front().unwrap_or_default()
        } else {
            Vec::new()
        };
        sample.clear();
        sample.extend_from_slice(&raw[..raw.len().min(SAMPLE_BYTES)]);
        self.samples.push_back(sample);
    }

    fn add(&mut self, e: Event) {
        bump(&mut self.paths, e.path);
        bump(&mut self.agents, e.agent);
        let minute = e.time_ms.div_euclid(60_000);
        match self.minutes.iter_mut().rev().find(|(m, _)| *m == minute) {
            Some((_, n)) => *n += 1,
            None => {
                // Kept in order of the minute (a late line may belong before the last one).
                let at = self.minutes.partition_point(|(m, _)| *m < minute);
                self.minutes.insert(at, (minute, 1));
            }
        }
        self.count(e, true);
        self.events.push_back(e);
    }

    fn pop(&mut self) {
        let Some(e) = self.events.pop_front() else {
            return;
        };
        drop_one(&mut self.paths, e.path);
        drop_one(&mut self.agents, e.agent);
        let minute = e.time_ms.div_euclid(60_000);
        if let Some(i) = self.minutes.iter().position(|(m, _)| *m == minute) {
            self.minutes[i].1 -= 1;
            if self.minutes[i].1 == 0 {
                self.minutes.remove(i);
            }
        }
        self.count(e, false);
    }

    /// Counts a request in (`add`) or out of the running totals.
    fn count(&mut self, e: Event, add: bool) {
        let step = |n: &mut u32, yes: bool| {
            if yes {
                *n = if add { *n + 1 } else { n.saturating_sub(1) };
            }
        };
        step(&mut self.not_found, e.status == 404);
        step(&mut self.refused, e.status == 401 || e.status == 403);
        step(&mut self.post, e.post);
        step(&mut self.login, e.login);
        self.bytes = if add {
            self.bytes.saturating_add(e.bytes)
        } else {
            self.bytes.saturating_sub(e.bytes)
        };
    }

    /// The window's features in [`clients::FEATURES`] order without the median gap.
    pub fn features(&self, overall: &Overall) -> [f64; MODEL_FEATURES] {
        let n = self.events.len() as f64;
        let share =
            |k: u32, p: f64| (f64::from(k) + clients::SHARE_PRIOR * p) / (n + clients::SHARE_PRIOR);
        let mut row = [0.0; MODEL_FEATURES];
        row[col::REQUESTS] = n;
        row[col::PER_MINUTE] = n / self.minutes.len().max(1) as f64;
        row[col::PEAK] = self.minutes.iter().map(|(_, k)| *k).max().unwrap_or(0) as f64;
        row[col::PATHS] = self.paths.len() as f64;
        row[col::NOT_FOUND] = share(self.not_found, overall[0]);
        row[col::REFUSED] = share(self.refused, overall[1]);
        row[col::POST] = share(self.post, overall[2]);
        row[col::LOGIN] = share(self.login, overall[3]);
        row[col::BYTES] = self.bytes as f64;
        row[col::BYTES_PER_REQUEST] = self.bytes as f64 / n.max(1.0);
        row[col::AGENTS] = self.agents.len() as f64;
        row
    }

    /// The window's raw counts for a reason in words: what [`clients::ClientFacts`] holds for a
    /// whole log, over the window (every request counts as a page: a window does not tell
    /// static assets apart; the counts it does not keep are 0).
    pub fn facts(&self) -> clients::ClientFacts {
        let peak = self.minutes.iter().map(|(_, k)| *k).max().unwrap_or(0) as usize;
        let gap = self.median_gap_s();
        clients::ClientFacts {
            requests: self.events.len(),
            active_minutes: self.minutes.len(),
            peak_minute: peak,
            peak_page_minute: peak,
            distinct_paths: self.paths.len(),
            not_found: self.not_found as usize,
            refused: self.refused as usize,
            post: self.post as usize,
            login: self.login as usize,
            bytes: self.bytes,
            agents: self.agents.len(),
            median_gap: gap.is_finite().then_some(gap),
            ..clients::ClientFacts::default()
        }
    }

    /// The median gap between the window's requests in seconds (NaN with fewer than two).
    pub fn median_gap_s(&self) -> f64 {
        let mut times: Vec<i64> = self.events.iter().map(|e| e.time_ms).collect();
        times.sort_unstable();
        let gaps: Vec<f64> = times
            .windows(2)
            .map(|w| (w[1] - w[0]) as f64 / 1000.0)
            .collect();
        crate::numeric::percentiles(&gaps, &[50.0])[0]
    }

    /// The client's latest lines, oldest first (escaped when printed).
    pub fn samples(&self) -> Vec<String> {
        self.samples
            .iter()
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(t: i64, path: &'static [u8], status: u16, post: bool) -> Request<'static> {
        Request {
            time_ms: t,
            path,
            agent: b"curl",
            bytes: 100,
            status,
            post,
            login: path == b"/login",
        }
    }

    #[test]
    fn the_window_counts_what_is_in_it_and_forgets_what_left_it() {
        let mut w = Window::default();
        let width = 300_000;
        let overall = [0.0; 4];
        // Minute 0: five 404s on five paths; minute 1: ten POSTs to /login, 401.
        for i in 0..5 {
            let path: &'static [u8] = [b"/a", b"/b", b"/c", b"/d", b"/e"][i];
            w.push(&request(i as i64 * 1000, path, 404, false), b"x", width);
        }
        for i in 0..10 {
            w.push(
                &request(60_000 + i * 1000, b"/login", 401, true),
                b"y",
                width,
            );
        }
        let f = w.features(&overall);
        assert_eq!(f[col::REQUESTS], 15.0);
        assert_eq!(f[col::PER_MINUTE], 7.5);
        assert_eq!(f[col::PEAK], 10.0);
        assert_eq!(f[col::PATHS], 6.0);
        assert_eq!(
            f[col::NOT_FOUND],
            5.0 / 25.0,
            "smoothed by 10 pseudo-requests"
        );
        assert_eq!(f[col::REFUSED], 10.0 / 25.0);
        assert_eq!(f[col::POST], 10.0 / 25.0);
        assert_eq!(f[col::LOGIN], 10.0 / 25.0);
        assert_eq!(f[col::BYTES], 1500.0);
        assert_eq!(f[col::AGENTS], 1.0);
        assert_eq!(w.median_gap_s(), 1.0);
        assert_eq!(w.samples(), ["y", "y", "y"]);
        // Five minutes after the first 404s: they have left, the logins are still in.
        w.push(
            &request(300_000 + 4_500, b"/login", 200, false),
            b"z",
            width,
        );
        let f = w.features(&overall);
        assert_eq!(f[col::REQUESTS], 11.0);
        assert_eq!(f[col::PATHS], 1.0);
        assert_eq!(f[col::NOT_FOUND], 0.0);
        assert_eq!(f[col::PEAK], 10.0);
        // Round trip through the state file.
        let json = serde_json::to_string(&w).expect("save");
        let back: Window = serde_json::from_str(&json).expect("load");
        assert_eq!(back, w);
    }

    #[test]
    fn a_client_over_the_cap_keeps_its_latest_requests() {
        let mut w = Window::default();
        for i in 0..(MAX_EVENTS as i64 + 100) {
            w.push(&request(i, b"/", 200, false), b"x", 300_000);
        }
        assert_eq!(w.requests(), MAX_EVENTS);
        assert_eq!(w.features(&[0.0; 4])[col::REQUESTS], MAX_EVENTS as f64);
    }
}
