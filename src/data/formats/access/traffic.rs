//! The traffic view: requests, bytes, distinct clients and 4xx/5xx rates per time bucket, for
//! all traffic or per region or virtual host. Empty buckets are kept (an outage is news).

use std::sync::Arc;

use rayon::prelude::*;

use super::cidr::RegionMap;
use super::grid::Grid;
use super::{dataset_of, AccessLog, Bucket, LogGroup, LogTable, LogView};
use crate::data::{Dataset, LoadError};

/// More buckets than this are refused (pick a wider bucket).
pub const MAX_BUCKETS: usize = 2_000_000;
/// Virtual hosts beyond the busiest this many are summed as `other`.
pub const MAX_GROUPS: usize = 12;

/// The metrics per bucket, in column order (a mean response time is added when the log has it).
pub const METRICS: [&str; 5] = ["requests", "bytes", "clients", "4xx rate", "5xx rate"];

/// Per-request group numbers and group names.
struct Groups {
    names: Vec<String>,
    of_request: Option<Vec<u16>>,
}

fn groups(log: &AccessLog, group: &LogGroup) -> Result<Groups, LoadError> {
    match group {
        LogGroup::All => Ok(Groups {
            names: vec![String::new()],
            of_request: None,
        }),
        LogGroup::Regions(path) => {
            let map = RegionMap::load(path)?;
            let other = map.names.len() as u16;
            let of_client: Vec<u16> = log
                .clients
                .par_iter()
                .map(|c| map.region_of(c).map_or(other, |r| r as u16))
                .collect();
            let mut names = map.names.clone();
            names.push("other".into());
            Ok(Groups {
                names,
                of_request: Some(
                    log.client
                        .par_iter()
                        .map(|&c| of_client[c as usize])
                        .collect(),
                ),
            })
        }
        LogGroup::VirtualHost => {
            if log.vhosts.is_empty() {
                return Err(LoadError::NoVirtualHost {
                    path: log.source.path().to_path_buf(),
                    format: log.format.name.clone(),
                });
            }
            let mut counts = vec![0usize; log.vhosts.len()];
            for &h in &log.vhost {
                if let Some(c) = counts.get_mut(usize::from(h)) {
                    *c += 1;
                }
            }
            let mut busiest: Vec<usize> = (0..counts.len()).collect();
            busiest.sort_by(|&a, &b| counts[b].cmp(&counts[a]).then(a.cmp(&b)));
            busiest.truncate(MAX_GROUPS);
            let mut names: Vec<String> = busiest.iter().map(|&h| log.vhosts[h].clone()).collect();
            let other = names.len() as u16;
            let mut map = vec![other; log.vhosts.len()];
            for (g, &h) in busiest.iter().enumerate() {
                map[h] = g as u16;
            }
            if log.vhosts.len() > MAX_GROUPS || log.vhost.contains(&u16::MAX) {
                names.push("other".into());
            }
            Ok(Groups {
                names,
                of_request: Some(
                    log.vhost
                        .par_iter()
                        .map(|&h| map.get(usize::from(h)).copied().unwrap_or(other))
                        .collect(),
                ),
            })
        }
    }
}

/// Sums per (bucket, group) cell.
#[derive(Clone)]
struct Cells {
    requests: Vec<u64>,
    bytes: Vec<u64>,
    c4xx: Vec<u64>,
    c5xx: Vec<u64>,
    ms_sum: Vec<f64>,
    ms_n: Vec<u64>,
}

impl Cells {
    fn new(n: usize, ms: bool) -> Cells {
        let m = if ms { n } else { 0 };
        Cells {
            requests: vec![0; n],
            bytes: vec![0; n],
            c4xx: vec![0; n],
            c5xx: vec![0; n],
            ms_sum: vec![0.0; m],
            ms_n: vec![0; m],
        }
    }

    fn merge(mut self, other: Cells) -> Cells {
        let add = |a: &mut Vec<u64>, b: &[u64]| a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        add(&mut self.requests, &other.requests);
        add(&mut self.bytes, &other.bytes);
        add(&mut self.c4xx, &other.c4xx);
        add(&mut self.c5xx, &other.c5xx);
        add(&mut self.ms_n, &other.ms_n);
        self.ms_sum
            .iter_mut()
            .zip(&other.ms_sum)
            .for_each(|(x, y)| *x += y);
        self
    }
}

