//! Alert outputs (src/live/alerts): the webhook against a local HTTP server on loopback that
//! is slow and fails some requests: every alert is delivered or reported as not delivered,
//! none lost, and `send` never waits for the endpoint.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use trafficlens::live::alerts::{Alert, AlertError, AlertKind, Webhook, WebhookOptions};

/// The longest the server holds a request waiting for the test's release.
const HOLD_AT_MOST: Duration = Duration::from_secs(60);

/// What the server answers to a request: its status (after `delay`).
type Policy = dyn Fn(usize, &str) -> u16 + Send + Sync;

/// A small HTTP/1.1 server on 127.0.0.1 that answers one request per connection.
struct Server {
    url: String,
    /// Requests answered, with the alert's subject and the status given.
    answered: Arc<Mutex<Vec<(String, u16)>>>,
    /// Requests are held until this is set (when the server holds).
    release: Arc<AtomicBool>,
    /// Set when a held request was let go by the server's own time limit.
    forced: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl Server {
    fn start(delay: Duration, hold: bool, policy: Box<Policy>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        listener.set_nonblocking(true).expect("nonblocking");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        let answered = Arc::new(Mutex::new(Vec::new()));
        let release = Arc::new(AtomicBool::new(!hold));
        let forced = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let (a, r, f, s) = (
            answered.clone(),
            release.clone(),
            forced.clone(),
            stop.clone(),
        );
        let handle = std::thread::spawn(move || {
            let requests = AtomicUsize::new(0);
            while !s.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let n = requests.fetch_add(1, Ordering::SeqCst);
                        let subject = read_request(&stream);
                        let held = Instant::now();
                        while !r.load(Ordering::SeqCst) {
                            if held.elapsed() > HOLD_AT_MOST {
                                f.store(true, Ordering::SeqCst);
                                r.store(true, Ordering::SeqCst);
                            }
                            std::thread::sleep(Duration::from_millis(1));
                        }
                        std::thread::sleep(delay);
                        let status = policy(n, &subject);
                        // Noted before the answer goes out: once the sender has its answer, the
                        // test may already look.
                        a.lock().expect("lock").push((subject, status));
                        answer(stream, status);
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    Err(e) => panic!("accept: {e}"),
                }
            }
        });
        Server {
            url,
            answered,
            release,
            forced,
            stop,
            handle: Some(handle),
        }
    }

    fn answered(&self) -> Vec<(String, u16)> {
        self.answered.lock().expect("lock").clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.release.store(true, Ordering::SeqCst);
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// Reads one request; returns the subject of the alert it carries.
fn read_request(stream: &TcpStream) -> String {
    stream.set_nonblocking(false).expect("blocking");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).expect("request line");
    assert!(
        request_line.starts_with("POST /hook HTTP/1.1"),
        "{request_line}"
    );
    let mut length = None;
    let mut json = false;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).expect("header");
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':').expect("a header");
        match name.to_ascii_lowercase().as_str() {
            "content-length" => length = Some(value.trim().parse::<usize>().expect("length")),
            "content-type" => json = value.trim() == "application/json",
            _ => {}
        }
    }
    assert!(json, "sent as JSON");
    let mut body = vec![0; length.expect("a content length")];
    reader.read_exact(&mut body).expect("body");
    let alert: Alert = serde_json::from_slice(&body).expect("an alert");
    alert.subject
}

