//! Explaining a ranked client in words: what its features say it is doing
//! ("412 distinct paths, 97% 404: looks like a scanner").

use std::sync::Arc;

use super::attack_patterns;
use super::clients::{client_facts, col, own_sites, ClientFacts};
use super::declared_bot::{self, BotKind};
use super::flood::{Cohort, FloodCohorts};
use super::{AccessLog, AttackLine};

/// A count with thousands separators: 12345 -> `12,345`.
pub fn count(x: f64) -> String {
    let n = x.round() as i64;
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

/// Bytes in B, kB, MB or GB (decimal units).
pub fn bytes(x: f64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB"];
    let mut v = x;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < units.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{} B", v.round())
    } else {
        format!("{v:.1} {}", units[u])
    }
}

/// A share as a whole percentage: 0.934 -> `93%`.
pub fn pct(x: f64) -> String {
    format!("{:.0}%", 100.0 * x)
}

fn duration(s: f64) -> String {
    if s < 1.0 {
        format!("{:.0} ms", s * 1000.0)
    } else if s < 120.0 {
        format!("{s:.0} s")
    } else if s < 7200.0 {
        format!("{:.0} min", s / 60.0)
    } else {
        format!("{:.1} h", s / 3600.0)
    }
}

/// The feature's value in words.
fn feature_words(f: usize, v: f64) -> String {
    match f {
        col::REQUESTS => format!("{} requests", count(v)),
        col::PER_MINUTE => format!("{v:.1} requests per active minute"),
        col::PEAK => format!("peak {} requests in one minute", count(v)),
        col::PATHS => format!("{} distinct paths", count(v)),
        col::NOT_FOUND => format!("{} 404", pct(v)),
        col::REFUSED => format!("{} refused (401/403)", pct(v)),
        col::POST => format!("{} POST", pct(v)),
        col::LOGIN => format!("{} to login paths", pct(v)),
        col::BYTES => format!("{} sent", bytes(v)),
        col::BYTES_PER_REQUEST => format!("{} per request", bytes(v)),
        col::AGENTS => format!("{} user agents", count(v)),
        col::GAP => format!("median gap {}", duration(v)),
        col::PEAK_PAGES => format!("peak {} page requests in one minute", count(v)),
        col::PAGE_VIEWS => format!("{} page views", count(v)),
        col::ASSETS => format!("{} static assets", pct(v)),
        col::PER_PAGE_VIEW => format!("{v:.1} requests per page view"),
        col::REFERER => format!("{} with a referer", pct(v)),
        col::BOT => format!("{} from a declared bot", pct(v)),
        col::SESSIONS => format!("{} sessions", count(v)),
        col::QUERIES => format!("{} distinct query strings", count(v)),
        col::ATTACKS => format!("{} with attack patterns", pct(v)),
        col::UNUSUAL_METHOD => format!("{} with methods other than GET/HEAD/POST", pct(v)),
        col::MEDIAN_BYTES => format!("median response {}", bytes(v)),
        _ => format!("{v}"),
    }
}

/// A flood is a peak of page requests (anything but static assets) in one minute this many
/// times the peak that the log's own browser sessions reach (their 99th percentile).
pub const FLOOD_FACTOR: f64 = 3.0;

/// And never below this many page requests in one minute (a log with few browser sessions).
pub const FLOOD_FLOOR: f64 = 20.0;

/// What the log itself says is ordinary, for reasons in its own terms.
#[derive(Debug, Clone, PartialEq)]
pub struct Calibration {
    /// The median of every feature (the typical client).
    pub typical: Vec<f64>,
    /// The 99th percentile of the peak page requests in one minute of browser-like clients
    /// (page views with static assets of the site, no declared bot, no attack patterns).
    pub browser_page_peak: f64,
    /// Page requests in one minute from which a client is a flood.
    pub flood_page_peak: f64,
}

