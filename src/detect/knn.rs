//! Exact k-nearest-neighbour search with Euclidean distance: a k-d tree (built once, queried in
//! parallel) for up to 15 features, brute force above or when k is at least half the rows, as
//! scikit-learn's `algorithm="auto"` chooses (`sklearn/neighbors/_base.py`). Distances are `sqrt` of the sum of squared differences taken feature by feature, as
//! scikit-learn's k-d tree computes them; ties are broken by row index, so results are the same
//! whatever the number of threads.
//!
//! Identical rows are indexed once, as one point standing for its rows. The search runs over the
//! distinct points, each weighing as many rows as it stands for, and its answer is expanded back
//! to rows: copies of a point are at the same distance from any query, so the rows found, their
//! order and their distances are exactly those of a search over every row, but the work no longer
//! grows with the number of copies.
//!
//! Values so large that squared distances could overflow are first multiplied by a power of two
//! (exact; see [`MAX_UNSCALED_EXPONENT`]), queries too, and distances are then in those units.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};
use std::hash::{Hash, Hasher};

use rayon::prelude::*;

use super::knn_brute::{Candidates, Products, QUERY_ROWS};
use super::knn_vector::{self, Lanes};
use super::{FitError, Matrix};
use crate::control::Control;

mod leaves;

/// Above this many features, search by brute force (a k-d tree no longer prunes well).
pub const MAX_TREE_FEATURES: usize = 15;

/// The largest binary exponent of a value that is used as it is. With every value below
/// 2^401, a squared difference is below 2^804 and a sum over fewer than 2^219 features cannot
/// overflow; larger data is multiplied by the power of two that brings it below 2^401.
pub const MAX_UNSCALED_EXPONENT: i32 = 400;

/// Distinct points searched between two looks at the cancel flag and two progress reports of
/// [`Index::query_self`] (within a block, each query still checks the flag before it starts, so
/// a cancelled search stops after the queries already under way).
pub const QUERY_BLOCK: usize = 4096;

/// Points per leaf of the k-d tree, at most, for `d` features (leaves hold half to all of it).
/// With the leaves' vectorised distances a point looked at is cheap, and the more features, the
/// less the boxes prune, so wider tables get larger leaves. Measured with `detect --algo lof
/// --n-neighbors 20` on 100,000 random normals, the sizes' runs interleaved (scoring stage,
/// medians): 2 and 6 features, 64 and 128 tie and 256 is slower (6: 0.574 / 0.578 / 0.595 s);
/// 9 features, 64: 3.3 s, 128: 2.7 s, 256: 2.4 s, 512: 2.7 s; 12 features, 64: 10.0 s,
/// 256: 7.8 s, 512: 6.9 s. 7 and 8 features (128) and 13 to 15 (512) are interpolated. Since
/// the training points are searched a leaf's group at a time (`knn/leaves.rs`), 6 features,
/// scoring stage of three alternated runs: 32: 0.408-0.417 s, 64: 0.408-0.426 s, 128:
/// 0.440-0.450 s; 64 kept.
fn leaf_size(d: usize) -> usize {
    let chunks = match d {
        0..=6 => 2,
        7..=8 => 4,
        9..=10 => 8,
        _ => 16,
    };
    chunks * knn_vector::CHUNK
}

/// Neighbour lists: for each query, `k` (row index, distance) pairs, nearest first.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Neighbours {
    /// Neighbours per query.
    pub k: usize,
    /// Row indices, `k` per query.
    pub indices: Vec<u32>,
    /// Distances, `k` per query, in the index's units (see [`Index::scale`]).
    pub distances: Vec<f64>,
}

impl Neighbours {
    /// Number of queries.
    pub fn len(&self) -> usize {
        self.indices.len().checked_div(self.k).unwrap_or(0)
    }

    /// True when there are no queries.
    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }

    /// The neighbours of query `q`.
    pub fn of(&self, q: usize) -> (&[u32], &[f64]) {
        let r = q * self.k..(q + 1) * self.k;
        (&self.indices[r.clone()], &self.distances[r])
    }
}

/// A point of a k-distance neighbourhood (see [`Index::map_k_distance_self`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Near {
    /// The point (as [`Index::point_of`] numbers them).
    pub point: u32,
    /// Its first row.
    pub row: u32,
    /// The number of rows it stands for.
    pub rows: u32,
    /// Its distance to the query.
    pub distance: f64,
}

/// A searchable copy of the training rows: their distinct points, and the rows of each.
#[derive(Debug, Clone)]
pub struct Index {
    dims: usize,
    /// The power of two every value is multiplied by (1 for ordinary data).
    scale: f64,
    /// Distinct points in tree order, row-major.
    points: Vec<f64>,
    /// The rows of point `p` are `members[starts[p]..starts[p + 1]]`, ascending.
    starts: Vec<u32>,
    /// Rows grouped by point.
    members: Vec<u32>,
    /// The point (in tree order) of each row.
    point_of_row: Vec<u32>,
    /// Whether every point stands for one row (no two rows are equal).
    single: bool,
    /// Tree nodes (empty for brute force).
    nodes: Vec<KdNode>,
    /// Bounding box of each node: `dims` minima then `dims` maxima.
    boxes: Vec<f64>,
    /// The points again, by column (feature `f` of point `p` at `f * distinct + p`), for the
    /// leaves' vectorised distances (empty for brute force).
    columns: Vec<f64>,
    /// The instruction set of the leaves' distances.
    lanes: Lanes,
}

/// A k-d tree node: a leaf range of points, or a split with two children.
#[derive(Debug, Clone)]
struct KdNode {
    start: u32,
    end: u32,
    /// Split dimension, or `u32::MAX` for a leaf.
    dim: u32,
    split: f64,
    left: u32,
    right: u32,
}

/// A candidate point: squared distance and point (tree order); in the max-heap the largest
/// distance, then the largest point, is on top.
#[derive(Clone, Copy, PartialEq)]
struct Candidate(f64, u32);

impl Eq for Candidate {}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        // Squared distances are sums of squares, never below +0.0: their bits, as integers,
        // are in the order of the values (cheaper than `total_cmp` in the heap's sifts).
        (self.0.to_bits(), self.1).cmp(&(other.0.to_bits(), other.1))
    }
}

