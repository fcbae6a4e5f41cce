//! Flood cohorts: clients that flood the site in the same minutes, grouped as one attack.
//!
//! A distributed flood (DDoS) comes from many addresses that each look alike: to an outlier
//! detector they are a dense group, not outliers (masking), so it flags a few of them. An
//! analyst acts on the group. A client is a flooder when its peak of page requests in one
//! minute reaches the log's flood level ([`super::verdict::Calibration::flood_page_peak`]) and it
//! declares no bot and sends no attack payload; its flood minutes are those in which it reaches
//! that level. Flooders that flood in the same minute belong to one cohort (and so, in turn, do
//! those that share a minute with any member).

use super::clients::col;
use super::AccessLog;

/// A cohort needs at least this many addresses to be called part of a flood.
pub const MIN_COHORT: usize = 2;

/// Clients that flooded in overlapping minutes.
#[derive(Debug, Clone, PartialEq)]
pub struct Cohort {
    /// The clients (indices into the log's clients), in ascending order.
    pub clients: Vec<usize>,
    /// Start of the first flood minute, epoch milliseconds UTC.
    pub start: i64,
    /// End of the last flood minute, epoch milliseconds UTC.
    pub end: i64,
}

/// The flood cohorts of one log.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FloodCohorts {
    /// Every cohort of at least [`MIN_COHORT`] clients, earliest first.
    pub cohorts: Vec<Cohort>,
    /// For each client of the log, the index of its cohort.
    cohort_of: Vec<Option<u32>>,
}

/// Is client row `r` of the client view's `columns` a flooder at `flood_page_peak`?
fn flooder(columns: &[Vec<f64>], r: usize, flood_page_peak: f64) -> bool {
    let get = |c: usize| {
        columns
            .get(c)
            .and_then(|v| v.get(r))
            .copied()
            .unwrap_or(0.0)
    };
    get(col::PEAK_PAGES) >= flood_page_peak && get(col::BOT) < 0.5 && get(col::ATTACKS) == 0.0
}

/// The minutes (epoch minutes, ascending) in which `lines` have at least `level` page requests
/// (not static assets).
fn flood_minutes(log: &AccessLog, lines: &[u32], level: f64) -> Vec<i64> {
    let mut out = Vec::new();
    let mut minute = i64::MIN;
    let mut pages = 0usize;
    for &i in lines {
        let i = i as usize;
        let m = log.time[i].div_euclid(60_000);
        if m != minute {
            if pages as f64 >= level {
                out.push(minute);
            }
            minute = m;
            pages = 0;
        }
        pages += usize::from(!log.asset[i]);
    }
    if pages as f64 >= level {
        out.push(minute);
    }
    out
}

