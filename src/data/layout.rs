//! Wide versus long tables. Wide: one numeric column per region or metric. Long: a time column,
//! a category column and value columns, pivoted to wide (values of the same time and category
//! summed; combinations that never occur are missing).

use std::collections::HashMap;

use super::classify::Classified;
use super::time::NO_TIME;
use super::{LoadError, LoadOptions};

/// The shape of the input table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Layout {
    /// Decide from the data.
    #[default]
    Auto,
    /// One row per time, one column per feature.
    Wide,
    /// One row per (time, category), pivoted to wide.
    Long,
}

/// Feature columns after the layout is applied, before missing values are handled.
pub struct Shaped {
    /// The time axis, epoch milliseconds per row ([`NO_TIME`] where missing).
    pub time: Option<super::TimeAxis>,
    /// Feature names.
    pub names: Vec<String>,
    /// Feature values per column; NaN where missing.
    pub columns: Vec<Vec<f64>>,
    /// The layout that was used.
    pub layout: Layout,
    /// For long tables, the category column that was pivoted.
    pub category: Option<String>,
    /// Number of rows.
    pub rows: usize,
    /// Notes for the user.
    pub warnings: Vec<String>,
}

/// The most distinct categories a long table may have.
const MAX_CATEGORIES: usize = 10_000;

/// The most cells (distinct times x columns) the pivot of a long table may make: 100 million
/// cells are 800 MB of numbers, before the copies that analysis makes. Larger pivots are refused
/// before anything is allocated.
pub const MAX_PIVOT_CELLS: u64 = 100_000_000;

/// Applies the requested (or detected) layout.
pub fn shape(
    c: Classified,
    options: &LoadOptions,
    path: &std::path::Path,
) -> Result<Shaped, LoadError> {
    let columns_list = || c.names.join(", ");
    let category_pos =
        match &options.category_column {
            Some(name) => {
                let pos = c.names.iter().position(|n| n == name).ok_or_else(|| {
                    LoadError::NoSuchColumn {
                        path: path.to_path_buf(),
                        name: name.clone(),
                        columns: columns_list(),
                    }
                })?;
                if !c.text.iter().any(|(i, _)| *i == pos) {
                    return Err(LoadError::NotLong {
                        path: path.to_path_buf(),
                        reason: format!("category column `{name}` does not hold text labels"),
                    });
                }
                Some(pos)
            }
            None => None,
        };
    let (layout, category_pos) = match (options.layout, category_pos) {
        (Layout::Auto, Some(pos)) => (Layout::Long, Some(pos)),
        (Layout::Auto, None) => match long_category(&c, options) {
            Some(pos) => (Layout::Long, Some(pos)),
            None => (Layout::Wide, None),
        },
        (other, pos) => (other, pos),
    };
    if c.numeric.is_empty() {
        return Err(LoadError::NoNumericColumn {
            path: path.to_path_buf(),
            columns: columns_list(),
        });
    }
    match layout {
        Layout::Long => pivot(c, category_pos, options, path),
        _ => Ok(wide(c)),
    }
}

/// Automatic pivoting needs at least this many rows per category on average (a category
/// recurs across times; a free-text column does not).
const MIN_ROWS_PER_CATEGORY: usize = 2;

/// Automatic pivoting needs at least this share of the rows to hold a category that occurs
/// more than once (a few one-off labels are tolerated).
const MIN_RECURRING_SHARE: f64 = 0.95;

/// Automatic pivoting needs at least this share of the (time, category) pairs to be distinct:
/// in a long table each category has about one row per time (repeats are summed, so a few are
/// tolerated), while a plain table with a label column repeats (time, label) pairs freely.
const MIN_DISTINCT_PAIR_SHARE: f64 = 0.8;

