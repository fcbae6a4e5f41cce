//! The hosts view of a connection log: one row per source address (originator), or per
//! destination address (responder), with features that separate scanners, brute forcers,
//! beacons and exfiltration (or their targets) from ordinary hosts, and the details the reasons
//! in words quote ([`HostDetail`]). "Peer" is the other end of a host's connections.

use std::collections::{HashMap, HashSet};

/// A map with a fast fixed-seed hash (SipHash was a third of a large log's hosts view; the
/// results never depend on the hash: every choice below breaks its ties).
type FastMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;
/// A set with the same hash.
type FastSet<K> = HashSet<K, foldhash::fast::FixedState>;

use rayon::prelude::*;

use super::{dataset_of, ConnLog, HostSide, HostsTable};
use crate::data::access::{ClientIndex, LogView};
use crate::data::{Dataset, RowLabels};

/// The host features, in column order.
pub const FEATURES: [&str; 10] = [
    "connections",
    "distinct destination hosts",
    "distinct destination ports",
    "failed share",
    "bytes out",
    "bytes in",
    "out/in ratio",
    "mean duration s",
    "rare port share",
    "beacon gap CV",
];

/// The feature names of the destination view (the peers are sources there; the ports are the
/// host's own ports that were connected to; bytes out are what the host sent back).
pub const FEATURES_BY_DESTINATION: [&str; 10] = [
    "connections",
    "distinct source hosts",
    "distinct ports",
    "failed share",
    "bytes out",
    "bytes in",
    "out/in ratio",
    "mean duration s",
    "rare port share",
    "beacon gap CV",
];

/// The feature names of the view by `side`.
pub fn feature_names(side: HostSide) -> &'static [&'static str; 10] {
    match side {
        HostSide::Source => &FEATURES,
        HostSide::Destination => &FEATURES_BY_DESTINATION,
    }
}

/// Column positions of [`FEATURES`] (and of [`FEATURES_BY_DESTINATION`]).
pub mod col {
    /// Connections the host opened.
    pub const CONNECTIONS: usize = 0;
    /// Distinct peers (responders, or originators in the destination view).
    pub const DEST_HOSTS: usize = 1;
    /// Distinct responder ports.
    pub const DEST_PORTS: usize = 2;
    /// Share of connections in a failed state.
    pub const FAILED: usize = 3;
    /// Payload bytes sent (`orig_bytes`).
    pub const BYTES_OUT: usize = 4;
    /// Payload bytes received (`resp_bytes`).
    pub const BYTES_IN: usize = 5;
    /// Bytes out over bytes in.
    pub const RATIO: usize = 6;
    /// Mean duration of the connections that have one.
    pub const DURATION: usize = 7;
    /// Share of connections to rarely used ports.
    pub const RARE: usize = 8;
    /// Lowest coefficient of variation of the gaps to one destination.
    pub const BEACON_CV: usize = 9;
}

/// Connections to one destination host and port needed before their gaps are judged for
/// periodicity.
pub const MIN_REPEATS: usize = 10;

/// The periodicity feature of a host with no destination repeated [`MIN_REPEATS`] times: the
/// coefficient of variation of the gaps of connections at random times (a Poisson process,
/// whose gaps are exponential, with standard deviation equal to the mean), so "no evidence of a
/// rhythm".
pub const NO_RHYTHM_CV: f64 = 1.0;

/// Ports used by fewer source hosts than this are rare: at least 2 hosts (a port only one host
/// uses is rare), or 1% of the source hosts in the file when there are more than 200.
pub fn rare_port_limit(sources: usize) -> usize {
    2.max(sources.div_ceil(100))
}

/// What one host did, in the terms its reasons quote.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HostDetail {
    /// The peer with the most distinct (responder) ports, and what was seen of it.
    pub most_ports: Option<Spread>,
    /// The (responder) port with the most distinct peers, and what was seen of it.
    pub most_hosts: Option<Spread>,
    /// The peer and port with the most connections.
    pub busiest: Option<Repeated>,
    /// The peer and port whose repeated connections have the most regular gaps (at least
    /// [`MIN_REPEATS`] connections).
    pub most_regular: Option<Repeated>,
    /// The peer the host sent the most bytes to, and what went each way.
    pub most_sent: Option<Upload>,
}

