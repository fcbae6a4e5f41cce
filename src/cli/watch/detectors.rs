//! The watch's detectors side by side: the traffic buckets per subject ([`Watcher`]) and, unless
//! `--no-clients`, the per-client windows ([`ClientWatch`]) for access-log lines; for Zeek
//! connections, their own traffic buckets (a [`Watcher`] of connections, made at the first one)
//! and, unless `--no-clients`, the per-host windows ([`HostWatch`]); for each followed CSV
//! table, its own [`TableWatch`]. Each parsed line goes to the detectors of its kind; their
//! alerts come out in one [`Outcome`].

use crate::data::formats::access::line::Parsed;
use crate::data::formats::zeek::record::Record;
use crate::detect::seasonal::SeasonalError;
use crate::live::clients::ClientWatch;
use crate::live::hosts::{HostSettings, HostWatch};
use crate::live::table::{TableThreshold, TableWatch};
use crate::live::watch::buckets::{Conn, Records};
use crate::live::watch::{Outcome, WatchSettings, Watcher};

/// The seed of the connection addresses' hash (saved with the open buckets' sets).
const ADDRESS_SEED: u64 = 0x7761_7463_685f_636e;

/// The watch's detectors.
pub struct Detectors {
    /// Buckets per subject, seasonal scores (access-log lines).
    pub watcher: Watcher,
    /// Per-client windows and model (none with `--no-clients`).
    pub clients: Option<ClientWatch>,
    /// Buckets of Zeek connections, once one came.
    pub connections: Option<Watcher>,
    /// Per-host windows of Zeek connections (none with `--no-clients`).
    pub hosts: Option<HostWatch>,
    /// How to make the connections' watcher.
    pub settings: WatchSettings,
    /// One watch per followed table, by source name.
    pub tables: std::collections::BTreeMap<String, TableWatch>,
    /// When a table's row is over.
    pub table_threshold: TableThreshold,
}

impl Detectors {
    /// The detectors for `settings`, with the access-log and client state given, and the
    /// connections' state (`None`: made when needed); `hosts` unless `--no-clients`.
    pub fn new(
        settings: WatchSettings,
        watcher: Watcher,
        clients: Option<ClientWatch>,
        connections: Option<Watcher>,
        hosts: Option<HostWatch>,
    ) -> Detectors {
        Detectors {
            watcher,
            clients,
            connections,
            hosts,
            settings,
            tables: std::collections::BTreeMap::new(),
            table_threshold: TableWatch::default_threshold(),
        }
    }

    /// Starts watching the table called `name` (its columns `features`, a row every
    /// `interval_ms`) unless it is watched already (a state restored); true when started.
    pub fn start_table(
        &mut self,
        name: &str,
        features: &[String],
        interval_ms: i64,
    ) -> Result<bool, SeasonalError> {
        if self.tables.contains_key(name) {
            return Ok(false);
        }
        // The band comes from the table's threshold (TableWatch::new sets it).
        let watch = TableWatch::new(
            name,
            features,
            interval_ms,
            self.table_threshold,
            self.settings.cooldown,
            self.settings.params,
        )?;
        self.tables.insert(name.to_string(), watch);
        Ok(true)
    }

    /// Hands one row of the table called `name` to its watch (`learn`: a row of its history,
    /// learnt without a verdict).
    pub fn table_row(
        &mut self,
        name: &str,
        time_ms: i64,
        offset: Option<i16>,
        values: &[f64],
        raw: &[u8],
        learn: bool,
    ) -> Result<Outcome, SeasonalError> {
        let Some(watch) = self.tables.get_mut(name) else {
            return Ok(Outcome::default());
        };
        if learn {
            watch.learn(time_ms, offset, values)?;
            return Ok(Outcome::default());
        }
        watch.row(time_ms, offset, values, raw)
    }

    /// A host watch for these settings.
    pub fn host_watch(window_ms: i64, settings: &WatchSettings) -> HostWatch {
        HostWatch::new(&HostSettings {
            window_ms,
            cooldown: settings.cooldown,
            ..HostSettings::default()
        })
    }

    /// Hands one parsed line to every detector.
    pub fn line(&mut self, parsed: &Parsed<'_>, raw: &[u8]) -> Result<Outcome, SeasonalError> {
        let mut out = self.watcher.line(parsed, raw)?;
        if let Some(c) = &mut self.clients {
            out.alerts.extend(c.line(parsed, raw));
        }
        Ok(out)
    }

    /// Hands one Zeek connection (`raw` is its line) to the connections' detectors.
    pub fn connection(&mut self, r: &Record<'_>, raw: &[u8]) -> Result<Outcome, SeasonalError> {
        use std::hash::BuildHasher;
        let hash = |a: &str| foldhash::fast::FixedState::with_seed(ADDRESS_SEED).hash_one(a);
        let watcher = match &mut self.connections {
            Some(w) => w,
            None => self
                .connections
                .insert(Watcher::of(&self.settings, Records::Connections)?),
        };
        let conn = Conn {
            source: hash(r.orig),
            destination: hash(r.resp),
            bytes: r.orig_bytes.saturating_add(r.resp_bytes),
            failed: crate::data::formats::zeek::is_failed(r.state),
        };
        let mut out = watcher.connection((r.ts * 1000.0).floor() as i64, &conn, raw)?;
        if let Some(h) = &mut self.hosts {
            out.alerts.extend(h.connection(r, raw));
        }
        Ok(out)
    }

    /// Closes and scores every open bucket of both kinds (the input has ended for good).
    pub fn flush(&mut self) -> Result<Outcome, SeasonalError> {
        let mut out = self.watcher.flush()?;
        if let Some(w) = &mut self.connections {
            let more = w.flush()?;
            out.buckets.extend(more.buckets);
            out.alerts.extend(more.alerts);
        }
        Ok(out)
    }

    /// Lines that came after their bucket had closed, of both kinds.
    pub fn late(&self) -> u64 {
        self.watcher.late() + self.connections.as_ref().map_or(0, Watcher::late)
    }

    /// Raises held back by the cooldown, of both kinds of buckets.
    pub fn held_back(&self) -> u64 {
        self.watcher.held_back()
            + self.connections.as_ref().map_or(0, Watcher::held_back)
            + self.tables.values().map(TableWatch::held_back).sum::<u64>()
    }
}
