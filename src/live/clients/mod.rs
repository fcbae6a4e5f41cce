//! Per-client detection for `trafficlens watch`: every client address has a sliding window of
//! its requests of the last few minutes ([`window`]); each client is scored as its lines arrive
//! by an Isolation Forest fitted on a reference of recent client windows and refitted in the
//! background ([`model`]); a client over the threshold raises one alert (the [`Cooldown`] keeps
//! it to one per client per gap) with the batch client view's reason in words
//! ([`verdict::explain_facts`] over the window's counts: "a scanner: ...", "credential
//! stuffing: ...").
//!
//! What is scored, and when:
//! - a client is judged once its window holds at least `min_requests` requests (fewer say too
//!   little: one visitor's 404 is not a scan), at its first such line and then at most once per
//!   second of log time ([`SCORE_EVERY_MS`]), so a flooding client costs one score a second;
//! - once raised, a client stays over until its score falls [`HYSTERESIS`] below the threshold,
//!   so a score wavering around the threshold does not raise and recover on alternate lines;
//! - a client idle for a whole window is evicted (memory follows the clients active within the
//!   window, at most `max_clients`); a raised client that goes idle recovers then.
//!
//! The reference is taken every [`SNAPSHOT_EVERY_MS`] of log time from the windows of the
//! clients with at least `min_requests` requests (the same population as the scored one) that
//! are not raised. Once it holds [`model::MIN_FIT_ROWS`] rows a fit is asked of the background
//! thread, and a new one every [`REFIT_EVERY_MS`] of log time. Following live, a fit is put in
//! use at the first line after it is ready and reading never waits for it. Replaying
//! (`repeatable`), the fit asked last is put in use at the next refit point of the log's time
//! (the first one at the next snapshot), waiting for it if need be, so a replay gives the same
//! alerts every time however fast it reads.
//!
//! Beside the model, the crawl rule ([`CRAWL_PAGES`] different pages within a minute, spread
//! out, under one user agent) raises a fast crawler in its first minute.
//!
//! Known limits: the reference takes the windows of an attack not yet raised (a flood's many
//! addresses, a crawler slower than the crawl rule whose first minutes look like a busy
//! visitor's), so such an attack can become the norm; and Isolation Forest scores a window far
//! beyond the reference like one at its edge (split points are drawn within the reference's
//! range), so scores of clear attacks and of the oddest benign windows are close (0.70 to 0.76
//! on the generated log).

pub mod model;
pub mod window;

use std::collections::HashMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use self::model::{Model, Reference, Refitter, MIN_FIT_ROWS};
use self::window::{Overall, Request, Window, MODEL_FEATURES};
use crate::data::formats::access::clients::FEATURES;
use crate::data::formats::access::line::{is_login_path, Parsed};
use crate::data::formats::access::{verdict, Method};
use crate::live::alerts::{Alert, AlertKind};
use crate::live::cooldown::Cooldown;

/// A client is scored at most once per this much log time (and at its first judged line).
pub const SCORE_EVERY_MS: i64 = 1_000;

/// How often (log time) the reference takes the active clients' windows and a refit is asked.
pub const SNAPSHOT_EVERY_MS: i64 = 60_000;

/// How often (log time) the model is replaced by the one fitted since.
pub const REFIT_EVERY_MS: i64 = 600_000;

/// How often (log time) idle clients are looked for.
const SWEEP_EVERY_MS: i64 = 10_000;

/// A raised client stays over until its score is this much under the threshold.
pub const HYSTERESIS: f64 = 0.05;

/// The stretch of a client's window the crawl rule looks at: its last minute (log time).
pub const CRAWL_SPAN_MS: i64 = 60_000;

/// Different pages within [`CRAWL_SPAN_MS`] from which the crawl rule raises a client.
pub const CRAWL_PAGES: usize = 30;

