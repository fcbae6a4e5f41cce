//! The follower of all the watch's sources: files (each a [`FileSource`]) and streams
//! (standard input, read by a thread). One [`Follower::step`] reads what every source has
//! written since the last one and hands it over line by line; when nothing came, it waits for
//! the poll interval (or less, when a stream sends something). No busy loop: an idle follow
//! costs one `stat`, one `fstat` and one 1 KiB read per file per interval.
//!
//! The watch's loop: `follower.step(&mut |event| ...)` until Ctrl-C, parsing each line and
//! updating the detectors, printing each notice; then `follower.state()` into its state file.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TryRecvError};
use std::time::Duration;

use super::file_source::{hand_over, FileSource};
use super::identity::FileId;
use super::lines::Piece;
use super::state::{FollowState, SourceState};
use super::stdin::{self, BatchPiece, Message};
use super::{Event, FollowError, FollowOptions, Notice, STDIN};

/// Bytes read from one file in one poll at most, so that every source gets its turn.
const BUDGET: usize = 4 << 20;

/// What one poll read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Bytes read (from files and streams).
    pub bytes: u64,
    /// True when a source has more to read right away.
    pub more: bool,
}

/// Counts of one source.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SourceStats {
    /// Lines handed over.
    pub lines: u64,
    /// Lines skipped for being longer than 16 MB.
    pub too_long: u64,
    /// Bytes of binary data skipped.
    pub binary_bytes: u64,
}

/// Refuses a file given twice: the same spelling, or the same identity (existing files).
fn same_file(sources: &[PathBuf]) -> Result<(), FollowError> {
    let mut seen: Vec<(&PathBuf, Option<FileId>)> = Vec::new();
    for path in sources.iter().filter(|p| p.as_os_str() != STDIN) {
        let id = std::fs::metadata(path).ok().map(|m| FileId::of(&m));
        if let Some((other, _)) = seen
            .iter()
            .find(|(p, i)| *p == path || (id.is_some() && *i == id))
        {
            return Err(FollowError::SameFile {
                path: path.clone(),
                other: (*other).clone(),
            });
        }
        seen.push((path, id));
    }
    Ok(())
}

/// One source.
enum Slot {
    /// A file path.
    File(Box<FileSource>),
    /// A stream read by a thread: its name, whether it has ended, and whether it is inside
    /// binary data.
    Stream {
        name: String,
        ended: bool,
        in_binary: bool,
    },
}

/// Follows files and streams; see the module documentation.
pub struct Follower {
    slots: Vec<Slot>,
    stats: Vec<SourceStats>,
    interval: Duration,
    chunk: Vec<u8>,
    /// Where the stream threads send their lines (created with the first stream).
    streams: Option<(SyncSender<Message>, Receiver<Message>)>,
    notices: Vec<Notice>,
}

impl Follower {
    /// Follows `sources`: file paths, and `-` for standard input (once).
    pub fn new(sources: &[PathBuf], options: &FollowOptions) -> Result<Follower, FollowError> {
        let mut follower = Follower {
            slots: Vec::new(),
            stats: Vec::new(),
            interval: options.interval,
            chunk: Vec::new(),
            streams: None,
            notices: Vec::new(),
        };
        if sources.iter().filter(|p| p.as_os_str() == STDIN).count() > 1 {
            return Err(FollowError::StdinTwice);
        }
        same_file(sources)?;
        for path in sources {
            if path.as_os_str() == STDIN {
                follower.add_stream(STDIN, Box::new(std::io::stdin()))?;
            } else {
                follower.add_file(path, options);
            }
        }
        Ok(follower)
    }

    /// Adds a file to follow; returns its source number.
    pub fn add_file(&mut self, path: &Path, options: &FollowOptions) -> usize {
        let index = self.slots.len();
        let saved = options.state.as_ref().and_then(|s| s.files_of(path));
        self.slots.push(Slot::File(Box::new(FileSource::new(
            index,
            path.to_path_buf(),
            options.start,
            saved,
        ))));
        self.stats.push(SourceStats::default());
        index
    }

    /// Adds a stream to follow (read by its own thread); returns its source number.
    pub fn add_stream(
        &mut self,
        name: &str,
        reader: Box<dyn Read + Send>,
    ) -> Result<usize, FollowError> {
        let index = self.slots.len();
        let (tx, _) = self
            .streams
            .get_or_insert_with(|| sync_channel(stdin::QUEUE));
        stdin::spawn(index, reader, tx.clone()).map_err(|source| FollowError::Thread {
            name: name.to_string(),
            source,
        })?;
        self.slots.push(Slot::Stream {
            name: name.to_string(),
            ended: false,
            in_binary: false,
        });
        self.stats.push(SourceStats::default());
        Ok(index)
    }

