//! The lock-step walk of a [`Complete`] tree with AVX-512, sixteen rows at a time.
//!
//! Written by hand because the compiler's vectorisation of the plain walk (see
//! [`Complete::walk_add`]) spends three gathers per row and level (split feature, threshold, the
//! row's value), and the walk is bound by those loads. Here the first six levels (positions 0 to
//! 62, at most 32 per level) take their split feature and threshold from vector registers by
//! permutes, and deeper levels load both with one 64-bit gather of a packed node. A row's value
//! of the split feature comes, for up to [`TILE_FEATURES`] features, from registers: each group
//! of 16 rows keeps its features as columns (loaded once per tree from [`tile`]'s layout), and a
//! lane picks its feature's column by three levels of blends on the feature's bits; for wider rows
//! it is gathered. A row's level then costs no gather near the root and one below.
//! The comparisons are the same `x > threshold` on the same `f32` values, so the leaves, and the
//! scores, are those of the plain walk (tested against it).

use std::arch::x86_64::*;

use super::complete::Complete;

/// Rows walked together: one 512-bit vector of `u32` positions.
pub const LANES: usize = 16;

/// Features up to which rows are walked from registers ([`walk_add_tiled`]).
pub const TILE_FEATURES: usize = 8;

/// The first `rows` rows of `block` (row-major, `width` values per row) rearranged by tile: for
/// each run of [`LANES`] rows, feature 0 of those rows, then feature 1, and so on. Row `r`'s
/// tile starts at `(r / LANES) * LANES * width`, where its run of rows starts in `block`.
/// `rows` must be a multiple of [`LANES`].
pub fn tile(block: &[f32], width: usize, rows: usize) -> Vec<f32> {
    let mut tiles = vec![0f32; rows * width];
    for (rows_in, tile) in block[..rows * width]
        .chunks_exact(LANES * width)
        .zip(tiles.chunks_exact_mut(LANES * width))
    {
        for (i, row) in rows_in.chunks_exact(width).enumerate() {
            for (f, &v) in row.iter().enumerate() {
                tile[f * LANES + i] = v;
            }
        }
    }
    tiles
}

/// A tree's first six levels in registers, and what the deeper levels and the leaves read.
struct Head {
    f0: __m512i,
    t0: __m512,
    f1: __m512i,
    t1: __m512,
    f2a: __m512i,
    f2b: __m512i,
    t2a: __m512,
    t2b: __m512,
    even: __m512i,
    odd: __m512i,
    packed: *const i64,
    values: *const f64,
    inner: __m512i,
}

impl Head {
    /// Loads `c`'s head tables.
    #[target_feature(enable = "avx512f")]
    fn new(c: &Complete) -> Head {
        let head_f = c.head_feature.as_ptr();
        let head_t = c.head_threshold.as_ptr();
        // SAFETY (all loads below): the head tables hold 64 entries, so offsets 0, 15, 31 and
        // 47 are in bounds for 16 values each.
        let even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        unsafe {
            Head {
                f0: _mm512_loadu_si512(head_f.cast()),
                t0: _mm512_loadu_ps(head_t),
                f1: _mm512_loadu_si512(head_f.add(15).cast()),
                t1: _mm512_loadu_ps(head_t.add(15)),
                f2a: _mm512_loadu_si512(head_f.add(31).cast()),
                f2b: _mm512_loadu_si512(head_f.add(47).cast()),
                t2a: _mm512_loadu_ps(head_t.add(31)),
                t2b: _mm512_loadu_ps(head_t.add(47)),
                even,
                odd: _mm512_add_epi32(even, _mm512_set1_epi32(1)),
                packed: c.packed.as_ptr().cast::<i64>(),
                values: c.values.as_ptr(),
                inner: _mm512_set1_epi32(c.threshold.len() as i32),
            }
        }
    }

    /// The split feature and threshold of each lane's position `p` at `level`.
    ///
    /// # Safety
    /// Positions at `level` must be below `2^depth - 1` (the length of `packed`), as the walk's
    /// positions are.
    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn node(&self, level: u32, p: __m512i) -> (__m512i, __m512) {
        match level {
            0..=3 => (
                _mm512_permutexvar_epi32(p, self.f0),
                _mm512_permutexvar_ps(p, self.t0),
            ),
            4 => {
                let i = _mm512_sub_epi32(p, _mm512_set1_epi32(15));
                (
                    _mm512_permutexvar_epi32(i, self.f1),
                    _mm512_permutexvar_ps(i, self.t1),
                )
            }
            5 => {
                let i = _mm512_sub_epi32(p, _mm512_set1_epi32(31));
                (
                    _mm512_permutex2var_epi32(self.f2a, i, self.f2b),
                    _mm512_permutex2var_ps(self.t2a, i, self.t2b),
                )
            }
            _ => {
                // SAFETY: the caller's.
                let (lo, hi) = unsafe {
                    (
                        _mm512_i32gather_epi64::<8>(_mm512_castsi512_si256(p), self.packed),
                        _mm512_i32gather_epi64::<8>(_mm512_extracti64x4_epi64::<1>(p), self.packed),
                    )
                };
                (
                    _mm512_permutex2var_epi32(lo, self.odd, hi),
                    _mm512_castsi512_ps(_mm512_permutex2var_epi32(lo, self.even, hi)),
                )
            }
        }
    }

