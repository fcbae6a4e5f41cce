//! Following sources that grow: access logs and tables being appended to, and standard input.
//! The follower hands over complete lines, each with its source and byte offset, as they are
//! written; it survives log rotation (rename-and-create, `copytruncate`, `dateext` names, a
//! rotated file compressed later) without losing a line or reading one twice, and its
//! position can be saved and restored across restarts ([`FollowState`]).
//!
//! This is the source half of `trafficlens watch`: the watch makes a [`Follower`] of its
//! sources, calls [`Follower::step`] in a loop and gives every [`Line`] to the parser of its
//! format and then to the detector states (updated one row at a time), prints every
//! [`Notice`] on standard error, and saves [`Follower::state`] with the detector state on
//! exit. It lives beside the formats because it is one: a source that grows.
//!
//! How it works: every poll (200 ms by default, sooner when data keeps coming or standard
//! input sends some) reads each file's open handle to its current end, then looks at the path:
//! a new file there means a rotation (the old handle is still read to its end, then let go
//! once it has stopped growing); a file that got shorter than what was read, or whose first
//! bytes changed, was truncated (the rest of its old content is read from the copy beside it,
//! then the file from its start). Modules: [`lines`] cuts bytes into lines, [`identity`] tells
//! files apart, [`tail`] reads one file, [`rotated`] finds rotated files, [`file_source`]
//! follows one path, [`stdin`] follows a stream, [`follower`] follows them all, [`state`] is
//! the saved position, [`notice`] what is reported.
//!
//! Limits, each a consequence of what a follower can see:
//! - A file that is created and rotated away between two polls (two rotations within one poll
//!   interval, or while the watch is stopped) is found only by its name: the files rotated
//!   after the one being read are read whole, in order, when their names tell the order
//!   (`NAME.k`, `NAME-YYYYMMDD`, compressed or not). One deleted meanwhile is not seen. A
//!   `copytruncate` copy is recognised by the first bytes read before: when the file was
//!   still empty at the previous poll there are none, so if it is written, copied and
//!   truncated again before the next poll, the lines of that copy are not read.
//! - A truncated file is told by its length and its first 1 KiB: a file truncated and
//!   rewritten, past the offset read, with the same first 1 KiB is not noticed.
//! - After a restart, a rotated file that was compressed is recognised by its decompressed
//!   first bytes and decompressed up to the saved offset (fast enough for daily logs; the
//!   whole rest of it is read). A rotated file deleted while the watch was stopped is reported
//!   as a gap.
//! - Lines that logrotate's `copytruncate` itself loses (written between its copy and its
//!   truncation) cannot be recovered by anyone.
//! - A table's header line is not kept: a CSV source started at its end needs its header
//!   read separately (the first line of the file).

mod file_source;
mod follower;
pub mod identity;
pub mod lines;
mod notice;
mod rotated;
pub mod state;
mod stdin;
mod tail;

use std::time::Duration;

pub use follower::{Follower, Progress, SourceStats};
pub use identity::{FileId, Fingerprint};
pub use notice::Notice;
pub use state::{FilePosition, FollowState, SourceState};

/// The default time between two polls of the files.
pub const INTERVAL: Duration = Duration::from_millis(200);

/// The spelling of standard input as a source.
pub const STDIN: &str = "-";

/// Where to start reading a file that has no saved position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Start {
    /// After its last complete line: only what is written from now on (the default).
    #[default]
    End,
    /// At its start: what is there first, then what is written.
    Beginning,
}

/// How to follow.
#[derive(Debug, Clone)]
pub struct FollowOptions {
    /// Where to start files without a saved position.
    pub start: Start,
    /// The time between two polls when nothing was read.
    pub interval: Duration,
    /// Positions saved by an earlier run.
    pub state: Option<FollowState>,
}

impl Default for FollowOptions {
    fn default() -> Self {
        FollowOptions {
            start: Start::End,
            interval: INTERVAL,
            state: None,
        }
    }
}

/// A complete line of a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line<'a> {
    /// The source's number: its place among the sources given.
    pub source: usize,
    /// The source as given (a path, or `-`).
    pub name: &'a str,
    /// Byte offset of the line's first byte in the file it was read from (in the stream, for
    /// standard input).
    pub offset: u64,
    /// The line, without its line break.
    pub text: &'a [u8],
}

/// What the follower hands over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event<'a> {
    /// A complete line.
    Line(Line<'a>),
    /// Something to tell the user.
    Notice(Notice),
}

/// Why following could not start.
#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    /// One file was given twice (perhaps spelled two ways): its lines would be read twice.
    #[error("{}: is the same file as {}, given before; give each file once", path.display(), other.display())]
    SameFile {
        /// The second spelling.
        path: std::path::PathBuf,
        /// The first.
        other: std::path::PathBuf,
    },
    /// `-` was given more than once.
    #[error("-: standard input can be followed once; give `-` a single time")]
    StdinTwice,
    /// The thread reading a stream could not be started.
    #[error("{name}: cannot start the thread that reads it: {source}")]
    Thread {
        /// The stream.
        name: String,
        /// The operating system's error.
        source: std::io::Error,
    },
}
