//! The office's traffic: workstations with a daily and weekly rhythm (browsing HTTPS and HTTP to
//! many outside hosts, names resolved by the internal resolver, mail, the file server, updates,
//! an admin's SSH), the mail server's traffic with outside mail servers, and the attacks
//! with their hosts and times.

use std::net::Ipv4Addr;

use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;
use rand_pcg::Pcg64Mcg;

use super::conn::{Conn, Shape};
use super::{Attack, NetworkConfig};

/// Microseconds in a second.
const S: i64 = 1_000_000;
/// Microseconds in an hour.
const H: i64 = 3600 * S;
/// Microseconds in a day.
const DAY: i64 = 24 * H;

/// The internal DNS resolver.
pub const RESOLVER: Ipv4Addr = Ipv4Addr::new(10, 20, 0, 53);
/// The mail server (SMTP in and out, IMAPS for the workstations).
pub const MAIL: Ipv4Addr = Ipv4Addr::new(10, 20, 0, 25);
/// The file server (SMB).
pub const FILES: Ipv4Addr = Ipv4Addr::new(10, 20, 0, 45);
/// The update server (WSUS-like, port 8530).
pub const UPDATES: Ipv4Addr = Ipv4Addr::new(10, 20, 0, 80);
/// The SSH jump host.
pub const JUMP: Ipv4Addr = Ipv4Addr::new(10, 20, 0, 22);
/// A contractor's laptop that port-scans the file server.
pub const ROGUE_LAPTOP: Ipv4Addr = Ipv4Addr::new(10, 20, 0, 150);
/// A printer taken over to flood the resolver with queries.
pub const PRINTER: Ipv4Addr = Ipv4Addr::new(10, 20, 0, 160);
/// The outside host brute-forcing the jump host's SSH.
pub const BRUTE_FORCER: Ipv4Addr = Ipv4Addr::new(45, 155, 205, 233);
/// Where the beacon calls home.
pub const C2: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 7);
/// Where the slow exfiltration sends its data.
pub const DROP: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 77);
/// Ports open on the file server (a SYN scan's SYN-ACKs).
const FILE_SERVER_OPEN: [u16; 6] = [22, 80, 135, 139, 443, 445];

/// Workstation `k`: 10.21.0.2 .. 10.21.0.251, then 10.21.1.2 .., 250 to a /24.
pub fn workstation(k: usize) -> Ipv4Addr {
    let third = u8::try_from(k / 250).unwrap_or(u8::MAX);
    let fourth = u8::try_from(k % 250 + 2).unwrap_or(u8::MAX);
    Ipv4Addr::new(10, 21, third, fourth)
}

/// The workstations that attack: (horizontal scanner, beacon, slow exfiltration).
pub fn infected(workstations: usize) -> (usize, usize, usize) {
    (workstations / 3, 2 * workstations / 3, workstations / 2)
}

/// What a workstation does besides browsing, resolving names, mail and updates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Uses the file server.
    Staff,
    /// Uses the file server and logs in to the jump host.
    Admin,
    /// Uses no file shares (the workstation the worm is on: its scan of port 445 is then its
    /// only SMB).
    NoShares,
    /// A visitor's device: browsing and names only.
    Guest,
}

/// One attacking host, as the labels file lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// The attacking host.
    pub host: Ipv4Addr,
    /// What it does.
    pub attack: Attack,
    /// Its first attacking connection, microseconds since 1970.
    pub start_us: i64,
    /// Its last attacking connection's start.
    pub end_us: i64,
}

/// The generated traffic: connections (not yet in time order, without originator ports) and
/// the attackers.
pub struct Traffic {
    /// Every connection.
    pub conns: Vec<Conn>,
    /// The attacking hosts.
    pub labels: Vec<Label>,
}

/// The state of the generator.
struct Office {
    rng: Pcg64Mcg,
    conns: Vec<Conn>,
    /// Outside web servers, the most visited first.
    web: Vec<Ipv4Addr>,
    /// Outside mail servers (senders and receivers of mail).
    mtas: Vec<Ipv4Addr>,
    /// Start of day 0, microseconds.
    t0: i64,
}