/// The category column of a table with [`Layout::Auto`] that is read long: its time values
/// repeat and this text column behaves like a category (see [`is_category`]). `None` (read
/// wide) otherwise, and for a table holding every column the caller will analyse
/// (`--features`) as numbers: it is read as written.
fn long_category(c: &Classified, options: &LoadOptions) -> Option<usize> {
    let (_, times) = c.time.as_ref()?;
    if c.text.is_empty() || names_numeric_columns(c, &options.features) {
        return None;
    }
    let mut seen = std::collections::HashSet::with_capacity(times.millis.len());
    let repeats = times
        .millis
        .iter()
        .filter(|t| **t != NO_TIME)
        .any(|t| !seen.insert(*t));
    if !repeats {
        return None;
    }
    c.text
        .iter()
        .find(|(_, col)| is_category(&times.millis, col))
        .map(|(pos, _)| *pos)
}

/// True when `features` is not empty and names only numeric columns of the file as written.
fn names_numeric_columns(c: &Classified, features: &[String]) -> bool {
    !features.is_empty()
        && features.iter().all(|f| {
            c.numeric
                .iter()
                .any(|(i, _)| c.names.get(*i).is_some_and(|n| n == f))
        })
}

/// A text column behaves like a category when it has few distinct values
/// ([`MIN_ROWS_PER_CATEGORY`] rows each on average, at most [`MAX_CATEGORIES`]), those values
/// recur ([`MIN_RECURRING_SHARE`]) and the (time, value) pairs are nearly unique
/// ([`MIN_DISTINCT_PAIR_SHARE`]). Rows without a time or a value are not counted.
fn is_category(times: &[i64], col: &super::text_column::TextColumn) -> bool {
    if col.distinct_up_to(MAX_CATEGORIES) > MAX_CATEGORIES {
        return false;
    }
    let mut count: HashMap<&str, usize> = HashMap::new();
    let mut pairs = std::collections::HashSet::new();
    let mut rows = 0usize;
    for (t, v) in times.iter().zip(col.iter()) {
        let (true, Some(v)) = (*t != NO_TIME, v) else {
            continue;
        };
        rows += 1;
        *count.entry(v).or_insert(0) += 1;
        pairs.insert((*t, v));
    }
    if rows == 0 || count.len() * MIN_ROWS_PER_CATEGORY > rows {
        return false;
    }
    let recurring: usize = count.values().filter(|&&n| n > 1).sum();
    recurring as f64 >= MIN_RECURRING_SHARE * rows as f64
        && pairs.len() as f64 >= MIN_DISTINCT_PAIR_SHARE * rows as f64
}

/// Keeps the numeric columns as features.
fn wide(c: Classified) -> Shaped {
    let mut warnings = c.warnings;
    for (i, col) in &c.text {
        let empty = col
            .iter()
            .all(|v| v.is_none_or(|t| super::formats::csv::NULL_VALUES.contains(&t.trim())));
        warnings.push(if empty {
            format!(
                "column `{}` is empty (no value in any row); it is kept for export but not analysed",
                c.names[*i]
            )
        } else {
            format!(
                "column `{}` holds text; it is kept for export but not analysed",
                c.names[*i]
            )
        });
    }
    let time = c.time.map(|(i, parsed)| super::TimeAxis {
        name: c.names[i].clone(),
        millis: parsed.millis,
        format: parsed.format,
        zone: parsed.zone,
        clock: parsed.clock,
    });
    Shaped {
        time,
        names: c.numeric.iter().map(|(i, _)| c.names[*i].clone()).collect(),
        columns: c.numeric.into_iter().map(|(_, v)| v).collect(),
        layout: Layout::Wide,
        category: None,
        rows: c.rows,
        warnings,
    }
}

