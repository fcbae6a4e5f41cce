//! `trafficlens watch`: follows access logs, Zeek conn.logs and CSV tables (files through
//! rotations, or standard input),
//! parses each line as it arrives and hands it to the library's [`Watcher`] (buckets per
//! subject, seasonal scores, cooldown); sends its alerts to standard output, `--alerts-out` and
//! `--webhook`; saves the follow position and the detector state in `--state` on Ctrl-C,
//! SIGTERM or the end of a replay. This module only wires those parts together.

mod args;
mod detectors;
mod error;
mod sources;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use args::{Speed, WatchArgs};
pub use error::WatchError;

use self::detectors::Detectors;
use self::sources::Parsers;
use super::CliError;
use crate::data::follow::{Event, FollowOptions, FollowState, Follower, Start};
use crate::data::LoadError;
use crate::detect::seasonal::{SeasonalError, SeasonalParams};
use crate::export::OutputPlan;
use crate::live::alerts::{AlertOutputs, JsonLines, Printer, Webhook, WebhookOptions};
use crate::live::clients::{ClientSettings, ClientState, ClientWatch};
use crate::live::watch::{Outcome, WatchSettings, Watcher};

/// How long the webhook may take to deliver what is queued at exit.
const WEBHOOK_GRACE: Duration = Duration::from_secs(10);

/// What `--state` holds.
#[derive(serde::Serialize, serde::Deserialize)]
struct Saved {
    /// The file format's version.
    version: u32,
    /// Where every file stands.
    follow: FollowState,
    /// Buckets, detector states, cooldown.
    watcher: Watcher,
    /// Client windows, the model's reference, the clients' cooldown (none with --no-clients).
    #[serde(default)]
    clients: Option<ClientState>,
    /// Buckets and detector states of Zeek connections, when a conn.log is watched.
    #[serde(default)]
    connections: Option<Watcher>,
    /// Host windows and their cooldown (Zeek connections; none with --no-clients).
    #[serde(default)]
    hosts: Option<crate::live::hosts::HostWatch>,
    /// Each followed table's seasonal state and cooldown, by source name.
    #[serde(default)]
    tables: std::collections::BTreeMap<String, crate::live::table::TableWatch>,
}

/// The version of the state file's layout.
const STATE_VERSION: u32 = 1;

