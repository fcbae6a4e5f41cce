//! A table's rows one line at a time, for following a CSV that grows by appended rows
//! (`trafficlens watch table.csv`): the columns are decided once from the table's first lines by
//! the batch reader itself (delimiter, decimal comma, time column and its format, numeric
//! columns), so a followed table is read exactly as `trafficlens detect` reads it; every later
//! line is split with the same record parser and its cells read with the same number and time
//! parsers.

use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::read_fast::{parse_number, Cell};
use super::scan::{parse_header, parse_record};
use crate::data::time::{parse_value_zoned, TimeFormat};
use crate::data::{FileKind, Layout, LoadOptions};

/// What a followed table's line is.
#[derive(Debug, Clone, PartialEq)]
pub enum TableLine {
    /// A data row: its time (epoch milliseconds) and one value per feature, in
    /// [`TableRows::features`] order.
    Row {
        /// The row's time.
        time_ms: i64,
        /// The UTC offset its time was written with, in minutes east (0 for a time written
        /// without a zone, which is UTC; `None` for epoch numbers).
        offset: Option<i16>,
        /// The feature values.
        values: Vec<f64>,
    },
    /// A row with a missing value (left out, as `detect` leaves it out by default).
    Missing {
        /// The feature whose cell is missing (or `None` for the time).
        column: String,
    },
    /// The header line again (a rotated table starts with it): not data.
    Header,
    /// A blank line.
    Blank,
}

/// How a followed table's lines are read: decided once from its first lines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableRows {
    delimiter: u8,
    decimal_comma: bool,
    /// The header's column names.
    header: Vec<String>,
    /// The time column's position and format.
    time: usize,
    time_format: TimeFormat,
    /// The numeric columns' positions, in feature order.
    columns: Vec<usize>,
    /// The feature names.
    features: Vec<String>,
}

impl TableRows {
    /// Decides the columns from a table's first lines `head` (its header line first, then at
    /// least two data rows) by reading them with the batch reader; `name` is the source's name
    /// in messages, `time_column` the user's choice of time column. `Ok(None)` when `head` is a
    /// table but too short to decide (wait for more lines); `Err` with the reason when it is
    /// not a table that can be followed.
    pub fn from_head(
        name: &str,
        head: &[u8],
        time_column: Option<&str>,
    ) -> Result<Option<TableRows>, String> {
        let options = LoadOptions {
            layout: Layout::Wide,
            time_column: time_column.map(str::to_string),
            ..LoadOptions::default()
        };
        let kind = crate::data::formats::sniff::sniff(
            &crate::data::Source::Memory {
                name: Path::new(name).to_path_buf(),
                bytes: Arc::from(head),
            },
            false,
        )
        .map_err(|e| e.to_string())?;
        let FileKind::Csv {
            delimiter,
            bom_len,
            decimal_comma,
        } = kind
        else {
            return Err(format!("{kind:?} is not a delimited table"));
        };
        let data_lines = head
            .split(|&b| b == b'\n')
            .skip(1)
            .filter(|l| !l.trim_ascii().is_empty())
            .count();
        if data_lines < 2 {
            return Ok(None);
        }
        let ds =
            crate::data::load_bytes(name, Arc::from(head), &options).map_err(|e| e.to_string())?;
        let Some(time) = &ds.time else {
            return Err("it has no time column, which the seasonal baseline needs (name it with --time-column)".into());
        };
        if ds.feature_names.is_empty() {
            return Err("it has no numeric column to watch".into());
        }
        let first = head[bom_len.min(head.len())..]
            .split(|&b| b == b'\n')
            .next()
            .unwrap_or_default();
        let header = parse_header(first, delimiter, Path::new(name)).map_err(|e| e.to_string())?;
        let position = |column: &str| {
            header
                .iter()
                .position(|h| h == column)
                .ok_or_else(|| format!("its column `{column}` is not in its header line"))
        };
        let columns = ds
            .feature_names
            .iter()
            .map(|f| position(f))
            .collect::<Result<Vec<usize>, String>>()?;
        Ok(Some(TableRows {
            delimiter,
            decimal_comma,
            time: position(&time.name)?,
            time_format: time.format,
            header,
            columns,
            features: ds.feature_names.clone(),
        }))
    }

    /// The feature names, in the order of a row's values.
    pub fn features(&self) -> &[String] {
        &self.features
    }

    /// The time column's name.
    pub fn time_column(&self) -> &str {
        &self.header[self.time]
    }

