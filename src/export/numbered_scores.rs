//! The scores file of a table whose rows are numbered (`row,anomaly_score,flagged`), formatted
//! in parallel: the rows are cut into chunks that the cores format at once (zmij and itoa, see
//! [`super::number_text`]), and each batch of chunks is written while the next is formatted.
//! Memory stays bounded (two batches of text), and the bytes are those `csv::Writer` wrote
//! with `to_string()` before: numbers never need quotes, records end with `\n`.

use std::io::Write;

use rayon::prelude::*;

use super::number_text::{as_display, digits, push_f64};

/// Rows formatted by one task.
const CHUNK_ROWS: usize = 32 * 1024;
/// Chunks per batch and thread: batches long enough to keep the cores busy while one writes.
const CHUNKS_PER_THREAD: usize = 4;

/// Writes the header and one line per row (as many as the shortest of the three slices).
pub(super) fn write<W: Write + Send>(
    out: &mut W,
    rows: &[usize],
    scores: &[f64],
    flags: &[bool],
) -> std::io::Result<()> {
    out.write_all(b"row,anomaly_score,flagged\n")?;
    let n = rows.len().min(scores.len()).min(flags.len());
    let chunks = CHUNKS_PER_THREAD * rayon::current_num_threads().max(1);
    let batch = CHUNK_ROWS * chunks;
    let mut ready: Vec<Text> = (0..chunks).map(|_| Text::default()).collect();
    let mut next: Vec<Text> = (0..chunks).map(|_| Text::default()).collect();
    let format = |buffers: &mut [Text], start: usize| {
        buffers.par_iter_mut().enumerate().for_each(|(i, buf)| {
            buf.clear();
            let from = (start + i * CHUNK_ROWS).min(n);
            let to = (from + CHUNK_ROWS).min(n);
            for first in (from..to).step_by(GROUP) {
                push_group(buf, first..(first + GROUP).min(to), rows, scores, flags);
            }
        });
    };
    format(&mut ready, 0);
    let mut start = 0;
    while start < n {
        start += batch;
        let (written, ()) = rayon::join(
            || ready.iter().try_for_each(|b| out.write_all(b.as_bytes())),
            || format(&mut next, start),
        );
        written?;
        std::mem::swap(&mut ready, &mut next);
    }
    Ok(())
}

/// Rows spelled together by [`push_group`].
const GROUP: usize = 8;

/// The longest line of a row whose score [`as_display`] spells: a row number (at most 20
/// digits), a score (at most 24 bytes), the flag and three separators.
const LONGEST_LINE: usize = 20 + 24 + 5;

/// A chunk's text, written in place. The bytes keep their length from one batch to the next
/// (grown, never shrunk, so never zeroed again); `len` is what the current batch wrote. Each
/// number's few bytes are placed by fixed-size moves the compiler inlines, where appending
/// them to a `Vec` called `memmove` twice a row (a fifth of the formatting's time, by `perf`).
#[derive(Default)]
struct Text {
    bytes: Vec<u8>,
    len: usize,
}

impl Text {
    fn clear(&mut self) {
        self.len = 0;
    }

    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// Makes room for `n` more bytes.
    #[inline]
    fn room(&mut self, n: usize) {
        if self.len + n > self.bytes.len() {
            let size = (self.len + n).max(2 * self.bytes.len()).max(4096);
            self.bytes.resize(size, 0);
        }
    }

    /// Appends `text`, for which there is room: up to 32 bytes by two overlapping fixed-size
    /// moves, longer ones (only the rare spellings of [`push_f64`]) by a plain copy.
    #[inline(always)]
    fn put(&mut self, text: &[u8]) {
        let (n, at) = (text.len(), self.len);
        let bytes = &mut self.bytes;
        if n > 32 {
            bytes[at..at + n].copy_from_slice(text);
        } else if n >= 16 {
            bytes[at..at + 16].copy_from_slice(&text[..16]);
            bytes[at + n - 16..at + n].copy_from_slice(&text[n - 16..]);
        } else if n >= 8 {
            bytes[at..at + 8].copy_from_slice(&text[..8]);
            bytes[at + n - 8..at + n].copy_from_slice(&text[n - 8..]);
        } else if n >= 4 {
            bytes[at..at + 4].copy_from_slice(&text[..4]);
            bytes[at + n - 4..at + n].copy_from_slice(&text[n - 4..]);
        } else {
            for (i, &b) in text.iter().enumerate() {
                bytes[at + i] = b;
            }
        }
        self.len += n;
    }
}