/// The state of one query, reused between queries: the candidate points, the number of rows
/// they stand for, and the points last dropped from the top of the heap, which are still part
/// of the answer if they tie with its farthest distance.
struct Search {
    /// Scan candidates found by a matrix product instead of walking the tree (see
    /// [`Index::brute_force`] and [`super::knn_brute`]).
    brute: bool,
    /// The candidates of the current block of queries (brute force).
    candidates: Candidates,
    /// The query of the block being searched (brute force).
    current: usize,
    heap: BinaryHeap<Candidate>,
    rows: usize,
    dropped: Vec<Candidate>,
    found: Vec<Candidate>,
    level: Vec<u32>,
    /// The nodes still to visit (tree search): node, and the squared distance to the split
    /// plane that separates it from the query (0 for the query's side).
    stack: Vec<(u32, f64)>,
    /// The candidates of a query searched with a plain list instead of the heap (see
    /// [`Index::scan_listed`]): every point offered within [`Search::limit`].
    listed: Vec<Candidate>,
    /// The squared distance within which [`Search::listed`] keeps points (infinite until it
    /// holds `k`).
    limit: f64,
}

impl Search {
    fn new(k: usize) -> Self {
        Search {
            brute: false,
            candidates: Candidates::default(),
            current: 0,
            heap: BinaryHeap::with_capacity(k + 1),
            rows: 0,
            dropped: Vec::new(),
            found: Vec::new(),
            level: Vec::new(),
            stack: Vec::new(),
            listed: Vec::new(),
            limit: f64::INFINITY,
        }
    }

    /// Forgets the previous query's points.
    fn reset(&mut self) {
        self.heap.clear();
        self.dropped.clear();
        self.rows = 0;
        self.listed.clear();
        self.limit = f64::INFINITY;
    }

    /// Keeps a point dropped from the heap while it ties with the points dropped before it
    /// (dropped points come farthest first: a nearer one replaces them).
    #[inline]
    fn drop_point(&mut self, c: Candidate) {
        if self.dropped.last().is_some_and(|d| d.0 != c.0) {
            self.dropped.clear();
        }
        self.dropped.push(c);
    }

    /// The squared distance within which every point must be looked at: the k-th row's so far,
    /// or infinity while fewer than `k` rows are known.
    #[inline]
    fn worst(&self, k: usize) -> f64 {
        match self.heap.peek() {
            Some(top) if self.rows >= k => top.0,
            _ => f64::INFINITY,
        }
    }
}

/// A row's values as a hash key: equal when every value has the same bits.
struct RowKey<'a>(&'a [f64]);

impl Hash for RowKey<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for v in self.0 {
            state.write_u64(v.to_bits());
        }
    }
}

impl PartialEq for RowKey<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0
            .iter()
            .zip(other.0)
            .all(|(a, b)| a.to_bits() == b.to_bits())
    }
}

impl Eq for RowKey<'_> {}

/// Numbers the distinct rows of `values` (row-major, `d` per row) in order of first appearance:
/// the number of each row, and the first row of each number.
fn distinct_rows(values: &[f64], d: usize) -> (Vec<u32>, Vec<usize>) {
    let mut ids: HashMap<RowKey, u32, foldhash::fast::FixedState> =
        HashMap::with_hasher(foldhash::fast::FixedState::with_seed(0x6b6e_6e5f_6475_7073));
    let mut first = Vec::new();
    let numbers = values
        .chunks_exact(d.max(1))
        .enumerate()
        .map(|(r, row)| {
            let next = first.len() as u32;
            *ids.entry(RowKey(row)).or_insert_with(|| {
                first.push(r);
                next
            })
        })
        .collect();
    (numbers, first)
}

/// The power of two that brings the largest absolute value of `x` below
/// 2^([`MAX_UNSCALED_EXPONENT`] + 1), or 1 when it already is.
fn overflow_scale(x: &Matrix) -> f64 {
    let largest = (0..x.features())
        .map(|f| x.column(f).iter().fold(0.0f64, |m, v| m.max(v.abs())))
        .fold(0.0f64, f64::max);
    // The binary exponent of a finite value: its biased exponent bits minus the bias.
    let exponent = ((largest.to_bits() >> 52) & 0x7ff) as i32 - 1023;
    if exponent <= MAX_UNSCALED_EXPONENT {
        1.0
    } else {
        // 2^(MAX_UNSCALED_EXPONENT - exponent), at least 2^-623: a normal number, built exactly.
        f64::from_bits(((MAX_UNSCALED_EXPONENT - exponent + 1023) as u64) << 52)
    }
}

impl Index {
    /// Indexes the rows of `x`.
    pub fn build(x: &Matrix) -> Index {
        let (n, d) = (x.rows(), x.features());
        let scale = overflow_scale(x);
        // Scaled row-major values; `+ 0.0` turns -0.0 into 0.0, the same point.
        let mut values = vec![0.0; n * d];
        for f in 0..d {
            for (r, v) in x.column(f).iter().enumerate() {
                values[r * d + f] = v * scale + 0.0;
            }
        }
        let (mut point_of_row, first) = distinct_rows(&values, d);
        let mut points = Vec::with_capacity(first.len() * d);
        for &r in &first {
            points.extend_from_slice(&values[r * d..(r + 1) * d]);
        }
        drop(values);
        let mut index = Index {
            dims: d,
            scale,
            points,
            starts: Vec::new(),
            members: Vec::new(),
            point_of_row: Vec::new(),
            single: first.len() == n,
            nodes: Vec::new(),
            boxes: Vec::new(),
            columns: Vec::new(),
            lanes: Lanes::detect(),
        };
        let m = first.len();
        let order: Vec<u32> = if d <= MAX_TREE_FEATURES {
            index.build_tree()
        } else {
            (0..m as u32).collect()
        };
        // Renumber the rows' points in tree order, then list the rows of each point.
        let mut position = vec![0u32; m];
        for (p, &g) in order.iter().enumerate() {
            position[g as usize] = p as u32;
        }
        for p in &mut point_of_row {
            *p = position[*p as usize];
        }
        let mut starts = vec![0u32; m + 1];
        for &p in &point_of_row {
            starts[p as usize + 1] += 1;
        }
        for p in 0..m {
            starts[p + 1] += starts[p];
        }
        let mut next = starts.clone();
        let mut members = vec![0u32; n];
        for (r, &p) in point_of_row.iter().enumerate() {
            members[next[p as usize] as usize] = r as u32;
            next[p as usize] += 1;
        }
        index.starts = starts;
        index.members = members;
        index.point_of_row = point_of_row;
        index
    }

