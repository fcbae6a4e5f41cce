//! Errors of the command line and their exit codes.

use crate::data::LoadError;
use crate::export::ExportError;

/// Anything that stops a subcommand.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The input could not be read (exit 3).
    #[error(transparent)]
    Input(#[from] LoadError),
    /// An output could not be written (exit 1; exit 2 when the command asked for something unsafe:
    /// writing over an input, a special file or a link, two outputs to one file, or over an
    /// existing file without --force).
    #[error(transparent)]
    Output(ExportError),
    /// The detector could not run on this data (exit 3), or was given bad parameters (exit 2).
    #[error("{0}")]
    Detect(#[from] crate::detect::FitError),
    /// The detector could not run on this input's data (exit 3; exit 2 for bad parameters):
    /// the message names the input.
    #[error("{}: {source}", path.display())]
    DetectOn {
        /// The input.
        path: std::path::PathBuf,
        /// Why the detector could not run.
        source: crate::detect::FitError,
    },
    /// The arguments contradict each other (exit 2).
    #[error("{0}")]
    Usage(String),
    /// Writing to standard output failed.
    #[error("cannot write to standard output: {0}")]
    Stdout(std::io::Error),
    /// The desktop window could not be opened (exit 1).
    #[error("cannot open the window: {0}; the command line works without a display (trafficlens --help)")]
    Window(String),
    /// `trafficlens watch` could not start or go on (exit 1; exit 3 for an unreadable state).
    #[error(transparent)]
    Watch(#[from] super::watch::WatchError),
    /// Standard output was closed by the reader (for example `| head`): stop quietly.
    #[error("broken pipe")]
    BrokenPipe,
}

impl From<ExportError> for CliError {
    /// A reader closing standard output (`| head`) is not an error.
    fn from(e: ExportError) -> Self {
        match e {
            ExportError::Io { path, source }
                if path.as_os_str() == crate::export::STDOUT
                    && source.kind() == std::io::ErrorKind::BrokenPipe =>
            {
                CliError::BrokenPipe
            }
            e => CliError::Output(e),
        }
    }
}

impl From<crate::export::TableError> for CliError {
    fn from(e: crate::export::TableError) -> Self {
        match e {
            crate::export::TableError::Export(e) => e.into(),
            crate::export::TableError::Input(e) => CliError::Input(e),
            e @ crate::export::TableError::NotLines { .. } => CliError::Usage(e.to_string()),
        }
    }
}

impl CliError {
    /// The process exit status for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Input(_) => super::EXIT_INPUT,
            CliError::Usage(_) => super::EXIT_USAGE,
            CliError::BrokenPipe => super::EXIT_OK,
            CliError::Output(e) if e.is_refusal() => super::EXIT_USAGE,
            CliError::Output(_) | CliError::Stdout(_) | CliError::Window(_) => super::EXIT_OTHER,
            CliError::Watch(
                super::watch::WatchError::StateParse { .. }
                | super::watch::WatchError::StateVersion { .. },
            ) => super::EXIT_INPUT,
            CliError::Watch(_) => super::EXIT_OTHER,
            CliError::Detect(e) | CliError::DetectOn { source: e, .. } => match e {
                crate::detect::FitError::Params(_) => super::EXIT_USAGE,
                crate::detect::FitError::Cancelled => super::EXIT_OTHER,
                _ => super::EXIT_INPUT,
            },
        }
    }

    /// A detector error about the data of the input at `path`.
    pub fn detect_on(path: &std::path::Path, source: crate::detect::FitError) -> Self {
        CliError::DetectOn {
            path: path.to_path_buf(),
            source,
        }
    }

    /// Classifies an error writing to stdout.
    pub fn stdout(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            CliError::BrokenPipe
        } else {
            CliError::Stdout(e)
        }
    }
}
