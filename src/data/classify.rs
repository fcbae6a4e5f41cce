//! Deciding what each column is: the time column, numeric columns, and text columns; text that
//! is mostly numbers is an error that names the first cell that is not.

use super::table::{RawColumn, Table};
use super::text_column::TextColumn;
use super::time::{is_time_name, parse_epoch_column, parse_text_column, ParsedTimes, TimeIssue};
use super::{LoadError, LoadOptions};

/// Share of parseable numbers above which a text column is taken as a numeric column with bad cells.
const NUMERIC_SHARE: f64 = 0.8;

/// Columns sorted by role.
pub struct Classified {
    /// All column names, in file order.
    pub names: Vec<String>,
    /// The time column: its position, name and converted values.
    pub time: Option<(usize, ParsedTimes)>,
    /// Numeric columns: position and values (NaN where missing).
    pub numeric: Vec<(usize, Vec<f64>)>,
    /// Text columns: position and cells.
    pub text: Vec<(usize, TextColumn)>,
    /// Number of data rows.
    pub rows: usize,
    /// Notes for the user.
    pub warnings: Vec<String>,
    /// Maps rows back to lines (and, for CSV, to the original cells).
    pub locator: super::table::Locator,
}

/// Classifies every column of `table`.
pub fn classify(
    table: Table,
    options: &LoadOptions,
    path: &std::path::Path,
) -> Result<Classified, LoadError> {
    let Table {
        names,
        columns,
        rows,
        locator,
        ..
    } = table;
    let column_list = || names.join(", ");
    let forced_time =
        match &options.time_column {
            Some(name) => Some(names.iter().position(|n| n == name).ok_or_else(|| {
                LoadError::NoSuchColumn {
                    path: path.to_path_buf(),
                    name: name.clone(),
                    columns: column_list(),
                }
            })?),
            None => None,
        };
    let named_time = forced_time.or_else(|| {
        if options.no_time {
            None
        } else {
            names.iter().position(|n| is_time_name(n))
        }
    });

    let time_error = |col: usize, issue: TimeIssue| -> LoadError {
        let column = names[col].clone();
        match issue {
            TimeIssue::Bad { row, value, format } => LoadError::BadTime {
                path: path.to_path_buf(),
                line: locator.line(row),
                column_no: col + 1,
                column,
                value,
                format,
            },
            TimeIssue::Mixed {
                row,
                value,
                found,
                expected,
            } => LoadError::MixedTimeFormats {
                path: path.to_path_buf(),
                line: locator.line(row),
                column_no: col + 1,
                column,
                value,
                found,
                expected,
            },
            TimeIssue::Contradictory {
                day_first_row,
                day_first_value,
                month_first_row,
                month_first_value,
            } => LoadError::ContradictoryDates {
                path: path.to_path_buf(),
                column,
                day_first_line: locator.line(day_first_row),
                day_first_value,
                month_first_line: locator.line(month_first_row),
                month_first_value,
            },
        }
    };

    let mut out = Classified {
        names: names.clone(),
        time: None,
        numeric: Vec::new(),
        text: Vec::new(),
        rows,
        warnings: Vec::new(),
        locator: super::table::Locator::Rows,
    };
    for (i, column) in columns.into_iter().enumerate() {
        let is_named_time = named_time == Some(i);
        let want_time =
            out.time.is_none() && !options.no_time && (named_time.is_none() || is_named_time);
        match column {
            RawColumn::Time(millis, zone, clock) if want_time => {
                out.time = Some((
                    i,
                    ParsedTimes {
                        millis,
                        format: super::time::TimeFormat::Iso,
                        warning: None,
                        zone,
                        clock,
                    },
                ));
            }
            RawColumn::Time(..) => out.warnings.push(format!(
                "column `{}` holds times but is not the time column; not used",
                names[i]
            )),
            RawColumn::Numeric(values) => {
                if want_time {
                    if let Some(parsed) = parse_epoch_column(&values, is_named_time) {
                        out.time = Some((i, parsed));
                        continue;
                    }
                    if forced_time == Some(i) {
                        return Err(LoadError::NotTime {
                            path: path.to_path_buf(),
                            column: names[i].clone(),
                            reason: "numbers that are not epoch seconds or milliseconds".into(),
                        });
                    }
                }
                out.numeric.push((i, values));
            }
            RawColumn::Text(col) => {
                if want_time {
                    match parse_text_column(&col, is_named_time) {
                        Ok(Some(parsed)) => {
                            if let Some(w) = &parsed.warning {
                                out.warnings
                                    .push(format!("time column `{}`: {w}", names[i]));
                            }
                            out.time = Some((i, parsed));
                            continue;
                        }
                        Ok(None) => {}
                        Err(issue) => return Err(time_error(i, issue)),
                    }
                }
                if let Some(values) = numeric_text(&col, i, &names[i], &locator, path)? {
                    out.numeric.push((i, values));
                } else {
                    out.text.push((i, col));
                }
            }
        }
    }
    out.locator = locator;
    Ok(out)
}

/// For a text column whose values are (mostly) numbers: all numbers gives the values; a few
/// non-numbers is an error at the first one; mostly text gives `None` (a text column).
fn numeric_text(
    ca: &TextColumn,
    col: usize,
    name: &str,
    locator: &super::table::Locator,
    path: &std::path::Path,
) -> Result<Option<Vec<f64>>, LoadError> {
    let mut values = Vec::with_capacity(ca.len());
    let mut first_bad: Option<(usize, String)> = None;
    let mut bad = 0usize;
    let mut present = 0usize;
    for (row, v) in ca.iter().enumerate() {
        match v.map(str::trim) {
            None => values.push(f64::NAN),
            Some(t) if super::formats::csv::NULL_VALUES.contains(&t) => values.push(f64::NAN),
            Some(t) => {
                present += 1;
                match t.parse::<f64>() {
                    Ok(x) => values.push(x),
                    Err(_) => {
                        bad += 1;
                        if first_bad.is_none() {
                            first_bad = Some((row, t.to_string()));
                        }
                        values.push(f64::NAN);
                    }
                }
            }
        }
    }
    match first_bad {
        None if present > 0 => Ok(Some(values)),
        None => Ok(None),
        Some((row, value)) => {
            let numbers = present - bad;
            if numbers > 0 && numbers as f64 >= NUMERIC_SHARE * present as f64 {
                let mut value = value;
                if value.len() > 80 {
                    let cut = value.char_indices().nth(80).map_or(value.len(), |(i, _)| i);
                    value.truncate(cut);
                    value.push('…');
                }
                Err(LoadError::NotANumber {
                    path: path.to_path_buf(),
                    line: locator.line(row),
                    column_no: col + 1,
                    column: name.to_string(),
                    value,
                })
            } else {
                Ok(None)
            }
        }
    }
}
