//! Whether a file is an access log: gzip data, a log format given by the caller, a log-like
//! name, or first lines in a known log format. Which format it is, [`super::detect_format`]
//! decides when reading.

use std::path::Path;

use super::looks_like_log;
use crate::data::formats::csv::check_line_ends;
use crate::data::formats::FileKind;
use crate::data::LoadError;

/// The kind of the file at `path` starting with `head` when it is an access log, else `None`
/// (`cut`: the window ended before the file did).
pub fn sniff(
    head: &[u8],
    cut: bool,
    path: &Path,
    log_format_given: bool,
) -> Result<Option<FileKind>, LoadError> {
    if head.starts_with(&[0x1f, 0x8b]) {
        return Ok(Some(FileKind::AccessLog { gzip: true }));
    }
    if log_format_given || named_log(path) || looks_like_log(head, cut) {
        check_line_ends(head, path)?;
        return Ok(Some(FileKind::AccessLog { gzip: false }));
    }
    Ok(None)
}

/// True for a name that says access log: `*.log`, `*.log.*` (rotated) or `*access_log*`.
fn named_log(path: &Path) -> bool {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    ext.as_deref() == Some("log") || name.contains(".log.") || name.contains("access_log")
}