    /// Builds the tree over the distinct points by splitting at the median of the widest
    /// dimension, puts the points in tree order and returns the old number of each.
    fn build_tree(&mut self) -> Vec<u32> {
        let d = self.dims;
        let n = self.points.len() / d.max(1);
        // Sort a permutation, then apply it to the points.
        let mut perm: Vec<u32> = (0..n as u32).collect();
        let leaf = leaf_size(d);
        let mut stack = vec![(0usize, 0usize, n)];
        self.nodes.push(KdNode {
            start: 0,
            end: n as u32,
            dim: u32::MAX,
            split: 0.0,
            left: 0,
            right: 0,
        });
        while let Some((id, start, end)) = stack.pop() {
            if end - start <= leaf {
                continue;
            }
            let slice = &mut perm[start..end];
            let (mut best, mut spread) = (0, -1.0);
            for f in 0..d {
                let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
                for &p in slice.iter() {
                    let v = self.points[p as usize * d + f];
                    lo = lo.min(v);
                    hi = hi.max(v);
                }
                if hi - lo > spread {
                    spread = hi - lo;
                    best = f;
                }
            }
            if spread <= 0.0 {
                continue; // all points equal: keep them in one leaf
            }
            let mid = slice.len() / 2;
            let points = &self.points;
            slice.select_nth_unstable_by(mid, |a, b| {
                points[*a as usize * d + best].total_cmp(&points[*b as usize * d + best])
            });
            let split = points[slice[mid] as usize * d + best];
            let left = self.nodes.len() as u32;
            for (s, e) in [(start, start + mid), (start + mid, end)] {
                self.nodes.push(KdNode {
                    start: s as u32,
                    end: e as u32,
                    dim: u32::MAX,
                    split: 0.0,
                    left: 0,
                    right: 0,
                });
            }
            let node = &mut self.nodes[id];
            node.dim = best as u32;
            node.split = split;
            node.left = left;
            node.right = left + 1;
            stack.push((left as usize, start, start + mid));
            stack.push((left as usize + 1, start + mid, end));
        }
        let old_points = std::mem::take(&mut self.points);
        self.points = perm
            .iter()
            .flat_map(|&p| {
                old_points[p as usize * d..(p as usize + 1) * d]
                    .iter()
                    .copied()
            })
            .collect();
        // Bounding boxes, for the lower bound of the distance from a query to a node.
        let mut boxes = vec![0.0; self.nodes.len() * 2 * d];
        for (id, node) in self.nodes.iter().enumerate() {
            let b = &mut boxes[id * 2 * d..(id + 1) * 2 * d];
            b[..d].fill(f64::INFINITY);
            b[d..].fill(f64::NEG_INFINITY);
            for p in node.start as usize..node.end as usize {
                for f in 0..d {
                    let v = self.points[p * d + f];
                    b[f] = b[f].min(v);
                    b[d + f] = b[d + f].max(v);
                }
            }
        }
        self.boxes = boxes;
        self.columns = (0..d)
            .flat_map(|f| self.points.chunks_exact(d).map(move |p| p[f]))
            .collect();
        perm
    }

    /// Number of features.
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// Number of indexed rows.
    pub fn len(&self) -> usize {
        self.point_of_row.len()
    }

