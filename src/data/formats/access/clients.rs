//! The client view: one row per client address, with features that separate attackers from
//! visitors.

use std::sync::Arc;

use rayon::prelude::*;

use super::resource::{site_key, site_name};
use super::{dataset_of, AccessLog, LogTable, LogView, Method};
use crate::data::{Dataset, LoadError, RowLabels};

/// The client features, in column order.
pub const FEATURES: [&str; 23] = [
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
    "peak page requests per minute",
    "page views",
    "asset share",
    "requests per page view",
    "referer share",
    "declared bot share",
    "sessions",
    "distinct queries",
    "attack pattern share",
    "unusual method share",
    "median response bytes",
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
    /// Peak requests for anything but static assets in one minute.
    pub const PEAK_PAGES: usize = 12;
    /// Page views: requests for anything but static assets, answered 2xx or 304.
    pub const PAGE_VIEWS: usize = 13;
    /// Share of requests that load a static asset of the site (answered 200/304, with a referer
    /// of the site itself).
    pub const ASSETS: usize = 14;
    /// Requests per page view.
    pub const PER_PAGE_VIEW: usize = 15;
    /// Share of requests with a referer.
    pub const REFERER: usize = 16;
    /// Share of requests whose user agent declares a bot.
    pub const BOT: usize = 17;
    /// Sessions: runs of requests without a 30-minute pause.
    pub const SESSIONS: usize = 18;
    /// Distinct query strings.
    pub const QUERIES: usize = 19;
    /// Share of requests with attack patterns.
    pub const ATTACKS: usize = 20;
    /// Share of requests with a method other than GET, HEAD and POST.
    pub const UNUSUAL_METHOD: usize = 21;
    /// Median bytes of a response: what the client typically downloads, unmoved by a few large
    /// assets (the mean per request is) and by how many requests it made (a largest response
    /// grows with them).
    pub const MEDIAN_BYTES: usize = 22;
}

/// Pseudo-requests at the log-wide rate added to the 404, 401/403, POST and login shares, so
/// that one failed login among a visitor's five requests reads as a small share, not 20%. The
/// other shares are raw (one request with an attack payload is news), and reasons in words
/// always give raw shares (see [`ClientFacts`]).
pub const SHARE_PRIOR: f64 = 10.0;

/// A pause longer than this ends a session (the usual web-analytics session timeout).
pub const SESSION_GAP_MS: i64 = 30 * 60_000;

/// What one client did, counted from its requests: the raw numbers behind its features and its
/// reason in words.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClientFacts {
    /// Requests.
    pub requests: usize,
    /// Distinct minutes with requests.
    pub active_minutes: usize,
    /// Most requests in one calendar minute.
    pub peak_minute: usize,
    /// Most requests for anything but static assets in one calendar minute.
    pub peak_page_minute: usize,
    /// Distinct paths (without query).
    pub distinct_paths: usize,
    /// Distinct query strings.
    pub distinct_queries: usize,
    /// 404 answers.
    pub not_found: usize,
    /// 401 and 403 answers.
    pub refused: usize,
    /// POST requests.
    pub post: usize,
    /// Requests to login-like paths.
    pub login: usize,
    /// Bytes sent.
    pub bytes: u64,
    /// Median bytes of a response (0 for no requests).
    pub median_bytes: f64,
    /// Distinct user agents.
    pub agents: usize,
    /// Median gap between consecutive requests, seconds (`None` for one request).
    pub median_gap: Option<f64>,
    /// Page views: non-asset requests answered 2xx or 304.
    pub page_views: usize,
    /// Static assets of the site loaded: answered 200/304, with a referer of the site (when
    /// the log has referers).
    pub assets: usize,
    /// Requests with a referer.
    pub with_referer: usize,
    /// Requests whose user agent declares a bot.
    pub bot_requests: usize,
    /// The first bot declared ([`super::declared_bot::declared_bot`]; 0: none).
    pub bot: u8,
    /// Sessions (runs without a pause of [`SESSION_GAP_MS`]).
    pub sessions: usize,
    /// Requests with attack patterns.
    pub attack_hits: usize,
    /// The attack classes seen (a mask of [`super::attack_patterns`] bits).
    pub attack_classes: u8,
    /// Requests with a method other than GET, HEAD and POST.
    pub unusual_methods: usize,
    /// Requests for `/robots.txt` (what crawlers read first, RFC 9309).
    pub robots: usize,
}

/// The sites a referer of the log's own pages names: the virtual hosts, and the referer sites of
/// static assets (a browser fetching a page's stylesheet names the page): the most common one
/// and any other named at least a fifth as often. `None` when the log has no referers (then
/// every static asset answered 200/304 counts as loaded with a page).
pub fn own_sites(log: &AccessLog) -> Option<Vec<u64>> {
    if !log.referer.par_iter().any(|&r| r != 0) {
        return None;
    }
    let mut counts: std::collections::HashMap<u64, usize> = std::collections::HashMap::new();
    for i in 0..log.requests() {
        let r = log.referer[i];
        if r != 0 && log.asset[i] && matches!(log.status[i], 200 | 304) {
            *counts.entry(r).or_default() += 1;
        }
    }
    let top = counts.values().copied().max().unwrap_or(0);
    let mut own: Vec<u64> = counts
        .into_iter()
        .filter(|&(_, n)| n * 5 >= top)
        .map(|(k, _)| k)
        .collect();
    own.extend(log.vhosts.iter().map(|h| site_key(site_name(h.as_bytes()))));
    own.sort_unstable();
    own.dedup();
    Some(own)
}

