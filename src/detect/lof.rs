//! Local Outlier Factor with scikit-learn's exact results (`sklearn/neighbors/_lof.py`):
//! each training row's k nearest other rows, reachability distance `max(d, k-distance of the
//! neighbour)`, local reachability density `1 / (mean reachability + 1e-10)`, and
//! `LOF = mean(lrd(neighbour) / lrd(row))`; `negative_outlier_factor_ = -LOF`.
//! The project's anomaly score is the LOF itself (higher = more anomalous).
//!
//! Where parity ends: on ties at the k-th distance (integer counts, which traffic is)
//! scikit-learn keeps whichever tied neighbour its tree meets first, and this search keeps the
//! lowest row index, so scores can differ on duplicates. [`Neighbourhood::KDistance`] offers the
//! original definition instead (Breunig, Kriegel, Ng, Sander: "LOF: Identifying Density-Based
//! Local Outliers", SIGMOD 2000): the k-distance neighbourhood holds every point within the
//! k-distance, so no tie is broken and the result does not depend on row order.
//!
//! For the interactive neighbours slider, [`NeighbourCache`] searches once for the largest k and
//! derives LOF for any smaller k from those lists, without searching again.
//!
//! Copies of a row share one neighbour list (see [`super::knn`]): they are at the same distance
//! from everything, so the list is the one each copy would get, and every number is the same as
//! with one list per row. The memory of the lists is checked before they are allocated
//! ([`super::lof_memory`]).

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use std::sync::Arc;

use super::knn::{training_neighbours_at, Index, Near, Neighbours};
use super::lof_memory::{check_lof_memory, LOF_MEMORY_LIMIT};
use super::threshold::{is_outlier, Contamination, TrainingScores};
use super::{FitError, Matrix, ParamsError};
use crate::control::Control;

/// scikit-learn's offset for `contamination = "auto"`.
pub const AUTO_OFFSET: f64 = -1.5;

/// scikit-learn's warning when duplicates make some LOF huge (a score below -1e7).
pub const DUPLICATES_WARNING: &str = "Duplicate values are leading to incorrect results. Increase the number of neighbors for more accurate results.";

/// The score (`negative_outlier_factor_`) below which scikit-learn warns about duplicates.
pub const DUPLICATES_WARNING_BELOW: f64 = -1e7;

/// Which rows make up a row's neighbourhood.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Neighbourhood {
    /// scikit-learn's: exactly the k nearest other rows, ties at the k-th distance broken by
    /// row index (the default).
    #[default]
    KNearest,
    /// Breunig et al. 2000 ("LOF: Identifying Density-Based Local Outliers", SIGMOD 2000):
    /// every row within the k-distance, ties included; independent of row order.
    KDistance,
}

impl Neighbourhood {
    /// A short name for summaries (`k-nearest`, `k-distance`).
    pub fn name(self) -> &'static str {
        match self {
            Neighbourhood::KNearest => "k-nearest",
            Neighbourhood::KDistance => "k-distance",
        }
    }
}

/// LOF parameters (scikit-learn's names and defaults); [`Self::validate`] them to fit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LofParams {
    /// Neighbours (20); clamped to `n - 1` with a warning.
    pub n_neighbors: usize,
    /// Expected share of anomalies (`auto`).
    pub contamination: Contamination,
    /// scikit-learn's k nearest rows (default) or Breunig et al.'s k-distance neighbourhood.
    #[serde(default)]
    pub neighbourhood: Neighbourhood,
}

impl Default for LofParams {
    fn default() -> Self {
        LofParams {
            n_neighbors: 20,
            contamination: Contamination::Auto,
            neighbourhood: Neighbourhood::KNearest,
        }
    }
}

impl LofParams {
    /// Checks every rule; only valid parameters can fit.
    pub fn validate(self) -> Result<ValidLofParams, ParamsError> {
        if self.n_neighbors == 0 {
            return Err(ParamsError::NoNeighbours);
        }
        self.contamination.validate()?;
        Ok(ValidLofParams(self))
    }
}

/// Parameters that passed [`LofParams::validate`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValidLofParams(LofParams);

impl ValidLofParams {
    /// The parameters.
    pub fn params(&self) -> &LofParams {
        &self.0
    }

