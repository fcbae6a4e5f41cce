//! What the follower tells its user besides lines: rotations, truncations, files that vanish
//! or come back, binary data, over-long lines, read errors. Each names its source. The watch
//! prints them on standard error through [`crate::terminal::eprintln`] (paths are data) and
//! goes on.

use std::path::PathBuf;

/// Something that happened to a followed source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// The path does not exist (yet): it is watched until it appears, then read from its
    /// start.
    Missing {
        /// The source as given.
        source: String,
    },
    /// The path has been gone for a while (not just during a rotation).
    Vanished {
        /// The source as given.
        source: String,
    },
    /// The path exists again after it was reported gone or missing.
    Reappeared {
        /// The source as given.
        source: String,
    },
    /// A new file is at the path (rotation by rename): the old one is read to its end too.
    Rotated {
        /// The source as given.
        source: String,
    },
    /// The file got shorter or its first bytes changed (`copytruncate`): it is read again
    /// from its start.
    Truncated {
        /// The source as given.
        source: String,
        /// The copy the rest of the old content was read from, when one was found beside it.
        copy: Option<PathBuf>,
    },
    /// A file was put at the path and rotated away again between two polls: it is read whole.
    RotatedBetweenPolls {
        /// The source as given.
        source: String,
        /// The rotated file.
        path: PathBuf,
    },
    /// After a restart: the file read when the follow stopped was rotated meanwhile; its
    /// rest is read from here.
    ReadingRotated {
        /// The source as given.
        source: String,
        /// The rotated file.
        path: PathBuf,
    },
    /// After a restart: the file read when the follow stopped was rotated meanwhile and is
    /// not beside the path any more (deleted, or renamed to a name not looked at).
    Gap {
        /// The source as given.
        source: String,
        /// How far it had been read.
        offset: u64,
    },
    /// Binary data (NUL bytes) was skipped.
    Binary {
        /// The source as given.
        source: String,
        /// The file it was in.
        path: PathBuf,
        /// Byte offset where it started.
        offset: u64,
    },
    /// A line longer than the 16 MB limit was skipped.
    TooLong {
        /// The source as given.
        source: String,
        /// Byte offset where it started.
        offset: u64,
        /// Its length.
        bytes: u64,
    },
    /// The path is a folder, a device or a pipe: only files and `-` are followed.
    NotRegular {
        /// The source as given.
        source: String,
        /// What it is.
        kind: &'static str,
    },
    /// Reading failed; it is tried again at every poll.
    Unreadable {
        /// The source as given.
        source: String,
        /// The operating system's error.
        error: String,
    },
    /// A stream (standard input) ended.
    Ended {
        /// The source as given.
        source: String,
    },
}

impl Notice {
    /// Something may have been lost or cannot be read (binary data or an over-long line
    /// skipped, lines missing, a file gone or unreadable): printed as a warning. The others say
    /// what the watch does about an ordinary event (a rotation, a file appearing).
    pub fn is_warning(&self) -> bool {
        match self {
            Notice::Vanished { .. }
            | Notice::Truncated { copy: None, .. }
            | Notice::Gap { .. }
            | Notice::Binary { .. }
            | Notice::TooLong { .. }
            | Notice::NotRegular { .. }
            | Notice::Unreadable { .. } => true,
            Notice::Missing { .. }
            | Notice::Reappeared { .. }
            | Notice::Rotated { .. }
            | Notice::Truncated { copy: Some(_), .. }
            | Notice::RotatedBetweenPolls { .. }
            | Notice::ReadingRotated { .. }
            | Notice::Ended { .. } => false,
        }
    }

    /// The notice as the watch prints it: `warning: ` before it when it is one.
    pub fn labelled(&self) -> String {
        if self.is_warning() {
            format!("warning: {self}")
        } else {
            self.to_string()
        }
    }
}

impl std::fmt::Display for Notice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Notice::Missing { source } => write!(f, "{source}: not found; watching for it to appear (it will be read from its start)"),
            Notice::Vanished { source } => write!(f, "{source}: has disappeared; what was written to it is read to its end, and the path is watched until a file comes back"),
            Notice::Reappeared { source } => write!(f, "{source}: is there (again); following it"),
            Notice::Rotated { source } => write!(f, "{source}: rotated (a new file is at the path); the old file is read to its end, then the new one from its start"),
            Notice::Truncated { source, copy: Some(copy) } => write!(f, "{source}: truncated (copytruncate); the rest of the old content is read from the copy {}, then the file again from its start", copy.display()),
            Notice::Truncated { source, copy: None } => write!(f, "{source}: truncated, and no copy with its first bytes was found beside it (NAME.1, NAME-YYYYMMDD, .gz); lines written between the last read and the truncation may be missing; reading it again from its start"),
            Notice::RotatedBetweenPolls { source, path } => write!(f, "{source}: rotated twice between two reads; reading the file rotated in between, {}, whole", path.display()),
            Notice::ReadingRotated { source, path } => write!(f, "{source}: was rotated while the watch was stopped; reading the rest of the old file from {}", path.display()),
            Notice::Gap { source, offset } => write!(f, "{source}: was rotated while the watch was stopped, and the old file (read up to byte {offset}) is no longer beside it as NAME.1, NAME-YYYYMMDD or a .gz of these; any lines written to it after the last run are missing"),
            Notice::Binary { source, path, offset } => write!(f, "{source}: binary data (NUL bytes) in {} at byte {offset}; skipped up to the next text line", path.display()),
            Notice::TooLong { source, offset, bytes } => write!(f, "{source}: the line at byte {offset} is {bytes} bytes long, over the 16 MB limit; skipped"),
            Notice::NotRegular { source, kind } => write!(f, "{source}: is {kind}, not a regular file; follow files, or give `-` and feed standard input"),
            Notice::Unreadable { source, error } => write!(f, "{source}: cannot be read: {error}; trying again at every poll"),
            Notice::Ended { source } => write!(f, "{source}: end of input"),
        }
    }
}
