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
        let per_query: Vec<(Vec<u32>, Vec<f64>)> = (0..queries.rows())
            .into_par_iter()
            .map_init(
                || (vec![0.0; d], BinaryHeap::with_capacity(k + 1)),
                |(q, heap), r| {
                    for (f, v) in q.iter_mut().enumerate() {
                        *v = queries.get(r, f);
                    }
                    self.nearest(q, k, heap)
                },
            )
            .collect();
        let mut out = Neighbours {
            k,
            indices: Vec::with_capacity(per_query.len() * k),
            distances: Vec::with_capacity(per_query.len() * k),
        };
        for (idx, dist) in per_query {
            out.indices.extend(idx);
            out.distances.extend(dist);
        }
        out
    }

    /// The `k` nearest points to `q`, nearest first (ties by row index).
    fn nearest(
        &self,
        q: &[f64],
        k: usize,
        heap: &mut BinaryHeap<Candidate>,
    ) -> (Vec<u32>, Vec<f64>) {
        heap.clear();
        if k > 0 {
            if self.nodes.is_empty() {
                self.scan(q, 0, self.rows.len(), k, heap);
            } else {
                self.search(0, q, k, heap);
            }
        }
        let mut found: Vec<Candidate> = std::mem::take(heap).into_sorted_vec();
        let idx = found.iter().map(|c| c.1).collect();
        let dist = found.iter().map(|c| c.0.sqrt()).collect();
        found.clear();
        *heap = BinaryHeap::from(found);
        (idx, dist)
    }

    /// Squared distance, summed feature by feature.
    #[inline]
    fn distance2(&self, q: &[f64], p: usize) -> f64 {
        let point = &self.points[p * self.dims..(p + 1) * self.dims];
        let mut s = 0.0;
        for (a, b) in q.iter().zip(point) {
            let t = a - b;
            s += t * t;
        }
        s
    }

    /// Offers points `start..end` (tree order) to the heap.
    fn scan(
        &self,
        q: &[f64],
        start: usize,
        end: usize,
        k: usize,
        heap: &mut BinaryHeap<Candidate>,
    ) {
        for p in start..end {
            let c = Candidate(self.distance2(q, p), self.rows[p]);
            if heap.len() < k {
                heap.push(c);
            } else if heap.peek().is_some_and(|top| c < *top) {
                heap.pop();
                heap.push(c);
            }
        }
    }

    /// Depth-first search, nearer child first, pruning by the split plane.
    fn search(&self, id: usize, q: &[f64], k: usize, heap: &mut BinaryHeap<Candidate>) {
        let node = &self.nodes[id];
        if node.dim == u32::MAX {
            self.scan(q, node.start as usize, node.end as usize, k, heap);
            return;
        }
        let diff = q[node.dim as usize] - node.split;
        let (near, far) = if diff < 0.0 {
            (node.left, node.right)
        } else {
            (node.right, node.left)
        };
        self.search(near as usize, q, k, heap);
        // A point at exactly the current k-th distance may still win on its index: use `<=`.
        if heap.len() < k || heap.peek().is_some_and(|top| diff * diff <= top.0) {
            self.search(far as usize, q, k, heap);
        }
    }
}

/// scikit-learn's `kneighbors()` on the training set: `k + 1` neighbours are searched and the
/// point itself is removed; where more than `k` exact duplicates hide the point, the first
/// neighbour is removed instead.
pub fn training_neighbours(raw: &Neighbours, k: usize) -> Neighbours {
    let n = raw.len();
    let take = (k + 1).min(raw.k);
    let mut out = Neighbours {
        k,
        indices: Vec::with_capacity(n * k),
        distances: Vec::with_capacity(n * k),
    };
    for q in 0..n {
        let (idx, dist) = raw.of(q);
        let (idx, dist) = (&idx[..take], &dist[..take]);
        let skip = idx.iter().position(|&i| i as usize == q).unwrap_or(0);
        for j in (0..take).filter(|&j| j != skip).take(k) {
            out.indices.push(idx[j]);
            out.distances.push(dist[j]);
        }
    }
    out
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
        let t = training_neighbours(&raw, 2);
        assert_eq!(t.of(0).0, &[1, 2]);
        assert_eq!(t.of(1).0, &[5, 6]);
        assert_eq!(t.of(2).0, &[6, 7]);
    }
}
