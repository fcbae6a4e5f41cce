//! Explaining a ranked host in words, from its features and what it did
//! ("vertical port scan: 1,000 ports of 10.0.0.5 in 40 s, 99% failed").

use super::hosts::{col, feature_names, HostDetail, Repeated, Upload};
use super::HostSide;
use crate::data::access::verdict::{bytes, count, pct, telling_feature};

/// Distinct ports of one host that make a vertical port scan.
pub const SCAN_PORTS: usize = 100;
/// Distinct hosts on one port that make a horizontal scan.
pub const SCAN_HOSTS: usize = 100;
/// Share of failed connections a horizontal scan has at least (a busy browser reaches 100
/// web servers on port 443, nearly all answering).
pub const SCAN_FAILED: f64 = 0.5;
/// Connections to one login service that make a brute-force attempt.
pub const BRUTE_FORCE: usize = 100;
/// Largest coefficient of variation of the gaps that makes a beacon.
pub const BEACON_CV: f64 = 0.1;
/// How many times the typical host's bytes out an exfiltration must send, and how many times
/// what it received.
pub const EXFIL_FACTOR: f64 = 20.0;

/// DNS queries (connections to port 53) to one server that make a flood, at
/// [`DNS_FLOOD_RATE`] or more a second.
pub const DNS_FLOOD: usize = 1000;
/// Queries a second, from the first to the last, that make a DNS flood.
pub const DNS_FLOOD_RATE: f64 = 10.0;
/// Seconds from the first to the last upload to one host that make an exfiltration slow.
pub const SLOW_SPAN_S: f64 = 3600.0;

/// Ports of services that take a password, with their names.
const LOGIN_PORTS: [(u16, &str); 7] = [
    (22, "SSH"),
    (23, "Telnet"),
    (21, "FTP"),
    (3389, "RDP"),
    (5900, "VNC"),
    (445, "SMB"),
    (3306, "MySQL"),
];

/// A time span in words.
pub fn duration(s: f64) -> String {
    if s < 1.0 {
        format!("{:.0} ms", s * 1000.0)
    } else if s < 120.0 {
        format!("{s:.0} s")
    } else if s < 7200.0 {
        format!("{:.0} minutes", s / 60.0)
    } else {
        format!("{:.1} hours", s / 3600.0)
    }
}

