//! A tree unrolled into a complete binary tree of its depth, for scoring: children are implicit
//! (`2p + 1` and `2p + 2`), so a step loads one feature index and one threshold and needs no
//! child pointer. A leaf above the last level becomes a chain of pass-through nodes (threshold
//! `f32::MAX`, always left) down to the last level, where the leaf values sit.

use super::tree::Tree;
#[cfg(target_arch = "x86_64")]
use super::walk_avx512;

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
    /// Split features of positions 0 to 63 (the first six levels), padded with 0: what the
    /// AVX-512 walk keeps in registers.
    pub head_feature: [u32; 64],
    /// Thresholds of positions 0 to 63, padded with `f32::MAX`.
    pub head_threshold: [f32; 64],
    /// Each inner position as one word, feature in the high half and the threshold's bits in
    /// the low half: one gather loads both.
    pub packed: Vec<u64>,
}

/// Rows ready for the walks: their values row-major and, where the AVX-512 walk holds them in
/// registers, the same values by tile too ([`walk_avx512::tile`]); made once per block of rows
/// and read by every tree.
#[derive(Debug, Clone)]
pub struct Rows {
    /// Row-major values, `width` per row.
    values: Vec<f32>,
    width: usize,
    /// The whole tiles of `values` (empty where the walk gathers instead).
    tiles: Vec<f32>,
}

impl Rows {
    /// Rows of `width` features from their row-major `values`.
    pub fn new(values: Vec<f32>, width: usize) -> Rows {
        #[allow(unused_mut)]
        let mut tiles = Vec::new();
        #[cfg(target_arch = "x86_64")]
        if (1..=walk_avx512::TILE_FEATURES).contains(&width)
            && std::arch::is_x86_feature_detected!("avx512f")
        {
            let n = values.len() / width;
            tiles = walk_avx512::tile(&values, width, n - n % walk_avx512::LANES);
        }
        Rows {
            values,
            width,
            tiles,
        }
    }

