//! Writing output files safely, shared by the command line and the GUI: a command's outputs are
//! planned and checked together before any is written ([`OutputPlan`]); every file is written to
//! a temporary file in the same folder and renamed into place, so a crash never leaves half a
//! file, and an existing regular file is only replaced when the caller says so. Cells are made
//! safe from spreadsheet formula injection.

mod atomic;
mod capture_packets;
mod conn_lines;
mod log_lines;
mod neutralise;
mod number_text;
mod numbered_scores;
mod plan;
mod tables;

pub use atomic::{exit_removing_temporary_files, ExportError};
pub use capture_packets::{write_capture_packets_to, PacketsWritten};
pub use conn_lines::{write_conn_lines_to, write_host_records_to, ConnFilter, RecordsWritten};
pub use log_lines::{write_log_lines, write_log_lines_to, LineFilter, LinesWritten};
pub use neutralise::neutralise;
pub use plan::{Output, OutputPlan, Target, STDOUT};
pub use tables::{write_flagged, write_flagged_to, write_scores, write_scores_to, TableError};