/// Runs `trafficlens watch`.
pub fn run(args: &WatchArgs) -> Result<(), CliError> {
    let stop = Arc::new(AtomicBool::new(false));
    on_signal(&stop)?;
    if args.risk.is_some() && args.threshold != "dspot" {
        return Err(CliError::Usage(
            "--risk is DSPOT's risk: add --threshold dspot to use it".into(),
        ));
    }
    let settings = WatchSettings {
        threshold: match args.threshold.as_str() {
            "dspot" => crate::live::watch::threshold::BucketThreshold::Dspot(
                args.risk.unwrap_or(crate::detect::spot::Risk::DEFAULT),
            ),
            _ => crate::live::watch::threshold::BucketThreshold::Band,
        },
        bucket_ms: args.bucket * 1000,
        allowance_ms: args.late * 1000,
        cooldown: Duration::from_secs(args.cooldown.unsigned_abs()),
        params: SeasonalParams {
            band_mads: args
                .band
                .unwrap_or(crate::detect::seasonal::DEFAULT_BAND_MADS),
            ..SeasonalParams::default()
        },
    };
    let saved = match &args.state {
        Some(path) if path.exists() => Some(load_state(path)?),
        _ => None,
    };
    let (follow, watcher, client_state, connections, host_state, tables) = match saved {
        Some(mut s) => {
            // The threshold asked for now, whatever the state was saved under.
            s.watcher.set_threshold(settings.threshold);
            if let Some(c) = &mut s.connections {
                c.set_threshold(settings.threshold);
            }
            (
                Some(s.follow),
                s.watcher,
                s.clients,
                s.connections,
                s.hosts,
                s.tables,
            )
        }
        None => (
            None,
            Watcher::new(&settings).map_err(|e| CliError::Usage(e.to_string()))?,
            None,
            None,
            None,
            Default::default(),
        ),
    };
    let clients = if args.no_clients {
        None
    } else {
        let client_settings = ClientSettings {
            window_ms: args.client_window * 1000,
            min_requests: args.client_min_requests as usize,
            threshold: args.client_threshold,
            cooldown: settings.cooldown,
            // A replay gives the same alerts every run; following live never waits for a fit.
            repeatable: args.replay.is_some(),
            ..ClientSettings::default()
        };
        Some(
            ClientWatch::new(client_settings, client_state.unwrap_or_default(), true)
                .map_err(WatchError::Thread)?,
        )
    };
    let hosts = (!args.no_clients).then(|| {
        host_state.unwrap_or_else(|| Detectors::host_watch(args.client_window * 1000, &settings))
    });
    let mut watcher = Detectors::new(settings, watcher, clients, connections, hosts);
    watcher.tables = tables;
    if let Some(band) = args.band {
        watcher.table_threshold = crate::live::table::TableThreshold::Band(band);
    }
    check_sources(&args.sources, args.replay.is_some())?;
    let inputs: Vec<&Path> = args.sources.iter().map(|p| p.as_path()).collect();
    let mut plan = OutputPlan::new(&inputs, false);
    let mut outputs = AlertOutputs {
        print: Some(Printer::stdout()),
        ..AlertOutputs::default()
    };
    if let Some(path) = &args.alerts_out {
        let target = plan.append_file(path)?;
        outputs.file = Some(JsonLines::open(&target).map_err(WatchError::Alert)?);
    }
    let mut buckets_out = match &args.buckets_out {
        Some(path) => {
            let target = plan.append_file(path)?;
            Some(BucketsOut::open(target.path())?)
        }
        None => None,
    };
    if let Some(path) = &args.state {
        // Replaced on every save: checked like any output (not an input, not special).
        OutputPlan::new(&inputs, true).file(path)?;
    }
    if let Some(url) = &args.webhook {
        outputs.webhook =
            Some(Webhook::start(url, WebhookOptions::default()).map_err(WatchError::Alert)?);
    }
    let options = FollowOptions {
        start: if args.from_start || args.replay.is_some() {
            Start::Beginning
        } else {
            Start::End
        },
        state: follow,
        ..FollowOptions::default()
    };
    let mut follower = Follower::new(&args.sources, &options).map_err(WatchError::Follow)?;
    let format = match &args.format {
        Some(text) => Some(
            crate::data::formats::access::LogFormat::parse(text)
                .map_err(|e| CliError::Usage(format!("--format: {e}")))?,
        ),
        None => None,
    };
    let mut parsers = Parsers::new(args.sources.len(), format, args.time_column.clone());
    let mut pace = Pace::new(args.replay);
    let mut failure: Option<CliError> = None;
    let mut alerts = 0u64;
    let mut buckets = 0u64;
    // What a line, a settle or a flush gave: its buckets written, its alerts sent; a failure kept.
    let mut handle = |outcome: Result<Outcome, SeasonalError>, failure: &mut Option<CliError>| {
        let outcome = match outcome {
            Ok(o) => o,
            Err(e) => {
                failure.get_or_insert(CliError::Usage(e.to_string()));
                return;
            }
        };
        buckets += outcome.buckets.len() as u64;
        if let Some(out) = &mut buckets_out {
            if let Err(e) = out.write(&outcome) {
                failure.get_or_insert(e);
            }
        }
        for alert in &outcome.alerts {
            alerts += 1;
            if let Err(e) = outputs.send(alert) {
                failure.get_or_insert(WatchError::Alert(e).into());
            }
        }
    };
    loop {
        if stop.load(Ordering::Relaxed) || failure.is_some() {
            break;
        }
        let progress = follower.step(&mut |event| match event {
            Event::Notice(n) => {
                crate::terminal::eprintln(format_args!("trafficlens: {}", n.labelled()))
            }
            Event::Line(line) => {
                for (parsed_time, outcome) in parsers.line(&line, &mut watcher) {
                    if let Some(t) = parsed_time {
                        pace.wait(t, &stop);
                    }
                    handle(outcome, &mut failure);
                }
            }
        });
        let idle = progress.bytes == 0 && !progress.more;
        if idle {
            // A source that stays quiet with fewer lines than the detection wants: decide on
            // what there is.
            for (_, outcome) in parsers.settle(&mut watcher) {
                handle(outcome, &mut failure);
            }
        }
        if (idle && args.replay.is_some()) || follower.finished() {
            // The end of a replay, or of every stream: with --state the open buckets are kept
            // for the next run; without, they are complete and scored now.
            if args.state.is_none() {
                // Nothing will read on: a last line without its line break is read now.
                follower.finish_files(&mut |event| match event {
                    Event::Notice(n) => {
                        crate::terminal::eprintln(format_args!("trafficlens: {}", n.labelled()))
                    }
                    Event::Line(line) => {
                        for (_, outcome) in parsers.line(&line, &mut watcher) {
                            handle(outcome, &mut failure);
                        }
                    }
                });
                for (_, outcome) in parsers.settle(&mut watcher) {
                    handle(outcome, &mut failure);
                }
                handle(watcher.flush(), &mut failure);
            }
            break;
        }
    }
    // Lines still waiting for their source's format were handed over by the follower (and are
    // past the saved position): they are parsed now, not lost.
    for (_, outcome) in parsers.settle(&mut watcher) {
        handle(outcome, &mut failure);
    }
    if let Some(path) = &args.state {
        save_state(path, &follower.state(), &watcher)?;
    }
    let counts = parsers.counts();
    crate::terminal::eprintln(format_args!(
        "trafficlens: watch: {} lines, {} malformed, {} late, {} buckets scored, {} alerts, {} raises held back by the cooldown",
        counts.lines,
        counts.malformed,
        watcher.late(),
        buckets,
        alerts,
        watcher.held_back()
    ));
    if !watcher.tables.is_empty() {
        crate::terminal::eprintln(format_args!(
            "trafficlens: watch: tables: {} rows of history learnt, {} rows with a missing value left out",
            counts.history, counts.missing
        ));
    }
    if let Some(h) = &watcher.hosts {
        let n = h.counts();
        if n.tracked > 0 || n.evicted > 0 {
            crate::terminal::eprintln(format_args!(
                "trafficlens: watch: hosts: {} watched now, {} let go when idle, {} connections of new hosts left out at the cap",
                n.tracked, n.evicted, n.untracked
            ));
        }
    }
    if let Some(c) = &watcher.clients {
        let n = c.counts();
        // Said when some client was seen (a watch of tables or conn.logs only has none).
        if n.tracked > 0 || n.evicted > 0 || n.untracked > 0 || n.fits > 0 {
            crate::terminal::eprintln(format_args!(
                "trafficlens: watch: clients: {} watched now, {} let go when idle, {} lines of new clients left out at the cap, {} models fitted",
                n.tracked, n.evicted, n.untracked, n.fits
            ));
        }
        if let Some(e) = &c.fit_error {
            crate::terminal::eprintln(format_args!(
                "trafficlens: warning: {} client-model fits failed, the first: {e}",
                n.failed_fits
            ));
        }
    }
    if let Some(counts) = outputs.finish(WEBHOOK_GRACE) {
        if counts.undelivered() > 0 {
            let n = counts.undelivered();
            crate::terminal::eprintln(format_args!(
                "trafficlens: warning: {n} {} could not be delivered to the webhook",
                if n == 1 { "alert" } else { "alerts" }
            ));
        }
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Sets `stop` on SIGINT or SIGTERM (the watch then saves its state and exits 0).
fn on_signal(stop: &Arc<AtomicBool>) -> Result<(), CliError> {
    #[cfg(unix)]
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(stop)).map_err(WatchError::Signal)?;
    }
    Ok(())
}