/// Appends the lines of `range`'s rows: first every number of the group is spelled into its
/// own buffer, then the texts are read and copied. A text read right after it is written waits
/// for the digits' stores to reach the cache (the copy's wide loads cannot take them from the
/// narrower stores): spelled one row at a time, that wait was two-fifths of the formatting's
/// time, by `perf`.
fn push_group(
    out: &mut Text,
    range: std::ops::Range<usize>,
    rows: &[usize],
    scores: &[f64],
    flags: &[bool],
) {
    let mut numbers: [itoa::Buffer; GROUP] = std::array::from_fn(|_| itoa::Buffer::new());
    let mut values: [zmij::Buffer; GROUP] = std::array::from_fn(|_| zmij::Buffer::new());
    let mut row_text: [&[u8]; GROUP] = [&[]; GROUP];
    let mut score_text: [Option<&[u8]>; GROUP] = [None; GROUP];
    let spelled = numbers
        .iter_mut()
        .zip(values.iter_mut())
        .zip(row_text.iter_mut().zip(score_text.iter_mut()));
    for (r, ((number, value), (row, score))) in range.clone().zip(spelled) {
        *row = number.format(rows[r]).as_bytes();
        *score = digits(scores[r], value);
    }
    out.room(GROUP * LONGEST_LINE);
    for (j, r) in range.enumerate() {
        out.put(row_text[j]);
        out.put(b",");
        match score_text[j].and_then(|text| as_display(scores[r], text)) {
            Some(text) => out.put(text),
            None => {
                // Rare: spelled by the standard library, or its digits placed.
                let mut text = Vec::new();
                push_f64(&mut text, scores[r]);
                out.room(text.len() + (GROUP - j) * LONGEST_LINE);
                out.put(&text);
            }
        }
        out.put(if flags[r] { b",1\n" } else { b",0\n" });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `csv::Writer` wrote with `to_string()` before.
    fn reference(rows: &[usize], scores: &[f64], flags: &[bool]) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(["row", "anomaly_score", "flagged"])
            .expect("header");
        for ((row, score), flag) in rows.iter().zip(scores).zip(flags) {
            w.write_record([
                row.to_string(),
                score.to_string(),
                u8::from(*flag).to_string(),
            ])
            .expect("record");
        }
        w.into_inner().expect("flush")
    }

    #[test]
    fn equals_the_csv_writer_across_chunk_and_batch_edges() {
        let batch = CHUNK_ROWS * CHUNKS_PER_THREAD * rayon::current_num_threads().max(1);
        for n in [
            0,
            1,
            CHUNK_ROWS - 1,
            CHUNK_ROWS,
            CHUNK_ROWS + 1,
            batch,
            batch + 3,
        ] {
            let rows: Vec<usize> = (0..n).map(|i| i * 3 + 1).collect();
            let scores: Vec<f64> = (0..n)
                .map(|i| match i % 5 {
                    0 => 1.0 / (i as f64 + 1.0),
                    1 => -(i as f64) * 1e-9,
                    2 => f64::NAN,
                    3 => 1e20 * i as f64,
                    _ => 0.5,
                })
                .collect();
            let flags: Vec<bool> = (0..n).map(|i| i % 3 == 0).collect();
            let mut got = Vec::new();
            write(&mut got, &rows, &scores, &flags).expect("write");
            assert!(got == reference(&rows, &scores, &flags), "{n} rows");
        }
    }
}
