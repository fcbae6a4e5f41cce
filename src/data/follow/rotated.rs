//! Finding a rotated file beside the watched path: logrotate names it `NAME.1` (then `NAME.2`
//! ...), or `NAME-YYYYMMDD` with `dateext`, and `NAME.1.gz` or `NAME-YYYYMMDD.gz` once it is
//! compressed. A rotated file is recognised by its identity (a rename keeps it), or by the
//! fingerprint of its first bytes (a copy made by `copytruncate` keeps those, and so does the
//! decompressed content of a compressed file).
//!
//! The follower uses it twice: after a restart, to read the rest of the file it was reading
//! when it stopped if that file was rotated meanwhile (and, in full, the files rotated after
//! it: [`newer_than`]); and when it finds its file truncated, to read the rest of the content
//! from the copy `copytruncate` made.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::identity::{read_head, read_stream_head, FileId, Fingerprint};
use super::lines::Splitter;
use super::state::FilePosition;
use super::tail::Tail;

/// Rotated files looked at, newest first.
const CANDIDATES: usize = 64;

/// How a rotated file may be recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    /// By identity or, failing that, by fingerprint (after a restart).
    IdentityOrFingerprint,
    /// By fingerprint only, and never the file `FileId` itself (a `copytruncate` copy).
    CopyOf(FileId),
}

/// The rotated file holding the file `position` describes, opened at its offset: a tail to
/// read to its end. `None` when no such file is beside `path`.
pub fn find(path: &Path, position: &FilePosition, how: Match) -> Option<Tail> {
    let candidates = candidates(path);
    if how == Match::IdentityOrFingerprint {
        for (candidate, _) in &candidates {
            if let Some(tail) = open_plain(candidate, position, true) {
                return Some(tail);
            }
        }
    }
    if position.fingerprint.len == 0 {
        // Nothing to recognise a copy by.
        return None;
    }
    for (candidate, _) in &candidates {
        if let Some(tail) = open_plain(candidate, position, false) {
            if let Match::CopyOf(original) = how {
                if tail.id == original {
                    continue;
                }
            }
            return Some(tail);
        }
    }
    candidates
        .iter()
        .find_map(|(candidate, _)| open_gzip(candidate, position))
}

/// The regular files beside `path` whose names extend its name with `.`, `-` or `_` (newest
/// first).
fn candidates(path: &Path) -> Vec<(PathBuf, std::time::SystemTime)> {
    let (Some(folder), Some(name)) = (path.parent(), path.file_name()) else {
        return Vec::new();
    };
    let folder = if folder.as_os_str().is_empty() {
        Path::new(".")
    } else {
        folder
    };
    let name = name.to_string_lossy();
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Vec::new();
    };
    let mut found: Vec<_> = entries
        .filter_map(Result::ok)
        .filter(|e| {
            let other = e.file_name();
            let other = other.to_string_lossy();
            other.len() > name.len()
                && other.starts_with(name.as_ref())
                && matches!(other.as_bytes()[name.len()], b'.' | b'-' | b'_')
        })
        .filter_map(|e| {
            let meta = std::fs::metadata(e.path()).ok()?;
            meta.is_file()
                .then(|| (e.path(), meta.modified().unwrap_or(std::time::UNIX_EPOCH)))
        })
        .collect();
    found.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    found.truncate(CANDIDATES);
    found
}

/// `candidate` opened at the position's offset, when it is the file (by identity, or by
/// fingerprint) and holds at least that many bytes; never a gzip file.
fn open_plain(candidate: &Path, position: &FilePosition, by_identity: bool) -> Option<Tail> {
    let file = File::open(candidate).ok()?;
    let meta = file.metadata().ok()?;
    let id = FileId::of(&meta);
    if by_identity && id != position.id {
        return None;
    }
    let head = read_head(&file).ok()?;
    if is_gzip(&head) || !position.fingerprint.matches(&head) || meta.len() < position.offset {
        return None;
    }
    let tail = Tail::file(
        candidate.to_path_buf(),
        file,
        id,
        Splitter::new(position.offset),
    )
    .ok()?;
    // Read until it stops growing: a copy may still be being written.
    Some(tail)
}

