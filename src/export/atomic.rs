//! Atomic file creation: temporary file in the target's folder, renamed into place on commit.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

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
    /// An operating-system error.
    #[error("{}: cannot write: {source}", path.display())]
    Io {
        /// The target.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// A file being written; nothing appears at the target until [`AtomicFile::commit`].
pub struct AtomicFile {
    target: PathBuf,
    overwrite: bool,
    writer: BufWriter<NamedTempFile>,
}

impl AtomicFile {
    /// Starts writing `target`. Fails at once if it exists and `overwrite` is false, or if it
    /// is the same file as any of `inputs` (whatever the spelling of the path).
    pub fn create(target: &Path, overwrite: bool, inputs: &[&Path]) -> Result<Self, ExportError> {
        let io_err = |source| ExportError::Io {
            path: target.to_path_buf(),
            source,
        };
        check_target(target, overwrite, inputs)?;
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
        let tmp = builder.tempfile_in(&dir).map_err(io_err)?;
        Ok(AtomicFile {
            target: target.to_path_buf(),
            overwrite,
            writer: BufWriter::with_capacity(1 << 20, tmp),
        })
    }

    /// The target path.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Moves the finished file into place.
    pub fn commit(self) -> Result<(), ExportError> {
        let target = self.target.clone();
        let io_err = |source| ExportError::Io {
            path: target.clone(),
            source,
        };
        let tmp = self
            .writer
            .into_inner()
            .map_err(|e| io_err(e.into_error()))?;
        tmp.as_file().sync_all().map_err(io_err)?;
        let result = if self.overwrite {
            tmp.persist(&self.target)
        } else {
            tmp.persist_noclobber(&self.target)
        };
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
    pub fn error(&self, source: std::io::Error) -> ExportError {
        ExportError::Io {
            path: self.target.clone(),
            source,
        }
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.writer.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.writer.flush()
    }
}

/// Checks, before any work, that `target` may be written: it is none of `inputs` (whatever the
/// spelling of the path) and, unless `overwrite`, does not exist yet.
pub fn check_target(target: &Path, overwrite: bool, inputs: &[&Path]) -> Result<(), ExportError> {
    if inputs.iter().any(|input| same_file(input, target)) {
        return Err(ExportError::IsInput {
            path: target.to_path_buf(),
        });
    }
    if !overwrite && target.exists() {
        return Err(ExportError::Exists {
            path: target.to_path_buf(),
        });
    }
    Ok(())
}

/// True when two paths name the same existing file (compared after resolving links and
/// relative parts).
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_atomically_and_refuses_overwrite() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("out.csv");
        let mut f = AtomicFile::create(&target, false, &[]).expect("create");
        f.write_all(b"a\n").expect("write");
        assert!(!target.exists(), "nothing at the target before commit");
        f.commit().expect("commit");
        assert_eq!(std::fs::read(&target).expect("read"), b"a\n");
        assert!(matches!(
            AtomicFile::create(&target, false, &[]),
            Err(ExportError::Exists { .. })
        ));
        let mut g = AtomicFile::create(&target, true, &[]).expect("create");
        g.write_all(b"b\n").expect("write");
        g.commit().expect("commit");
        assert_eq!(std::fs::read(&target).expect("read"), b"b\n");
        let spelled = dir.path().join(".").join("out.csv");
        assert!(matches!(
            AtomicFile::create(&spelled, true, &[&target]),
            Err(ExportError::IsInput { .. })
        ));
        let leftovers = std::fs::read_dir(dir.path()).expect("ls").count();
        assert_eq!(leftovers, 1, "no temporary files left behind");
    }
}
