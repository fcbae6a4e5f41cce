//! Following a stream that is not a file: standard input (`-`, fed by a pipe such as
//! `kcat -C -t weblogs | trafficlens watch -`) or any reader. A thread reads it as data comes,
//! cuts it into lines with the same rules as files, and hands batches of lines to the follower
//! through a bounded channel (a full channel makes the thread wait, which slows the writer of
//! the pipe rather than holding unbounded data). A stream has no position to save: after a
//! restart it goes on with what arrives next.

use std::io::Read;
use std::sync::mpsc::SyncSender;

use super::lines::{Piece, Splitter};

/// Batches waiting in the channel (each holds at most one read of 64 KiB).
pub const QUEUE: usize = 64;

/// A piece of a batch, its line text held in the batch's buffer.
#[derive(Debug, Clone, Copy)]
pub enum BatchPiece {
    /// A line: its offset in the stream and its place in the batch's buffer.
    Line {
        /// Byte offset in the stream.
        offset: u64,
        /// Start in the buffer.
        start: usize,
        /// End in the buffer.
        end: usize,
    },
    /// A skipped over-long line.
    TooLong {
        /// Byte offset in the stream.
        offset: u64,
        /// Its length.
        bytes: u64,
    },
    /// Skipped binary data.
    Binary {
        /// Byte offset in the stream.
        offset: u64,
        /// Its length.
        bytes: u64,
    },
}

/// What a stream's thread sends.
pub enum Message {
    /// Lines read.
    Batch {
        /// The stream (its index among the follower's sources).
        source: usize,
        /// The line texts, one after another.
        data: Vec<u8>,
        /// The pieces, in order.
        pieces: Vec<BatchPiece>,
    },
    /// The stream ended: at its end, or on a read error (its text).
    Ended {
        /// The stream.
        source: usize,
        /// The error, if it was one.
        error: Option<String>,
    },
}

/// Starts the thread that reads `reader` for the source numbered `source`.
pub fn spawn(
    source: usize,
    mut reader: Box<dyn Read + Send>,
    tx: SyncSender<Message>,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name(format!("follow-stream-{source}"))
        .spawn(move || {
            let mut split = Splitter::new(0);
            let mut buf = vec![0u8; 64 << 10];
            loop {
                let n = match reader.read(&mut buf) {
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        let _ = tx.send(Message::Ended {
                            source,
                            error: Some(e.to_string()),
                        });
                        return;
                    }
                };
                let mut data = Vec::new();
                let mut pieces = Vec::new();
                let mut collect = |p: Piece<'_>| pieces.push(own(p, &mut data));
                if n == 0 {
                    split.finish(&mut collect);
                } else {
                    split.feed(&buf[..n], &mut collect);
                }
                if !pieces.is_empty()
                    && tx
                        .send(Message::Batch {
                            source,
                            data,
                            pieces,
                        })
                        .is_err()
                {
                    return; // The follower is gone.
                }
                if n == 0 {
                    let _ = tx.send(Message::Ended {
                        source,
                        error: None,
                    });
                    return;
                }
            }
        })
        .map(|_| ())
}

/// A piece kept in a batch.
fn own(piece: Piece<'_>, data: &mut Vec<u8>) -> BatchPiece {
    match piece {
        Piece::Line { offset, text } => {
            let start = data.len();
            data.extend_from_slice(text);
            BatchPiece::Line {
                offset,
                start,
                end: data.len(),
            }
        }
        Piece::TooLong { offset, bytes } => BatchPiece::TooLong { offset, bytes },
        Piece::Binary { offset, bytes } => BatchPiece::Binary { offset, bytes },
    }
}
