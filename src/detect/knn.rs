//! Exact k-nearest-neighbour search with Euclidean distance: a k-d tree (built once, queried in
//! parallel) for up to 15 features, brute force above, as scikit-learn's `algorithm="auto"`
//! chooses. Distances are `sqrt` of the sum of squared differences taken feature by feature, as
//! scikit-learn's k-d tree computes them; ties are broken by row index, so results are the same
//! whatever the number of threads.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use rayon::prelude::*;

use super::Matrix;

/// Above this many features, search by brute force (a k-d tree no longer prunes well).
pub const MAX_TREE_FEATURES: usize = 15;

/// Points per leaf of the k-d tree.
const LEAF_SIZE: usize = 32;

/// Neighbour lists: for each query, `k` (row index, distance) pairs, nearest first.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Neighbours {
    /// Neighbours per query.
    pub k: usize,
    /// Row indices, `k` per query.
    pub indices: Vec<u32>,
    /// Distances, `k` per query.
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

/// A searchable copy of the training points (row-major).
#[derive(Debug, Clone)]
pub struct Index {
    dims: usize,
    /// Points in tree order, row-major.
    points: Vec<f64>,
    /// Original row of each point in tree order.
    rows: Vec<u32>,
    /// Tree nodes (empty for brute force).
    nodes: Vec<KdNode>,
    /// Bounding box of each node: `dims` minima then `dims` maxima.
    boxes: Vec<f64>,
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

/// A candidate neighbour in the max-heap (largest distance, then largest index, on top).
#[derive(PartialEq)]
struct Candidate(f64, u32);

impl Eq for Candidate {}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0).then(self.1.cmp(&other.1))
    }
}

impl Index {
    /// Indexes the rows of `x`.
    pub fn build(x: &Matrix) -> Index {
        let (n, d) = (x.rows(), x.features());
        let mut points = vec![0.0; n * d];
        for f in 0..d {
            for (r, v) in x.column(f).iter().enumerate() {
                points[r * d + f] = *v;
            }
        }
        let mut index = Index {
            dims: d,
            points,
            rows: (0..n as u32).collect(),
            nodes: Vec::new(),
            boxes: Vec::new(),
        };
        if d <= MAX_TREE_FEATURES {
            index.build_tree();
        }
        index
    }

    /// Builds the tree by splitting at the median of the widest dimension.
    fn build_tree(&mut self) {
        let n = self.rows.len();
        let d = self.dims;
        // Sort a permutation, then apply it to points and rows.
        let mut perm: Vec<u32> = (0..n as u32).collect();
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
            if end - start <= LEAF_SIZE {
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
        self.rows = perm;
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
    }

    /// Number of features.
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// Number of indexed points.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The `k` nearest indexed points of each row of `queries` (in parallel).
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
        out.indices
            .par_chunks_mut(k)
            .zip(out.distances.par_chunks_mut(k))
            .enumerate()
            .for_each_init(
                || (vec![0.0; d], BinaryHeap::with_capacity(k + 1)),
                |(q, heap), (r, (idx, dist))| {
                    for (f, v) in q.iter_mut().enumerate() {
                        *v = queries.get(r, f);
                    }
                    self.nearest(q, k, heap, idx, dist);
                },
            );
        out
    }

    /// The `k` nearest indexed points of every indexed point (itself included), in row order.
    /// Points are visited in tree order, so neighbouring queries share the cache.
    pub fn query_self(&self, k: usize) -> Neighbours {
        /// Queries answered per batch before their lists are moved to row order.
        const BATCH: usize = 1 << 16;
        let d = self.dims;
        let k = k.min(self.len());
        let n = self.len();
        let mut out = Neighbours {
            k,
            indices: vec![0; n * k],
            distances: vec![0.0; n * k],
        };
        if k == 0 {
            return out;
        }
        let mut idx_batch = vec![0u32; BATCH.min(n) * k];
        let mut dist_batch = vec![0.0f64; BATCH.min(n) * k];
        for first in (0..n).step_by(BATCH) {
            let count = BATCH.min(n - first);
            idx_batch[..count * k]
                .par_chunks_mut(k)
                .zip(dist_batch[..count * k].par_chunks_mut(k))
                .enumerate()
                .for_each_init(
                    || BinaryHeap::with_capacity(k + 1),
                    |heap, (i, (idx, dist))| {
                        let p = first + i;
                        self.nearest(&self.points[p * d..(p + 1) * d], k, heap, idx, dist);
                    },
                );
            for (i, &row) in self.rows[first..first + count].iter().enumerate() {
                let (r, t) = (row as usize * k..(row as usize + 1) * k, i * k..(i + 1) * k);
                out.indices[r.clone()].copy_from_slice(&idx_batch[t.clone()]);
                out.distances[r].copy_from_slice(&dist_batch[t]);
            }
        }
        out
    }