impl Calibration {
    /// From the client view's feature columns.
    pub fn of(columns: &[Vec<f64>]) -> Calibration {
        let typical = typical(columns);
        let get = |c: usize, r: usize| columns.get(c).and_then(|v| v.get(r)).copied();
        let rows = columns.first().map_or(0, Vec::len);
        let browser = |r: usize| {
            get(col::PAGE_VIEWS, r).unwrap_or(0.0) >= 1.0
                && get(col::ASSETS, r).unwrap_or(0.0) > 0.0
                && get(col::BOT, r).unwrap_or(0.0) == 0.0
                && get(col::ATTACKS, r).unwrap_or(0.0) == 0.0
        };
        let mut peaks: Vec<f64> = (0..rows)
            .filter(|&r| browser(r))
            .filter_map(|r| get(col::PEAK_PAGES, r))
            .collect();
        if peaks.is_empty() {
            // No browser sessions recognised: every client without a declared bot.
            peaks = (0..rows)
                .filter(|&r| get(col::BOT, r).unwrap_or(0.0) == 0.0)
                .filter_map(|r| get(col::PEAK_PAGES, r))
                .collect();
        }
        let q = crate::numeric::percentiles(&peaks, &[99.0])[0];
        let browser_page_peak = if q.is_finite() { q } else { 1.0 };
        Calibration {
            typical,
            browser_page_peak,
            flood_page_peak: (FLOOD_FACTOR * browser_page_peak).max(FLOOD_FLOOR),
        }
    }
}

/// Reasons in words for the clients of one log, calibrated to that log.
#[derive(Debug, Clone)]
pub struct Verdicts {
    log: Arc<AccessLog>,
    own: Option<Vec<u64>>,
    /// What is ordinary in this log.
    pub calibration: Calibration,
    /// Clients that flooded the site in the same minutes.
    pub floods: FloodCohorts,
}

impl Verdicts {
    /// For `log` and its client view's feature `columns`.
    pub fn new(log: Arc<AccessLog>, columns: &[Vec<f64>]) -> Verdicts {
        let own = own_sites(&log);
        let calibration = Calibration::of(columns);
        let rows = columns.first().map_or(0, Vec::len).min(log.clients.len());
        let client_of_row: Vec<u32> = (0..rows as u32).collect();
        let floods = FloodCohorts::of(&log, columns, &client_of_row, calibration.flood_page_peak);
        Verdicts {
            log,
            own,
            calibration,
            floods,
        }
    }

    /// What client `client` did, counted from its requests.
    pub fn facts(&self, client: usize) -> ClientFacts {
        if client >= self.log.clients.len() {
            return ClientFacts::default();
        }
        client_facts(
            &self.log,
            self.log.by_client.of(client),
            self.own.as_deref(),
        )
    }

    /// The lines of client `client` in which attack patterns were found (of the first
    /// [`super::read::ATTACK_LINES`] of the log).
    pub fn attack_lines(&self, client: usize) -> Vec<&AttackLine> {
        self.log
            .attack_lines
            .iter()
            .filter(|l| {
                self.log
                    .client
                    .get(l.request as usize)
                    .is_some_and(|&c| c as usize == client)
            })
            .collect()
    }

    /// Explains client `client`: `row` holds its features in [`super::clients::FEATURES`]
    /// order, `top` the feature that sets it apart most (from the detector's explainer).
    pub fn explain(&self, client: usize, row: &[f64], top: usize) -> String {
        self.verdict(client, row, top).words
    }

    /// What client `client` is ([`Kind`]) and why, in words; `row` and `top` as for
    /// [`Verdicts::explain`].
    pub fn verdict(&self, client: usize, row: &[f64], top: usize) -> Verdict {
        verdict_of(
            &self.facts(client),
            &self.calibration,
            row,
            top,
            self.floods.of_client(client),
        )
    }
}

impl Verdicts {
    /// The client view's rows in the order an analyst reads them: the flagged ones first, in
    /// [`triage_order`] (attacks first), then the rest by score, highest first. `columns` are the
    /// view's features, row `r` is client `client_of_row[r]`, with `scores[r]` and `flags[r]`.
    pub fn ranking(
        &self,
        columns: &[Vec<f64>],
        client_of_row: &[u32],
        scores: &[f64],
        flags: &[bool],
    ) -> Vec<usize> {
        let rows = scores.len().min(flags.len());
        let row = |r: usize| -> Vec<f64> {
            columns
                .iter()
                .map(|c| c.get(r).copied().unwrap_or(0.0))
                .collect()
        };
        let client = |r: usize| client_of_row.get(r).map_or(r, |&c| c as usize);
        let mut flagged: Vec<(usize, Kind, f64)> = (0..rows)
            .filter(|&r| flags[r])
            .map(|r| (r, self.verdict(client(r), &row(r), 0).kind, scores[r]))
            .collect();
        triage_order(&mut flagged);
        let mut rest: Vec<usize> = (0..rows).filter(|&r| !flags[r]).collect();
        rest.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
        flagged.iter().map(|&(r, _, _)| r).chain(rest).collect()
    }
}

