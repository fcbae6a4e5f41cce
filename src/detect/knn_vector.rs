//! The k-d tree search's two hot loops with the widest vectors the processor has: squared
//! distances from one query to a leaf's points (stored by column), and the lower bound of the
//! distance from a query to a node's bounding box.
//!
//! The search spends most of its time in these. Taken point by point (row-major), a distance of
//! six features leaves most of a vector unused and ends in a horizontal sum; taken across points
//! (one lane per point, one feature after another), every lane does the same work as the scalar
//! formula in the same order (`s = 0; s += (q[f] - p[f])^2` for each feature in turn), so the
//! distances are equal to the bit to [`super::knn`]'s `distance2`, and the search's answer does
//! not change. A box's bound is taken one lane per feature and summed in a tree, whose rounding
//! differs from the scalar sum's: [`box_beyond_avx512`] only prunes a box whose bound exceeds
//! the limit by more than any such difference, so it never prunes a node the ordered bound would
//! keep (it may keep a few more, which changes no answer). Written here because the compiler vectorises
//! neither loop this way on its own; the instruction set is chosen at run time.

/// Points whose distances are taken in one call of [`distances`] (a leaf's points are taken in
/// chunks of this many).
pub const CHUNK: usize = 32;

/// Features up to which a box's bound fits one vector ([`box_beyond_avx512`]).
pub const BOX_FEATURES: usize = 8;

/// The instruction set the distances are computed with, chosen once per index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lanes {
    /// Eight `f64` per vector (AVX-512F).
    Avx512,
    /// Four `f64` per vector (AVX2).
    Avx2,
    /// The baseline instruction set (two per vector on x86-64).
    Plain,
}

impl Lanes {
    /// The widest instruction set this processor supports.
    pub fn detect() -> Lanes {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                return Lanes::Avx512;
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                return Lanes::Avx2;
            }
        }
        Lanes::Plain
    }
}

/// A run of consecutive points of the tree stored by column: feature `f` of point `p` is
/// `columns[f * stride + p]`; the run is points `start..start + len`, `len` at most [`CHUNK`].
#[derive(Debug, Clone, Copy)]
pub struct Run<'a> {
    /// Every point's values, a column per feature.
    pub columns: &'a [f64],
    /// The length of a column (the number of points).
    pub stride: usize,
    /// The run's first point.
    pub start: usize,
    /// The run's number of points.
    pub len: usize,
}

/// Writes to `out[i]` the squared distance from `q` (`D` features, or `q.len()` for 0) to point
/// `run.start + i`, for `i < run.len`, and returns the points within `worst`: bit `i` set when
/// `out[i] <= worst`.
#[inline]
pub fn distances<const D: usize>(
    lanes: Lanes,
    run: Run,
    q: &[f64],
    worst: f64,
    out: &mut [f64; CHUNK],
) -> u32 {
    let d = if D == 0 { q.len() } else { D };
    let q = &q[..d];
    assert!(
        run.len <= CHUNK
            && (d == 0 || (d - 1) * run.stride + run.start + run.len <= run.columns.len())
    );
    match lanes {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `Lanes::detect` chose this set because the processor has it, and the assert
        // above keeps every load in bounds.
        Lanes::Avx512 => unsafe { distances_avx512::<D>(run, q, worst, out) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above.
        Lanes::Avx2 => unsafe { distances_avx2::<D>(run, q, worst, out) },
        _ => distances_plain::<D>(run, q, worst, out),
    }
}

/// [`distances`] with AVX-512F: the points are taken eight at a time (one vector), each vector
/// summed over the features in a register; lanes past `len` are loaded as zeros under a mask (a
/// masked load touches no memory there) and left out of the result.
///
/// # Safety
/// The processor must support AVX-512F, and `run.columns` must hold `run.start + run.len`
/// values from each `f * run.stride` for `f < q.len()`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn distances_avx512<const D: usize>(
    run: Run,
    q: &[f64],
    worst: f64,
    out: &mut [f64; CHUNK],
) -> u32 {
    use std::arch::x86_64::*;
    let d = if D == 0 { q.len() } else { D };
    let limit = _mm512_set1_pd(worst);
    let base = run.columns.as_ptr().wrapping_add(run.start);
    let mut within = 0u32;
    for v in 0..run.len.div_ceil(8) {
        let lanes = (run.len - 8 * v).min(8);
        let mask = ((1u32 << lanes) - 1) as u8;
        let mut acc = _mm512_setzero_pd();
        for (f, &qf) in q[..d].iter().enumerate() {
            let column = base.wrapping_add(f * run.stride + 8 * v);
            // SAFETY: the lanes loaded are those of `mask`, points below `start + len` of this
            // feature's column, which the caller guarantees are in `columns`.
            let x = unsafe { _mm512_maskz_loadu_pd(mask, column) };
            let t = _mm512_sub_pd(_mm512_set1_pd(qf), x);
            // A multiply then an add, each rounded, as the scalar formula does (never fused).
            acc = _mm512_add_pd(acc, _mm512_mul_pd(t, t));
        }
        // SAFETY: `out` holds 32 values, and `8 * v + 8 <= 32`.
        unsafe { _mm512_storeu_pd(out.as_mut_ptr().add(8 * v), acc) };
        let bits = _mm512_mask_cmp_pd_mask::<_CMP_LE_OQ>(mask, acc, limit);
        within |= u32::from(bits) << (8 * v);
    }
    within
}

