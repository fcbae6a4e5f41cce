//! Following one path: the file at the path (read on from where it was), the rotated files
//! still being read to their end, and the checks after each read that notice a rotation, a
//! truncation, a file that vanished or came back. Restoring a saved position lives here too,
//! since it is the same question asked at start: which file is the one that was being read?
//! The watch gets one per path it is given, through [`super::Follower`].

use std::fs::File;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::follower::{Progress, SourceStats};
use super::identity::{read_head, FileId, Fingerprint};
use super::lines::{Piece, Splitter};
use super::rotated::{self, Match};
use super::state::FilePosition;
use super::tail::{end_of, Reader, Tail};
use super::{Event, Line, Notice, Start};

/// A path gone for this long is reported (a rotation leaves it missing only for a moment).
const VANISH_GRACE: Duration = Duration::from_secs(5);
/// A rotated file is let go once it has not grown for this long (the writer may go on
/// writing to it until it reopens its log).
const RETIRE_GRACE: Duration = Duration::from_secs(5);

/// The follow of one path.
pub struct FileSource {
    /// The source's number.
    index: usize,
    /// The source as given.
    name: String,
    /// The path.
    path: PathBuf,
    /// The file at the path, being read.
    current: Option<Tail>,
    /// Rotated files (or the copy of a truncated one) still read to their end, oldest first.
    retiring: Vec<Tail>,
    /// Where to start the file at the path when it is opened for the first time.
    first_start: Option<Start>,
    /// Since when the path has been missing.
    missing_since: Option<Instant>,
    /// True once the missing path was reported.
    missing_reported: bool,
    /// The last problem reported (each is reported once until it changes).
    reported: Option<String>,
    /// Notices waiting to be handed over.
    notices: Vec<Notice>,
}

impl FileSource {
    /// Starts following `path`: from the saved position `saved` when there is one, else from
    /// `start`.
    pub fn new(
        index: usize,
        path: PathBuf,
        start: Start,
        saved: Option<&[FilePosition]>,
    ) -> FileSource {
        let mut source = FileSource {
            index,
            name: path.to_string_lossy().into_owned(),
            path,
            current: None,
            retiring: Vec::new(),
            first_start: Some(start),
            missing_since: None,
            missing_reported: false,
            reported: None,
            notices: Vec::new(),
        };
        match saved {
            Some(files) if !files.is_empty() => source.restore(files),
            _ => {}
        }
        source.check_path();
        source
    }

    /// The source as given.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Where this follow stands: the rotated files still read, then the file at the path.
    pub fn positions(&self) -> Vec<FilePosition> {
        self.retiring
            .iter()
            .chain(&self.current)
            .map(Tail::position)
            .collect()
    }