/// What a verdict calls a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// An attack: a scanner, an attack attempt, credential stuffing, data exfiltration, an
    /// aggressive crawler or a flood.
    Attack,
    /// Nothing named: the reason is the feature that sets it apart.
    Unnamed,
    /// A known kind of harmless traffic: a shared gateway, a browser session, a declared
    /// search-engine crawler, monitor or feed reader, a polite crawler.
    Benign,
}

/// A client's verdict: what it is, and why in words.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// What it is.
    pub kind: Kind,
    /// Why, in words.
    pub words: String,
}

/// The order in which an analyst reads flagged clients: `rows` (client rows, each with its
/// verdict kind and score) sorted attacks first, then unnamed, then benign, by score (highest
/// first) within each, ties by row.
pub fn triage_order(rows: &mut [(usize, Kind, f64)]) {
    rows.sort_by(|a, b| a.1.cmp(&b.1).then(b.2.total_cmp(&a.2)).then(a.0.cmp(&b.0)));
}

/// `share` of `n` as a raw percentage.
fn share(k: usize, n: usize) -> String {
    pct(k as f64 / n.max(1) as f64)
}

/// The reason in words for a client whose raw counts are `f` and features `row`.
pub fn explain_facts(f: &ClientFacts, cal: &Calibration, row: &[f64], top: usize) -> String {
    verdict_of(f, cal, row, top, None).words
}

/// When `kind`, say `words`.
fn said(kind: Kind, words: String) -> Verdict {
    Verdict { kind, words }
}

