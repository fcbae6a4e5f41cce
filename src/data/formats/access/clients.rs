//! The client view: one row per client address, with features that separate attackers from
//! visitors.

use std::sync::Arc;

use rayon::prelude::*;

use super::{dataset_of, AccessLog, LogTable, LogView, Method};
use crate::data::{Dataset, LoadError, RowLabels};

/// The client features, in column order.
pub const FEATURES: [&str; 12] = [
    "requests",
    "requests per active minute",
    "peak requests per minute",
    "distinct paths",
    "404 share",
    "401/403 share",
    "POST share",
    "login path share",
    "bytes sent",
    "bytes per request",
    "user agents",
    "median gap s",
];

/// Column positions of [`FEATURES`].
pub mod col {
    /// Requests.
    pub const REQUESTS: usize = 0;
    /// Requests per active minute.
    pub const PER_MINUTE: usize = 1;
    /// Peak requests in one minute.
    pub const PEAK: usize = 2;
    /// Distinct paths.
    pub const PATHS: usize = 3;
    /// Share of 404 answers.
    pub const NOT_FOUND: usize = 4;
    /// Share of 401 and 403 answers.
    pub const REFUSED: usize = 5;
    /// Share of POST requests.
    pub const POST: usize = 6;
    /// Share of requests to login-like paths.
    pub const LOGIN: usize = 7;
    /// Total bytes sent.
    pub const BYTES: usize = 8;
    /// Mean bytes per request.
    pub const BYTES_PER_REQUEST: usize = 9;
    /// Distinct user agents.
    pub const AGENTS: usize = 10;
    /// Median gap between requests in seconds.
    pub const GAP: usize = 11;
}

/// Pseudo-requests at the log-wide rate added to every share (404, 401/403, POST, login), so
/// that one failed login among a visitor's five requests reads as a small share, not 20%.
pub const SHARE_PRIOR: f64 = 10.0;

/// The features of every client, column-major (`[feature][client]`).
///
/// Shares are smoothed: `(k + SHARE_PRIOR * p) / (n + SHARE_PRIOR)`, where `p` is the share
/// over the whole log; a client with thousands of requests keeps its raw share. A client seen
/// once has no gap between requests; it gets the median of the other clients' median gaps (so
/// it looks typical there rather than extreme).
pub fn features(log: &AccessLog) -> Vec<Vec<f64>> {
    let n = log.requests().max(1) as f64;
    let overall = [
        log.status.par_iter().filter(|&&s| s == 404).count() as f64 / n,
        log.status
            .par_iter()
            .filter(|&&s| s == 401 || s == 403)
            .count() as f64
            / n,
        log.method
            .par_iter()
            .filter(|&&m| m == Method::Post)
            .count() as f64
            / n,
        log.login.par_iter().filter(|&&l| l).count() as f64 / n,
    ];
    let rows: Vec<[f64; 12]> = (0..log.clients.len())
        .into_par_iter()
        .map(|c| client_features(log, log.by_client.of(c), &overall))
        .collect();
    let mut columns: Vec<Vec<f64>> = (0..FEATURES.len())
        .map(|f| rows.iter().map(|r| r[f]).collect())
        .collect();
    // The median of the known gaps (NaN marks a client seen once; none known: 0).
    let fill = crate::numeric::percentiles(&columns[col::GAP], &[50.0])[0];
    let fill = if fill.is_nan() { 0.0 } else { fill };
    for g in &mut columns[col::GAP] {
        if g.is_nan() {
            *g = fill;
        }
    }
    columns
}

fn client_features(log: &AccessLog, lines: &[u32], overall: &[f64; 4]) -> [f64; 12] {
    let n = lines.len();
    let mut active = 0usize;
    let mut peak = 0usize;
    let mut run = 0usize;
    let mut last_minute = i64::MIN;
    let (mut not_found, mut refused, mut post, mut login, mut bytes) =
        (0usize, 0usize, 0usize, 0usize, 0u64);
    let mut paths = Vec::with_capacity(n);
    let mut agents = Vec::with_capacity(n.min(64));
    let mut gaps = Vec::with_capacity(n.saturating_sub(1));
    let mut prev_time: Option<i64> = None;
    for &i in lines {
        let i = i as usize;
        let t = log.time[i];
        let minute = t.div_euclid(60_000);
        if minute == last_minute {
            run += 1;
        } else {
            active += 1;
            run = 1;
            last_minute = minute;
        }
        peak = peak.max(run);
        if let Some(p) = prev_time {
            gaps.push((t - p) as f64 / 1000.0);
        }
        prev_time = Some(t);
        match log.status[i] {
            404 => not_found += 1,
            401 | 403 => refused += 1,
            _ => {}
        }
        post += usize::from(log.method[i] == Method::Post);
        login += usize::from(log.login[i]);
        bytes += log.bytes[i];
        paths.push(log.path[i]);
        agents.push(log.agent[i]);
    }
    paths.sort_unstable();
    paths.dedup();
    agents.sort_unstable();
    agents.dedup();
    let share = |k: usize, p: f64| (k as f64 + SHARE_PRIOR * p) / (n as f64 + SHARE_PRIOR);
    let gap = if gaps.is_empty() {
        f64::NAN
    } else {
        crate::numeric::percentiles(&gaps, &[50.0])[0]
    };
    [
        n as f64,
        n as f64 / active.max(1) as f64,
        peak as f64,
        paths.len() as f64,
        share(not_found, overall[0]),
        share(refused, overall[1]),
        share(post, overall[2]),
        share(login, overall[3]),
        bytes as f64,
        bytes as f64 / n.max(1) as f64,
        agents.len() as f64,
        gap,
    ]
}

/// The client view of `log` as a dataset (rows in the order clients first appear).
pub fn dataset(log: &Arc<AccessLog>) -> Result<Dataset, LoadError> {
    let columns = features(log);
    let table = LogTable {
        log: Arc::clone(log),
        view: LogView::Clients,
        bucket: None,
        client_of_row: (0..log.clients.len() as u32).collect(),
        overall: Some(Arc::new(log.overall_series())),
        regions: None,
    };
    let labels = RowLabels {
        name: "client".into(),
        values: log.clients.clone(),
    };
    Ok(dataset_of(
        log,
        table,
        None,
        FEATURES.iter().map(|s| s.to_string()).collect(),
        columns,
        Some(labels),
    ))
}