/// What a host sent to one peer and received from it.
#[derive(Debug, Clone, PartialEq)]
pub struct Upload {
    /// The peer.
    pub host: String,
    /// Connections to it.
    pub connections: usize,
    /// Bytes sent to it.
    pub bytes_out: u64,
    /// Bytes received from it.
    pub bytes_in: u64,
    /// Seconds from the first connection's start to the last's.
    pub span_s: f64,
}

/// Many ports of one host, or one port of many hosts.
#[derive(Debug, Clone, PartialEq)]
pub struct Spread {
    /// The host (for ports of one host) or the port (for one port of many hosts).
    pub target: String,
    /// Distinct ports or hosts.
    pub distinct: usize,
    /// Connections.
    pub connections: usize,
    /// Seconds from the first to the last of them.
    pub span_s: f64,
    /// Share of them that failed.
    pub failed: f64,
}

/// Repeated connections between one peer and one (responder) port.
#[derive(Debug, Clone, PartialEq)]
pub struct Repeated {
    /// The peer.
    pub host: String,
    /// The responder port.
    pub port: u16,
    /// Connections.
    pub connections: usize,
    /// Seconds from the first to the last.
    pub span_s: f64,
    /// Mean gap between consecutive connections, seconds.
    pub mean_gap_s: f64,
    /// Standard deviation of the gaps, seconds.
    pub sd_gap_s: f64,
    /// Share that failed.
    pub failed: f64,
}

impl Repeated {
    /// Coefficient of variation of the gaps (standard deviation over mean; low = regular).
    pub fn cv(&self) -> f64 {
        if self.mean_gap_s > 0.0 {
            self.sd_gap_s / self.mean_gap_s
        } else {
            f64::INFINITY
        }
    }
}

/// One end of the connections and the other, as the view by a side sees them.
struct Ends<'a> {
    /// The host of each connection (the row it counts for).
    host: &'a [u32],
    /// The other end.
    peer: &'a [u32],
    /// Bytes the host sent.
    out: &'a [u64],
    /// Bytes the host received.
    inn: &'a [u64],
}

