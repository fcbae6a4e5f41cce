//! One isolation tree in flat arrays, and how it is grown: at each node a feature chosen at
//! random among those not constant in the node, and a threshold drawn uniformly between that
//! feature's minimum and maximum in the node (scikit-learn's random splitter with
//! `max_features = 1`).
//!
//! Layout for fast scoring: the two children of a node are adjacent (`right = left + 1`), and a
//! leaf points to itself with the largest threshold, so every row can walk exactly `depth` steps
//! without branching. Values are compared as `f32`, as scikit-learn does; thresholds are stored
//! as the largest `f32` not above scikit-learn's `f64` threshold, which gives the same answer for
//! every `f32` value.

use rand::Rng;
use serde::{Deserialize, Serialize};

use super::complete::Complete;
use super::path_length::average_path_length;

/// A feature range at or below this is constant (scikit-learn's `FEATURE_THRESHOLD`).
const FEATURE_THRESHOLD: f32 = 1e-7;

/// A node: rows with `x[feature] <= threshold` go to `left`, the others to `left + 1`.
/// A leaf has `left` equal to its own index and the threshold `f32::MAX`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// Split threshold (`f32::MAX` for a leaf).
    pub threshold: f32,
    /// Split feature (0 for a leaf).
    pub feature: u32,
    /// Left child (the right child is `left + 1`); the node itself for a leaf.
    pub left: u32,
}

/// A tree as a flat node array; node 0 is the root.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tree {
    /// The nodes.
    pub nodes: Vec<Node>,
    /// Per node: for a leaf, scikit-learn's path-length term `(depth + 1) + c(samples) - 1`.
    pub values: Vec<f64>,
    /// Depth of the deepest leaf (root 0): the number of steps every row walks.
    pub depth: u32,
    /// The unrolled form used for scoring, made on first use.
    #[serde(skip)]
    complete: std::sync::OnceLock<Option<Complete>>,
}

impl PartialEq for Tree {
    fn eq(&self, other: &Self) -> bool {
        self.nodes == other.nodes && self.values == other.values && self.depth == other.depth
    }
}

impl Tree {
    /// The unrolled form for scoring, or `None` for a tree too deep to unroll.
    pub fn complete(&self) -> Option<&Complete> {
        self.complete
            .get_or_init(|| Complete::from_tree(self))
            .as_ref()
    }

    /// Whether node `i` is a leaf.
    #[inline]
    pub fn is_leaf(&self, i: usize) -> bool {
        self.nodes[i].left as usize == i
    }

    /// The leaf that a row reaches (`value_of(feature)` gives the row's `f32` values).
    #[inline]
    pub fn leaf(&self, value_of: impl Fn(usize) -> f32) -> usize {
        let mut i = 0usize;
        for _ in 0..self.depth {
            let n = &self.nodes[i];
            i = (n.left + u32::from(value_of(n.feature as usize) > n.threshold)) as usize;
        }
        i
    }

    /// The feature of the last split on the way to the leaf, and the leaf's depth.
    pub fn last_split(&self, value_of: impl Fn(usize) -> f32) -> Option<(usize, u32)> {
        let mut i = 0usize;
        let mut depth = 0;
        let mut last = None;
        while !self.is_leaf(i) {
            let n = &self.nodes[i];
            last = Some(n.feature as usize);
            i = (n.left + u32::from(value_of(n.feature as usize) > n.threshold)) as usize;
            depth += 1;
        }
        last.map(|f| (f, depth))
    }

    /// Builds a tree from scikit-learn's arrays (`children_left`, `children_right`, `feature`,
    /// `threshold`, `n_node_samples`). `None` if the arrays are inconsistent.
    pub fn from_sklearn(
        left: &[i64],
        right: &[i64],
        feature: &[i64],
        threshold: &[f64],
        samples: &[u64],
    ) -> Option<Tree> {
        let n = left.len();
        if [right.len(), feature.len(), threshold.len(), samples.len()]
            .iter()
            .any(|&l| l != n)
            || n == 0
        {
            return None;
        }
        let mut b = Builder::new();
        // (sklearn node, our node, depth); breadth-first so that children are laid out in pairs.
        let mut queue = std::collections::VecDeque::from([(0usize, 0usize, 0u32)]);
        let mut visited = 0usize;
        while let Some((sk, ours, depth)) = queue.pop_front() {
            visited += 1;
            if visited > n {
                return None;
            }
            if left[sk] < 0 {
                b.leaf(ours, depth, samples[sk] as usize);
                continue;
            }
            let (l, r) = (
                usize::try_from(left[sk]).ok()?,
                usize::try_from(right[sk]).ok()?,
            );
            if l >= n || r >= n {
                return None;
            }
            let f = u32::try_from(feature[sk]).ok()?;
            let child = b.split(ours, f, threshold[sk]);
            queue.push_back((l, child, depth + 1));
            queue.push_back((r, child + 1, depth + 1));
        }
        Some(b.finish())
    }
}

