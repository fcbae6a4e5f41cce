//! Following the opened access log or table for the app: a thread of its own (so that loads and
//! fits go on beside it) reads what is appended to the file with the
//! [`crate::data::follow::Follower`] (rotations, truncations, a vanished file), runs every line
//! through the watch's detectors ([`LiveFeed`] for a log, [`TableFeed`] for a table, which
//! first learns the rows already there) and sends what came of it as
//! [`Event::Followed`] increments, batched: at most one every [`BATCH_EVERY`] (about ten a
//! second). A newer follow or [`super::Worker::stop_follow`] stops it within one poll.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::Event;
use crate::data::follow::{Event as FollowEvent, FollowOptions, Follower, Start};
use crate::data::formats::access::LogFormat;
use crate::live::alerts::Alert;
use crate::live::feed::{Batch, FeedCounts, FeedSettings, LiveFeed};
use crate::live::table_feed::TableFeed;
use crate::live::watch::ScoredBucket;

/// The shortest time between two increments.
pub const BATCH_EVERY: Duration = Duration::from_millis(100);

/// What to follow, and how.
#[derive(Debug, Clone)]
pub struct FollowRequest {
    /// The access log or table.
    pub path: PathBuf,
    /// What the file is.
    pub kind: FollowKind,
    /// Buckets, band, cooldown, clients (a table uses the cooldown only).
    pub settings: FeedSettings,
    /// Where to start: the file's end (only what is appended from now on) or its beginning. A
    /// table is always read from its beginning: the rows already there are its history.
    pub start: Start,
    /// Starting from the end, first read what is there as the log's history: the detectors
    /// learn it (seasonal states, client windows and model) without alerts, so new lines are
    /// judged against it at once. A table always does.
    pub learn_history: bool,
}

/// What a followed file is.
#[derive(Debug, Clone)]
pub enum FollowKind {
    /// An access log whose lines are in this format (the one it was loaded with).
    Log(LogFormat),
    /// A CSV table with a time column (named as it was loaded with, or detected).
    Table {
        /// The time column the user chose, if any.
        time_column: Option<String>,
    },
}

/// The pipeline a follow feeds.
enum Pipeline {
    Log(Box<LiveFeed>),
    Table(Box<TableFeed>),
}

impl Pipeline {
    fn line(&mut self, name: &str, offset: u64, text: &[u8], batch: &mut Batch) {
        match self {
            Pipeline::Log(f) => f.line(name, offset, text, batch),
            Pipeline::Table(f) => f.line(offset, text, batch),
        }
    }

    fn idle(&mut self, batch: &mut Batch) {
        match self {
            Pipeline::Log(f) => f.idle(batch),
            Pipeline::Table(f) => f.idle(batch),
        }
    }

    fn counts(&self) -> FeedCounts {
        match self {
            Pipeline::Log(f) => f.counts(),
            Pipeline::Table(f) => f.counts(),
        }
    }

    fn bucket_ms(&self) -> i64 {
        match self {
            Pipeline::Log(f) => f.bucket_ms(),
            Pipeline::Table(f) => f.bucket_ms(),
        }
    }

    /// The names of a bucket's numbers (none: an access log's, the watch's five).
    fn features(&self) -> Option<Vec<String>> {
        match self {
            Pipeline::Log(_) => None,
            Pipeline::Table(f) => Some(f.features()),
        }
    }
}

/// What arrived since the last increment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Increment {
    /// Scored buckets of every subject, oldest first.
    pub buckets: Vec<ScoredBucket>,
    /// New alerts, oldest first.
    pub alerts: Vec<Alert>,
    /// What to tell the user: the follow started, the file vanished or rotated, a malformed
    /// line (with its byte offset), a line that could not be scored.
    pub notes: Vec<String>,
    /// Counts since the follow started.
    pub counts: FeedCounts,
    /// The bucket width in milliseconds (a table's interval).
    pub bucket_ms: i64,
    /// The names of a bucket's numbers for a table (`None`: an access log's five).
    pub features: Option<Vec<String>>,
}

/// Why following could not start.
#[derive(Debug, Clone, thiserror::Error)]
#[error("cannot follow {path}: {reason}")]
pub struct FollowFailure {
    /// The file.
    pub path: String,
    /// Why.
    pub reason: String,
}