/// The crawl rule, beside the model: within the last minute at least [`CRAWL_PAGES`] different
/// paths, nearly every request (90%) to a path not asked for before in that minute, spread over
/// at least 20 different seconds (not one page load's burst of assets), under one user agent
/// over the whole window, at most 20% not found (a scanner's misses are the model's to judge)
/// and no POST. Without it a crawler's first minutes look like a busy visitor's window to the
/// model, which then takes them into its reference (see the known limits above). Returns the
/// different pages (the alert's score; the threshold is [`CRAWL_PAGES`]) and the reason in
/// words when the rule fits.
fn crawl(pace: &window::Pace) -> Option<(usize, String)> {
    let fits = pace.paths >= CRAWL_PAGES
        && pace.paths * 10 >= pace.requests * 9
        && pace.seconds >= 20
        && pace.agents == 1
        && pace.not_found * 5 <= pace.requests
        && pace.posts == 0;
    fits.then(|| {
        (
            pace.paths,
            format!(
                "fetching pages fast, like an aggressive crawler: {} requests for {} different \
                 pages in the last minute, in {} different seconds, one user agent, {} not found",
                pace.requests, pace.paths, pace.seconds, pace.not_found
            ),
        )
    })
}

/// How to watch clients.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClientSettings {
    /// The window's width in milliseconds.
    pub window_ms: i64,
    /// Requests a window needs before the client is judged.
    pub min_requests: usize,
    /// The anomaly score (in (0, 1]) over which a client is raised.
    pub threshold: f64,
    /// The minimum time between two raises of one client.
    pub cooldown: Duration,
    /// Clients tracked at most (more are counted and left out until idle ones are evicted).
    pub max_clients: usize,
    /// Put each fit in use at a set point of the log's time (replays), not when it is ready.
    pub repeatable: bool,
}

impl Default for ClientSettings {
    fn default() -> Self {
        ClientSettings {
            window_ms: 300_000,
            min_requests: 5,
            threshold: 0.7,
            cooldown: Duration::from_secs(600),
            max_clients: 1_000_000,
            repeatable: true,
        }
    }
}

/// What the client watch keeps across a restart (`--state`): windows, reference, cooldown.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClientState {
    windows: HashMap<String, Window, foldhash::fast::RandomState>,
    reference: Reference,
    cooldown: Option<Cooldown>,
    /// Lines, 404, 401/403, POST and login-path requests of all traffic seen.
    totals: [u64; 5],
    now_ms: Option<i64>,
    next_snapshot_ms: i64,
    next_refit_ms: i64,
    next_sweep_ms: i64,
    /// Clients evicted after a window without a request.
    pub evicted: u64,
    /// Lines of new clients left out while `max_clients` were tracked.
    pub untracked: u64,
}

/// Counts for the end-of-watch summary.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ClientCounts {
    /// Clients tracked now.
    pub tracked: usize,
    /// Clients evicted when idle.
    pub evicted: u64,
    /// Lines of clients left out at the cap.
    pub untracked: u64,
    /// Models fitted.
    pub fits: u64,
    /// Fits that failed.
    pub failed_fits: u64,
}

/// The per-client detector of the watch.
#[derive(Debug)]
pub struct ClientWatch {
    settings: ClientSettings,
    state: ClientState,
    cooldown: Cooldown,
    model: Option<Model>,
    /// The background fitter; without it, fits run inline.
    refitter: Option<Refitter>,
    /// An inline fit not yet in use.
    pending: Option<Result<Model, String>>,
    fits: u64,
    failed_fits: u64,
    /// The first failed fit's message.
    pub fit_error: Option<String>,
}

impl ClientWatch {
    /// A client watch from `state` (empty for a new watch), refitting on a background thread
    /// when `background` (inline otherwise).
    pub fn new(
        settings: ClientSettings,
        mut state: ClientState,
        background: bool,
    ) -> std::io::Result<ClientWatch> {
        let refitter = if background {
            Some(Refitter::start()?)
        } else {
            None
        };
        let cooldown = state
            .cooldown
            .take()
            .unwrap_or_else(|| Cooldown::new(settings.cooldown));
        let mut watch = ClientWatch {
            settings,
            state,
            cooldown,
            model: None,
            refitter,
            pending: None,
            fits: 0,
            failed_fits: 0,
            fit_error: None,
        };
        // A restart has its reference back: the first model comes from it at once.
        if watch.refit() {
            watch.wait_for_fit();
        }
        Ok(watch)
    }