/// Appends nodes in the fast layout.
struct Builder {
    nodes: Vec<Node>,
    values: Vec<f64>,
    depth: u32,
}

impl Builder {
    fn new() -> Self {
        Builder {
            nodes: vec![leaf_node(0)],
            values: vec![0.0],
            depth: 0,
        }
    }

    /// Makes node `id` a leaf at `depth` holding `samples` samples.
    fn leaf(&mut self, id: usize, depth: u32, samples: usize) {
        self.nodes[id] = leaf_node(id);
        self.values[id] = leaf_value(depth, samples);
        self.depth = self.depth.max(depth);
    }

    /// Makes node `id` a split and appends its two children; returns the left child's index.
    fn split(&mut self, id: usize, feature: u32, threshold: f64) -> usize {
        let left = self.nodes.len();
        self.nodes.push(leaf_node(left));
        self.nodes.push(leaf_node(left + 1));
        self.values.extend([0.0, 0.0]);
        self.nodes[id] = Node {
            threshold: f32_at_or_below(threshold),
            feature,
            left: left as u32,
        };
        left
    }

    fn finish(self) -> Tree {
        Tree {
            nodes: self.nodes,
            values: self.values,
            depth: self.depth,
            complete: std::sync::OnceLock::new(),
        }
    }
}

/// Rounds a value to `f32` the way scores compare it, saturating at the largest finite `f32` (so
/// that a leaf's threshold, `f32::MAX`, keeps every row).
#[inline]
pub fn to_f32(v: f64) -> f32 {
    (v as f32).clamp(f32::MIN, f32::MAX)
}

/// A leaf at index `id`.
fn leaf_node(id: usize) -> Node {
    Node {
        threshold: f32::MAX,
        feature: 0,
        left: id as u32,
    }
}

/// The largest `f32` not above `t`: for any `f32` x, `x as f64 <= t` exactly when
/// `x <= f32_at_or_below(t)`.
pub fn f32_at_or_below(t: f64) -> f32 {
    let f = t as f32;
    if f64::from(f) > t {
        f.next_down()
    } else {
        f
    }
}

/// scikit-learn's per-tree term for a leaf at `depth` (root 0) holding `samples` samples:
/// `(depth + 1) + c(samples) - 1`, evaluated in that order.
pub fn leaf_value(depth: u32, samples: usize) -> f64 {
    (f64::from(depth) + 1.0) + average_path_length(samples as f64) - 1.0
}

/// Grows a tree on a subsample. `columns[f][i]` holds feature `features[f]` of subsample row
/// `i`, already rounded to `f32`.
pub fn grow(columns: &[Vec<f32>], features: &[usize], max_depth: u32, rng: &mut impl Rng) -> Tree {
    let n = columns.first().map_or(0, Vec::len);
    let mut index: Vec<u32> = (0..n as u32).collect();
    let mut b = Builder::new();
    // (node, start, end, depth), breadth-first.
    let mut queue = std::collections::VecDeque::from([(0usize, 0usize, n, 0u32)]);
    let mut candidates: Vec<usize> = Vec::with_capacity(columns.len());
    while let Some((id, start, end, depth)) = queue.pop_front() {
        let count = end - start;
        let split = if depth >= max_depth || count < 2 {
            None
        } else {
            choose_split(columns, &index[start..end], &mut candidates, rng)
        };
        let Some((local_feature, threshold)) = split else {
            b.leaf(id, depth, count);
            continue;
        };
        let col = &columns[local_feature];
        let slice = &mut index[start..end];
        let mut mid = 0;
        for k in 0..slice.len() {
            if f64::from(col[slice[k] as usize]) <= threshold {
                slice.swap(mid, k);
                mid += 1;
            }
        }
        let left = b.split(id, features[local_feature] as u32, threshold);
        queue.push_back((left, start, start + mid, depth + 1));
        queue.push_back((left + 1, start + mid, end, depth + 1));
    }
    b.finish()
}