/// [`distances`] compiled for AVX2.
///
/// # Safety
/// The processor must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn distances_avx2<const D: usize>(
    run: Run,
    q: &[f64],
    worst: f64,
    out: &mut [f64; CHUNK],
) -> u32 {
    distances_plain::<D>(run, q, worst, out)
}

/// [`distances`] in plain code, inlined into the caller above so that it is vectorised for its
/// instruction set.
#[inline(always)]
fn distances_plain<const D: usize>(run: Run, q: &[f64], worst: f64, out: &mut [f64; CHUNK]) -> u32 {
    let d = if D == 0 { q.len() } else { D };
    let out = &mut out[..run.len];
    out.fill(0.0);
    for (f, &qf) in q[..d].iter().enumerate() {
        let from = f * run.stride + run.start;
        for (s, &v) in out.iter_mut().zip(&run.columns[from..from + run.len]) {
            let t = qf - v;
            *s += t * t;
        }
    }
    out.iter()
        .enumerate()
        .fold(0u32, |bits, (i, &s)| bits | (u32::from(s <= worst) << i))
}

/// The instruction sets this processor has, for tests that try each.
#[cfg(test)]
pub fn supported() -> Vec<Lanes> {
    let mut sets = vec![Lanes::Plain];
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            sets.push(Lanes::Avx2);
        }
        if std::arch::is_x86_feature_detected!("avx512f") {
            sets.push(Lanes::Avx512);
        }
    }
    sets
}

/// How much a box's bound summed in a tree may exceed, relatively, the same bound summed in
/// order: both sums of at most eight non-negative terms are within `7 * EPSILON` of the exact
/// sum (Higham, *Accuracy and Stability of Numerical Algorithms*, 2002, section 4.2), so a
/// margin of `64 * EPSILON` covers the two with room to spare.
const BOUND_MARGIN: f64 = 1.0 + 64.0 * f64::EPSILON;

/// True when the box with minima `lo` and maxima `hi` (`q.len()` values each, at most
/// [`BOX_FEATURES`]) is
/// surely farther from `q` than `worst` (squared): its squared distance, summed with AVX-512,
/// exceeds `worst` by more than [`BOUND_MARGIN`]. A box this says is not beyond may still be,
/// by a rounding; a box it says is beyond is, for any order of summation.
///
/// # Safety
/// The processor must support AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
pub unsafe fn box_beyond_avx512(lo: &[f64], hi: &[f64], q: &[f64], worst: f64) -> bool {
    use std::arch::x86_64::*;
    debug_assert!(q.len() <= BOX_FEATURES && lo.len() >= q.len() && hi.len() >= q.len());
    // Fewer features than `q` has would only lower the bound (a box is then pruned less).
    let d = q.len().min(BOX_FEATURES).min(lo.len()).min(hi.len());
    let mask = ((1u32 << d) - 1) as u8;
    // SAFETY: the lanes loaded are the first `d` of each slice, all in bounds.
    let (lo, hi, q) = unsafe {
        (
            _mm512_maskz_loadu_pd(mask, lo.as_ptr()),
            _mm512_maskz_loadu_pd(mask, hi.as_ptr()),
            _mm512_maskz_loadu_pd(mask, q.as_ptr()),
        )
    };
    // The gap to the interval per feature: below it, above it, or 0 inside (masked-out lanes
    // are all zeros, so their gap is 0).
    let gap = _mm512_max_pd(
        _mm512_max_pd(_mm512_sub_pd(lo, q), _mm512_sub_pd(q, hi)),
        _mm512_setzero_pd(),
    );
    let bound = _mm512_reduce_add_pd(_mm512_mul_pd(gap, gap));
    bound > worst * BOUND_MARGIN
}

