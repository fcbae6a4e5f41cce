//! The tree search of every indexed point, a group of a leaf's points at a time.
//!
//! Searching the training points themselves (LOF's neighbour lists), the queries of one leaf
//! are close together and need much the same part of the tree. Walking the tree once per group
//! of up to [`GROUP`] queries of a leaf instead of once per query (after the dual-tree
//! all-nearest-neighbour searches of Gray and Moore, "N-body problems in statistical
//! learning", NIPS 2000, here with one side a single leaf) turns each query's walk into a few
//! vector operations per node for the whole group:
//!
//! 1. Each query of the group scans its own leaf: with `k` or more rows there, every query then
//!    has a bound, the squared distance of its `k`-th row so far.
//! 2. The tree is walked from the root, the child whose box is nearer to the leaf's box first,
//!    carrying the set of queries (one bit each) that may still find something below. At each
//!    node the set keeps the queries whose bound the node's box does not exceed
//!    ([`Index::box_distance2`]'s bound, the same strict test as a query's own walk, so ties at
//!    the `k`-th distance are still offered); the node is skipped when none is left.
//! 3. At a leaf reached, each query of the set scans it, as its own walk would.
//!
//! A query is offered every point its own walk would offer, and perhaps more, in another order.
//! The answer does not depend on the order of the offers (the heap keeps the `k` nearest rows by
//! distance, then row index, with the ties dropped at its farthest distance; from
//! [`LISTED_FROM`] neighbours on, where every point is one row, a list cut to the same points
//! takes its place), so the lists are the same as [`Index::query`]'s, to the bit (tested against
//! it and against brute force).

use rayon::prelude::*;

use super::{gap, knn_vector, Candidate, Index, Search, QUERY_BLOCK};
use crate::control::Control;
use crate::detect::FitError;

/// Queries searched together, at most: one bit each in a word.
const GROUP: usize = 64;

/// The fewest neighbours (the query's own row included) for which a query keeps its candidates
/// in a list ([`Index::scan_listed`]) instead of the heap, where every point is one row.
/// Scoring stage of LOF on 100,000 x 6 (`detect --timings`, alternated runs), heap against
/// list: 21 neighbours 0.40-0.41 s against 0.43-0.44 s; 36: 0.56-0.58 s both; 51: 0.74-0.75 s
/// against 0.71 s; 101 (the app's cache): 1.22-1.38 s against 1.02-1.09 s.
const LISTED_FROM: usize = 48;

/// Up to [`GROUP`] consecutive points of one leaf, searched together.
#[derive(Clone, Copy)]
struct Group {
    leaf: u32,
    start: u32,
    end: u32,
}

/// What one thread reuses from group to group: a search per query, the walk's stack (node, the
/// queries still looking) and each query's bound.
struct LeafSearch {
    searches: Vec<Search>,
    stack: Vec<(u32, u64)>,
    /// Each query's bound: the squared distance of its `k`-th row so far (infinite before).
    worst: Vec<f64>,
}

impl LeafSearch {
    fn new() -> Self {
        LeafSearch {
            searches: Vec::new(),
            stack: Vec::new(),
            worst: Vec::new(),
        }
    }
}

impl Index {
    /// The leaves' points in groups of at most [`GROUP`], in tree order (consecutive, covering
    /// every point).
    fn groups(&self) -> Vec<Group> {
        let mut leaves: Vec<u32> = (0..self.nodes.len() as u32)
            .filter(|&id| self.nodes[id as usize].dim == u32::MAX)
            .collect();
        leaves.sort_unstable_by_key(|&id| self.nodes[id as usize].start);
        let mut groups = Vec::with_capacity(leaves.len());
        for leaf in leaves {
            let node = &self.nodes[leaf as usize];
            let mut start = node.start;
            while start < node.end {
                let end = node.end.min(start + GROUP as u32);
                groups.push(Group { leaf, start, end });
                start = end;
            }
        }
        groups
    }

