//! Attack patterns in a request: a small, fixed set of payload signatures looked for in the
//! request target (path and query), the user agent and the referer, as web application firewalls
//! and log-based intrusion detection do. Each class names where its patterns come from:
//!
//! - SQL injection: OWASP Core Rule Set (CRS) `REQUEST-942-APPLICATION-ATTACK-SQLI` (942100
//!   libinjection, 942140 database names, 942160 `sleep()`/`benchmark()`, 942190 `union select`,
//!   942130 tautologies such as `or 1=1`); CrowdSec scenario `crowdsecurity/http-sqli-probing`.
//! - Path traversal: CRS `REQUEST-930-APPLICATION-ATTACK-LFI` (930100/930110 `../` sequences,
//!   930120 OS files such as `/etc/passwd`, `win.ini`); CrowdSec
//!   `crowdsecurity/http-path-traversal-probing`.
//! - Shellshock: CRS 932170/932171 (`() {` in a header or argument, CVE-2014-6271).
//! - Cross-site scripting: CRS `REQUEST-941-APPLICATION-ATTACK-XSS` (941110 `<script`, 941120
//!   event handlers such as `onerror=`, 941170 `javascript:` URIs); CrowdSec
//!   `crowdsecurity/http-xss-probing`.
//! - Sensitive files (path only): CRS 930130 (`restricted-files.data`: `.git/`, `.env`,
//!   `.htpasswd`, `web.config`, ...); CrowdSec `crowdsecurity/http-sensitive-files`.
//! - Scanner user agent (user agent only): CRS 913100 (`scanner-user-agents.data`); CrowdSec
//!   `crowdsecurity/http-bad-user-agent` (Nikto, sqlmap, Nmap's scripting engine, ...).
//!
//! Text is percent-decoded (twice, for double encoding, as the CRS's `t:urlDecodeUni` applied to
//! already-decoded input catches), `+` read as a space, SQL comments `/**/` read as a space and
//! runs of white space as one, then matched without regard to case. The set is deliberately
//! small: every pattern is something no ordinary page request contains.

use std::borrow::Cow;
use std::sync::OnceLock;

use aho_corasick::AhoCorasick;

/// SQL injection (bit of the class mask).
pub const SQL_INJECTION: u8 = 1;
/// Path traversal and OS file disclosure.
pub const PATH_TRAVERSAL: u8 = 1 << 1;
/// Shellshock (CVE-2014-6271).
pub const SHELLSHOCK: u8 = 1 << 2;
/// Cross-site scripting.
pub const XSS: u8 = 1 << 3;
/// Probes for sensitive files (`/.env`, `/.git/`, ...).
pub const SENSITIVE_FILE: u8 = 1 << 4;
/// A vulnerability scanner's own user agent.
pub const SCANNER_AGENT: u8 = 1 << 5;

/// Every class, with its name in words, in the order reasons list them.
pub const CLASSES: [(u8, &str); 6] = [
    (SQL_INJECTION, "SQL injection"),
    (PATH_TRAVERSAL, "path traversal"),
    (SHELLSHOCK, "shellshock"),
    (XSS, "cross-site scripting"),
    (SENSITIVE_FILE, "sensitive-file probes"),
    (SCANNER_AGENT, "scanner user agent"),
];

/// Payload patterns looked for in the target, the user agent and the referer.
const PAYLOADS: [(&str, u8); 35] = [
    ("union select", SQL_INJECTION),
    ("union all select", SQL_INJECTION),
    ("select * from", SQL_INJECTION),
    ("' or '", SQL_INJECTION),
    ("' or 1", SQL_INJECTION),
    ("\" or \"", SQL_INJECTION),
    (" or 1=1", SQL_INJECTION),
    ("' and '", SQL_INJECTION),
    (" and 1=1", SQL_INJECTION),
    ("'--", SQL_INJECTION),
    ("' --", SQL_INJECTION),
    ("sleep(", SQL_INJECTION),
    ("benchmark(", SQL_INJECTION),
    ("waitfor delay", SQL_INJECTION),
    ("information_schema", SQL_INJECTION),
    ("@@version", SQL_INJECTION),
    ("../", PATH_TRAVERSAL),
    ("..\\", PATH_TRAVERSAL),
    ("/etc/passwd", PATH_TRAVERSAL),
    ("/etc/shadow", PATH_TRAVERSAL),
    ("/proc/self/environ", PATH_TRAVERSAL),
    ("c:\\windows", PATH_TRAVERSAL),
    ("win.ini", PATH_TRAVERSAL),
    ("boot.ini", PATH_TRAVERSAL),
    ("() {", SHELLSHOCK),
    ("(){", SHELLSHOCK),
    ("<script", XSS),
    ("</script", XSS),
    ("javascript:", XSS),
    ("onerror=", XSS),
    ("onload=", XSS),
    ("<svg", XSS),
    ("<iframe", XSS),
    ("alert(", XSS),
    ("document.cookie", XSS),
];

