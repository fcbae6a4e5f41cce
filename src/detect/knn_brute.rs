//! The candidates of a brute-force neighbour search, found through a matrix product.
//!
//! Above 15 features (and when most rows are neighbours anyway) scikit-learn searches by brute
//! force, with squared distances from `||x||^2 + ||y||^2 - 2 x.y`, the dot products of a block
//! of queries with every point taken by one matrix product (BLAS). That is fast but rounds
//! differently from the exact distance `sum((x_i - y_i)^2)` that the k-d tree and [`super::knn`]
//! use, so here the product only *selects*: for each query it keeps every point that rounding
//! could bring within its k-th nearest row, and [`super::knn`] then takes the exact distances of
//! those candidates alone, with the same arithmetic, heap and tie rules as a scan of every
//! point. The neighbours, ties and distances are therefore exactly those of the full scan.
//!
//! The margin is a forward error bound. With `u = 2^-53` and `d` features, the computed squared
//! norms and dot product of centred points are within `gamma_d = d u / (1 - d u)` of their
//! sums of magnitudes (any order of summation, with or without fused multiply-adds), so the
//! approximation `a` is within about `(2d + 4) u (|x|^2 + |y|^2)` of the true squared distance;
//! centring (subtracting the column means, so far-from-zero data does not cancel) moves it by at
//! most `8 u (|x|^2 + |y|^2)` more; the exact formula is itself within `(2d + 6) u (|x|^2 + |y|^2)`
//! of the truth. Every point whose exact distance could be at most the k-th exact distance has
//! `a - e <= T`, where `e` is [`MARGIN_PER_FEATURE`]`d + `[`MARGIN_BASE`] (more than twice
//! the sum) times `u (|x|^2 + |y|^2)`, plus the smallest normal number for underflow, and `T`
//! is the k-th smallest `a + e` counted in rows.
//!
//! The product is `matrixmultiply`'s `dgemm` (the crate ndarray uses), on blocks of
//! [`QUERY_ROWS`] queries by [`POINT_COLUMNS`] points; the selection is written here because it
//! is the product's core: a bounded heap of upper bounds per query, weighted by the rows a
//! distinct point stands for.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Queries per block (one matrix product per block of points).
pub const QUERY_ROWS: usize = 64;

/// Points per matrix product: 64 x 512 dot products (256 KiB) stay in the core's cache.
const POINT_COLUMNS: usize = 512;

/// Points tested together before looking at them one by one.
const LANES: usize = 8;

/// The margin's factor per feature, in units of `u (|x|^2 + |y|^2)` (see the module notes).
pub const MARGIN_PER_FEATURE: f64 = 8.0;

/// The margin's constant part, in the same units.
pub const MARGIN_BASE: f64 = 48.0;

/// The indexed points prepared for products: centred on their mean, with squared norms.
#[derive(Debug)]
pub struct Products {
    dims: usize,
    mean: Vec<f64>,
    /// Centred points, row-major.
    centred: Vec<f64>,
    /// Squared norm `n` of each centred point, less and plus its share of the margin:
    /// `n - relative n` and `n + relative n`.
    below: Vec<f64>,
    above: Vec<f64>,
    /// `u * (MARGIN_PER_FEATURE * dims + MARGIN_BASE)`.
    relative: f64,
}

/// An upper bound of a point's exact squared distance, and the rows the point stands for; in
/// the max-heap the largest bound is on top.
#[derive(Clone, Copy, PartialEq)]
struct Upper(f64, u32);

impl Eq for Upper {}

impl PartialOrd for Upper {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Upper {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// The k-th smallest upper bound so far, counted in rows.
#[derive(Default)]
struct KthBound {
    heap: BinaryHeap<Upper>,
    rows: usize,
}

impl KthBound {
    fn clear(&mut self) {
        self.heap.clear();
        self.rows = 0;
    }