    /// True when nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.point_of_row.is_empty()
    }

    /// Number of distinct points among the rows.
    pub fn distinct(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }

    /// The distinct point of row `row`: its list in [`Self::query_self`].
    pub fn point_of(&self, row: usize) -> usize {
        self.point_of_row[row] as usize
    }

    /// The power of two the values were multiplied by before distances were taken (1 unless
    /// they reach 2^[`MAX_UNSCALED_EXPONENT`]).
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// The rows of point `p`, ascending.
    #[inline]
    fn members_of(&self, p: u32) -> &[u32] {
        &self.members[self.starts[p as usize] as usize..self.starts[p as usize + 1] as usize]
    }

    /// The number of rows of point `p`.
    #[inline]
    fn weight(&self, p: u32) -> usize {
        (self.starts[p as usize + 1] - self.starts[p as usize]) as usize
    }

    /// The `k` nearest indexed rows of each row of `queries` (in parallel, in blocks of
    /// [`QUERY_ROWS`]).
    pub fn query(&self, queries: &Matrix, k: usize) -> Neighbours {
        let d = self.dims;
        let k = k.min(self.len());
        let n = queries.rows();
        let mut out = Neighbours {
            k,
            indices: vec![0; n * k],
            distances: vec![0.0; n * k],
        };
        if k == 0 {
            return out;
        }
        let products = self.products_for(k);
        out.indices
            .par_chunks_mut(QUERY_ROWS * k)
            .zip(out.distances.par_chunks_mut(QUERY_ROWS * k))
            .enumerate()
            .for_each_init(
                || (Vec::new(), self.search_for(k, k)),
                |(q, search), (c, (idx, dist))| {
                    let first = c * QUERY_ROWS;
                    self.scaled_rows(queries, first..first + idx.len() / k, q);
                    self.start_block(products.as_ref(), q, k, search);
                    let lists = idx.chunks_mut(k).zip(dist.chunks_mut(k));
                    for (i, (idx, dist)) in lists.enumerate() {
                        search.current = i;
                        self.nearest(&q[i * d..(i + 1) * d], k, search, idx, dist);
                    }
                },
            );
        out
    }

    /// The `k` nearest indexed rows of every distinct point (its own rows included), one list
    /// per point in the order of [`Self::point_of`]: every row of a point has the same list.
    /// By the tree, the points of a leaf are searched together (see `knn/leaves.rs`); by brute
    /// force, in blocks of `QUERY_ROWS` in tree order, so neighbouring queries share the cache.
    /// The search runs in blocks of [`QUERY_BLOCK`] points, reporting the share done after each; it returns
    /// [`FitError::Cancelled`] soon after `control`'s flag is set.
    pub fn query_self(&self, k: usize, control: Control) -> Result<Neighbours, FitError> {
        let d = self.dims;
        let k = k.min(self.len());
        let m = self.distinct();
        let mut out = Neighbours {
            k,
            indices: vec![0; m * k],
            distances: vec![0.0; m * k],
        };
        if k == 0 {
            return Ok(out);
        }
        // `k` includes the row itself: scikit-learn's rule is on the neighbours asked.
        if !self.brute_force(k - 1) {
            self.query_self_in_groups(k, control, &mut out.indices, &mut out.distances)?;
            return Ok(out);
        }
        let products = self.products_for(k - 1);
        let block = QUERY_BLOCK * k;
        for (b, (indices, distances)) in out
            .indices
            .chunks_mut(block)
            .zip(out.distances.chunks_mut(block))
            .enumerate()
        {
            if control.cancelled() {
                return Err(FitError::Cancelled);
            }
            let first = b * QUERY_BLOCK;
            indices
                .par_chunks_mut(QUERY_ROWS * k)
                .zip(distances.par_chunks_mut(QUERY_ROWS * k))
                .enumerate()
                .for_each_init(
                    || self.search_for(k, k - 1),
                    |search, (c, (idx, dist))| {
                        if control.cancelled() {
                            return;
                        }
                        let start = first + c * QUERY_ROWS;
                        let queries = &self.points[start * d..(start + idx.len() / k) * d];
                        self.start_block(products.as_ref(), queries, k, search);
                        let lists = idx.chunks_mut(k).zip(dist.chunks_mut(k));
                        for (i, (idx, dist)) in lists.enumerate() {
                            search.current = i;
                            self.nearest(&queries[i * d..(i + 1) * d], k, search, idx, dist);
                        }
                    },
                );
            control.report(((first + indices.len() / k) as f64 / m as f64) as f32);
        }
        if control.cancelled() {
            return Err(FitError::Cancelled);
        }
        Ok(out)
    }

    /// Whether a search for `n_neighbors` scans candidates instead of walking the tree, as
    /// scikit-learn's `algorithm="auto"` chooses brute force: above [`MAX_TREE_FEATURES`]
    /// features, or when `n_neighbors >= n_samples // 2`. Both find the same neighbours (ties by
    /// row index); brute force is the faster when most rows are neighbours anyway.
    pub fn brute_force(&self, n_neighbors: usize) -> bool {
        self.nodes.is_empty() || n_neighbors >= self.len() / 2
    }

    /// The state of a search for `k` rows, by brute force or not as [`Self::brute_force`]
    /// decides for `n_neighbors`.
    fn search_for(&self, k: usize, n_neighbors: usize) -> Search {
        let mut search = Search::new(k);
        search.brute = self.brute_force(n_neighbors);
        search
    }

    /// The points prepared for the matrix products of a brute-force search for `n_neighbors`,
    /// or `None` when the tree is walked (see [`Self::brute_force`]).
    fn products_for(&self, n_neighbors: usize) -> Option<Products> {
        self.brute_force(n_neighbors)
            .then(|| Products::new(&self.points, self.dims))
    }

    /// Rows `rows` of `queries` in the index's units, row-major, into `out`.
    fn scaled_rows(&self, queries: &Matrix, rows: std::ops::Range<usize>, out: &mut Vec<f64>) {
        out.clear();
        for r in rows {
            out.extend((0..self.dims).map(|f| queries.get(r, f) * self.scale));
        }
    }

    /// Prepares `search` for a block of `queries` (row-major, the index's units): with
    /// `products` (brute force), the candidates of each for its `k` nearest rows.
    fn start_block(
        &self,
        products: Option<&Products>,
        queries: &[f64],
        k: usize,
        search: &mut Search,
    ) {
        if let Some(products) = products {
            let weight = |p: u32| self.weight(p) as u32;
            products.candidates(queries, k, weight, &mut search.candidates);
        }
    }

    /// Breunig et al.'s k-distance neighbourhood of each distinct point (in the order of
    /// [`Self::point_of`]): every indexed point within the distance of its `k`-th nearest *other*
    /// row, itself included (its other rows are at distance 0). Calls `f(point, neighbourhood)`
    /// in parallel and returns the results. The neighbourhood depends only on distances, not on
    /// row order. Returns [`FitError::Cancelled`] soon after `control`'s flag is set (each
    /// block of [`QUERY_ROWS`] points looks at it before it starts).
    pub fn map_k_distance_self<T: Send>(
        &self,
        k: usize,
        control: Control,
        f: impl Fn(usize, &[Near]) -> T + Sync,
    ) -> Result<Vec<T>, FitError> {
        let d = self.dims;
        let k = (k + 1).min(self.len());
        let m = self.distinct();
        let products = self.products_for(k - 1);
        let all = (0..m.div_ceil(QUERY_ROWS))
            .into_par_iter()
            .map_init(
                || (self.search_for(k, k - 1), Vec::new()),
                |(search, out), c| {
                    if control.cancelled() {
                        return Vec::new();
                    }
                    let (start, end) = (c * QUERY_ROWS, ((c + 1) * QUERY_ROWS).min(m));
                    let queries = &self.points[start * d..end * d];
                    self.start_block(products.as_ref(), queries, k, search);
                    (start..end)
                        .map(|p| {
                            search.current = p - start;
                            self.within_kth(&self.points[p * d..(p + 1) * d], k, search, out);
                            f(p, out)
                        })
                        .collect::<Vec<T>>()
                },
            )
            .flatten()
            .collect();
        if control.cancelled() {
            return Err(FitError::Cancelled);
        }
        Ok(all)
    }

    /// The k-distance neighbourhood (every indexed point within the distance of the `k`-th
    /// nearest row) of each row of `queries`: `f(row, neighbourhood)` in parallel.
    pub fn map_k_distance<T: Send>(
        &self,
        queries: &Matrix,
        k: usize,
        f: impl Fn(usize, &[Near]) -> T + Sync,
    ) -> Vec<T> {
        let d = self.dims;
        let k = k.clamp(1, self.len().max(1));
        let n = queries.rows();
        let products = self.products_for(k);
        (0..n.div_ceil(QUERY_ROWS))
            .into_par_iter()
            .map_init(
                || (Vec::new(), self.search_for(k, k), Vec::new()),
                |(q, search, out), c| {
                    let (start, end) = (c * QUERY_ROWS, ((c + 1) * QUERY_ROWS).min(n));
                    self.scaled_rows(queries, start..end, q);
                    self.start_block(products.as_ref(), q, k, search);
                    (start..end)
                        .map(|r| {
                            let i = r - start;
                            search.current = i;
                            self.within_kth(&q[i * d..(i + 1) * d], k, search, out);
                            f(r, out)
                        })
                        .collect::<Vec<T>>()
                },
            )
            .flatten()
            .collect()
    }

    /// Every point within the distance of the `k`-th nearest row to `q`, into `out`, nearest
    /// first. The search keeps, besides the points standing for the `k` nearest rows, every
    /// point dropped at the distance of the farthest of them, so ties are all there.
    fn within_kth(&self, q: &[f64], k: usize, search: &mut Search, out: &mut Vec<Near>) {
        search.heap.clear();
        search.dropped.clear();
        search.rows = 0;
        out.clear();
        if k == 0 {
            return;
        }
        self.search_all(q, k, search);
        let top = search.heap.peek().map(|c| c.0);
        let found = &mut search.found;
        found.clear();
        found.extend(search.heap.drain());
        if top.is_some_and(|t| search.dropped.first().is_some_and(|c| c.0 == t)) {
            found.append(&mut search.dropped);
        }
        found.sort_unstable();
        out.extend(found.iter().map(|c| Near {
            point: c.1,
            row: self.members_of(c.1)[0],
            rows: self.weight(c.1) as u32,
            distance: c.0.sqrt(),
        }));
    }

    /// The `k` nearest rows to `q`, nearest first (ties by row index), written to `idx` and
    /// `dist` (each `k` long, `k` at most the number of rows).
    fn nearest(&self, q: &[f64], k: usize, search: &mut Search, idx: &mut [u32], dist: &mut [f64]) {
        search.reset();
        self.search_all(q, k, search);
        self.answer(k, search, idx, dist);
    }

    /// Writes the `k` nearest rows of the points `search` has kept, nearest first (ties by row
    /// index), to `idx` and `dist` (each `k` long).
    fn answer(&self, k: usize, search: &mut Search, idx: &mut [u32], dist: &mut [f64]) {
        // The points of the answer: the heap, and the dropped points that tie with its top.
        let top = search.heap.peek().map(|c| c.0);
        let found = &mut search.found;
        found.clear();
        found.extend(search.heap.drain());
        if top.is_some_and(|t| search.dropped.first().is_some_and(|c| c.0 == t)) {
            found.append(&mut search.dropped);
        }
        found.sort_unstable();
        self.expand(k, &search.found, &mut search.level, idx, dist);
    }

    /// Writes the `k` nearest rows of `found` (the points of an answer, nearest first, with
    /// every point tied at the farthest distance) to `idx` and `dist`.
    fn expand(
        &self,
        k: usize,
        found: &[Candidate],
        level: &mut Vec<u32>,
        idx: &mut [u32],
        dist: &mut [f64],
    ) {
        // Expand to rows, one distance at a time: points at the same distance merge their rows
        // by index.
        let mut taken = 0;
        let mut i = 0;
        while taken < k && i < found.len() {
            let s = found[i].0;
            let end = i + found[i..].iter().take_while(|c| c.0 == s).count();
            let need = k - taken;
            level.clear();
            for c in &found[i..end] {
                level.extend(self.members_of(c.1).iter().take(need));
            }
            if end - i > 1 {
                level.sort_unstable();
            }
            let d = s.sqrt();
            for &row in level.iter().take(need) {
                idx[taken] = row;
                dist[taken] = d;
                taken += 1;
            }
            i = end;
        }
        debug_assert_eq!(taken, k, "the candidates stand for at least k rows");
    }

    /// Adds a candidate point, then drops the farthest points while the rest stand for at
    /// least `k` rows. Dropped points are kept while they tie with the new farthest distance:
    /// their rows may still come before that distance's other rows by index.
    #[inline]
    fn offer(&self, search: &mut Search, k: usize, c: Candidate) {
        if self.single {
            // Every point is one row: the heap holds the k nearest points.
            if search.rows < k {
                search.rows += 1;
                search.heap.push(c);
                return;
            }
            let dropped = match search.heap.peek_mut() {
                Some(mut top) if c < *top => std::mem::replace(&mut *top, c),
                _ => c,
            };
            search.drop_point(dropped);
            return;
        }
        let w = self.weight(c.1);
        // The usual case: the candidate takes the place of the farthest point, which the rest
        // no longer need (as a push followed by a pop would do, with one sift).
        let replaced = match search.heap.peek_mut() {
            Some(mut top) => {
                let top_w = self.weight(top.1);
                (c < *top && search.rows - top_w + w >= k)
                    .then(|| (std::mem::replace(&mut *top, c), top_w))
            }
            None => None,
        };
        if let Some((old, top_w)) = replaced {
            search.rows = search.rows - top_w + w;
            search.drop_point(old);
            self.prune(search, k);
            return;
        }
        search.rows += w;
        search.heap.push(c);
        self.prune(search, k);
    }

    /// Drops the farthest points while the rest stand for at least `k` rows.
    #[inline]
    fn prune(&self, search: &mut Search, k: usize) {
        while let Some(top) = search.heap.peek() {
            let w = self.weight(top.1);
            if search.rows - w < k {
                break;
            }
            let Some(top) = search.heap.pop() else {
                break;
            };
            search.rows -= w;
            search.drop_point(top);
        }
    }

    /// The number of features as seen by code specialised for `D` features (0: any number).
    #[inline(always)]
    fn dims_of<const D: usize>(&self) -> usize {
        if D == 0 {
            self.dims
        } else {
            D
        }
    }

    /// The squared distances of `q` to points `from..from + len` (tree order, at most a chunk)
    /// into `s`, by [`knn_vector::distances`] (equal to [`distance2`]'s to the bit), and the
    /// mask of those within `worst`.
    #[inline(always)]
    fn chunk_distances<const D: usize>(
        &self,
        q: &[f64],
        from: usize,
        len: usize,
        worst: f64,
        s: &mut [f64; knn_vector::CHUNK],
    ) -> u32 {
        let run = knn_vector::Run {
            columns: &self.columns,
            stride: self.distinct(),
            start: from,
            len,
        };
        knn_vector::distances::<D>(self.lanes, run, &q[..self.dims_of::<D>()], worst, s)
    }

    /// Offers points `start..end` (tree order) to the search, their distances taken a chunk of
    /// points at a time ([`Self::chunk_distances`]) and offered in order, as a scan point by
    /// point would. Returns the search's bound after ([`Search::worst`]).
    #[inline(always)]
    fn scan<const D: usize>(
        &self,
        q: &[f64],
        start: usize,
        end: usize,
        k: usize,
        search: &mut Search,
    ) -> f64 {
        let mut worst = search.worst(k);
        let mut s = [0.0; knn_vector::CHUNK];
        for from in (start..end).step_by(knn_vector::CHUNK) {
            let len = (end - from).min(knn_vector::CHUNK);
            let mut within = self.chunk_distances::<D>(q, from, len, worst, &mut s);
            // The points within the limit the chunk started with, in order; the limit shrinks
            // as they are offered, so each is checked again against the current one.
            while within != 0 {
                let i = within.trailing_zeros() as usize;
                within &= within - 1;
                if s[i] <= worst {
                    self.offer(search, k, Candidate(s[i], (from + i) as u32));
                    worst = search.worst(k);
                }
            }
        }
        worst
    }

    /// Offers the candidates of the current query of the block (brute force; see
    /// [`super::knn_brute`]), ascending, with their exact distances: the same offers as a scan
    /// of every point, less points that cannot be among the nearest.
    fn scan_candidates<const D: usize>(&self, q: &[f64], k: usize, search: &mut Search) {
        let candidates = std::mem::take(&mut search.candidates);
        let d = self.dims_of::<D>();
        let q = &q[..d];
        let mut worst = search.worst(k);
        for &p in candidates.of(search.current) {
            let point = &self.points[p as usize * d..(p as usize + 1) * d];
            let s = distance2::<D>(q, point);
            if s <= worst {
                self.offer(search, k, Candidate(s, p));
                worst = search.worst(k);
            }
        }
        search.candidates = candidates;
    }

    /// Squared distance from `q` to node `id`'s bounding box (0 inside it).
    #[inline]
    fn box_distance2<const D: usize>(&self, id: usize, q: &[f64]) -> f64 {
        let d = self.dims_of::<D>();
        let b = &self.boxes[id * 2 * d..(id + 1) * 2 * d];
        let (lo, hi) = b.split_at(d);
        let mut s = 0.0;
        for f in 0..d {
            let g = gap(lo[f], hi[f], q[f], q[f]);
            s += g * g;
        }
        s
    }

    /// True when node `id`'s box is farther from `q` than `worst` (squared), so that none of
    /// its points can be among the nearest: strictly farther, since a point at exactly the k-th
    /// distance may still win on its index. With `WIDE`, the bound is summed with AVX-512 and
    /// only a box surely beyond is reported (see [`knn_vector::box_beyond_avx512`]).
    #[inline(always)]
    fn box_beyond<const D: usize, const WIDE: bool>(
        &self,
        id: usize,
        q: &[f64],
        worst: f64,
    ) -> bool {
        let d = self.dims_of::<D>();
        #[cfg(target_arch = "x86_64")]
        if WIDE && d <= knn_vector::BOX_FEATURES {
            let b = &self.boxes[id * 2 * d..(id + 1) * 2 * d];
            let (lo, hi) = b.split_at(d);
            // SAFETY: `WIDE` is only set by `descend_avx512`, run when the processor has
            // AVX-512F.
            return unsafe { knn_vector::box_beyond_avx512(lo, hi, &q[..d], worst) };
        }
        self.box_distance2::<D>(id, q) > worst
    }

    /// Depth-first search of the tree for the query `q`: skips a node whose box is farther than
    /// the k-th row, visits the child on the query's side of the split first, and tries the
    /// far child's split plane (a one-feature lower bound) before its box.
    #[inline(always)]
    fn descend<const D: usize, const WIDE: bool>(&self, q: &[f64], k: usize, search: &mut Search) {
        let mut stack = std::mem::take(&mut search.stack);
        stack.clear();
        stack.push((0, 0.0));
        while let Some((id, plane)) = stack.pop() {
            let id = id as usize;
            if search.rows >= k {
                let worst = search.worst(k);
                if plane > worst || self.box_beyond::<D, WIDE>(id, q, worst) {
                    continue;
                }
            }
            let node = &self.nodes[id];
            if node.dim == u32::MAX {
                self.scan::<D>(q, node.start as usize, node.end as usize, k, search);
                continue;
            }
            let v = q[node.dim as usize];
            let (near, far) = if v < node.split {
                (node.left, node.right)
            } else {
                (node.right, node.left)
            };
            let gap = v - node.split;
            stack.push((far, gap * gap));
            stack.push((near, 0.0));
        }
        search.stack = stack;
    }

    /// [`Self::descend`] compiled for AVX-512F, its boxes' bounds summed with it.
    ///
    /// # Safety
    /// The processor must support AVX-512F.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    unsafe fn descend_avx512<const D: usize>(&self, q: &[f64], k: usize, search: &mut Search) {
        self.descend::<D, true>(q, k, search);
    }

    /// The tree search, with AVX-512 where the processor has it and the features fit one vector.
    #[inline(always)]
    fn descend_best<const D: usize>(&self, q: &[f64], k: usize, search: &mut Search) {
        #[cfg(target_arch = "x86_64")]
        if self.lanes == Lanes::Avx512 && self.dims <= knn_vector::BOX_FEATURES {
            // SAFETY: `Lanes::detect` found AVX-512F on this processor.
            unsafe { self.descend_avx512::<D>(q, k, search) };
            return;
        }
        self.descend::<D, false>(q, k, search);
    }

    /// Search specialised for the usual small numbers of features, so distances are unrolled.
    fn search_all(&self, q: &[f64], k: usize, search: &mut Search) {
        macro_rules! dispatch {
            ($($n:literal)*) => {
                match self.dims {
                    $($n => if search.brute {
                        self.scan_candidates::<$n>(q, k, search)
                    } else {
                        self.descend_best::<$n>(q, k, search)
                    },)*
                    _ => if search.brute {
                        self.scan_candidates::<0>(q, k, search)
                    } else {
                        self.descend_best::<0>(q, k, search)
                    },
                }
            };
        }
        dispatch!(1 2 3 4 5 6 7 8);
    }
}

