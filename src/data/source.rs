//! Where a table's bytes come from: a file on disk or bytes held in memory (the bundled sample).

use std::fs::File;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::LoadError;

/// A file path or an in-memory buffer with a display name.
#[derive(Clone, Debug)]
pub enum Source {
    /// A file on disk, never written to.
    File(PathBuf),
    /// Bytes in memory (for example the sample data embedded in the binary).
    Memory {
        /// The name shown in messages.
        name: PathBuf,
        /// The content.
        bytes: Arc<[u8]>,
    },
}

impl Source {
    /// The path (or display name) used in messages.
    pub fn path(&self) -> &Path {
        match self {
            Source::File(p) => p,
            Source::Memory { name, .. } => name,
        }
    }

    /// Opens a fresh reader at the start.
    pub fn open(&self) -> Result<Box<dyn Read + Send>, LoadError> {
        match self {
            Source::File(p) => {
                let f = File::open(p).map_err(|e| LoadError::io(p, e))?;
                Ok(Box::new(f))
            }
            Source::Memory { bytes, .. } => Ok(Box::new(Cursor::new(bytes.clone()))),
        }
    }

    /// The size in bytes and, for files, the modification time (used to notice changes).
    pub fn fingerprint(&self) -> Result<Fingerprint, LoadError> {
        match self {
            Source::File(p) => {
                // Metadata only: opening a FIFO for reading would block until a writer comes.
                let meta = std::fs::metadata(p).map_err(|e| LoadError::io(p, e))?;
                if meta.is_dir() {
                    return Err(LoadError::IsDirectory { path: p.clone() });
                }
                if !meta.is_file() {
                    return Err(LoadError::NotRegularFile {
                        path: p.clone(),
                        kind: crate::file_type::describe(&meta.file_type()),
                    });
                }
                Ok(Fingerprint {
                    len: meta.len(),
                    modified: meta.modified().ok(),
                })
            }
            Source::Memory { bytes, .. } => Ok(Fingerprint {
                len: bytes.len() as u64,
                modified: None,
            }),
        }
    }

    /// Reads up to `limit` bytes from the start.
    pub fn head(&self, limit: usize) -> Result<Vec<u8>, LoadError> {
        let mut buf = Vec::with_capacity(limit.min(1 << 20));
        self.open()?
            .take(limit as u64)
            .read_to_end(&mut buf)
            .map_err(|e| LoadError::io(self.path(), e))?;
        Ok(buf)
    }
}

/// Size and modification time of a source when it was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fingerprint {
    /// Length in bytes.
    pub len: u64,
    /// Modification time, when the platform gives one.
    pub modified: Option<std::time::SystemTime>,
}
