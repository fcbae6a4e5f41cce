//! The saved position of a follow, so that a restart goes on without gaps or repeats: for each
//! watched path, the files being read (the file at the path, and a rotated one still being
//! read to its end), each as its identity, the offset after the last line handed over, and the
//! fingerprint of its first bytes.
//!
//! The watch stores this in its `--state` file beside the detector state, written after the
//! lines handed over have been scored, and gives it back to [`super::Follower::new`].

use std::path::Path;

use super::identity::{FileId, Fingerprint};

/// Where a follow stands, for every watched file (standard input has no position).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FollowState {
    /// One entry per watched path.
    pub sources: Vec<SourceState>,
}

/// Where the follow of one path stands.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SourceState {
    /// The path as it was given.
    pub source: String,
    /// The files being read, oldest first: rotated files still being read, then the file at
    /// the path.
    pub files: Vec<FilePosition>,
}

/// How far one file was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FilePosition {
    /// The file's identity.
    pub id: FileId,
    /// Byte offset after the last line handed over.
    pub offset: u64,
    /// The fingerprint of its first bytes.
    pub fingerprint: Fingerprint,
}

impl FollowState {
    /// The saved files of the path `source`, if it was followed.
    pub fn files_of(&self, source: &Path) -> Option<&[FilePosition]> {
        let name = source.to_string_lossy();
        self.sources
            .iter()
            .find(|s| s.source == name)
            .map(|s| s.files.as_slice())
    }
}
