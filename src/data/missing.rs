//! Missing values: counted per column, then rows with any are left out (the default) or the
//! cells are filled with the column median.

use serde::{Deserialize, Serialize};

use rayon::prelude::*;

use super::time::NO_TIME;

/// What to do with rows that have missing (empty, NA, NaN or infinite) values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum MissingPolicy {
    /// Leave such rows out of the analysis.
    #[default]
    Drop,
    /// Fill missing cells with the column's median (rows without a time are still left out).
    FillMedian,
}

/// What was missing and what was done about it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MissingReport {
    /// The policy that was applied.
    pub policy: MissingPolicy,
    /// Missing cells per feature column (in the input, before the policy).
    pub per_column: Vec<usize>,
    /// Rows whose time cell was missing.
    pub time_missing: usize,
    /// Rows left out of the analysis.
    pub rows_left_out: usize,
    /// Cells filled with a median.
    pub cells_filled: usize,
}

impl MissingReport {
    /// Total missing cells across features.
    pub fn total_cells(&self) -> usize {
        self.per_column.iter().sum()
    }
}

/// Rows kept after the policy: the columns, their input row indices, their times.
pub struct Applied {
    /// Feature columns without missing values.
    pub columns: Vec<Vec<f64>>,
    /// Input row index of each kept row.
    pub row_numbers: Vec<usize>,
    /// Time of each kept row, when there is a time column.
    pub times: Option<Vec<i64>>,
    /// The report.
    pub report: MissingReport,
}

/// Applies `policy` to columns where NaN (or an infinity) marks a missing cell, and to times
/// where [`NO_TIME`] marks a missing one. Columns are processed in parallel.
pub fn apply(
    mut columns: Vec<Vec<f64>>,
    times: Option<Vec<i64>>,
    rows: usize,
    policy: MissingPolicy,
) -> Applied {
    let per_column: Vec<usize> = columns
        .par_iter_mut()
        .map(|col| {
            let mut missing = 0;
            for v in col.iter_mut() {
                if !v.is_finite() {
                    *v = f64::NAN;
                    missing += 1;
                }
            }
            missing
        })
        .collect();
    let time_missing = times
        .as_ref()
        .map_or(0, |t| t.par_iter().filter(|v| **v == NO_TIME).count());
    let mut cells_filled = 0;
    if policy == MissingPolicy::FillMedian {
        for (col, &missing) in columns.iter_mut().zip(&per_column) {
            if missing == 0 {
                continue;
            }
            let sorted = crate::numeric::sorted_finite(col);
            let median = crate::numeric::percentile_sorted(&sorted, 50.0);
            let fill = if median.is_nan() { 0.0 } else { median };
            for v in col.iter_mut().filter(|v| v.is_nan()) {
                *v = fill;
                cells_filled += 1;
            }
        }
    }
    let anything_missing =
        time_missing > 0 || (policy == MissingPolicy::Drop && per_column.iter().any(|&m| m > 0));
    let (columns, times, keep) = if anything_missing {
        let keep: Vec<usize> = (0..rows)
            .into_par_iter()
            .filter(|&r| {
                times.as_ref().is_none_or(|t| t[r] != NO_TIME)
                    && columns.iter().all(|c| !c[r].is_nan())
            })
            .collect();
        let columns = columns
            .par_iter()
            .map(|c| keep.iter().map(|&r| c[r]).collect())
            .collect();
        let times = times.map(|t| keep.iter().map(|&r| t[r]).collect());
        (columns, times, keep)
    } else {
        (columns, times, (0..rows).into_par_iter().collect())
    };
    let rows_left_out = rows - keep.len();
    Applied {
        columns,
        row_numbers: keep,
        times,
        report: MissingReport {
            policy,
            per_column,
            time_missing,
            rows_left_out,
            cells_filled,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drop_and_fill() {
        let cols = vec![
            vec![1.0, f64::NAN, 3.0, 5.0],
            vec![1.0, 2.0, f64::INFINITY, 4.0],
        ];
        let times = [1, 2, 3, NO_TIME];
        let a = apply(cols.clone(), Some(times.to_vec()), 4, MissingPolicy::Drop);
        assert_eq!(a.row_numbers, vec![0]);
        assert_eq!(a.report.per_column, vec![1, 1]);
        assert_eq!(a.report.time_missing, 1);
        assert_eq!(a.report.rows_left_out, 3);
        let f = apply(cols, Some(times.to_vec()), 4, MissingPolicy::FillMedian);
        assert_eq!(f.row_numbers, vec![0, 1, 2]);
        assert_eq!(f.columns[0], vec![1.0, 3.0, 3.0]);
        assert_eq!(f.columns[1], vec![1.0, 2.0, 2.0]);
        assert_eq!(f.report.cells_filled, 2);
    }
}
