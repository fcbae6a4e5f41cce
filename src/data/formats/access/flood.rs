//! Flood cohorts: clients that flood the site in the same minutes, grouped as one attack.
//!
//! A distributed flood (DDoS) comes from many addresses that each look alike: to an outlier
//! detector they are a dense group, not outliers (masking), so it flags a few of them. An
//! analyst acts on the group. A client is a flooder when its peak of page requests in one
//! minute reaches the log's flood level ([`super::verdict::Calibration::flood_page_peak`]) and it
//! declares no bot and sends no attack payload; its flood is the span from the first to the last
//! minute in which its page requests exceed what the log's browsers peak at. Flooders whose
//! spans overlap (or touch) form one cohort.

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

/// The first and last minute (epoch minutes) in which `lines` have more than `busy` page
/// requests (not static assets).
fn flood_span(log: &AccessLog, lines: &[u32], busy: f64) -> Option<(i64, i64)> {
    let (mut first, mut last) = (None, 0);
    let mut minute = i64::MIN;
    let mut pages = 0usize;
    let close = |minute: i64, pages: usize, first: &mut Option<i64>, last: &mut i64| {
        if pages as f64 > busy {
            first.get_or_insert(minute);
            *last = minute;
        }
    };
    for &i in lines {
        let i = i as usize;
        let m = log.time[i].div_euclid(60_000);
        if m != minute {
            close(minute, pages, &mut first, &mut last);
            minute = m;
            pages = 0;
        }
        pages += usize::from(!log.asset[i]);
    }
    close(minute, pages, &mut first, &mut last);
    first.map(|f| (f, last))
}

impl FloodCohorts {
    /// The cohorts of `log`, whose client view has feature `columns` (row `r` is client
    /// `client_of_row[r]`); flooders reach `flood_page_peak` page requests in one minute, and a
    /// minute is busy above `browser_page_peak` page requests.
    pub fn of(
        log: &AccessLog,
        columns: &[Vec<f64>],
        client_of_row: &[u32],
        flood_page_peak: f64,
        browser_page_peak: f64,
    ) -> FloodCohorts {
        let mut spans: Vec<(i64, i64, usize)> = client_of_row
            .iter()
            .enumerate()
            .filter(|&(r, _)| flooder(columns, r, flood_page_peak))
            .filter_map(|(_, &c)| {
                let c = c as usize;
                (c < log.clients.len())
                    .then(|| flood_span(log, log.by_client.of(c), browser_page_peak))
                    .flatten()
                    .map(|(a, b)| (a, b, c))
            })
            .collect();
        spans.sort_unstable();
        let mut groups: Vec<(i64, i64, Vec<usize>)> = Vec::new();
        for (a, b, c) in spans {
            match groups.last_mut() {
                Some((_, end, members)) if a <= *end + 1 => {
                    *end = (*end).max(b);
                    members.push(c);
                }
                _ => groups.push((a, b, vec![c])),
            }
        }
        let mut cohort_of = vec![None; log.clients.len()];
        let cohorts: Vec<Cohort> = groups
            .into_iter()
            .filter(|(_, _, m)| m.len() >= MIN_COHORT)
            .enumerate()
            .map(|(k, (a, b, mut clients))| {
                clients.sort_unstable();
                for &c in &clients {
                    cohort_of[c] = Some(k as u32);
                }
                Cohort {
                    clients,
                    start: a * 60_000,
                    end: (b + 1) * 60_000,
                }
            })
            .collect();
        FloodCohorts { cohorts, cohort_of }
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
