//! The analysis session: one loaded dataset, the feature matrix prepared from it and the last
//! fitted detection. The command line calls it directly; the GUI's worker thread forwards its
//! jobs to it. Scoring decides here, and only here, whether the settings need a refit, a new
//! threshold only, or LOF from neighbour lists searched before.

mod error;
mod features;
mod flagged;

use std::sync::Arc;

pub use error::AnalysisError;
pub use flagged::FlaggedRows;

use crate::control::Control;
use crate::data::access::verdict::{triage_order, verdict_rows, Kind};
use crate::data::explain_rows as explain_in_words;
use crate::data::Dataset;
use crate::detect::run::{FitInput, FitReuse, FittedDetector};
use crate::detect::seasonal::{SeasonalError, SeasonalScores};
use crate::detect::{Detection, DetectorConfig, FitError};
use features::FeatureMatrix;

/// The largest k searched ahead for the LOF neighbours slider (an interactive session).
pub const LOF_CACHE_K: usize = 100;

/// Above this many rows an interactive session searches only the k asked for (lists of
/// [`LOF_CACHE_K`] neighbours would take too much memory).
pub const LOF_CACHE_MAX_ROWS: usize = 200_000;

/// How much work a scoring took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScoreWork {
    /// The model was fitted and every row scored.
    Fitted,
    /// Only the threshold rule changed (mode, contamination or risk): the last scores were
    /// re-thresholded.
    Rethresholded,
    /// LOF for another k from neighbour lists searched before (no new search).
    NeighboursReused,
}

/// What a scoring produced.
#[derive(Debug, Clone)]
pub struct Scored {
    /// Scores, flags and threshold of every row.
    pub detection: Arc<Detection>,
    /// The work it took.
    pub work: ScoreWork,
}

/// The verdict of the fitted model on one new row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WhatIf {
    /// Its anomaly score (higher = more anomalous).
    pub score: f64,
    /// Whether the model would flag it under the current threshold.
    pub flagged: bool,
}

/// `detection` flagged again under `config`'s threshold rule (mode, contamination, risk; no
/// refit), the rows that belong with a flagged one flagged too ([`crate::data::group_flags`]).
/// The session's re-threshold, and the app's own when the slider moves (so the frame that moves
/// it shows the new flags): one function, so both give the same flags. The new detection
/// shares the scores: nothing of the size of the table is copied.
pub fn rethreshold(
    dataset: &Dataset,
    detection: &Detection,
    config: &DetectorConfig,
) -> Result<Detection, AnalysisError> {
    let mut detection = detection.rethresholded(config)?;
    detection.flag_more(|flags| crate::data::group_flags(dataset, flags));
    Ok(detection)
}

/// The current fit: the detection of the training rows and the detector that made it.
struct CurrentFit {
    /// Scores, flags and threshold of every row, and the settings (the threshold rule follows
    /// re-thresholding).
    detection: Arc<Detection>,
    /// The fitted detector, to score new rows and explain rows.
    detector: FittedDetector,
    /// The top feature of every row, once asked for.
    explained: Option<Arc<Vec<usize>>>,
}

/// One dataset under analysis: scoring, re-thresholding, "what if", explanations and exports.
pub struct Session {
    dataset: Arc<Dataset>,
    /// Search ahead this many LOF neighbours (0: only the k asked for).
    neighbour_reserve: usize,
    features: Option<FeatureMatrix>,
    /// What fits on the current feature matrix left for later fits on it.
    reuse: FitReuse,
    fit: Option<CurrentFit>,
}

impl Session {
    /// A session for one scoring (the command line): LOF searches exactly the k asked for.
    pub fn new(dataset: Arc<Dataset>) -> Self {
        Session {
            dataset,
            neighbour_reserve: 0,
            features: None,
            reuse: FitReuse::default(),
            fit: None,
        }
    }

