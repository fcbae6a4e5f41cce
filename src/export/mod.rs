//! Writing output files safely, shared by the command line and the GUI: every file is written to
//! a temporary file in the same folder and renamed into place, so a crash never leaves half a
//! file, and an existing file is only replaced when the caller says so.

mod atomic;

pub use atomic::{same_file, AtomicFile, ExportError};
