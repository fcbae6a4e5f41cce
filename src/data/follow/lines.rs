//! Cutting a growing byte stream into complete lines, each with the byte offset where it
//! starts. A line is handed over only when its line break has arrived, so a half-written last
//! line is held until the writer finishes it. A line longer than the access-log reader's
//! [`MAX_LINE`] is skipped (never held whole), and so is a line holding NUL bytes (the file
//! turned binary); NUL bytes at the start of a line, as a writer leaves them when it writes on
//! at its old offset after a `copytruncate`, are dropped and the text after them kept.
//!
//! The watch never calls it directly: every file and stream the follower reads goes through
//! one, and the offset it keeps ([`Splitter::consumed`]) is what the saved state records.

use crate::data::access::read::MAX_LINE;

/// One piece of the stream, in order.
#[derive(Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    /// A complete line without its line break (nor a carriage return before it).
    Line {
        /// Byte offset of its first byte.
        offset: u64,
        /// Its bytes.
        text: &'a [u8],
    },
    /// A line longer than [`MAX_LINE`], skipped.
    TooLong {
        /// Byte offset of its first byte.
        offset: u64,
        /// Its length.
        bytes: u64,
    },
    /// Binary data (NUL bytes), skipped.
    Binary {
        /// Byte offset of its first byte.
        offset: u64,
        /// Its length.
        bytes: u64,
    },
}

/// The line cutter of one stream.
#[derive(Debug, Clone)]
pub struct Splitter {
    /// The start of a line whose end has not arrived yet.
    pending: Vec<u8>,
    /// Offset of the first byte not yet handed over or skipped: where reading resumes after a
    /// restart (the start of `pending`, or of the line being skipped).
    consumed: u64,
    /// Offset just after the last byte fed.
    read: u64,
    /// Set while skipping the rest of an over-long line.
    skip: bool,
    /// The longest line handed over.
    max_line: usize,
}

impl Splitter {
    /// A cutter for a stream whose next byte is at `offset`.
    pub fn new(offset: u64) -> Splitter {
        Splitter::with_limit(offset, MAX_LINE)
    }

    /// A cutter with another line length limit (for tests).
    pub fn with_limit(offset: u64, max_line: usize) -> Splitter {
        Splitter {
            pending: Vec::new(),
            consumed: offset,
            read: offset,
            skip: false,
            max_line,
        }
    }

    /// A cutter whose first bytes belong to a line that started before `offset` and is
    /// skipped up to its line break (the line was too long to find its start).
    pub fn skipping(offset: u64) -> Splitter {
        let mut s = Splitter::new(offset);
        s.skip = true;
        s
    }

    /// Offset of the first byte not yet handed over or skipped.
    pub fn consumed(&self) -> u64 {
        self.consumed
    }

    /// Offset just after the last byte fed.
    pub fn read(&self) -> u64 {
        self.read
    }

    /// Cuts `data`, the bytes that follow the ones fed before, handing each finished piece to
    /// `emit`.
    pub fn feed(&mut self, mut data: &[u8], emit: &mut dyn FnMut(Piece<'_>)) {
        while !data.is_empty() {
            if self.skip {
                match memchr::memchr(b'\n', data) {
                    Some(i) => {
                        self.read += i as u64 + 1;
                        emit(self.skipped());
                        self.skip = false;
                        self.consumed = self.read;
                        data = &data[i + 1..];
                        continue;
                    }
                    None => {
                        self.read += data.len() as u64;
                        return;
                    }
                }
            }
            if self.pending.is_empty() {
                let nuls = data.iter().take_while(|&&b| b == 0).count();
                if nuls > 0 {
                    emit(Piece::Binary {
                        offset: self.read,
                        bytes: nuls as u64,
                    });
                    self.read += nuls as u64;
                    self.consumed = self.read;
                    data = &data[nuls..];
                    continue;
                }
            }
            match memchr::memchr(b'\n', data) {
                Some(i) => {
                    let offset = self.consumed;
                    self.read += i as u64 + 1;
                    if self.pending.len() + i > self.max_line {
                        self.pending = Vec::new();
                        emit(self.skipped());
                    } else if self.pending.is_empty() {
                        emit(line(offset, &data[..i]));
                    } else {
                        self.pending.extend_from_slice(&data[..i]);
                        emit(line(offset, &self.pending));
                        self.pending.clear();
                    }
                    self.consumed = self.read;
                    data = &data[i + 1..];
                }
                None => {
                    self.read += data.len() as u64;
                    if self.pending.len() + data.len() > self.max_line {
                        self.pending = Vec::new();
                        self.skip = true;
                    } else {
                        self.pending.extend_from_slice(data);
                    }
                    return;
                }
            }
        }
    }

    /// The stream has ended for good (a rotated file read to its end, a closed pipe): an
    /// unfinished last line is handed over as it is, since no more of it can come.
    pub fn finish(&mut self, emit: &mut dyn FnMut(Piece<'_>)) {
        if self.skip {
            self.skip = false;
            emit(self.skipped());
        } else if !self.pending.is_empty() {
            emit(line(self.consumed, &self.pending));
            self.pending.clear();
        }
        self.consumed = self.read;
    }

    /// The piece for a skipped over-long line that ends at `self.read`.
    fn skipped(&self) -> Piece<'static> {
        Piece::TooLong {
            offset: self.consumed,
            bytes: self.read - self.consumed,
        }
    }
}

/// A complete line: skipped as binary when it holds a NUL byte; a carriage return before the
/// line break is dropped.
fn line(offset: u64, text: &[u8]) -> Piece<'_> {
    if memchr::memchr(0, text).is_some() {
        return Piece::Binary {
            offset,
            bytes: text.len() as u64 + 1,
        };
    }
    let text = text.strip_suffix(b"\r").unwrap_or(text);
    Piece::Line { offset, text }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Owned pieces, for comparing.
    #[derive(Debug, PartialEq, Eq)]
    enum Owned {
        Line(u64, String),
        TooLong(u64, u64),
        Binary(u64, u64),
    }