/// A follow under way.
pub(super) struct Following {
    /// Set to stop it.
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Following {
    /// Asks the thread to stop (it does within one poll); never waits.
    pub(super) fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    /// Stops the thread and waits for it (when the worker is dropped).
    pub(super) fn join(mut self) {
        self.stop();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    /// True once the thread has ended.
    pub(super) fn finished(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }
}

/// Starts following; every event goes to `send` (which also asks for a repaint).
pub(super) fn start(
    generation: u64,
    request: FollowRequest,
    send: Arc<dyn Fn(Event) + Send + Sync>,
) -> Following {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let path = request.path.display().to_string();
    let thread_send = Arc::clone(&send);
    let thread = std::thread::Builder::new()
        .name("trafficlens-follow".into())
        .spawn(move || {
            if let Err(error) = run(generation, &request, &flag, &*thread_send) {
                thread_send(Event::FollowFailed { generation, error });
            }
        });
    let thread = match thread {
        Ok(t) => Some(t),
        Err(e) => {
            send(Event::FollowFailed {
                generation,
                error: FollowFailure {
                    path,
                    reason: format!("cannot start the thread that reads it: {e}"),
                },
            });
            None
        }
    };
    Following { stop, thread }
}

/// The follow loop: reads, feeds, sends increments until stopped.
fn run(
    generation: u64,
    request: &FollowRequest,
    stop: &AtomicBool,
    send: &dyn Fn(Event),
) -> Result<(), FollowFailure> {
    let failure = |reason: String| FollowFailure {
        path: request.path.display().to_string(),
        reason,
    };
    let name = request.path.display().to_string();
    let (mut feed, start) = match &request.kind {
        FollowKind::Log(format) => {
            let feed = LiveFeed::new(format.clone(), &request.settings)
                .map_err(|e| failure(e.to_string()))?;
            if request.learn_history && request.start == Start::End {
                let history_end = std::fs::metadata(&request.path)
                    .map_err(|e| failure(e.to_string()))?
                    .len();
                (
                    Pipeline::Log(Box::new(feed.with_history(history_end))),
                    Start::Beginning,
                )
            } else {
                (Pipeline::Log(Box::new(feed)), request.start)
            }
        }
        FollowKind::Table { time_column } => {
            let history_end = std::fs::metadata(&request.path)
                .map_err(|e| failure(e.to_string()))?
                .len();
            (
                Pipeline::Table(Box::new(TableFeed::new(
                    &file_name(&request.path),
                    time_column.clone(),
                    history_end,
                    request.settings.watch.cooldown,
                ))),
                Start::Beginning,
            )
        }
    };
    let options = FollowOptions {
        start,
        interval: BATCH_EVERY,
        state: None,
    };
    let mut follower = Follower::new(std::slice::from_ref(&request.path), &options)
        .map_err(|e| failure(e.to_string()))?;
    let mut batch = Batch::default();
    let mut notes = vec![match (&feed, start) {
        (Pipeline::Table(_), _) => {
            format!("following {name}: the rows already there are learnt, then new rows are judged")
        }
        (Pipeline::Log(_), Start::Beginning) if request.start == Start::End => format!(
            "following {name}: the lines already there are learnt, then new lines are judged"
        ),
        (_, Start::End) => format!("following {name} from its end"),
        (_, Start::Beginning) => format!("following {name} from its start"),
    }];
    let mut sent_counts = None;
    let mut last_sent: Option<Instant> = None;
    while !stop.load(Ordering::Relaxed) {
        let progress = follower.step(&mut |event| match event {
            FollowEvent::Notice(n) => notes.push(n.labelled()),
            FollowEvent::Line(line) => feed.line(&name, line.offset, line.text, &mut batch),
        });
        if progress.bytes == 0 && !progress.more {
            feed.idle(&mut batch);
        }
        let counts = feed.counts();
        let news = !batch.is_empty() || !notes.is_empty() || sent_counts != Some(counts);
        let due = last_sent.is_none_or(|t| t.elapsed() >= BATCH_EVERY);
        if news && due && !stop.load(Ordering::Relaxed) {
            let taken = std::mem::take(&mut batch);
            notes.extend(taken.bad_lines.iter().map(ToString::to_string));
            notes.extend(taken.errors);
            send(Event::Followed {
                generation,
                increment: Box::new(Increment {
                    buckets: taken.buckets,
                    alerts: taken.alerts,
                    notes: std::mem::take(&mut notes),
                    counts,
                    bucket_ms: feed.bucket_ms(),
                    features: feed.features(),
                }),
            });
            sent_counts = Some(counts);
            last_sent = Some(Instant::now());
        }
    }
    Ok(())
}

/// A file's name without its folders (a table's alerts' subject).
fn file_name(path: &std::path::Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}