    /// A session for repeated scoring (the GUI): LOF searches [`LOF_CACHE_K`] neighbours ahead
    /// on up to [`LOF_CACHE_MAX_ROWS`] rows, so the neighbours slider needs no new search.
    pub fn interactive(dataset: Arc<Dataset>) -> Self {
        Session {
            neighbour_reserve: LOF_CACHE_K,
            ..Session::new(dataset)
        }
    }

    /// The dataset.
    pub fn dataset(&self) -> &Arc<Dataset> {
        &self.dataset
    }

    /// The features of the current fit.
    pub fn feature_names(&self) -> &[String] {
        self.features.as_ref().map_or(&[], |f| f.names.as_slice())
    }

    /// The detection of the current fit.
    pub fn detection(&self) -> Option<&Arc<Detection>> {
        self.fit.as_ref().map(|f| &f.detection)
    }

    /// Scores the dataset with `config` on `features` (empty: every numeric column). This is the
    /// one place that compares the settings with the current fit: only the threshold rule changed
    /// means a new threshold; only the LOF neighbours changed means LOF from the cached lists;
    /// anything else a fit. Returns the detection and the work done.
    pub fn score(
        &mut self,
        config: &DetectorConfig,
        features: &[String],
        control: Control,
    ) -> Result<Scored, AnalysisError> {
        let params = config.validate().map_err(FitError::Params)?;
        let names = if features.is_empty() {
            self.dataset.feature_names.as_slice()
        } else {
            features
        };
        let same_features = self
            .features
            .as_ref()
            .is_some_and(|f| f.holds(names, config.effective_scaling()));
        if same_features {
            if let Some(fit) = &self.fit {
                let same_model = DetectorConfig {
                    threshold: config.threshold,
                    contamination: config.contamination,
                    risk: config.risk,
                    ..fit.detection.config
                } == *config;
                if same_model {
                    return Ok(Scored {
                        detection: self.rethreshold(config)?,
                        work: ScoreWork::Rethresholded,
                    });
                }
            }
        } else {
            // The old fit belongs to the old matrix: drop both before preparing the new one.
            self.fit = None;
            self.features = None;
            // LOF searches ahead only where the lists fit in memory.
            self.reuse = FitReuse::new(if self.dataset.n_rows() <= LOF_CACHE_MAX_ROWS {
                self.neighbour_reserve
            } else {
                0
            });
            self.features = Some(FeatureMatrix::prepare(
                &self.dataset,
                names,
                config.effective_scaling(),
            )?);
        }
        let Some(prepared) = self.features.as_ref() else {
            return Err(AnalysisError::NotScored);
        };
        let x = prepared.matrix(&self.dataset)?;
        if config.algorithm == crate::detect::Algorithm::Seasonal && self.dataset.time.is_none() {
            // A log read one row per client or host: point to its view over time rather than
            // ask for a time column it cannot name.
            let rows = if self.dataset.log.is_some() {
                Some("client")
            } else if self.dataset.network.is_some() {
                Some("host")
            } else {
                None
            };
            if let Some(rows) = rows {
                return Err(FitError::Seasonal(SeasonalError::NoTimeInView { rows }).into());
            }
        }
        let input = FitInput {
            x: &x,
            times: self.dataset.time.as_ref().map(|t| t.millis.as_slice()),
            clock: self.dataset.time.as_ref().map(|t| &t.clock),
            reuse: &mut self.reuse,
            control,
        };
        let fitted = params.fit(input, config)?;
        let work = if fitted.reused {
            ScoreWork::NeighboursReused
        } else {
            ScoreWork::Fitted
        };
        let mut detection = fitted.detection;
        detection.flag_more(|flags| crate::data::group_flags(&self.dataset, flags));
        let detection = Arc::new(detection);
        self.fit = Some(CurrentFit {
            detection: Arc::clone(&detection),
            detector: fitted.detector,
            explained: None,
        });
        Ok(Scored { detection, work })
    }

