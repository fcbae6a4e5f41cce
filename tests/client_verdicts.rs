//! Precision on access logs: what a flagged client is called. On small real-looking fixtures (a
//! browser session with its assets, a declared crawler, a scanner with payloads) and on the
//! generator's default log under the default (automatic) threshold of the client view.

use std::collections::HashMap;
use std::sync::Arc;

use trafficlens::data::access::verdict::{Kind, Verdicts};
use trafficlens::data::load;
use trafficlens::terminal::escape;

use crate::util::{bin, data, tempdir};

/// Every client of `tests/data/logs/precision.log` with its reason in words.
fn fixture_words() -> (HashMap<String, String>, Verdicts, HashMap<String, usize>) {
    let ds = load(data("logs/precision.log"), &Default::default()).expect("load");
    let table = ds.log.as_ref().expect("log");
    let verdicts = Verdicts::new(Arc::clone(&table.log), &ds.columns);
    let labels = &ds.row_labels.as_ref().expect("clients").values;
    let mut words = HashMap::new();
    let mut client = HashMap::new();
    for (r, address) in labels.iter().enumerate() {
        let c = table.client_of_row[r] as usize;
        // The top feature: requests (what the detector says is not needed for the words).
        words.insert(address.clone(), verdicts.explain(c, &ds.row(r), 0));
        client.insert(address.clone(), c);
    }
    (words, verdicts, client)
}

#[test]
fn a_browser_session_a_declared_crawler_and_a_scanner_are_named_as_such() {
    let (words, _, _) = fixture_words();
    let w = |a: &str| words[a].as_str();
    assert!(
        w("83.149.9.216").starts_with("a browser session: 2 page views with 14 static assets; "),
        "{}",
        w("83.149.9.216")
    );
    assert!(
        w("24.236.252.67").starts_with("a browser session: 1 page views with 2 static assets"),
        "{}",
        w("24.236.252.67")
    );
    assert_eq!(
        w("66.249.73.135"),
        "a search-engine crawler (declares Googlebot): 6 requests to 6 distinct paths, median gap 60 s"
    );
    assert_eq!(
        w("203.0.113.66"),
        "a scanner: 12 requests, 83% 404, SQL injection, path traversal, shellshock, \
         cross-site scripting, sensitive-file probes and scanner user agent in 12 of them"
    );
    for (client, reason) in &words {
        if client != "203.0.113.66" {
            assert!(
                !reason.contains("scanner") && !reason.contains("flood"),
                "{client}: {reason}"
            );
        }
    }
}

#[test]
fn the_scanners_attack_lines_are_kept_with_their_numbers_and_nobody_elses() {
    let (_, verdicts, client) = fixture_words();
    let lines = verdicts.attack_lines(client["203.0.113.66"]);
    assert_eq!(lines.len(), 12);
    assert!(lines
        .iter()
        .all(|l| l.text.starts_with("203.0.113.66 - - [")));
    let shellshock = lines
        .iter()
        .find(|l| l.text.contains("/cgi-bin/test.cgi"))
        .expect("shellshock line");
    let text = std::fs::read_to_string(data("logs/precision.log")).expect("fixture");
    let numbered = text
        .lines()
        .nth(shellshock.line as usize - 1)
        .expect("line");
    assert_eq!(numbered, shellshock.text);
    for other in [
        "83.149.9.216",
        "24.236.252.67",
        "93.114.45.13",
        "66.249.73.135",
    ] {
        assert!(verdicts.attack_lines(client[other]).is_empty(), "{other}");
    }
    // An attacker's control characters are shown as escapes.
    assert_eq!(
        escape("() { :; }; \u{1b}]0;x\u{7}"),
        "() { :; }; \\x1b]0;x\\x07"
    );
}

/// The flagged clients of the generator's default log under `detect`'s defaults, in the order
/// the flagged file lists them: (count of clients, [(address, explanation)]).
fn generated_flagged() -> (usize, Vec<(String, String)>) {
    let (path, _) = crate::access_logs::generated();
    let dir = tempdir();
    let out = bin(dir.path())
        .arg("detect")
        .arg(path)
        .args(["--flagged-out", "f.csv"])
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut reader = csv::Reader::from_path(dir.path().join("f.csv")).expect("flagged");
    let headers = reader.headers().expect("header").clone();
    let client = headers.iter().position(|h| h == "client").expect("client");
    let why = headers
        .iter()
        .position(|h| h == "explanation")
        .expect("explanation");
    let rows: Vec<(String, String)> = reader
        .records()
        .map(|r| {
            let r = r.expect("record");
            (r[client].to_string(), r[why].to_string())
        })
        .collect();
    // The summary says how many the flood's cohort added beyond the threshold.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(" more as members of a flood one flagged row belongs to"),
        "{stderr}"
    );
    // `trafficlens: 412197 requests from 3202 clients (...)` on standard error.
    let clients = String::from_utf8_lossy(&out.stderr)
        .split(" requests from ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("the count of clients");
    (clients, rows)
}

