//! Isolation Forest with scikit-learn's semantics (`sklearn/ensemble/_iforest.py`): the same
//! parameters, `score_samples = -2^(-E[h(x)] / c(max_samples))`, the same offsets and `predict`.
//! The project's anomaly score is `-score_samples` (in (0, 1], higher = more anomalous).
//!
//! Trees are flat arrays, grown and scored in parallel; each tree's random stream depends only
//! on the seed and the tree's index, so results do not depend on the number of threads.

mod complete;
mod path_length;
pub mod settings;
mod tree;
#[cfg(target_arch = "x86_64")]
mod walk_avx512;

use std::sync::atomic::{AtomicBool, Ordering};

use rand::seq::index::sample;
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use complete::Rows;
pub use path_length::{average_path_length, EULER_GAMMA};
pub use settings::IsolationForestSettings;
pub use tree::{leaf_value, to_f32, Node, Tree};

use super::threshold::{is_outlier, Contamination, TrainingScores};
use super::{FitError, Matrix, ParamsError};
use crate::control::Control;

/// How many rows each tree is grown on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub enum MaxSamples {
    /// `min(256, n)`.
    #[default]
    Auto,
    /// A count (clamped to `n` with a warning, as scikit-learn does).
    Count(usize),
    /// A fraction of `n`, in (0, 1].
    Fraction(f64),
}

impl std::str::FromStr for MaxSamples {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("auto") {
            return Ok(MaxSamples::Auto);
        }
        if let Ok(n) = s.parse::<usize>() {
            return Ok(MaxSamples::Count(n));
        }
        match s.parse::<f64>() {
            Ok(f) if f > 0.0 && f <= 1.0 => Ok(MaxSamples::Fraction(f)),
            _ => Err(format!(
                "`{s}` is not `auto`, a whole number of rows or a fraction in (0, 1]"
            )),
        }
    }
}

/// Isolation Forest parameters (scikit-learn's names and defaults); [`Self::validate`] them to fit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct IsolationForestParams {
    /// Number of trees (100).
    pub n_estimators: usize,
    /// Rows per tree (`auto`).
    pub max_samples: MaxSamples,
    /// Share of features each tree sees (1.0).
    pub max_features: f64,
    /// Draw each tree's rows with replacement (false).
    pub bootstrap: bool,
    /// Expected share of anomalies (`auto`).
    pub contamination: Contamination,
    /// Random seed.
    pub seed: u64,
}

impl Default for IsolationForestParams {
    fn default() -> Self {
        IsolationForestParams {
            n_estimators: 100,
            max_samples: MaxSamples::Auto,
            max_features: 1.0,
            bootstrap: false,
            contamination: Contamination::Auto,
            seed: 0,
        }
    }
}

impl IsolationForestParams {
    /// Checks every rule; only valid parameters can fit.
    pub fn validate(self) -> Result<ValidIsolationForestParams, ParamsError> {
        if self.n_estimators == 0 {
            return Err(ParamsError::NoTrees);
        }
        match self.max_samples {
            MaxSamples::Count(0) => return Err(ParamsError::MaxSamplesZero),
            MaxSamples::Fraction(f) if !(f > 0.0 && f <= 1.0) => {
                return Err(ParamsError::MaxSamplesFraction(f))
            }
            _ => {}
        }
        if !(self.max_features > 0.0 && self.max_features <= 1.0) {
            return Err(ParamsError::MaxFeatures(self.max_features));
        }
        self.contamination.validate()?;
        Ok(ValidIsolationForestParams(self))
    }
}

/// Parameters that passed [`IsolationForestParams::validate`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValidIsolationForestParams(IsolationForestParams);

/// Rows scored per block: a block's rows meet every tree while the tree is in cache.
const BLOCK: usize = 1024;

impl ValidIsolationForestParams {
    /// The parameters.
    pub fn params(&self) -> &IsolationForestParams {
        &self.0
    }

    /// Fits a forest and scores the training rows.
    pub fn fit(&self, x: &Matrix) -> Result<FittedIsolationForest, FitError> {
        self.fit_with(x, Control::default())
    }