/// The traffic view of `log` as a dataset with a time axis (bucket starts).
pub fn dataset(
    log: &Arc<AccessLog>,
    bucket: Option<Bucket>,
    group: &LogGroup,
) -> Result<Dataset, LoadError> {
    let path = log.source.path().to_path_buf();
    // The bulk of the requests decides the range: a request with an outlying time is left out.
    let grid = Grid::new(&log.time, bucket, &path, log.zone)?;
    let n_buckets = grid.n;
    let groups = groups(log, group)?;
    let g = groups.names.len();
    // The cell of request `i`; `None` for a request outside the span.
    let cell = |i: usize| -> Option<usize> {
        let b = grid.of(log.time[i])?;
        Some(b * g + groups.of_request.as_ref().map_or(0, |v| usize::from(v[i])))
    };
    let has_ms = log.request_ms.is_some();
    let n_cells = n_buckets * g;
    let cells = (0..log.requests())
        .into_par_iter()
        .with_min_len(1 << 16)
        .fold(
            || Cells::new(n_cells, has_ms),
            |mut acc, i| {
                let Some(k) = cell(i) else {
                    return acc;
                };
                acc.requests[k] += 1;
                acc.bytes[k] += log.bytes[i];
                match log.status[i] {
                    400..=499 => acc.c4xx[k] += 1,
                    500..=599 => acc.c5xx[k] += 1,
                    _ => {}
                }
                if let Some(ms) = &log.request_ms {
                    if ms[i].is_finite() {
                        acc.ms_sum[k] += f64::from(ms[i]);
                        acc.ms_n[k] += 1;
                    }
                }
                acc
            },
        )
        .reduce(|| Cells::new(n_cells, has_ms), Cells::merge);
    // Distinct clients per cell: each client's requests are in time order, so its cells come
    // mostly sorted; sort and deduplicate per client.
    let clients = (0..log.clients.len())
        .into_par_iter()
        .fold(
            || vec![0u32; n_cells],
            |mut acc, c| {
                let mut keys: Vec<usize> = log
                    .by_client
                    .of(c)
                    .iter()
                    .filter_map(|&i| cell(i as usize))
                    .collect();
                keys.sort_unstable();
                keys.dedup();
                for k in keys {
                    acc[k] += 1;
                }
                acc
            },
        )
        .reduce(
            || vec![0u32; n_cells],
            |mut a, b| {
                a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                a
            },
        );
    let mut names = Vec::new();
    let mut columns = Vec::new();
    for (gi, gname) in groups.names.iter().enumerate() {
        let label = |m: &str| {
            if gname.is_empty() {
                m.to_string()
            } else {
                format!("{m} [{gname}]")
            }
        };
        let pick =
            |v: &[u64]| -> Vec<f64> { (0..n_buckets).map(|b| v[b * g + gi] as f64).collect() };
        let rate = |v: &[u64]| -> Vec<f64> {
            (0..n_buckets)
                .map(|b| {
                    let n = cells.requests[b * g + gi];
                    if n == 0 {
                        0.0
                    } else {
                        v[b * g + gi] as f64 / n as f64
                    }
                })
                .collect()
        };
        names.push(label(METRICS[0]));
        columns.push(pick(&cells.requests));
        names.push(label(METRICS[1]));
        columns.push(pick(&cells.bytes));
        names.push(label(METRICS[2]));
        columns.push(
            (0..n_buckets)
                .map(|b| f64::from(clients[b * g + gi]))
                .collect(),
        );
        names.push(label(METRICS[3]));
        columns.push(rate(&cells.c4xx));
        names.push(label(METRICS[4]));
        columns.push(rate(&cells.c5xx));
        if has_ms {
            names.push(label("mean response ms"));
            columns.push(
                (0..n_buckets)
                    .map(|b| {
                        let k = b * g + gi;
                        if cells.ms_n[k] == 0 {
                            0.0
                        } else {
                            cells.ms_sum[k] / cells.ms_n[k] as f64
                        }
                    })
                    .collect(),
            );
        }
    }
    let time = grid.axis(log.clock.clone());
    let table = LogTable {
        log: Arc::clone(log),
        view: LogView::Traffic,
        bucket: Some(grid.bucket),
        client_of_row: Vec::new(),
        overall: None,
        regions: match group {
            LogGroup::Regions(path) => Some(path.clone()),
            _ => None,
        },
    };
    let mut ds = dataset_of(log, table, Some(time), names, columns, None);
    ds.warnings.extend(grid.notes("requests"));
    Ok(ds)
}