    /// Reads one line (without its line break); `Err` says why it is malformed.
    pub fn line(&self, text: &[u8]) -> Result<TableLine, String> {
        if text.trim_ascii().is_empty() {
            return Ok(TableLine::Blank);
        }
        let text = text.strip_prefix(b"\xef\xbb\xbf").unwrap_or(text);
        let cells = parse_record(text, self.delimiter)?;
        if cells.len() == self.header.len()
            && cells.iter().zip(&self.header).all(|(c, h)| c.trim() == h)
        {
            return Ok(TableLine::Header);
        }
        if cells.len() != self.header.len() {
            return Err(format!(
                "{} fields where the header has {}",
                cells.len(),
                self.header.len()
            ));
        }
        let time_cell = cells[self.time].trim();
        if super::NULL_VALUES.contains(&time_cell) {
            return Ok(TableLine::Missing {
                column: self.header[self.time].clone(),
            });
        }
        let Some((time_ms, offset)) = parse_value_zoned(time_cell, self.time_format) else {
            return Err(format!(
                "`{}` in column `{}` is not a time in {}",
                time_cell, self.header[self.time], self.time_format
            ));
        };
        let mut values = Vec::with_capacity(self.columns.len());
        for (&c, name) in self.columns.iter().zip(&self.features) {
            let cell = cells[c].as_bytes();
            let swapped;
            let cell = if self.decimal_comma {
                swapped = cell
                    .iter()
                    .map(|&b| if b == b',' { b'.' } else { b })
                    .collect::<Vec<u8>>();
                &swapped[..]
            } else {
                cell
            };
            match parse_number(cell) {
                Cell::Number(v) => values.push(v),
                Cell::Missing => {
                    return Ok(TableLine::Missing {
                        column: name.clone(),
                    })
                }
                Cell::Text => {
                    return Err(format!("`{}` in column `{name}` is not a number", cells[c]))
                }
            }
        }
        // A time written without a zone is UTC (offset 0), as the batch reader takes it; epoch
        // numbers have no offset at all.
        let offset = match self.time_format {
            TimeFormat::EpochSeconds | TimeFormat::EpochMillis => None,
            _ => Some(offset.and_then(|m| i16::try_from(m).ok()).unwrap_or(0)),
        };
        Ok(TableLine::Row {
            time_ms,
            offset,
            values,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &[u8] = b"Date,Region 1,Note,Region 2\n01/03/2021,10,a,20.5\n02/03/2021,11,b,21\n";

    #[test]
    fn a_table_head_decides_the_columns_and_later_lines_read_the_same_way() {
        let rows = TableRows::from_head("t.csv", HEAD, None)
            .expect("a table")
            .expect("decided");
        assert_eq!(rows.features(), ["Region 1", "Region 2"]);
        assert_eq!(rows.time_column(), "Date");
        // Day first, as the batch reader read the head.
        assert_eq!(
            rows.line(b"13/03/2021,12,c,22.25").expect("row"),
            TableLine::Row {
                time_ms: 1_615_593_600_000,
                offset: Some(0),
                values: vec![12.0, 22.25]
            }
        );
        // A time written with an offset says so.
        let zoned = TableRows::from_head(
            "t.csv",
            b"t,a\n2021-11-07T01:00:00-04:00,1\n2021-11-07T01:00:00-05:00,2\n",
            None,
        )
        .expect("a table")
        .expect("decided");
        assert_eq!(
            zoned.line(b"2021-11-07T02:00:00-05:00,3").expect("row"),
            TableLine::Row {
                time_ms: 1_636_268_400_000,
                offset: Some(-300),
                values: vec![3.0]
            }
        );
        assert_eq!(
            rows.line(b"Date,Region 1,Note,Region 2").expect("header"),
            TableLine::Header
        );
        assert_eq!(rows.line(b"  ").expect("blank"), TableLine::Blank);
        assert_eq!(
            rows.line(b"14/03/2021,NA,c,1").expect("missing"),
            TableLine::Missing {
                column: "Region 1".into()
            }
        );
        let e = rows.line(b"14/03/2021,x,c,1").expect_err("text");
        assert!(
            e.contains("`x` in column `Region 1` is not a number"),
            "{e}"
        );
        let e = rows.line(b"14/03/2021,1").expect_err("short");
        assert!(e.contains("2 fields where the header has 4"), "{e}");
        let e = rows.line(b"yesterday,1,c,2").expect_err("time");
        assert!(e.contains("not a time"), "{e}");
    }

    #[test]
    fn a_head_of_one_row_waits_and_a_table_without_time_is_refused() {
        assert_eq!(
            TableRows::from_head("t.csv", b"Date,a\n2021-03-01,1\n", None),
            Ok(None)
        );
        let e = TableRows::from_head("t.csv", b"a,b\n1,2\n3,4\n5,6\n", None).expect_err("no time");
        assert!(e.contains("no time column"), "{e}");
    }

    #[test]
    fn epoch_times_and_decimal_commas_are_read_as_the_batch_reads_them() {
        let head = b"ts;load\n1700000000;1,5\n1700000060;2,5\n";
        let rows = TableRows::from_head("t.csv", head, None)
            .expect("a table")
            .expect("decided");
        assert_eq!(
            rows.line(b"1700000120;3,25").expect("row"),
            TableLine::Row {
                time_ms: 1_700_000_120_000,
                offset: None,
                values: vec![3.25]
            }
        );
    }
}