    /// Fits on `x`: one neighbour search, then LOF of every training row.
    pub fn fit(&self, x: &Matrix) -> Result<FittedLof, FitError> {
        match self.0.neighbourhood {
            Neighbourhood::KNearest => {
                let cache = NeighbourCache::build(x, self.0.n_neighbors)?;
                cache.fit(self.0.n_neighbors, self.0.contamination)
            }
            Neighbourhood::KDistance => {
                check_rows(x)?;
                fit_k_distance(
                    Arc::new(Index::build(x)),
                    self.0.n_neighbors,
                    self.0.contamination,
                    Control::default(),
                )
            }
        }
    }
}

/// The neighbour lists of every training row for up to `k_max` neighbours, searched once.
#[derive(Debug, Clone)]
pub struct NeighbourCache {
    index: Arc<Index>,
    /// `k_max + 1` neighbours of each distinct training point, its own rows included: the
    /// list of row `q` is `raw.of(index.point_of(q))`.
    raw: Neighbours,
    k_max: usize,
}

impl NeighbourCache {
    /// Searches the `k_max` nearest other rows of every row of `x` (clamped to `n - 1`), after
    /// checking that the lists fit in [`LOF_MEMORY_LIMIT`].
    pub fn build(x: &Matrix, k_max: usize) -> Result<Self, FitError> {
        Self::build_with(x, k_max, Control::default())
    }

    /// [`Self::build`] with cancellation and progress: the search reports the share done and
    /// returns [`FitError::Cancelled`] soon after the flag is set.
    pub fn build_with(x: &Matrix, k_max: usize, control: Control) -> Result<Self, FitError> {
        check_rows(x)?;
        let k_max = k_max.clamp(1, x.rows() - 1);
        let index = Index::build(x);
        check_lof_memory(index.len(), index.distinct(), k_max, LOF_MEMORY_LIMIT)?;
        let raw = index.query_self(k_max + 1, control)?;
        Ok(NeighbourCache {
            index: Arc::new(index),
            raw,
            k_max,
        })
    }

    /// The largest k this cache serves.
    pub fn k_max(&self) -> usize {
        self.k_max
    }

    /// Rows indexed.
    pub fn rows(&self) -> usize {
        self.index.len()
    }

    /// LOF for these parameters: from the cached lists with [`Neighbourhood::KNearest`] (see
    /// [`Self::fit`]), by a k-distance search over the cached index with
    /// [`Neighbourhood::KDistance`], which returns [`FitError::Cancelled`] soon after
    /// `control`'s flag is set.
    pub fn fit_params(&self, params: &LofParams, control: Control) -> Result<FittedLof, FitError> {
        match params.neighbourhood {
            Neighbourhood::KNearest => self.fit(params.n_neighbors, params.contamination),
            Neighbourhood::KDistance => fit_k_distance(
                Arc::clone(&self.index),
                params.n_neighbors,
                params.contamination,
                control,
            ),
        }
    }

    /// LOF for `n_neighbors` (clamped to `n - 1` with a warning; at most `k_max`) from the
    /// cached lists, with no new search.
    pub fn fit(
        &self,
        n_neighbors: usize,
        contamination: Contamination,
    ) -> Result<FittedLof, FitError> {
        let n = self.rows();
        let mut warnings = clamp_warning(n_neighbors, n);
        let k = n_neighbors.clamp(1, n - 1).min(self.k_max);
        // The neighbour lists are read in place from the cache: no copy per k.
        let rows = RowsOfLists::new(&self.index, &self.raw, k);
        let neighbours = |p: usize, skip: usize| training_neighbours_at(&self.raw, p, skip, k);
        let (k_distance, _) =
            rows.per_row(|p, skip, _| neighbours(p, skip).last().map_or(0.0, |(_, d)| d));
        let (lrd, lrd_of_copies) = rows
            .per_row(|p, skip, _| local_reachability_density(neighbours(p, skip), k, &k_distance));
        let (nof, _) = rows.per_row(|p, skip, q| {
            let lrd_q = q.map_or(lrd_of_copies[p], |q| lrd[q]);
            -mean_ratio(neighbours(p, skip).map(|(o, _)| o), k, &lrd, lrd_q)
        });
        warnings.extend(duplicates_warning(&nof));
        Ok(FittedLof {
            index: Arc::clone(&self.index),
            k,
            neighbourhood: Neighbourhood::KNearest,
            k_distance,
            lrd,
            training: TrainingScores::new(nof, AUTO_OFFSET, contamination),
            warnings,
        })
    }
}

/// LOF needs two rows to compare.
fn check_rows(x: &Matrix) -> Result<(), FitError> {
    if x.rows() < 2 {
        return Err(FitError::TooFewRows {
            algorithm: "Local Outlier Factor",
            rows: x.rows(),
            needed: 2,
        });
    }
    Ok(())
}