    /// Adds the leaf values of last-level positions `at_level` to `out[0..16]`.
    ///
    /// # Safety
    /// `at_level` must hold last-level positions, and `out` 16 writable values.
    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn add_leaves(&self, at_level: __m512i, out: *mut f64) {
        let leaf = _mm512_sub_epi32(at_level, self.inner);
        // SAFETY: last-level positions minus the inner count index `values` (`2^depth` long);
        // `out` is the caller's.
        unsafe {
            let lo = _mm512_i32gather_pd::<8>(_mm512_castsi512_si256(leaf), self.values);
            let hi = _mm512_i32gather_pd::<8>(_mm512_extracti64x4_epi64::<1>(leaf), self.values);
            _mm512_storeu_pd(out, _mm512_add_pd(_mm512_loadu_pd(out), lo));
            _mm512_storeu_pd(out.add(8), _mm512_add_pd(_mm512_loadu_pd(out.add(8)), hi));
        }
    }
}

/// The next position of each lane: `2p + 1`, or `2p + 2` where `right`.
#[target_feature(enable = "avx512f")]
#[inline]
fn step(p: __m512i, right: __mmask16) -> __m512i {
    let one = _mm512_set1_epi32(1);
    let q = _mm512_add_epi32(_mm512_add_epi32(p, p), one);
    _mm512_mask_add_epi32(q, right, q, one)
}

/// Walks rows `0..rows` of `block` (row-major, `width` values per row) down `c` and adds each
/// row's leaf value to `acc[row]`, gathering each row's value at each level. `rows` must be a
/// multiple of [`LANES`].
///
/// # Safety
/// The processor must support AVX-512F, and the caller must have checked what
/// [`Complete::walk_add`] asserts: `block.len() >= rows * width`, every split feature below
/// `width`, `acc.len() >= rows`, and `rows * width` below `i32::MAX`.
#[target_feature(enable = "avx512f")]
pub unsafe fn walk_add(c: &Complete, block: &[f32], width: usize, rows: usize, acc: &mut [f64]) {
    debug_assert!(rows.is_multiple_of(LANES) && acc.len() >= rows);
    let head = Head::new(c);
    let lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    let data = block.as_ptr();
    // Groups walked together, so that one group's gathers overlap another's.
    const K: usize = 8;
    let lanes_base = _mm512_mullo_epi32(lane, _mm512_set1_epi32(width as i32));
    for g in (0..rows).step_by(LANES * K) {
        let k = ((rows - g) / LANES).min(K);
        let mut base = [lanes_base; K];
        for (j, b) in base.iter_mut().enumerate() {
            // Groups past the last whole one walk the first group's rows again, unused.
            let first = if j < k { g + j * LANES } else { g };
            *b = _mm512_add_epi32(lanes_base, _mm512_set1_epi32((first * width) as i32));
        }
        let mut pos = [_mm512_setzero_si512(); K];
        for level in 0..c.depth {
            for j in 0..K {
                let p = pos[j];
                // SAFETY: positions at this level are below `2^depth - 1`.
                let (f, t) = unsafe { head.node(level, p) };
                // SAFETY: `base + f` is a row's value of a feature below `width`, inside
                // `block` (checked by the caller; groups past `k` point at group 0's rows).
                let x = unsafe { _mm512_i32gather_ps::<4>(_mm512_add_epi32(base[j], f), data) };
                pos[j] = step(p, _mm512_cmp_ps_mask::<_CMP_GT_OQ>(x, t));
            }
        }
        for (j, &at_level) in pos.iter().enumerate().take(k) {
            // SAFETY: group `j < k` covers rows below `rows <= acc.len()`.
            unsafe { head.add_leaves(at_level, acc.as_mut_ptr().add(g + j * LANES)) };
        }
    }
}