    fn cut(s: &mut Splitter, data: &[u8], out: &mut Vec<Owned>) {
        s.feed(data, &mut |p| out.push(own(p)));
    }

    fn own(p: Piece<'_>) -> Owned {
        match p {
            Piece::Line { offset, text } => {
                Owned::Line(offset, String::from_utf8_lossy(text).into_owned())
            }
            Piece::TooLong { offset, bytes } => Owned::TooLong(offset, bytes),
            Piece::Binary { offset, bytes } => Owned::Binary(offset, bytes),
        }
    }

    #[test]
    fn a_half_written_line_is_held_until_its_break_arrives_at_any_cut() {
        let data = b"first\r\nsecond line\n\nlast";
        for cut_at in 0..data.len() {
            let mut s = Splitter::new(100);
            let mut out = Vec::new();
            cut(&mut s, &data[..cut_at], &mut out);
            cut(&mut s, &data[cut_at..], &mut out);
            assert_eq!(
                out,
                vec![
                    Owned::Line(100, "first".into()),
                    Owned::Line(107, "second line".into()),
                    Owned::Line(119, String::new()),
                ],
                "cut at {cut_at}"
            );
            assert_eq!(s.consumed(), 120, "the unfinished line is not consumed");
            assert_eq!(s.read(), 124);
            s.finish(&mut |p| out.push(own(p)));
            assert_eq!(out.last(), Some(&Owned::Line(120, "last".into())));
            assert_eq!(s.consumed(), 124);
        }
    }

    #[test]
    fn an_over_long_line_is_skipped_without_being_held() {
        let mut s = Splitter::with_limit(0, 8);
        let mut out = Vec::new();
        cut(&mut s, b"ok\n0123456", &mut out);
        cut(&mut s, b"789abcdef", &mut out);
        assert!(s.pending.is_empty(), "not held");
        cut(&mut s, b"xyz\nnext\n", &mut out);
        assert_eq!(
            out,
            vec![
                Owned::Line(0, "ok".into()),
                Owned::TooLong(3, 20),
                Owned::Line(23, "next".into()),
            ]
        );
    }

    #[test]
    fn an_over_long_line_fed_in_chunks_is_skipped() {
        let mut s = Splitter::with_limit(0, 100);
        let mut out = Vec::new();
        cut(&mut s, b"ok\n", &mut out);
        for _ in 0..5 {
            cut(&mut s, &[b'x'; 40], &mut out);
        }
        cut(&mut s, b"\nnext\n", &mut out);
        // Held up to the limit, and its break in the same piece as the rest of it.
        cut(&mut s, &[b'y'; 60], &mut out);
        let mut rest = vec![b'y'; 41];
        rest.push(b'\n');
        cut(&mut s, &rest, &mut out);
        cut(&mut s, &[b'z'; 100], &mut out);
        cut(&mut s, b"\n", &mut out);
        assert_eq!(
            out,
            vec![
                Owned::Line(0, "ok".into()),
                Owned::TooLong(3, 201),
                Owned::Line(204, "next".into()),
                Owned::TooLong(209, 102),
                Owned::Line(311, "z".repeat(100)),
            ]
        );
    }

    #[test]
    fn binary_lines_are_skipped_and_leading_nuls_dropped() {
        let mut s = Splitter::new(0);
        let mut out = Vec::new();
        cut(&mut s, b"a\0b\n\0\0\0text\nfine\n", &mut out);
        assert_eq!(
            out,
            vec![
                Owned::Binary(0, 4),
                Owned::Binary(4, 3),
                Owned::Line(7, "text".into()),
                Owned::Line(12, "fine".into()),
            ]
        );
        assert_eq!(s.consumed(), 17);
    }
}