/// scikit-learn's warning when `n_neighbors` is clamped to `n - 1`.
fn clamp_warning(n_neighbors: usize, n: usize) -> Vec<String> {
    if n_neighbors > n - 1 {
        vec![format!(
            "n_neighbors ({n_neighbors}) is greater than the total number of samples ({n}); n_neighbors will be set to (n_samples - 1) for estimation"
        )]
    } else {
        Vec::new()
    }
}

/// scikit-learn's duplicates warning, where some `negative_outlier_factor_` is below
/// [`DUPLICATES_WARNING_BELOW`], with how to act on it here.
fn duplicates_warning(nof: &[f64]) -> Option<String> {
    nof.iter()
        .any(|&v| v < DUPLICATES_WARNING_BELOW)
        .then(|| format!("{DUPLICATES_WARNING} (--n-neighbors)"))
}

/// The sum of `terms` in increasing order: the same whatever order they come in.
fn ordered_sum(terms: &mut [f64]) -> f64 {
    terms.sort_unstable_by(f64::total_cmp);
    terms.iter().sum()
}

/// LOF with Breunig et al.'s k-distance neighbourhoods (SIGMOD 2000): `N_k(p)` is every other
/// row within the distance of p's k-th nearest other row, ties included, so no tie is broken
/// and copies of a row and row order change nothing. Reachability, `lrd` (with scikit-learn's
/// `1e-10`) and LOF are means over `N_k(p)`, summed in increasing order of their terms.
/// Each of the three searches stops soon after `control`'s flag is set.
fn fit_k_distance(
    index: Arc<Index>,
    n_neighbors: usize,
    contamination: Contamination,
    control: Control,
) -> Result<FittedLof, FitError> {
    let n = index.len();
    let mut warnings = clamp_warning(n_neighbors, n);
    let k = n_neighbors.clamp(1, n - 1);
    // Every row of a point but the query row itself: its copies are other objects at 0.
    let others = |p: usize, o: &Near| o.rows as usize - usize::from(o.point as usize == p);
    let k_distance_of: Vec<f64> = index.map_k_distance_self(k, control, |_, near| {
        near.last().map_or(0.0, |o| o.distance)
    })?;
    let lrd_of: Vec<f64> = index.map_k_distance_self(k, control, |p, near| {
        let mut terms = Vec::with_capacity(near.len());
        let mut count = 0usize;
        for o in near {
            let w = others(p, o);
            if w > 0 {
                terms.push(w as f64 * o.distance.max(k_distance_of[o.point as usize]));
                count += w;
            }
        }
        1.0 / (ordered_sum(&mut terms) / count.max(1) as f64 + 1e-10)
    })?;
    let lof_of: Vec<f64> = index.map_k_distance_self(k, control, |p, near| {
        let mut terms = Vec::with_capacity(near.len());
        let mut count = 0usize;
        for o in near {
            let w = others(p, o);
            if w > 0 {
                terms.push(w as f64 * lrd_of[o.point as usize]);
                count += w;
            }
        }
        ordered_sum(&mut terms) / count.max(1) as f64 / lrd_of[p]
    })?;
    let per_row = |of: &[f64]| -> Vec<f64> { (0..n).map(|r| of[index.point_of(r)]).collect() };
    let nof: Vec<f64> = per_row(&lof_of).into_iter().map(|l| -l).collect();
    warnings.extend(duplicates_warning(&nof));
    Ok(FittedLof {
        k,
        neighbourhood: Neighbourhood::KDistance,
        k_distance: per_row(&k_distance_of),
        lrd: per_row(&lrd_of),
        index,
        training: TrainingScores::new(nof, AUTO_OFFSET, contamination),
        warnings,
    })
}

/// Which rows of each distinct point need their own numbers. scikit-learn drops a training row
/// from its own neighbours: a row among the first `k + 1` entries of its point's list is
/// dropped from there, and every other copy drops the first entry, so all of them share one
/// list and one set of numbers, computed once per point.
struct RowsOfLists<'a> {
    index: &'a Index,
    /// For each row, its place in the first `k + 1` entries of its point's list, or `NONE`.
    slot: Vec<u32>,
    /// For each point, whether some of its rows are not in its list (and share its numbers).
    has_copies: Vec<bool>,
}

impl<'a> RowsOfLists<'a> {
    /// A row that is not in its point's list.
    const NONE: u32 = u32::MAX;