    /// The row-major values.
    pub fn values(&self) -> &[f32] {
        &self.values
    }
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
            head_feature: [0; 64],
            head_threshold: [f32::MAX; 64],
            packed: Vec::new(),
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
        let head = inner.min(64);
        c.head_feature[..head].copy_from_slice(&c.feature[..head]);
        c.head_threshold[..head].copy_from_slice(&c.threshold[..head]);
        c.packed = c
            .feature
            .iter()
            .zip(&c.threshold)
            .map(|(&f, t)| (u64::from(f) << 32) | u64::from(t.to_bits()))
            .collect();
        Some(c)
    }

    /// Walks rows in lockstep, one level at a time: on entry `at` is any buffer with one slot
    /// per row of `block` (row-major, `width` values per row); on return it holds each row's
    /// last-level position (see [`Self::value`]).
    ///
    /// # Panics
    /// If `block` is shorter than `at.len() * width` or a split feature is not below `width`.
    pub fn walk(&self, block: &[f32], width: usize, at: &mut [u32]) {
        self.check(block, width, at.len());
        self.walk_unchecked(block, width, at, None);
    }

    /// Walks rows as [`Self::walk`] does and adds each row's leaf value to `acc` (one slot per
    /// row); `at` is scratch space of the same length.
    ///
    /// # Panics
    /// As [`Self::walk`], or if `acc` has another length than `at`.
    #[inline]
    pub fn walk_add(&self, rows: &Rows, at: &mut [u32], acc: &mut [f64]) {
        let (block, width) = (&rows.values[..], rows.width);
        assert_eq!(acc.len(), at.len(), "one sum per row");
        self.check(block, width, at.len());
        #[cfg(target_arch = "x86_64")]
        {
            let n = at.len();
            if std::arch::is_x86_feature_detected!("avx512f") && n * width < i32::MAX as usize {
                let whole = n - n % walk_avx512::LANES;
                if (1..=walk_avx512::TILE_FEATURES).contains(&width)
                    && rows.tiles.len() >= whole * width
                {
                    // SAFETY: the processor supports AVX-512F (checked just above); the tiles
                    // hold the block's first `whole` rows (checked just above), `check`
                    // asserted the features' range, and the offsets fit in `i32`.
                    unsafe { walk_avx512::walk_add_tiled(self, &rows.tiles, width, whole, acc) };
                } else {
                    // SAFETY: the processor supports AVX-512F (checked just above); `check`
                    // asserted the block's length and the features' range, and the offsets fit
                    // in `i32`.
                    unsafe { walk_avx512::walk_add(self, block, width, whole, acc) };
                }
                self.walk_unchecked(
                    &block[whole * width..],
                    width,
                    &mut at[whole..],
                    Some(&mut acc[whole..]),
                );
                return;
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the processor supports AVX2 (checked just above).
                unsafe { self.walk_avx2(block, width, at, acc) };
                return;
            }
        }
        self.walk_unchecked(block, width, at, Some(acc));
    }

    /// Asserts what makes every index of the walks in bounds: positions stay below
    /// `2^depth - 1` (the inner arrays' length) for `depth` steps, and row `i`'s values are
    /// `block[i * width .. (i + 1) * width]` with every feature below `width`.
    fn check(&self, block: &[f32], width: usize, rows: usize) {
        assert!(block.len() >= rows * width, "block too short");
        assert!(
            self.feature.iter().all(|&f| (f as usize) < width),
            "feature out of range"
        );
        assert!(
            self.feature.len() == self.threshold.len()
                && self.feature.len() + 1 == self.values.len()
                && self.packed.len() == self.feature.len()
        );
    }

    /// [`Self::walk_unchecked`] compiled for AVX2, where the loop becomes vector gathers.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn walk_avx2(&self, block: &[f32], width: usize, at: &mut [u32], acc: &mut [f64]) {
        self.walk_unchecked(block, width, at, Some(acc));
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

    /// A random tree in scikit-learn's arrays: every node at depth below `max_depth` splits with
    /// probability 0.8 on a random feature below `width` at a random threshold.
    fn random_tree(rng: &mut rand_pcg::Pcg64, max_depth: u32, width: usize) -> Tree {
        use rand::Rng;
        let (mut left, mut right, mut feature, mut threshold, mut samples) =
            (vec![], vec![], vec![], vec![], vec![]);
        // (node, depth); children are appended as they are reached.
        let mut stack = vec![(0usize, 0u32)];
        left.push(-1);
        right.push(-1);
        feature.push(-2);
        threshold.push(-2.0);
        samples.push(rng.random_range(1..256u64));
        while let Some((node, depth)) = stack.pop() {
            if depth >= max_depth || rng.random_bool(0.2) {
                continue;
            }
            let (l, r) = (left.len(), left.len() + 1);
            for _ in 0..2 {
                left.push(-1);
                right.push(-1);
                feature.push(-2);
                threshold.push(-2.0);
                samples.push(rng.random_range(1..256u64));
            }
            left[node] = l as i64;
            right[node] = r as i64;
            feature[node] = rng.random_range(0..width) as i64;
            threshold[node] = f64::from(rng.random_range(-2.0f32..2.0));
            stack.push((l, depth + 1));
            stack.push((r, depth + 1));
        }
        Tree::from_sklearn(&left, &right, &feature, &threshold, &samples).expect("valid tree")
    }

    #[test]
    fn every_walk_finds_the_leaf_the_tree_finds() {
        // Whichever walk `walk_add` dispatches to on this processor (AVX-512, AVX2 or plain),
        // its sums are the tree's own leaf values: depths 0 to 12 cover the register levels
        // (0-5) and the gathered ones, row counts that are not multiples of 16 or of the
        // interleaved groups cover the remainders, and NaN and exact-threshold values the
        // comparison's edges.
        use rand::{Rng, SeedableRng};
        let mut rng = rand_pcg::Pcg64::seed_from_u64(16);
        for max_depth in 0..=Complete::MAX_DEPTH {
            for width in [1usize, 2, 3, 4, 5, 6, 7, 8, 9, 17] {
                let t = random_tree(&mut rng, max_depth, width);
                let c = Complete::from_tree(&t).expect("within the complete form's depth");
                for rows in [0usize, 1, 15, 16, 17, 127, 128, 129, 300] {
                    let mut block: Vec<f32> = (0..rows * width)
                        .map(|_| match rng.random_range(0..20) {
                            0 => f32::NAN,
                            1 => t.nodes.first().map_or(0.0, |n| n.threshold),
                            _ => rng.random_range(-2.5f32..2.5),
                        })
                        .collect();
                    // A value past the last row, never read.
                    block.push(7.0);
                    // With tiles where this processor's walk reads them, and without (the
                    // gathering walk).
                    let tiled = Rows::new(block.clone(), width);
                    let mut gathered = tiled.clone();
                    gathered.tiles.clear();
                    for prepared in [&tiled, &gathered] {
                        let mut at = vec![0u32; rows];
                        let mut acc = vec![0.5f64; rows];
                        c.walk_add(prepared, &mut at, &mut acc);
                        for (i, a) in acc.iter().enumerate() {
                            let row = &block[i * width..(i + 1) * width];
                            let want = 0.5 + t.values[t.leaf(|f| row[f])];
                            let tiles = !prepared.tiles.is_empty();
                            assert_eq!(
                                *a, want,
                                "depth {max_depth}, width {width}, row {i}/{rows}, tiles {tiles}"
                            );
                        }
                    }
                }
            }
        }
    }
}