    /// What to save in `--state`.
    pub fn state(&self) -> ClientState {
        ClientState {
            cooldown: Some(self.cooldown.clone()),
            ..self.state.clone()
        }
    }

    /// The counts so far.
    pub fn counts(&self) -> ClientCounts {
        ClientCounts {
            tracked: self.state.windows.len(),
            evicted: self.state.evicted,
            untracked: self.state.untracked,
            fits: self.fits,
            failed_fits: self.failed_fits,
        }
    }

    /// True once a model is in use.
    pub fn has_model(&self) -> bool {
        self.model.is_some()
    }

    /// Takes one parsed line (`raw` as read, kept as a sample); returns the alerts it causes.
    pub fn line(&mut self, parsed: &Parsed<'_>, raw: &[u8]) -> Vec<Alert> {
        let mut alerts = Vec::new();
        let t = parsed.time_ms;
        let now = self.state.now_ms.map_or(t, |n| n.max(t));
        if self.state.now_ms.is_none() {
            self.state.next_snapshot_ms = t + SNAPSHOT_EVERY_MS;
            self.state.next_sweep_ms = t + SWEEP_EVERY_MS;
        }
        self.state.now_ms = Some(now);
        if now >= self.state.next_sweep_ms {
            self.state.next_sweep_ms = now + SWEEP_EVERY_MS;
            self.sweep(now, &mut alerts);
        }
        if now >= self.state.next_snapshot_ms {
            self.state.next_snapshot_ms = now + SNAPSHOT_EVERY_MS;
            self.snapshot();
            if self.model.is_none() || now >= self.state.next_refit_ms {
                if self.settings.repeatable {
                    self.wait_for_fit();
                }
                if self.refit() {
                    self.state.next_refit_ms = now + REFIT_EVERY_MS;
                }
            }
        }
        if !self.settings.repeatable {
            let fitted = match &mut self.refitter {
                Some(r) => r.take(),
                None => self.pending.take(),
            };
            if let Some(fitted) = fitted {
                self.adopt(fitted);
            }
        }
        let post = parsed.method == Method::Post;
        let login = is_login_path(parsed.path);
        let totals = &mut self.state.totals;
        totals[0] += 1;
        totals[1] += u64::from(parsed.status == 404);
        totals[2] += u64::from(parsed.status == 401 || parsed.status == 403);
        totals[3] += u64::from(post);
        totals[4] += u64::from(login);
        let overall = self.overall();
        let request = Request {
            time_ms: t,
            path: parsed.path,
            agent: parsed.user_agent,
            bytes: parsed.bytes,
            status: parsed.status,
            post,
            login,
        };
        let client = String::from_utf8_lossy(parsed.client);
        let window = match self.state.windows.get_mut(client.as_ref()) {
            Some(w) => w,
            None => {
                if self.state.windows.len() >= self.settings.max_clients {
                    self.sweep(now, &mut alerts);
                }
                if self.state.windows.len() >= self.settings.max_clients {
                    self.state.untracked += 1;
                    return alerts;
                }
                self.state
                    .windows
                    .entry(client.clone().into_owned())
                    .or_default()
            }
        };
        window.push(&request, raw, self.settings.window_ms);
        if window.requests() < self.settings.min_requests
            || window
                .scored_ms
                .is_some_and(|s| t.saturating_sub(s) < SCORE_EVERY_MS)
        {
            return alerts;
        }
        let crawling = crawl(&window.pace(t, CRAWL_SPAN_MS));
        let model = match (&self.model, &crawling) {
            (None, None) => return alerts,
            (model, _) => model.as_ref(),
        };
        window.scored_ms = Some(t);
        let row = window.features(&overall);
        let subject = format!("client {client}");
        let raised = self.cooldown.is_raised(&subject);
        // The model's verdict, where there is a model; the crawl rule's otherwise.
        let scored = model.map(|m| (m, m.score(&row)));
        let judged = scored.filter(|&(_, score)| {
            score > self.settings.threshold
                || (raised && score > self.settings.threshold - HYSTERESIS)
        });
        let over = judged.is_some() || crawling.is_some();
        let Some(kind) = self.cooldown.observe(&subject, t, over) else {
            return alerts;
        };
        let (score, threshold) = match (judged, &crawling) {
            (Some((_, score)), _) => (score, self.settings.threshold),
            (None, Some((pages, _))) => (*pages as f64, CRAWL_PAGES as f64),
            (None, None) => (scored.map_or(0.0, |(_, s)| s), self.settings.threshold),
        };
        let reason = match (kind, judged) {
            (AlertKind::Raised, None) => crawling.map_or_else(String::new, |(_, words)| words),
            (AlertKind::Raised, Some((model, _))) => {
                // Only the model's features are compared with the typical window: the later
                // ones are 0 on both sides, so they never tell.
                let mut full = [0.0; FEATURES.len()];
                full[..MODEL_FEATURES].copy_from_slice(&row);
                let mut typical = vec![0.0; FEATURES.len()];
                typical[..MODEL_FEATURES].copy_from_slice(&model.typical);
                let calibration = verdict::Calibration {
                    typical,
                    browser_page_peak: model.peak_p99,
                    flood_page_peak: (verdict::FLOOD_FACTOR * model.peak_p99)
                        .max(verdict::FLOOD_FLOOR),
                };
                format!(
                    "{} in the last {}",
                    verdict::explain_facts(
                        &window.facts(),
                        &calibration,
                        &full,
                        model.top_feature(&row)
                    ),
                    minutes(self.settings.window_ms)
                )
            }
            (AlertKind::Recovered, _) => "back under the threshold".to_string(),
        };
        alerts.push(Alert {
            time: t,
            kind,
            subject,
            score,
            threshold,
            reason,
            samples: match kind {
                AlertKind::Raised => window.samples(),
                AlertKind::Recovered => Vec::new(),
            },
        });
        alerts
    }