    fn new(index: &'a Index, raw: &Neighbours, k: usize) -> Self {
        let take = (k + 1).min(raw.k);
        let mut slot = vec![Self::NONE; index.len()];
        for p in 0..raw.len() {
            for (j, &r) in raw.of(p).0[..take].iter().enumerate() {
                if index.point_of(r as usize) == p {
                    slot[r as usize] = j as u32;
                }
            }
        }
        let mut has_copies = vec![false; raw.len()];
        for (q, &s) in slot.iter().enumerate() {
            if s == Self::NONE {
                has_copies[index.point_of(q)] = true;
            }
        }
        RowsOfLists {
            index,
            slot,
            has_copies,
        }
    }

    /// `f(point, skip, row)` for every row: once for each row in its point's list (with its
    /// place as `skip`), and once per point for its other rows (`skip` 0, no row). Returns the
    /// value of each row and the shared value of each point's other rows.
    fn per_row(
        &self,
        f: impl Fn(usize, usize, Option<usize>) -> f64 + Sync,
    ) -> (Vec<f64>, Vec<f64>) {
        let shared: Vec<f64> = self
            .has_copies
            .par_iter()
            .enumerate()
            .map(|(p, &copies)| if copies { f(p, 0, None) } else { 0.0 })
            .collect();
        let values = self
            .slot
            .par_iter()
            .enumerate()
            .map(|(q, &s)| {
                let p = self.index.point_of(q);
                if s == Self::NONE {
                    shared[p]
                } else {
                    f(p, s as usize, Some(q))
                }
            })
            .collect();
        (values, shared)
    }
}

/// `1 / (mean(max(d(q, o), k_distance(o))) + 1e-10)` over the `k` neighbours `o` of `q`.
fn local_reachability_density(
    neighbours: impl Iterator<Item = (u32, f64)>,
    k: usize,
    k_distance: &[f64],
) -> f64 {
    let mut sum = 0.0;
    for (o, d) in neighbours {
        sum += d.max(k_distance[o as usize]);
    }
    1.0 / (sum / k as f64 + 1e-10)
}

/// `mean(lrd(o) / lrd_q)` over the `k` neighbours `o`.
fn mean_ratio(neighbours: impl Iterator<Item = u32>, k: usize, lrd: &[f64], lrd_q: f64) -> f64 {
    let mut sum = 0.0;
    for o in neighbours {
        sum += lrd[o as usize] / lrd_q;
    }
    sum / k as f64
}

/// A fitted LOF: training scores, re-thresholding, and novelty scores for new rows.
#[derive(Debug, Clone)]
pub struct FittedLof {
    index: Arc<Index>,
    k: usize,
    neighbourhood: Neighbourhood,
    k_distance: Vec<f64>,
    lrd: Vec<f64>,
    training: TrainingScores,
    warnings: Vec<String>,
}

impl FittedLof {
    /// The number of neighbours used (after clamping).
    pub fn n_neighbors(&self) -> usize {
        self.k
    }

    /// The neighbourhood definition used.
    pub fn neighbourhood(&self) -> Neighbourhood {
        self.neighbourhood
    }

    /// Notes from fitting.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// scikit-learn's `negative_outlier_factor_` of the training rows.
    pub fn negative_outlier_factor(&self) -> &[f64] {
        self.training.score_samples()
    }

    /// The training rows' scores, offsets and flags (the anomaly score is the LOF itself).
    pub fn training(&self) -> &TrainingScores {
        &self.training
    }

    /// scikit-learn's novelty `score_samples` of new rows (`-LOF` against the training rows).
    pub fn score_samples(&self, x: &Matrix) -> Result<Vec<f64>, FitError> {
        if x.features() != self.index_features() {
            return Err(FitError::FeatureCount {
                expected: self.index_features(),
                found: x.features(),
            });
        }
        if self.neighbourhood == Neighbourhood::KDistance {
            return Ok(self.index.map_k_distance(x, self.k, |_, near| {
                let (mut reach, mut ratio) = (Vec::new(), Vec::new());
                let mut count = 0usize;
                for o in near {
                    let w = o.rows as f64;
                    reach.push(w * o.distance.max(self.k_distance[o.row as usize]));
                    ratio.push(w * self.lrd[o.row as usize]);
                    count += o.rows as usize;
                }
                let count = count.max(1) as f64;
                let lrd_q = 1.0 / (ordered_sum(&mut reach) / count + 1e-10);
                -(ordered_sum(&mut ratio) / count / lrd_q)
            }));
        }
        let nb = self.index.query(x, self.k);
        Ok((0..x.rows())
            .into_par_iter()
            .map(|q| {
                let (idx, dist) = nb.of(q);
                let k = idx.len();
                let lrd_q = local_reachability_density(
                    idx.iter().copied().zip(dist.iter().copied()),
                    k,
                    &self.k_distance,
                );
                -mean_ratio(idx.iter().copied(), k, &self.lrd, lrd_q)
            })
            .collect())
    }

