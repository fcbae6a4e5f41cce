//! The raw table that a reader produces: column names, columns as numbers or text, and a way to
//! turn a row index back into a line of the file for error messages.

use polars::prelude::{Column, DataType};

use super::scan::line_of_offset;
use super::text_column::TextColumn;
use super::time::NO_TIME;
use super::Source;

/// One column as read: numbers (NaN where empty) or text kept in polars' compact form.
pub enum RawColumn {
    /// Numeric values; NaN marks a missing cell.
    Numeric(Vec<f64>),
    /// Text values.
    Text(TextColumn),
    /// Epoch milliseconds from a native date or datetime column (Parquet), or ISO times read
    /// while reading (the fast CSV reader), the clock they are shown on and where its offset
    /// changed.
    Time(Vec<i64>, crate::zone::Zone, crate::clock::LocalClock),
}

/// A table straight from a reader.
pub struct Table {
    /// Column names, in file order.
    pub names: Vec<String>,
    /// Columns, in file order.
    pub columns: Vec<RawColumn>,
    /// Number of data rows.
    pub rows: usize,
    /// How to find the line of a row.
    pub locator: Locator,
    /// Which reader produced the table.
    pub reader: Reader,
}

/// The reader that produced a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Reader {
    /// The parallel reader for plain delimited text.
    FastCsv,
    /// polars' CSV reader.
    PolarsCsv,
    /// polars' Parquet reader.
    PolarsParquet,
    /// The access-log reader.
    AccessLog,
    /// The Zeek connection-log reader.
    ZeekConn,
    /// The packet-capture reader (pcap, pcapng), packets assembled into flows.
    Capture,
    /// The flow-record reader (nfdump CSV, Argus CSV).
    FlowRecords,
}

/// Maps data rows back to lines of the file.
pub enum Locator {
    /// Delimited text: the byte offset where each row starts.
    Csv {
        /// The text source.
        source: Source,
        /// Start offset per row.
        starts: Vec<u64>,
        /// The field delimiter.
        delimiter: u8,
        /// The header's column names.
        header: Vec<String>,
    },
    /// A format without lines: row `r` is reported as line `r + 1`.
    Rows,
    /// A table read whole (Parquet): row `r` is reported as line `r + 1`, and the columns as
    /// read are kept (they share polars' buffers) for exporting the original cells.
    Columns {
        /// Column names, in file order.
        header: Vec<String>,
        /// The columns as read, in file order.
        columns: Vec<Column>,
    },
}

impl Locator {
    /// The 1-based line of data row `row` (for Parquet, the 1-based row).
    pub fn line(&self, row: usize) -> u64 {
        match self {
            Locator::Csv { source, starts, .. } => starts
                .get(row)
                .map_or(0, |&offset| line_of_offset(source, offset)),
            Locator::Rows | Locator::Columns { .. } => row as u64 + 1,
        }
    }
}

/// Converts a polars column into a raw column: numbers become `f64`, dates epoch milliseconds,
/// everything else text.
pub fn raw_column(column: Column) -> Result<RawColumn, polars::error::PolarsError> {
    let dtype = column.dtype().clone();
    if dtype.is_primitive_numeric() {
        let cast = column.cast(&DataType::Float64)?;
        let ca = cast.f64()?;
        let values: Vec<f64> = if ca.null_count() == 0 {
            ca.into_no_null_iter().collect()
        } else {
            ca.iter().map(|v| v.unwrap_or(f64::NAN)).collect()
        };
        return Ok(RawColumn::Numeric(values));
    }
    match dtype {
        DataType::Date => {
            let days = column.cast(&DataType::Int32)?;
            let ca = days.i32()?;
            Ok(RawColumn::Time(
                ca.iter()
                    .map(|d| d.map_or(NO_TIME, |d| i64::from(d) * 86_400_000))
                    .collect(),
                crate::zone::Zone::Unstated,
                crate::clock::LocalClock::default(),
            ))
        }
        DataType::Datetime(unit, _) => {
            let raw = column.cast(&DataType::Int64)?;
            let ca = raw.i64()?;
            let to_ms = |v: i64| match unit {
                polars::prelude::TimeUnit::Nanoseconds => v / 1_000_000,
                polars::prelude::TimeUnit::Microseconds => v / 1_000,
                polars::prelude::TimeUnit::Milliseconds => v,
            };
            Ok(RawColumn::Time(
                ca.iter().map(|v| v.map_or(NO_TIME, to_ms)).collect(),
                // Parquet keeps instants in UTC (a zone name in the schema is for display, and
                // may be a region with changing offsets): shown in UTC.
                crate::zone::Zone::Unstated,
                crate::clock::LocalClock::default(),
            ))
        }
        DataType::String => Ok(RawColumn::Text(column.str()?.iter().collect())),
        _ => {
            let text = column.cast(&DataType::String)?;
            Ok(RawColumn::Text(text.str()?.iter().collect()))
        }
    }
}
