//! The files TrafficLens writes about a detection run, shared by the command line and the GUI:
//! the scores of every analysed row, and the flagged rows with their original cells. Both are
//! written atomically, formula-safe, and streamed in chunks so memory stays bounded.

use std::path::Path;

use super::{neutralise, ExportError, OutputPlan, Target};
use crate::data::Dataset;

/// Rows read back from the input per chunk while exporting.
const CHUNK: usize = 8192;

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// Writing failed.
    #[error(transparent)]
    Export(#[from] ExportError),
    /// The original rows could not be read back.
    #[error(transparent)]
    Input(#[from] crate::data::LoadError),
    /// The input's connections are not lines of it (a capture's packets, flow records joined in
    /// pairs), so they cannot be copied as lines.
    #[error("{}: the lines of flagged hosts can be exported from a Zeek conn.log; this file's connections were assembled from {what}, which are not copied (export the flagged rows instead)", path.display())]
    NotLines {
        /// The input.
        path: std::path::PathBuf,
        /// What its connections were made from ("packets", "flow records").
        what: &'static str,
    },
}

/// The operating-system error inside a CSV writer's error (so that, for example, a closed pipe
/// stays recognisable), or the error itself.
fn io_error(e: csv::Error) -> std::io::Error {
    let kind = match e.kind() {
        csv::ErrorKind::Io(io) => io.kind(),
        _ => std::io::ErrorKind::Other,
    };
    std::io::Error::new(kind, e)
}

/// Writes `row,anomaly_score,flagged` for every analysed row: `row` is the 0-based data row of
/// the input file, the score is the project's (higher = more anomalous), `flagged` is 1 or 0.
/// When rows are named (the client view of a log), the first column is the name instead, under
/// its own header (`client,anomaly_score,flagged`); names are made formula-safe.
pub fn write_scores(
    path: &Path,
    overwrite: bool,
    ds: &Dataset,
    scores: &[f64],
    flags: &[bool],
) -> Result<(), TableError> {
    let target = OutputPlan::new(&ds.input_files(), overwrite).file(path)?;
    write_scores_to(&target, ds, scores, flags)
}

/// [`write_scores`] to an output checked by an [`OutputPlan`] (a file or standard output).
pub fn write_scores_to(
    target: &Target,
    ds: &Dataset,
    scores: &[f64],
    flags: &[bool],
) -> Result<(), TableError> {
    let mut file = target.open()?;
    let Some(labels) = &ds.row_labels else {
        // Numbered rows: formatted in parallel, the same bytes as the CSV writer below.
        let result = super::numbered_scores::write(&mut file, &ds.row_numbers, scores, flags);
        result.map_err(|e| file.error(e))?;
        file.commit()?;
        return Ok(());
    };
    let mut w = csv::Writer::from_writer(&mut file);
    let result = (|| -> csv::Result<()> {
        w.write_record([
            neutralise(&labels.name).as_ref(),
            "anomaly_score",
            "flagged",
        ])?;
        for ((&row, score), flag) in ds.row_numbers.iter().zip(scores).zip(flags) {
            let label = labels.values.get(row).map_or("", String::as_str);
            w.write_record([
                neutralise(label).into_owned(),
                score.to_string(),
                u8::from(*flag).to_string(),
            ])?;
        }
        w.flush()?;
        Ok(())
    })();
    drop(w);
    result.map_err(|e| file.error(io_error(e)))?;
    file.commit()?;
    Ok(())
}

/// Writes the given dataset rows with all their original columns as they were in the input,
/// plus `anomaly_score` and `top_feature` (given per row, like the scores), and `explanation`
/// when explanations are given, sorted by time when there is a time column. Every cell is made
/// formula-safe.
pub fn write_flagged(
    path: &Path,
    overwrite: bool,
    ds: &Dataset,
    rows: &[usize],
    scores: &[f64],
    top_features: &[String],
    explanations: Option<&[String]>,
) -> Result<(), TableError> {
    let target = OutputPlan::new(&ds.input_files(), overwrite).file(path)?;
    write_flagged_to(&target, ds, rows, scores, top_features, explanations)
}

/// [`write_flagged`] to an output checked by an [`OutputPlan`] (a file or standard output).
pub fn write_flagged_to(
    target: &Target,
    ds: &Dataset,
    rows: &[usize],
    scores: &[f64],
    top_features: &[String],
    explanations: Option<&[String]>,
) -> Result<(), TableError> {
    let mut order: Vec<usize> = (0..rows.len()).collect();
    if let Some(t) = &ds.time {
        order.sort_by_key(|&i| (t.millis[rows[i]], rows[i]));
    }
    let mut file = target.open()?;
    let mut w = csv::Writer::from_writer(&mut file);
    let mut header: Vec<String> = ds.original_header();
    header.push("anomaly_score".into());
    header.push("top_feature".into());
    if explanations.is_some() {
        header.push("explanation".into());
    }
    let mut write = || -> Result<(), TableError> {
        let io = |e: csv::Error| {
            TableError::Export(ExportError::Io {
                path: target.path().to_path_buf(),
                source: io_error(e),
            })
        };
        let safe: Vec<_> = header.iter().map(|h| neutralise(h)).collect();
        w.write_record(safe.iter().map(|c| c.as_bytes()))
            .map_err(io)?;
        for chunk in order.chunks(CHUNK) {
            let chunk_rows: Vec<usize> = chunk.iter().map(|&i| rows[i]).collect();
            let cells = ds.original_rows(&chunk_rows)?;
            for (&i, mut record) in chunk.iter().zip(cells) {
                record.push(scores[i].to_string());
                record.push(top_features[i].clone());
                if let Some(e) = explanations {
                    record.push(e.get(i).cloned().unwrap_or_default());
                }
                let safe: Vec<_> = record.iter().map(|c| neutralise(c)).collect();
                w.write_record(safe.iter().map(|c| c.as_bytes()))
                    .map_err(io)?;
            }
        }
        w.flush().map_err(|e| io(e.into()))?;
        Ok(())
    };
    let result = write();
    drop(w);
    result?;
    file.commit()?;
    Ok(())
}
