//! A labelled office network over days, for tests, demos and benchmarks: a Zeek conn.log (and
//! optionally a pcap capture of the same connections as packets) of workstations with a daily
//! and weekly rhythm, servers (DNS resolver, mail, file server, updates, an SSH jump host) and
//! outside mail servers, plus six attacks, each by its own host: a vertical and a horizontal
//! port scan, an SSH brute force, a beacon, a slow exfiltration and a DNS flood. [`office`]
//! makes the traffic, [`conn`] turns a connection into packets, [`write`] writes the files. The
//! same configuration always writes the same bytes.

pub mod conn;
pub mod office;
pub mod write;

use std::collections::HashMap;
use std::io::{self, Write};
use std::net::Ipv4Addr;

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkConfig {
    /// Days of traffic.
    pub days: u32,
    /// Workstations (servers, devices, outside mail servers and attackers come on top).
    pub workstations: usize,
    /// Start, epoch seconds (UTC midnight recommended).
    pub start: i64,
    /// Random seed.
    pub seed: u64,
}

impl Default for NetworkConfig {
    fn default() -> Self {
        NetworkConfig {
            days: 4,
            workstations: 500,
            start: 1_772_409_600, // 2026-03-02, a Monday
            seed: 0,
        }
    }
}

impl NetworkConfig {
    /// Most workstations: 250 to a /24 in 10.21.0.0/16.
    pub const MAX_WORKSTATIONS: usize = 250 * 256;
    /// Fewest workstations: three of them are infected, each with its own attack.
    pub const MIN_WORKSTATIONS: usize = 10;

    /// The latest time a connection can start, seconds since 1970 (one second before the end
    /// of the last day).
    pub fn last_time(&self) -> i128 {
        i128::from(self.start) + i128::from(self.days.max(1)) * 86_400 - 1
    }
}

/// The attacks, as written in the labels file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Attack {
    /// Many ports of one host.
    VerticalScan,
    /// One port of many hosts.
    HorizontalScan,
    /// Password guessing on SSH.
    SshBruteForce,
    /// Regular calls home.
    Beacon,
    /// Data sent out slowly, in steady chunks, over days.
    SlowExfiltration,
    /// A flood of DNS queries.
    DnsFlood,
}

impl Attack {
    /// Every attack.
    pub const ALL: [Attack; 6] = [
        Attack::VerticalScan,
        Attack::HorizontalScan,
        Attack::SshBruteForce,
        Attack::Beacon,
        Attack::SlowExfiltration,
        Attack::DnsFlood,
    ];

    /// Name in the labels file.
    pub fn label(self) -> &'static str {
        match self {
            Attack::VerticalScan => "vertical_scan",
            Attack::HorizontalScan => "horizontal_scan",
            Attack::SshBruteForce => "ssh_brute_force",
            Attack::Beacon => "beacon",
            Attack::SlowExfiltration => "slow_exfiltration",
            Attack::DnsFlood => "dns_flood",
        }
    }
}

/// What was written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NetworkSummary {
    /// Connections (conn.log lines).
    pub connections: u64,
    /// Distinct originating hosts (rows of the hosts view by source).
    pub sources: usize,
    /// Packets in the capture (0 when none was written).
    pub packets: u64,
    /// Attacking connections per attack, in [`Attack::ALL`] order.
    pub attack_connections: [u64; 6],
}