    /// The sources as given, by number.
    pub fn names(&self) -> Vec<&str> {
        self.slots
            .iter()
            .map(|s| match s {
                Slot::File(f) => f.name(),
                Slot::Stream { name, .. } => name.as_str(),
            })
            .collect()
    }

    /// The counts of every source, by number.
    pub fn stats(&self) -> &[SourceStats] {
        &self.stats
    }

    /// Where every file stands, to save and give back to [`Follower::new`] after a restart
    /// (streams have no position). Take it after the lines handed over were processed.
    pub fn state(&self) -> FollowState {
        FollowState {
            sources: self
                .slots
                .iter()
                .filter_map(|s| match s {
                    Slot::File(f) => Some(SourceState {
                        source: f.name().to_string(),
                        files: f.positions(),
                    }),
                    Slot::Stream { .. } => None,
                })
                .collect(),
        }
    }

    /// Hands over the unfinished last line of every file (the end of a replay that keeps no
    /// position: a last line without its line break is not lost).
    pub fn finish_files(&mut self, emit: &mut dyn FnMut(Event<'_>)) {
        for (slot, stats) in self.slots.iter_mut().zip(&mut self.stats) {
            if let Slot::File(file) = slot {
                file.finish(stats, emit);
            }
        }
    }

    /// True when every source is a stream that has ended (nothing more can come).
    pub fn finished(&self) -> bool {
        self.slots
            .iter()
            .all(|s| matches!(s, Slot::Stream { ended: true, .. }))
    }

    /// Reads what every source has now, without waiting.
    pub fn poll(&mut self, emit: &mut dyn FnMut(Event<'_>)) -> Progress {
        let mut progress = Progress::default();
        for (slot, stats) in self.slots.iter_mut().zip(&mut self.stats) {
            if let Slot::File(file) = slot {
                let p = file.poll(&mut self.chunk, BUDGET, stats, emit);
                progress.bytes += p.bytes;
                progress.more |= p.more;
            }
        }
        let mut received = 0;
        while received < stdin::QUEUE {
            let message = match &self.streams {
                Some((_, rx)) => match rx.try_recv() {
                    Ok(m) => m,
                    Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
                },
                None => break,
            };
            received += 1;
            progress.bytes += self.stream_message(message, emit);
        }
        progress.more |= received == stdin::QUEUE;
        for notice in self.notices.drain(..) {
            emit(Event::Notice(notice));
        }
        progress
    }

    /// Polls; when nothing was read, waits for the poll interval, or until a stream sends
    /// lines (handed over before returning).
    pub fn step(&mut self, emit: &mut dyn FnMut(Event<'_>)) -> Progress {
        let mut progress = self.poll(emit);
        if progress.bytes > 0 || progress.more {
            return progress;
        }
        let message = match &self.streams {
            Some((_, rx)) => rx.recv_timeout(self.interval).ok(),
            None => {
                std::thread::sleep(self.interval);
                None
            }
        };
        if let Some(message) = message {
            progress.bytes += self.stream_message(message, emit);
            for notice in self.notices.drain(..) {
                emit(Event::Notice(notice));
            }
        }
        progress
    }

    /// Hands over the lines of a stream's message; returns the bytes they held.
    fn stream_message(&mut self, message: Message, emit: &mut dyn FnMut(Event<'_>)) -> u64 {
        match message {
            Message::Batch {
                source,
                data,
                pieces,
            } => {
                let (
                    Some(Slot::Stream {
                        name, in_binary, ..
                    }),
                    Some(stats),
                ) = (self.slots.get_mut(source), self.stats.get_mut(source))
                else {
                    return 0;
                };
                for piece in pieces {
                    let piece = match piece {
                        BatchPiece::Line { offset, start, end } => Piece::Line {
                            offset,
                            text: &data[start..end],
                        },
                        BatchPiece::TooLong { offset, bytes } => Piece::TooLong { offset, bytes },
                        BatchPiece::Binary { offset, bytes } => Piece::Binary { offset, bytes },
                    };
                    hand_over(
                        source,
                        name,
                        Path::new(STDIN),
                        in_binary,
                        piece,
                        stats,
                        &mut self.notices,
                        emit,
                    );
                }
                data.len() as u64
            }
            Message::Ended { source, error } => {
                if let Some(Slot::Stream { name, ended, .. }) = self.slots.get_mut(source) {
                    *ended = true;
                    self.notices.push(match error {
                        Some(error) => Notice::Unreadable {
                            source: name.clone(),
                            error,
                        },
                        None => Notice::Ended {
                            source: name.clone(),
                        },
                    });
                }
                0
            }
        }
    }
}