/// The verdict on a client whose raw counts are `f` and features `row`; `cohort`: the clients
/// it flooded with, if any.
pub fn verdict_of(
    f: &ClientFacts,
    cal: &Calibration,
    row: &[f64],
    top: usize,
    cohort: Option<&Cohort>,
) -> Verdict {
    use Kind::{Attack, Benign, Unnamed};
    let v = |c: usize| row.get(c).copied().unwrap_or(0.0);
    let t = |c: usize| cal.typical.get(c).copied().unwrap_or(0.0);
    let n = f.requests;
    let nf = f.not_found as f64 / n.max(1) as f64;
    let refused = f.refused as f64 / n.max(1) as f64;
    let login = f.login as f64 / n.max(1) as f64;
    let post = f.post as f64 / n.max(1) as f64;
    // What made the detector single it out, against the typical client of this log.
    let standout = || {
        let feature = telling_feature(row.len(), top, |c| deviation(c, v(c), t(c)));
        format!(
            "{} (typical client: {})",
            feature_words(feature, v(feature)),
            feature_words(feature, t(feature))
        )
    };
    if f.attack_hits > 0 {
        let payloads = attack_patterns::names(f.attack_classes);
        let scanning = f.distinct_paths >= 20
            || nf >= 0.5
            || f.attack_hits >= 10
            || f.attack_classes & attack_patterns::SCANNER_AGENT != 0;
        let words = if scanning {
            format!(
                "a scanner: {} requests, {} 404, {payloads} in {} of them",
                count(n as f64),
                share(f.not_found, n),
                count(f.attack_hits as f64)
            )
        } else {
            format!(
                "an attack attempt: {payloads} in {} of {} requests",
                count(f.attack_hits as f64),
                count(n as f64)
            )
        };
        return said(Attack, words);
    }
    if f.distinct_paths >= 50 && nf >= 0.5 {
        return said(
            Attack,
            format!(
                "a scanner: {} requests to {} distinct paths, {} 404",
                count(n as f64),
                count(f.distinct_paths as f64),
                share(f.not_found, n)
            ),
        );
    }
    if f.login >= 30 && login >= 0.5 && (post >= 0.5 || refused >= 0.3) {
        return said(
            Attack,
            format!(
                "credential stuffing: {} requests to login paths, {} refused (401/403)",
                count(f.login as f64),
                share(f.refused, n)
            ),
        );
    }
    let gap = f.median_gap.unwrap_or(0.0);
    let fast = v(col::PER_MINUTE) >= 10.0 || (n >= 100 && gap < 5.0);
    let crawl = |what: &str| {
        format!(
            "{what}: {} requests to {} distinct paths, {}",
            count(n as f64),
            count(f.distinct_paths as f64),
            feature_words(col::GAP, gap)
        )
    };
    if 2 * f.bot_requests >= n {
        if let Some((name, kind)) = declared_bot::bot(f.bot) {
            return match kind {
                BotKind::Monitor => said(
                    Benign,
                    format!(
                        "a monitor (declares {name}): {} requests, {}",
                        count(n as f64),
                        feature_words(col::GAP, gap)
                    ),
                ),
                BotKind::SearchEngine => said(
                    Benign,
                    crawl(&format!("a search-engine crawler (declares {name})")),
                ),
                BotKind::Crawler if fast && f.distinct_paths >= 200 => said(
                    Attack,
                    crawl(&format!("an aggressive crawler (declares {name})")),
                ),
                BotKind::Crawler => said(Benign, crawl(&format!("a crawler (declares {name})"))),
                BotKind::FeedReader => said(
                    Benign,
                    format!(
                        "a feed reader (declares {name}): {} requests to {} distinct paths, {}",
                        count(n as f64),
                        count(f.distinct_paths as f64),
                        feature_words(col::GAP, gap)
                    ),
                ),
            };
        }
    }
    let sent = f.bytes as f64;
    let typical_each = t(col::BYTES) / t(col::REQUESTS).max(1.0);
    if sent >= 20.0 * t(col::BYTES).max(1.0)
        && sent / n.max(1) as f64 >= 20.0 * typical_each.max(1.0)
    {
        return said(
            Attack,
            format!(
                "data exfiltration: downloaded {} in {} requests, {}x the typical client ({}); {} \
                 per request",
                bytes(sent),
                count(n as f64),
                count(sent / t(col::BYTES).max(1.0)),
                bytes(t(col::BYTES)),
                bytes(sent / n.max(1) as f64)
            ),
        );
    }
    if f.robots > 0 && f.assets == 0 {
        return said(
            Benign,
            crawl("a crawler (reads robots.txt, declares no bot)"),
        );
    }
    let assets = f.assets as f64 / n.max(1) as f64;
    if f.distinct_paths >= 200 && v(col::PATHS) >= 20.0 * t(col::PATHS).max(1.0) && assets < 0.1 {
        return if fast {
            said(Attack, crawl("an aggressive crawler (no bot declared)"))
        } else {
            said(Benign, crawl("a crawler (no bot declared)"))
        };
    }
    if f.peak_page_minute as f64 >= cal.flood_page_peak {
        let peak = format!(
            "peak {} page requests in one minute{} (browsers here peak at {})",
            count(f.peak_page_minute as f64),
            if f.assets == 0 {
                ", no static assets".to_string()
            } else {
                format!(", {} static assets", share(f.assets, n))
            },
            count(cal.browser_page_peak)
        );
        return said(
            Attack,
            match cohort {
                Some(c) => format!(
                    "part of a flood: {} addresses flooding in the same minutes ({}); this one {peak}",
                    count(c.clients.len() as f64),
                    span_words(c.start, c.end)
                ),
                None => format!("a flood: {peak}"),
            },
        );
    }
    if f.agents >= 2
        && v(col::REQUESTS) >= 20.0 * t(col::REQUESTS).max(1.0)
        && nf < 0.2
        && refused < 0.2
    {
        return said(
            Benign,
            format!(
                "a shared gateway (an office or carrier network): {} requests from {} user \
                 agents; {}",
                count(n as f64),
                count(f.agents as f64),
                standout()
            ),
        );
    }
    if f.page_views >= 1 && f.assets >= 1 {
        return said(
            Benign,
            format!(
                "a browser session: {} page views with {} static assets{}; {}",
                count(f.page_views as f64),
                count(f.assets as f64),
                if f.sessions > 1 {
                    format!(" over {} sessions", count(f.sessions as f64))
                } else {
                    String::new()
                },
                standout()
            ),
        );
    }
    said(Unnamed, standout())
}

/// `2024-02-02 20:30–20:41 UTC` (the end's date too when it is another day).
fn span_words(start: i64, end: i64) -> String {
    let at = |ms: i64| chrono::DateTime::from_timestamp_millis(ms);
    match (at(start), at(end)) {
        (Some(a), Some(b)) if a.date_naive() == b.date_naive() => {
            format!("{}–{} UTC", a.format("%Y-%m-%d %H:%M"), b.format("%H:%M"))
        }
        (Some(a), Some(b)) => format!(
            "{}–{} UTC",
            a.format("%Y-%m-%d %H:%M"),
            b.format("%Y-%m-%d %H:%M")
        ),
        _ => String::from("at an unreadable time"),
    }
}

