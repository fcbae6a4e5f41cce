//! A validated, borrowed, column-major matrix of finite numbers: what every detector takes.

use super::FitError;

/// Column-major numbers, `columns[feature][row]`, checked to be finite and rectangular.
#[derive(Debug, Clone, Copy)]
pub struct Matrix<'a> {
    columns: &'a [Vec<f64>],
    rows: usize,
}

/// The first row of `col` that is NaN or infinite, searched in parallel blocks (the check runs
/// on every fit and explanation, over every cell).
fn first_not_finite(col: &[f64]) -> Option<usize> {
    use rayon::prelude::*;
    const BLOCK: usize = 1 << 16;
    let block = col
        .par_chunks(BLOCK)
        .position_first(|b| b.iter().any(|v| !v.is_finite()))?;
    let start = block * BLOCK;
    col[start..]
        .iter()
        .position(|v| !v.is_finite())
        .map(|i| start + i)
}

impl<'a> Matrix<'a> {
    /// Checks `columns` (named by `names`, used in messages) and wraps them.
    pub fn new(columns: &'a [Vec<f64>], names: &[String]) -> Result<Self, FitError> {
        let first = columns.first().ok_or(FitError::NoFeatures)?;
        let rows = first.len();
        let name = |i: usize| {
            names
                .get(i)
                .cloned()
                .unwrap_or_else(|| format!("column {}", i + 1))
        };
        for (i, col) in columns.iter().enumerate() {
            if col.len() != rows {
                return Err(FitError::RaggedColumns {
                    feature: name(i),
                    expected: rows,
                    found: col.len(),
                });
            }
            if let Some(row) = first_not_finite(col) {
                return Err(FitError::NotFinite {
                    row,
                    feature: name(i),
                    value: col[row],
                });
            }
        }
        if rows == 0 {
            return Err(FitError::NoRows);
        }
        Ok(Matrix { columns, rows })
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of features.
    pub fn features(&self) -> usize {
        self.columns.len()
    }

    /// The values of one feature.
    pub fn column(&self, feature: usize) -> &'a [f64] {
        &self.columns[feature]
    }

    /// One value.
    #[inline]
    pub fn get(&self, row: usize, feature: usize) -> f64 {
        self.columns[feature][row]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation() {
        let names = vec!["a".to_string(), "b".to_string()];
        assert!(matches!(
            Matrix::new(&[], &names),
            Err(FitError::NoFeatures)
        ));
        assert!(matches!(
            Matrix::new(&[vec![], vec![]], &names),
            Err(FitError::NoRows)
        ));
        let nan = [vec![1.0, 2.0], vec![1.0, f64::NAN]];
        match Matrix::new(&nan, &names) {
            Err(e @ FitError::NotFinite { row: 1, .. }) => {
                assert!(e.to_string().contains("feature `b`"))
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            Matrix::new(&[vec![1.0, 2.0], vec![1.0]], &names),
            Err(FitError::RaggedColumns { .. })
        ));
        let ok = [vec![1.0, 2.0], vec![3.0, 4.0]];
        let m = Matrix::new(&ok, &names).expect("valid");
        assert_eq!((m.rows(), m.features(), m.get(1, 1)), (2, 2, 4.0));
    }
}
