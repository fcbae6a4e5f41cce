//! Writing output files safely, shared by the command line and the GUI: every file is written to
//! a temporary file in the same folder and renamed into place, so a crash never leaves half a
//! file, and an existing file is only replaced when the caller says so. Cells are made safe from
//! spreadsheet formula injection.

mod atomic;
mod log_lines;
mod neutralise;
mod tables;

pub use atomic::{check_target, same_file, AtomicFile, ExportError};
pub use log_lines::{write_log_lines, LineFilter};
pub use neutralise::neutralise;
pub use tables::{write_flagged, write_scores, TableError};