/// How far a value is from the typical one: for shares, tenths of the whole; for counts,
/// amounts and times, natural-log ratios.
/// The feature a reason names: the detector's `top` feature, unless it is no different from the
/// typical row (a deviation below 0.5); then the one of the `features` furthest from typical.
pub fn telling_feature(features: usize, top: usize, deviation: impl Fn(usize) -> f64) -> usize {
    if deviation(top) >= 0.5 {
        top
    } else {
        (0..features)
            .max_by(|&a, &b| deviation(a).total_cmp(&deviation(b)))
            .unwrap_or(top)
    }
}

fn deviation(feature: usize, v: f64, t: f64) -> f64 {
    match feature {
        col::NOT_FOUND
        | col::REFUSED
        | col::POST
        | col::LOGIN
        | col::ASSETS
        | col::REFERER
        | col::BOT
        | col::ATTACKS
        | col::UNUSUAL_METHOD => 10.0 * (v - t).abs(),
        _ => ((v.abs() + 1.0) / (t.abs() + 1.0)).ln().abs(),
    }
}

/// The median of every column (the "typical" client).
pub fn typical(columns: &[Vec<f64>]) -> Vec<f64> {
    columns
        .iter()
        .map(|c| crate::numeric::percentiles(c, &[50.0])[0])
        .collect()
}

/// Flags every member of a flood cohort of the client view `ds` one of whose members is
/// flagged in `flags` (one per row); any other table is left alone. Returns how many flags were
/// added.
pub fn group_flags(ds: &crate::data::Dataset, flags: &mut [bool]) -> usize {
    let Some(table) = ds.log.as_ref() else {
        return 0;
    };
    if table.view != super::LogView::Clients
        || ds.columns.len() != super::clients::FEATURES.len()
        || flags.len() != table.client_of_row.len()
        || !flags.iter().any(|&f| f)
    {
        return 0;
    }
    let cal = Calibration::of(&ds.columns);
    FloodCohorts::of(
        &table.log,
        &ds.columns,
        &table.client_of_row,
        cal.flood_page_peak,
    )
    .extend_flags(&table.client_of_row, flags)
}

/// Explanations in words for some rows of a client view (`None` for any other table): `top`
/// gives, per row, the index into `features` of the feature that sets the row apart most.
pub fn explain_rows(
    ds: &crate::data::Dataset,
    rows: &[usize],
    top: &[usize],
    features: &[String],
) -> Option<Vec<String>> {
    verdict_rows(ds, rows, top, features).map(|v| v.into_iter().map(|v| v.words).collect())
}