    /// Fits with cancellation and progress (growing is the first 10%, scoring the rest).
    pub fn fit_with(
        &self,
        x: &Matrix,
        control: Control,
    ) -> Result<FittedIsolationForest, FitError> {
        let p = self.0;
        let n = x.rows();
        let mut warnings = Vec::new();
        let max_samples = match p.max_samples {
            MaxSamples::Auto => n.min(256),
            MaxSamples::Count(k) if k > n => {
                warnings.push(format!(
                    "max_samples ({k}) is greater than the total number of samples ({n}); max_samples will be set to n_samples for estimation"
                ));
                n
            }
            MaxSamples::Count(k) => k,
            // scikit-learn: int(max_samples * n_samples), an error when that is 0.
            MaxSamples::Fraction(f) => match (f * n as f64) as usize {
                0 => {
                    return Err(FitError::MaxSamplesNoRows {
                        fraction: f,
                        rows: n,
                    })
                }
                m => m,
            },
        };
        let d = x.features();
        let n_features = ((p.max_features * d as f64) as usize).clamp(1, d);
        let max_depth = (max_samples.max(2) as f64).log2().ceil() as u32;

        let trees: Vec<Tree> = (0..p.n_estimators)
            .into_par_iter()
            .map(|t| {
                if control.cancelled() {
                    return Err(FitError::Cancelled);
                }
                let mut rng = tree_rng(p.seed, t);
                let rows: Vec<usize> = if p.bootstrap {
                    (0..max_samples).map(|_| rng.random_range(0..n)).collect()
                } else {
                    sample(&mut rng, n, max_samples).into_vec()
                };
                let mut features: Vec<usize> = if n_features == d {
                    (0..d).collect()
                } else {
                    sample(&mut rng, d, n_features).into_vec()
                };
                features.sort_unstable();
                let columns: Vec<Vec<f32>> = features
                    .iter()
                    .map(|&f| {
                        let col = x.column(f);
                        rows.iter().map(|&r| to_f32(col[r])).collect()
                    })
                    .collect();
                Ok(tree::grow(&columns, &features, max_depth, &mut rng))
            })
            .collect::<Result<_, _>>()?;
        control.report(0.1);

        let mut forest = FittedIsolationForest {
            trees,
            max_samples,
            n_features: d,
            training: TrainingScores::new(Vec::new(), AUTO_OFFSET, p.contamination),
            warnings,
        };
        let scores = forest.score_samples_with(x, control, 0.1)?;
        forest.training = TrainingScores::new(scores, AUTO_OFFSET, p.contamination);
        control.report(1.0);
        Ok(forest)
    }
}

/// scikit-learn's offset for `contamination = "auto"`.
pub const AUTO_OFFSET: f64 = -0.5;

/// The random stream of tree `t`: a function of the seed and the index only.
fn tree_rng(seed: u64, t: usize) -> Pcg64Mcg {
    let mixed = seed ^ (t as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    Pcg64Mcg::seed_from_u64(mixed)
}

/// A fitted Isolation Forest: it scores new rows (novelty use) and re-thresholds without refitting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedIsolationForest {
    trees: Vec<Tree>,
    max_samples: usize,
    n_features: usize,
    training: TrainingScores,
    warnings: Vec<String>,
}

impl FittedIsolationForest {
    /// A forest made from trees grown elsewhere (such as scikit-learn's, exported), for scoring.
    pub fn from_trees(trees: Vec<Tree>, max_samples: usize, n_features: usize) -> Self {
        FittedIsolationForest {
            trees,
            max_samples,
            n_features,
            training: TrainingScores::new(Vec::new(), AUTO_OFFSET, Contamination::Auto),
            warnings: Vec::new(),
        }
    }

    /// The trees.
    pub fn trees(&self) -> &[Tree] {
        &self.trees
    }

    /// Rows each tree was grown on (after clamping).
    pub fn max_samples(&self) -> usize {
        self.max_samples
    }

    /// Notes from fitting (such as `max_samples` clamped to the number of rows).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The training rows' scores, offsets and flags (re-thresholding needs no refit).
    pub fn training(&self) -> &TrainingScores {
        &self.training
    }

    /// scikit-learn's `score_samples` of the training rows, in row order.
    pub fn train_score_samples(&self) -> &[f64] {
        self.training.score_samples()
    }

    /// scikit-learn's `score_samples` (negative; lower = more anomalous).
    pub fn score_samples(&self, x: &Matrix) -> Result<Vec<f64>, FitError> {
        self.score_samples_with(x, Control::default(), 0.0)
    }

    /// The project's anomaly scores (`-score_samples`).
    pub fn anomaly_scores(&self, x: &Matrix) -> Result<Vec<f64>, FitError> {
        Ok(self.score_samples(x)?.into_iter().map(|s| -s).collect())
    }