/// Draws features until one is not constant on `rows`; returns it (as a local index) with a
/// uniform threshold in `[min, max)`, or `None` when every feature is constant.
fn choose_split(
    columns: &[Vec<f32>],
    rows: &[u32],
    candidates: &mut Vec<usize>,
    rng: &mut impl Rng,
) -> Option<(usize, f64)> {
    candidates.clear();
    candidates.extend(0..columns.len());
    while !candidates.is_empty() {
        let pick = rng.random_range(0..candidates.len());
        let f = candidates.swap_remove(pick);
        let col = &columns[f];
        let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
        for &r in rows {
            let v = col[r as usize];
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if hi <= lo + FEATURE_THRESHOLD {
            continue;
        }
        let (lo, hi) = (f64::from(lo), f64::from(hi));
        let u: f64 = rng.random();
        let mut threshold = (hi - lo) * u + lo;
        if threshold >= hi {
            threshold = lo;
        }
        return Some((f, threshold));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn grows_a_valid_tree_and_isolates_an_outlier_early() {
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(1);
        let mut a: Vec<f32> = (0..255).map(|i| (i % 17) as f32).collect();
        a.push(1000.0);
        let b: Vec<f32> = (0..256).map(|i| (i % 5) as f32).collect();
        let tree = grow(&[a, b], &[0, 1], 8, &mut rng);
        assert!(tree.nodes.len() > 1 && tree.depth <= 8);
        for (i, n) in tree.nodes.iter().enumerate() {
            assert!(tree.is_leaf(i) || (n.left as usize + 1) < tree.nodes.len());
        }
        let out = tree
            .last_split(|f| if f == 0 { 1000.0 } else { 2.0 })
            .map_or(0, |(_, d)| d);
        let inl = tree
            .last_split(|f| if f == 0 { 8.0 } else { 2.0 })
            .map_or(0, |(_, d)| d);
        assert!(out <= inl);
    }

    #[test]
    fn constant_data_makes_a_single_leaf() {
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(1);
        let tree = grow(&[vec![3.0; 10], vec![1.0; 10]], &[0, 1], 4, &mut rng);
        assert_eq!(tree.nodes.len(), 1);
        assert_eq!(tree.depth, 0);
        assert_eq!(tree.values[tree.leaf(|_| 0.0)], leaf_value(0, 10));
    }

    #[test]
    fn sklearn_arrays_are_laid_out_in_pairs() {
        // Root splits feature 1 at 0.5; its left child splits feature 0 at 2.0 (leaves of 2 and
        // 1 samples); the right child is a leaf of 1 sample. scikit-learn numbers depth-first.
        let t = Tree::from_sklearn(
            &[1, 2, -1, -1, -1],
            &[4, 3, -1, -1, -1],
            &[1, 0, -2, -2, -2],
            &[0.5, 2.0, -2.0, -2.0, -2.0],
            &[4, 3, 2, 1, 1],
        )
        .expect("valid");
        assert_eq!(t.depth, 2);
        let leaf = t.leaf(|f| if f == 0 { 1.0 } else { 0.0 });
        assert_eq!(t.values[leaf], 2.0 + 1.0 + average_path_length(2.0) - 1.0);
        let leaf = t.leaf(|_| 9.0);
        assert_eq!(t.values[leaf], 1.0 + 1.0 + 0.0 - 1.0);
        assert!(Tree::from_sklearn(&[5], &[1], &[0], &[0.0], &[1]).is_none());
    }

    #[test]
    fn f32_thresholds_give_the_same_answers() {
        for t in [
            0.1f64,
            -0.1,
            1.0,
            1e-40,
            3.3,
            123.456_789_012_345,
            -7.000_000_1,
        ] {
            let tf = f32_at_or_below(t);
            let x = t as f32;
            for v in [x.next_down(), x, x.next_up()] {
                assert_eq!(f64::from(v) <= t, v <= tf, "{v} vs {t}");
            }
        }
    }
}
