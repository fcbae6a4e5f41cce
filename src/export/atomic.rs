//! Atomic file creation: temporary file in the target's folder, renamed into place on commit.
//! Every temporary file alive is listed in a process-wide registry, so that an interrupted
//! process (Ctrl+C, `kill`) can remove them on the way out: see [`exit_removing_temporary_files`].

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use tempfile::NamedTempFile;

/// Why an output file could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The target exists and overwriting was not allowed.
    #[error("{}: already exists; choose another name or pass --force to replace it", path.display())]
    Exists {
        /// The target.
        path: PathBuf,
    },
    /// The target is the same file as an input.
    #[error("{}: is an input file; TrafficLens never writes to its inputs", path.display())]
    IsInput {
        /// The target.
        path: PathBuf,
    },
    /// The target is a device, FIFO, socket or other special file.
    #[error("{}: is {kind}, not a regular file; TrafficLens only writes new or regular files (give another path, or `-` for standard output where the option allows it)", path.display())]
    Special {
        /// The target.
        path: PathBuf,
        /// What it is, in words.
        kind: &'static str,
    },
    /// The target is a symbolic link (never followed, never replaced).
    #[error("{}: is a symbolic link to {}; an output that is a symbolic link is refused: give the real path", path.display(), target.display())]
    Symlink {
        /// The target.
        path: PathBuf,
        /// Where the link points.
        target: PathBuf,
    },
    /// The target is a folder.
    #[error("{}: is a folder; give a file name", path.display())]
    Directory {
        /// The target.
        path: PathBuf,
    },
    /// The folder of the target does not exist.
    #[error("{}: the folder {} does not exist; create it first", path.display(), folder.display())]
    NoFolder {
        /// The target.
        path: PathBuf,
        /// Its folder.
        folder: PathBuf,
    },
    /// Two outputs of one command name the same file.
    #[error("{}: is the same file as {}, also an output of this command; give each output its own file", path.display(), other.display())]
    SameOutput {
        /// The second output.
        path: PathBuf,
        /// The first output naming the same file.
        other: PathBuf,
    },
    /// More than one output was sent to standard output.
    #[error("-: only one output can go to standard output; give the others file names")]
    TwoStdout,
    /// An operating-system error.
    #[error("{}: cannot write: {source}", path.display())]
    Io {
        /// The target.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl ExportError {
    /// True when the command asked for something unsafe or contradictory (not an I/O failure).
    pub fn is_refusal(&self) -> bool {
        !matches!(self, ExportError::Io { .. })
    }
}

/// The temporary files being written, removed by [`exit_removing_temporary_files`].
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// The registry, even after a panic elsewhere (a list of paths cannot be left inconsistent).
fn live() -> MutexGuard<'static, Vec<PathBuf>> {
    LIVE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Removes every temporary file still being written and ends the process with `code`. Called
/// from the signal handler: the registry stays locked until the process is gone, so no file is
/// created or renamed into place after the removal.
pub fn exit_removing_temporary_files(code: i32) -> ! {
    let guard = live();
    for path in guard.iter() {
        let _ = std::fs::remove_file(path);
    }
    std::process::exit(code)
}

/// A file being written; nothing appears at the target until [`AtomicFile::commit`].
pub(super) struct AtomicFile {
    target: PathBuf,
    overwrite: bool,
    temporary: PathBuf,
    writer: Option<BufWriter<NamedTempFile>>,
    /// Bytes given to the writer so far.
    written: u64,
    /// Bytes whose writeback to disk has been started (see [`start_writeback`]).
    synced_to: u64,
}

impl AtomicFile {
    /// Starts writing `target` (already checked by an [`super::OutputPlan`]).
    pub(super) fn create(target: &Path, overwrite: bool) -> Result<Self, ExportError> {
        let io_err = |source| ExportError::Io {
            path: target.to_path_buf(),
            source,
        };
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let mut builder = tempfile::Builder::new();
        builder.prefix(".trafficlens-").suffix(".part");
        // Temporary files are private (0600); the finished file gets ordinary permissions.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o644));
        }
        // Created and registered under the lock: an interruption sees it or it does not exist.
        let mut registry = live();
        let tmp = builder.tempfile_in(&dir).map_err(io_err)?;
        let temporary = tmp.path().to_path_buf();
        registry.push(temporary.clone());
        drop(registry);
        Ok(AtomicFile {
            target: target.to_path_buf(),
            overwrite,
            temporary,
            writer: Some(BufWriter::with_capacity(1 << 20, tmp)),
            written: 0,
            synced_to: 0,
        })
    }

    /// Moves the finished file into place.
    pub(super) fn commit(mut self) -> Result<(), ExportError> {
        let Some(writer) = self.writer.take() else {
            return Ok(());
        };
        let target = self.target.clone();
        let io_err = |source| ExportError::Io {
            path: target.clone(),
            source,
        };
        let mut registry = live();
        registry.retain(|p| p != &self.temporary);
        let tmp = writer.into_inner().map_err(|e| io_err(e.into_error()))?;
        tmp.as_file().sync_all().map_err(io_err)?;
        let result = if self.overwrite {
            // Checked when planned; checked again: only a regular file is ever replaced.
            match std::fs::symlink_metadata(&self.target) {
                Ok(meta) if !meta.is_file() => {
                    return Err(ExportError::Special {
                        path: target.clone(),
                        kind: crate::file_type::describe(&meta.file_type()),
                    })
                }
                _ => tmp.persist(&self.target),
            }
        } else {
            tmp.persist_noclobber(&self.target)
        };
        drop(registry);
        result.map(|_| ()).map_err(|e| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                ExportError::Exists {
                    path: target.clone(),
                }
            } else {
                io_err(e.error)
            }
        })
    }

    /// Wraps an I/O error with the target's path.
    pub(super) fn error(&self, source: std::io::Error) -> ExportError {
        ExportError::Io {
            path: self.target.clone(),
            source,
        }
    }

    fn writer(&mut self) -> std::io::Result<&mut BufWriter<NamedTempFile>> {
        self.writer
            .as_mut()
            .ok_or_else(|| std::io::Error::other("the file was already finished"))
    }
}

