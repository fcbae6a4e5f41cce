//! The input's original cells, for exporting flagged rows exactly as they were written. CSV rows
//! are re-read from the file by byte offset (so a 10-million-row file is not held as text);
//! Parquet cells are rendered from the columns as read (every column, text and bool included);
//! pivoted tables are rendered from the loaded values.

use std::io::{BufReader, Read, Seek, SeekFrom};

use polars::prelude::{AnyValue, Column, TimeUnit};

use super::scan::parse_record;
use super::source::Fingerprint;
use super::{Dataset, LoadError, Source};

/// Where the original cells of each input row can be found.
#[derive(Debug, Clone)]
pub enum OriginalRows {
    /// Delimited text: each input row's byte offset in the source.
    Csv {
        /// The text source (a file is re-opened, never written).
        source: Source,
        /// Field delimiter.
        delimiter: u8,
        /// Header names as written.
        header: Vec<String>,
        /// Byte offset of each input row.
        starts: Vec<u64>,
        /// The source's size and modification time at load.
        fingerprint: Fingerprint,
    },
    /// A table read whole (Parquet): every column as read, rendered cell by cell.
    Columns {
        /// Column names, in file order.
        header: Vec<String>,
        /// The columns as read (indexed by input row).
        columns: Vec<Column>,
    },
    /// No row-for-row text exists (long tables after the pivot, access-log views): cells are
    /// rendered from the dataset's time and values.
    Derived,
}

impl Dataset {
    /// Column names of the original rows.
    pub fn original_header(&self) -> Vec<String> {
        match &self.original {
            OriginalRows::Csv { header, .. } | OriginalRows::Columns { header, .. } => {
                header.clone()
            }
            OriginalRows::Derived => self
                .row_labels
                .iter()
                .map(|l| l.name.clone())
                .chain(self.time.iter().map(|t| t.name.clone()))
                .chain(self.feature_names.iter().cloned())
                .collect(),
        }
    }

    /// The original cells of the given dataset rows (indices into this dataset, not input rows).
    pub fn original_rows(&self, rows: &[usize]) -> Result<Vec<Vec<String>>, LoadError> {
        match &self.original {
            OriginalRows::Derived => Ok(rows.iter().map(|&r| self.rendered_row(r)).collect()),
            OriginalRows::Columns { columns, .. } => Ok(rows
                .iter()
                .map(|&r| {
                    let input_row = self.row_numbers[r];
                    columns.iter().map(|c| cell_text(c, input_row)).collect()
                })
                .collect()),
            OriginalRows::Csv {
                source,
                delimiter,
                starts,
                fingerprint,
                ..
            } => {
                if source.fingerprint()? != *fingerprint {
                    return Err(LoadError::Changed {
                        path: source.path().to_path_buf(),
                    });
                }
                let mut reader = BufReader::new(SeekableSource::open(source)?);
                let mut out = Vec::with_capacity(rows.len());
                for &r in rows {
                    let input_row = self.row_numbers[r];
                    let start = starts[input_row];
                    let end = starts
                        .get(input_row + 1)
                        .copied()
                        .unwrap_or(fingerprint.len);
                    reader
                        .seek(SeekFrom::Start(start))
                        .map_err(|e| LoadError::io(source.path(), e))?;
                    let mut bytes = Vec::with_capacity((end - start) as usize);
                    (&mut reader)
                        .take(end - start)
                        .read_to_end(&mut bytes)
                        .map_err(|e| LoadError::io(source.path(), e))?;
                    let line_end = record_end(&bytes);
                    let cells =
                        parse_record(&bytes[..line_end], *delimiter).map_err(|message| {
                            LoadError::Csv {
                                path: source.path().to_path_buf(),
                                message,
                            }
                        })?;
                    out.push(cells);
                }
                Ok(out)
            }
        }
    }

    /// A row rendered from the loaded values (time as ISO 8601).
    fn rendered_row(&self, r: usize) -> Vec<String> {
        self.row_labels
            .iter()
            .map(|l| l.values[r].clone())
            .chain(self.time.iter().map(|t| t.zone.format_exact(t.millis[r])))
            .chain(self.columns.iter().map(|c| c[r].to_string()))
            .collect()
    }
}

/// The text of one cell of a column as read: text and bool as their values, integers and
/// floats as numbers, dates and times as ISO 8601, a missing cell as empty.
fn cell_text(column: &Column, row: usize) -> String {
    let Ok(value) = column.get(row) else {
        return String::new();
    };
    match value {
        AnyValue::Null => String::new(),
        AnyValue::String(s) => s.to_string(),
        AnyValue::StringOwned(s) => s.to_string(),
        AnyValue::Boolean(b) => b.to_string(),
        AnyValue::Float64(v) => v.to_string(),
        AnyValue::Float32(v) => v.to_string(),
        AnyValue::Int8(v) => v.to_string(),
        AnyValue::Int16(v) => v.to_string(),
        AnyValue::Int32(v) => v.to_string(),
        AnyValue::Int64(v) => v.to_string(),
        AnyValue::UInt8(v) => v.to_string(),
        AnyValue::UInt16(v) => v.to_string(),
        AnyValue::UInt32(v) => v.to_string(),
        AnyValue::UInt64(v) => v.to_string(),
        AnyValue::Date(days) => crate::zone::Zone::Unstated.format(i64::from(days) * 86_400_000),
        AnyValue::Datetime(v, unit, _) | AnyValue::DatetimeOwned(v, unit, _) => {
            crate::zone::Zone::Unstated.format(match unit {
                TimeUnit::Nanoseconds => v.div_euclid(1_000_000),
                TimeUnit::Microseconds => v.div_euclid(1_000),
                TimeUnit::Milliseconds => v,
            })
        }
        other => other.to_string(),
    }
}

/// Where the record starting at the beginning of `bytes` ends: the first line break outside
/// quotes (trailing blank lines up to the next record are not part of it).
fn record_end(bytes: &[u8]) -> usize {
    let mut in_quotes = false;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\n' if !in_quotes => return i,
            _ => {}
        }
    }
    bytes.len()
}

/// A seekable reader over a file or memory source.
enum SeekableSource {
    File(std::fs::File),
    Memory(std::io::Cursor<std::sync::Arc<[u8]>>),
}

impl SeekableSource {
    fn open(source: &Source) -> Result<Self, LoadError> {
        match source {
            Source::File(p) => Ok(SeekableSource::File(
                std::fs::File::open(p).map_err(|e| LoadError::io(p, e))?,
            )),
            Source::Memory { bytes, .. } => {
                Ok(SeekableSource::Memory(std::io::Cursor::new(bytes.clone())))
            }
        }
    }
}

impl Read for SeekableSource {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            SeekableSource::File(f) => f.read(buf),
            SeekableSource::Memory(c) => c.read(buf),
        }
    }
}

impl Seek for SeekableSource {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        match self {
            SeekableSource::File(f) => f.seek(pos),
            SeekableSource::Memory(c) => c.seek(pos),
        }
    }
}