    /// The bound within which at least `k` rows are known, or infinity.
    #[inline]
    fn value(&self, k: usize) -> f64 {
        match self.heap.peek() {
            Some(top) if self.rows >= k => top.0,
            _ => f64::INFINITY,
        }
    }

    /// Adds a bound, then drops the largest while the rest stand for at least `k` rows.
    #[inline]
    fn offer(&mut self, upper: f64, rows: u32, k: usize) {
        if upper >= self.value(k) {
            return;
        }
        self.heap.push(Upper(upper, rows));
        self.rows += rows as usize;
        while let Some(top) = self.heap.peek() {
            if self.rows - (top.1 as usize) < k {
                break;
            }
            self.rows -= top.1 as usize;
            self.heap.pop();
        }
    }
}

/// Candidate points of each query of a block, ascending, and the memory reused between blocks.
#[derive(Default)]
pub struct Candidates {
    /// The candidates of query `i` are `points[starts[i]..starts[i + 1]]`.
    starts: Vec<usize>,
    points: Vec<u32>,
    /// Per query: the points kept so far with their lower bounds.
    kept: Vec<Vec<(u32, f64)>>,
    bounds: Vec<KthBound>,
    /// The centred queries of the block, row-major, and their squared norms.
    queries: Vec<f64>,
    query_norms: Vec<f64>,
    /// Dot products of the block's queries with a block of points.
    dots: Vec<f64>,
}

impl Candidates {
    /// The candidate points of query `i` of the last block, ascending.
    pub fn of(&self, i: usize) -> &[u32] {
        &self.points[self.starts[i]..self.starts[i + 1]]
    }
}

impl Products {
    /// Prepares `points` (row-major, `dims` values each).
    pub fn new(points: &[f64], dims: usize) -> Self {
        let m = points.len() / dims.max(1);
        let mut mean = vec![0.0; dims];
        for p in points.chunks_exact(dims.max(1)) {
            for (s, v) in mean.iter_mut().zip(p) {
                *s += v;
            }
        }
        for s in &mut mean {
            *s /= m.max(1) as f64;
        }
        let mut centred = Vec::with_capacity(points.len());
        let mut norms = Vec::with_capacity(m);
        for p in points.chunks_exact(dims.max(1)) {
            let start = centred.len();
            centred.extend(p.iter().zip(&mean).map(|(v, c)| v - c));
            norms.push(centred[start..].iter().map(|v| v * v).sum());
        }
        let relative = f64::EPSILON / 2.0 * (MARGIN_PER_FEATURE * dims as f64 + MARGIN_BASE);
        Products {
            dims,
            mean,
            centred,
            below: norms.iter().map(|n| n - relative * n).collect(),
            above: norms.iter().map(|n| n + relative * n).collect(),
            relative,
        }
    }

