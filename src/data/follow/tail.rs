//! One file being read line by line: an open handle (or the decompressed stream of a rotated
//! file compressed since), the identity and fingerprint of the file it reads, and the line
//! cutter that knows how far it got. The follower keeps one for the file at the watched path
//! and one for each rotated file it still reads to its end; the watch sees tails only through
//! the positions they save.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::time::Instant;

use super::identity::{FileId, Fingerprint};
use super::lines::Splitter;
use super::state::FilePosition;
use crate::data::access::read::MAX_LINE;

/// Bytes asked of the reader at once.
const READ: usize = 64 << 10;

/// Where a tail's bytes come from.
pub enum Reader {
    /// An open file: it may still grow.
    File(File),
    /// A decompressed rotated file, read from its saved offset: it does not grow.
    Stream(Box<dyn Read + Send>),
}

/// One file being read.
pub struct Tail {
    /// Where the file was found (for messages).
    pub path: PathBuf,
    /// Its bytes.
    pub reader: Reader,
    /// The identity of the file read (for a decompressed copy: of the file it was).
    pub id: FileId,
    /// The fingerprint of its first bytes.
    pub fingerprint: Fingerprint,
    /// How far it was read.
    pub split: Splitter,
    /// True when nothing more will be written to it (a copy, a compressed file).
    pub finite: bool,
    /// When it last grew (a rotated file is let go a while after it stops growing).
    pub last_growth: Instant,
    /// True inside a stretch of binary data (reported once per stretch).
    pub in_binary: bool,
}

impl Tail {
    /// A tail on an open file, reading on from `split`'s offset.
    pub fn file(
        path: PathBuf,
        mut file: File,
        id: FileId,
        split: Splitter,
    ) -> std::io::Result<Tail> {
        file.seek(SeekFrom::Start(split.read()))?;
        let head = super::identity::read_head(&file)?;
        Ok(Tail {
            path,
            reader: Reader::File(file),
            id,
            fingerprint: Fingerprint::of(&head),
            split,
            finite: false,
            last_growth: Instant::now(),
            in_binary: false,
        })
    }

    /// A tail on a finished stream already positioned at `position`'s offset.
    pub fn stream(path: PathBuf, reader: Box<dyn Read + Send>, position: &FilePosition) -> Tail {
        Tail {
            path,
            reader: Reader::Stream(reader),
            id: position.id,
            fingerprint: position.fingerprint,
            split: Splitter::new(position.offset),
            finite: true,
            last_growth: Instant::now(),
            in_binary: false,
        }
    }

    /// Where this tail stands, for a saved state.
    pub fn position(&self) -> FilePosition {
        FilePosition {
            id: self.id,
            offset: self.split.consumed(),
            fingerprint: self.fingerprint,
        }
    }

    /// Where this tail stands, its fingerprint read again from the file (a file that was
    /// empty when opened has one now), for recognising copies of it.
    pub fn fresh_position(&self) -> FilePosition {
        let mut position = self.position();
        if let Reader::File(file) = &self.reader {
            if let Ok(head) = super::identity::read_head(file) {
                if position.fingerprint.matches(&head) {
                    position.fingerprint = Fingerprint::of(&head);
                }
            }
        }
        position
    }

    /// Appends up to `budget` bytes to `chunk`; returns how many (0 at the current end).
    pub fn read_into(&mut self, chunk: &mut Vec<u8>, budget: usize) -> std::io::Result<usize> {
        let reader: &mut dyn Read = match &mut self.reader {
            Reader::File(f) => f,
            Reader::Stream(s) => s,
        };
        let start = chunk.len();
        while chunk.len() - start < budget {
            let at = chunk.len();
            chunk.resize(at + READ.min(budget - (at - start)), 0);
            match reader.read(&mut chunk[at..]) {
                Ok(0) => {
                    chunk.truncate(at);
                    break;
                }
                Ok(n) => chunk.truncate(at + n),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => chunk.truncate(at),
                Err(e) => {
                    chunk.truncate(at);
                    return Err(e);
                }
            }
        }
        let n = chunk.len() - start;
        if n > 0 {
            self.last_growth = Instant::now();
        }
        Ok(n)
    }
}

/// Where to start reading a file "at its end": after its last line break, so that a line
/// being written is read whole once it is finished. Looks back at most [`MAX_LINE`] bytes;
/// beyond that the line is too long anyway and is skipped.
pub fn end_of(file: &mut File, size: u64) -> std::io::Result<Splitter> {
    let mut end = size;
    let floor = size.saturating_sub(MAX_LINE as u64);
    let mut buf = vec![0u8; READ];
    while end > floor {
        let from = end.saturating_sub(READ as u64).max(floor);
        let len = (end - from) as usize;
        file.seek(SeekFrom::Start(from))?;
        file.read_exact(&mut buf[..len])?;
        if let Some(i) = memchr::memrchr(b'\n', &buf[..len]) {
            return Ok(Splitter::new(from + i as u64 + 1));
        }
        end = from;
    }
    Ok(if floor == 0 {
        Splitter::new(0)
    } else {
        Splitter::skipping(size)
    })
}