/// Path prefixes of sensitive files (matched on the path only, after a `/`).
const SENSITIVE: [&str; 12] = [
    "/.env",
    "/.git/",
    "/.git/config",
    "/.svn/",
    "/.hg/",
    "/.htpasswd",
    "/.htaccess",
    "/.aws/",
    "/.ssh/",
    "/.ds_store",
    "/wp-config.php",
    "/web.config",
];

/// Scanner names in a user agent.
const SCANNER_AGENTS: [&str; 16] = [
    "nikto",
    "sqlmap",
    "nmap scripting engine",
    "wapiti",
    "masscan",
    "zgrab",
    "nuclei",
    "wpscan",
    "dirbuster",
    "gobuster",
    "feroxbuster",
    "wfuzz",
    "acunetix",
    "netsparker",
    "openvas",
    "zmeu",
];

/// A case-insensitive automaton for fixed patterns (aho-corasick: one pass over the text for
/// all patterns). The patterns are short fixed ASCII strings, so building cannot fail for them;
/// `None` (matching nothing) keeps this free of panics all the same.
fn matcher(patterns: &[&str]) -> Option<AhoCorasick> {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(patterns)
        .ok()
}

fn payloads() -> Option<&'static AhoCorasick> {
    static M: OnceLock<Option<AhoCorasick>> = OnceLock::new();
    M.get_or_init(|| matcher(&PAYLOADS.map(|(p, _)| p)))
        .as_ref()
}

fn sensitive() -> Option<&'static AhoCorasick> {
    static M: OnceLock<Option<AhoCorasick>> = OnceLock::new();
    M.get_or_init(|| matcher(&SENSITIVE)).as_ref()
}

fn scanner_agents() -> Option<&'static AhoCorasick> {
    static M: OnceLock<Option<AhoCorasick>> = OnceLock::new();
    M.get_or_init(|| matcher(&SCANNER_AGENTS)).as_ref()
}

/// The text patterns are matched against: percent-decoded twice (`+` as a space when `plus`),
/// SQL comments `/**/` and runs of white space as one space. Borrowed when nothing changes.
pub fn normalise(text: &[u8], plus: bool) -> Cow<'_, [u8]> {
    let needs = text
        .iter()
        .any(|&b| b == b'%' || (plus && b == b'+') || b == b'\t' || b == b'\n')
        || memchr::memmem::find(text, b"/*").is_some()
        || memchr::memmem::find(text, b"  ").is_some();
    if !needs {
        return Cow::Borrowed(text);
    }
    let once = decode(text, plus);
    let twice = if once.contains(&b'%') {
        decode(&once, false)
    } else {
        once
    };
    Cow::Owned(squeeze(&twice))
}

/// Percent-decoding (`%41` -> `A`; a `%` not followed by two hex digits is kept), `+` as a
/// space when `plus` (form encoding of a query string).
fn decode(text: &[u8], plus: bool) -> Vec<u8> {
    let spaced: Cow<'_, [u8]> = if plus && text.contains(&b'+') {
        Cow::Owned(
            text.iter()
                .map(|&b| if b == b'+' { b' ' } else { b })
                .collect(),
        )
    } else {
        Cow::Borrowed(text)
    };
    percent_encoding::percent_decode(&spaced).collect()
}

/// SQL comments `/*...*/` and white-space runs become one space.
fn squeeze(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if text[i] == b'/' && text.get(i + 1) == Some(&b'*') {
            let end = memchr::memmem::find(&text[i + 2..], b"*/").map_or(text.len(), |j| i + 4 + j);
            if out.last() != Some(&b' ') {
                out.push(b' ');
            }
            i = end;
            continue;
        }
        let b = text[i];
        if b.is_ascii_whitespace() {
            if out.last() != Some(&b' ') {
                out.push(b' ');
            }
        } else {
            out.push(b);
        }
        i += 1;
    }
    out
}

/// The attack classes found in one request (a mask of the class bits; 0 for none): `path` and
/// `query` (from its `?`, or empty) as logged, the user agent and the referer.
pub fn classify(path: &[u8], query: &[u8], user_agent: &[u8], referer: &[u8]) -> u8 {
    classify_target(path, query) | classify_user_agent(user_agent) | classify_referer(referer)
}

/// The attack classes in a request target: payloads in the path and query, sensitive files in
/// the path.
pub fn classify_target(path: &[u8], query: &[u8]) -> u8 {
    let path = normalise(path, false);
    let mut mask = payload_classes(&path) | payload_classes(&normalise(query, true));
    if sensitive().is_some_and(|m| m.is_match(&path[..])) {
        mask |= SENSITIVE_FILE;
    }
    mask
}