/// The gap between the intervals `[lo, hi]` and `[v_lo, v_hi]`, 0 where they overlap: for a
/// value `v`, `gap(lo, hi, v, v)` is its distance to the interval. Values are never NaN, so plain
/// comparisons do (cheaper than `max`'s NaN rules).
#[inline(always)]
fn gap(lo: f64, hi: f64, v_lo: f64, v_hi: f64) -> f64 {
    let below = lo - v_hi;
    let above = v_lo - hi;
    if below > 0.0 {
        below
    } else if above > 0.0 {
        above
    } else {
        0.0
    }
}

/// The exact squared distance of `q` and `point` (`D` features, or any number for 0): the sum of
/// squared differences, feature by feature in order, as scikit-learn's k-d tree takes it.
/// Brute-force candidates use it; the tree's leaves use [`knn_vector::distances`], which takes
/// the same formula in the same order across points and gives the same bits (tested), so the two
/// searches' distances and ties agree to the bit.
#[inline(always)]
fn distance2<const D: usize>(q: &[f64], point: &[f64]) -> f64 {
    let d = if D == 0 { q.len() } else { D };
    let (q, point) = (&q[..d], &point[..d]);
    let mut s = 0.0;
    for f in 0..d {
        let t = q[f] - point[f];
        s += t * t;
    }
    s
}