    /// scikit-learn's `decision_function` (`score_samples - offset_`; negative = outlier).
    pub fn decision_function(&self, x: &Matrix) -> Result<Vec<f64>, FitError> {
        let offset = self.training.offset();
        Ok(self
            .score_samples(x)?
            .into_iter()
            .map(|s| s - offset)
            .collect())
    }

    /// scikit-learn's `predict` as booleans: true where the row is an outlier (-1).
    pub fn predict(&self, x: &Matrix) -> Result<Vec<bool>, FitError> {
        let offset = self.training.offset();
        Ok(self
            .score_samples(x)?
            .into_iter()
            .map(|s| is_outlier(s, offset))
            .collect())
    }

    /// `score_samples` of one row (for example six regional values typed by a user).
    pub fn score_one(&self, row: &[f64]) -> Result<f64, FitError> {
        if row.len() != self.n_features {
            return Err(FitError::FeatureCount {
                expected: self.n_features,
                found: row.len(),
            });
        }
        if let Some(i) = row.iter().position(|v| !v.is_finite()) {
            return Err(FitError::NotFinite {
                row: 0,
                feature: format!("feature {}", i + 1),
                value: row[i],
            });
        }
        let values: Vec<f32> = row.iter().map(|&v| to_f32(v)).collect();
        let mut sum = 0.0;
        for t in &self.trees {
            sum += t.values[t.leaf(|f| values[f])];
        }
        Ok(Self::to_score(sum, self.denominator()))
    }

