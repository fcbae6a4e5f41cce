//! Planning a command's outputs before anything is written: every output is checked against
//! every input and every other output, so a command either writes all its files or none.
//!
//! Rules: an output is a new path or an existing regular file (replaced only when overwriting is
//! allowed); a device, FIFO, socket or folder is refused; an output that is a symbolic link is
//! refused (never followed, never replaced: give the real path); no output is the same file as an
//! input or as another output, compared by file identity (device and inode, so other spellings
//! and hard links are caught) when the file exists, by its absolute path when it does not yet.
//! `-` means standard output where the command allows it, for at most one output.

use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

use super::atomic::AtomicFile;
use super::ExportError;

/// The spelling of standard output.
pub const STDOUT: &str = "-";

/// Which file a path names, for comparing paths.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Key {
    /// An existing file: its device and inode (its canonical path where there are none).
    Existing(Identity),
    /// A file to be created: its absolute path with the folder resolved.
    New(PathBuf),
    /// Standard output.
    Stdout,
}

/// The identity of an existing file.
#[cfg(unix)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Identity {
    dev: u64,
    ino: u64,
}

#[cfg(unix)]
fn identity(_path: &Path, meta: &std::fs::Metadata) -> Option<Identity> {
    use std::os::unix::fs::MetadataExt;
    Some(Identity {
        dev: meta.dev(),
        ino: meta.ino(),
    })
}

/// The identity of an existing file.
#[cfg(not(unix))]
#[derive(Debug, Clone, PartialEq, Eq)]
struct Identity(PathBuf);

#[cfg(not(unix))]
fn identity(path: &Path, _meta: &std::fs::Metadata) -> Option<Identity> {
    path.canonicalize().ok().map(Identity)
}

/// The outputs of one command, checked as they are added, before any is written.
#[derive(Debug)]
pub struct OutputPlan {
    overwrite: bool,
    inputs: Vec<Identity>,
    outputs: Vec<(PathBuf, Key)>,
}

impl OutputPlan {
    /// A plan for a command that reads `inputs` (paths that do not exist are ignored: they are
    /// not read either); `overwrite` allows replacing existing regular files (`--force`).
    pub fn new(inputs: &[&Path], overwrite: bool) -> Self {
        let inputs = inputs
            .iter()
            .filter_map(|p| {
                let meta = std::fs::metadata(p).ok()?;
                identity(p, &meta)
            })
            .collect();
        OutputPlan {
            overwrite,
            inputs,
            outputs: Vec::new(),
        }
    }

    /// Adds an output where `-` means standard output.
    pub fn output(&mut self, path: &Path) -> Result<Target, ExportError> {
        if path.as_os_str() == STDOUT {
            if self.outputs.iter().any(|(_, k)| *k == Key::Stdout) {
                return Err(ExportError::TwoStdout);
            }
            self.outputs.push((path.to_path_buf(), Key::Stdout));
            return Ok(Target {
                path: path.to_path_buf(),
                overwrite: self.overwrite,
                stdout: true,
            });
        }
        self.file(path)
    }

    /// Adds an output that is always a file (`-` is a file of that name).
    pub fn file(&mut self, path: &Path) -> Result<Target, ExportError> {
        self.add(path, false)
    }

    /// Adds a file that is appended to (the watch's `--alerts-out`): an existing regular file
    /// is kept and written after its end whatever `overwrite` says; every other rule holds.
    pub fn append_file(&mut self, path: &Path) -> Result<Target, ExportError> {
        self.add(path, true)
    }

    /// Adds a file output; `append` allows an existing regular file without overwriting it.
    fn add(&mut self, path: &Path, append: bool) -> Result<Target, ExportError> {
        let key = self.check(path, append)?;
        if let Some((other, _)) = self.outputs.iter().find(|(_, k)| *k == key) {
            return Err(ExportError::SameOutput {
                path: path.to_path_buf(),
                other: other.clone(),
            });
        }
        self.outputs.push((path.to_path_buf(), key));
        Ok(Target {
            path: path.to_path_buf(),
            overwrite: self.overwrite,
            stdout: false,
        })
    }

