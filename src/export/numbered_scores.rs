//! The scores file of a table whose rows are numbered (`row,anomaly_score,flagged`), formatted
//! in parallel: the rows are cut into chunks that the cores format at once (zmij and itoa, see
//! [`super::number_text`]), and each batch of chunks is written while the next is formatted.
//! Memory stays bounded (two batches of text), and the bytes are those `csv::Writer` wrote
//! with `to_string()` before: numbers never need quotes, records end with `\n`.

use std::io::Write;

use rayon::prelude::*;

use super::number_text::{push_f64, push_usize};

/// Rows formatted by one task.
const CHUNK_ROWS: usize = 16 * 1024;
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
    let mut ready: Vec<Vec<u8>> = vec![Vec::new(); chunks];
    let mut next: Vec<Vec<u8>> = vec![Vec::new(); chunks];
    let format = |buffers: &mut [Vec<u8>], start: usize| {
        buffers.par_iter_mut().enumerate().for_each(|(i, buf)| {
            buf.clear();
            let from = (start + i * CHUNK_ROWS).min(n);
            let to = (from + CHUNK_ROWS).min(n);
            for r in from..to {
                push_usize(buf, rows[r]);
                buf.push(b',');
                push_f64(buf, scores[r]);
                buf.extend_from_slice(if flags[r] { b",1\n" } else { b",0\n" });
            }
        });
    };
    format(&mut ready, 0);
    let mut start = 0;
    while start < n {
        start += batch;
        let (written, ()) = rayon::join(
            || ready.iter().try_for_each(|b| out.write_all(b)),
            || format(&mut next, start),
        );
        written?;
        std::mem::swap(&mut ready, &mut next);
    }
    Ok(())
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