/// The verdicts on some rows of a client view (`None` for any other table); `top` as for
/// [`explain_rows`].
pub fn verdict_rows(
    ds: &crate::data::Dataset,
    rows: &[usize],
    top: &[usize],
    features: &[String],
) -> Option<Vec<Verdict>> {
    let table = ds.log.as_ref()?;
    if table.view != super::LogView::Clients || ds.columns.len() != super::clients::FEATURES.len() {
        return None;
    }
    let verdicts = Verdicts::new(Arc::clone(&table.log), &ds.columns);
    Some(
        rows.iter()
            .zip(top)
            .map(|(&r, &t)| {
                let name = features.get(t).map_or("", String::as_str);
                let col = super::clients::FEATURES
                    .iter()
                    .position(|f| *f == name)
                    .unwrap_or(col::REQUESTS);
                let client = table.client_of_row.get(r).map_or(r, |&c| c as usize);
                verdicts.verdict(client, &ds.row(r), col)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::access::clients::FEATURES;

    fn cal() -> Calibration {
        let mut typical = vec![0.0; FEATURES.len()];
        typical[col::REQUESTS] = 6.0;
        typical[col::PATHS] = 4.0;
        typical[col::BYTES] = 200_000.0;
        typical[col::SESSIONS] = 1.0;
        Calibration {
            typical,
            browser_page_peak: 6.0,
            flood_page_peak: 20.0,
        }
    }

    fn row(f: &ClientFacts) -> Vec<f64> {
        let mut r = vec![0.0; FEATURES.len()];
        r[col::REQUESTS] = f.requests as f64;
        r[col::PATHS] = f.distinct_paths as f64;
        r[col::PEAK_PAGES] = f.peak_page_minute as f64;
        r[col::SESSIONS] = f.sessions as f64;
        r
    }

    fn words(f: &ClientFacts, top: usize) -> String {
        explain_facts(f, &cal(), &row(f), top)
    }

    #[test]
    fn attackers_are_named_with_raw_shares() {
        let scanner = ClientFacts {
            requests: 6500,
            not_found: 5980,
            distinct_paths: 6000,
            attack_hits: 310,
            attack_classes: attack_patterns::SQL_INJECTION | attack_patterns::SHELLSHOCK,
            ..ClientFacts::default()
        };
        assert_eq!(
            words(&scanner, col::PATHS),
            "a scanner: 6,500 requests, 92% 404, SQL injection and shellshock in 310 of them"
        );
        let probe = ClientFacts {
            requests: 14,
            attack_hits: 2,
            distinct_paths: 5,
            attack_classes: attack_patterns::SQL_INJECTION,
            ..ClientFacts::default()
        };
        assert_eq!(
            words(&probe, col::ATTACKS),
            "an attack attempt: SQL injection in 2 of 14 requests"
        );
        let stuffing = ClientFacts {
            requests: 2000,
            login: 2000,
            post: 2000,
            refused: 1900,
            ..ClientFacts::default()
        };
        assert_eq!(
            words(&stuffing, col::LOGIN),
            "credential stuffing: 2,000 requests to login paths, 95% refused (401/403)"
        );
        let flood = ClientFacts {
            requests: 700,
            peak_page_minute: 94,
            page_views: 700,
            ..ClientFacts::default()
        };
        assert_eq!(
            words(&flood, col::PEAK_PAGES),
            "a flood: peak 94 page requests in one minute, no static assets (browsers here peak at 6)"
        );
    }

    #[test]
    fn an_exfiltration_is_named_with_its_volume_against_the_typical_client() {
        let exfil = ClientFacts {
            requests: 343,
            bytes: 2_100_000_000,
            distinct_paths: 343,
            ..ClientFacts::default()
        };
        let v = verdict_of(&exfil, &cal(), &row(&exfil), col::BYTES, None);
        assert_eq!(v.kind, Kind::Attack);
        assert_eq!(
            v.words,
            "data exfiltration: downloaded 2.1 GB in 343 requests, 10,500x the typical client \
             (200.0 kB); 6.1 MB per request"
        );
    }

    #[test]
    fn analysts_read_attacks_first_then_the_unnamed_then_the_benign() {
        let mut rows = vec![
            (0, Kind::Benign, 0.9),
            (1, Kind::Attack, 0.5),
            (2, Kind::Unnamed, 0.8),
            (3, Kind::Attack, 0.7),
            (4, Kind::Attack, 0.7),
        ];
        triage_order(&mut rows);
        let order: Vec<usize> = rows.iter().map(|r| r.0).collect();
        assert_eq!(order, [3, 4, 1, 2, 0]);
    }

    #[test]
    fn people_and_declared_bots_are_not_called_attackers() {
        // An iPhone reading pages with their stylesheets and images: many requests in a minute,
        // but few page requests.
        let browser = ClientFacts {
            requests: 273,
            peak_minute: 108,
            peak_page_minute: 4,
            page_views: 20,
            assets: 253,
            sessions: 1,
            distinct_paths: 60,
            ..ClientFacts::default()
        };
        assert_eq!(
            words(&browser, col::REQUESTS),
            "a browser session: 20 page views with 253 static assets; 273 requests (typical client: 6 requests)"
        );
        let googlebot = ClientFacts {
            requests: 2500,
            bot_requests: 2500,
            bot: declared_bot::declared_bot(b"Mozilla/5.0 (compatible; Googlebot/2.1)"),
            distinct_paths: 1000,
            median_gap: Some(120.0),
            ..ClientFacts::default()
        };
        assert_eq!(
            words(&googlebot, col::PATHS),
            "a search-engine crawler (declares Googlebot): 2,500 requests to 1,000 distinct paths, median gap 2 min"
        );
        let monitor = ClientFacts {
            requests: 5760,
            bot_requests: 5760,
            bot: declared_bot::declared_bot(b"UptimeMonitor/1.0 (+https://status.example.net)"),
            distinct_paths: 1,
            median_gap: Some(60.0),
            ..ClientFacts::default()
        };
        assert_eq!(
            words(&monitor, col::REQUESTS),
            "a monitor (declares an uptime monitor): 5,760 requests, median gap 60 s"
        );
        let quiet = ClientFacts {
            requests: 1,
            ..ClientFacts::default()
        };
        let mut r = row(&quiet);
        r[col::AGENTS] = 9.0;
        assert_eq!(
            explain_facts(&quiet, &cal(), &r, col::AGENTS),
            "9 user agents (typical client: 0 user agents)"
        );
        assert_eq!(count(1234567.0), "1,234,567");
        assert_eq!(bytes(2_100_000_000.0), "2.1 GB");
    }
}