    /// Flags the rows of the current fit again under `config`'s threshold rule (its mode,
    /// contamination and risk; no refit). Here and after a fit, the rows that belong with a
    /// flagged one are flagged too ([`crate::data::group_flags`]).
    pub fn rethreshold(
        &mut self,
        config: &DetectorConfig,
    ) -> Result<Arc<Detection>, AnalysisError> {
        let fit = self.fit.as_mut().ok_or(AnalysisError::NotScored)?;
        fit.detection = Arc::new(rethreshold(&self.dataset, &fit.detection, config)?);
        Ok(Arc::clone(&fit.detection))
    }

    /// Takes `detection` as the current fit's detection when it was made from it by
    /// [`rethreshold`] (it shares the fit's scores): the app re-thresholds on its own thread and
    /// the session follows without doing the work again. Anything else is refused with
    /// [`AnalysisError::NotScored`] and changes nothing.
    pub fn adopt(&mut self, detection: Arc<Detection>) -> Result<Arc<Detection>, AnalysisError> {
        let fit = self.fit.as_mut().ok_or(AnalysisError::NotScored)?;
        if !Arc::ptr_eq(&fit.detection.scores, &detection.scores) {
            return Err(AnalysisError::NotScored);
        }
        fit.detection = Arc::clone(&detection);
        Ok(detection)
    }

    /// The verdict of the current model on one new row (one value per feature, unscaled).
    pub fn what_if(&self, values: &[f64]) -> Result<WhatIf, AnalysisError> {
        let (Some(fit), Some(prepared)) = (&self.fit, &self.features) else {
            return Err(AnalysisError::NotScored);
        };
        let score = fit.detector.anomaly_score(&prepared.scale_row(values)?)?;
        Ok(WhatIf {
            score,
            flagged: score > fit.detection.threshold,
        })
    }

    /// The top feature (index into [`Session::feature_names`]) of each row in `rows`.
    pub fn explain(&self, rows: &[usize]) -> Result<Vec<usize>, AnalysisError> {
        let (Some(fit), Some(prepared)) = (&self.fit, &self.features) else {
            return Err(AnalysisError::NotScored);
        };
        let x = prepared.matrix(&self.dataset)?;
        Ok(fit.detector.explain(&x, rows)?)
    }

    /// The top feature of every row (computed once per fit).
    pub fn explain_all(&mut self) -> Result<Arc<Vec<usize>>, AnalysisError> {
        if let Some(done) = self.fit.as_ref().and_then(|f| f.explained.clone()) {
            return Ok(done);
        }
        let rows = self.dataset.n_rows();
        let all = Arc::new(self.explain(&(0..rows).collect::<Vec<_>>())?);
        if let Some(fit) = self.fit.as_mut() {
            fit.explained = Some(Arc::clone(&all));
        }
        Ok(all)
    }

    /// The seasonal baseline's verdict on every row (expected values, bands, warm-up), when the
    /// current fit is the seasonal baseline: what the plots draw as the expected band.
    pub fn seasonal(&self) -> Option<Arc<SeasonalScores>> {
        match &self.fit.as_ref()?.detector {
            FittedDetector::Seasonal(s) => Some(s.scores_arc()),
            _ => None,
        }
    }

    /// Each of `rows` explained in words, given its top feature (`top`, in the same order):
    /// the seasonal baseline's verdict ("Region 3 = 1,054 on Thu 14 Jan 2021, expected 210
    /// (180-250): 14 MADs above") or, for an access log's client view, why the client looks
    /// suspicious; `None` where there are no words.
    pub fn words(&self, rows: &[usize], top: &[usize]) -> Option<Vec<String>> {
        let names = self.feature_names();
        if let (Some(fit), Some(prepared)) = (&self.fit, &self.features) {
            if let (FittedDetector::Seasonal(s), Some(time)) = (&fit.detector, &self.dataset.time) {
                let x = prepared.matrix(&self.dataset).ok()?;
                let columns: Vec<&[f64]> = (0..x.features()).map(|f| x.column(f)).collect();
                return Some(
                    rows.iter()
                        .map(|&r| s.row_in_words(r, names, &columns, time.millis[r], time.zone))
                        .collect(),
                );
            }
        }
        explain_in_words(&self.dataset, rows, top, names)
    }