    /// For each given row, the feature that isolated it most: the feature of the split just
    /// above its leaf, credited more in trees where the leaf is shallower.
    pub fn explain(&self, x: &Matrix, rows: &[usize]) -> Result<Vec<usize>, FitError> {
        self.check_features(x)?;
        Ok(rows
            .par_iter()
            .map(|&r| {
                let values: Vec<f32> = (0..x.features()).map(|f| to_f32(x.get(r, f))).collect();
                let mut credit = vec![0.0f64; x.features()];
                for t in &self.trees {
                    if let Some((f, depth)) = t.last_split(|f| values[f]) {
                        credit[f] += 1.0 / f64::from(depth.max(1));
                    }
                }
                credit
                    .iter()
                    .enumerate()
                    .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(&a.0)))
                    .map_or(0, |(f, _)| f)
            })
            .collect())
    }

    fn check_features(&self, x: &Matrix) -> Result<(), FitError> {
        if x.features() != self.n_features {
            return Err(FitError::FeatureCount {
                expected: self.n_features,
                found: x.features(),
            });
        }
        Ok(())
    }

    /// The divisor of the summed path lengths: the trees' count times the average path length
    /// of an unsuccessful search among `max_samples` rows.
    fn denominator(&self) -> f64 {
        self.trees.len() as f64 * average_path_length(self.max_samples as f64)
    }

    /// `score_samples` from the summed path-length terms and [`Self::denominator`], as
    /// scikit-learn computes it.
    #[inline]
    fn to_score(depth_sum: f64, denominator: f64) -> f64 {
        let ratio = if denominator != 0.0 {
            depth_sum / denominator
        } else {
            1.0
        };
        // `libm`'s `pow` (FreeBSD's, in Rust) rather than `f64::powf`: the compiler turns
        // `powf(2, x)` into the C library's `exp2`, whose last bit here depends on the
        // processor (glibc picks an implementation at load time), so the same file scored
        // differently on two machines. This is the same code everywhere.
        -libm::pow(2.0, -ratio)
    }

    /// Scores rows in parallel blocks; progress runs from `progress_from` to 1.
    fn score_samples_with(
        &self,
        x: &Matrix,
        control: Control,
        progress_from: f32,
    ) -> Result<Vec<f64>, FitError> {
        self.check_features(x)?;
        let n = x.rows();
        let d = x.features();
        let mut out = vec![0.0f64; n];
        let blocks = n.div_ceil(BLOCK).max(1);
        let done = std::sync::atomic::AtomicUsize::new(0);
        let cancelled = AtomicBool::new(false);
        out.par_chunks_mut(BLOCK)
            .enumerate()
            .for_each(|(b, chunk)| {
                if cancelled.load(Ordering::Relaxed) || control.cancelled() {
                    cancelled.store(true, Ordering::Relaxed);
                    return;
                }
                // Written before it is read: the zeroed pages are still unmapped, and a first read
                // would map the shared zero page, whose copy on the first write then costs a
                // TLB flush on every core (4% of the run's time on 1M rows, by `perf`).
                chunk.fill(0.0);
                let start = b * BLOCK;
                let len = chunk.len();
                // Row-major f32 copy of the block: what scikit-learn compares against.
                let mut block = vec![0f32; len * d];
                for f in 0..d {
                    let col = &x.column(f)[start..start + len];
                    for (i, v) in col.iter().enumerate() {
                        block[i * d + f] = to_f32(*v);
                    }
                }
                let rows = Rows::new(block, d);
                let block = rows.values();
                // Every row walks each tree in lockstep, one level at a time, without branches:
                // the rows' walks are independent, so the processor overlaps them.
                let mut at = [0u32; BLOCK];
                for t in &self.trees {
                    let at = &mut at[..len];
                    if let Some(c) = t.complete() {
                        c.walk_add(&rows, at, chunk);
                        continue;
                    }
                    at.fill(0);
                    for _ in 0..t.depth {
                        for (i, node) in at.iter_mut().enumerate() {
                            let n = &t.nodes[*node as usize];
                            let x = block[i * d + n.feature as usize];
                            *node = n.left + u32::from(x > n.threshold);
                        }
                    }
                    for (acc, node) in chunk.iter_mut().zip(at.iter()) {
                        *acc += t.values[*node as usize];
                    }
                }
                let denominator = self.denominator();
                for acc in chunk.iter_mut() {
                    *acc = Self::to_score(*acc, denominator);
                }
                let k = done.fetch_add(1, Ordering::Relaxed) + 1;
                if k.is_multiple_of(64) {
                    control
                        .report(progress_from + (1.0 - progress_from) * k as f32 / blocks as f32);
                }
            });
        if cancelled.load(Ordering::Relaxed) {
            return Err(FitError::Cancelled);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> (Vec<Vec<f64>>, Vec<String>) {
        let mut a: Vec<f64> = (0..300).map(|i| f64::from(i % 23) + 100.0).collect();
        let mut b: Vec<f64> = (0..300).map(|i| f64::from(i % 7) + 50.0).collect();
        a[17] = 900.0;
        b[250] = -400.0;
        (vec![a, b], vec!["a".into(), "b".into()])
    }

    #[test]
    fn params_rules() {
        let ok = IsolationForestParams::default();
        assert!(ok.validate().is_ok());
        let bad = |p: IsolationForestParams| p.validate().expect_err("invalid");
        assert_eq!(
            bad(IsolationForestParams {
                n_estimators: 0,
                ..ok
            }),
            ParamsError::NoTrees
        );
        assert_eq!(
            bad(IsolationForestParams {
                max_samples: MaxSamples::Count(0),
                ..ok
            }),
            ParamsError::MaxSamplesZero
        );
        assert_eq!(
            bad(IsolationForestParams {
                max_samples: MaxSamples::Fraction(1.5),
                ..ok
            }),
            ParamsError::MaxSamplesFraction(1.5)
        );
        assert_eq!(
            bad(IsolationForestParams {
                max_features: 0.0,
                ..ok
            }),
            ParamsError::MaxFeatures(0.0)
        );
        assert_eq!(
            bad(IsolationForestParams {
                contamination: Contamination::Fraction(0.7),
                ..ok
            }),
            ParamsError::Contamination(0.7)
        );
        assert_eq!("300".parse::<MaxSamples>(), Ok(MaxSamples::Count(300)));
        assert_eq!("0.5".parse::<MaxSamples>(), Ok(MaxSamples::Fraction(0.5)));
        assert!("2.5".parse::<MaxSamples>().is_err());
    }

    #[test]
    fn finds_the_planted_outliers_and_is_deterministic() {
        let (cols, names) = data();
        let x = Matrix::new(&cols, &names).expect("matrix");
        let params = IsolationForestParams::default().validate().expect("valid");
        let f = params.fit(&x).expect("fit");
        let scores = f.training().anomaly_scores();
        let mut order: Vec<usize> = (0..scores.len()).collect();
        order.sort_by(|&i, &j| scores[j].total_cmp(&scores[i]));
        assert!(
            order[..2].contains(&17) && order[..2].contains(&250),
            "{:?}",
            &order[..5]
        );
        assert!(scores.iter().all(|&s| s > 0.0 && s <= 1.0));
        assert_eq!(f.explain(&x, &[17, 250]).expect("explain"), vec![0, 1]);
        let again = params.fit(&x).expect("fit");
        assert_eq!(f, again);
        let single = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .expect("pool");
        let one_thread = single.install(|| params.fit(&x).expect("fit"));
        assert_eq!(f, one_thread, "same result whatever the thread count");
    }

    #[test]
    fn rethreshold_and_novelty() {
        let (cols, names) = data();
        let x = Matrix::new(&cols, &names).expect("matrix");
        let f = IsolationForestParams {
            contamination: Contamination::Fraction(0.05),
            ..IsolationForestParams::default()
        }
        .validate()
        .expect("valid")
        .fit(&x)
        .expect("fit");
        let flags = f.training().flags(Contamination::Fraction(0.05));
        assert_eq!(
            flags.iter().filter(|&&b| b).count(),
            f.training().flagged_count(Contamination::Fraction(0.05))
        );
        assert_eq!(f.predict(&x).expect("predict"), flags);
        let more = f.training().flagged_count(Contamination::Fraction(0.2));
        assert!(more > flags.iter().filter(|&&b| b).count());
        let weird = f.score_one(&[5000.0, 50.0]).expect("score");
        let normal = f.score_one(&[110.0, 53.0]).expect("score");
        assert!(weird < normal);
        assert!(f.score_one(&[1.0]).is_err());
        assert!(f.score_one(&[f64::NAN, 1.0]).is_err());
        let json = serde_json::to_string(&f).expect("serialise");
        let back: FittedIsolationForest = serde_json::from_str(&json).expect("deserialise");
        assert_eq!(back.score_one(&[5000.0, 50.0]).expect("score"), weird);
    }

    #[test]
    fn edge_cases() {
        let names = vec!["c".to_string(), "d".to_string()];
        // Constant features and duplicate rows.
        let cols = vec![vec![1.0; 50], vec![2.0; 50]];
        let x = Matrix::new(&cols, &names).expect("matrix");
        let f = IsolationForestParams::default()
            .validate()
            .expect("valid")
            .fit(&x)
            .expect("fit");
        let s = f.train_score_samples();
        assert!(s.iter().all(|v| v.is_finite() && *v == s[0]));
        // A fraction that rounds down to no row is an error, as in scikit-learn.
        let five = vec![vec![1.0, 2.0, 3.0, 4.0, 5.0], vec![5.0, 1.0, 4.0, 2.0, 3.0]];
        let small = Matrix::new(&five, &names).expect("matrix");
        let err = IsolationForestParams {
            max_samples: MaxSamples::Fraction(0.1),
            ..IsolationForestParams::default()
        }
        .validate()
        .expect("valid")
        .fit(&small)
        .expect_err("0.1 of 5 rows is no row");
        assert_eq!(
            err,
            FitError::MaxSamplesNoRows {
                fraction: 0.1,
                rows: 5
            }
        );
        assert!(err.to_string().contains("0.1 of 5 rows is 0 rows"));
        let f = IsolationForestParams {
            max_samples: MaxSamples::Fraction(0.2),
            ..IsolationForestParams::default()
        }
        .validate()
        .expect("valid")
        .fit(&small)
        .expect("0.2 of 5 rows is one row");
        assert_eq!(f.max_samples(), 1);
        // max_samples above n is clamped with a warning.
        let f = IsolationForestParams {
            max_samples: MaxSamples::Count(1000),
            ..IsolationForestParams::default()
        }
        .validate()
        .expect("valid")
        .fit(&x)
        .expect("fit");
        assert_eq!(f.max_samples(), 50);
        assert!(f.warnings()[0].contains("max_samples (1000) is greater"));
        // A single row.
        let one = vec![vec![1.0], vec![2.0]];
        let x = Matrix::new(&one, &names).expect("matrix");
        let f = IsolationForestParams::default()
            .validate()
            .expect("valid")
            .fit(&x)
            .expect("fit");
        assert_eq!(f.train_score_samples(), &[-0.5]);
    }

    #[test]
    fn cancellation() {
        let (cols, names) = data();
        let x = Matrix::new(&cols, &names).expect("matrix");
        let cancel = AtomicBool::new(true);
        let r = IsolationForestParams::default()
            .validate()
            .expect("valid")
            .fit_with(
                &x,
                Control {
                    cancel: Some(&cancel),
                    progress: None,
                },
            );
        assert_eq!(r, Err(FitError::Cancelled));
    }

    #[test]
    fn send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<FittedIsolationForest>();
        check::<ValidIsolationForestParams>();
    }
}