    /// The candidates of each query of `queries` (row-major, at most [`QUERY_ROWS`] rows, in
    /// the index's units) for its `k` nearest rows, where point `p` stands for `weight(p)` rows
    /// (`k` at most the rows indexed), into `out`: a superset of every point whose exact
    /// distance is at most the query's k-th exact distance, ascending.
    pub fn candidates(
        &self,
        queries: &[f64],
        k: usize,
        weight: impl Fn(u32) -> u32,
        out: &mut Candidates,
    ) {
        let d = self.dims;
        let nq = queries.len() / d.max(1);
        let m = self.below.len();
        out.queries.clear();
        out.query_norms.clear();
        for q in queries.chunks_exact(d.max(1)) {
            let start = out.queries.len();
            out.queries
                .extend(q.iter().zip(&self.mean).map(|(v, c)| v - c));
            out.query_norms
                .push(out.queries[start..].iter().map(|v| v * v).sum());
        }
        out.kept.resize_with(nq, Vec::new);
        out.bounds.resize_with(nq, KthBound::default);
        for i in 0..nq {
            out.kept[i].clear();
            out.bounds[i].clear();
        }
        out.dots.resize(nq * POINT_COLUMNS, 0.0);
        for first in (0..m).step_by(POINT_COLUMNS) {
            let cols = POINT_COLUMNS.min(m - first);
            let points = &self.centred[first * d..(first + cols) * d];
            let dots = &mut out.dots[..nq * cols];
            // SAFETY: `queries` is nq x d row-major (strides d, 1), `points` holds cols rows of
            // d, read as the d x cols matrix of their columns (strides 1, d), and `dots` is
            // nq x cols row-major (strides cols, 1): every index dgemm forms is inside its slice.
            unsafe {
                matrixmultiply::dgemm(
                    nq,
                    d,
                    cols,
                    1.0,
                    out.queries.as_ptr(),
                    d as isize,
                    1,
                    points.as_ptr(),
                    1,
                    d as isize,
                    0.0,
                    dots.as_mut_ptr(),
                    cols as isize,
                    1,
                );
            }
            let below = &self.below[first..first + cols];
            let above = &self.above[first..first + cols];
            for i in 0..nq {
                let qn = out.query_norms[i];
                let q_margin = self.relative * qn + f64::MIN_POSITIVE;
                // lower = a - e and upper = a + e, with a = qn + pn - 2 dot.
                let (q_below, q_above) = (qn - q_margin, qn + q_margin);
                let (bound, kept) = (&mut out.bounds[i], &mut out.kept[i]);
                let row = &dots[i * cols..(i + 1) * cols];
                let mut worst = bound.value(k);
                for base in (0..cols).step_by(LANES) {
                    let len = LANES.min(cols - base);
                    // Most points are far: one test for a whole run of them, in vector
                    // registers (runs of exactly LANES points have a length known here).
                    if len == LANES {
                        let (dots, below) = (&row[base..base + LANES], &below[base..base + LANES]);
                        let mut near = false;
                        for l in 0..LANES {
                            near |= q_below + below[l] - 2.0 * dots[l] <= worst;
                        }
                        if !near {
                            continue;
                        }
                    }
                    for j in base..base + len {
                        let lower = q_below + below[j] - 2.0 * row[j];
                        if lower > worst {
                            continue;
                        }
                        let p = (first + j) as u32;
                        bound.offer(q_above + above[j] - 2.0 * row[j], weight(p), k);
                        kept.push((p, lower));
                        worst = bound.value(k);
                    }
                }
            }
        }
        out.starts.clear();
        out.points.clear();
        out.starts.push(0);
        for i in 0..nq {
            let worst = out.bounds[i].value(k);
            out.points.extend(
                out.kept[i]
                    .iter()
                    .filter(|(_, lower)| *lower <= worst)
                    .map(|(p, _)| *p),
            );
            out.starts.push(out.points.len());
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::knn::{Index, Near};
    use super::super::Matrix;
    use crate::control::Control;

    /// The definition the searches must meet: every row by (exact squared distance, row), with
    /// the distance taken feature by feature in order, as the full scan takes it.
    fn sorted_rows(rows: &[Vec<f64>], q: &[f64]) -> Vec<(f64, u32)> {
        let mut all: Vec<(f64, u32)> = rows
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let mut s = 0.0;
                for (a, b) in q.iter().zip(p) {
                    let t = a - b;
                    s += t * t;
                }
                (s, i as u32)
            })
            .collect();
        all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        all
    }

    /// Rows drawn from `levels` values per feature (few levels: copies and ties at every
    /// distance), scaled by `step` and shifted by `offset` (far from zero: the product cancels).
    fn table(n: usize, d: usize, levels: u32, step: f64, offset: f64, seed: u64) -> Vec<Vec<f64>> {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed);
        (0..n)
            .map(|_| {
                (0..d)
                    .map(|_| offset + step * f64::from(rng.random_range(0..levels)))
                    .collect()
            })
            .collect()
    }