/// First octets of the outside addresses (public ranges of large hosting and content networks).
const OUTSIDE: [u8; 16] = [
    13, 20, 23, 31, 34, 35, 52, 54, 69, 93, 104, 142, 151, 157, 185, 216,
];

impl Office {
    fn outside(rng: &mut Pcg64Mcg, n: usize) -> Vec<Ipv4Addr> {
        (0..n)
            .map(|_| {
                Ipv4Addr::new(
                    OUTSIDE[rng.random_range(0..OUTSIDE.len())],
                    rng.random_range(64..=250),
                    rng.random_range(0..=255),
                    rng.random_range(1..=254),
                )
            })
            .collect()
    }

    /// A connection of `shape` with the given bytes and duration (microseconds, at least 1 ms).
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        ts_us: i64,
        orig: Ipv4Addr,
        resp: Ipv4Addr,
        resp_p: u16,
        shape: Shape,
        dur_us: i64,
        orig_bytes: u64,
        resp_bytes: u64,
    ) {
        let (dur_us, orig_bytes, resp_bytes) = match shape {
            Shape::Unanswered => (S, 0, 0),
            Shape::Rejected | Shape::ResetByOriginator => (dur_us.clamp(50, 5_000), 0, 0),
            _ => (dur_us.max(1_000), orig_bytes, resp_bytes),
        };
        self.conns.push(Conn {
            ts_us,
            orig,
            orig_p: 0,
            resp,
            resp_p,
            shape,
            dur_us,
            orig_bytes,
            resp_bytes,
        });
    }

    /// A log-normal amount with median `median` and shape `sigma`, at most `cap`.
    fn amount(&mut self, median: f64, sigma: f64, cap: f64) -> u64 {
        self.log_normal(median, sigma).min(cap) as u64
    }

    /// A duration in microseconds, log-normal with median `median_s` seconds.
    fn duration(&mut self, median_s: f64, sigma: f64, cap_s: f64) -> i64 {
        (self.log_normal(median_s, sigma).min(cap_s) * 1e6) as i64
    }

    /// A log-normal draw with median `median` and shape `sigma`.
    fn log_normal(&mut self, median: f64, sigma: f64) -> f64 {
        median * (sigma * self.normal()).exp()
    }

    /// A standard normal draw.
    fn normal(&mut self) -> f64 {
        self.rng.sample(StandardNormal)
    }

    /// A visited web server: Zipf-like popularity.
    fn web_server(&mut self) -> Ipv4Addr {
        let n = self.web.len();
        let u: f64 = self.rng.random();
        let i = ((n as f64).powf(u) - 1.0)
            .floor()
            .clamp(0.0, n as f64 - 1.0) as usize;
        self.web[i]
    }

    /// One working day of workstation `me`, from `from` to `to` (microseconds), `busy` its
    /// share of a full day's traffic, `role` what it does besides browsing.
    fn workday(&mut self, me: Ipv4Addr, from: i64, to: i64, busy: f64, role: Role) {
        let span = (to - from).max(H);
        let web = (self.amount(45.0, 0.3, 120.0) as f64 * busy) as usize;
        for _ in 0..web {
            let t = from + self.rng.random_range(0..span);
            if self.rng.random::<f64>() < 0.6 {
                let ask = self.rng.random_range(2_000..40_000);
                let dur = self.rng.random_range(300..30_000);
                let (q, a) = (
                    self.rng.random_range(30..60),
                    self.rng.random_range(60..300),
                );
                self.push(t - ask, me, RESOLVER, 53, Shape::UdpExchange, dur, q, a);
            }
            let server = self.web_server();
            let port = if self.rng.random::<f64>() < 0.9 {
                443
            } else {
                80
            };
            let shape = if self.rng.random::<f64>() < 0.015 {
                Shape::Unanswered
            } else {
                Shape::Established
            };
            let out = self.amount(1_200.0, 0.8, 1e6);
            let inn = self.amount(30_000.0, 1.5, 5e7);
            let dur = self.duration(3.0, 1.3, 3600.0);
            self.push(t, me, server, port, shape, dur, out, inn);
        }
        if role == Role::Guest {
            return;
        }
        let smb = if role == Role::NoShares {
            0
        } else {
            (self.rng.random_range(0..12) as f64 * busy) as usize
        };
        for _ in 0..smb {
            let t = from + self.rng.random_range(0..span);
            let (out, inn) = (
                self.amount(50_000.0, 1.0, 5e8),
                self.amount(200_000.0, 1.2, 5e8),
            );
            let dur = self.duration(20.0, 1.2, 1800.0);
            self.push(t, me, FILES, 445, Shape::Established, dur, out, inn);
        }
        let imap = ((self.rng.random_range(2..5) as f64) * busy).ceil() as usize;
        for _ in 0..imap {
            let t = from + self.rng.random_range(0..span);
            let dur = self.rng.random_range(20 * 60 * S..120 * 60 * S);
            let (out, inn) = (
                self.rng.random_range(10_000..40_000),
                self.amount(500_000.0, 1.0, 5e7),
            );
            self.push(t, me, MAIL, 993, Shape::Established, dur, out, inn);
        }
        if self.rng.random::<f64>() < 0.7 * busy {
            let t = from + self.rng.random_range(0..span);
            let inn = self.amount(3e6, 1.2, 5e8);
            let dur = self.duration(30.0, 0.8, 600.0);
            let out = self.rng.random_range(2_000..6_000);
            self.push(t, me, UPDATES, 8530, Shape::Established, dur, out, inn);
        }
        if role == Role::Admin {
            for _ in 0..self.rng.random_range(1..5) {
                let t = from + self.rng.random_range(0..span);
                let dur = self.duration(600.0, 1.0, 4.0 * 3600.0);
                let (out, inn) = (
                    self.amount(50_000.0, 1.0, 1e7),
                    self.amount(400_000.0, 1.0, 1e8),
                );
                self.push(t, me, JUMP, 22, Shape::Established, dur, out, inn);
            }
        }
    }

    /// Every workstation on every day: weekdays from about 08:30 to 17:30 UTC, one in twelve
    /// at work on a weekend day, for a few hours.
    fn workstations(&mut self, cfg: &NetworkConfig) {
        let scanner = infected(cfg.workstations).0;
        for day in 0..i64::from(cfg.days) {
            let midnight = self.t0 + day * DAY;
            // 1970-01-01 was a Thursday: day 0 of the week is Monday after this shift.
            let weekday = (midnight / DAY + 3).rem_euclid(7);
            let weekend = weekday >= 5;
            for k in 0..cfg.workstations {
                let me = workstation(k);
                let role = if k % 50 == 7 {
                    Role::Admin
                } else if k == scanner {
                    Role::NoShares
                } else {
                    Role::Staff
                };
                if weekend {
                    if self.rng.random::<f64>() < 1.0 / 12.0 {
                        let from = midnight + self.rng.random_range(9 * H..15 * H);
                        let to = from + self.rng.random_range(H..4 * H);
                        self.workday(me, from, to, 0.3, role);
                    }
                    continue;
                }
                if self.rng.random::<f64>() < 0.04 {
                    continue; // away
                }
                let a = (8.5 + 0.6 * self.normal()).clamp(6.0, 11.0);
                let l = (17.5 + 0.8 * self.normal()).clamp(14.0, 21.0);
                let (from, to) = (midnight + (a * 3.6e9) as i64, midnight + (l * 3.6e9) as i64);
                self.workday(me, from, to, 1.0, role);
            }
        }
    }

    /// The mail server's connections from outside mail servers and to its provider's relays. (The resolver's and the
    /// update server's own upstream traffic leaves through the data centre's uplink, which the
    /// office's sensor does not see.)
    fn servers(&mut self, cfg: &NetworkConfig) {
        // Outgoing mail goes through the provider's two relays.
        let relays = Self::outside(&mut self.rng, 2);
        for day in 0..i64::from(cfg.days) {
            let midnight = self.t0 + day * DAY;
            for sender in self.mtas.clone() {
                for _ in 0..self.rng.random_range(1..8) {
                    let t = midnight + self.rng.random_range(0..DAY);
                    let out = self.amount(20_000.0, 0.6, 1e6);
                    // STARTTLS: the server's certificate chain, then short replies.
                    let inn = self.rng.random_range(3_500..6_000);
                    let dur = self.duration(1.5, 0.7, 120.0);
                    self.push(t, sender, MAIL, 25, Shape::Established, dur, out, inn);
                }
            }
            for _ in 0..self.rng.random_range(40..120) {
                let t = midnight + self.rng.random_range(7 * H..19 * H);
                let to = relays[self.rng.random_range(0..relays.len())];
                let out = self.amount(20_000.0, 0.6, 1e6);
                let inn = self.rng.random_range(3_500..6_000);
                let dur = self.duration(1.5, 0.7, 120.0);
                self.push(t, MAIL, to, 25, Shape::Established, dur, out, inn);
            }
        }
    }

    /// The attacks; gives the labels.
    fn attacks(&mut self, cfg: &NetworkConfig) -> Vec<Label> {
        let mut labels = Vec::new();
        let (h_scanner, beacon, exfil) = infected(cfg.workstations);
        let (t0, last_day) = (self.t0, cfg.days.saturating_sub(1));
        let day = move |d: u32| t0 + i64::from(d.min(last_day)) * DAY;
        let (d0, d1) = (day(0), day(1));
        let mut mark = |host, attack, conns: &[Conn]| {
            let start_us = conns.iter().map(|c| c.ts_us).min().unwrap_or(0);
            let end_us = conns.iter().map(|c| c.ts_us).max().unwrap_or(0);
            labels.push(Label {
                host,
                attack,
                start_us,
                end_us,
            });
        };
        // Vertical port scan: ports 1-1024 of the file server in about 40 s.
        let before = self.conns.len();
        let mut t = d0 + 10 * H + 12 * 60 * S;
        for port in 1..=1024u16 {
            let shape = if FILE_SERVER_OPEN.contains(&port) {
                Shape::ResetByOriginator
            } else {
                Shape::Rejected
            };
            let dur = self.rng.random_range(150..900);
            self.push(t, ROGUE_LAPTOP, FILES, port, shape, dur, 0, 0);
            t += self.rng.random_range(20_000..58_000);
        }
        mark(ROGUE_LAPTOP, Attack::VerticalScan, &self.conns[before..]);
        // Horizontal port scan: SMB on every address of the other office /24 (10.21.1.0, or
        // 10.21.0.0 from a host in 10.21.1.0) in 2.5 minutes; live workstations reject, a few
        // answer, absent addresses stay silent.
        let scanner = workstation(h_scanner);
        let net = if scanner.octets()[2] == 1 { 0u8 } else { 1 };
        let before = self.conns.len();
        let mut t = d0 + 14 * H + 3 * 60 * S;
        for last in 1..=254u8 {
            let target = Ipv4Addr::new(10, 21, net, last);
            let live = usize::from(last)
                .checked_sub(2)
                .is_some_and(|j| j < 250 && 250 * usize::from(net) + j < cfg.workstations);
            let shape = if !live {
                Shape::Unanswered
            } else if self.rng.random::<f64>() < 0.03 {
                Shape::Established
            } else {
                Shape::Rejected
            };
            let dur = self.rng.random_range(200..40_000);
            self.push(t, scanner, target, 445, shape, dur, 300, 200);
            t += self.rng.random_range(450_000..750_000);
        }
        mark(scanner, Attack::HorizontalScan, &self.conns[before..]);
        // SSH brute force from outside: 300 logins on the jump host in about 4 minutes, at
        // night; after 200 a firewall rule bans the address and the rest go unanswered.
        let before = self.conns.len();
        let mut t = d1 + 3 * H + 17 * 60 * S;
        for k in 0..300 {
            let dur = self.rng.random_range(1_500_000..3_000_000);
            let out = self.rng.random_range(1_200..1_600);
            let inn = self.rng.random_range(1_800..2_300);
            let shape = if k < 200 {
                Shape::Established
            } else {
                Shape::Unanswered
            };
            self.push(t, BRUTE_FORCER, JUMP, 22, shape, dur, out, inn);
            // Several guessing threads at once: irregular gaps, 0.8 s apart on average.
            let gap: f64 = -(1.0 - self.rng.random::<f64>()).ln() * 750_000.0;
            t += gap as i64 + 50_000;
        }
        mark(BRUTE_FORCER, Attack::SshBruteForce, &self.conns[before..]);
        // The beacon: from 09:00 of day 0 to the end, every 60 s (+-2 s).
        let me = workstation(beacon);
        let before = self.conns.len();
        let end = self.t0 + i64::from(cfg.days) * DAY;
        let mut t = d0 + 9 * H + 4 * 60 * S;
        while t < end {
            let dur = self.rng.random_range(200_000..600_000);
            let out = self.rng.random_range(400..700);
            let inn = self.rng.random_range(150..300);
            self.push(t, me, C2, 443, Shape::Established, dur, out, inn);
            t += 60 * S + (2.0 * self.normal() * 1e6) as i64;
        }
        mark(me, Attack::Beacon, &self.conns[before..]);
        // Slow exfiltration: 4-6 MB every 5 to 40 minutes in working hours, every day.
        let me = workstation(exfil);
        let before = self.conns.len();
        for d in 0..cfg.days {
            let mut t = day(d) + 9 * H + self.rng.random_range(0..20 * 60 * S);
            while t < day(d) + 17 * H {
                let out = self.rng.random_range(4_000_000..6_000_000);
                let inn = self.rng.random_range(2_000..4_000);
                let dur = self.rng.random_range(20 * S..90 * S);
                self.push(t, me, DROP, 443, Shape::Established, dur, out, inn);
                t += self.rng.random_range(5 * 60 * S..40 * 60 * S);
            }
        }
        mark(me, Attack::SlowExfiltration, &self.conns[before..]);
        // DNS flood: 5,000 queries for random names to the resolver in about 50 s, each
        // answered (NXDOMAIN).
        let before = self.conns.len();
        let mut t = d0 + 11 * H + 41 * 60 * S;
        for _ in 0..5_000 {
            let q = self.rng.random_range(45..70);
            let dur = self.rng.random_range(200..3_000);
            self.push(t, PRINTER, RESOLVER, 53, Shape::UdpExchange, dur, q, q + 60);
            let gap: f64 = -(1.0 - self.rng.random::<f64>()).ln() * 10_000.0;
            t += gap as i64 + 1;
        }
        mark(PRINTER, Attack::DnsFlood, &self.conns[before..]);
        labels
    }

    /// The rogue laptop's and the printer's ordinary traffic: a little browsing, a daily
    /// check for firmware.
    fn devices(&mut self, cfg: &NetworkConfig) {
        let vendor = Self::outside(&mut self.rng, 1)[0];
        for d in 0..i64::from(cfg.days) {
            let midnight = self.t0 + d * DAY;
            let t = midnight + self.rng.random_range(0..DAY);
            let inn = self.rng.random_range(2_000..9_000);
            self.push(
                t,
                PRINTER,
                vendor,
                443,
                Shape::Established,
                400_000,
                600,
                inn,
            );
        }
        self.workday(
            ROGUE_LAPTOP,
            self.t0 + 9 * H,
            self.t0 + 12 * H,
            0.5,
            Role::Guest,
        );
    }
}

/// Generates the office's traffic for `cfg` (which must have at least one day and one
/// workstation).
pub fn generate(cfg: &NetworkConfig) -> Traffic {
    let mut rng = Pcg64Mcg::seed_from_u64(cfg.seed);
    let web = Office::outside(&mut rng, 2000);
    let mtas = Office::outside(&mut rng, (cfg.workstations / 4).max(5));
    let mut office = Office {
        rng,
        conns: Vec::new(),
        web,
        mtas,
        t0: cfg.start * S,
    };
    office.workstations(cfg);
    office.servers(cfg);
    office.devices(cfg);
    let labels = office.attacks(cfg);
    Traffic {
        conns: office.conns,
        labels,
    }
}
