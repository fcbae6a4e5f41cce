//! A realistic Combined Log Format access log with labelled attacks, for tests, demos and
//! benchmarks: thousands of clients browsing a shop with a daily rhythm (visitors, regulars,
//! office gateways, search-engine bots, an uptime monitor), plus a vulnerability scanner, a
//! credential-stuffing run, a DDoS burst from many addresses, a slow data exfiltration and an
//! aggressive crawler. The same configuration always writes the same bytes.

use std::io::{self, Write};

use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, LogNormal};
use rand_pcg::Pcg64Mcg;

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct LogGeneratorConfig {
    /// Days of traffic.
    pub days: u32,
    /// Normal clients (attackers come on top).
    pub clients: usize,
    /// Addresses in the DDoS burst.
    pub ddos_addresses: usize,
    /// Start, epoch seconds (UTC midnight recommended).
    pub start: i64,
    /// Random seed.
    pub seed: u64,
}

impl Default for LogGeneratorConfig {
    fn default() -> Self {
        LogGeneratorConfig {
            days: 4,
            clients: 3000,
            ddos_addresses: 200,
            start: 1_706_745_600, // 2024-02-01
            seed: 0,
        }
    }
}

impl LogGeneratorConfig {
    /// The latest time a line can have, seconds since 1970 (one second before the end of the
    /// last day).
    pub fn last_time(&self) -> i128 {
        i128::from(self.start) + i128::from(self.days.max(1)) * 86_400 - 1
    }
}

/// The attacks, as written in the labels file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attack {
    /// A vulnerability scanner probing thousands of paths.
    Scanner,
    /// Password guessing against the login path.
    CredentialStuffing,
    /// A flood from many addresses at once.
    Ddos,
    /// A slow, steady download of large exports.
    Exfiltration,
    /// A crawler fetching every page fast.
    Crawler,
}

impl Attack {
    /// Every attack.
    pub const ALL: [Attack; 5] = [
        Attack::Scanner,
        Attack::CredentialStuffing,
        Attack::Ddos,
        Attack::Exfiltration,
        Attack::Crawler,
    ];

    /// Name in the labels file.
    pub fn label(self) -> &'static str {
        match self {
            Attack::Scanner => "scanner",
            Attack::CredentialStuffing => "credential_stuffing",
            Attack::Ddos => "ddos",
            Attack::Exfiltration => "exfiltration",
            Attack::Crawler => "crawler",
        }
    }
}

/// What was written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogSummary {
    /// Log lines.
    pub lines: u64,
    /// Distinct client addresses (normal and attacking).
    pub clients: usize,
    /// Lines per attack, in [`Attack::ALL`] order.
    pub attack_lines: [u64; 5],
}

const BROWSERS: [&str; 14] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:122.0) Gecko/20100101 Firefox/122.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2.1 Safari/605.1.15",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.6167.101 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.230 Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Mozilla/5.0 (iPad; CPU OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36 OPR/106.0.0.0",
    "ShopApp/4.2.1 (iPhone; iOS 17.2.1; Scale/3.00)",
    "Mozilla/5.0 (Windows NT 6.1; Trident/7.0; rv:11.0) like Gecko \\\"compatible\\\"",
];
const SEARCH_BOT: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
const MONITOR: &str = "UptimeMonitor/1.0 (+https://status.example.net)";
const SCANNER_UA: &str =
    "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)";
const CRAWLER_UA: &str = "Mozilla/5.0 (compatible; MJ12bot/v1.4.8; http://mj12bot.com/)";
const EXFIL_UA: &str = "python-requests/2.31.0";
const SCAN_PATHS: [&str; 24] = [
    "/.env",
    "/.git/config",
    "/wp-login.php",
    "/wp-admin/setup-config.php",
    "/phpmyadmin/index.php",
    "/admin/config.php",
    "/cgi-bin/luci",
    "/server-status",
    "/.aws/credentials",
    "/config.json",
    "/backup.sql",
    "/db.sql",
    "/actuator/env",
    "/solr/admin/info/system",
    "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
    "/owa/auth/logon.aspx",
    "/HNAP1/",
    "/boaform/admin/formLogin",
    "/console/",
    "/.DS_Store",
    "/api/v1/pods",
    "/telescope/requests",
    "/debug/default/view",
    "/_ignition/execute-solution",
];
const SCAN_WORDS: [&str; 12] = [
    "admin", "backup", "old", "test", "dev", "shell", "upload", "install", "config", "db",
    "private", "tmp",
];
const SCAN_EXT: [&str; 6] = [".php", ".zip", ".bak", ".sql", "/", ".tar.gz"];

