//! Reading delimited text with polars, after the scan has checked the shape of every row.

use std::io::Cursor;

use polars::prelude::*;

use super::header::{check_header_is_not_data, NULL_VALUES};
use super::scan::{scan_with, RecordIndex};
use crate::control::Control;
use crate::data::table::{raw_column, Locator, RawColumn, Reader, Table};
use crate::data::{LoadError, Source};

/// How many rows polars looks at to choose column types before parsing everything.
const INFER_ROWS: usize = 10_000;

/// Reads a CSV source into a raw table: with the parallel fast reader when the file is plain
/// (no quotes, no decimal commas, every row regular), otherwise with polars. Both check
/// `control`'s cancel flag and report progress (see [`read_with_polars`] for polars).
pub fn read(
    source: &Source,
    delimiter: u8,
    bom_len: usize,
    decimal_comma: bool,
    options: &crate::data::LoadOptions,
    control: Control<'_>,
) -> Result<Table, LoadError> {
    if options.csv_engine == CsvEngine::Auto && !decimal_comma {
        if let Some(table) =
            super::read_fast::try_read(source, delimiter, bom_len, options, control)?
        {
            return Ok(table);
        }
    }
    read_with_polars(source, delimiter, bom_len, decimal_comma, control)
}

/// Which CSV reader to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum CsvEngine {
    /// The fast reader for plain files, polars for everything else.
    #[default]
    Auto,
    /// Always polars (slower on large plain files; the same results).
    Polars,
}

/// Reads a CSV source with polars after a scan that checks every row's shape. The scan checks
/// the cancel flag and reports progress (the first half) block by block; polars' own read
/// cannot be interrupted or followed, so the flag is checked before and after it and the
/// progress moves from one half to the end when it is done.
fn read_with_polars(
    source: &Source,
    delimiter: u8,
    bom_len: usize,
    decimal_comma: bool,
    control: Control<'_>,
) -> Result<Table, LoadError> {
    let index = control.stage(0.0, 0.5, |c| scan_with(source, delimiter, bom_len, c))?;
    check_header_is_not_data(source, &index.header)?;
    let cancelled = || {
        if control.cancelled() {
            Err(LoadError::Cancelled)
        } else {
            Ok(())
        }
    };
    cancelled()?;
    let df = match polars_read(source, delimiter, decimal_comma, Some(INFER_ROWS)) {
        Ok(df) => df,
        // The types guessed from the first rows did not hold for a later row: read everything
        // as text, so the column checks can name the row that breaks the pattern.
        Err(_) => {
            cancelled()?;
            polars_read(source, delimiter, decimal_comma, Some(0)).map_err(|e| LoadError::Csv {
                path: source.path().to_path_buf(),
                message: e.to_string(),
            })?
        }
    };
    let df = drop_blank_rows(df, &index).map_err(|e| LoadError::Csv {
        path: source.path().to_path_buf(),
        message: e.to_string(),
    })?;
    if df.height() != index.starts.len() || df.width() != index.header.len() {
        return Err(LoadError::Csv {
            path: source.path().to_path_buf(),
            message: format!(
                "read {} rows x {} columns, but the file has {} rows x {} columns",
                df.height(),
                df.width(),
                index.starts.len(),
                index.header.len()
            ),
        });
    }
    cancelled()?;
    control.report(1.0);
    let rows = df.height();
    let columns = df
        .into_columns()
        .into_iter()
        .map(raw_column)
        .collect::<Result<Vec<RawColumn>, _>>()
        .map_err(|e| LoadError::Csv {
            path: source.path().to_path_buf(),
            message: e.to_string(),
        })?;
    Ok(Table {
        names: index.header.clone(),
        columns,
        rows,
        reader: Reader::PolarsCsv,
        locator: Locator::Csv {
            source: source.clone(),
            starts: index.starts,
            delimiter,
            header: index.header,
        },
    })
}

/// Removes the empty rows that polars makes of blank lines (the scan does not count them).
fn drop_blank_rows(df: DataFrame, index: &RecordIndex) -> PolarsResult<DataFrame> {
    if index.blank_rows.is_empty() || df.height() != index.starts.len() + index.blank_rows.len() {
        return Ok(df);
    }
    let mut keep = vec![true; df.height()];
    for &r in &index.blank_rows {
        keep[r] = false;
    }
    let mask = BooleanChunked::from_slice("keep".into(), &keep);
    df.filter(&mask)
}

/// Runs polars' CSV reader on the source.
fn polars_read(
    source: &Source,
    delimiter: u8,
    decimal_comma: bool,
    infer: Option<usize>,
) -> PolarsResult<DataFrame> {
    let nulls = NullValues::AllColumns(NULL_VALUES.iter().map(|s| PlSmallStr::from(*s)).collect());
    let options = CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(infer)
        .with_raise_if_empty(false)
        .map_parse_options(|p| {
            p.with_separator(delimiter)
                .with_quote_char(Some(b'"'))
                .with_null_values(Some(nulls.clone()))
                .with_decimal_comma(decimal_comma)
                .with_truncate_ragged_lines(false)
                .with_try_parse_dates(false)
        });
    match source {
        Source::File(path) => {
            let file = std::fs::File::open(path)?;
            options.into_reader_with_file_handle(file).finish()
        }
        Source::Memory { bytes, .. } => options
            .into_reader_with_file_handle(Cursor::new(bytes.to_vec()))
            .finish(),
    }
}