impl Drop for AtomicFile {
    /// An unfinished file is removed (by the temporary file) and leaves the registry.
    fn drop(&mut self) {
        if let Some(writer) = self.writer.take() {
            let mut registry = live();
            drop(writer);
            registry.retain(|p| p != &self.temporary);
        }
    }
}

/// Writes at least this long go to the file directly, not through the buffer (the scores
/// file's batches, a few MB each, were copied into it first).
const DIRECT_WRITE: usize = 64 << 10;
/// Bytes written directly between two starts of the disk's writeback.
const WRITEBACK_EVERY: u64 = 4 << 20;

/// Starts writing `len` bytes of `file` from `from` to disk, without waiting (Linux's
/// `sync_file_range` with `SYNC_FILE_RANGE_WRITE`): the disk works while the rest is formatted,
/// and the commit's sync, which still waits for every byte and the metadata, then waits for the
/// last few MB only (the scores file of 2,000,000 rows, 57 MB, replacing the last run's:
/// 0.089-0.094 s before, about 0.07 s after, `cargo bench --bench parse` when it still replaced
/// the file). Advisory: an error here would surface at that sync.
fn start_writeback(file: &std::fs::File, from: u64, len: u64) {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let (Ok(from), Ok(len)) = (i64::try_from(from), i64::try_from(len)) else {
            return;
        };
        // SAFETY: a system call on a descriptor the file keeps open; it reads no memory of ours.
        unsafe {
            libc::sync_file_range(file.as_raw_fd(), from, len, libc::SYNC_FILE_RANGE_WRITE);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (file, from, len);
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if buf.len() < DIRECT_WRITE {
            let n = self.writer()?.write(buf)?;
            self.written += n as u64;
            return Ok(n);
        }
        let (written, synced_to) = (self.written, self.synced_to);
        let writer = self.writer()?;
        writer.flush()?;
        let n = writer.get_mut().write(buf)?;
        let written = written + n as u64;
        if written - synced_to >= WRITEBACK_EVERY {
            start_writeback(writer.get_ref().as_file(), synced_to, written - synced_to);
            self.synced_to = written;
        }
        self.written = written;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.writer()?.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_atomically_and_refuses_overwrite() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("out.csv");
        let mut f = AtomicFile::create(&target, false).expect("create");
        f.write_all(b"a\n").expect("write");
        assert!(!target.exists(), "nothing at the target before commit");
        f.commit().expect("commit");
        assert_eq!(std::fs::read(&target).expect("read"), b"a\n");
        let g = AtomicFile::create(&target, false).expect("create");
        assert!(matches!(g.commit(), Err(ExportError::Exists { .. })));
        let mut g = AtomicFile::create(&target, true).expect("create");
        g.write_all(b"b\n").expect("write");
        g.commit().expect("commit");
        assert_eq!(std::fs::read(&target).expect("read"), b"b\n");
        let leftovers = std::fs::read_dir(dir.path()).expect("ls").count();
        assert_eq!(leftovers, 1, "no temporary files left behind");
    }

    #[test]
    fn temporary_files_are_registered_while_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("out.csv");
        let f = AtomicFile::create(&target, false).expect("create");
        let tmp = f.temporary.clone();
        assert!(live().contains(&tmp), "registered while written");
        drop(f);
        assert!(!live().contains(&tmp), "unregistered when dropped");
        assert!(!tmp.exists(), "an unfinished file is removed");
        let f = AtomicFile::create(&target, false).expect("create");
        let tmp = f.temporary.clone();
        f.commit().expect("commit");
        assert!(!live().contains(&tmp), "unregistered when committed");
    }

    #[cfg(unix)]
    #[test]
    fn a_special_file_that_appears_before_commit_is_not_replaced() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("link");
        let f = AtomicFile::create(&target, true).expect("create");
        std::os::unix::fs::symlink("/dev/null", &target).expect("symlink");
        assert!(matches!(f.commit(), Err(ExportError::Special { .. })));
        assert!(std::fs::symlink_metadata(&target)
            .expect("still there")
            .file_type()
            .is_symlink());
    }
}
