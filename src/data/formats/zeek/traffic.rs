//! The traffic view of a connection log: connections, bytes (both ways), distinct sources,
//! distinct destinations and the failed share per time bucket, bucketed as the access-log
//! traffic view is ([`Grid`]). Empty buckets are kept (silence is news too).

use std::sync::Arc;

use super::{dataset_of, ConnLog, HostSide, HostsTable};
use crate::data::access::grid::Grid;
use crate::data::access::{Bucket, LogView};
use crate::data::{Dataset, LoadError};

/// The metrics per bucket, in column order.
pub const METRICS: [&str; 5] = [
    "connections",
    "bytes",
    "distinct sources",
    "distinct destinations",
    "failed share",
];

/// The metrics of the connections in each bucket of a grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Buckets {
    /// Connections started in the bucket.
    pub connections: Vec<f64>,
    /// Payload bytes both ways (`orig_bytes` + `resp_bytes`).
    pub bytes: Vec<f64>,
    /// Distinct originators.
    pub sources: Vec<f64>,
    /// Distinct responders.
    pub destinations: Vec<f64>,
    /// Share of the bucket's connections in a failed state (0 for an empty bucket).
    pub failed: Vec<f64>,
}

/// Counts the connections of `log` (whose start times in epoch ms are `millis`) per bucket.
pub fn buckets(log: &ConnLog, millis: &[i64], grid: &Grid) -> Buckets {
    let n = grid.n;
    let mut connections = vec![0.0; n];
    let mut bytes = vec![0.0; n];
    let mut failed = vec![0u64; n];
    let mut pairs_src: Vec<(u32, u32)> = Vec::with_capacity(millis.len());
    let mut pairs_dst: Vec<(u32, u32)> = Vec::with_capacity(millis.len());
    for (i, &t) in millis.iter().enumerate() {
        let Some(b) = grid.of(t) else {
            continue;
        };
        connections[b] += 1.0;
        bytes[b] += log.orig_bytes[i].saturating_add(log.resp_bytes[i]) as f64;
        failed[b] += u64::from(log.failed[i]);
        pairs_src.push((b as u32, log.orig[i]));
        pairs_dst.push((b as u32, log.resp[i]));
    }
    let distinct = |mut pairs: Vec<(u32, u32)>| {
        pairs.sort_unstable();
        pairs.dedup();
        let mut counts = vec![0.0; n];
        for (b, _) in pairs {
            counts[b as usize] += 1.0;
        }
        counts
    };
    let failed = failed
        .iter()
        .zip(&connections)
        .map(|(&f, &c)| if c > 0.0 { f as f64 / c } else { 0.0 })
        .collect();
    Buckets {
        sources: distinct(pairs_src),
        destinations: distinct(pairs_dst),
        connections,
        bytes,
        failed,
    }
}

/// The traffic view of `log` as a dataset with a time axis (bucket starts), `bucket` wide or
/// chosen from the span of the bulk of the connections.
pub fn dataset(
    log: &Arc<ConnLog>,
    bucket: Option<Bucket>,
    side: HostSide,
) -> Result<Dataset, LoadError> {
    let millis = log.millis();
    // Zeek's times are epoch seconds: UTC.
    let grid = Grid::new(&millis, bucket, &log.path, crate::zone::Zone::Unstated)?;
    let b = buckets(log, &millis, &grid);
    let table = HostsTable {
        bucket: Some(grid.bucket),
        conn: Some(Arc::clone(log)),
        ..HostsTable::of(log, side, LogView::Traffic)
    };
    let names = METRICS.iter().map(|m| m.to_string()).collect();
    let columns = vec![b.connections, b.bytes, b.sources, b.destinations, b.failed];
    let mut ds = dataset_of(
        log,
        Some(grid.axis(crate::clock::LocalClock::default())),
        names,
        columns,
        None,
        table,
    );
    ds.warnings.extend(grid.notes("connections"));
    Ok(ds)
}
