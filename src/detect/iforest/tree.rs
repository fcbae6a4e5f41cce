//! One isolation tree in flat arrays, and how it is grown: at each node a feature chosen at
//! random among those not constant in the node, and a threshold drawn uniformly between that
//! feature's minimum and maximum in the node (scikit-learn's random splitter with
//! `max_features = 1`). Values are compared as `f32`, as scikit-learn does.

use rand::Rng;
use serde::{Deserialize, Serialize};

use super::path_length::average_path_length;

/// Marks a leaf in [`Node::feature`].
pub const LEAF: u32 = u32::MAX;

/// A feature range at or below this is constant (scikit-learn's `FEATURE_THRESHOLD`).
const FEATURE_THRESHOLD: f32 = 1e-7;

/// A node: a split (`feature`, `threshold`, children) or a leaf (`feature == LEAF`, `value`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// Rows with `x[feature] as f32 <= threshold` go left.
    pub threshold: f64,
    /// For a leaf: its path-length term, `depth + c(samples in the leaf)` (root depth 0).
    pub value: f64,
    /// Split feature, or [`LEAF`].
    pub feature: u32,
    /// Left child.
    pub left: u32,
    /// Right child.
    pub right: u32,
    /// Training samples that reached the node.
    pub samples: u32,
}

/// A tree as a flat node array; node 0 is the root.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    /// The nodes.
    pub nodes: Vec<Node>,
}

impl Tree {
    /// The leaf that `value_of(feature)` reaches, and its depth (root 0).
    #[inline]
    pub fn leaf(&self, value_of: impl Fn(usize) -> f32) -> (&Node, u32) {
        let mut i = 0usize;
        let mut depth = 0;
        loop {
            let node = &self.nodes[i];
            if node.feature == LEAF {
                return (node, depth);
            }
            let x = f64::from(value_of(node.feature as usize));
            i = if x <= node.threshold {
                node.left
            } else {
                node.right
            } as usize;
            depth += 1;
        }
    }

    /// The feature of the last split on the way to the leaf, and the leaf's depth.
    pub fn last_split(&self, value_of: impl Fn(usize) -> f32) -> Option<(usize, u32)> {
        let mut i = 0usize;
        let mut depth = 0;
        let mut last = None;
        loop {
            let node = &self.nodes[i];
            if node.feature == LEAF {
                return last.map(|f| (f, depth));
            }
            last = Some(node.feature as usize);
            let x = f64::from(value_of(node.feature as usize));
            i = if x <= node.threshold {
                node.left
            } else {
                node.right
            } as usize;
            depth += 1;
        }
    }

    /// Builds a tree from scikit-learn's arrays (`children_left`, `children_right`, `feature`,
    /// `threshold`, `n_node_samples`), with leaf values computed as scikit-learn does:
    /// `decision_path_length + c(n) - 1`. `None` if the arrays are inconsistent.
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
        let mut depth = vec![0u32; n];
        let mut nodes = Vec::with_capacity(n);
        for i in 0..n {
            let is_leaf = left[i] < 0;
            if !is_leaf {
                let (l, r) = (
                    usize::try_from(left[i]).ok()?,
                    usize::try_from(right[i]).ok()?,
                );
                if l >= n || r >= n {
                    return None;
                }
                depth[l] = depth[i] + 1;
                depth[r] = depth[i] + 1;
            }
            nodes.push(Node {
                threshold: threshold[i],
                value: leaf_value(depth[i], samples[i] as usize),
                feature: if is_leaf {
                    LEAF
                } else {
                    u32::try_from(feature[i]).ok()?
                },
                left: if is_leaf { 0 } else { left[i] as u32 },
                right: if is_leaf { 0 } else { right[i] as u32 },
                samples: samples[i] as u32,
            });
        }
        // Children always come after their parent in scikit-learn's arrays, so one pass sets
        // every depth before it is used; recompute leaf values with the final depths.
        for (node, d) in nodes.iter_mut().zip(&depth) {
            node.value = leaf_value(*d, node.samples as usize);
        }
        Some(Tree { nodes })
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
    let mut nodes: Vec<Node> = Vec::with_capacity(2 * n.max(1));
    nodes.push(empty_node(n));
    // (node, start, end, depth)
    let mut stack = vec![(0usize, 0usize, n, 0u32)];
    let mut candidates: Vec<usize> = Vec::with_capacity(columns.len());
    while let Some((id, start, end, depth)) = stack.pop() {
        let count = end - start;
        let split = if depth >= max_depth || count < 2 {
            None
        } else {
            choose_split(columns, &index[start..end], &mut candidates, rng)
        };
        let Some((local_feature, threshold)) = split else {
            nodes[id].value = leaf_value(depth, count);
            continue;
        };
        // Partition: values <= threshold to the front.
        let col = &columns[local_feature];
        let slice = &mut index[start..end];
        let mut mid = 0;
        for k in 0..slice.len() {
            if f64::from(col[slice[k] as usize]) <= threshold {
                slice.swap(mid, k);
                mid += 1;
            }
        }
        let left = nodes.len();
        nodes.push(empty_node(mid));
        nodes.push(empty_node(count - mid));
        let node = &mut nodes[id];
        node.feature = features[local_feature] as u32;
        node.threshold = threshold;
        node.left = left as u32;
        node.right = left as u32 + 1;
        stack.push((left + 1, start + mid, end, depth + 1));
        stack.push((left, start, start + mid, depth + 1));
    }
    Tree { nodes }
}

/// A leaf placeholder for `samples` samples.
fn empty_node(samples: usize) -> Node {
    Node {
        threshold: 0.0,
        value: 0.0,
        feature: LEAF,
        left: 0,
        right: 0,
        samples: samples as u32,
    }
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
        let tree = grow(&[a.clone(), b], &[0, 1], 8, &mut rng);
        assert!(tree.nodes.len() > 1);
        let total: u32 = tree
            .nodes
            .iter()
            .filter(|n| n.feature == LEAF)
            .map(|n| n.samples)
            .sum();
        assert_eq!(total, 256, "every sample ends in exactly one leaf");
        let (_, outlier_depth) = tree.leaf(|f| if f == 0 { 1000.0 } else { 2.0 });
        let (_, inlier_depth) = tree.leaf(|f| if f == 0 { 8.0 } else { 2.0 });
        assert!(outlier_depth <= inlier_depth);
    }

    #[test]
    fn constant_data_makes_a_single_leaf() {
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(1);
        let tree = grow(&[vec![3.0; 10], vec![1.0; 10]], &[0, 1], 4, &mut rng);
        assert_eq!(tree.nodes.len(), 1);
        assert_eq!(tree.nodes[0].value, leaf_value(0, 10));
    }

    #[test]
    fn sklearn_arrays() {
        // A stump: root splits feature 1 at 0.5; left leaf 3 samples, right leaf 1.
        let t = Tree::from_sklearn(
            &[1, -1, -1],
            &[2, -1, -1],
            &[1, -2, -2],
            &[0.5, -2.0, -2.0],
            &[4, 3, 1],
        )
        .expect("valid");
        let (leaf, depth) = t.leaf(|_| 0.0);
        assert_eq!((depth, leaf.samples), (1, 3));
        assert_eq!(leaf.value, 1.0 + 1.0 + average_path_length(3.0) - 1.0);
        assert!(Tree::from_sklearn(&[5], &[1], &[0], &[0.0], &[1]).is_none());
    }
}