/// A count and its noun, singular for exactly one (`1 connection`, `2 connections`).
fn counted(v: f64, noun: &str) -> String {
    let n = count(v);
    if n == "1" {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// The feature's value in words.
fn feature_words(f: usize, v: f64, side: HostSide) -> String {
    let by_destination = side == HostSide::Destination;
    match f {
        col::CONNECTIONS => counted(v, "connection"),
        col::DEST_HOSTS if by_destination => counted(v, "source host"),
        col::DEST_HOSTS => counted(v, "destination host"),
        col::DEST_PORTS if by_destination => counted(v, "port"),
        col::DEST_PORTS => counted(v, "destination port"),
        col::FAILED => format!("{} failed", pct(v)),
        col::BYTES_OUT => format!("{} sent", bytes(v)),
        col::BYTES_IN => format!("{} received", bytes(v)),
        col::RATIO => format!("sent {v:.1}x what it received"),
        col::DURATION => format!("mean duration {}", duration(v)),
        col::RARE => format!("{} to rarely used ports", pct(v)),
        col::BEACON_CV => format!("gap variation {v:.2}"),
        _ => format!("{v}"),
    }
}

/// Explains one host: `row` holds its features in [`super::hosts::FEATURES`] order, `typical`
/// the median of each over all hosts, `detail` what it did, `top` the feature that sets it apart
/// most (from the detector's explainer). The first pattern that fits is named; else the feature
/// furthest from typical.
pub fn explain(
    row: &[f64],
    typical: &[f64],
    detail: &HostDetail,
    top: usize,
    side: HostSide,
) -> String {
    if side == HostSide::Destination {
        if let Some(pattern) = as_target(row, typical, detail) {
            return pattern;
        }
        return furthest(row, typical, top, side);
    }
    let v = |c: usize| row.get(c).copied().unwrap_or(0.0);
    let t = |c: usize| typical.get(c).copied().unwrap_or(0.0);
    if let Some(burst) = burst(detail) {
        return burst.words;
    }
    if let Some(r) = detail.most_regular.as_ref().filter(|r| r.cv() <= BEACON_CV) {
        return format!(
            "beacon to {}:{} every {} (+-{}) for {} ({} connections)",
            r.host,
            r.port,
            duration(r.mean_gap_s),
            duration(r.sd_gap_s),
            duration(r.span_s),
            count(r.connections as f64)
        );
    }
    let (out, inn) = (v(col::BYTES_OUT), v(col::BYTES_IN));
    if out >= EXFIL_FACTOR * (inn + 1.0) && out >= EXFIL_FACTOR * t(col::BYTES_OUT).max(1.0) {
        return format!(
            "sent {}, {:.0}x what it received: looks like data exfiltration",
            bytes(out),
            out / inn.max(1.0)
        );
    }
    if let Some(u) = upload(detail, t(col::BYTES_OUT)) {
        let (sent, from) = (u.bytes_out as f64, u.bytes_in as f64);
        let what = format!(
            "sent {} to {} in {} connections",
            bytes(sent),
            u.host,
            count(u.connections as f64)
        );
        let ratio = sent / from.max(1.0);
        return if u.span_s >= SLOW_SPAN_S {
            format!(
                "slow exfiltration: {what} over {}, {ratio:.0}x what it received from it",
                duration(u.span_s)
            )
        } else {
            format!("{what}, {ratio:.0}x what it received from it: looks like data exfiltration")
        };
    }
    furthest(row, typical, top, side)
}

/// A pattern the reasons name from counts alone (no typical host needed), so that a window of a
/// host's recent connections can be judged as it grows (`watch`): its words as the reasons
/// give them, the count that made it and the rule's threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct Burst {
    /// The reason in words ("vertical port scan: 1,000 ports of 10.0.0.5 in 40 s, 99% failed").
    pub words: String,
    /// The count the rule compares: distinct ports, distinct hosts, connections, queries.
    pub count: f64,
    /// The rule's threshold for it.
    pub threshold: f64,
}

/// The first of the count rules (vertical and horizontal port scan, brute force on a login
/// port, DNS flood) that `detail` fits, in the order [`explain`] tries them.
pub fn burst(detail: &HostDetail) -> Option<Burst> {
    if let Some(s) = detail
        .most_ports
        .as_ref()
        .filter(|s| s.distinct >= SCAN_PORTS)
    {
        return Some(Burst {
            words: format!(
                "vertical port scan: {} ports of {} in {}, {} failed",
                count(s.distinct as f64),
                s.target,
                duration(s.span_s),
                pct(s.failed)
            ),
            count: s.distinct as f64,
            threshold: SCAN_PORTS as f64,
        });
    }
    if let Some(s) = detail
        .most_hosts
        .as_ref()
        .filter(|s| s.distinct >= SCAN_HOSTS && s.failed >= SCAN_FAILED)
    {
        return Some(Burst {
            words: format!(
                "horizontal port scan: port {} of {} hosts in {}, {} failed",
                s.target,
                count(s.distinct as f64),
                duration(s.span_s),
                pct(s.failed)
            ),
            count: s.distinct as f64,
            threshold: SCAN_HOSTS as f64,
        });
    }
    if let Some((r, service)) = detail.busiest.as_ref().and_then(|r| {
        let service = LOGIN_PORTS.iter().find(|(p, _)| *p == r.port)?.1;
        (r.connections >= BRUTE_FORCE).then_some((r, service))
    }) {
        return Some(Burst {
            words: format!(
                "{service} brute force: {} connections to port {} of {} in {}, {} failed",
                count(r.connections as f64),
                r.port,
                r.host,
                duration(r.span_s),
                pct(r.failed)
            ),
            count: r.connections as f64,
            threshold: BRUTE_FORCE as f64,
        });
    }
    dns_flood(detail).map(|r| Burst {
        words: format!(
            "DNS flood: {} queries to {} in {}, {} a second, {} failed",
            count(r.connections as f64),
            r.host,
            duration(r.span_s),
            count(r.connections as f64 / r.span_s.max(1.0)),
            pct(r.failed)
        ),
        count: r.connections as f64,
        threshold: DNS_FLOOD as f64,
    })
}

/// The host's busiest destination when it is a DNS flood: [`DNS_FLOOD`] or more connections to
/// port 53 of one host at [`DNS_FLOOD_RATE`] or more a second.
fn dns_flood(detail: &HostDetail) -> Option<&Repeated> {
    detail.busiest.as_ref().filter(|r| {
        r.port == 53
            && r.connections >= DNS_FLOOD
            && r.connections as f64 >= DNS_FLOOD_RATE * r.span_s
    })
}

/// The peer the host sent the most to, when that is an exfiltration: [`EXFIL_FACTOR`] times
/// what came back from it and times the typical host's bytes out (`typical_out`), in two or
/// more connections.
fn upload(detail: &HostDetail, typical_out: f64) -> Option<&Upload> {
    detail.most_sent.as_ref().filter(|u| {
        let (out, inn) = (u.bytes_out as f64, u.bytes_in as f64);
        u.connections >= 2
            && out >= EXFIL_FACTOR * (inn + 1.0)
            && out >= EXFIL_FACTOR * typical_out.max(1.0)
    })
}

/// The patterns of a destination host: the target of a scan, a brute force, a beacon or an
/// exfiltration.
fn as_target(row: &[f64], typical: &[f64], detail: &HostDetail) -> Option<String> {
    let v = |c: usize| row.get(c).copied().unwrap_or(0.0);
    let t = |c: usize| typical.get(c).copied().unwrap_or(0.0);
    if let Some(s) = detail
        .most_ports
        .as_ref()
        .filter(|s| s.distinct >= SCAN_PORTS)
    {
        return Some(format!(
            "port-scanned: {} of its ports by {} in {}, {} failed",
            count(s.distinct as f64),
            s.target,
            duration(s.span_s),
            pct(s.failed)
        ));
    }
    if let Some((r, service)) = detail.busiest.as_ref().and_then(|r| {
        let service = LOGIN_PORTS.iter().find(|(p, _)| *p == r.port)?.1;
        (r.connections >= BRUTE_FORCE).then_some((r, service))
    }) {
        return Some(format!(
            "{service} brute force target: {} connections to port {} from {} in {}, {} failed",
            count(r.connections as f64),
            r.port,
            r.host,
            duration(r.span_s),
            pct(r.failed)
        ));
    }
    if let Some(r) = dns_flood(detail) {
        return Some(format!(
            "DNS flood target: {} queries from {} in {}, {} a second, {} failed",
            count(r.connections as f64),
            r.host,
            duration(r.span_s),
            count(r.connections as f64 / r.span_s.max(1.0)),
            pct(r.failed)
        ));
    }
    if let Some(r) = detail.most_regular.as_ref().filter(|r| r.cv() <= BEACON_CV) {
        return Some(format!(
            "beacon target: {} connects to port {} every {} (+-{}) for {} ({} connections)",
            r.host,
            r.port,
            duration(r.mean_gap_s),
            duration(r.sd_gap_s),
            duration(r.span_s),
            count(r.connections as f64)
        ));
    }
    let (out, inn) = (v(col::BYTES_OUT), v(col::BYTES_IN));
    if inn >= EXFIL_FACTOR * (out + 1.0) && inn >= EXFIL_FACTOR * t(col::BYTES_IN).max(1.0) {
        return Some(format!(
            "received {}, {:.0}x what it sent: looks like an exfiltration destination",
            bytes(inn),
            inn / out.max(1.0)
        ));
    }
    None
}

/// The detector's top feature, unless it is no different from the typical host; then the
/// feature furthest from typical; with its typical value.
fn furthest(row: &[f64], typical: &[f64], top: usize, side: HostSide) -> String {
    let v = |c: usize| row.get(c).copied().unwrap_or(0.0);
    let t = |c: usize| typical.get(c).copied().unwrap_or(0.0);
    let feature = telling_feature(row.len(), top, |f| deviation(f, v(f), t(f)));
    format!(
        "{} (typical: {})",
        feature_words(feature, v(feature), side),
        feature_words(feature, t(feature), side)
    )
}

/// How far a value is from the typical one: for shares and the gap variation, tenths of the
/// whole; for counts, amounts and times, natural-log ratios.
fn deviation(feature: usize, v: f64, t: f64) -> f64 {
    match feature {
        col::FAILED | col::RARE | col::BEACON_CV => 10.0 * (v - t).abs(),
        _ => ((v.abs() + 1.0) / (t.abs() + 1.0)).ln().abs(),
    }
}

/// Explanations in words for some rows of a hosts view (`None` for any other table): `top`
/// gives, per row, the index into `features` of the feature that sets the row apart most.
pub fn explain_rows(
    ds: &crate::data::Dataset,
    rows: &[usize],
    top: &[usize],
    features: &[String],
) -> Option<Vec<String>> {
    let table = ds.network.as_ref()?;
    let names = feature_names(table.side);
    if ds.columns.len() != names.len() {
        return None;
    }
    let typical = crate::data::access::verdict::typical(&ds.columns);
    Some(
        rows.iter()
            .zip(top)
            .map(|(&r, &t)| {
                let name = features.get(t).map_or("", String::as_str);
                let col = names
                    .iter()
                    .position(|f| *f == name)
                    .unwrap_or(col::CONNECTIONS);
                match table.details.get(r) {
                    Some(detail) => explain(&ds.row(r), &typical, detail, col, table.side),
                    None => String::new(),
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::super::hosts::Spread;
    use super::*;

    #[test]
    fn one_of_a_count_is_singular() {
        assert_eq!(
            feature_words(col::CONNECTIONS, 1.0, HostSide::Source),
            "1 connection"
        );
        assert_eq!(
            feature_words(col::CONNECTIONS, 2.0, HostSide::Source),
            "2 connections"
        );
        assert_eq!(
            feature_words(col::DEST_PORTS, 1.0, HostSide::Destination),
            "1 port"
        );
        assert_eq!(
            feature_words(col::DEST_HOSTS, 1_000.0, HostSide::Source),
            "1,000 destination hosts"
        );
    }

    fn row(pairs: &[(usize, f64)]) -> Vec<f64> {
        let mut r = vec![40.0, 5.0, 3.0, 0.02, 1e5, 1e6, 0.1, 2.0, 0.0, 1.0];
        for &(c, v) in pairs {
            r[c] = v;
        }
        r
    }

    fn repeated(port: u16, n: usize, mean: f64, sd: f64) -> Repeated {
        Repeated {
            host: "203.0.113.7".into(),
            port,
            connections: n,
            span_s: mean * (n - 1) as f64,
            mean_gap_s: mean,
            sd_gap_s: sd,
            failed: 0.9,
        }
    }

    #[test]
    fn patterns_are_named() {
        let typical = row(&[]);
        let scan = HostDetail {
            most_ports: Some(Spread {
                target: "10.0.0.5".into(),
                distinct: 1000,
                connections: 1000,
                span_s: 40.0,
                failed: 0.99,
            }),
            ..HostDetail::default()
        };
        assert_eq!(
            explain(
                &row(&[]),
                &typical,
                &scan,
                col::DEST_PORTS,
                HostSide::Source
            ),
            "vertical port scan: 1,000 ports of 10.0.0.5 in 40 s, 99% failed"
        );
        let brute = HostDetail {
            busiest: Some(repeated(22, 212, 0.85, 0.5)),
            ..HostDetail::default()
        };
        assert_eq!(
            explain(
                &row(&[]),
                &typical,
                &brute,
                col::CONNECTIONS,
                HostSide::Source
            ),
            "SSH brute force: 212 connections to port 22 of 203.0.113.7 in 3 minutes, 90% failed"
        );
        let beacon = HostDetail {
            most_regular: Some(repeated(443, 301, 60.0, 2.0)),
            ..HostDetail::default()
        };
        assert_eq!(
            explain(
                &row(&[]),
                &typical,
                &beacon,
                col::BEACON_CV,
                HostSide::Source
            ),
            "beacon to 203.0.113.7:443 every 60 s (+-2 s) for 5.0 hours (301 connections)"
        );
        let exfil = row(&[(col::BYTES_OUT, 2.3e9), (col::BYTES_IN, 5.75e7)]);
        assert_eq!(
            explain(
                &exfil,
                &typical,
                &HostDetail::default(),
                col::BYTES_OUT,
                HostSide::Source
            ),
            "sent 2.3 GB, 40x what it received: looks like data exfiltration"
        );
        let spread = |failed| Spread {
            target: "445".into(),
            distinct: 254,
            connections: 254,
            span_s: 121.0,
            failed,
        };
        let horizontal = HostDetail {
            most_hosts: Some(spread(0.97)),
            ..HostDetail::default()
        };
        assert_eq!(
            explain(
                &row(&[]),
                &typical,
                &horizontal,
                col::DEST_HOSTS,
                HostSide::Source
            ),
            "horizontal port scan: port 445 of 254 hosts in 2 minutes, 97% failed"
        );
        // Many web servers on one port, nearly all answering: browsing, not a scan.
        let browsing = HostDetail {
            most_hosts: Some(spread(0.02)),
            ..HostDetail::default()
        };
        assert!(!explain(
            &row(&[]),
            &typical,
            &browsing,
            col::DEST_HOSTS,
            HostSide::Source
        )
        .starts_with("horizontal"));
        let flood = HostDetail {
            busiest: Some(Repeated {
                host: "10.20.0.53".into(),
                port: 53,
                connections: 30_000,
                span_s: 300.0,
                mean_gap_s: 0.01,
                sd_gap_s: 0.01,
                failed: 0.0,
            }),
            ..HostDetail::default()
        };
        assert_eq!(
            explain(
                &row(&[]),
                &typical,
                &flood,
                col::CONNECTIONS,
                HostSide::Source
            ),
            "DNS flood: 30,000 queries to 10.20.0.53 in 5 minutes, 100 a second, 0% failed"
        );
        assert_eq!(
            explain(&row(&[]), &typical, &flood, col::CONNECTIONS, HostSide::Destination),
            "DNS flood target: 30,000 queries from 10.20.0.53 in 5 minutes, 100 a second, 0% failed"
        );
        // The same number of queries spread over a day is no flood.
        let busy_resolver_client = HostDetail {
            busiest: flood.busiest.clone().map(|r| Repeated {
                span_s: 86_400.0,
                ..r
            }),
            ..HostDetail::default()
        };
        assert!(!explain(
            &row(&[]),
            &typical,
            &busy_resolver_client,
            col::CONNECTIONS,
            HostSide::Source
        )
        .starts_with("DNS flood"));
        let slow = HostDetail {
            most_sent: Some(Upload {
                host: "198.51.100.77".into(),
                connections: 27,
                bytes_out: 135_000_000,
                bytes_in: 81_000,
                span_s: 8.0 * 3600.0,
            }),
            ..HostDetail::default()
        };
        // The host received more than it sent in all (its browsing): only the one destination
        // shows the exfiltration.
        let mixed = row(&[(col::BYTES_OUT, 1.4e8), (col::BYTES_IN, 3e8)]);
        assert_eq!(
            explain(&mixed, &typical, &slow, col::BYTES_OUT, HostSide::Source),
            "slow exfiltration: sent 135.0 MB to 198.51.100.77 in 27 connections over 8.0 hours, \
             1667x what it received from it"
        );
        let quick = HostDetail {
            most_sent: slow
                .most_sent
                .clone()
                .map(|u| Upload { span_s: 600.0, ..u }),
            ..HostDetail::default()
        };
        assert!(
            explain(&mixed, &typical, &quick, col::BYTES_OUT, HostSide::Source)
                .ends_with("1667x what it received from it: looks like data exfiltration")
        );
        let other = row(&[(col::DURATION, 900.0)]);
        assert_eq!(
            explain(
                &other,
                &typical,
                &HostDetail::default(),
                col::DURATION,
                HostSide::Source
            ),
            "mean duration 15 minutes (typical: mean duration 2 s)"
        );
    }
}
