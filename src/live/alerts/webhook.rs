//! `--webhook URL`: every alert POSTed as JSON (`Content-Type: application/json`, the same
//! object as a line of the alert file) from a thread of its own. [`Webhook::send`] only puts
//! the alert in a bounded queue and returns at once, so a slow or failing endpoint never
//! stalls the watch's reading; when the queue is full the alert is not queued, and it is
//! counted and reported like an alert that could not be delivered. The thread retries a
//! failed POST (no answer, a timeout, status 408, 429 or 5xx) with exponential backoff; other
//! statuses are final. Every alert that is not delivered is reported on standard error (with
//! its subject and time), kept in [`Webhook::undelivered`] and counted in [`WebhookCounts`]:
//! none is dropped silently. [`Webhook::finish`] gives the queue a grace time at exit, cut
//! short once the endpoint has stopped answering (three attempts in a row without an answer).
//!
//! The client is ureq (blocking, small, rustls for https://); the thread makes one request at
//! a time, in order.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{Alert, AlertError};

/// How the webhook sends.
#[derive(Debug, Clone)]
pub struct WebhookOptions {
    /// Alerts waiting to be sent at most; more are not queued (and reported).
    pub queue: usize,
    /// Attempts per alert, the first included.
    pub attempts: u32,
    /// The wait before the second attempt; it doubles at each further one.
    pub first_backoff: Duration,
    /// The longest wait between two attempts.
    pub max_backoff: Duration,
    /// The longest one request may take.
    pub timeout: Duration,
    /// Report each alert not delivered on standard error as it happens.
    pub report: bool,
}

impl Default for WebhookOptions {
    /// 1,000 alerts queued; 6 attempts, 0.5 s apart then doubling (15.5 s in all) up to
    /// 30 s; 10 s per request.
    fn default() -> Self {
        WebhookOptions {
            queue: 1000,
            attempts: 6,
            first_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            timeout: Duration::from_secs(10),
            report: true,
        }
    }
}

/// Attempts in a row without any answer after which, once the watch is ending, the queued
/// alerts are given up on at once instead of at the end of the grace.
const GIVE_UP_UNANSWERED: u32 = 3;

/// An alert that was not delivered, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Undelivered {
    /// The alert.
    pub alert: Alert,
    /// Why, in words.
    pub why: String,
}

/// What happened to the alerts given to a webhook.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WebhookCounts {
    /// Alerts queued.
    pub queued: u64,
    /// Alerts the endpoint accepted (a 2xx status).
    pub delivered: u64,
    /// Queued alerts given up on (attempts used up, a final status, or the exit came first).
    pub failed: u64,
    /// Alerts not queued because the queue was full.
    pub not_queued: u64,
}

impl WebhookCounts {
    /// Queued alerts still waiting or being sent.
    pub fn pending(&self) -> u64 {
        self.queued - self.delivered - self.failed
    }

    /// Alerts not delivered, for whatever reason.
    pub fn undelivered(&self) -> u64 {
        self.failed + self.not_queued
    }
}

/// What the caller and the sending thread share.
struct Shared {
    url: String,
    report: bool,
    queued: AtomicU64,
    delivered: AtomicU64,
    failed: AtomicU64,
    not_queued: AtomicU64,
    undelivered: Mutex<Vec<Undelivered>>,
    /// Set by [`Webhook::finish`]: after it, nothing more is attempted.
    deadline: Mutex<Option<Instant>>,
    /// Wakes the thread from a backoff wait when the deadline is set.
    wake: Condvar,
}

impl Shared {
    /// Records an alert that was not delivered.
    fn give_up(&self, alert: Alert, why: String) {
        if self.report {
            crate::terminal::eprintln(format_args!(
                "trafficlens: warning: --webhook {}: the alert for {} ({} at {}) was not delivered: {why}",
                self.url,
                alert.subject,
                alert.kind.word().to_lowercase(),
                crate::zone::Zone::Utc.format(alert.time),
            ));
        }
        lock(&self.undelivered).push(Undelivered { alert, why });
    }