    /// [`Index::query_self`] by the tree, a group of queries at a time, into `indices` and
    /// `distances` (`k` per distinct point). Reports the share done after each block of about
    /// [`QUERY_BLOCK`] points; returns [`FitError::Cancelled`] soon after `control`'s flag is set.
    pub(super) fn query_self_in_groups(
        &self,
        k: usize,
        control: Control,
        mut indices: &mut [u32],
        mut distances: &mut [f64],
    ) -> Result<(), FitError> {
        let m = self.distinct();
        let groups = self.groups();
        // Each group's share of the lists, in tree order.
        let mut jobs = Vec::with_capacity(groups.len());
        for group in groups {
            let len = (group.end - group.start) as usize * k;
            let (idx, rest_idx) = std::mem::take(&mut indices).split_at_mut(len);
            let (dist, rest_dist) = std::mem::take(&mut distances).split_at_mut(len);
            indices = rest_idx;
            distances = rest_dist;
            jobs.push((group, idx, dist));
        }
        debug_assert!(indices.is_empty(), "the groups cover every point");
        let listed = self.lists(k);
        let mut done = 0;
        let mut rest = &mut jobs[..];
        while !rest.is_empty() {
            if control.cancelled() {
                return Err(FitError::Cancelled);
            }
            // Groups up to about QUERY_BLOCK points.
            let mut points = 0;
            let mut take = 0;
            while take < rest.len() && (take == 0 || points < QUERY_BLOCK) {
                let group = rest[take].0;
                points += (group.end - group.start) as usize;
                take += 1;
            }
            let (block, after) = std::mem::take(&mut rest).split_at_mut(take);
            rest = after;
            block
                .par_iter_mut()
                .for_each_init(LeafSearch::new, |state, job| {
                    if control.cancelled() {
                        return;
                    }
                    let (group, idx, dist) = job;
                    self.search_group(*group, k, state);
                    let lists = idx.chunks_mut(k).zip(dist.chunks_mut(k));
                    for (search, (idx, dist)) in state.searches.iter_mut().zip(lists) {
                        if listed {
                            self.answer_listed(k, search, idx, dist);
                        } else {
                            self.answer(k, search, idx, dist);
                        }
                    }
                });
            done += points;
            control.report((done as f64 / m.max(1) as f64) as f32);
        }
        if control.cancelled() {
            return Err(FitError::Cancelled);
        }
        Ok(())
    }

    /// Searches the `k` nearest rows of every point of `group`, one search per point in
    /// `state.searches` (as many as the group has points), specialised for the usual small
    /// numbers of features.
    fn search_group(&self, group: Group, k: usize, state: &mut LeafSearch) {
        macro_rules! dispatch {
            ($($n:literal)*) => {
                match self.dims {
                    $($n => self.search_group_best::<$n>(group, k, state),)*
                    _ => self.search_group_best::<0>(group, k, state),
                }
            };
        }
        dispatch!(1 2 3 4 5 6 7 8);
    }

    /// [`Self::search_group`] with AVX-512 where the processor has it, compiled apart for the
    /// heap and for the list (see [`Self::lists`]).
    #[inline(always)]
    fn search_group_best<const D: usize>(&self, group: Group, k: usize, state: &mut LeafSearch) {
        let list = self.lists(k);
        #[cfg(target_arch = "x86_64")]
        if self.lanes == super::Lanes::Avx512 {
            // SAFETY: `Lanes::detect` found AVX-512F on this processor.
            unsafe {
                if list {
                    self.search_group_avx512::<D, true>(group, k, state);
                } else {
                    self.search_group_avx512::<D, false>(group, k, state);
                }
            }
            return;
        }
        if list {
            self.search_group_with::<D, false, true>(group, k, state);
        } else {
            self.search_group_with::<D, false, false>(group, k, state);
        }
    }