    /// Checks one file output on its own and against the inputs; its key for comparing outputs.
    /// An existing regular file is allowed when overwriting is, or when `append`.
    fn check(&self, path: &Path, append: bool) -> Result<Key, ExportError> {
        let io = |source| ExportError::Io {
            path: path.to_path_buf(),
            source,
        };
        match std::fs::symlink_metadata(path) {
            Ok(meta) => {
                let ft = meta.file_type();
                if ft.is_symlink() {
                    return Err(ExportError::Symlink {
                        path: path.to_path_buf(),
                        target: std::fs::read_link(path).map_err(io)?,
                    });
                }
                if ft.is_dir() {
                    return Err(ExportError::Directory {
                        path: path.to_path_buf(),
                    });
                }
                if !ft.is_file() {
                    return Err(ExportError::Special {
                        path: path.to_path_buf(),
                        kind: crate::file_type::describe(&ft),
                    });
                }
                let id = identity(path, &meta)
                    .ok_or_else(|| io(std::io::Error::other("cannot tell which file this is")))?;
                if self.inputs.contains(&id) {
                    return Err(ExportError::IsInput {
                        path: path.to_path_buf(),
                    });
                }
                if !self.overwrite && !append {
                    return Err(ExportError::Exists {
                        path: path.to_path_buf(),
                    });
                }
                Ok(Key::Existing(id))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => new_path(path).map(Key::New),
            Err(e) => Err(io(e)),
        }
    }
}

/// The absolute path a new file will have, its folder resolved (links, `.` and `..`); the
/// folder must exist.
fn new_path(path: &Path) -> Result<PathBuf, ExportError> {
    let Some(name) = path.file_name() else {
        return Err(ExportError::Directory {
            path: path.to_path_buf(),
        });
    };
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    match folder.canonicalize() {
        Ok(dir) if dir.is_dir() => Ok(dir.join(name)),
        _ => Err(ExportError::NoFolder {
            path: path.to_path_buf(),
            folder: folder.to_path_buf(),
        }),
    }
}

/// One checked output of an [`OutputPlan`]: a file, or standard output.
#[derive(Debug, Clone)]
pub struct Target {
    path: PathBuf,
    overwrite: bool,
    stdout: bool,
}

impl Target {
    /// True when this output is standard output.
    pub fn is_stdout(&self) -> bool {
        self.stdout
    }

    /// The path as given (`-` for standard output).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The output's name for messages: the path, or "standard output".
    pub fn name(&self) -> String {
        if self.stdout {
            "standard output".into()
        } else {
            self.path.display().to_string()
        }
    }

    /// Starts writing: a temporary file beside the target, or standard output (escaped for the
    /// terminal when it is one: exported data may carry an attacker's control characters).
    pub fn open(&self) -> Result<Output, ExportError> {
        if self.stdout {
            let stdout = std::io::stdout();
            let out: Box<dyn Write + Send> = if stdout.is_terminal() {
                Box::new(crate::terminal::TerminalWriter::new(stdout))
            } else {
                Box::new(stdout)
            };
            return Ok(Output(Sink::Stdout(BufWriter::with_capacity(1 << 16, out))));
        }
        AtomicFile::create(&self.path, self.overwrite).map(|f| Output(Sink::File(f)))
    }
}

/// An output being written: a file renamed into place on [`Output::commit`], or standard output.
pub struct Output(Sink);

/// Where an [`Output`] goes.
enum Sink {
    File(AtomicFile),
    Stdout(BufWriter<Box<dyn Write + Send>>),
}

impl Output {
    /// Finishes the output: the file is moved into place, standard output flushed.
    pub fn commit(self) -> Result<(), ExportError> {
        match self.0 {
            Sink::File(f) => f.commit(),
            Sink::Stdout(mut w) => w.flush().map_err(|source| ExportError::Io {
                path: PathBuf::from(STDOUT),
                source,
            }),
        }
    }