/// Reads the `--state` file.
fn load_state(path: &Path) -> Result<Saved, WatchError> {
    let text = std::fs::read(path).map_err(|source| WatchError::StateRead {
        path: path.to_path_buf(),
        source,
    })?;
    let saved: Saved = serde_json::from_slice(&text).map_err(|e| WatchError::StateParse {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    if saved.version != STATE_VERSION {
        return Err(WatchError::StateVersion {
            path: path.to_path_buf(),
            found: saved.version,
        });
    }
    Ok(saved)
}

/// Writes the `--state` file atomically (a temporary file renamed into place).
fn save_state(path: &Path, follow: &FollowState, watcher: &Detectors) -> Result<(), CliError> {
    let saved = Saved {
        version: STATE_VERSION,
        follow: follow.clone(),
        watcher: watcher.watcher.clone(),
        clients: watcher.clients.as_ref().map(ClientWatch::state),
        connections: watcher.connections.clone(),
        hosts: watcher.hosts.clone(),
        tables: watcher.tables.clone(),
    };
    let target = OutputPlan::new(&[], true).file(path)?;
    let mut out = target.open()?;
    serde_json::to_writer(&mut out, &saved).map_err(|e| out.error(std::io::Error::other(e)))?;
    out.commit()?;
    Ok(())
}

/// The `--buckets-out` file: every scored bucket as a line of JSON, appended.
struct BucketsOut {
    path: std::path::PathBuf,
    file: std::fs::File,
}

impl BucketsOut {
    /// Opens (or creates) the checked file for appending.
    fn open(path: &Path) -> Result<BucketsOut, WatchError> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|source| WatchError::BucketsWrite {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(BucketsOut {
            path: path.to_path_buf(),
            file,
        })
    }

    /// Appends the outcome's buckets, one `write` per line.
    fn write(&mut self, outcome: &Outcome) -> Result<(), CliError> {
        for b in &outcome.buckets {
            let mut line = serde_json::to_vec(b).unwrap_or_default();
            line.push(b'\n');
            self.file
                .write_all(&line)
                .map_err(|source| WatchError::BucketsWrite {
                    path: self.path.clone(),
                    source,
                })?;
        }
        Ok(())
    }
}

/// Refuses, before anything is followed, a source that can never be read: a folder (its logs
/// are the files in it), and for a replay (which reads what is there, then ends) a source that is
/// not there. Following live, a missing file is waited for: it may appear (a log not yet
/// rotated in).
fn check_sources(sources: &[PathBuf], replay: bool) -> Result<(), CliError> {
    for path in sources.iter().filter(|p| p.as_os_str() != "-") {
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => {
                return Err(LoadError::IsDirectory { path: path.clone() }.into());
            }
            Err(e) if replay && e.kind() == std::io::ErrorKind::NotFound => {
                return Err(LoadError::NotFound { path: path.clone() }.into());
            }
            _ => {}
        }
    }
    Ok(())
}

/// `--replay SPEED`: waits until a line's log time is due at that speed.
struct Pace {
    speed: Option<f64>,
    origin: Option<(i64, Instant)>,
}

impl Pace {
    /// Pacing for `speed` (none or `max`: no waiting).
    fn new(speed: Option<Speed>) -> Pace {
        Pace {
            speed: match speed {
                Some(Speed::Factor(f)) => Some(f),
                _ => None,
            },
            origin: None,
        }
    }

    /// Waits until log time `t_ms` is due (in steps, so that a signal is seen soon).
    fn wait(&mut self, t_ms: i64, stop: &AtomicBool) {
        let Some(speed) = self.speed else { return };
        let (t0, w0) = *self.origin.get_or_insert((t_ms, Instant::now()));
        let due = (t_ms - t0).max(0) as f64 / 1000.0 / speed;
        loop {
            let elapsed = w0.elapsed().as_secs_f64();
            if elapsed >= due || stop.load(Ordering::Relaxed) {
                return;
            }
            std::thread::sleep(Duration::from_secs_f64((due - elapsed).min(0.1)));
        }
    }
}