/// The path hash of `/robots.txt`.
fn robots_txt() -> u64 {
    use std::hash::BuildHasher;
    super::read::hasher().hash_one(&b"/robots.txt"[..])
}

/// Counts what client `lines` (its requests, in time order) did; `own` from [`own_sites`].
pub fn client_facts(log: &AccessLog, lines: &[u32], own: Option<&[u64]>) -> ClientFacts {
    let n = lines.len();
    let mut f = ClientFacts {
        requests: n,
        ..ClientFacts::default()
    };
    let (mut run, mut page_run) = (0usize, 0usize);
    let mut last_minute = i64::MIN;
    let mut paths = Vec::with_capacity(n);
    let mut queries = Vec::new();
    let mut agents = Vec::with_capacity(n.min(64));
    let mut gaps = Vec::with_capacity(n.saturating_sub(1));
    let mut sizes = Vec::with_capacity(n);
    let mut prev_time: Option<i64> = None;
    let robots = robots_txt();
    for &i in lines {
        let i = i as usize;
        let t = log.time[i];
        let minute = t.div_euclid(60_000);
        let asset = log.asset[i];
        f.robots += usize::from(log.path[i] == robots);
        if minute == last_minute {
            run += 1;
            page_run += usize::from(!asset);
        } else {
            f.active_minutes += 1;
            run = 1;
            page_run = usize::from(!asset);
            last_minute = minute;
        }
        f.peak_minute = f.peak_minute.max(run);
        f.peak_page_minute = f.peak_page_minute.max(page_run);
        match prev_time {
            Some(p) => {
                gaps.push((t - p) as f64 / 1000.0);
                f.sessions += usize::from(t - p > SESSION_GAP_MS);
            }
            None => f.sessions = 1,
        }
        prev_time = Some(t);
        let status = log.status[i];
        match status {
            404 => f.not_found += 1,
            401 | 403 => f.refused += 1,
            _ => {}
        }
        let method = log.method[i];
        f.post += usize::from(method == Method::Post);
        f.unusual_methods += usize::from(matches!(method, Method::Write | Method::Other));
        f.login += usize::from(log.login[i]);
        f.bytes += log.bytes[i];
        sizes.push(log.bytes[i] as f64);
        let referer = log.referer[i];
        f.with_referer += usize::from(referer != 0);
        if asset {
            let own_referer = own.is_none_or(|own| own.binary_search(&referer).is_ok());
            f.assets += usize::from(matches!(status, 200 | 304) && own_referer);
        } else {
            f.page_views += usize::from((200..300).contains(&status) || status == 304);
        }
        let bot = log.bot[i];
        if bot != 0 {
            f.bot_requests += 1;
            if f.bot == 0 {
                f.bot = bot;
            }
        }
        let attack = log.attack[i];
        f.attack_hits += usize::from(attack != 0);
        f.attack_classes |= attack;
        paths.push(log.path[i]);
        if log.query[i] != 0 {
            queries.push(log.query[i]);
        }
        agents.push(log.agent[i]);
    }
    for v in [&mut paths, &mut queries, &mut agents] {
        v.sort_unstable();
        v.dedup();
    }
    f.distinct_paths = paths.len();
    f.distinct_queries = queries.len();
    f.agents = agents.len();
    if !sizes.is_empty() {
        f.median_bytes = crate::numeric::percentiles(&sizes, &[50.0])[0];
    }
    f.median_gap = (!gaps.is_empty()).then(|| crate::numeric::percentiles(&gaps, &[50.0])[0]);
    f
}

/// The features of every client, column-major (`[feature][client]`).
///
/// The 404, 401/403, POST and login shares are smoothed: `(k + SHARE_PRIOR * p) / (n +
/// SHARE_PRIOR)`, where `p` is the share over the whole log; a client with thousands of requests
/// keeps its raw share. A client seen once has no gap between requests; it gets the median of
/// the other clients' median gaps (so it looks typical there rather than extreme).
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
    let own = own_sites(log);
    let rows: Vec<[f64; FEATURES.len()]> = (0..log.clients.len())
        .into_par_iter()
        .map(|c| {
            let facts = client_facts(log, log.by_client.of(c), own.as_deref());
            feature_row(&facts, &overall)
        })
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

fn feature_row(f: &ClientFacts, overall: &[f64; 4]) -> [f64; FEATURES.len()] {
    let n = f.requests as f64;
    let smoothed = |k: usize, p: f64| (k as f64 + SHARE_PRIOR * p) / (n + SHARE_PRIOR);
    let raw = |k: usize| k as f64 / n.max(1.0);
    [
        n,
        n / f.active_minutes.max(1) as f64,
        f.peak_minute as f64,
        f.distinct_paths as f64,
        smoothed(f.not_found, overall[0]),
        smoothed(f.refused, overall[1]),
        smoothed(f.post, overall[2]),
        smoothed(f.login, overall[3]),
        f.bytes as f64,
        f.bytes as f64 / n.max(1.0),
        f.agents as f64,
        f.median_gap.unwrap_or(f64::NAN),
        f.peak_page_minute as f64,
        f.page_views as f64,
        raw(f.assets),
        n / f.page_views.max(1) as f64,
        raw(f.with_referer),
        raw(f.bot_requests),
        f.sessions as f64,
        f.distinct_queries as f64,
        raw(f.attack_hits),
        raw(f.unusual_methods),
        f.median_bytes,
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