impl<'a> Ends<'a> {
    fn of(log: &'a ConnLog, side: HostSide) -> Ends<'a> {
        match side {
            HostSide::Source => Ends {
                host: &log.orig,
                peer: &log.resp,
                out: &log.orig_bytes,
                inn: &log.resp_bytes,
            },
            HostSide::Destination => Ends {
                host: &log.resp,
                peer: &log.orig,
                out: &log.resp_bytes,
                inn: &log.orig_bytes,
            },
        }
    }
}

/// Features and details of every host of `log` on `side`: (addresses, columns
/// `[feature][host]`, details).
pub fn features(log: &ConnLog, side: HostSide) -> (Vec<u32>, Vec<Vec<f64>>, Vec<HostDetail>) {
    let ends = Ends::of(log, side);
    let millis: Vec<i64> = log.ts.iter().map(|t| (t * 1000.0).round() as i64).collect();
    let index = ClientIndex::build(ends.host, &millis, log.addresses.len());
    let sources: Vec<u32> = (0..log.addresses.len() as u32)
        .filter(|&h| !index.of(h as usize).is_empty())
        .collect();
    // Hosts per port, for rarity.
    let mut users: FastMap<u16, FastSet<u32>> = FastMap::default();
    for (&p, &o) in log.resp_port.iter().zip(ends.host) {
        users.entry(p).or_default().insert(o);
    }
    let limit = rare_port_limit(sources.len());
    let rare: FastSet<u16> = users
        .iter()
        .filter(|(_, u)| u.len() < limit)
        .map(|(&p, _)| p)
        .collect();
    let rows: Vec<(Vec<f64>, HostDetail)> = sources
        .par_iter()
        .map(|&h| host(log, &ends, index.of(h as usize), &rare))
        .collect();
    let mut columns = vec![Vec::with_capacity(rows.len()); FEATURES.len()];
    let mut details = Vec::with_capacity(rows.len());
    for (values, detail) in rows {
        for (c, v) in columns.iter_mut().zip(values) {
            c.push(v);
        }
        details.push(detail);
    }
    (sources, columns, details)
}

/// One host's features from its connections `conns` (in time order).
fn host(
    log: &ConnLog,
    ends: &Ends<'_>,
    conns: &[u32],
    rare: &FastSet<u16>,
) -> (Vec<f64>, HostDetail) {
    let n = conns.len() as f64;
    let mut by_dest: FastMap<u32, Group<u16>> = FastMap::default();
    let mut by_port: FastMap<u16, Group<u32>> = FastMap::default();
    let mut by_pair: FastMap<(u32, u16), Vec<u32>> = FastMap::default();
    let (mut failed, mut out, mut inn, mut rare_n) = (0usize, 0u64, 0u64, 0usize);
    let (mut dur_sum, mut dur_n) = (0.0, 0usize);
    for &i in conns {
        let i = i as usize;
        let (dest, port, t, f) = (ends.peer[i], log.resp_port[i], log.ts[i], log.failed[i]);
        let g = by_dest.entry(dest).or_default();
        g.add(port, t, f);
        g.out = g.out.saturating_add(ends.out[i]);
        g.inn = g.inn.saturating_add(ends.inn[i]);
        by_port.entry(port).or_default().add(dest, t, f);
        by_pair.entry((dest, port)).or_default().push(i as u32);
        failed += usize::from(f);
        out = out.saturating_add(ends.out[i]);
        inn = inn.saturating_add(ends.inn[i]);
        rare_n += usize::from(rare.contains(&port));
        if log.duration[i].is_finite() {
            dur_sum += log.duration[i];
            dur_n += 1;
        }
    }
    let name = |a: u32| log.addresses[a as usize].clone();
    let most_ports = by_dest
        .iter()
        .max_by_key(|(&d, g)| (g.distinct.len(), std::cmp::Reverse(d)))
        .map(|(&d, g)| g.spread(name(d)));
    let most_hosts = by_port
        .iter()
        .max_by_key(|(&p, g)| (g.distinct.len(), std::cmp::Reverse(p)))
        .map(|(&p, g)| g.spread(p.to_string()));
    let most_sent = by_dest
        .iter()
        .filter(|(_, g)| g.out > 0)
        .max_by_key(|(&d, g)| (g.out, std::cmp::Reverse(d)))
        .map(|(&d, g)| Upload {
            host: name(d),
            connections: g.connections,
            bytes_out: g.out,
            bytes_in: g.inn,
            span_s: g.last - g.first,
        });
    // Each pair's numbers with its peer's number; the peer's name is made for the two kept.
    let pairs: Vec<(u32, Repeated)> = by_pair
        .iter()
        .map(|(&(d, p), list)| (d, repeated(log, String::new(), p, list)))
        .collect();
    let peer = |d: u32| log.addresses[d as usize].as_str();
    let named = |(d, r): &(u32, Repeated)| Repeated {
        host: name(*d),
        ..r.clone()
    };
    let busiest = pairs
        .iter()
        .max_by(|(da, a), (db, b)| {
            (a.connections, peer(*db), b.port).cmp(&(b.connections, peer(*da), a.port))
        })
        .map(named);
    let most_regular = pairs
        .iter()
        .filter(|(_, r)| r.connections >= MIN_REPEATS)
        .min_by(|(da, a), (db, b)| {
            a.cv()
                .total_cmp(&b.cv())
                .then(peer(*da).cmp(peer(*db)))
                .then(a.port.cmp(&b.port))
        })
        .map(named);
    let cv = most_regular.as_ref().map_or(NO_RHYTHM_CV, Repeated::cv);
    let values = vec![
        n,
        by_dest.len() as f64,
        by_port.len() as f64,
        failed as f64 / n,
        out as f64,
        inn as f64,
        // +1 on both sides: a host that received nothing has a finite ratio.
        (out as f64 + 1.0) / (inn as f64 + 1.0),
        if dur_n > 0 {
            dur_sum / dur_n as f64
        } else {
            0.0
        },
        rare_n as f64 / n,
        cv,
    ];
    let detail = HostDetail {
        most_ports,
        most_hosts,
        busiest,
        most_regular,
        most_sent,
    };
    (values, detail)
}

/// Connections grouped by destination host (distinct ports) or port (distinct hosts).
struct Group<K> {
    distinct: FastSet<K>,
    connections: usize,
    failed: usize,
    /// Bytes the host sent and received (kept for the groups by destination host).
    out: u64,
    inn: u64,
    first: f64,
    last: f64,
}

impl<K> Default for Group<K> {
    fn default() -> Self {
        Group {
            distinct: FastSet::default(),
            connections: 0,
            failed: 0,
            out: 0,
            inn: 0,
            first: f64::INFINITY,
            last: f64::NEG_INFINITY,
        }
    }
}

impl<K: std::hash::Hash + Eq> Group<K> {
    fn add(&mut self, key: K, t: f64, failed: bool) {
        self.distinct.insert(key);
        self.connections += 1;
        self.failed += usize::from(failed);
        self.first = self.first.min(t);
        self.last = self.last.max(t);
    }