fn answer(mut stream: TcpStream, status: u16) {
    let text = format!("HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    let _ = stream.write_all(text.as_bytes());
}

fn alert(subject: &str) -> Alert {
    Alert {
        time: 1_764_666_900_000,
        kind: AlertKind::Raised,
        subject: subject.to_string(),
        score: 0.8,
        threshold: 0.6,
        reason: "a test".into(),
        samples: vec!["GET / HTTP/1.1".into()],
    }
}

fn quick(queue: usize, attempts: u32) -> WebhookOptions {
    WebhookOptions {
        queue,
        attempts,
        first_backoff: Duration::from_millis(2),
        max_backoff: Duration::from_millis(20),
        timeout: Duration::from_secs(10),
        report: false,
    }
}

#[test]
fn a_slow_failing_endpoint_gets_every_alert_or_has_it_reported() {
    // Every third request fails with 500; alerts about "doomed" subjects always fail.
    let server = Server::start(
        Duration::from_millis(5),
        true,
        Box::new(|n, subject| {
            if subject.contains("doomed") || n % 3 == 1 {
                500
            } else {
                200
            }
        }),
    );
    let webhook = Webhook::start(&server.url, quick(100, 4)).expect("start");
    let subjects: Vec<String> = (0..50)
        .map(|i| match i % 10 {
            9 => format!("doomed {i}"),
            _ => format!("client {i}"),
        })
        .collect();
    for s in &subjects {
        assert!(webhook.send(&alert(s)), "queued");
    }
    // The server holds the first request until released: every send returned while the
    // endpoint had answered nothing.
    assert!(server.answered().is_empty(), "send waited for the endpoint");
    server.release.store(true, Ordering::SeqCst);
    let counts = webhook.finish(Duration::from_secs(120));
    assert!(!server.forced.load(Ordering::SeqCst));
    assert_eq!(counts.queued, 50);
    assert_eq!(counts.not_queued, 0);
    assert_eq!(counts.delivered, 45, "{counts:?}");
    assert_eq!(counts.failed, 5, "{counts:?}");
    assert_eq!(counts.pending(), 0);

    let answered = server.answered();
    let mut accepted: HashMap<&str, usize> = HashMap::new();
    for (subject, status) in &answered {
        if *status == 200 {
            *accepted.entry(subject.as_str()).or_default() += 1;
        }
    }
    for s in subjects.iter().filter(|s| !s.contains("doomed")) {
        assert_eq!(accepted.get(s.as_str()), Some(&1), "{s} delivered once");
    }
    assert!(
        answered
            .iter()
            .any(|(s, st)| *st == 500 && !s.contains("doomed")),
        "some deliveries needed a retry"
    );
    let doomed_attempts = answered
        .iter()
        .filter(|(s, _)| s.contains("doomed"))
        .count();
    assert_eq!(doomed_attempts, 5 * 4, "each doomed alert tried 4 times");
}

#[test]
fn undelivered_alerts_are_listed_with_the_reason() {
    let server = Server::start(Duration::ZERO, false, Box::new(|_, _| 500));
    let webhook = Webhook::start(&server.url, quick(10, 3)).expect("start");
    for i in 0..4 {
        webhook.send(&alert(&format!("client {i}")));
    }
    let start = Instant::now();
    while webhook.counts().failed < 4 {
        assert!(start.elapsed() < Duration::from_secs(120), "timed out");
        std::thread::sleep(Duration::from_millis(5));
    }
    let undelivered = webhook.undelivered();
    let subjects: Vec<&str> = undelivered
        .iter()
        .map(|u| u.alert.subject.as_str())
        .collect();
    assert_eq!(subjects, ["client 0", "client 1", "client 2", "client 3"]);
    assert!(
        undelivered[0].why.contains("answered 500") && undelivered[0].why.contains("3 attempts"),
        "{}",
        undelivered[0].why
    );
    let counts = webhook.finish(Duration::from_secs(10));
    assert_eq!((counts.delivered, counts.failed), (0, 4));
    // A final status is not retried.
    let server = Server::start(Duration::ZERO, false, Box::new(|_, _| 404));
    let webhook = Webhook::start(&server.url, quick(10, 3)).expect("start");
    webhook.send(&alert("client 9"));
    let counts = webhook.finish(Duration::from_secs(60));
    assert_eq!(counts.failed, 1);
    assert_eq!(server.answered().len(), 1, "404 is final");
}

#[test]
fn a_full_queue_counts_and_reports_instead_of_waiting() {
    let server = Server::start(Duration::ZERO, true, Box::new(|_, _| 200));
    let webhook = Webhook::start(&server.url, quick(2, 3)).expect("start");
    let queued = (0..20)
        .filter(|i| webhook.send(&alert(&format!("client {i}"))))
        .count() as u64;
    assert!(server.answered().is_empty(), "send waited for the endpoint");
    let counts = webhook.counts();
    assert_eq!(counts.queued, queued);
    assert!(queued <= 3, "two in the queue and one taken: {queued}");
    assert_eq!(counts.not_queued, 20 - queued);
    let undelivered = webhook.undelivered();
    assert_eq!(undelivered.len() as u64, 20 - queued);
    assert!(undelivered[0].why.contains("queue was full"));
    server.release.store(true, Ordering::SeqCst);
    let counts = webhook.finish(Duration::from_secs(120));
    assert_eq!(counts.delivered, queued);
    assert_eq!(counts.delivered + counts.undelivered(), 20, "none lost");
}

#[test]
fn an_alert_cut_short_by_the_exit_says_why_its_attempts_failed() {
    // Every POST answered 500, retried for ever, and a short grace: the alert being retried
    // when the grace ends says what the endpoint answered (it said only that it was not sent),
    // the ones never tried that they were not sent.
    let server = Server::start(Duration::ZERO, false, Box::new(|_, _| 500));
    let webhook = Webhook::start(&server.url, quick(10, 1_000_000)).expect("start");
    webhook.send(&alert("client 0"));
    webhook.send(&alert("client 1"));
    let start = Instant::now();
    while server.answered().len() < 3 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no attempt answered"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let (_, undelivered) = webhook.finish_listing(Duration::from_millis(100));
    assert_eq!(undelivered.len(), 2);
    assert!(
        undelivered[0].why.contains("the endpoint answered 500")
            && undelivered[0]
                .why
                .contains("the watch ended before the next"),
        "{}",
        undelivered[0].why
    );
    assert_eq!(undelivered[1].why, "not sent before the watch ended");
}

/// A webhook to a port nobody listens on (every attempt fails at once), retrying for ever,
/// with ten alerts queued.
fn ten_alerts_to_a_closed_port() -> Webhook {
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let options = WebhookOptions {
        attempts: 1000,
        first_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_secs(5),
        ..quick(100, 1000)
    };
    let webhook = Webhook::start(&format!("http://127.0.0.1:{port}/hook"), options).expect("start");
    for i in 0..10 {
        assert!(webhook.send(&alert(&format!("client {i}"))));
    }
    webhook
}

#[test]
fn finish_gives_up_after_its_grace_when_nobody_answers() {
    let webhook = ten_alerts_to_a_closed_port();
    let counts = webhook.finish(Duration::from_millis(200));
    assert_eq!(counts.delivered, 0);
    assert_eq!(
        counts.failed, 10,
        "every queued alert counted as not delivered"
    );
}

#[test]
fn at_exit_an_endpoint_that_stopped_answering_is_not_waited_for() {
    // A port nobody listens on, and a long grace: once three attempts in a row got no answer,
    // the queued alerts are given up on at once (a dead endpoint held every exit for the whole
    // grace), each one still tried once. An endpoint that answers, even 500, keeps its grace
    // (`a_slow_failing_endpoint_gets_every_alert_or_has_it_reported`).
    let webhook = ten_alerts_to_a_closed_port();
    let (counts, undelivered) = webhook.finish_listing(Duration::from_secs(60));
    assert_eq!((counts.delivered, counts.failed), (0, 10));
    assert_eq!(undelivered.len(), 10);
    for u in &undelivered {
        assert!(
            u.why
                .contains("the watch was ending and the endpoint had stopped answering"),
            "{}: {}",
            u.alert.subject,
            u.why
        );
    }
}

#[test]
fn a_webhook_address_must_be_http_or_https() {
    for url in ["ftp://example.com/x", "not an address", "http://"] {
        match Webhook::start(url, WebhookOptions::default()) {
            Err(e @ AlertError::WebhookUrl { .. }) => {
                assert!(e.to_string().contains("http://"), "{e}")
            }
            Err(e) => panic!("{url}: {e}"),
            Ok(_) => panic!("{url} accepted"),
        }
    }
}