/// [`walk_add`] for rows of at most [`TILE_FEATURES`] features given by [`tile`], each group's
/// values held in registers instead of gathered at every level.
///
/// # Safety
/// As [`walk_add`], with `tiles` (at least `rows * width` values) in place of `block`, and
/// `1 <= width <= TILE_FEATURES`.
#[target_feature(enable = "avx512f")]
pub unsafe fn walk_add_tiled(
    c: &Complete,
    tiles: &[f32],
    width: usize,
    rows: usize,
    acc: &mut [f64],
) {
    debug_assert!(tiles.len() >= rows * width);
    // SAFETY (each arm): this function's.
    match width {
        1 => unsafe { walk_tiled::<1>(c, tiles, rows, acc) },
        2 => unsafe { walk_tiled::<2>(c, tiles, rows, acc) },
        3 => unsafe { walk_tiled::<3>(c, tiles, rows, acc) },
        4 => unsafe { walk_tiled::<4>(c, tiles, rows, acc) },
        5 => unsafe { walk_tiled::<5>(c, tiles, rows, acc) },
        6 => unsafe { walk_tiled::<6>(c, tiles, rows, acc) },
        7 => unsafe { walk_tiled::<7>(c, tiles, rows, acc) },
        _ => unsafe { walk_tiled::<8>(c, tiles, rows, acc) },
    }
}

/// Each lane's value of feature `f` (below `W`) from the columns `cols`: a blend on each of the
/// feature's three low bits, as a selection tree.
#[target_feature(enable = "avx512f")]
#[inline]
fn select<const W: usize>(cols: &[__m512; W], f: __m512i) -> __m512 {
    let col = |i: usize| cols[i.min(W - 1)];
    let bit0 = _mm512_test_epi32_mask(f, _mm512_set1_epi32(1));
    if W == 1 {
        return cols[0];
    }
    let x01 = _mm512_mask_blend_ps(bit0, col(0), col(1));
    if W == 2 {
        return x01;
    }
    let bit1 = _mm512_test_epi32_mask(f, _mm512_set1_epi32(2));
    let x23 = _mm512_mask_blend_ps(bit0, col(2), col(3));
    let x03 = _mm512_mask_blend_ps(bit1, x01, x23);
    if W <= 4 {
        return x03;
    }
    let bit2 = _mm512_test_epi32_mask(f, _mm512_set1_epi32(4));
    let x45 = _mm512_mask_blend_ps(bit0, col(4), col(5));
    let x67 = _mm512_mask_blend_ps(bit0, col(6), col(7));
    let x47 = _mm512_mask_blend_ps(bit1, x45, x67);
    _mm512_mask_blend_ps(bit2, x03, x47)
}

/// The walk of [`walk_add_tiled`] for rows of `W` features.
///
/// # Safety
/// As [`walk_add_tiled`]'s, with `width == W`.
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn walk_tiled<const W: usize>(c: &Complete, tiles: &[f32], rows: usize, acc: &mut [f64]) {
    debug_assert!(rows.is_multiple_of(LANES) && acc.len() >= rows);
    let head = Head::new(c);
    // Groups walked together, so that one group's chain of dependent steps overlaps another's;
    // few enough that their columns stay in registers.
    const K: usize = 4;
    let data = tiles.as_ptr();
    for g in (0..rows).step_by(LANES * K) {
        let k = ((rows - g) / LANES).min(K);
        let mut cols = [[_mm512_setzero_ps(); W]; K];
        for (j, cols) in cols.iter_mut().enumerate() {
            // Groups past the last whole one walk the first group's rows again, unused.
            let first = if j < k { g + j * LANES } else { g };
            for (ff, col) in cols.iter_mut().enumerate() {
                // SAFETY: the tile of rows `first..first + 16` holds `16 * W` values from
                // `first * W`, inside `tiles` (checked by the caller).
                *col = unsafe { _mm512_loadu_ps(data.add(first * W + ff * LANES)) };
            }
        }
        let mut pos = [_mm512_setzero_si512(); K];
        for level in 0..c.depth {
            for j in 0..K {
                let p = pos[j];
                // SAFETY: positions at this level are below `2^depth - 1`.
                let (f, t) = unsafe { head.node(level, p) };
                let x = select::<W>(&cols[j], f);
                pos[j] = step(p, _mm512_cmp_ps_mask::<_CMP_GT_OQ>(x, t));
            }
        }
        for (j, &at_level) in pos.iter().enumerate().take(k) {
            // SAFETY: group `j < k` covers rows below `rows <= acc.len()`.
            unsafe { head.add_leaves(at_level, acc.as_mut_ptr().add(g + j * LANES)) };
        }
    }
}