    /// The rates of all traffic the shares are smoothed towards.
    fn overall(&self) -> Overall {
        let t = &self.state.totals;
        let n = t[0].max(1) as f64;
        [
            t[1] as f64 / n,
            t[2] as f64 / n,
            t[3] as f64 / n,
            t[4] as f64 / n,
        ]
    }

    /// Forgets which clients are raised (the end of a history learnt without alerts).
    pub fn reset_alerts(&mut self) {
        self.cooldown.reset();
    }

    /// Evicts the clients without a request for a whole window (a raised one recovers).
    fn sweep(&mut self, now: i64, alerts: &mut Vec<Alert>) {
        let oldest = now - self.settings.window_ms;
        let before = self.state.windows.len();
        let mut idle = Vec::new();
        self.state.windows.retain(|client, w| {
            let keep = w.last_ms > oldest;
            if !keep {
                idle.push(client.clone());
            }
            keep
        });
        self.state.evicted += (before - self.state.windows.len()) as u64;
        idle.sort_unstable();
        for client in idle {
            let subject = format!("client {client}");
            if self.cooldown.is_raised(&subject) {
                if let Some(kind) = self.cooldown.observe(&subject, now, false) {
                    alerts.push(Alert {
                        time: now,
                        kind,
                        subject,
                        score: 0.0,
                        threshold: self.settings.threshold,
                        reason: format!(
                            "no request for {}: no longer watched",
                            minutes(self.settings.window_ms)
                        ),
                        samples: Vec::new(),
                    });
                }
            }
        }
        self.cooldown.forget(now);
    }

    /// Adds the judged, not raised clients' windows to the reference, in the order of their
    /// addresses (the map's order changes from run to run; the fit must not).
    fn snapshot(&mut self) {
        let overall = self.overall();
        let mut rows: Vec<(&String, [f64; MODEL_FEATURES])> = self
            .state
            .windows
            .iter()
            .filter(|(client, w)| {
                w.requests() >= self.settings.min_requests
                    && !self.cooldown.is_raised(&format!("client {client}"))
            })
            .map(|(client, w)| (client, w.features(&overall)))
            .collect();
        rows.sort_unstable_by(|a, b| a.0.cmp(b.0));
        for (_, row) in rows {
            self.state.reference.push(row);
        }
    }