    /// The `k` nearest points to `q`, nearest first (ties by row index), written to `idx`
    /// and `dist` (each `k` long).
    fn nearest(
        &self,
        q: &[f64],
        k: usize,
        heap: &mut BinaryHeap<Candidate>,
        idx: &mut [u32],
        dist: &mut [f64],
    ) {
        heap.clear();
        self.search_all(q, k, heap);
        // Pop from the top (farthest) into the slots from the back.
        let mut slot = heap.len();
        while let Some(c) = heap.pop() {
            slot -= 1;
            idx[slot] = c.1;
            dist[slot] = c.0.sqrt();
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

    /// Offers points `start..end` (tree order) to the heap.
    #[inline]
    fn scan<const D: usize>(
        &self,
        q: &[f64],
        start: usize,
        end: usize,
        k: usize,
        heap: &mut BinaryHeap<Candidate>,
    ) {
        let d = self.dims_of::<D>();
        let q = &q[..d];
        let mut worst = current_worst(heap, k);
        let points = self.points[start * d..end * d].chunks_exact(d);
        for (point, &row) in points.zip(&self.rows[start..end]) {
            let mut s = 0.0;
            for f in 0..d {
                let t = q[f] - point[f];
                s += t * t;
            }
            if s <= worst {
                offer(heap, k, Candidate(s, row));
                worst = current_worst(heap, k);
            }
        }
    }

    /// Squared distance from `q` to node `id`'s bounding box (0 inside it).
    #[inline]
    fn box_distance2<const D: usize>(&self, id: usize, q: &[f64]) -> f64 {
        let d = self.dims_of::<D>();
        let b = &self.boxes[id * 2 * d..(id + 1) * 2 * d];
        let (lo, hi) = b.split_at(d);
        let mut s = 0.0;
        for f in 0..d {
            let gap = (lo[f] - q[f]).max(q[f] - hi[f]).max(0.0);
            s += gap * gap;
        }
        s
    }

    /// Depth-first search: skips a node whose box is farther than the k-th candidate, and visits
    /// the child on the query's side of the split first.
    fn search<const D: usize>(
        &self,
        id: usize,
        q: &[f64],
        k: usize,
        heap: &mut BinaryHeap<Candidate>,
    ) {
        // A point at exactly the current k-th distance may still win on its index: prune only
        // boxes strictly farther.
        if heap.len() == k && self.box_distance2::<D>(id, q) > current_worst(heap, k) {
            return;
        }
        let node = &self.nodes[id];
        if node.dim == u32::MAX {
            self.scan::<D>(q, node.start as usize, node.end as usize, k, heap);
            return;
        }
        let (near, far) = if q[node.dim as usize] < node.split {
            (node.left, node.right)
        } else {
            (node.right, node.left)
        };
        self.search::<D>(near as usize, q, k, heap);
        self.search::<D>(far as usize, q, k, heap);
    }

    /// Search specialised for the usual small numbers of features, so distances are unrolled.
    fn search_all(&self, q: &[f64], k: usize, heap: &mut BinaryHeap<Candidate>) {
        macro_rules! dispatch {
            ($($n:literal)*) => {
                match self.dims {
                    $($n => if self.nodes.is_empty() {
                        self.scan::<$n>(q, 0, self.rows.len(), k, heap)
                    } else {
                        self.search::<$n>(0, q, k, heap)
                    },)*
                    _ => if self.nodes.is_empty() {
                        self.scan::<0>(q, 0, self.rows.len(), k, heap)
                    } else {
                        self.search::<0>(0, q, k, heap)
                    },
                }
            };
        }
        dispatch!(1 2 3 4 5 6 7 8);
    }
}

/// The k-th squared distance so far, or infinity while fewer than `k` candidates are known.
#[inline]
fn current_worst(heap: &BinaryHeap<Candidate>, k: usize) -> f64 {
    match heap.peek() {
        Some(top) if heap.len() == k => top.0,
        _ => f64::INFINITY,
    }
}

/// Adds a candidate to a heap of at most `k`, replacing the worst if it is better.
#[inline]
fn offer(heap: &mut BinaryHeap<Candidate>, k: usize, c: Candidate) {
    if heap.len() < k {
        heap.push(c);
    } else if let Some(mut top) = heap.peek_mut() {
        if c < *top {
            *top = c;
        }
    }
}

/// scikit-learn's `kneighbors()` on the training set, for row `q`: of the first `k + 1` raw
/// neighbours the row itself is removed, or, where more than `k` exact duplicates hide it, the
/// first neighbour. Yields `k` (row, distance) pairs, nearest first.
pub fn training_neighbours_of(
    raw: &Neighbours,
    q: usize,
    k: usize,
) -> impl Iterator<Item = (u32, f64)> + '_ {
    let take = (k + 1).min(raw.k);
    let (idx, dist) = raw.of(q);
    let skip = idx[..take]
        .iter()
        .position(|&i| i as usize == q)
        .unwrap_or(0);
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

    #[test]
    fn tree_equals_brute_force_including_ties() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(7);
        for d in [1usize, 3, 6, 20] {
            // Integer coordinates: many equal distances and duplicates.
            let rows: Vec<Vec<f64>> = (0..700)
                .map(|_| (0..d).map(|_| f64::from(rng.random_range(0..6))).collect())
                .collect();
            let cols: Vec<Vec<f64>> = (0..d)
                .map(|f| rows.iter().map(|r| r[f]).collect())
                .collect();
            let names: Vec<String> = (0..d).map(|f| f.to_string()).collect();
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
    fn self_is_removed_or_the_first_duplicate() {
        let raw = Neighbours {
            k: 3,
            indices: vec![0, 1, 2, 5, 1, 6, 5, 6, 7],
            distances: vec![0.0, 1.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        };
        // Query 0 finds itself first; query 1 finds itself second; query 2 is hidden behind
        // duplicates 5, 6 and 7, so the first of them is dropped.
        let rows = |q| {
            training_neighbours_of(&raw, q, 2)
                .map(|(i, _)| i)
                .collect::<Vec<_>>()
        };
        assert_eq!(rows(0), [1, 2]);
        assert_eq!(rows(1), [5, 6]);
        assert_eq!(rows(2), [6, 7]);
    }
}