    /// The flagged rows of the current fit with their scores, top features and (seasonal
    /// baseline; access logs, client view) verdicts in words: what a flagged export writes. In
    /// row order, except in an access log's client view: attacks first, then clients the
    /// verdict does not name, then benign ones, by score within each ([`triage_order`]).
    pub fn flagged(&self) -> Result<FlaggedRows, AnalysisError> {
        let fit = self.fit.as_ref().ok_or(AnalysisError::NotScored)?;
        let rows = fit.detection.flagged_rows();
        let top = match &fit.explained {
            Some(all) => rows.iter().map(|&r| all[r]).collect(),
            None => self.explain(&rows)?,
        };
        let names = self.feature_names();
        let scores = &fit.detection.scores;
        let (rows, top, words) = match verdict_rows(&self.dataset, &rows, &top, names) {
            // A client view: attacks first.
            Some(verdicts) => {
                let mut order: Vec<(usize, Kind, f64)> = verdicts
                    .iter()
                    .enumerate()
                    .map(|(k, v)| (k, v.kind, scores[rows[k]]))
                    .collect();
                triage_order(&mut order);
                (
                    order.iter().map(|&(k, _, _)| rows[k]).collect(),
                    order.iter().map(|&(k, _, _)| top[k]).collect(),
                    Some(
                        order
                            .iter()
                            .map(|&(k, _, _)| verdicts[k].words.clone())
                            .collect(),
                    ),
                )
            }
            None => {
                let words = self.words(&rows, &top);
                (rows, top, words)
            }
        };
        Ok(FlaggedRows {
            scores: rows.iter().map(|&r| scores[r]).collect(),
            top_features: top
                .iter()
                .map(|&f: &usize| names.get(f).cloned().unwrap_or_default())
                .collect(),
            words,
            rows,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{load_source, LoadOptions, Source};
    use crate::detect::{Algorithm, Contamination, Scaling};

    /// 200 rows of two columns `a`, `b` with an outlier in `a` at row 42.
    fn session() -> Session {
        let mut csv = String::from("a,b\n");
        for i in 0..200 {
            let a = if i == 42 { 500 } else { i % 13 };
            csv.push_str(&format!("{a},{}\n", i % 7));
        }
        session_on(csv)
    }

    /// `rows` rows of two normally distributed columns `a`, `b` with an outlier in `a` at
    /// row 42.
    fn session_of(rows: usize) -> Session {
        use rand::SeedableRng;
        use rand_distr::{Distribution, Normal};
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(42);
        let normal = Normal::new(0.0, 1.0).expect("normal");
        let mut csv = String::from("a,b\n");
        for i in 0..rows {
            let a = 6.0 + 2.0 * normal.sample(&mut rng);
            let b = 3.0 + normal.sample(&mut rng);
            let a = if i == 42 { 30.0 } else { a };
            csv.push_str(&format!("{a},{b}\n"));
        }
        session_on(csv)
    }

    /// A session on `csv` (no time column).
    fn session_on(csv: String) -> Session {
        let source = Source::Memory {
            name: "planted.csv".into(),
            bytes: csv.into_bytes().into(),
        };
        let options = LoadOptions {
            no_time: true,
            ..LoadOptions::default()
        };
        Session::interactive(Arc::new(load_source(source, &options).expect("load")))
    }

    #[test]
    fn both_detectors_flag_and_explain_the_planted_outlier() {
        let mut s = session();
        for algorithm in [Algorithm::IsolationForest, Algorithm::Lof] {
            for scaling in [Scaling::None, Scaling::Robust] {
                let config = DetectorConfig {
                    algorithm,
                    scaling,
                    contamination: Contamination::Fraction(0.01),
                    ..DetectorConfig::default()
                };
                let d = s
                    .score(&config, &[], Control::default())
                    .expect("score")
                    .detection;
                assert!(d.flags[42], "{algorithm}, {scaling}");
                assert!(d.scores[42] > d.threshold);
                assert_eq!(s.explain(&[42]).expect("explain"), vec![0], "{algorithm}");
                let f = s.flagged().expect("flagged");
                let at = f.rows.iter().position(|&r| r == 42).expect("listed");
                assert_eq!(f.top_features[at], "a");
                assert!(s.what_if(&[500.0, 3.0]).expect("what if").flagged);
            }
        }
    }

    #[test]
    fn a_detection_rethresholded_elsewhere_is_adopted_only_from_the_current_fit() {
        let mut s = session_of(500);
        let base = DetectorConfig::default();
        let fitted = s.score(&base, &[], Control::default()).expect("fit");
        let share = DetectorConfig {
            contamination: crate::detect::Contamination::Fraction(0.2),
            ..base
        };
        let re = Arc::new(rethreshold(s.dataset(), &fitted.detection, &share).expect("re"));
        let adopted = s.adopt(Arc::clone(&re)).expect("adopted");
        assert!(Arc::ptr_eq(&adopted, &re));
        assert!(s.detection().is_some_and(|d| Arc::ptr_eq(d, &re)));
        // What the session would have made itself.
        let own = Session::new(Arc::clone(s.dataset()))
            .score(&share, &[], Control::default())
            .expect("own");
        assert_eq!(re.flags, own.detection.flags);
        // A detection of another fit (other scores) is refused and changes nothing.
        let other = Session::new(Arc::clone(s.dataset()))
            .score(&share, &[], Control::default())
            .expect("other")
            .detection;
        assert!(s.adopt(other).is_err());
        assert!(s.detection().is_some_and(|d| Arc::ptr_eq(d, &re)));
        assert!(Session::new(Arc::clone(s.dataset())).adopt(re).is_err());
    }

    #[test]
    fn threshold_mode_and_risk_rethreshold_without_refitting() {
        use crate::detect::spot::{Risk, ThresholdMode};
        // 2,000 rows: the tail fit needs more than the 10 excesses of 200 rows to extrapolate.
        let mut s = session_of(2000);
        for algorithm in [Algorithm::IsolationForest, Algorithm::Lof] {
            let base = DetectorConfig {
                algorithm,
                ..DetectorConfig::default()
            };
            assert_eq!(
                s.score(&base, &[], Control::default()).expect("fit").work,
                ScoreWork::Fitted
            );
            let mut last = usize::MAX;
            for q in [1e-2, 1e-3, 1e-4, 1e-6] {
                let auto = DetectorConfig {
                    threshold: ThresholdMode::Auto,
                    risk: Risk::new(q).expect("risk"),
                    ..base
                };
                let re = s.score(&auto, &[], Control::default()).expect("auto");
                assert_eq!(re.work, ScoreWork::Rethresholded, "{algorithm} {q}");
                let d = &re.detection;
                assert!(d.flags[42], "{algorithm} {q}: the planted outlier");
                let flagged = d.flagged_rows().len();
                assert!(flagged <= last, "{algorithm} {q}: {flagged} > {last}");
                last = flagged;
                // The same as a fresh fit with these settings.
                let fresh = Session::new(Arc::clone(s.dataset()))
                    .score(&auto, &[], Control::default())
                    .expect("fresh")
                    .detection;
                assert_eq!(d.flags, fresh.flags);
                assert_eq!(d.threshold, fresh.threshold);
                // "What if" judges against the automatic threshold too.
                for row in [[5000.0, 3.0], [6.0, 3.0]] {
                    let w = s.what_if(&row).expect("what if");
                    assert_eq!(w.flagged, w.score > d.threshold, "{algorithm} {q} {row:?}");
                }
            }
            // Back to the contamination: scikit-learn's flags again.
            let back = s.score(&base, &[], Control::default()).expect("back");
            assert_eq!(back.work, ScoreWork::Rethresholded);
            let fresh = Session::new(Arc::clone(s.dataset()))
                .score(&base, &[], Control::default())
                .expect("fresh")
                .detection;
            assert_eq!(back.detection.flags, fresh.flags);
        }
    }

    #[test]
    fn a_threshold_above_every_possible_score_is_explained_and_goes_with_its_rule() {
        use crate::detect::spot::ThresholdMode;
        // The bundled sample: 49 labelled anomalies in 730 rows, more than the top 2% of the
        // scores, so they make up the tail and Isolation Forest's automatic threshold lies
        // above 1.
        let ds = load_source(crate::app::sample_source(), &LoadOptions::default()).expect("load");
        let mut s = Session::interactive(Arc::new(ds));
        let auto = DetectorConfig {
            threshold: ThresholdMode::Auto,
            ..DetectorConfig::default()
        };
        let d = s
            .score(&auto, &[], Control::default())
            .expect("auto")
            .detection;
        assert!(d.threshold >= 1.0, "{}", d.threshold);
        assert!(d.flagged_rows().is_empty());
        assert!(
            d.warnings
                .iter()
                .any(|w| w.contains("the highest score Isolation Forest can give")),
            "{:?}",
            d.warnings
        );
        // Back to the contamination: the warning goes with the rule.
        let back = s
            .score(&DetectorConfig::default(), &[], Control::default())
            .expect("contamination");
        assert_eq!(back.work, ScoreWork::Rethresholded);
        assert!(
            back.detection.warnings.is_empty(),
            "{:?}",
            back.detection.warnings
        );
    }

    #[test]
    fn only_the_settings_that_changed_are_recomputed() {
        let mut s = session();
        let base = DetectorConfig::default();
        assert_eq!(
            s.score(&base, &[], Control::default()).expect("fit").work,
            ScoreWork::Fitted
        );
        let other = DetectorConfig {
            contamination: Contamination::Fraction(0.1),
            ..base
        };
        let re = s
            .score(&other, &[], Control::default())
            .expect("re-threshold");
        assert_eq!(re.work, ScoreWork::Rethresholded);
        let refit = Session::new(Arc::clone(s.dataset()))
            .score(&other, &[], Control::default())
            .expect("refit")
            .detection;
        assert_eq!(re.detection.flags, refit.flags);
        assert_eq!(re.detection.threshold, refit.threshold);
        // Another feature selection is a new fit.
        let only_a = ["a".to_string()];
        assert_eq!(
            s.score(&other, &only_a, Control::default())
                .expect("a")
                .work,
            ScoreWork::Fitted
        );
        // LOF: another k reuses the lists.
        let lof = DetectorConfig {
            algorithm: Algorithm::Lof,
            ..base
        };
        assert_eq!(
            s.score(&lof, &[], Control::default()).expect("lof").work,
            ScoreWork::Fitted
        );
        let k5 = DetectorConfig {
            lof: crate::detect::LofSettings {
                n_neighbors: 5,
                ..lof.lof
            },
            ..lof
        };
        assert_eq!(
            s.score(&k5, &[], Control::default()).expect("k5").work,
            ScoreWork::NeighboursReused
        );
        let bad = DetectorConfig {
            lof: crate::detect::LofSettings {
                n_neighbors: 0,
                ..lof.lof
            },
            ..lof
        };
        assert!(matches!(
            s.score(&bad, &[], Control::default()),
            Err(AnalysisError::Fit(FitError::Params(_)))
        ));
        assert!(matches!(
            s.score(&base, &["zz".to_string()], Control::default()),
            Err(AnalysisError::NoSuchFeature(n)) if n == "zz"
        ));
        assert!(matches!(
            s.score(
                &base,
                &["a".to_string(), "a".to_string()],
                Control::default()
            ),
            Err(AnalysisError::FeatureTwice(_))
        ));
    }
}