/// What a request asks for, rendered to a path when written.
#[derive(Clone, Copy)]
enum Target {
    Page(u16),
    Asset(u16),
    Login,
    Search(u32),
    Product(u32),
    Scan(u32),
    Export(u32),
    Health,
}

/// One request of the generated log, before it is written as a line.
#[derive(Clone, Copy)]
struct Request {
    time_ms: i64,
    client: u32,
    target: Target,
    post: bool,
    status: u16,
    bytes: u32,
    agent: u16,
    referer: Option<u16>,
}

/// User agents: the browsers, then the special ones.
fn agents() -> Vec<&'static str> {
    let mut a: Vec<&str> = BROWSERS.to_vec();
    a.extend([SEARCH_BOT, MONITOR, SCANNER_UA, CRAWLER_UA, EXFIL_UA]);
    a
}

fn pages() -> Vec<String> {
    let mut p: Vec<String> = [
        "/",
        "/about",
        "/contact",
        "/cart",
        "/checkout",
        "/blog",
        "/products",
        "/faq",
        "/shipping",
        "/returns",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for c in [
        "shoes", "bags", "jackets", "shirts", "hats", "sale", "new", "kids",
    ] {
        p.push(format!("/category/{c}"));
    }
    for i in 0..80 {
        p.push(format!("/blog/post-{i}"));
    }
    p
}

/// Mostly-popular-first index into `n` items (a Zipf-like law).
fn zipf(rng: &mut Pcg64Mcg, n: usize) -> usize {
    let u: f64 = rng.random();
    ((n as f64).powf(u) - 1.0)
        .floor()
        .clamp(0.0, n as f64 - 1.0) as usize
}

/// Relative traffic at an hour of the day (UTC) and day of the week.
fn intensity(ms: i64) -> f64 {
    let hour = (ms.rem_euclid(86_400_000)) as f64 / 3_600_000.0;
    let day = ms.div_euclid(86_400_000);
    let weekday = (day + 3).rem_euclid(7); // 1970-01-01 was a Thursday: 0 = Monday
    let weekend = if weekday >= 5 { 0.75 } else { 1.0 };
    let diurnal = 0.25 + 0.75 * (0.5 + 0.5 * ((hour - 15.0) / 24.0 * std::f64::consts::TAU).cos());
    weekend * diurnal
}

/// A time in `[from, to)` drawn with the daily rhythm.
fn rhythm_time(rng: &mut Pcg64Mcg, from: i64, to: i64) -> i64 {
    loop {
        let t = rng.random_range(from..to);
        if rng.random::<f64>() < intensity(t) {
            return t;
        }
    }
}

/// Collects the requests of the generated log: the random stream, the requests so far and the
/// size laws of pages and assets.
struct LogBuilder {
    rng: Pcg64Mcg,
    requests: Vec<Request>,
    pages: usize,
    page_size: LogNormal<f64>,
    asset_size: LogNormal<f64>,
}

impl LogBuilder {
    fn push(&mut self, request: Request) {
        self.requests.push(request);
    }

    /// A browsing session: pages with their assets, sometimes a login.
    fn session(&mut self, client: u32, agent: u16, start: i64, pages: usize, login_rate: f64) {
        let mut t = start;
        let mut prev: Option<u16> = None;
        let logs_in = self.rng.random::<f64>() < login_rate;
        for k in 0..pages {
            let (target, post) = if logs_in && k == 1 {
                (Target::Login, false)
            } else if logs_in && k == 2 {
                (Target::Login, true)
            } else if self.rng.random::<f64>() < 0.15 {
                (Target::Product(zipf(&mut self.rng, 1500) as u32), false)
            } else if self.rng.random::<f64>() < 0.05 {
                (Target::Search(self.rng.random_range(0..400)), false)
            } else {
                (Target::Page(zipf(&mut self.rng, self.pages) as u16), false)
            };
            let roll: f64 = self.rng.random();
            let status = match target {
                Target::Login if post => {
                    if self.rng.random::<f64>() < 0.12 {
                        401
                    } else {
                        302
                    }
                }
                _ if roll < 0.012 => 404,
                _ if roll < 0.014 => 500,
                _ => 200,
            };
            let bytes = match status {
                302 => 0,
                404 => 512,
                500 => 1_024,
                _ => self.page_size.sample(&mut self.rng) as u32,
            };
            self.push(Request {
                time_ms: t,
                client,
                target,
                post,
                status,
                bytes,
                agent,
                referer: prev,
            });
            if let Target::Page(p) = target {
                prev = Some(p);
            }
            // Assets of the page, fetched within a second, often from cache (304).
            if status == 200 && !post {
                let n_assets = self.rng.random_range(0..5);
                for _ in 0..n_assets {
                    let cached = self.rng.random::<f64>() < 0.4;
                    let dt = self.rng.random_range(20..900);
                    let asset = self.rng.random_range(0..40u16);
                    let bytes = if cached {
                        0
                    } else {
                        self.asset_size.sample(&mut self.rng) as u32
                    };
                    self.push(Request {
                        time_ms: t + dt,
                        client,
                        target: Target::Asset(asset),
                        post: false,
                        status: if cached { 304 } else { 200 },
                        bytes,
                        agent,
                        referer: prev,
                    });
                }
            }
            // Reading time before the next page.
            t += (self.rng.random::<f64>().max(1e-9).ln().abs() * 40_000.0) as i64 + 2_000;
        }
    }
}

/// Writes the log and its labels (`client,kind,start,end`: one row per attacking address).
pub fn generate_log(
    cfg: &LogGeneratorConfig,
    out: &mut impl Write,
    labels: &mut impl Write,
) -> io::Result<LogSummary> {
    crate::generate::table::check_time_range(i128::from(cfg.start), cfg.last_time())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let mut rng = Pcg64Mcg::seed_from_u64(cfg.seed);
    let begin = cfg.start * 1000;
    let end = begin + i64::from(cfg.days.max(1)) * 86_400_000;
    let day_ms = 86_400_000i64;
    let pages = pages();
    let agent_names = agents();
    let n_browsers = BROWSERS.len();
    let special = |ua: &str| agent_names.iter().position(|a| *a == ua).unwrap_or(0) as u16;
    let mut g = LogBuilder {
        rng: Pcg64Mcg::seed_from_u64(cfg.seed ^ 0x5eed),
        requests: Vec::new(),
        pages: pages.len(),
        page_size: LogNormal::new(9.6, 0.6).map_err(io::Error::other)?,
        asset_size: LogNormal::new(10.2, 1.0).map_err(io::Error::other)?,
    };
    // Distinct addresses: normal clients, then attackers.
    let mut used = std::collections::HashSet::new();
    let mut address = |rng: &mut Pcg64Mcg, v6: bool| -> String {
        loop {
            let a = if v6 {
                format!(
                    "2001:db8:{:x}:{:x}::{:x}",
                    rng.random_range(0..0xffffu32),
                    rng.random_range(0..0xffffu32),
                    rng.random_range(1..0xffffu32)
                )
            } else {
                let first = [
                    31u8, 46, 62, 77, 81, 86, 90, 109, 145, 176, 185, 193, 212, 217,
                ][rng.random_range(0..14)];
                format!(
                    "{first}.{}.{}.{}",
                    rng.random_range(0..256),
                    rng.random_range(0..256),
                    rng.random_range(1..255)
                )
            };
            if used.insert(a.clone()) {
                return a;
            }
        }
    };
    let mut addresses: Vec<String> = Vec::new();
    let days = i64::from(cfg.days.max(1));
    for c in 0..cfg.clients {
        let client = c as u32;
        let v6 = rng.random::<f64>() < 0.12;
        addresses.push(address(&mut rng, v6));
        let agent = rng.random_range(0..n_browsers) as u16;
        let roll: f64 = rng.random();
        if c < 2 {
            // Uptime monitors: /health every minute.
            let ua = special(MONITOR);
            let mut t = begin + rng.random_range(0..60_000);
            while t < end {
                g.push(Request {
                    time_ms: t,
                    client,
                    target: Target::Health,
                    post: false,
                    status: 200,
                    bytes: 17,
                    agent: ua,
                    referer: None,
                });
                t += 60_000 + rng.random_range(-300..300);
            }
        } else if c < 5 {
            // Search-engine bots: steady, polite crawling.
            let ua = special(SEARCH_BOT);
            let mut t = begin + rng.random_range(0..600_000);
            while t < end {
                let target = if rng.random::<f64>() < 0.6 {
                    Target::Product(rng.random_range(0..1500))
                } else {
                    Target::Page(rng.random_range(0..pages.len()) as u16)
                };
                let status = if rng.random::<f64>() < 0.03 { 404 } else { 200 };
                let bytes = g.page_size.sample(&mut g.rng) as u32;
                g.push(Request {
                    time_ms: t,
                    client,
                    target,
                    post: false,
                    status,
                    bytes,
                    agent: ua,
                    referer: None,
                });
                t += rng.random_range(30_000..240_000);
            }
        } else if roll < 0.006 {
            // Office gateways: many people behind one address, a few browsers.
            let sessions = days * rng.random_range(15..40);
            let first_ua = rng.random_range(0..n_browsers);
            let n_uas = rng.random_range(2..6);
            for _ in 0..sessions {
                let ua = ((first_ua + rng.random_range(0..n_uas)) % n_browsers) as u16;
                let day = rng.random_range(0..days);
                let start =
                    rhythm_time(&mut g.rng, begin + day * day_ms, begin + (day + 1) * day_ms);
                let n = rng.random_range(2..14);
                g.session(client, ua, start, n, 0.3);
            }
        } else if roll < 0.25 {
            // Regulars: a few sessions every day, often logged in.
            for day in 0..days {
                for _ in 0..rng.random_range(0..4) {
                    let start =
                        rhythm_time(&mut g.rng, begin + day * day_ms, begin + (day + 1) * day_ms);
                    let n = rng.random_range(3..20);
                    g.session(client, agent, start, n, 0.5);
                }
            }
        } else {
            // Visitors: one to three short visits.
            let visits =
                1 + usize::from(rng.random::<f64>() < 0.3) + usize::from(rng.random::<f64>() < 0.1);
            for _ in 0..visits {
                let start = rhythm_time(&mut g.rng, begin, end);
                let n = rng.random_range(1..12);
                g.session(client, agent, start, n, 0.1);
            }
        }
    }
    let mut label_rows: Vec<(String, Attack, i64, i64)> = Vec::new();
    let mut attack_lines = [0u64; 5];
    let mut next_client = cfg.clients as u32;
    let mut new_attacker = |rng: &mut Pcg64Mcg, addresses: &mut Vec<String>| -> u32 {
        let id = next_client;
        next_client += 1;
        addresses.push(address(rng, false));
        id
    };
    let at =
        |day: i64, hour: f64| begin + (day.min(days - 1)) * day_ms + (hour * 3_600_000.0) as i64;

    // Vulnerability scanner: ~2,500 probes in under an hour, nearly all 404.
    {
        let c = new_attacker(&mut rng, &mut addresses);
        let (t0, mut t) = (at(1, 3.2), at(1, 3.2));
        for k in 0..2_500u32 {
            let roll: f64 = rng.random();
            let status = if roll < 0.94 {
                404
            } else if roll < 0.98 {
                403
            } else {
                200
            };
            g.push(Request {
                time_ms: t,
                client: c,
                target: Target::Scan(k),
                post: rng.random::<f64>() < 0.05,
                status,
                bytes: 512,
                agent: special(SCANNER_UA),
                referer: None,
            });
            t += rng.random_range(200..2_200);
        }
        attack_lines[0] = 2_500;
        label_rows.push((addresses[c as usize].clone(), Attack::Scanner, t0, t));
    }
    // Credential stuffing: POST /login every few seconds for three hours, rotating browsers.
    {
        let c = new_attacker(&mut rng, &mut addresses);
        let (t0, mut t) = (at(2, 14.0), at(2, 14.0));
        let mut n = 0;
        while t < t0 + 3 * 3_600_000 {
            let status = if rng.random::<f64>() < 0.97 { 401 } else { 302 };
            let agent = rng.random_range(0..5) as u16;
            g.push(Request {
                time_ms: t,
                client: c,
                target: Target::Login,
                post: true,
                status,
                bytes: 180,
                agent,
                referer: Some(0),
            });
            t += rng.random_range(2_000..10_000);
            n += 1;
        }
        attack_lines[1] = n;
        label_rows.push((
            addresses[c as usize].clone(),
            Attack::CredentialStuffing,
            t0,
            t,
        ));
    }
    // DDoS: many addresses hammer the home page and search for 10 minutes; the server starts
    // answering 503.
    {
        let t0 = at(1, 20.5);
        let t1 = t0 + 10 * 60_000;
        let mut n = 0;
        for _ in 0..cfg.ddos_addresses {
            let c = new_attacker(&mut rng, &mut addresses);
            let agent = rng.random_range(0..n_browsers) as u16;
            let mut t = t0 + rng.random_range(0..60_000);
            let gap = rng.random_range(500..1_500);
            while t < t1 {
                let overloaded = t > t0 + 3 * 60_000 && rng.random::<f64>() < 0.6;
                let target = if rng.random::<f64>() < 0.5 {
                    Target::Page(0)
                } else {
                    Target::Search(rng.random_range(0..1_000_000))
                };
                let (status, bytes) = if overloaded {
                    (503, 300)
                } else {
                    (200, g.page_size.sample(&mut g.rng) as u32)
                };
                g.push(Request {
                    time_ms: t,
                    client: c,
                    target,
                    post: false,
                    status,
                    bytes,
                    agent,
                    referer: None,
                });
                t += rng.random_range(gap / 2..gap * 3 / 2);
                n += 1;
            }
            label_rows.push((addresses[c as usize].clone(), Attack::Ddos, t0, t1));
        }
        attack_lines[2] = n;
    }
    // Slow exfiltration: one large export page every ~15 minutes, for days.
    {
        let c = new_attacker(&mut rng, &mut addresses);
        let t0 = at(0, 9.0);
        let mut t = t0;
        let mut page = 0;
        while t < end - 3_600_000 {
            let bytes = rng.random_range(3_000_000..9_000_000);
            g.push(Request {
                time_ms: t,
                client: c,
                target: Target::Export(page),
                post: false,
                status: 200,
                bytes,
                agent: special(EXFIL_UA),
                referer: None,
            });
            page += 1;
            t += rng.random_range(780_000..1_020_000);
        }
        attack_lines[3] = u64::from(page);
        label_rows.push((addresses[c as usize].clone(), Attack::Exfiltration, t0, t));
    }
    // Aggressive crawler: every product page, about 40 a minute, for five hours.
    {
        let c = new_attacker(&mut rng, &mut addresses);
        let (t0, mut t) = (at(0, 10.0), at(0, 10.0));
        let mut n = 0;
        while t < t0 + 5 * 3_600_000 {
            let status = if rng.random::<f64>() < 0.03 { 404 } else { 200 };
            let target = if rng.random::<f64>() < 0.9 {
                Target::Product(n as u32 % 12_000)
            } else {
                Target::Page(rng.random_range(0..pages.len()) as u16)
            };
            let bytes = g.page_size.sample(&mut g.rng) as u32;
            g.push(Request {
                time_ms: t,
                client: c,
                target,
                post: false,
                status,
                bytes,
                agent: special(CRAWLER_UA),
                referer: None,
            });
            t += rng.random_range(500..2_500);
            n += 1;
        }
        attack_lines[4] = n;
        label_rows.push((addresses[c as usize].clone(), Attack::Crawler, t0, t));
    }

    // Lines are written in time order, except that a request is logged when it completes:
    // a slow one lands after faster ones that started later.
    let mut requests = std::mem::take(&mut g.requests);
    requests.retain(|e| e.time_ms >= begin && e.time_ms < end);
    requests.sort_by_key(|e| (e.time_ms, e.client));
    for i in 1..requests.len() {
        if rng.random::<f64>() < 0.01 {
            requests.swap(i - 1, i);
        }
    }
    let mut w = io::BufWriter::with_capacity(1 << 20, out);
    let mut seen = vec![false; addresses.len()];
    for e in &requests {
        seen[e.client as usize] = true;
        let method = if e.post {
            "POST"
        } else if matches!(e.target, Target::Page(_)) && e.client % 97 == 3 {
            "HEAD"
        } else {
            "GET"
        };
        write!(
            w,
            "{} - - [{}] \"{} ",
            addresses[e.client as usize],
            clf_time(e.time_ms),
            method
        )?;
        write_target(&mut w, e.target, &pages)?;
        write!(
            w,
            " HTTP/1.1\" {} {} \"",
            e.status,
            if e.bytes == 0 && e.status == 304 {
                "-".to_string()
            } else {
                e.bytes.to_string()
            }
        )?;
        match e.referer {
            Some(p) => write!(
                w,
                "https://shop.example.com{}",
                pages[usize::from(p) % pages.len()]
            )?,
            None => w.write_all(b"-")?,
        }
        writeln!(w, "\" \"{}\"", agent_names[usize::from(e.agent)])?;
    }
    w.flush()?;
    let mut lw = io::BufWriter::new(labels);
    writeln!(lw, "client,kind,start,end")?;
    for (a, kind, t0, t1) in &label_rows {
        writeln!(
            lw,
            "{a},{},{},{}",
            kind.label(),
            crate::zone::Zone::Unstated.format(*t0 / 1000 * 1000),
            crate::zone::Zone::Unstated.format(*t1 / 1000 * 1000)
        )?;
    }
    lw.flush()?;
    Ok(LogSummary {
        lines: requests.len() as u64,
        clients: seen.iter().filter(|s| **s).count(),
        attack_lines,
    })
}

fn write_target(w: &mut impl Write, target: Target, pages: &[String]) -> io::Result<()> {
    match target {
        Target::Page(p) => w.write_all(pages[usize::from(p) % pages.len()].as_bytes()),
        Target::Asset(a) => match a % 4 {
            0 => write!(w, "/static/app.{a}.js"),
            1 => write!(w, "/static/style.{a}.css"),
            _ => write!(w, "/img/item-{a}.jpg"),
        },
        Target::Login => w.write_all(b"/login"),
        Target::Search(q) => write!(w, "/search?q=term{q}"),
        Target::Product(id) => write!(w, "/products/{id}"),
        Target::Scan(k) => {
            let k = k as usize;
            if k < SCAN_PATHS.len() {
                w.write_all(SCAN_PATHS[k].as_bytes())
            } else {
                let word = SCAN_WORDS[k % SCAN_WORDS.len()];
                let ext = SCAN_EXT[(k / SCAN_WORDS.len()) % SCAN_EXT.len()];
                write!(w, "/{word}{}{ext}", k / (SCAN_WORDS.len() * SCAN_EXT.len()))
            }
        }
        Target::Export(p) => write!(w, "/api/v2/export/customers?page={p}&format=csv"),
        Target::Health => w.write_all(b"/health"),
    }
}

/// `01/Feb/2024:13:55:36 +0000`.
fn clf_time(ms: i64) -> String {
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(dt) => dt.format("%d/%b/%Y:%H:%M:%S +0000").to_string(),
        None => "01/Jan/1970:00:00:00 +0000".into(),
    }
}