    fn matrix_of(rows: &[Vec<f64>]) -> (Vec<Vec<f64>>, Vec<String>) {
        let d = rows[0].len();
        let cols = (0..d)
            .map(|f| rows.iter().map(|r| r[f]).collect())
            .collect();
        (cols, (0..d).map(|f| f.to_string()).collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// The blocked search (candidates from the matrix product, exact distances for them)
        /// finds exactly the rows, order and distances of the exact definition, for the
        /// training lists, new rows and k-distance neighbourhoods, over several blocks of
        /// queries and points, with copies, ties and data far from zero.
        #[test]
        fn blocked_search_equals_the_exact_search(
            n in 2usize..800,
            d in prop_oneof![16usize..41, 1usize..16],
            levels in prop_oneof![Just(2u32), Just(4), Just(1000), Just(1 << 30)],
            step in prop_oneof![Just(1.0), Just(0.1), Just(1e-3), Just(3e5)],
            offset in prop_oneof![Just(0.0), Just(1e6), Just(-7.5e3)],
            k_share in 0.0f64..1.0,
            seed in 0u64..1000,
        ) {
            let rows = table(n, d, levels, step, offset, seed);
            let (cols, names) = matrix_of(&rows);
            let x = Matrix::new(&cols, &names).expect("matrix");
            let index = Index::build(&x);
            // Up to 15 features the tree is walked unless k is at least half the rows: take k
            // there so the blocked search runs at every width.
            let k = if d > 15 { 1 + (k_share * 30.0) as usize } else { n / 2 + (k_share * (n / 2) as f64) as usize };
            let k = k.clamp(1, n);
            prop_assert!(index.brute_force(k.saturating_sub(1).max(n / 2)));
            let raw = index.query_self(k, Control::default()).expect("search");
            let step_rows = (n / 97).max(1);
            for r in (0..n).step_by(step_rows) {
                let want = sorted_rows(&rows, &rows[r]);
                let (idx, dist) = raw.of(index.point_of(r));
                let got: Vec<(f64, u32)> = dist.iter().copied().zip(idx.iter().copied()).collect();
                let expected: Vec<(f64, u32)> =
                    want[..k].iter().map(|&(s, i)| (s.sqrt(), i)).collect();
                prop_assert_eq!(&got, &expected, "row {}", r);
            }
            // New rows: halfway between two training rows, and a copy of one.
            let queries: Vec<Vec<f64>> = (0..n.min(70))
                .map(|i| {
                    let (a, b) = (&rows[i], &rows[(i * 7 + 3) % n]);
                    if i % 3 == 0 { a.clone() } else { a.iter().zip(b).map(|(u, v)| (u + v) / 2.0).collect() }
                })
                .collect();
            let (qcols, qnames) = matrix_of(&queries);
            let qx = Matrix::new(&qcols, &qnames).expect("matrix");
            let kq = k.min(n);
            let nb = index.query(&qx, kq);
            let within = index.map_k_distance(&qx, kq, |_, near: &[Near]| near.to_vec());
            let index = &index;
            for (r, q) in queries.iter().enumerate() {
                let want = sorted_rows(&rows, q);
                let (idx, dist) = nb.of(r);
                let expected: Vec<u32> = want[..kq].iter().map(|w| w.1).collect();
                prop_assert_eq!(idx, &expected[..], "query {}", r);
                prop_assert!(dist.iter().zip(&want[..kq]).all(|(v, w)| *v == w.0.sqrt()));
                // The k-distance neighbourhood: every row within the k-th distance, by point.
                let kth = want[kq - 1].0;
                let mut rows_within: Vec<u32> =
                    want.iter().take_while(|w| w.0 <= kth).map(|w| w.1).collect();
                rows_within.sort_unstable();
                let mut found: Vec<u32> = within[r]
                    .iter()
                    .flat_map(|o| (0..n as u32).filter(move |&i| index.point_of(i as usize) == o.point as usize))
                    .collect();
                found.sort_unstable();
                prop_assert_eq!(found, rows_within, "query {}", r);
            }
        }
    }
}