/// `candidate`, a gzip file whose decompressed content starts with the fingerprinted bytes,
/// decompressed and read up to the position's offset.
fn open_gzip(candidate: &Path, position: &FilePosition) -> Option<Tail> {
    let mut file = File::open(candidate).ok()?;
    let mut magic = [0u8; 2];
    file.read_exact(&mut magic).ok()?;
    if !is_gzip(&magic) {
        return None;
    }
    let open = || -> Option<flate2::read::MultiGzDecoder<File>> {
        Some(flate2::read::MultiGzDecoder::new(
            File::open(candidate).ok()?,
        ))
    };
    let mut decoder = open()?;
    let head = read_stream_head(&mut decoder).ok()?;
    if !position.fingerprint.matches(&head) {
        return None;
    }
    let mut decoder = open()?;
    let skipped = std::io::copy(
        &mut (&mut decoder).take(position.offset),
        &mut std::io::sink(),
    )
    .ok()?;
    if skipped < position.offset {
        return None;
    }
    Some(Tail::stream(
        candidate.to_path_buf(),
        Box::new(decoder),
        position,
    ))
}

/// True for bytes that start a gzip stream.
fn is_gzip(head: &[u8]) -> bool {
    head.starts_with(&[0x1f, 0x8b])
}

/// The name the file `id` (with first bytes `fingerprint`) has now beside `path`: found by
/// identity, or by first bytes (a compressed copy of it). Only first bytes are read.
pub fn locate(path: &Path, id: FileId, fingerprint: &Fingerprint) -> Option<PathBuf> {
    let candidates = candidates(path);
    let head_of = |candidate: &Path| -> Option<(FileId, Vec<u8>)> {
        let file = File::open(candidate).ok()?;
        let own = FileId::of(&file.metadata().ok()?);
        let head = read_head(&file).ok()?;
        if is_gzip(&head) {
            let mut decoder = flate2::read::MultiGzDecoder::new(file);
            return Some((own, read_stream_head(&mut decoder).ok()?));
        }
        Some((own, head))
    };
    let heads: Vec<(PathBuf, FileId, Vec<u8>)> = candidates
        .into_iter()
        .filter_map(|(p, _)| head_of(&p).map(|(own, head)| (p, own, head)))
        .collect();
    heads
        .iter()
        .find(|(_, own, _)| *own == id)
        .or_else(|| {
            (fingerprint.len > 0)
                .then(|| heads.iter().find(|(_, _, head)| fingerprint.matches(head)))
                .flatten()
        })
        .map(|(p, _, _)| p.clone())
}

/// Where a rotated file stands among its siblings, by logrotate's naming.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Order {
    /// `NAME.k` (or `NAME.k.gz`): a smaller k is newer.
    Numbered(u64),
    /// `NAME-YYYYMMDD` and the other `dateext` formats: a later text is newer.
    Dated(String),
}

/// The place of `rotated` among the rotated files of `path`, when its name tells it.
fn order(path: &Path, rotated: &Path) -> Option<Order> {
    let name = path.file_name()?.to_str()?;
    let other = rotated.file_name()?.to_str()?;
    let suffix = other.strip_prefix(name)?;
    let suffix = suffix.strip_suffix(".gz").unwrap_or(suffix);
    let (separator, rest) = (suffix.get(..1)?, suffix.get(1..)?);
    if !rest.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    if separator == "." && rest.len() < 8 && rest.bytes().all(|b| b.is_ascii_digit()) {
        return rest.parse().ok().map(Order::Numbered);
    }
    Some(Order::Dated(rest.to_string()))
}

