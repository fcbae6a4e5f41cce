//! The lock-step walk of a [`Complete`] tree with AVX-512, sixteen rows at a time.
//!
//! Written by hand because the compiler's vectorisation of the plain walk (see
//! [`Complete::walk_add`]) spends three gathers per row and level (split feature, threshold, the
//! row's value), and on this kind of processor the walk is bound by those loads. Here the first
//! six levels (positions 0 to 62, at most 32 per level) take their split feature and threshold
//! from vector registers by permutes, and deeper levels load both with one 64-bit gather of a
//! packed node: a row's level costs one gather (its value) near the root and two below.
//! The comparisons are the same `x > threshold` on the same `f32` values, so the leaves, and the
//! scores, are those of the plain walk (tested against it).

use std::arch::x86_64::*;

use super::complete::Complete;

/// Rows walked together: one 512-bit vector of `u32` positions.
pub const LANES: usize = 16;

/// Walks rows `0..rows` of `block` (row-major, `width` values per row) down `c` and adds each
/// row's leaf value to `acc[row]`. `rows` must be a multiple of [`LANES`].
///
/// # Safety
/// The processor must support AVX-512F, and the caller must have checked what
/// [`Complete::walk_add`] asserts: `block.len() >= rows * width`, every split feature below
/// `width`, `acc.len() >= rows`, and `rows * width` below `i32::MAX`.
#[target_feature(enable = "avx512f")]
pub unsafe fn walk_add(c: &Complete, block: &[f32], width: usize, rows: usize, acc: &mut [f64]) {
    debug_assert!(rows.is_multiple_of(LANES) && acc.len() >= rows);
    let head_f = c.head_feature.as_ptr();
    let head_t = c.head_threshold.as_ptr();
    // SAFETY (all loads below): the head tables hold 64 entries, so offsets 0, 15, 31 and 47 are
    // in bounds for 16 values each.
    let f0 = unsafe { _mm512_loadu_si512(head_f.cast()) };
    let t0 = unsafe { _mm512_loadu_ps(head_t) };
    let f1 = unsafe { _mm512_loadu_si512(head_f.add(15).cast()) };
    let t1 = unsafe { _mm512_loadu_ps(head_t.add(15)) };
    let f2a = unsafe { _mm512_loadu_si512(head_f.add(31).cast()) };
    let f2b = unsafe { _mm512_loadu_si512(head_f.add(47).cast()) };
    let t2a = unsafe { _mm512_loadu_ps(head_t.add(31)) };
    let t2b = unsafe { _mm512_loadu_ps(head_t.add(47)) };
    let even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    let odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
    let one = _mm512_set1_epi32(1);
    let lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    let inner = _mm512_set1_epi32(c.threshold.len() as i32);
    let packed = c.packed.as_ptr().cast::<i64>();
    let values = c.values.as_ptr();
    let data = block.as_ptr();
    let depth = c.depth;
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
        for level in 0..depth {
            for j in 0..K {
                let p = pos[j];
                let (f, t) = match level {
                    0..=3 => (
                        _mm512_permutexvar_epi32(p, f0),
                        _mm512_permutexvar_ps(p, t0),
                    ),
                    4 => {
                        let i = _mm512_sub_epi32(p, _mm512_set1_epi32(15));
                        (
                            _mm512_permutexvar_epi32(i, f1),
                            _mm512_permutexvar_ps(i, t1),
                        )
                    }
                    5 => {
                        let i = _mm512_sub_epi32(p, _mm512_set1_epi32(31));
                        (
                            _mm512_permutex2var_epi32(f2a, i, f2b),
                            _mm512_permutex2var_ps(t2a, i, t2b),
                        )
                    }
                    _ => {
                        // SAFETY: positions at this level are below `2^depth - 1`, the length
                        // of `packed`.
                        let (lo, hi) = unsafe {
                            (
                                _mm512_i32gather_epi64::<8>(_mm512_castsi512_si256(p), packed),
                                _mm512_i32gather_epi64::<8>(
                                    _mm512_extracti64x4_epi64::<1>(p),
                                    packed,
                                ),
                            )
                        };
                        (
                            _mm512_permutex2var_epi32(lo, odd, hi),
                            _mm512_castsi512_ps(_mm512_permutex2var_epi32(lo, even, hi)),
                        )
                    }
                };
                // SAFETY: `base + f` is a row's value of a feature below `width`, inside
                // `block` (checked by the caller; groups past `k` point at group 0's rows).
                let x = unsafe { _mm512_i32gather_ps::<4>(_mm512_add_epi32(base[j], f), data) };
                let right = _mm512_cmp_ps_mask::<_CMP_GT_OQ>(x, t);
                let q = _mm512_add_epi32(_mm512_add_epi32(p, p), one);
                pos[j] = _mm512_mask_add_epi32(q, right, q, one);
            }
        }
        for (j, &at_level) in pos.iter().enumerate().take(k) {
            let leaf = _mm512_sub_epi32(at_level, inner);
            // SAFETY: last-level positions minus the inner count index `values` (`2^depth`
            // long); group `j < k` covers rows below `rows <= acc.len()`.
            unsafe {
                let lo = _mm512_i32gather_pd::<8>(_mm512_castsi512_si256(leaf), values);
                let hi = _mm512_i32gather_pd::<8>(_mm512_extracti64x4_epi64::<1>(leaf), values);
                let out = acc.as_mut_ptr().add(g + j * LANES);
                _mm512_storeu_pd(out, _mm512_add_pd(_mm512_loadu_pd(out), lo));
                _mm512_storeu_pd(out.add(8), _mm512_add_pd(_mm512_loadu_pd(out.add(8)), hi));
            }
        }
    }
}