/// The root of `x` in the union-find `parent`, compressing the path.
fn root(parent: &mut [usize], mut x: usize) -> usize {
    while parent[x] != x {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    x
}

impl FloodCohorts {
    /// The cohorts of `log`, whose client view has feature `columns` (row `r` is client
    /// `client_of_row[r]`): flooders (at least `flood_page_peak` page requests in one minute)
    /// that flood in at least one same minute, directly or through other members.
    pub fn of(
        log: &AccessLog,
        columns: &[Vec<f64>],
        client_of_row: &[u32],
        flood_page_peak: f64,
    ) -> FloodCohorts {
        let flooders: Vec<(usize, Vec<i64>)> = client_of_row
            .iter()
            .enumerate()
            .filter(|&(r, &c)| {
                flooder(columns, r, flood_page_peak) && (c as usize) < log.clients.len()
            })
            .map(|(_, &c)| {
                let c = c as usize;
                (c, flood_minutes(log, log.by_client.of(c), flood_page_peak))
            })
            .filter(|(_, m)| !m.is_empty())
            .collect();
        // Flooders of one minute belong together.
        let mut by_minute: std::collections::HashMap<i64, Vec<usize>> =
            std::collections::HashMap::new();
        for (k, (_, minutes)) in flooders.iter().enumerate() {
            for &m in minutes {
                by_minute.entry(m).or_default().push(k);
            }
        }
        let mut parent: Vec<usize> = (0..flooders.len()).collect();
        let mut shared: Vec<(i64, usize)> = Vec::new();
        for (&m, ks) in &by_minute {
            if ks.len() < 2 {
                continue;
            }
            for &k in &ks[1..] {
                let (a, b) = (root(&mut parent, ks[0]), root(&mut parent, k));
                parent[a.max(b)] = a.min(b);
            }
            shared.push((m, ks[0]));
        }
        let mut groups: std::collections::BTreeMap<usize, (Vec<usize>, i64, i64)> =
            std::collections::BTreeMap::new();
        for (k, (client, _)) in flooders.iter().enumerate() {
            let g = root(&mut parent, k);
            groups
                .entry(g)
                .or_insert((Vec::new(), i64::MAX, i64::MIN))
                .0
                .push(*client);
        }
        // A cohort's span: the minutes in which two or more of its members flood.
        for (m, k) in shared {
            let g = root(&mut parent, k);
            if let Some(group) = groups.get_mut(&g) {
                group.1 = group.1.min(m);
                group.2 = group.2.max(m);
            }
        }
        let mut found: Vec<Cohort> = groups
            .into_values()
            .filter(|(members, _, _)| members.len() >= MIN_COHORT)
            .map(|(mut clients, a, b)| {
                clients.sort_unstable();
                Cohort {
                    clients,
                    start: a * 60_000,
                    end: (b + 1) * 60_000,
                }
            })
            .collect();
        found.sort_by_key(|c| (c.start, c.clients.first().copied()));
        let mut cohort_of = vec![None; log.clients.len()];
        for (k, cohort) in found.iter().enumerate() {
            for &c in &cohort.clients {
                cohort_of[c] = Some(k as u32);
            }
        }
        FloodCohorts {
            cohorts: found,
            cohort_of,
        }
    }

    /// The cohort of client `client`, if it flooded with others.
    pub fn of_client(&self, client: usize) -> Option<&Cohort> {
        let k = (*self.cohort_of.get(client)?)?;
        self.cohorts.get(k as usize)
    }

    /// Flags every member of a cohort one of whose members is flagged: `flags[r]` is row `r`'s
    /// flag, and row `r` is client `client_of_row[r]`. Returns how many flags were added.
    pub fn extend_flags(&self, client_of_row: &[u32], flags: &mut [bool]) -> usize {
        let mut row_of = vec![usize::MAX; self.cohort_of.len()];
        for (r, &c) in client_of_row.iter().enumerate() {
            if let Some(slot) = row_of.get_mut(c as usize) {
                *slot = r;
            }
        }
        let mut added = 0;
        for cohort in &self.cohorts {
            let rows: Vec<usize> = cohort
                .clients
                .iter()
                .filter_map(|&c| row_of.get(c).copied().filter(|&r| r < flags.len()))
                .collect();
            if rows.iter().any(|&r| flags[r]) {
                for r in rows {
                    added += usize::from(!flags[r]);
                    flags[r] = true;
                }
            }
        }
        added
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::data::access::verdict::{Kind, Verdicts};
    use crate::data::{load_bytes, LoadOptions};

    fn line(out: &mut String, client: &str, minute: u32, second: u32, path: &str, ua: &str) {
        out.push_str(&format!(
            "{client} - - [02/Jan/2021:{:02}:{:02}:{second:02} +0000] \"GET {path} HTTP/1.1\" 200 \
             5120 \"https://shop.example.com/\" \"{ua}\"\n",
            10 + minute / 60,
            minute % 60
        ));
    }

    /// 40 browsers (a page and two assets every few minutes), five addresses flooding the
    /// home page at 40 a minute in minutes 100-102, one more flooding alone in minutes 300-301
    /// and a declared bot fetching pages as fast in minutes 100-102.
    fn log() -> String {
        let browser = "Mozilla/5.0 (X11; Linux x86_64) Firefox/121.0";
        let mut out = String::new();
        for m in 0..400u32 {
            for b in 0..40u32 {
                if (m + b) % 7 == 0 {
                    let c = format!("198.51.100.{b}");
                    line(&mut out, &c, m, 1, &format!("/page/{m}"), browser);
                    line(&mut out, &c, m, 2, "/static/app.css", browser);
                    line(&mut out, &c, m, 3, "/img/logo.png", browser);
                }
            }
            let flooders: Vec<String> = match m {
                100..=102 => (1..=5)
                    .map(|k| format!("203.0.113.{k}"))
                    .chain(["192.0.2.99".to_string()])
                    .collect(),
                300..=301 => vec!["203.0.113.200".to_string()],
                _ => Vec::new(),
            };
            for c in &flooders {
                let ua = if c == "192.0.2.99" {
                    "Mozilla/5.0 (compatible; MJ12bot/v1.4.8)"
                } else {
                    browser
                };
                for s in 0..40 {
                    line(&mut out, c, m, s, "/", ua);
                }
            }
        }
        out
    }

    #[test]
    fn addresses_flooding_in_the_same_minutes_are_one_cohort_and_flagged_together() {
        let ds = load_bytes(
            "flood.log",
            Arc::from(log().into_bytes()),
            &LoadOptions::default(),
        )
        .expect("load");
        let table = ds.log.as_ref().expect("log");
        let verdicts = Verdicts::new(Arc::clone(&table.log), &ds.columns);
        let cohorts = &verdicts.floods.cohorts;
        assert_eq!(cohorts.len(), 1, "{cohorts:?}");
        let names: Vec<&str> = cohorts[0]
            .clients
            .iter()
            .map(|&c| table.log.clients[c].as_str())
            .collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(
            sorted,
            [
                "203.0.113.1",
                "203.0.113.2",
                "203.0.113.3",
                "203.0.113.4",
                "203.0.113.5"
            ]
        );
        assert_eq!(cohorts[0].end - cohorts[0].start, 3 * 60_000);
        let row_of = |a: &str| {
            ds.row_labels
                .as_ref()
                .expect("clients")
                .values
                .iter()
                .position(|v| v == a)
                .expect("client")
        };
        let member = row_of("203.0.113.3");
        let v = verdicts.verdict(member, &ds.row(member), 0);
        assert_eq!(v.kind, Kind::Attack);
        assert!(
            v.words.starts_with(
                "part of a flood: 5 addresses flooding in the same minutes \
                 (2021-01-02 11:40–11:43 UTC); this one peak 40 page requests in one minute"
            ),
            "{}",
            v.words
        );
        let alone = row_of("203.0.113.200");
        let w = verdicts.explain(alone, &ds.row(alone), 0);
        assert!(w.starts_with("a flood: peak 40 page requests"), "{w}");
        // One flagged member flags the cohort; nothing flagged adds nothing.
        let mut flags = vec![false; ds.n_rows()];
        assert_eq!(
            verdicts
                .floods
                .extend_flags(&table.client_of_row, &mut flags),
            0
        );
        flags[member] = true;
        assert_eq!(
            verdicts
                .floods
                .extend_flags(&table.client_of_row, &mut flags),
            4
        );
        for a in &names {
            assert!(flags[row_of(a)], "{a}");
        }
        assert!(!flags[alone] && !flags[row_of("192.0.2.99")]);
        assert_eq!(flags.iter().filter(|f| **f).count(), 5);
    }
}