    /// [`Self::search_group_with`] compiled for AVX-512F, the groups' bounds taken with it.
    ///
    /// # Safety
    /// The processor must support AVX-512F.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    unsafe fn search_group_avx512<const D: usize, const LIST: bool>(
        &self,
        group: Group,
        k: usize,
        state: &mut LeafSearch,
    ) {
        self.search_group_with::<D, true, LIST>(group, k, state);
    }

    /// The search of `group`'s points (see the module's notes).
    #[inline(always)]
    fn search_group_with<const D: usize, const WIDE: bool, const LIST: bool>(
        &self,
        group: Group,
        k: usize,
        state: &mut LeafSearch,
    ) {
        let d = self.dims_of::<D>();
        let leaf = group.leaf as usize;
        let node = &self.nodes[leaf];
        let (start, queries) = (group.start as usize, (group.end - group.start) as usize);
        debug_assert!(queries <= GROUP, "a group's queries fit one word");
        let LeafSearch {
            searches,
            stack,
            worst,
        } = state;
        while searches.len() < queries {
            searches.push(Search::new(k));
        }
        searches.truncate(queries);
        worst.clear();
        let point = |i: usize| &self.points[(start + i) * d..(start + i + 1) * d];
        // Query `i` offered the points of leaf `n`, through the list or the heap (see
        // [`Self::lists`]); its bound after.
        let scan = |i: usize, n: &super::KdNode, search: &mut Search| {
            let (from, to) = (n.start as usize, n.end as usize);
            if LIST {
                self.scan_listed::<D>(point(i), from..to, k, search)
            } else {
                self.scan::<D>(point(i), from, to, k, search)
            }
        };
        // The leaf itself first: it gives every query a bound.
        for (i, search) in searches.iter_mut().enumerate() {
            search.reset();
            worst.push(scan(i, node, search));
        }
        // One bit per query (a group has 1 to GROUP of them).
        let all = u64::MAX >> (GROUP - queries);
        stack.clear();
        stack.push((0, all));
        while let Some((id, mask)) = stack.pop() {
            let id = id as usize;
            if id == leaf {
                continue;
            }
            let mut mask = self.queries_near::<D, WIDE>(id, start, mask, worst);
            if mask == 0 {
                continue;
            }
            let n = &self.nodes[id];
            if n.dim == u32::MAX {
                while mask != 0 {
                    let i = mask.trailing_zeros() as usize;
                    mask &= mask - 1;
                    worst[i] = scan(i, n, &mut searches[i]);
                }
                continue;
            }
            let (left, right) = (n.left, n.right);
            if self.box_gap2::<D>(left as usize, leaf) <= self.box_gap2::<D>(right as usize, leaf) {
                stack.push((right, mask));
                stack.push((left, mask));
            } else {
                stack.push((left, mask));
                stack.push((right, mask));
            }
        }
    }

    /// Of the queries in `mask` (bit `i` for point `start + i`, tree order), those that node
    /// `id`'s box is not farther from than their bound `worst[i]` (squared; infinite while a
    /// query has fewer than `k` rows): a query whose bit is cleared can find nothing there. The
    /// bound is [`Index::box_distance2`]'s, feature by feature in the same order, taken for
    /// eight queries at a time from the points' columns (with AVX-512 when `WIDE`); groups of
    /// eight with no query in `mask` are skipped.
    #[inline(always)]
    fn queries_near<const D: usize, const WIDE: bool>(
        &self,
        id: usize,
        start: usize,
        mask: u64,
        worst: &[f64],
    ) -> u64 {
        const LANES: usize = 8;
        let d = self.dims_of::<D>();
        let stride = self.distinct();
        let (lo, hi) = self.boxes[id * 2 * d..(id + 1) * 2 * d].split_at(d);
        let mut bits = 0u64;
        let mut groups = mask;
        while groups != 0 {
            let first = (groups.trailing_zeros() as usize) & !(LANES - 1);
            groups &= !(0xffu64 << first);
            let len = (worst.len() - first).min(LANES);
            let worst = &worst[first..first + len];
            let columns = &self.columns[start + first..];
            #[cfg(target_arch = "x86_64")]
            if WIDE {
                // SAFETY: `WIDE` is only set by `search_group_avx512`, run when the processor
                // has AVX-512F; the columns hold the group's points at each feature's offset.
                let near = unsafe {
                    super::knn_vector::queries_near_box_avx512(lo, hi, columns, stride, len, worst)
                };
                bits |= u64::from(near) << first;
                continue;
            }
            let mut near = 0u64;
            for (j, &w) in worst.iter().enumerate() {
                let mut s = 0.0;
                for f in 0..d {
                    let q = columns[f * stride + j];
                    let g = gap(lo[f], hi[f], q, q);
                    s += g * g;
                }
                near |= u64::from(s <= w) << j;
            }
            bits |= near << first;
        }
        bits & mask
    }

    /// Whether a search for `k` rows keeps its candidates in a list (see [`LISTED_FROM`]): only
    /// where every point is one row.
    fn lists(&self, k: usize) -> bool {
        self.single && k >= LISTED_FROM
    }

    /// Offers `points` (tree order) to `search`'s list: every point within its
    /// limit is appended, and once the list holds `1.5 k` points (`k` the first time) it is cut
    /// to its `k` nearest and their ties ([`shorten`]), whose farthest distance becomes the
    /// limit. Where every point is one row this keeps the same points as the heap of
    /// [`Index::offer`] (the `k` nearest and every point tied with the farthest of them; no
    /// point within the final limit is ever left out, since the limit only shrinks to it), at
    /// one append per point offered instead of a sift of the heap (a third of LOF's time with
    /// the app's 100 neighbours, by `perf`), and a selection now and then. Returns the limit.
    #[inline(always)]
    fn scan_listed<const D: usize>(
        &self,
        q: &[f64],
        points: std::ops::Range<usize>,
        k: usize,
        search: &mut Search,
    ) -> f64 {
        let mut s = [0.0; knn_vector::CHUNK];
        let end = points.end;
        for from in points.step_by(knn_vector::CHUNK) {
            let len = (end - from).min(knn_vector::CHUNK);
            let mut within = self.chunk_distances::<D>(q, from, len, search.limit, &mut s);
            while within != 0 {
                let i = within.trailing_zeros() as usize;
                within &= within - 1;
                search.listed.push(Candidate(s[i], (from + i) as u32));
            }
            let full = if search.limit == f64::INFINITY {
                k
            } else {
                k + k / 2
            };
            if search.listed.len() >= full.max(1) {
                search.limit = shorten(&mut search.listed, k);
            }
        }
        search.limit
    }

    /// [`Index::answer`] for a search made with [`Self::scan_listed`].
    fn answer_listed(&self, k: usize, search: &mut Search, idx: &mut [u32], dist: &mut [f64]) {
        shorten(&mut search.listed, k);
        search.listed.sort_unstable();
        self.expand(k, &search.listed, &mut search.level, idx, dist);
    }

    /// The squared distance between the boxes of nodes `a` and `b` (0 where they overlap): no
    /// point of one is nearer to a point of the other.
    #[inline(always)]
    fn box_gap2<const D: usize>(&self, a: usize, b: usize) -> f64 {
        let d = self.dims_of::<D>();
        let (a_lo, a_hi) = self.boxes[a * 2 * d..(a + 1) * 2 * d].split_at(d);
        let (b_lo, b_hi) = self.boxes[b * 2 * d..(b + 1) * 2 * d].split_at(d);
        let mut s = 0.0;
        for f in 0..d {
            let g = gap(a_lo[f], a_hi[f], b_lo[f], b_hi[f]);
            s += g * g;
        }
        s
    }
}

/// Cuts `list` to its `k` nearest points (by distance, then point) and every point tied with
/// the farthest of them, and returns that farthest squared distance (infinite while the list
/// holds fewer than `k`).
fn shorten(list: &mut Vec<Candidate>, k: usize) -> f64 {
    if k == 0 || list.len() < k {
        return f64::INFINITY;
    }
    let (_, kth, _) = list.select_nth_unstable(k - 1);
    let limit = kth.0;
    list.retain(|c| c.0 <= limit);
    limit
}
