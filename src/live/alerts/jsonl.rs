//! `--alerts-out FILE`: every alert appended to a file as one line of JSON, as it happens. The
//! file is checked by the project's output rules first ([`crate::export::OutputPlan`]: no
//! device, FIFO or folder, no symbolic link, never an input); an existing file is appended to,
//! not replaced. It is opened with `O_APPEND` (and `O_NOFOLLOW`, so a link put in its place
//! after the check is refused too), and each alert is written with one `write` of the whole
//! line, nothing held in a buffer: a reader (`tail -f alerts.jsonl | jq`) sees whole lines
//! only, and other processes appending to the same file do not cut into them.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{Alert, AlertError};
use crate::export::{ExportError, Target};

/// An open alert file.
pub struct JsonLines {
    path: PathBuf,
    file: File,
    /// Alerts written.
    written: u64,
}

impl JsonLines {
    /// Opens (or creates) the checked file `target` for appending.
    pub fn open(target: &Target) -> Result<JsonLines, AlertError> {
        let path = target.path().to_path_buf();
        let file = open_append(&path).map_err(|source| {
            if is_link_refused(&source) {
                AlertError::Output(ExportError::Symlink {
                    target: std::fs::read_link(&path).unwrap_or_default(),
                    path: path.clone(),
                })
            } else {
                AlertError::Write {
                    path: path.clone(),
                    source,
                }
            }
        })?;
        let meta = file.metadata().map_err(|source| AlertError::Write {
            path: path.clone(),
            source,
        })?;
        if !meta.is_file() {
            return Err(AlertError::Output(ExportError::Special {
                path,
                kind: crate::file_type::describe(&meta.file_type()),
            }));
        }
        Ok(JsonLines {
            path,
            file,
            written: 0,
        })
    }

    /// Appends `alert` as one line. The line goes to the kernel in one `write` (a regular
    /// file opened with `O_APPEND` takes it whole; only a full disk can cut it short, and
    /// then the rest follows or the error is returned).
    pub fn send(&mut self, alert: &Alert) -> Result<(), AlertError> {
        let line = alert.to_json_line();
        self.file
            .write_all(&line)
            .map_err(|source| AlertError::Write {
                path: self.path.clone(),
                source,
            })?;
        self.written += 1;
        Ok(())
    }

    /// Alerts written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Opens `path` for appending, creating it; never through a symbolic link, and without
/// waiting on a FIFO put there after the check.
#[cfg(unix)]
fn open_append(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
}

/// Opens `path` for appending, creating it.
#[cfg(not(unix))]
fn open_append(path: &Path) -> std::io::Result<File> {
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
}

/// True for the error `O_NOFOLLOW` gives on a symbolic link.
#[cfg(unix)]
fn is_link_refused(e: &std::io::Error) -> bool {
    e.raw_os_error() == Some(libc::ELOOP)
}

/// True for the error `O_NOFOLLOW` gives on a symbolic link.
#[cfg(not(unix))]
fn is_link_refused(_e: &std::io::Error) -> bool {
    false
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::export::OutputPlan;
    use crate::live::alerts::{Alert, AlertKind};

    fn alert(n: i64) -> Alert {
        Alert {
            time: 1_764_666_900_000 + n,
            kind: AlertKind::Raised,
            subject: format!("client {n}"),
            score: 1.0,
            threshold: 0.5,
            reason: "test".into(),
            samples: vec!["line \u{1b} with an escape".into()],
        }
    }

    #[test]
    fn alerts_are_appended_as_whole_lines_to_an_existing_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("alerts.jsonl");
        std::fs::write(&path, b"{\"earlier\":true}\n").expect("write");
        let mut plan = OutputPlan::new(&[], false);
        let target = plan.append_file(&path).expect("plan");
        let mut out = JsonLines::open(&target).expect("open");
        for n in 0..3 {
            out.send(&alert(n)).expect("send");
            let text = std::fs::read_to_string(&path).expect("read");
            assert_eq!(
                text.lines().count(),
                n as usize + 2,
                "written at once, not buffered"
            );
            assert!(text.ends_with('\n'));
        }
        assert_eq!(out.written(), 3);
        let text = std::fs::read_to_string(&path).expect("read");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "{\"earlier\":true}", "kept");
        for (n, l) in lines[1..].iter().enumerate() {
            let back: Alert = serde_json::from_str(l).expect("JSON");
            assert_eq!(back, alert(n as i64));
        }
    }

    #[test]
    fn a_link_swapped_in_after_the_check_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("alerts.jsonl");
        let mut plan = OutputPlan::new(&[], false);
        let target = plan.append_file(&path).expect("plan");
        let elsewhere = dir.path().join("elsewhere");
        std::fs::write(&elsewhere, b"").expect("write");
        std::os::unix::fs::symlink(&elsewhere, &path).expect("symlink");
        assert!(matches!(
            JsonLines::open(&target),
            Err(AlertError::Output(ExportError::Symlink { .. }))
        ));
        assert_eq!(std::fs::read(&elsewhere).expect("read"), b"");
    }
}
