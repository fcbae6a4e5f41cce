//! A tree unrolled into a complete binary tree of its depth, for scoring: children are implicit
//! (`2p + 1` and `2p + 2`), so a step loads one feature index and one threshold and needs no
//! child pointer. A leaf above the last level becomes a chain of pass-through nodes (threshold
//! `f32::MAX`, always left) down to the last level, where the leaf values sit.

use super::tree::Tree;

/// The complete-tree form of a [`Tree`].
#[derive(Debug, Clone, PartialEq)]
pub struct Complete {
    /// Number of steps from the root to the last level.
    pub depth: u32,
    /// Split feature of each of the `2^depth - 1` inner positions.
    pub feature: Vec<u32>,
    /// Threshold of each inner position (`f32::MAX` passes through to the left).
    pub threshold: Vec<f32>,
    /// Path-length term of each of the `2^depth` last-level positions.
    pub values: Vec<f64>,
}

impl Complete {
    /// Trees deeper than this keep the pointer form (the complete form doubles per level).
    pub const MAX_DEPTH: u32 = 12;

    /// Unrolls `tree`, or `None` when it is deeper than [`Self::MAX_DEPTH`].
    pub fn from_tree(tree: &Tree) -> Option<Complete> {
        if tree.depth > Self::MAX_DEPTH {
            return None;
        }
        let inner = (1usize << tree.depth) - 1;
        let mut c = Complete {
            depth: tree.depth,
            feature: vec![0; inner],
            threshold: vec![f32::MAX; inner],
            values: vec![0.0; inner + 1],
        };
        // (node in the tree, position in the complete tree)
        let mut stack = vec![(0usize, 0usize)];
        while let Some((node, mut pos)) = stack.pop() {
            if tree.is_leaf(node) {
                while pos < inner {
                    pos = 2 * pos + 1;
                }
                c.values[pos - inner] = tree.values[node];
                continue;
            }
            let n = &tree.nodes[node];
            c.feature[pos] = n.feature;
            c.threshold[pos] = n.threshold;
            stack.push((n.left as usize, 2 * pos + 1));
            stack.push((n.left as usize + 1, 2 * pos + 2));
        }
        Some(c)
    }

    /// Walks rows in lockstep, one level at a time: on entry `at` is any buffer with one slot
    /// per row of `block` (row-major, `width` values per row); on return it holds each row's
    /// last-level position (see [`Self::value`]).
    ///
    /// # Panics
    /// If `block` is shorter than `at.len() * width` or a split feature is not below `width`.
    #[inline]
    pub fn walk(&self, block: &[f32], width: usize, at: &mut [u32]) {
        self.walk_add(block, width, at, None);
    }

    /// [`Self::walk`], then adds each row's leaf value to `acc` (one slot per row).
    ///
    /// # Panics
    /// As [`Self::walk`], or if `acc` has another length than `at`.
    #[inline]
    pub fn walk_add(&self, block: &[f32], width: usize, at: &mut [u32], acc: Option<&mut [f64]>) {
        // These checks make every index in the loop below in bounds: positions stay below
        // `2^depth - 1` (the inner arrays' length) for `depth` steps, and row `i`'s values are
        // `block[i * width .. (i + 1) * width]` with every feature below `width`.
        assert!(block.len() >= at.len() * width, "block too short");
        assert!(
            self.feature.iter().all(|&f| (f as usize) < width),
            "feature out of range"
        );
        assert!(
            self.feature.len() == self.threshold.len()
                && self.feature.len() + 1 == self.values.len()
        );
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the processor supports AVX2 (checked just above).
                unsafe { self.walk_avx2(block, width, at, acc) };
                return;
            }
        }
        self.walk_unchecked(block, width, at, acc);
    }

    /// [`Self::walk_unchecked`] compiled for AVX2, where the loop becomes vector gathers.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn walk_avx2(&self, block: &[f32], width: usize, at: &mut [u32], acc: Option<&mut [f64]>) {
        self.walk_unchecked(block, width, at, acc);
    }

    /// The lockstep walk; callers have checked the bounds that [`Self::walk`] asserts.
    #[inline(always)]
    fn walk_unchecked(&self, block: &[f32], width: usize, at: &mut [u32], acc: Option<&mut [f64]>) {
        at.fill(0);
        let feature = &self.feature[..];
        let threshold = &self.threshold[..];
        for _ in 0..self.depth {
            for (i, p) in at.iter_mut().enumerate() {
                let q = *p as usize;
                // SAFETY: `q < feature.len() == threshold.len()` because positions start at 0
                // and `depth` steps of `q -> 2q + 1 or 2q + 2` stay below `2^depth - 1` before
                // the last step; `i < at.len()` and `feature[q] < width`, so the block index is
                // below `at.len() * width <= block.len()` (asserted in `walk`).
                let (f, t) = unsafe {
                    (
                        *feature.get_unchecked(q) as usize,
                        *threshold.get_unchecked(q),
                    )
                };
                let x = unsafe { *block.get_unchecked(i * width + f) };
                *p = 2 * *p + 1 + u32::from(x > t);
            }
        }
        if let Some(acc) = acc {
            let inner = self.values.len() - 1;
            for (a, p) in acc.iter_mut().zip(at.iter()) {
                *a += self.values[*p as usize - inner];
            }
        }
    }

    /// The value at a last-level position returned by [`Self::walk`].
    #[inline]
    pub fn value(&self, position: u32) -> f64 {
        self.values[position as usize + 1 - self.values.len()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unrolled_tree_gives_the_same_leaves() {
        // Root splits feature 1 at 0.5; left child splits feature 0 at 2.0; right is a leaf.
        let t = Tree::from_sklearn(
            &[1, 2, -1, -1, -1],
            &[4, 3, -1, -1, -1],
            &[1, 0, -2, -2, -2],
            &[0.5, 2.0, -2.0, -2.0, -2.0],
            &[4, 3, 2, 1, 1],
        )
        .expect("valid");
        let c = Complete::from_tree(&t).expect("shallow");
        assert_eq!((c.depth, c.feature.len(), c.values.len()), (2, 3, 4));
        for row in [[1.0f32, 0.0], [3.0, 0.0], [1.0, 9.0], [3.0, 9.0]] {
            let mut at = [0u32];
            c.walk(&row, 2, &mut at);
            assert_eq!(c.value(at[0]), t.values[t.leaf(|f| row[f])], "{row:?}");
        }
    }
}