    fn spread(&self, target: String) -> Spread {
        Spread {
            target,
            distinct: self.distinct.len(),
            connections: self.connections,
            span_s: self.last - self.first,
            failed: self.failed as f64 / self.connections.max(1) as f64,
        }
    }
}

/// The repeated connections `list` (in time order) to `host`:`port`.
fn repeated(log: &ConnLog, host: String, port: u16, list: &[u32]) -> Repeated {
    // The gaps in order, summed in order (as a sum over a list of them would), without a list.
    let time = |k: usize| log.ts[list[k] as usize];
    let gaps = || (1..list.len()).map(|k| time(k) - time(k - 1));
    let n_gaps = list.len().saturating_sub(1).max(1) as f64;
    let mean = gaps().sum::<f64>() / n_gaps;
    let var = gaps().map(|g| (g - mean).powi(2)).sum::<f64>() / n_gaps;
    let failed = list.iter().filter(|&&i| log.failed[i as usize]).count();
    let span = match (list.first(), list.last()) {
        (Some(&a), Some(&b)) => log.ts[b as usize] - log.ts[a as usize],
        _ => 0.0,
    };
    Repeated {
        host,
        port,
        connections: list.len(),
        span_s: span,
        mean_gap_s: mean,
        sd_gap_s: var.sqrt(),
        failed: failed as f64 / list.len().max(1) as f64,
    }
}

/// The hosts view of `log` by `side` as a dataset: one row per host, labelled by its address.
pub fn dataset(log: &ConnLog, side: HostSide) -> Dataset {
    let (sources, columns, details) = features(log, side);
    let labels = RowLabels {
        name: "host".into(),
        values: sources
            .iter()
            .map(|&h| log.addresses[h as usize].clone())
            .collect(),
    };
    let table = HostsTable {
        details,
        host_of_row: sources,
        ..HostsTable::of(log, side, LogView::Clients)
    };
    let names = feature_names(side).iter().map(|f| f.to_string()).collect();
    dataset_of(log, None, names, columns, Some(labels), table)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::formats::zeek::Writer;
    use crate::data::FileKind;

    /// A log of `(ts, orig, resp, port, failed, out, in)` connections.
    fn log(conns: &[(f64, &str, &str, u16, bool, u64, u64)]) -> ConnLog {
        let mut addresses: Vec<String> = Vec::new();
        let mut id = |a: &str| match addresses.iter().position(|x| x == a) {
            Some(i) => i as u32,
            None => {
                addresses.push(a.into());
                addresses.len() as u32 - 1
            }
        };
        let (mut orig, mut resp) = (Vec::new(), Vec::new());
        for c in conns {
            orig.push(id(c.1));
            resp.push(id(c.2));
        }
        ConnLog {
            path: "conn.log".into(),
            fingerprint: None,
            flows: Vec::new(),
            record_lines: Vec::new(),
            kind: FileKind::ZeekConn {
                gzip: false,
                writer: Writer::Tsv,
            },
            addresses,
            ts: conns.iter().map(|c| c.0).collect(),
            orig,
            resp,
            resp_port: conns.iter().map(|c| c.3).collect(),
            duration: conns.iter().map(|_| 1.0).collect(),
            orig_bytes: conns.iter().map(|c| c.5).collect(),
            resp_bytes: conns.iter().map(|c| c.6).collect(),
            failed: conns.iter().map(|c| c.4).collect(),
            other_fields: Vec::new(),
            lines: conns.len() as u64,
            malformed: 0,
            samples: Vec::new(),
            parse_time: std::time::Duration::ZERO,
        }
    }

    #[test]
    fn features_of_a_scanner_and_a_beacon() {
        let mut conns = Vec::new();
        for p in 1..=50u16 {
            conns.push((f64::from(p), "s", "t", p, p != 22, 0, 0));
        }
        for k in 0..12 {
            conns.push((100.0 + 60.0 * f64::from(k), "b", "c2", 443, false, 300, 100));
        }
        conns.push((5.0, "w", "t", 22, false, 10, 1000));
        let (sources, columns, details) = features(&log(&conns), HostSide::Source);
        let names: Vec<&str> = ["s", "b", "w"].to_vec();
        assert_eq!(sources.len(), 3);
        let row = |name: &str| names.iter().position(|n| *n == name).expect("host");
        let (s, b, w) = (row("s"), row("b"), row("w"));
        assert_eq!(columns[col::CONNECTIONS][s], 50.0);
        assert_eq!(columns[col::DEST_PORTS][s], 50.0);
        assert_eq!(columns[col::DEST_HOSTS][s], 1.0);
        assert!((columns[col::FAILED][s] - 49.0 / 50.0).abs() < 1e-12);
        // Port 22 is used by two hosts: not rare; the other 49 ports are.
        assert!((columns[col::RARE][s] - 49.0 / 50.0).abs() < 1e-12);
        assert_eq!(columns[col::BEACON_CV][s], NO_RHYTHM_CV);
        let scan = details[s].most_ports.as_ref().expect("ports");
        assert_eq!(
            (scan.target.as_str(), scan.distinct, scan.span_s),
            ("t", 50, 49.0)
        );
        assert_eq!(columns[col::BEACON_CV][b], 0.0);
        let beacon = details[b].most_regular.as_ref().expect("regular");
        assert_eq!(
            (beacon.host.as_str(), beacon.port, beacon.mean_gap_s),
            ("c2", 443, 60.0)
        );
        assert_eq!(columns[col::BYTES_OUT][b], 3600.0);
        assert!((columns[col::RATIO][w] - 11.0 / 1001.0).abs() < 1e-12);
        assert!(details[w].most_regular.is_none());
    }

    #[test]
    fn the_destination_view_turns_the_ends_round() {
        let mut conns = Vec::new();
        for p in 1..=50u16 {
            conns.push((f64::from(p), "s", "t", p, true, 0, 0));
        }
        conns.push((5.0, "w", "t", 22, false, 10, 1000));
        conns.push((6.0, "w", "u", 443, false, 7, 9));
        let (hosts, columns, details) = features(&log(&conns), HostSide::Destination);
        // Addresses in order of first appearance: s, t, w, u; the destinations are t and u.
        assert_eq!(hosts, [1, 3]);
        assert_eq!(columns[col::CONNECTIONS], [51.0, 1.0]);
        assert_eq!(columns[col::DEST_HOSTS], [2.0, 1.0]);
        assert_eq!(columns[col::DEST_PORTS], [50.0, 1.0]);
        assert_eq!(columns[col::BYTES_OUT], [1000.0, 9.0]);
        assert_eq!(columns[col::BYTES_IN], [10.0, 7.0]);
        let scanned = details[0].most_ports.as_ref().expect("ports");
        assert_eq!((scanned.target.as_str(), scanned.distinct), ("s", 50));
    }

    #[test]
    fn rare_port_limit_grows_with_the_network() {
        assert_eq!(rare_port_limit(3), 2);
        assert_eq!(rare_port_limit(200), 2);
        assert_eq!(rare_port_limit(1000), 10);
    }
}