/// What an analyst acts on, on the generator's default log (seed 0: 3,202 clients, of which 204
/// attack: a scanner, a credential stuffer, 200 addresses of one DDoS, an exfiltration and an
/// aggressive crawler) under `detect`'s defaults for the client view (Isolation Forest, the
/// automatic threshold at risk 1e-2).
#[test]
fn on_the_generated_log_every_attack_is_flagged_with_its_words_and_listed_first() {
    let (_, labels) = crate::access_logs::generated();
    let (clients, flagged) = generated_flagged();
    let words: HashMap<&str, &str> = flagged
        .iter()
        .map(|(c, w)| (c.as_str(), w.as_str()))
        .collect();
    let expected = [
        ("scanner", "a scanner: "),
        ("credential_stuffing", "credential stuffing: "),
        ("exfiltration", "data exfiltration: downloaded "),
        ("crawler", "an aggressive crawler (declares MJ12bot): "),
        (
            "ddos",
            "part of a flood: 200 addresses flooding in the same minutes ",
        ),
    ];
    let mut ddos_flagged = 0;
    for (kind, start) in expected {
        let of_kind: Vec<&String> = labels
            .iter()
            .filter(|(_, k)| *k == kind)
            .map(|(c, _)| c)
            .collect();
        assert!(!of_kind.is_empty(), "{kind}");
        let hit: Vec<&str> = of_kind
            .iter()
            .filter_map(|c| words.get(c.as_str()).copied())
            .collect();
        for w in &hit {
            assert!(w.starts_with(start), "{kind}: {w}");
        }
        if kind == "ddos" {
            // The detector alone flags a few of the 200 (a dense group is no outlier); the
            // cohort brings in the rest.
            ddos_flagged = hit.len();
            assert!(
                hit.len() * 10 >= of_kind.len() * 8,
                "{} of {} DDoS addresses flagged",
                hit.len(),
                of_kind.len()
            );
        } else {
            assert_eq!(hit.len(), 1, "{kind} not flagged");
        }
    }
    // Short: besides the flood's addresses, a few percent of the clients at most.
    assert!(
        (flagged.len() - ddos_flagged) * 100 <= 3 * clients,
        "{} of {clients} flagged, {ddos_flagged} of them in the flood",
        flagged.len()
    );
    // Attackers first: every labelled attacker is listed before every other client.
    let last_attacker = flagged
        .iter()
        .rposition(|(c, _)| labels.contains_key(c))
        .expect("attackers");
    let first_other = flagged
        .iter()
        .position(|(c, _)| !labels.contains_key(c))
        .unwrap_or(flagged.len());
    assert!(
        last_attacker < first_other,
        "an attacker at {last_attacker}, another client at {first_other}"
    );
    // Everyone else flagged (office gateways, the search-engine bots, monitors) is not called
    // an attacker.
    let attack_words = [
        "scanner",
        "attack",
        "credential stuffing",
        "exfiltration",
        "aggressive crawler",
        "flood",
    ];
    let mut benign = 0;
    for (client, why) in &flagged {
        if labels.contains_key(client) {
            continue;
        }
        benign += 1;
        assert!(
            attack_words.iter().all(|a| !why.contains(a)),
            "{client}: {why}"
        );
        assert!(
            why.starts_with("a shared gateway")
                || why.starts_with("a search-engine crawler (declares Googlebot)")
                || why.starts_with("a monitor")
                || why.starts_with("a browser session"),
            "{client}: {why}"
        );
    }
    assert!(benign > 0, "the gateways and crawlers stand out too");
}

/// Every attacker of the generated log, flagged or not, is named with its attack's words by the
/// verdict alone.
#[test]
fn on_the_generated_log_every_attacker_is_named_by_its_verdict() {
    let (path, labels) = crate::access_logs::generated();
    let ds = load(path, &Default::default()).expect("load");
    let table = ds.log.as_ref().expect("log");
    let verdicts = Verdicts::new(Arc::clone(&table.log), &ds.columns);
    let expected: HashMap<&str, &str> = [
        ("scanner", "a scanner: "),
        ("credential_stuffing", "credential stuffing: "),
        ("exfiltration", "data exfiltration: "),
        ("crawler", "an aggressive crawler (declares MJ12bot): "),
        ("ddos", "part of a flood: 200 addresses "),
    ]
    .into_iter()
    .collect();
    for (r, address) in ds
        .row_labels
        .as_ref()
        .expect("clients")
        .values
        .iter()
        .enumerate()
    {
        let v = verdicts.verdict(table.client_of_row[r] as usize, &ds.row(r), 0);
        match labels.get(address) {
            Some(kind) => {
                assert!(
                    v.words.starts_with(expected[kind.as_str()]),
                    "{kind}: {}",
                    v.words
                );
                assert_eq!(v.kind, Kind::Attack, "{kind}: {}", v.words);
            }
            None => assert_ne!(v.kind, Kind::Attack, "{address}: {}", v.words),
        }
    }
}
