//! Plotting millions of points smoothly: per pixel column of the visible range only the first,
//! minimum, maximum and last points are kept, so every spike stays visible.

/// Reduces `(x, y)` (sorted by x) over `[x_min, x_max]` to at most four points per bucket of
/// `buckets` equal-width buckets, in x order. Points outside the range are dropped except one on
/// each side, so lines run to the edges.
pub fn min_max(xs: &[f64], ys: &[f64], x_min: f64, x_max: f64, buckets: usize) -> Vec<[f64; 2]> {
    let n = xs.len().min(ys.len());
    if n == 0 {
        return Vec::new();
    }
    let start = xs[..n].partition_point(|&x| x < x_min).saturating_sub(1);
    let end = (xs[..n].partition_point(|&x| x <= x_max) + 1).min(n);
    if end <= start {
        return Vec::new();
    }
    let buckets = buckets.max(1);
    if end - start <= 4 * buckets {
        return (start..end).map(|i| [xs[i], ys[i]]).collect();
    }
    let width = (x_max - x_min).max(f64::MIN_POSITIVE) / buckets as f64;
    let bucket_of = |x: f64| (((x - x_min) / width).floor().max(-1.0) as i64).min(buckets as i64);
    let mut out = Vec::with_capacity(4 * buckets + 2);
    let mut i = start;
    while i < end {
        let b = bucket_of(xs[i]);
        let first = i;
        let (mut lo, mut hi) = (i, i);
        while i < end && bucket_of(xs[i]) == b {
            if ys[i] < ys[lo] {
                lo = i;
            }
            if ys[i] > ys[hi] {
                hi = i;
            }
            i += 1;
        }
        let last = i - 1;
        let mut keep = [first, lo, hi, last];
        keep.sort_unstable();
        let mut prev = usize::MAX;
        for k in keep {
            if k != prev {
                out.push([xs[k], ys[k]]);
                prev = k;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_extremes_and_bounds_the_size() {
        let xs: Vec<f64> = (0..1_000_000).map(f64::from).collect();
        let mut ys: Vec<f64> = xs.iter().map(|x| (x / 1000.0).sin()).collect();
        ys[500_123] = 50.0;
        ys[700_001] = -50.0;
        let out = min_max(&xs, &ys, 0.0, 999_999.0, 800);
        assert!(out.len() <= 4 * 801 + 2, "{}", out.len());
        assert!(out.iter().any(|p| p[1] == 50.0) && out.iter().any(|p| p[1] == -50.0));
        assert!(out.windows(2).all(|w| w[0][0] <= w[1][0]), "x order");
        let zoomed = min_max(&xs, &ys, 1000.0, 1010.0, 800);
        assert_eq!(zoomed.first().map(|p| p[0]), Some(999.0));
        assert_eq!(zoomed.len(), 13);
        assert!(min_max(&[], &[], 0.0, 1.0, 10).is_empty());
    }
}
