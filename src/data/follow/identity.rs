//! Which file a followed path is: its identity (device and inode, which a rename keeps and a
//! new file does not share) and a fingerprint of its first bytes (which a truncation or a copy
//! changes, and which survives compression, so a rotated copy can be recognised by content).
//!
//! The watch compares both at every poll: a new identity at the path means the file was
//! rotated by rename; the same identity with other first bytes, or fewer bytes than were read,
//! means it was truncated (`copytruncate`).

use std::fs::{File, Metadata};
use std::io::Read;

/// How many first bytes the fingerprint covers (Filebeat's fingerprint uses the same 1 KiB).
pub const FINGERPRINT_BYTES: usize = 1024;

/// A file's identity on its file system: device and inode (zero where the platform has none;
/// then only the fingerprint tells files apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct FileId {
    /// The device number.
    pub dev: u64,
    /// The inode number.
    pub ino: u64,
}

impl FileId {
    /// The identity of the file `meta` describes.
    #[cfg(unix)]
    pub fn of(meta: &Metadata) -> FileId {
        use std::os::unix::fs::MetadataExt;
        FileId {
            dev: meta.dev(),
            ino: meta.ino(),
        }
    }

    /// The identity of the file `meta` describes (not known on this platform).
    #[cfg(not(unix))]
    pub fn of(_meta: &Metadata) -> FileId {
        FileId { dev: 0, ino: 0 }
    }
}

/// A checksum of a file's first bytes: the first [`FINGERPRINT_BYTES`], or all of a shorter
/// file (then it grows with the file, as long as the bytes it covered stay the same).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Fingerprint {
    /// How many first bytes it covers.
    pub len: u32,
    /// Their CRC-32.
    pub crc: u32,
}

impl Fingerprint {
    /// The fingerprint of `head`, the first bytes of a file (at most [`FINGERPRINT_BYTES`]
    /// are used).
    pub fn of(head: &[u8]) -> Fingerprint {
        let head = &head[..head.len().min(FINGERPRINT_BYTES)];
        Fingerprint {
            // At most FINGERPRINT_BYTES, so it fits.
            len: head.len() as u32,
            crc: crc32fast::hash(head),
        }
    }

    /// True when `head` (a file's first bytes) starts with the bytes this fingerprint covers.
    pub fn matches(&self, head: &[u8]) -> bool {
        let len = self.len as usize;
        head.len() >= len && crc32fast::hash(&head[..len]) == self.crc
    }

    /// True when the fingerprint covers fewer bytes than it could (the file was shorter).
    pub fn is_partial(&self) -> bool {
        (self.len as usize) < FINGERPRINT_BYTES
    }
}

/// Reads the first [`FINGERPRINT_BYTES`] of an open file without moving its read position.
#[cfg(unix)]
pub fn read_head(file: &File) -> std::io::Result<Vec<u8>> {
    use std::os::unix::fs::FileExt;
    let mut buf = vec![0; FINGERPRINT_BYTES];
    let mut filled = 0;
    while filled < buf.len() {
        match file.read_at(&mut buf[filled..], filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.truncate(filled);
    Ok(buf)
}

/// Reads the first [`FINGERPRINT_BYTES`] of an open file, putting its read position back.
#[cfg(not(unix))]
pub fn read_head(mut file: &File) -> std::io::Result<Vec<u8>> {
    use std::io::{Seek, SeekFrom};
    let position = file.stream_position()?;
    file.seek(SeekFrom::Start(0))?;
    let mut buf = Vec::with_capacity(FINGERPRINT_BYTES);
    let read = (&mut file)
        .take(FINGERPRINT_BYTES as u64)
        .read_to_end(&mut buf);
    file.seek(SeekFrom::Start(position))?;
    read.map(|_| buf)
}

/// Reads up to [`FINGERPRINT_BYTES`] from the start of a stream (a decompressed file).
pub fn read_stream_head(reader: &mut dyn Read) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(FINGERPRINT_BYTES);
    reader
        .take(FINGERPRINT_BYTES as u64)
        .read_to_end(&mut buf)?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fingerprint_matches_its_bytes_and_what_grew_after_them() {
        let fp = Fingerprint::of(b"line 1\n");
        assert!(fp.is_partial());
        assert!(fp.matches(b"line 1\n"));
        assert!(fp.matches(b"line 1\nline 2\n"), "the file grew");
        assert!(!fp.matches(b"line 1"), "the file is shorter");
        assert!(!fp.matches(b"line 9\n"), "other bytes");
        let long = vec![b'x'; 3000];
        let full = Fingerprint::of(&long);
        assert_eq!(full.len as usize, FINGERPRINT_BYTES);
        assert!(!full.is_partial());
        let mut other = long.clone();
        other[2000] = b'y';
        assert!(full.matches(&other), "only the first bytes count");
    }

    #[test]
    fn the_head_is_read_without_moving_the_position() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.log");
        std::fs::write(&path, vec![b'a'; 5000]).expect("write");
        let mut file = File::open(&path).expect("open");
        let mut first = [0u8; 10];
        file.read_exact(&mut first).expect("read");
        assert_eq!(read_head(&file).expect("head").len(), FINGERPRINT_BYTES);
        let mut rest = Vec::new();
        file.read_to_end(&mut rest).expect("read");
        assert_eq!(rest.len(), 4990);
    }
}