/// scikit-learn's `kneighbors()` on the training set, for row `q` whose point's list in `raw`
/// is `list` (see [`Index::query_self`]): of the first `k + 1` raw neighbours the row itself is
/// removed, or, where more than `k` exact duplicates hide it, the first neighbour. Yields `k`
/// (row, distance) pairs, nearest first.
pub fn training_neighbours_of(
    raw: &Neighbours,
    list: usize,
    q: usize,
    k: usize,
) -> impl Iterator<Item = (u32, f64)> + '_ {
    let take = (k + 1).min(raw.k);
    let skip = raw.of(list).0[..take]
        .iter()
        .position(|&i| i as usize == q)
        .unwrap_or(0);
    training_neighbours_at(raw, list, skip, k)
}

/// The first `k + 1` entries of list `list` of `raw` without entry `skip`: the training
/// neighbours of a row found at `skip` in its list (0 for a row not among them).
pub fn training_neighbours_at(
    raw: &Neighbours,
    list: usize,
    skip: usize,
    k: usize,
) -> impl Iterator<Item = (u32, f64)> + '_ {
    let take = (k + 1).min(raw.k);
    let (idx, dist) = raw.of(list);
    (0..take)
        .filter(move |&j| j != skip)
        .take(k)
        .map(move |j| (idx[j], dist[j]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute(points: &[Vec<f64>], q: &[f64], k: usize) -> Vec<(f64, u32)> {
        let mut all: Vec<(f64, u32)> = points
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let s: f64 = p.iter().zip(q).map(|(a, b)| (a - b) * (a - b)).sum();
                (s.sqrt(), i as u32)
            })
            .collect();
        all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        all.truncate(k);
        all
    }

    /// `n` rows of `d` values: uniform in [-3, 3), or with `grid`, one of `levels` values `step`
    /// apart from 0 (many ties and copies).
    fn random_rows(
        rng: &mut rand_pcg::Pcg64Mcg,
        n: usize,
        d: usize,
        grid: bool,
        levels: u32,
        step: f64,
    ) -> Vec<Vec<f64>> {
        use rand::Rng;
        (0..n)
            .map(|_| {
                (0..d)
                    .map(|_| {
                        if grid {
                            f64::from(rng.random_range(0..levels)) * step
                        } else {
                            rng.random_range(-3.0..3.0)
                        }
                    })
                    .collect()
            })
            .collect()
    }

    /// The tree search gives brute force's answer with every instruction set this processor
    /// has (the wide one prunes by a bound summed in another order), on distinct points and on
    /// points with many ties, with up to 8 features (one vector) and more.
    #[test]
    fn every_instruction_set_finds_the_brute_force_neighbours() {
        use rand::SeedableRng;
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(19);
        let sets = knn_vector::supported();
        for d in [2usize, 6, 8, 11] {
            // Enough points for several leaves of the wider tables' larger leaves.
            let n = if d > 6 { 4000 } else { 900 };
            for grid in [false, true] {
                let rows = random_rows(&mut rng, n, d, grid, 4, 0.5);
                let (cols, names) = matrix_of(&rows);
                let x = Matrix::new(&cols, &names).expect("matrix");
                for &lanes in &sets {
                    let mut index = Index::build(&x);
                    index.lanes = lanes;
                    let nb = index.query(&x, 20);
                    for q in (0..n).step_by(7) {
                        let expected = brute(&rows, &rows[q], 20);
                        let (idx, dist) = nb.of(q);
                        let got: Vec<(f64, u32)> =
                            dist.iter().copied().zip(idx.iter().copied()).collect();
                        assert_eq!(got, expected, "{lanes:?}, d = {d}, grid {grid}, query {q}");
                    }
                }
            }
        }
    }

    /// The search of the training points in groups of a leaf's points gives each query's own
    /// walk's lists, to the bit, with every instruction set this processor has: distinct and
    /// tied points, leaves of one group (up to 6 features) and of several (more), several k
    /// (from 48 on, distinct points keep their candidates in a list instead of the heap).
    #[test]
    fn grouped_self_search_equals_each_querys_walk() {
        use rand::SeedableRng;
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(23);
        for d in [1usize, 2, 6, 8, 11, 15] {
            let n = if d > 6 { 3000 } else { 1500 };
            for grid in [false, true] {
                let rows = random_rows(&mut rng, n, d, grid, 5, 0.25);
                let (cols, names) = matrix_of(&rows);
                let x = Matrix::new(&cols, &names).expect("matrix");
                for &lanes in &knn_vector::supported() {
                    let mut index = Index::build(&x);
                    index.lanes = lanes;
                    for k in [1, 21, 48, 90] {
                        let walked = index.query(&x, k);
                        let grouped = index.query_self(k, Control::default()).expect("search");
                        for r in 0..n {
                            assert_eq!(
                                grouped.of(index.point_of(r)),
                                walked.of(r),
                                "{lanes:?}, d = {d}, grid {grid}, k = {k}, row {r}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn tree_equals_brute_force_including_ties() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(7);
        for d in [1usize, 3, 6, 20] {
            // Integer coordinates: many equal distances and duplicates.
            let rows: Vec<Vec<f64>> = (0..700)
                .map(|_| (0..d).map(|_| f64::from(rng.random_range(0..6))).collect())
                .collect();
            let (cols, names) = matrix_of(&rows);
            let x = Matrix::new(&cols, &names).expect("matrix");
            let index = Index::build(&x);
            let nb = index.query(&x, 25);
            for q in (0..700).step_by(13) {
                let expected = brute(&rows, &rows[q], 25);
                let (idx, dist) = nb.of(q);
                let got: Vec<(f64, u32)> = dist.iter().copied().zip(idx.iter().copied()).collect();
                assert_eq!(got, expected, "d = {d}, query {q}");
            }
        }
    }

    #[test]
    fn distinct_points_with_tied_distances_equal_brute_force() {
        use rand::seq::SliceRandom;
        use rand::SeedableRng;
        // A shuffled grid: no two rows equal (one row per point), every distance tied many times.
        let mut rows: Vec<Vec<f64>> = (0..512)
            .map(|i| vec![f64::from(i % 8), f64::from(i / 8 % 8), f64::from(i / 64)])
            .collect();
        rows.shuffle(&mut rand_pcg::Pcg64Mcg::seed_from_u64(3));
        let (cols, names) = matrix_of(&rows);
        let index = Index::build(&Matrix::new(&cols, &names).expect("matrix"));
        assert_eq!(index.distinct(), rows.len());
        for k in [1, 7, 27, 100] {
            let raw = index.query_self(k, Control::default()).expect("search");
            for (r, row) in rows.iter().enumerate() {
                let (idx, dist) = raw.of(index.point_of(r));
                let got: Vec<(f64, u32)> = dist.iter().copied().zip(idx.iter().copied()).collect();
                assert_eq!(got, brute(&rows, row, k), "k = {k}, row {r}");
            }
        }
    }

    #[test]
    fn self_is_removed_or_the_first_duplicate() {
        let raw = Neighbours {
            k: 3,
            indices: vec![0, 1, 2, 5, 1, 6, 5, 6, 7],
            distances: vec![0.0, 1.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        };
        // Query 0 finds itself first; query 1 finds itself second; query 2 is hidden behind
        // duplicates 5, 6 and 7, so the first of them is dropped.
        let rows = |q| {
            training_neighbours_of(&raw, q, q, 2)
                .map(|(i, _)| i)
                .collect::<Vec<_>>()
        };
        assert_eq!(rows(0), [1, 2]);
        assert_eq!(rows(1), [5, 6]);
        assert_eq!(rows(2), [6, 7]);
    }

    fn matrix_of(rows: &[Vec<f64>]) -> (Vec<Vec<f64>>, Vec<String>) {
        let d = rows[0].len();
        let cols = (0..d)
            .map(|f| rows.iter().map(|r| r[f]).collect())
            .collect();
        (cols, (0..d).map(|f| f.to_string()).collect())
    }

    #[test]
    fn lists_of_distinct_points_equal_brute_force_for_every_row() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(11);
        for d in [1usize, 2, 3, 17] {
            // Few distinct values: groups of copies, and whole groups tied at the k-th distance.
            let base: Vec<Vec<f64>> = (0..150)
                .map(|_| (0..d).map(|_| f64::from(rng.random_range(0..4))).collect())
                .collect();
            let rows: Vec<Vec<f64>> = (0..500)
                .map(|_| base[rng.random_range(0..base.len())].clone())
                .collect();
            let (cols, names) = matrix_of(&rows);
            let x = Matrix::new(&cols, &names).expect("matrix");
            let index = Index::build(&x);
            assert!(index.distinct() < rows.len(), "d = {d}");
            assert_eq!(index.len(), rows.len());
            for k in [1, 7, 40, 500] {
                let raw = index.query_self(k, Control::default()).expect("search");
                assert_eq!(raw.len(), index.distinct());
                for (r, row) in rows.iter().enumerate() {
                    let (idx, dist) = raw.of(index.point_of(r));
                    let got: Vec<(f64, u32)> =
                        dist.iter().copied().zip(idx.iter().copied()).collect();
                    assert_eq!(got, brute(&rows, row, k), "d = {d}, k = {k}, row {r}");
                }
            }
        }
    }

    #[test]
    fn signed_zeros_are_one_point() {
        let rows = vec![
            vec![0.0, 1.0],
            vec![-0.0, 1.0],
            vec![0.0, 1.0],
            vec![3.0, 1.0],
        ];
        let (cols, names) = matrix_of(&rows);
        let index = Index::build(&Matrix::new(&cols, &names).expect("matrix"));
        assert_eq!(index.distinct(), 2);
        assert_eq!(index.point_of(0), index.point_of(1));
    }

    #[test]
    fn only_values_that_could_overflow_are_scaled_by_a_power_of_two() {
        let scale_of = |v: f64| {
            let cols = vec![vec![1.0, -v, 0.5]];
            let names = vec!["a".to_string()];
            Index::build(&Matrix::new(&cols, &names).expect("matrix")).scale()
        };
        assert_eq!(scale_of(1e120), 1.0);
        assert_eq!(scale_of(2f64.powi(MAX_UNSCALED_EXPONENT)), 1.0);
        for v in [2f64.powi(MAX_UNSCALED_EXPONENT + 1), 1e301, f64::MAX] {
            let s = scale_of(v);
            assert_eq!(s.to_bits() & ((1 << 52) - 1), 0, "{s} is a power of two");
            let top = v * s;
            assert!(
                top >= 2f64.powi(MAX_UNSCALED_EXPONENT)
                    && top < 2f64.powi(MAX_UNSCALED_EXPONENT + 1),
                "{v}: {top}"
            );
        }
        // Distances between the largest finite values stay finite.
        let cols = vec![vec![f64::MAX, -f64::MAX, 0.0]; 20];
        let names: Vec<String> = (0..20).map(|f| f.to_string()).collect();
        let x = Matrix::new(&cols, &names).expect("matrix");
        let raw = Index::build(&x).query(&x, 3);
        assert!(raw.distances.iter().all(|d| d.is_finite()));
    }
}
