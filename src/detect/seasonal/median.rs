//! Medians of the few values the seasonal state keeps: a small sort for the handful of cycles
//! of one phase, a selection for the window of residuals. Neither allocates.

/// The median of `values` (at most [`SMALL`] of them), by insertion sort of a copy on the stack;
/// `None` when empty. For an even count it is the mean of the two middle values.
pub fn small_median(values: &[f64]) -> Option<f64> {
    let n = values.len().min(SMALL);
    if n == 0 {
        return None;
    }
    if n == SMALL {
        return Some(median_of_eight(values));
    }
    let mut a = [0.0f64; SMALL];
    a[..n].copy_from_slice(&values[..n]);
    for i in 1..n {
        let v = a[i];
        let mut j = i;
        while j > 0 && a[j - 1] > v {
            a[j] = a[j - 1];
            j -= 1;
        }
        a[j] = v;
    }
    Some(middle_of_sorted(&a[..n]))
}

/// The most values [`small_median`] takes.
pub const SMALL: usize = 8;

/// The median of eight values by a sorting network (Knuth, TAOCP vol. 3, 5.3.4: 19
/// comparators for n = 8): branch-free min/max, no mispredicted branches on random data. The
/// values are finite (only finite values are learnt). Written out comparator by comparator on
/// eight locals, so that they stay in registers (a loop over the network's pairs kept them in
/// memory, a store and two loads per comparator: a third of the seasonal scorer's time).
fn median_of_eight(values: &[f64]) -> f64 {
    let [mut a0, mut a1, mut a2, mut a3, mut a4, mut a5, mut a6, mut a7] = match values {
        [a0, a1, a2, a3, a4, a5, a6, a7, ..] => [*a0, *a1, *a2, *a3, *a4, *a5, *a6, *a7],
        _ => return f64::NAN,
    };
    macro_rules! cs {
        ($x:ident, $y:ident) => {
            // On finite values `<` orders as `min`/`max` do (equal values, such as 0 and
            // -0, may land in either place, as they may with `min`), and compiles to one
            // `minsd`/`maxsd` each, without `min`'s handling of NaN.
            let (lo, hi) = if $x < $y { ($x, $y) } else { ($y, $x) };
            $x = lo;
            $y = hi;
        };
    }
    cs!(a0, a2);
    cs!(a1, a3);
    cs!(a4, a6);
    cs!(a5, a7);
    cs!(a0, a4);
    cs!(a1, a5);
    cs!(a2, a6);
    cs!(a3, a7);
    cs!(a0, a1);
    cs!(a2, a3);
    cs!(a4, a5);
    cs!(a6, a7);
    cs!(a2, a4);
    cs!(a3, a5);
    cs!(a1, a4);
    cs!(a3, a6);
    cs!(a1, a2);
    cs!(a3, a4);
    cs!(a5, a6);
    // The lowest and highest are not needed: only the two middle ones are read.
    let _ = (a0, a1, a2, a5, a6, a7);
    (a3 + a4) / 2.0
}

/// The median of `values`, reordering them in place (selection, O(n)); 0 when empty.
pub fn median_in_place(values: &mut [f64]) -> f64 {
    let n = values.len();
    if n == 0 {
        return 0.0;
    }
    let mid = n / 2;
    let (lower, upper, _) = values.select_nth_unstable_by(mid, f64::total_cmp);
    let upper = *upper;
    if n % 2 == 1 {
        upper
    } else {
        let below = lower.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (below + upper) / 2.0
    }
}

/// The median of values that are all at least 0 (absolute values), given as their bits
/// (`f64::to_bits`) and reordered in place; 0 when empty. The same number as
/// [`median_in_place`] on the values: with the sign bit clear, the bits of two values order as
/// `f64::total_cmp` orders the values, and integers select several times faster. (The reference
/// the residual scale's sorted window is tested against.)
#[cfg(test)]
pub fn median_of_non_negative(bits: &mut [u64]) -> f64 {
    let n = bits.len();
    if n == 0 {
        return 0.0;
    }
    let mid = n / 2;
    let (lower, upper, _) = bits.select_nth_unstable(mid);
    let upper = f64::from_bits(*upper);
    if n % 2 == 1 {
        upper
    } else {
        let below = lower
            .iter()
            .copied()
            .max()
            .map_or(f64::NEG_INFINITY, f64::from_bits);
        (below + upper) / 2.0
    }
}

/// Replaces one value equal to `old` by `new` in the ascending `sorted`, keeping it ascending
/// and moving only the values between the two places (a rolling window kept in order: the
/// value leaving it is `old`, the one coming in `new`). `old` must be in `sorted`.
pub fn replace_sorted<T: Copy + PartialOrd>(sorted: &mut [T], old: T, new: T) {
    let from = sorted.partition_point(|&v| v < old);
    let to = sorted.partition_point(|&v| v < new);
    if to > from {
        sorted.copy_within(from + 1..to, from);
        sorted[to - 1] = new;
    } else {
        sorted.copy_within(to..from, to + 1);
        sorted[to] = new;
    }
}

/// The median of an ascending slice that is not empty.
fn middle_of_sorted(a: &[f64]) -> f64 {
    let n = a.len();
    if n % 2 == 1 {
        a[n / 2]
    } else {
        (a[n / 2 - 1] + a[n / 2]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_agree_with_sorting() {
        assert_eq!(small_median(&[]), None);
        assert_eq!(small_median(&[3.0]), Some(3.0));
        assert_eq!(small_median(&[3.0, 1.0]), Some(2.0));
        assert_eq!(small_median(&[5.0, 1.0, 900.0, 2.0, 3.0]), Some(3.0));
        let mut v = vec![9.0, 1.0, 7.0, 3.0, 5.0, 2.0];
        assert_eq!(median_in_place(&mut v), 4.0);
        let mut w = vec![9.0, 1.0, 7.0];
        assert_eq!(median_in_place(&mut w), 7.0);
        assert_eq!(median_in_place(&mut []), 0.0);
        assert_eq!(median_of_non_negative(&mut []), 0.0);
        // The bits' median is the values' median, odd and even counts, ties and zeros included.
        let mut y: u64 = 3;
        for n in 1..140 {
            let mut v: Vec<f64> = (0..n)
                .map(|_| {
                    y = y
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    match y >> 61 {
                        0 => 0.0,
                        1 => f64::INFINITY,
                        _ => ((y >> 20) % 1000) as f64 / 7.0,
                    }
                })
                .collect();
            let mut bits: Vec<u64> = v.iter().map(|x| x.to_bits()).collect();
            let m = median_of_non_negative(&mut bits);
            assert_eq!(m.to_bits(), median_in_place(&mut v).to_bits(), "n {n}");
        }
        // The network for eight agrees with sorting on every order of a few sets.
        let mut x: u64 = 1;
        for _ in 0..2000 {
            let mut v = [0.0; 8];
            for e in v.iter_mut() {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                *e = ((x >> 33) % 50) as f64 - 25.0;
            }
            let mut sorted = v;
            sorted.sort_by(f64::total_cmp);
            assert_eq!(
                small_median(&v),
                Some((sorted[3] + sorted[4]) / 2.0),
                "{v:?}"
            );
        }
    }
}