/// Pivots (time, category, values...) to one row per time and one column per category (and
/// value column, when there are several).
fn pivot(
    c: Classified,
    category_pos: Option<usize>,
    options: &LoadOptions,
    path: &std::path::Path,
) -> Result<Shaped, LoadError> {
    let not_long = |reason: String| LoadError::NotLong {
        path: path.to_path_buf(),
        reason,
    };
    let Some((time_pos, times)) = &c.time else {
        return Err(not_long("there is no time column".into()));
    };
    let (cat_pos, cat_col) = match category_pos {
        Some(p) => c.text.iter().find(|(i, _)| *i == p),
        None => c
            .text
            .iter()
            .find(|(_, col)| col.distinct_up_to(MAX_CATEGORIES) <= MAX_CATEGORIES),
    }
    .ok_or_else(|| not_long("there is no text column to use as the category".into()))?;
    let value_cols: Vec<&(usize, Vec<f64>)> =
        match &options.value_column {
            Some(name) => {
                let pos = c.names.iter().position(|n| n == name).ok_or_else(|| {
                    LoadError::NoSuchColumn {
                        path: path.to_path_buf(),
                        name: name.clone(),
                        columns: c.names.join(", "),
                    }
                })?;
                let col = c.numeric.iter().find(|(i, _)| *i == pos).ok_or_else(|| {
                    not_long(format!("value column `{name}` does not hold numbers"))
                })?;
                vec![col]
            }
            None => c.numeric.iter().collect(),
        };
    let cats = cat_col;

    // Sorted distinct times become the rows.
    let mut distinct: Vec<i64> = times
        .millis
        .iter()
        .copied()
        .filter(|t| *t != NO_TIME)
        .collect();
    distinct.sort_unstable();
    distinct.dedup();
    let row_of: HashMap<i64, usize> = distinct.iter().enumerate().map(|(r, t)| (*t, r)).collect();

    // Categories in order of first appearance.
    let mut cat_index: HashMap<&str, usize> = HashMap::new();
    let mut cat_names: Vec<String> = Vec::new();
    for v in cats.iter().flatten() {
        if !cat_index.contains_key(v) {
            if cat_names.len() >= MAX_CATEGORIES {
                return Err(not_long(format!(
                    "column `{}` has more than {MAX_CATEGORIES} distinct values",
                    c.names[*cat_pos]
                )));
            }
            cat_index.insert(v, cat_names.len());
            cat_names.push(v.to_string());
        }
    }
    let n_rows = distinct.len();
    let n_vals = value_cols.len();
    let cells = (n_rows as u64).saturating_mul((cat_names.len() * n_vals) as u64);
    if cells > MAX_PIVOT_CELLS {
        return Err(LoadError::PivotTooLarge {
            path: path.to_path_buf(),
            category: c.names[*cat_pos].clone(),
            times: n_rows as u64,
            columns: (cat_names.len() * n_vals) as u64,
            cells,
            limit: MAX_PIVOT_CELLS,
        });
    }
    let mut columns = vec![vec![f64::NAN; n_rows]; cat_names.len() * n_vals];
    let mut skipped = 0usize;
    for (r, (t, cat)) in times.millis.iter().zip(cats.iter()).enumerate() {
        let (Some(t), Some(cat)) = ((*t != NO_TIME).then_some(t), cat) else {
            skipped += 1;
            continue;
        };
        let row = row_of[t];
        let k = cat_index[cat];
        for (j, (_, values)) in value_cols.iter().enumerate() {
            let v = values[r];
            if v.is_nan() {
                continue;
            }
            let cell = &mut columns[k * n_vals + j][row];
            *cell = if cell.is_nan() { v } else { *cell + v };
        }
    }
    let all_names = &c.names;
    let names: Vec<String> = cat_names
        .iter()
        .flat_map(|cat| {
            value_cols.iter().map(move |(i, _)| {
                if n_vals == 1 {
                    cat.clone()
                } else {
                    format!("{cat} {}", all_names[*i])
                }
            })
        })
        .collect();
    let mut warnings = c.warnings.clone();
    warnings.push(format!(
        "long format: pivoted {} rows on `{}` into {} times x {} columns",
        c.rows,
        c.names[*cat_pos],
        n_rows,
        names.len()
    ));
    if skipped > 0 {
        warnings.push(format!(
            "{skipped} rows had no time or no category and were left out of the pivot"
        ));
    }
    Ok(Shaped {
        time: Some(super::TimeAxis {
            name: c.names[*time_pos].clone(),
            millis: distinct,
            format: times.format,
            zone: times.zone,
            clock: times.clock.clone(),
        }),
        names,
        columns,
        layout: Layout::Long,
        category: Some(c.names[*cat_pos].clone()),
        rows: n_rows,
        warnings,
    })
}