    /// Ends the files read for good (the end of a replay that keeps no position): an unfinished
    /// last line of each is handed over as it is, since nothing will read on from it.
    pub fn finish(&mut self, stats: &mut SourceStats, emit: &mut dyn FnMut(Event<'_>)) {
        for tail in self.retiring.iter_mut().chain(&mut self.current) {
            finish(self.index, &self.name, tail, stats, &mut self.notices, emit);
        }
    }

    /// Reads what was written since the last poll (at most `budget` bytes per file), handing
    /// every line to `emit`, then checks the path for a rotation.
    pub fn poll(
        &mut self,
        chunk: &mut Vec<u8>,
        budget: usize,
        stats: &mut SourceStats,
        emit: &mut dyn FnMut(Event<'_>),
    ) -> Progress {
        let mut progress = Progress::default();
        let mut i = 0;
        while i < self.retiring.len() {
            let tail = &mut self.retiring[i];
            chunk.clear();
            match tail.read_into(chunk, budget) {
                Ok(n) => {
                    progress.bytes += n as u64;
                    feed(
                        self.index,
                        &self.name,
                        tail,
                        chunk,
                        stats,
                        &mut self.notices,
                        emit,
                    );
                    if n >= budget {
                        progress.more = true;
                    } else if tail.finite || tail.last_growth.elapsed() >= RETIRE_GRACE {
                        let mut tail = self.retiring.remove(i);
                        finish(
                            self.index,
                            &self.name,
                            &mut tail,
                            stats,
                            &mut self.notices,
                            emit,
                        );
                        continue;
                    }
                }
                Err(e) => {
                    self.notices.push(Notice::Unreadable {
                        source: format!("{} ({})", self.name, tail.path.display()),
                        error: e.to_string(),
                    });
                    self.retiring.remove(i);
                    continue;
                }
            }
            i += 1;
        }
        if let Some(tail) = &mut self.current {
            chunk.clear();
            match read_current(tail, chunk, budget) {
                Ok(Some(n)) => {
                    progress.bytes += n as u64;
                    progress.more |= n >= budget;
                    feed(
                        self.index,
                        &self.name,
                        tail,
                        chunk,
                        stats,
                        &mut self.notices,
                        emit,
                    );
                }
                Ok(None) => {
                    self.truncated();
                    progress.more = true;
                }
                Err(e) => self.report(Notice::Unreadable {
                    source: self.name.clone(),
                    error: e.to_string(),
                }),
            }
        }
        // A file just opened is read at once.
        progress.more |= self.check_path();
        for notice in self.notices.drain(..) {
            emit(Event::Notice(notice));
        }
        progress
    }

    /// The file at the path was truncated: the rest of its old content is read from the copy
    /// beside it if there is one, and the file again from its start.
    fn truncated(&mut self) {
        let Some(old) = self.current.take() else {
            return;
        };
        let copy = rotated::find(&self.path, &old.position(), Match::CopyOf(old.id));
        self.notices.push(Notice::Truncated {
            source: self.name.clone(),
            copy: copy.as_ref().map(|t| t.path.clone()),
        });
        if let Some(copy) = copy {
            // Copied and truncated more than once since the last poll: the later copies hold
            // what was written in between.
            let known: Vec<FilePosition> = self
                .retiring
                .iter()
                .chain([&old, &copy])
                .map(Tail::fresh_position)
                .collect();
            let later = rotated::newer_than(&self.path, &copy.path, &known);
            self.retiring.push(copy);
            for tail in later {
                self.notices.push(Notice::RotatedBetweenPolls {
                    source: self.name.clone(),
                    path: tail.path.clone(),
                });
                self.retiring.push(tail);
            }
        }
        let Tail {
            path, reader, id, ..
        } = old;
        if let Reader::File(file) = reader {
            match Tail::file(path, file, id, Splitter::new(0)) {
                Ok(tail) => self.current = Some(tail),
                Err(e) => self.report(Notice::Unreadable {
                    source: self.name.clone(),
                    error: e.to_string(),
                }),
            }
        }
    }

    /// Looks at the path: a new file there is opened (and the old one read to its end), a
    /// missing one is reported after a while. True when a file was opened.
    fn check_path(&mut self) -> bool {
        let meta = match std::fs::metadata(&self.path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let since = *self.missing_since.get_or_insert_with(Instant::now);
                if !self.missing_reported {
                    if self.current.is_none() && self.first_start.is_some() {
                        // Not there at start: it will be new when it comes.
                        self.first_start = Some(Start::Beginning);
                        self.missing_reported = true;
                        self.notices.push(Notice::Missing {
                            source: self.name.clone(),
                        });
                    } else if since.elapsed() >= VANISH_GRACE {
                        self.missing_reported = true;
                        self.notices.push(Notice::Vanished {
                            source: self.name.clone(),
                        });
                    }
                }
                return false;
            }
            Err(e) => {
                self.report(Notice::Unreadable {
                    source: self.name.clone(),
                    error: e.to_string(),
                });
                return false;
            }
        };
        if !meta.is_file() {
            self.report(Notice::NotRegular {
                source: self.name.clone(),
                kind: crate::file_type::describe(&meta.file_type()),
            });
            return false;
        }
        let back = std::mem::take(&mut self.missing_reported);
        self.missing_since = None;
        if back {
            self.notices.push(Notice::Reappeared {
                source: self.name.clone(),
            });
        }
        let id = FileId::of(&meta);
        if self.current.as_ref().is_some_and(|t| t.id == id) {
            return false;
        }
        match self.open_current() {
            Ok(tail) => {
                self.reported = None;
                if let Some(mut old) = self.current.replace(tail) {
                    old.last_growth = Instant::now();
                    let between = self.rotated_between(&old);
                    self.retiring.push(old);
                    if !back {
                        self.notices.push(Notice::Rotated {
                            source: self.name.clone(),
                        });
                    }
                    for tail in between {
                        self.notices.push(Notice::RotatedBetweenPolls {
                            source: self.name.clone(),
                            path: tail.path.clone(),
                        });
                        self.retiring.push(tail);
                    }
                }
                true
            }
            Err(e) => {
                self.report(Notice::Unreadable {
                    source: self.name.clone(),
                    error: e.to_string(),
                });
                false
            }
        }
    }

    /// The files rotated after `old` and before the file now at the path (two rotations
    /// between two polls), opened at their start, oldest first.
    fn rotated_between(&self, old: &Tail) -> Vec<Tail> {
        let Some(name) = rotated::locate(&self.path, old.id, &old.fingerprint) else {
            return Vec::new();
        };
        let known: Vec<FilePosition> = self
            .retiring
            .iter()
            .chain([old])
            .chain(&self.current)
            .map(Tail::fresh_position)
            .collect();
        rotated::newer_than(&self.path, &name, &known)
    }

    /// Opens the file at the path: at its end or start the first time, as `first_start`
    /// says; from its start afterwards (a file that appears later is new).
    fn open_current(&mut self) -> std::io::Result<Tail> {
        let mut file = File::open(&self.path)?;
        let meta = file.metadata()?;
        let split = match self.first_start.unwrap_or(Start::Beginning) {
            Start::End => end_of(&mut file, meta.len())?,
            Start::Beginning => Splitter::new(0),
        };
        let tail = Tail::file(self.path.clone(), file, FileId::of(&meta), split)?;
        self.first_start = None;
        Ok(tail)
    }

    /// Restores a saved position: each saved file is found at the path (same identity, same
    /// first bytes, at least as long) or among its rotated files; the file at the path, when
    /// it is not one of them, is new and read from its start.
    fn restore(&mut self, saved: &[FilePosition]) {
        let at_path = File::open(&self.path).ok().and_then(|file| {
            let meta = file.metadata().ok().filter(|m| m.is_file())?;
            let head = read_head(&file).ok()?;
            Some((file, meta.len(), FileId::of(&meta), head))
        });
        // Where the last saved file not at the path was found.
        let mut found_last = None;
        for position in saved {
            if let Some((file, len, id, head)) = &at_path {
                if self.current.is_none()
                    && *id == position.id
                    && position.fingerprint.matches(head)
                    && *len >= position.offset
                {
                    let tail = file.try_clone().and_then(|f| {
                        Tail::file(self.path.clone(), f, *id, Splitter::new(position.offset))
                    });
                    if let Ok(tail) = tail {
                        self.current = Some(tail);
                        continue;
                    }
                }
            }
            match rotated::find(&self.path, position, Match::IdentityOrFingerprint) {
                Some(tail) => {
                    self.notices.push(Notice::ReadingRotated {
                        source: self.name.clone(),
                        path: tail.path.clone(),
                    });
                    found_last = Some(tail.path.clone());
                    self.retiring.push(tail);
                }
                None => {
                    found_last = None;
                    self.notices.push(Notice::Gap {
                        source: self.name.clone(),
                        offset: position.offset,
                    });
                }
            }
        }
        // The file read last was rotated: the files rotated after it, while the watch was
        // stopped, are read whole before the file at the path.
        if let (None, Some(found)) = (&self.current, found_last) {
            for tail in rotated::newer_than(&self.path, &found, saved) {
                self.notices.push(Notice::ReadingRotated {
                    source: self.name.clone(),
                    path: tail.path.clone(),
                });
                self.retiring.push(tail);
            }
        }
        self.first_start = match self.current {
            Some(_) => None,
            None => Some(Start::Beginning),
        };
    }

    /// Queues a problem unless it is the one reported last.
    fn report(&mut self, notice: Notice) {
        let text = notice.to_string();
        if self.reported.as_deref() != Some(text.as_str()) {
            self.reported = Some(text);
            self.notices.push(notice);
        }
    }
}

/// Reads the file at the path on from where it was: `None` when it was truncated (it is
/// shorter than what was read, or its first bytes changed). The first bytes are checked after
/// the read, so bytes read from a file truncated and rewritten meanwhile are never handed over.
fn read_current(
    tail: &mut Tail,
    chunk: &mut Vec<u8>,
    budget: usize,
) -> std::io::Result<Option<usize>> {
    if let Reader::File(file) = &tail.reader {
        if file.metadata()?.len() < tail.split.read() {
            return Ok(None);
        }
    }
    let n = tail.read_into(chunk, budget)?;
    if let Reader::File(file) = &tail.reader {
        let head = read_head(file)?;
        if !tail.fingerprint.matches(&head) {
            return Ok(None);
        }
        if tail.fingerprint.is_partial() && head.len() > tail.fingerprint.len as usize {
            tail.fingerprint = Fingerprint::of(&head);
        }
    }
    Ok(Some(n))
}

/// Cuts `chunk` (read from `tail`) into lines for `emit`.
fn feed(
    index: usize,
    name: &str,
    tail: &mut Tail,
    chunk: &[u8],
    stats: &mut SourceStats,
    notices: &mut Vec<Notice>,
    emit: &mut dyn FnMut(Event<'_>),
) {
    let Tail {
        split,
        in_binary,
        path,
        ..
    } = tail;
    split.feed(chunk, &mut |piece| {
        hand_over(index, name, path, in_binary, piece, stats, notices, emit)
    });
}

/// Ends a file read to its end for good: its unfinished last line is handed over.
fn finish(
    index: usize,
    name: &str,
    tail: &mut Tail,
    stats: &mut SourceStats,
    notices: &mut Vec<Notice>,
    emit: &mut dyn FnMut(Event<'_>),
) {
    let Tail {
        split,
        in_binary,
        path,
        ..
    } = tail;
    split.finish(&mut |piece| hand_over(index, name, path, in_binary, piece, stats, notices, emit));
}

/// Hands one piece over: a line to `emit`, a skipped piece counted and reported.
#[allow(clippy::too_many_arguments)]
pub(super) fn hand_over(
    index: usize,
    name: &str,
    path: &std::path::Path,
    in_binary: &mut bool,
    piece: Piece<'_>,
    stats: &mut SourceStats,
    notices: &mut Vec<Notice>,
    emit: &mut dyn FnMut(Event<'_>),
) {
    match piece {
        Piece::Line { offset, text } => {
            *in_binary = false;
            stats.lines += 1;
            emit(Event::Line(Line {
                source: index,
                name,
                offset,
                text,
            }));
        }
        Piece::Binary { offset, bytes } => {
            stats.binary_bytes += bytes;
            if !std::mem::replace(in_binary, true) {
                notices.push(Notice::Binary {
                    source: name.to_string(),
                    path: path.to_path_buf(),
                    offset,
                });
            }
        }
        Piece::TooLong { offset, bytes } => {
            stats.too_long += 1;
            notices.push(Notice::TooLong {
                source: name.to_string(),
                offset,
                bytes,
            });
        }
    }
}