/// Which output could not be written.
#[derive(Debug, thiserror::Error)]
pub enum NetworkWriteError {
    /// The configuration asks for no traffic or too many workstations.
    #[error(
        "a network needs at least 1 day and {min} to {max} workstations",
        min = NetworkConfig::MIN_WORKSTATIONS,
        max = NetworkConfig::MAX_WORKSTATIONS
    )]
    Config,
    /// Writing the conn.log failed.
    #[error("{0}")]
    ConnLog(#[source] io::Error),
    /// Writing the labels failed.
    #[error("{0}")]
    Labels(#[source] io::Error),
    /// Writing the capture failed.
    #[error("{0}")]
    Pcap(#[source] io::Error),
}

/// Writes the conn.log, the labels (`host,kind,start,end`: one row per attacking host) and,
/// when `pcap` is given, the capture of the same connections. `cfg` needs at least one day and
/// [`NetworkConfig::MIN_WORKSTATIONS`].
pub fn generate_network(
    cfg: &NetworkConfig,
    conn_log: &mut impl Write,
    labels: &mut impl Write,
    pcap: Option<&mut dyn Write>,
) -> Result<NetworkSummary, NetworkWriteError> {
    if cfg.days == 0
        || cfg.workstations < NetworkConfig::MIN_WORKSTATIONS
        || cfg.workstations > NetworkConfig::MAX_WORKSTATIONS
    {
        return Err(NetworkWriteError::Config);
    }
    let traffic = office::generate(cfg);
    let mut conns = traffic.conns;
    conns.sort_by(|a, b| {
        (a.ts_us, a.orig, a.resp, a.resp_p).cmp(&(b.ts_us, b.orig, b.resp, b.resp_p))
    });
    assign_ports(&mut conns);
    let mut uid_rng = Pcg64Mcg::seed_from_u64(cfg.seed ^ 0x5a65_656b);
    let mut conn_log = io::BufWriter::new(conn_log);
    write::conn_log(&conns, || uid_rng.random::<u128>(), &mut conn_log)
        .map_err(NetworkWriteError::ConnLog)?;
    let packets = match pcap {
        Some(p) => {
            write::pcap(&conns, &mut io::BufWriter::new(p)).map_err(NetworkWriteError::Pcap)?
        }
        None => 0,
    };
    let attack_connections =
        write_labels(&conns, &traffic.labels, labels).map_err(NetworkWriteError::Labels)?;
    let mut sources: Vec<Ipv4Addr> = conns.iter().map(|c| c.orig).collect();
    sources.sort_unstable();
    sources.dedup();
    Ok(NetworkSummary {
        connections: conns.len() as u64,
        sources: sources.len(),
        packets,
        attack_connections,
    })
}

/// Writes the labels; gives the attacking connections per attack.
fn write_labels(
    conns: &[conn::Conn],
    rows: &[office::Label],
    labels: &mut impl Write,
) -> io::Result<[u64; 6]> {
    let mut lw = io::BufWriter::new(labels);
    writeln!(lw, "host,kind,start,end")?;
    let mut attack_connections = [0u64; 6];
    for l in rows {
        writeln!(
            lw,
            "{},{},{},{}",
            l.host,
            l.attack.label(),
            crate::zone::Zone::Unstated.format(l.start_us / 1_000_000 * 1000),
            crate::zone::Zone::Unstated.format(l.end_us / 1_000_000 * 1000)
        )?;
        if let Some(k) = Attack::ALL.iter().position(|a| *a == l.attack) {
            attack_connections[k] = attacking(conns, l) as u64;
        }
    }
    lw.flush()?;
    Ok(attack_connections)
}

/// The attacking connections of `l`: from its host to the attack's target, in its time span.
fn attacking(conns: &[conn::Conn], l: &office::Label) -> usize {
    let target = |c: &conn::Conn| match l.attack {
        Attack::VerticalScan => c.resp == office::FILES,
        Attack::HorizontalScan => c.resp_p == 445 && c.resp != office::FILES,
        Attack::SshBruteForce => c.resp_p == 22,
        Attack::Beacon => c.resp == office::C2,
        Attack::SlowExfiltration => c.resp == office::DROP,
        Attack::DnsFlood => c.resp_p == 53,
    };
    conns
        .iter()
        .filter(|c| c.orig == l.host && (l.start_us..=l.end_us).contains(&c.ts_us) && target(c))
        .count()
}

/// Gives each connection (in time order) its originator port: each host counts up through the
/// ephemeral range 49152-65535, so a host reuses a port only after 16,384 connections (long
/// after Zeek's idle timeouts end the earlier flow).
fn assign_ports(conns: &mut [conn::Conn]) {
    let mut next: HashMap<Ipv4Addr, u16> = HashMap::new();
    for c in conns {
        let start = 49_152 + (u32::from(c.orig).wrapping_mul(2_654_435_761) % 16_384) as u16;
        let p = next.entry(c.orig).or_insert(start);
        c.orig_p = *p;
        *p = if *p == u16::MAX { 49_152 } else { *p + 1 };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_writes_the_same_bytes_and_labels_every_attack() {
        let cfg = NetworkConfig {
            days: 1,
            workstations: 30,
            ..NetworkConfig::default()
        };
        let run = |cfg: &NetworkConfig| {
            let (mut log, mut labels, mut pcap) = (Vec::new(), Vec::new(), Vec::new());
            let s = generate_network(cfg, &mut log, &mut labels, Some(&mut pcap)).expect("write");
            (log, labels, pcap, s)
        };
        let (log, labels, pcap, summary) = run(&cfg);
        assert_eq!(run(&cfg).0, log);
        assert_eq!(run(&cfg).2, pcap);
        assert_ne!(
            run(&NetworkConfig {
                seed: 1,
                ..cfg.clone()
            })
            .0,
            log
        );
        let labels = String::from_utf8(labels).expect("utf-8");
        let kinds: Vec<&str> = labels
            .lines()
            .skip(1)
            .filter_map(|l| l.split(',').nth(1))
            .collect();
        let all: Vec<&str> = Attack::ALL.iter().map(|a| a.label()).collect();
        assert_eq!(kinds, all);
        assert_eq!(summary.attack_connections[0], 1024);
        assert_eq!(summary.attack_connections[1], 254);
        assert_eq!(summary.attack_connections[2], 300);
        assert_eq!(summary.attack_connections[5], 5_000);
        let text = String::from_utf8(log).expect("utf-8");
        assert!(text.starts_with("#separator \\x09\n#set_separator\t,\n"));
        assert_eq!(
            text.lines().filter(|l| !l.starts_with('#')).count() as u64,
            summary.connections
        );
        assert!(text
            .trim_end()
            .lines()
            .last()
            .is_some_and(|l| l.starts_with("#close\t")));
        assert_eq!(&pcap[..4], &[0xd4, 0xc3, 0xb2, 0xa1]);
        let empty = NetworkConfig { days: 0, ..cfg };
        assert!(generate_network(&empty, &mut Vec::new(), &mut Vec::new(), None).is_err());
    }
}