    /// Asks for a fit on the reference (done at once without a background thread, put in use
    /// by the next [`Self::wait_for_fit`]); true when asked.
    fn refit(&mut self) -> bool {
        if self.state.reference.len() < MIN_FIT_ROWS {
            return false;
        }
        let rows = self.state.reference.rows();
        match &mut self.refitter {
            Some(r) => r.ask(rows),
            None => {
                self.pending = Some(Model::fit(&rows, self.fits + self.failed_fits));
                true
            }
        }
    }

    fn adopt(&mut self, fitted: Result<Model, String>) {
        match fitted {
            Ok(m) => {
                self.model = Some(m);
                self.fits += 1;
            }
            Err(e) => {
                self.failed_fits += 1;
                self.fit_error.get_or_insert(e);
            }
        }
    }

    /// Puts the fit asked last in use, waiting for it if it is under way.
    pub fn wait_for_fit(&mut self) {
        let fitted = match &mut self.refitter {
            Some(r) => r.wait(),
            None => self.pending.take(),
        };
        if let Some(fitted) = fitted {
            self.adopt(fitted);
        }
    }
}

/// A window width in words (`5 min`, `90 s`).
fn minutes(ms: i64) -> String {
    if ms % 60_000 == 0 {
        format!("{} min", ms / 60_000)
    } else {
        format!("{} s", ms / 1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A line of client `c` at `t_ms`.
    fn line(c: &'static [u8], t_ms: i64, path: &'static [u8], status: u16) -> Parsed<'static> {
        Parsed {
            client: c,
            time_ms: t_ms,
            offset_min: None,
            method: Method::Get,
            path,
            query: b"",
            status,
            bytes: 5_000,
            user_agent: b"Mozilla",
            referer: b"",
            vhost: b"",
            request_ms: f32::NAN,
        }
    }

    const CLIENTS: [&[u8]; 12] = [
        b"10.0.0.1",
        b"10.0.0.2",
        b"10.0.0.3",
        b"10.0.0.4",
        b"10.0.0.5",
        b"10.0.0.6",
        b"10.0.0.7",
        b"10.0.0.8",
        b"10.0.0.9",
        b"10.0.0.10",
        b"10.0.0.11",
        b"10.0.0.12",
    ];
    const PAGES: [&[u8]; 6] = [b"/", b"/a", b"/b", b"/c", b"/cart", b"/shop"];

    #[test]
    fn the_crawl_rule_raises_a_fast_crawler_but_not_a_page_load_or_a_shared_address() {
        // No model yet (nothing to fit from): the rule alone judges.
        let mut w = ClientWatch::new(ClientSettings::default(), ClientState::default(), false)
            .expect("watch");
        let pages: Vec<String> = (0..200).map(|i| format!("/product/{i}")).collect();
        let request = |c: &'static [u8], t: i64, path: &'static str, agent: &'static [u8]| Parsed {
            user_agent: agent,
            path: path.as_bytes(),
            ..line(c, t, b"/", 200)
        };
        let pages: &'static [String] = Box::leak(pages.into_boxed_slice());
        let mut alerts = Vec::new();
        // A page load: 40 different assets within two seconds, then a few pages.
        for (k, p) in pages.iter().take(40).enumerate() {
            alerts.extend(w.line(&request(b"10.1.1.1", k as i64 * 50, p, b"Mozilla"), b"l"));
        }
        // Two browsers behind one address, each a different page every 1.5 s.
        for (k, p) in pages.iter().enumerate().take(80) {
            let agent: &[u8] = if k % 2 == 0 { b"Firefox" } else { b"Chrome" };
            alerts.extend(w.line(&request(b"10.2.2.2", k as i64 * 1500, p, agent), b"o"));
        }
        assert!(alerts.is_empty(), "{alerts:?}");
        // A crawler: a different page every 1.5 s under one agent.
        for (k, p) in pages.iter().enumerate().take(80) {
            let t = 200_000 + k as i64 * 1500;
            alerts.extend(w.line(&request(b"198.51.100.7", t, p, b"MJ12bot"), b"c"));
        }
        let raised: Vec<&Alert> = alerts
            .iter()
            .filter(|a| a.kind == AlertKind::Raised)
            .collect();
        assert_eq!(raised.len(), 1, "{alerts:#?}");
        let a = raised[0];
        assert_eq!(a.subject, "client 198.51.100.7");
        // Its 30th different page, 29 gaps of 1.5 s in.
        assert_eq!(a.time, 200_000 + 29 * 1500);
        assert_eq!((a.score, a.threshold), (30.0, CRAWL_PAGES as f64));
        assert_eq!(
            a.reason,
            "fetching pages fast, like an aggressive crawler: 30 requests for 30 different \
             pages in the last minute, in 30 different seconds, one user agent, 0 not found"
        );
    }

    #[test]
    fn a_scanner_is_raised_once_with_its_reason_and_idle_clients_are_evicted() {
        let settings = ClientSettings::default();
        let mut w = ClientWatch::new(settings, ClientState::default(), false).expect("watch");
        let mut alerts = Vec::new();
        // An hour of 12 visitors, each a few pages a minute (every client on its own rhythm).
        let mut t = 0i64;
        while t < 3_600_000 {
            for (i, c) in CLIENTS.iter().enumerate() {
                if (t / 1000 + i as i64 * 7) % (20 + i as i64 % 11) == 0 {
                    let p = PAGES[(t / 1000) as usize % PAGES.len()];
                    // Now and then a page that is not there.
                    let status = if (t / 1000 + i as i64) % 53 == 0 {
                        404
                    } else {
                        200
                    };
                    alerts.extend(w.line(&line(c, t, p, status), b"visit"));
                }
            }
            t += 1000;
        }
        assert!(w.has_model(), "{:?}", w.fit_error);
        assert!(alerts.is_empty(), "{alerts:?}");
        // A scanner: one probe a second, nearly all 404.
        const SCAN: [&[u8]; 8] = [
            b"/.env",
            b"/.git/config",
            b"/wp-login.php",
            b"/admin.php",
            b"/backup.sql",
            b"/db.sql",
            b"/config.json",
            b"/phpinfo.php",
        ];
        let start = t;
        for k in 0..120 {
            let p = SCAN[k % SCAN.len()];
            alerts.extend(w.line(&line(b"203.0.113.9", t, p, 404), b"probe"));
            t += 1000;
        }
        let raised: Vec<&Alert> = alerts
            .iter()
            .filter(|a| a.kind == AlertKind::Raised)
            .collect();
        assert_eq!(raised.len(), 1, "{alerts:#?}");
        assert_eq!(raised[0].subject, "client 203.0.113.9");
        assert!(
            raised[0].time - start <= 30_000,
            "{}",
            raised[0].time - start
        );
        assert!(raised[0].reason.contains("404"), "{}", raised[0].reason);
        assert_eq!(raised[0].samples, ["probe", "probe", "probe"]);
        // Saved and restored: the same windows and cooldown.
        let state = w.state();
        let json = serde_json::to_string(&state).expect("save");
        let back: ClientState = serde_json::from_str(&json).expect("load");
        assert_eq!(back, state);
        // Ten minutes of one other client: the scanner goes idle, recovers and is evicted.
        for k in 0..30 {
            alerts.extend(w.line(&line(b"10.0.0.1", t + k * 20_000, b"/", 200), b"v"));
        }
        // The scanner's last alert is its recovery (back under, or idle and no longer watched).
        let last = alerts
            .iter()
            .rfind(|a| a.subject == "client 203.0.113.9")
            .expect("alerts");
        assert_eq!(last.kind, AlertKind::Recovered);
        assert_eq!(w.counts().tracked, 1);
        assert!(w.counts().evicted >= 12);
    }
}