/// Which of eight queries (feature `f` of query `j` at `columns[f * stride + j]`, `len` of
/// them, at most 8) the box with minima `lo` and maxima `hi` is not farther from than their
/// bounds `worst[j]` (squared): bit `j` set when the box's squared distance, summed feature by
/// feature in order (as the in-order bound, to the bit), is at most `worst[j]`.
///
/// # Safety
/// The processor must support AVX-512F; `columns` must hold `len` values at each of the `d`
/// feature offsets, `lo` and `hi` `d` values, `worst` `len` values.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
pub unsafe fn queries_near_box_avx512(
    lo: &[f64],
    hi: &[f64],
    columns: &[f64],
    stride: usize,
    len: usize,
    worst: &[f64],
) -> u8 {
    use std::arch::x86_64::*;
    let d = lo.len().min(hi.len());
    let len = len.min(8).min(worst.len());
    let lanes = ((1u32 << len) - 1) as u8;
    let mut s = _mm512_setzero_pd();
    for f in 0..d {
        let at = f * stride;
        assert!(
            at + len <= columns.len(),
            "the queries' columns hold len values"
        );
        // SAFETY: the lanes loaded are `len` values from `at`, in bounds (checked above).
        let q = unsafe { _mm512_maskz_loadu_pd(lanes, columns.as_ptr().add(at)) };
        // The gap to the interval: below it, above it, or 0 inside (at most one of the two
        // differences is positive, so the larger of them and 0 is the in-order bound's gap).
        let gap = _mm512_max_pd(
            _mm512_max_pd(
                _mm512_sub_pd(_mm512_set1_pd(lo[f]), q),
                _mm512_sub_pd(q, _mm512_set1_pd(hi[f])),
            ),
            _mm512_setzero_pd(),
        );
        s = _mm512_add_pd(s, _mm512_mul_pd(gap, gap));
    }
    // SAFETY: `len` values of `worst` are loaded, in bounds.
    let w = unsafe { _mm512_maskz_loadu_pd(lanes, worst.as_ptr()) };
    _mm512_mask_cmp_pd_mask(lanes, s, w, _CMP_LE_OQ)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The wide box test never calls a box beyond a limit that the in-order bound is within
    /// (pruning it would lose a point), and does call boxes clearly beyond it.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn a_box_is_beyond_only_when_the_ordered_bound_is() {
        use rand::{Rng, SeedableRng};
        if !std::arch::is_x86_feature_detected!("avx512f") {
            return;
        }
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(5);
        let ordered = |lo: &[f64], hi: &[f64], q: &[f64]| {
            let mut s = 0.0;
            for f in 0..q.len() {
                let gap = if lo[f] - q[f] > 0.0 {
                    lo[f] - q[f]
                } else if q[f] - hi[f] > 0.0 {
                    q[f] - hi[f]
                } else {
                    0.0
                };
                s += gap * gap;
            }
            s
        };
        for _ in 0..20_000 {
            let d = rng.random_range(1..=8);
            let lo: Vec<f64> = (0..d).map(|_| rng.random_range(-1e3..1e3)).collect();
            let hi: Vec<f64> = lo.iter().map(|l| l + rng.random_range(0.0..50.0)).collect();
            let q: Vec<f64> = (0..d).map(|_| rng.random_range(-1.2e3..1.2e3)).collect();
            let exact = ordered(&lo, &hi, &q);
            // SAFETY: the processor has AVX-512F (checked above).
            let beyond = |worst: f64| unsafe { box_beyond_avx512(&lo, &hi, &q, worst) };
            // At the bound itself, and a rounding either side of it: never beyond.
            for worst in [exact, exact.next_up(), exact * (1.0 + 1e-15)] {
                assert!(!beyond(worst), "d {d}: {exact} against {worst}");
            }
            if exact > 0.0 {
                assert!(beyond(exact * (1.0 - 1e-12)), "d {d}: {exact}");
                assert!(!beyond(f64::INFINITY));
            }
        }
    }

    /// Every instruction set gives, to the bit, the point-by-point formula's distances.
    #[test]
    fn every_instruction_set_equals_the_scalar_formula() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(11);
        let sets = supported();
        for d in [1usize, 3, 6, 9] {
            let m = 77;
            let rows: Vec<Vec<f64>> = (0..m)
                .map(|_| (0..d).map(|_| rng.random_range(-1e3..1e3)).collect())
                .collect();
            let columns: Vec<f64> = (0..d)
                .flat_map(|f| rows.iter().map(move |r| r[f]))
                .collect();
            let q: Vec<f64> = (0..d).map(|_| rng.random_range(-1e3..1e3)).collect();
            for (start, len) in [(0, 32), (5, 17), (40, 1), (60, 17), (3, 0)] {
                let expected: Vec<f64> = (start..start + len)
                    .map(|p| {
                        let mut s = 0.0;
                        for f in 0..d {
                            let t = q[f] - rows[p][f];
                            s += t * t;
                        }
                        s
                    })
                    .collect();
                // A limit that some points are within and some are not, and one exactly at a
                // point's distance (within: `<=`).
                let worst = expected.get(len / 2).copied().unwrap_or(0.0);
                for &lanes in &sets {
                    let mut out = [f64::NAN; CHUNK];
                    let run = Run {
                        columns: &columns,
                        stride: m,
                        start,
                        len,
                    };
                    let within = distances::<0>(lanes, run, &q, worst, &mut out);
                    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(&out[..len]), bits(&expected), "{lanes:?} d={d}");
                    let expected_within = expected
                        .iter()
                        .enumerate()
                        .fold(0u32, |b, (i, &s)| b | (u32::from(s <= worst) << i));
                    assert_eq!(within, expected_within, "{lanes:?} d={d}");
                    if d == 6 {
                        let mut six = [f64::NAN; CHUNK];
                        let within6 = distances::<6>(lanes, run, &q, worst, &mut six);
                        assert_eq!(within6, within);
                        assert_eq!(bits(&six[..len]), bits(&expected), "{lanes:?} D=6");
                    }
                }
            }
        }
    }
}
