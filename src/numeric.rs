//! Small numeric helpers shared by statistics and detectors, defined exactly as numpy defines them.

/// The `q`-th percentile (0..=100) of already sorted values, with numpy's default
/// `linear` method (including numpy's two-sided interpolation formula).
///
/// Returns NaN for an empty slice.
pub fn percentile_sorted(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let q = q.clamp(0.0, 100.0) / 100.0;
    let virtual_index = q * (n - 1) as f64;
    let lo = virtual_index.floor();
    let lo_i = lo as usize;
    let hi_i = (lo_i + 1).min(n - 1);
    let t = virtual_index - lo;
    lerp(sorted[lo_i], sorted[hi_i], t)
}

/// numpy's `_lerp`: `a + (b - a) * t`, computed from `b` when `t >= 0.5` for accuracy.
pub fn lerp(a: f64, b: f64, t: f64) -> f64 {
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

/// Percentiles of unsorted values (copied and sorted once); NaN values are ignored.
pub fn percentiles(values: &[f64], qs: &[f64]) -> Vec<f64> {
    let sorted = sorted_finite(values);
    qs.iter().map(|&q| percentile_sorted(&sorted, q)).collect()
}

/// A sorted copy of the non-NaN values.
pub fn sorted_finite(values: &[f64]) -> Vec<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    sorted.sort_unstable_by(f64::total_cmp);
    sorted
}

/// Arithmetic mean (NaN for no values).
pub fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.iter().sum::<f64>() / values.len() as f64
}

/// Sample standard deviation with `ddof` delta degrees of freedom (pandas uses 1, numpy 0).
pub fn std_dev(values: &[f64], ddof: usize) -> f64 {
    let n = values.len();
    if n <= ddof {
        return f64::NAN;
    }
    let m = mean(values);
    let ss: f64 = values.iter().map(|v| (v - m) * (v - m)).sum();
    (ss / (n - ddof) as f64).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Oracle values printed by numpy 2.x: np.percentile([1, 2, 3, 4, 10], q)
    #[test]
    fn percentile_matches_numpy_linear() {
        let v = [1.0, 2.0, 3.0, 4.0, 10.0];
        assert_eq!(percentile_sorted(&v, 0.0), 1.0);
        assert_eq!(percentile_sorted(&v, 100.0), 10.0);
        assert_eq!(percentile_sorted(&v, 50.0), 3.0);
        assert!((percentile_sorted(&v, 25.0) - 2.0).abs() < 1e-15);
        // np.percentile([1,2,3,4,10], 90) == 7.6
        assert!((percentile_sorted(&v, 90.0) - 7.6).abs() < 1e-12);
        // np.percentile([1,2,3,4,10], 1) == 1.04
        assert!((percentile_sorted(&v, 1.0) - 1.04).abs() < 1e-12);
    }

    #[test]
    fn percentile_of_empty_is_nan_and_single_is_value() {
        assert!(percentile_sorted(&[], 50.0).is_nan());
        assert_eq!(percentile_sorted(&[7.0], 99.0), 7.0);
    }

    #[test]
    fn std_matches_pandas_ddof1() {
        // pandas.Series([2,4,4,4,5,5,7,9]).std() == 2.138089935299395
        let v = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        assert!((std_dev(&v, 1) - 2.138_089_935_299_395).abs() < 1e-12);
        assert!((std_dev(&v, 0) - 2.0).abs() < 1e-12);
        assert!(std_dev(&[1.0], 1).is_nan());
    }
}
