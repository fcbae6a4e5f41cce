//! Errors of `trafficlens watch`.

use std::path::PathBuf;

/// Why the watch could not start or go on.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    /// The sources cannot be followed (a file given twice, `-` twice).
    #[error(transparent)]
    Follow(crate::data::follow::FollowError),
    /// An alert output failed.
    #[error(transparent)]
    Alert(crate::live::alerts::AlertError),
    /// The state file cannot be read.
    #[error("{}: cannot read the watch state: {source}; check its permissions, or remove it to start afresh", path.display())]
    StateRead {
        /// The state file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The state file is not a watch state.
    #[error("{}:{line}:{column}: not a watch state ({message}); give another --state file, or remove it to start afresh", path.display())]
    StateParse {
        /// The state file.
        path: PathBuf,
        /// Line of the error.
        line: usize,
        /// Column of the error.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// The state file was written by another version of the watch.
    #[error("{}: a watch state of version {found}, this TrafficLens reads version 1; remove it to start afresh", path.display())]
    StateVersion {
        /// The state file.
        path: PathBuf,
        /// The version found.
        found: u32,
    },
    /// The `--buckets-out` file cannot be written.
    #[error("{}: cannot append the bucket: {source}; check the disk and the file's permissions", path.display())]
    BucketsWrite {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// Ctrl-C cannot be caught.
    #[error("cannot watch for Ctrl-C and SIGTERM: {0}")]
    Signal(std::io::Error),
    /// The client model's fitting thread cannot be started.
    #[error("cannot start the client model's fitting thread: {0}; free some memory or watch with --no-clients")]
    Thread(std::io::Error),
}