    /// True once [`Webhook::finish`] was called: the watch is ending.
    fn ending(&self) -> bool {
        lock(&self.deadline).is_some()
    }

    /// True once the deadline set at exit has passed.
    fn past_deadline(&self) -> bool {
        lock(&self.deadline).is_some_and(|d| Instant::now() >= d)
    }

    /// Waits `wait`, or less when the exit's deadline comes first.
    fn backoff(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut deadline = lock(&self.deadline);
        loop {
            let now = Instant::now();
            let end = deadline.map_or(until, |d| d.min(until));
            if now >= end {
                return;
            }
            deadline = self
                .wake
                .wait_timeout(deadline, end - now)
                .map(|(g, _)| g)
                .unwrap_or_else(|e| e.into_inner().0);
        }
    }
}

/// A mutex's content, even after a panic elsewhere (counters and lists stay consistent).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Sends alerts to a webhook from its own thread.
pub struct Webhook {
    tx: Option<SyncSender<Alert>>,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Webhook {
    /// Checks `url` (http:// or https://, with a host) and starts the sending thread.
    pub fn start(url: &str, options: WebhookOptions) -> Result<Webhook, AlertError> {
        let bad = |reason: &str| AlertError::WebhookUrl {
            url: url.to_string(),
            reason: reason.to_string(),
        };
        let uri: ureq::http::Uri = url.parse().map_err(|_| bad("not a web address"))?;
        match uri.scheme_str() {
            Some("http" | "https") => {}
            _ => return Err(bad("the address must start with http:// or https://")),
        }
        if uri.host().is_none_or(str::is_empty) {
            return Err(bad("the address has no host"));
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(options.timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(concat!("trafficlens/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        let shared = Arc::new(Shared {
            url: url.to_string(),
            report: options.report,
            queued: AtomicU64::new(0),
            delivered: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            not_queued: AtomicU64::new(0),
            undelivered: Mutex::new(Vec::new()),
            deadline: Mutex::new(None),
            wake: Condvar::new(),
        });
        let (tx, rx) = sync_channel(options.queue.max(1));
        let worker = shared.clone();
        let thread = std::thread::Builder::new()
            .name("webhook".into())
            .spawn(move || run(rx, &worker, &agent, &options))
            .map_err(AlertError::Thread)?;
        Ok(Webhook {
            tx: Some(tx),
            shared,
            thread: Some(thread),
        })
    }

    /// Queues `alert` for sending and returns at once: true when it was queued; false when
    /// the queue was full (the alert is then counted and reported as not delivered).
    pub fn send(&self, alert: &Alert) -> bool {
        let Some(tx) = &self.tx else {
            return false;
        };
        match tx.try_send(alert.clone()) {
            Ok(()) => {
                self.shared.queued.fetch_add(1, Ordering::SeqCst);
                true
            }
            Err(TrySendError::Full(alert) | TrySendError::Disconnected(alert)) => {
                self.shared.not_queued.fetch_add(1, Ordering::SeqCst);
                self.shared.give_up(
                    alert,
                    "the webhook's queue was full (the endpoint is slower than the alerts come)"
                        .into(),
                );
                false
            }
        }
    }

    /// What happened so far.
    pub fn counts(&self) -> WebhookCounts {
        let s = &self.shared;
        WebhookCounts {
            queued: s.queued.load(Ordering::SeqCst),
            delivered: s.delivered.load(Ordering::SeqCst),
            failed: s.failed.load(Ordering::SeqCst),
            not_queued: s.not_queued.load(Ordering::SeqCst),
        }
    }

    /// The alerts not delivered so far, and why.
    pub fn undelivered(&self) -> Vec<Undelivered> {
        lock(&self.shared.undelivered).clone()
    }

    /// Stops taking alerts and lets the thread send what is queued for up to `grace` (plus
    /// the request under way, at most the request timeout); what is left is counted and
    /// reported as not delivered. Returns the final counts.
    pub fn finish(self, grace: Duration) -> WebhookCounts {
        self.finish_listing(grace).0
    }

    /// [`Webhook::finish`], with every alert not delivered and why.
    pub fn finish_listing(mut self, grace: Duration) -> (WebhookCounts, Vec<Undelivered>) {
        self.tx = None;
        *lock(&self.shared.deadline) = Some(Instant::now() + grace);
        self.shared.wake.notify_all();
        if let Some(thread) = self.thread.take() {
            // A panic in the thread (none is expected) leaves the counts as they were.
            let _ = thread.join();
        }
        (self.counts(), self.undelivered())
    }
}

/// The sending thread: one alert at a time, in order, each retried until delivered, given up,
/// or the exit's deadline passes.
fn run(rx: Receiver<Alert>, shared: &Shared, agent: &ureq::Agent, options: &WebhookOptions) {
    // Attempts in a row that got no answer at all.
    let mut unanswered = 0u32;
    while let Ok(alert) = rx.recv() {
        let mut body = alert.to_json_line();
        body.pop();
        let mut wait = options.first_backoff;
        let mut attempt = 1;
        // Why the last attempt failed, if one was made.
        let mut last: Option<String> = None;
        let failure = loop {
            if shared.past_deadline() {
                break Some(match &last {
                    None => "not sent before the watch ended".to_string(),
                    Some(why) => format!(
                        "{why} ({} attempt{}; the watch ended before the next)",
                        attempt - 1,
                        if attempt == 2 { "" } else { "s" }
                    ),
                });
            }
            let outcome = post(agent, &shared.url, &body);
            if let Outcome::NoAnswer(why) = &outcome {
                unanswered += 1;
                // At exit, an endpoint that has stopped answering is not waited for: the grace
                // is for one that answers slowly or fails now and then (a dead endpoint held
                // every exit for the whole grace).
                if shared.ending() && unanswered >= GIVE_UP_UNANSWERED {
                    break Some(format!(
                        "{why} (the watch was ending and the endpoint had stopped answering)"
                    ));
                }
            } else {
                unanswered = 0;
            }
            match outcome {
                Outcome::Delivered => break None,
                Outcome::Final(why) => break Some(why),
                Outcome::Retry(why) | Outcome::NoAnswer(why)
                    if attempt >= options.attempts.max(1) =>
                {
                    break Some(format!("{why} (after {attempt} attempts)"))
                }
                Outcome::Retry(why) | Outcome::NoAnswer(why) => {
                    last = Some(why);
                    shared.backoff(wait);
                    wait = (wait * 2).min(options.max_backoff);
                    attempt += 1;
                }
            }
        };
        match failure {
            None => {
                shared.delivered.fetch_add(1, Ordering::SeqCst);
            }
            Some(why) => {
                shared.failed.fetch_add(1, Ordering::SeqCst);
                shared.give_up(alert, why);
            }
        }
    }
}

/// How one POST went.
enum Outcome {
    /// A 2xx status.
    Delivered,
    /// Worth trying again: 408, 429 or 5xx.
    Retry(String),
    /// No answer (the connection failed, or timed out): worth trying again, but not while the
    /// watch is ending once the endpoint has stopped answering.
    NoAnswer(String),
    /// Not worth trying again: another status.
    Final(String),
}

/// POSTs `body` to `url`.
fn post(agent: &ureq::Agent, url: &str, body: &[u8]) -> Outcome {
    match agent
        .post(url)
        .header("Content-Type", "application/json")
        .send(body)
    {
        Ok(response) => {
            let status = response.status().as_u16();
            match status {
                200..=299 => Outcome::Delivered,
                408 | 429 | 500..=599 => Outcome::Retry(format!("the endpoint answered {status}")),
                _ => Outcome::Final(format!(
                    "the endpoint answered {status}; check the address and what the endpoint accepts"
                )),
            }
        }
        Err(e) => Outcome::NoAnswer(format!("no answer: {e}")),
    }
}