/// The attack classes in a user agent: payloads, and a scanner's name.
pub fn classify_user_agent(user_agent: &[u8]) -> u8 {
    let mut mask = payload_classes(&normalise(user_agent, false));
    if scanner_agents().is_some_and(|m| m.is_match(user_agent)) {
        mask |= SCANNER_AGENT;
    }
    mask
}

/// The attack classes in a referer (payloads).
pub fn classify_referer(referer: &[u8]) -> u8 {
    payload_classes(&normalise(referer, false))
}

fn payload_classes(text: &[u8]) -> u8 {
    let mut mask = 0;
    if text.is_empty() {
        return mask;
    }
    if let Some(m) = payloads() {
        for hit in m.find_overlapping_iter(text) {
            mask |= PAYLOADS[hit.pattern().as_usize()].1;
        }
    }
    mask
}

/// The class names of a mask, joined in words: `SQL injection and shellshock`.
pub fn names(mask: u8) -> String {
    let names: Vec<&str> = CLASSES
        .iter()
        .filter(|(bit, _)| mask & bit != 0)
        .map(|(_, n)| *n)
        .collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(t: &str) -> u8 {
        let t = t.as_bytes();
        let q = memchr::memchr(b'?', t).unwrap_or(t.len());
        classify(&t[..q], &t[q..], b"Mozilla/5.0", b"")
    }

    #[test]
    fn payloads_are_found_after_decoding_in_any_case() {
        assert_eq!(
            target("/item.php?id=1%20UNION%20SELECT%201,2"),
            SQL_INJECTION
        );
        assert_eq!(
            target("/item.php?id=1+union/**/all+select+null"),
            SQL_INJECTION
        );
        assert_eq!(target("/login?user=admin'--"), SQL_INJECTION);
        assert_eq!(target("/q?id=1'%20OR%20'1'='1"), SQL_INJECTION);
        assert_eq!(target("/q?id=1);SELECT%20SLEEP(5)"), SQL_INJECTION);
        assert_eq!(target("/q?id=1%2527%2520or%25201%253D1"), SQL_INJECTION);
        assert_eq!(target("/cgi-bin/../../../../etc/passwd"), PATH_TRAVERSAL);
        assert_eq!(
            target("/download?file=..%2F..%2Fetc%2Fshadow"),
            PATH_TRAVERSAL
        );
        assert_eq!(
            target("/static/..%5c..%5cwindows%5cwin.ini"),
            PATH_TRAVERSAL
        );
        assert_eq!(target("/search?q=%3CScRiPt%3Ealert(1)%3C/script%3E"), XSS);
        assert_eq!(target("/p?x=\"><img src=x onerror=alert(1)>"), XSS);
        assert_eq!(target("/.git/config"), SENSITIVE_FILE);
        assert_eq!(target("/.ENV"), SENSITIVE_FILE);
        assert_eq!(
            classify(
                b"/cgi-bin/status",
                b"",
                b"() { :; }; /bin/bash -c 'id'",
                b"-"
            ),
            SHELLSHOCK
        );
        assert_eq!(
            classify(
                b"/",
                b"",
                b"Mozilla/5.0",
                b"() { ignored; }; echo; /bin/cat /etc/passwd"
            ),
            SHELLSHOCK | PATH_TRAVERSAL
        );
        assert_eq!(
            classify(
                b"/",
                b"",
                b"Mozilla/5.00 (Nikto/2.1.6) (Evasions:None)",
                b""
            ),
            SCANNER_AGENT
        );
        assert_eq!(
            classify(
                b"/admin",
                b"",
                b"sqlmap/1.7.2#stable (https://sqlmap.org)",
                b""
            ),
            SCANNER_AGENT
        );
    }

    #[test]
    fn ordinary_requests_match_nothing() {
        for t in [
            "/",
            "/presentations/logstash-monitorama-2013/css/print/paper.css",
            "/blog/geekery/disabling-battery-in-ubuntu-vms.html?utm_source=feedburner",
            "/search?q=rock+%27n%27+roll",
            "/search?q=union+station+select+seats",
            "/articles/or-1-and-other-stories",
            "/images/jordan-80.png",
            "/reset.css?v=1.2",
            "/wp-content/themes/x/style.css",
            "/environment/news",
            "/api/items?sort=price&order=asc",
            "/projects/xdotool/xdotool.xhtml",
            "/sleep-better",
        ] {
            assert_eq!(target(t), 0, "{t}");
        }
        assert_eq!(
            classify(
                b"/",
                b"",
                b"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
                b"http://semicomplete.com/presentations/logstash-monitorama-2013/"
            ),
            0
        );
    }

    #[test]
    fn class_names_in_words() {
        assert_eq!(
            names(SQL_INJECTION | SHELLSHOCK),
            "SQL injection and shellshock"
        );
        assert_eq!(
            names(SQL_INJECTION | XSS | SENSITIVE_FILE),
            "SQL injection, cross-site scripting and sensitive-file probes"
        );
        assert_eq!(names(0), "");
    }
}