    /// Wraps an I/O error with the output's name.
    pub fn error(&self, source: std::io::Error) -> ExportError {
        match &self.0 {
            Sink::File(f) => f.error(source),
            Sink::Stdout(_) => ExportError::Io {
                path: PathBuf::from(STDOUT),
                source,
            },
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &mut self.0 {
            Sink::File(f) => f.write(buf),
            Sink::Stdout(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.0 {
            Sink::File(f) => f.flush(),
            Sink::Stdout(w) => w.flush(),
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn touch(path: &Path) {
        std::fs::write(path, b"x\n").expect("write");
    }

    #[test]
    fn special_files_links_and_folders_are_refused_even_with_overwrite() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut plan = OutputPlan::new(&[], true);
        assert!(matches!(
            plan.file(Path::new("/dev/null")),
            Err(ExportError::Special {
                kind: "a character device",
                ..
            })
        ));
        let real = dir.path().join("real.csv");
        touch(&real);
        let link = dir.path().join("link.csv");
        std::os::unix::fs::symlink(&real, &link).expect("symlink");
        match plan.file(&link) {
            Err(ExportError::Symlink { target, .. }) => assert_eq!(target, real),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            plan.file(dir.path()),
            Err(ExportError::Directory { .. })
        ));
        assert!(matches!(
            plan.file(&dir.path().join("no/such/folder.csv")),
            Err(ExportError::NoFolder { .. })
        ));
        plan.file(&real).expect("a regular file may be replaced");
    }

    #[test]
    fn inputs_are_compared_by_identity() {
        let dir = tempfile::tempdir().expect("tempdir");
        let input = dir.path().join("in.csv");
        touch(&input);
        let hard = dir.path().join("hard.csv");
        std::fs::hard_link(&input, &hard).expect("hard link");
        let mut plan = OutputPlan::new(&[&input], true);
        for spelled in [dir.path().join(".").join("in.csv"), hard] {
            assert!(matches!(
                plan.file(&spelled),
                Err(ExportError::IsInput { .. })
            ));
        }
    }

    #[test]
    fn an_appended_file_may_exist_but_follows_the_other_rules() {
        let dir = tempfile::tempdir().expect("tempdir");
        let input = dir.path().join("access.log");
        touch(&input);
        let alerts = dir.path().join("alerts.jsonl");
        touch(&alerts);
        let mut plan = OutputPlan::new(&[&input], false);
        plan.append_file(&alerts)
            .expect("an existing file is appended to without --force");
        assert!(matches!(
            plan.append_file(&input),
            Err(ExportError::IsInput { .. })
        ));
        assert!(matches!(
            plan.append_file(Path::new("/dev/null")),
            Err(ExportError::Special { .. })
        ));
        let link = dir.path().join("link.jsonl");
        std::os::unix::fs::symlink(&alerts, &link).expect("symlink");
        assert!(matches!(
            plan.append_file(&link),
            Err(ExportError::Symlink { .. })
        ));
        assert!(matches!(
            plan.append_file(&dir.path().join(".").join("alerts.jsonl")),
            Err(ExportError::SameOutput { .. })
        ));
    }

    #[test]
    fn two_outputs_may_not_be_the_same_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut plan = OutputPlan::new(&[], true);
        plan.file(&dir.path().join("a.csv")).expect("first");
        assert!(matches!(
            plan.file(&dir.path().join(".").join("a.csv")),
            Err(ExportError::SameOutput { .. })
        ));
        let existing = dir.path().join("b.csv");
        touch(&existing);
        plan.file(&existing).expect("second");
        std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
        assert!(matches!(
            plan.file(&dir.path().join("sub/../b.csv")),
            Err(ExportError::SameOutput { .. })
        ));
        plan.output(Path::new("-")).expect("stdout");
        assert!(matches!(
            plan.output(Path::new("-")),
            Err(ExportError::TwoStdout)
        ));
        assert!(
            !dir.path().join("a.csv").exists(),
            "planning writes nothing"
        );
    }
}