/// The rotated files of `path` newer than `found` (by their names: `NAME.k` with a smaller k,
/// `NAME-YYYYMMDD` with a later date), opened at their start, oldest first: files rotated
/// while the watch was stopped after the one it was reading. Files that are one of `saved`
/// (by identity or by their first bytes) are left out: they are read from their position.
pub fn newer_than(path: &Path, found: &Path, saved: &[FilePosition]) -> Vec<Tail> {
    let Some(reference) = order(path, found) else {
        return Vec::new();
    };
    let mut newer: Vec<(Order, PathBuf)> = candidates(path)
        .into_iter()
        .filter_map(|(p, _)| {
            let o = order(path, &p)?;
            let is_newer = match (&reference, &o) {
                (Order::Numbered(a), Order::Numbered(b)) => b < a,
                (Order::Dated(a), Order::Dated(b)) => b.len() == a.len() && b > a,
                _ => false,
            };
            is_newer.then_some((o, p))
        })
        .collect();
    newer.sort_by(|(a, pa), (b, pb)| {
        match (a, b) {
            (Order::Numbered(x), Order::Numbered(y)) => y.cmp(x),
            (Order::Dated(x), Order::Dated(y)) => x.cmp(y),
            _ => std::cmp::Ordering::Equal,
        }
        .then_with(|| pa.cmp(pb))
    });
    // `NAME.1` and `NAME.1.gz` both there: the compression is under way; the plain file is
    // whole, the compressed one may not be yet.
    newer.dedup_by(|later, first| later.0 == first.0);
    newer
        .into_iter()
        .filter_map(|(_, p)| open_whole(&p, saved))
        .collect()
}

/// `candidate` opened at its start (decompressed if it is gzip), unless it is one of `saved`.
fn open_whole(candidate: &Path, saved: &[FilePosition]) -> Option<Tail> {
    let file = File::open(candidate).ok()?;
    let id = FileId::of(&file.metadata().ok()?);
    let head = read_head(&file).ok()?;
    if is_gzip(&head) {
        let mut decoder = flate2::read::MultiGzDecoder::new(File::open(candidate).ok()?);
        let head = read_stream_head(&mut decoder).ok()?;
        if is_saved(saved, None, &head) {
            return None;
        }
        let position = FilePosition {
            id,
            offset: 0,
            fingerprint: Fingerprint::of(&head),
        };
        let decoder = flate2::read::MultiGzDecoder::new(File::open(candidate).ok()?);
        return Some(Tail::stream(
            candidate.to_path_buf(),
            Box::new(decoder),
            &position,
        ));
    }
    if is_saved(saved, Some(id), &head) {
        return None;
    }
    let tail = Tail::file(candidate.to_path_buf(), file, id, Splitter::new(0)).ok()?;
    // Read until it stops growing: a copy may still be being written.
    Some(tail)
}

/// True when a file with identity `id` (if known) and first bytes `head` is one of `saved`.
fn is_saved(saved: &[FilePosition], id: Option<FileId>, head: &[u8]) -> bool {
    saved
        .iter()
        .any(|p| Some(p.id) == id || (p.fingerprint.len > 0 && p.fingerprint.matches(head)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotated_names_are_ordered_by_logrotate_conventions() {
        let path = Path::new("/var/log/access.log");
        let o = |name: &str| order(path, Path::new(name));
        assert_eq!(o("/var/log/access.log.1"), Some(Order::Numbered(1)));
        assert_eq!(o("/var/log/access.log.12.gz"), Some(Order::Numbered(12)));
        assert_eq!(
            o("/var/log/access.log-20261201.gz"),
            Some(Order::Dated("20261201".into()))
        );
        assert_eq!(
            o("/var/log/access.log.20261201"),
            Some(Order::Dated("20261201".into()))
        );
        assert_eq!(o("/var/log/access.log.old"), None);
        assert_eq!(o("/var/log/access.log"), None);
        assert_eq!(o("/var/log/other.log.1"), None);
    }
}