    /// Novelty `score_samples` of one row.
    pub fn score_one(&self, row: &[f64]) -> Result<f64, FitError> {
        let cols: Vec<Vec<f64>> = row.iter().map(|&v| vec![v]).collect();
        let names: Vec<String> = (1..=row.len()).map(|i| format!("feature {i}")).collect();
        let x = Matrix::new(&cols, &names)?;
        Ok(self.score_samples(&x)?[0])
    }

    /// scikit-learn's novelty `predict` as booleans: true where the new row is an outlier.
    pub fn predict(&self, x: &Matrix) -> Result<Vec<bool>, FitError> {
        let offset = self.training.offset();
        Ok(self
            .score_samples(x)?
            .into_iter()
            .map(|s| is_outlier(s, offset))
            .collect())
    }

    fn index_features(&self) -> usize {
        self.index.dims()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matrix_data() -> (Vec<Vec<f64>>, Vec<String>) {
        let mut a: Vec<f64> = (0..200).map(|i| f64::from(i % 20) * 0.1).collect();
        let mut b: Vec<f64> = (0..200).map(|i| f64::from(i / 20) * 0.1).collect();
        a[5] = 9.0;
        b[5] = 9.0;
        (vec![a, b], vec!["a".into(), "b".into()])
    }

    #[test]
    fn params_rules() {
        assert_eq!(
            LofParams {
                n_neighbors: 0,
                ..LofParams::default()
            }
            .validate(),
            Err(ParamsError::NoNeighbours)
        );
        assert!(LofParams {
            contamination: Contamination::Fraction(0.0),
            ..LofParams::default()
        }
        .validate()
        .is_err());
    }

    #[test]
    fn outlier_stands_out_and_smaller_k_from_cache_equals_direct_fit() {
        let (cols, names) = matrix_data();
        let x = Matrix::new(&cols, &names).expect("matrix");
        let f = LofParams::default()
            .validate()
            .expect("valid")
            .fit(&x)
            .expect("fit");
        let scores = f.training().anomaly_scores();
        let top = (0..scores.len())
            .max_by(|&i, &j| scores[i].total_cmp(&scores[j]))
            .expect("rows");
        assert_eq!(top, 5);
        let cache = NeighbourCache::build(&x, 50).expect("cache");
        for k in [1, 5, 20] {
            let direct = LofParams {
                n_neighbors: k,
                ..LofParams::default()
            }
            .validate()
            .expect("valid")
            .fit(&x)
            .expect("fit");
            let derived = cache.fit(k, Contamination::Auto).expect("fit");
            assert_eq!(
                direct.negative_outlier_factor(),
                derived.negative_outlier_factor(),
                "k = {k}"
            );
        }
    }

    #[test]
    fn duplicates_stay_finite_and_k_is_clamped() {
        let cols = vec![vec![1.0; 30], vec![2.0; 30]];
        let names = vec!["a".to_string(), "b".to_string()];
        let x = Matrix::new(&cols, &names).expect("matrix");
        let f = LofParams {
            n_neighbors: 100,
            ..LofParams::default()
        }
        .validate()
        .expect("valid")
        .fit(&x)
        .expect("fit");
        assert_eq!(f.n_neighbors(), 29);
        assert!(f.warnings()[0].contains("n_neighbors (100) is greater"));
        assert!(f
            .negative_outlier_factor()
            .iter()
            .all(|v| (v + 1.0).abs() < 1e-12));
        let one = vec![vec![1.0], vec![2.0]];
        assert!(matches!(
            LofParams::default()
                .validate()
                .expect("valid")
                .fit(&Matrix::new(&one, &names).expect("m")),
            Err(FitError::TooFewRows {
                rows: 1,
                needed: 2,
                ..
            })
        ));
    }

    #[test]
    fn novelty_scores() {
        let (cols, names) = matrix_data();
        let x = Matrix::new(&cols, &names).expect("matrix");
        let f = LofParams::default()
            .validate()
            .expect("valid")
            .fit(&x)
            .expect("fit");
        let normal = f.score_one(&[1.0, 0.5]).expect("score");
        let weird = f.score_one(&[5.0, -3.0]).expect("score");
        assert!(weird < normal && normal > -1.5);
        assert!(f.score_one(&[1.0]).is_err());
    }
}
