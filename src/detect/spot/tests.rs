//! The automatic threshold on samples with a known tail, against scipy, on detector scores, and
//! as a stream.
//!
//! Tolerances: the threshold at risk `q` is compared with the distribution's true `1 - q`
//! quantile within four standard deviations of the estimate, the standard deviation computed
//! by the delta method from the GPD's asymptotic maximum-likelihood covariance
//! (Smith 1987: `(1 + gamma) / N_t * [[1 + gamma, -sigma], [-sigma, 2 sigma^2]]`) and the
//! sampling error of the initial quantile. Four standard deviations leave a correct fit a
//! chance of about 1 in 15,000 of failing on a fresh sample; the samples here are seeded.

use rand::SeedableRng;
use rand_distr::{Distribution, Exp, Normal, Pareto, StudentT, Uniform};
use rand_pcg::Pcg64Mcg;
use serde::Deserialize;

use super::gpd::{fit_censored, fit_grimshaw};
use super::*;

const N: usize = 100_000;

fn sample(dist: impl Distribution<f64>, n: usize, seed: u64) -> Vec<f64> {
    let mut rng = Pcg64Mcg::seed_from_u64(seed);
    (0..n).map(|_| dist.sample(&mut rng)).collect()
}

/// The delta-method standard deviation of the threshold at risk `q` for a GPD tail with shape
/// `gamma` and scale `sigma` over `n_t` excesses out of `n` scores, plus `t_sd`, the standard
/// deviation of the initial threshold.
fn threshold_sd(gamma: f64, sigma: f64, q: f64, n: usize, n_t: usize, t_sd: f64) -> f64 {
    let r = q * n as f64 / n_t as f64;
    let l = r.ln();
    let (d_sigma, d_gamma) = if gamma == 0.0 {
        (-l, sigma * l * l / 2.0)
    } else {
        let a = (-gamma * l).exp_m1();
        (
            a / gamma,
            -sigma / (gamma * gamma) * a + sigma / gamma * (-l) * r.powf(-gamma),
        )
    };
    let k = (1.0 + gamma) / n_t as f64;
    let var = k
        * ((1.0 + gamma) * d_gamma * d_gamma - 2.0 * sigma * d_gamma * d_sigma
            + 2.0 * sigma * sigma * d_sigma * d_sigma);
    (var + t_sd * t_sd).sqrt()
}

/// The standard deviation of the empirical `p` quantile of `n` scores where the density is
/// `density`.
fn quantile_sd(p: f64, n: usize, density: f64) -> f64 {
    (p * (1.0 - p) / n as f64).sqrt() / density
}

/// Calibrates on `scores` and checks gamma, sigma (scaled by the excess scale at t) and the
/// threshold at risk `q` against the truth; returns the tail.
fn check_tail(
    scores: &[f64],
    (gamma, sigma_at_t): (f64, impl Fn(f64) -> f64),
    q: f64,
    true_quantile: f64,
    t_sd: f64,
) -> Tail {
    let tail = Tail::calibrate(scores).expect("calibrate");
    let fit = tail.gpd().expect("fitted");
    let n_t = tail.excesses().len();
    let sigma = sigma_at_t(tail.initial());
    // Four standard errors of the MLE.
    let gamma_tol = 4.0 * (1.0 + gamma) / (n_t as f64).sqrt();
    let sigma_tol = 4.0 * (2.0 * (1.0 + gamma) / n_t as f64).sqrt();
    assert!(
        (fit.gamma - gamma).abs() < gamma_tol,
        "gamma {} vs {gamma} (tolerance {gamma_tol})",
        fit.gamma
    );
    assert!(
        (fit.sigma / sigma - 1.0).abs() < sigma_tol,
        "sigma {} vs {sigma} (relative tolerance {sigma_tol})",
        fit.sigma
    );
    let risk = Risk::new(q).expect("risk");
    let tol = 4.0 * threshold_sd(gamma, sigma, q, scores.len(), n_t, t_sd);
    let z = tail.threshold(risk);
    assert!(
        (z - true_quantile).abs() < tol,
        "q {q}: threshold {z} vs true quantile {true_quantile} (tolerance {tol})"
    );
    tail
}

#[test]
fn exponential_tail_has_shape_zero() {
    // Exp(1): excesses over any t are Exp(1): gamma = 0, sigma = 1; the 1 - q quantile is -ln q.
    let scores = sample(Exp::new(1.0).expect("exp"), N, 1);
    let t_sd = quantile_sd(0.98, N, 0.02);
    for q in [1e-3, 1e-4, 1e-5] {
        check_tail(&scores, (0.0, |_| 1.0), q, -q.ln(), t_sd);
    }
}

#[test]
fn pareto_tail_has_positive_shape() {
    // Pareto(1, 2): P(X > x) = x^-2; excesses over t are GPD(gamma 1/2, sigma t / 2); the
    // 1 - q quantile is q^(-1/2).
    let scores = sample(Pareto::new(1.0, 2.0).expect("pareto"), N, 2);
    let t = 0.02f64.powf(-0.5);
    let t_sd = quantile_sd(0.98, N, 2.0 * t.powi(-3));
    for q in [1e-3, 1e-4] {
        check_tail(&scores, (0.5, |t| t / 2.0), q, q.powf(-0.5), t_sd);
    }
}

#[test]
fn bounded_tail_has_negative_shape() {
    // X = 1 - U^(1/3): P(X > 1 - y) = y^3; excesses over t are GPD(gamma -1/3,
    // sigma (1 - t) / 3); the 1 - q quantile is 1 - q^(1/3).
    let u = sample(Uniform::new(0.0, 1.0).expect("uniform"), N, 3);
    let scores: Vec<f64> = u.iter().map(|u| 1.0 - u.powf(1.0 / 3.0)).collect();
    let y = 0.02f64.powf(1.0 / 3.0);
    let t_sd = quantile_sd(0.98, N, 3.0 * y * y);
    for q in [1e-3, 1e-4] {
        check_tail(
            &scores,
            (-1.0 / 3.0, |t| (1.0 - t) / 3.0),
            q,
            1.0 - q.powf(1.0 / 3.0),
            t_sd,
        );
    }
}

#[test]
fn uniform_scores_stay_within_their_bound() {
    // Uniform(0, 1): gamma = -1, where the MLE is not regular (no delta method); the tail's end
    // is found, so the threshold lies between the true 1 - q quantile and 1, and nothing beyond
    // the sample is extrapolated.
    let scores = sample(Uniform::new(0.0, 1.0).expect("uniform"), N, 4);
    let tail = Tail::calibrate(&scores).expect("calibrate");
    let gamma = tail.gpd().expect("fitted").gamma;
    assert!((gamma + 1.0).abs() < 0.1, "gamma {gamma}");
    let max = scores.iter().copied().fold(f64::MIN, f64::max);
    for q in [1e-3, 1e-4] {
        let z = tail.threshold(Risk::new(q).expect("risk"));
        // Within a tenth of the excess range (0.02) of the truth, and not beyond the end by more.
        assert!((z - (1.0 - q)).abs() < 0.002, "q {q}: {z}");
        assert!(z < max + 0.002, "q {q}: {z} vs max {max}");
    }
}

#[test]
fn student_t_tail_is_heavy() {
    // Student's t with 3 degrees of freedom: gamma = 1/3 asymptotically; at the 98% level the
    // GPD is an approximation, so only the shape's sign and the threshold are checked. The
    // true quantiles are scipy's `t.isf(q, 3)`: 10.214531852407385 (1e-3), 22.203742273204178
    // (1e-4). Tolerance: four delta-method standard deviations at gamma = 1/3.
    let scores = sample(StudentT::new(3.0).expect("t"), N, 5);
    let tail = Tail::calibrate(&scores).expect("calibrate");
    let fit = tail.gpd().expect("fitted");
    assert!(fit.gamma > 0.15, "gamma {}", fit.gamma);
    for (q, truth) in [
        (1e-3, 10.214_531_852_407_385),
        (1e-4, 22.203_742_273_204_178),
    ] {
        let z = tail.threshold(Risk::new(q).expect("risk"));
        let n_t = tail.excesses().len();
        let tol = 4.0 * threshold_sd(1.0 / 3.0, fit.sigma, q, N, n_t, 0.0);
        assert!((z - truth).abs() < tol, "q {q}: {z} vs {truth} ({tol})");
    }
}

#[derive(Deserialize)]
struct Reference {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    scores: Vec<f64>,
    initial: f64,
    excesses: usize,
    gamma: f64,
    sigma: f64,
    log_likelihood: f64,
    censored: usize,
    censored_gamma: f64,
    censored_sigma: f64,
    censored_log_likelihood: f64,
    thresholds: Vec<ReferenceThreshold>,
}

#[derive(Deserialize)]
struct ReferenceThreshold {
    risk: f64,
    threshold: f64,
}

#[test]
fn matches_scipy_maximum_likelihood() {
    // tests/fixtures/spot/reference.json, written by scripts/gen_spot_fixtures.py: scipy's
    // genpareto MLE (polished by Nelder-Mead) on the same excesses, plain and with the largest
    // 10% censored (scipy's CensoredData). Grimshaw's roots must reach at least scipy's
    // likelihood and agree on the parameters to 1e-5 (Nelder-Mead's own precision is about
    // 1e-7 here), and the thresholds to 1e-4 relative.
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/spot/reference.json"
    ))
    .expect("fixture");
    let reference: Reference = serde_json::from_str(&text).expect("json");
    assert_eq!(reference.cases.len(), 4);
    for case in &reference.cases {
        let tail = Tail::calibrate(&case.scores).expect("calibrate");
        let name = &case.name;
        assert!((tail.initial() - case.initial).abs() < 1e-12, "{name}");
        assert_eq!(tail.excesses().len(), case.excesses, "{name}");
        let fit = fit_grimshaw(tail.excesses()).expect("fit");
        assert!(
            fit.log_likelihood >= case.log_likelihood - 1e-9,
            "{name}: {} < scipy's {}",
            fit.log_likelihood,
            case.log_likelihood
        );
        assert!((fit.gpd.gamma - case.gamma).abs() < 1e-5, "{name}: {fit:?}");
        assert!(
            (fit.gpd.sigma / case.sigma - 1.0).abs() < 1e-5,
            "{name}: {fit:?}"
        );
        // The fit the threshold uses: the largest 10% censored.
        let m = case.excesses - case.censored;
        let kept = &tail.excesses()[..m];
        let censored = fit_censored(kept, case.censored, kept[m - 1]).expect("fit");
        assert!(
            censored.log_likelihood >= case.censored_log_likelihood - 1e-9,
            "{name}: {} < scipy's {}",
            censored.log_likelihood,
            case.censored_log_likelihood
        );
        assert!(
            (censored.gpd.gamma - case.censored_gamma).abs() < 1e-5,
            "{name}: {censored:?}"
        );
        assert!(
            (censored.gpd.sigma / case.censored_sigma - 1.0).abs() < 1e-5,
            "{name}: {censored:?}"
        );
        assert_eq!(tail.gpd(), Some(censored.gpd), "{name}");
        for r in &case.thresholds {
            let z = tail.threshold(Risk::new(r.risk).expect("risk"));
            assert!(
                (z / r.threshold - 1.0).abs() < 1e-4,
                "{name} at {}: {z} vs scipy's {}",
                r.risk,
                r.threshold
            );
        }
    }
}

#[test]
fn isolation_forest_scores_flag_the_planted_rows() {
    // Bounded scores: Isolation Forest's anomaly scores are in (0, 1]. 20,000 normal rows and
    // 5 far away: the five are flagged; at risk 1e-4 chance flags among 20,000 normal rows are
    // expected twice, and at most eight are allowed (P(Poisson(2) > 8) < 3e-4). (With 3,000
    // rows the five are 8% of the 60 excesses: the fitted tail takes them for its own and the
    // threshold lands above them; see `Tail`'s documentation on masking.)
    use crate::detect::{IsolationForestParams, Matrix};
    let normal = Normal::new(0.0, 1.0).expect("normal");
    let mut columns = vec![sample(normal, 20_000, 6), sample(normal, 20_000, 7)];
    for (i, (a, b)) in [
        (8.0, 8.0),
        (-9.0, 7.0),
        (10.0, -6.0),
        (-7.0, -8.0),
        (9.0, 9.5),
    ]
    .into_iter()
    .enumerate()
    {
        columns[0][4000 * i + 50] = a;
        columns[1][4000 * i + 50] = b;
    }
    let names = ["a".to_string(), "b".to_string()];
    let x = Matrix::new(&columns, &names).expect("matrix");
    let forest = IsolationForestParams::default()
        .validate()
        .expect("params")
        .fit(&x)
        .expect("fit");
    let scores = forest.training().anomaly_scores();
    let tail = Tail::calibrate(&scores).expect("calibrate");
    let z = tail.threshold(Risk::default());
    let flagged: Vec<usize> = (0..scores.len()).filter(|&i| scores[i] > z).collect();
    for i in 0..5 {
        assert!(flagged.contains(&(4000 * i + 50)), "{flagged:?} (z {z})");
    }
    assert!(flagged.len() <= 5 + 8, "{flagged:?} (z {z})");
}

#[test]
fn robust_z_scores_flag_the_planted_rows() {
    // Heavy-tailed scores: robust z-scores (median, 1.4826 MAD) of Student-t(3) noise, 20,000
    // rows, with five rows at 40 MADs. The five are flagged; chance flags are expected
    // q n = 2 at risk 1e-4, and at most eight are allowed (P(Poisson(2) > 8) < 3e-4).
    let mut values = sample(StudentT::new(3.0).expect("t"), 20_000, 8);
    let planted = [10, 5000, 9000, 13_000, 19_999];
    let sorted = crate::numeric::sorted_finite(&values);
    let median = crate::numeric::percentile_sorted(&sorted, 50.0);
    let mut deviations: Vec<f64> = values.iter().map(|v| (v - median).abs()).collect();
    deviations.sort_by(f64::total_cmp);
    let mad = 1.4826 * crate::numeric::percentile_sorted(&deviations, 50.0);
    for &i in &planted {
        values[i] = median + 40.0 * mad;
    }
    let z_scores: Vec<f64> = values.iter().map(|v| (v - median) / mad).collect();
    let tail = Tail::calibrate(&z_scores).expect("calibrate");
    let z = tail.threshold(Risk::default());
    let flagged: Vec<usize> = (0..z_scores.len()).filter(|&i| z_scores[i] > z).collect();
    for i in planted {
        assert!(flagged.contains(&i), "{flagged:?} (z {z})");
    }
    assert!(flagged.len() <= planted.len() + 8, "{flagged:?} (z {z})");
}

#[test]
fn smaller_risk_is_higher_threshold() {
    let scores = sample(Exp::new(1.0).expect("exp"), 5000, 9);
    let tail = Tail::calibrate(&scores).expect("calibrate");
    let zs: Vec<f64> = [1e-2, 1e-3, 1e-4, 1e-5, 1e-6]
        .iter()
        .map(|&q| tail.threshold(Risk::new(q).expect("risk")))
        .collect();
    assert!(zs.windows(2).all(|w| w[0] < w[1]), "{zs:?}");
    assert!(Risk::new(0.0).is_err() && Risk::new(0.02).is_err() && Risk::new(f64::NAN).is_err());
    // Written as people read them: the default as it is, smaller ones with an exponent.
    let shown = |r: f64| Risk::new(r).expect("risk").to_string();
    assert_eq!(shown(1e-4), "0.0001");
    assert_eq!(shown(0.01), "0.01");
    assert_eq!(shown(2.5e-5), "2.5e-5");
    assert_eq!(shown(1e-300), "1e-300");
    assert_eq!("1e-4".parse::<Risk>(), Ok(Risk::DEFAULT));
    assert!("often".parse::<Risk>().is_err());
}

/// 2,000 calibration scores and 8,000 more from Exp(1), with five attacks at 1,000.
fn stream_data() -> (Vec<f64>, Vec<f64>, [usize; 5]) {
    let all = sample(Exp::new(1.0).expect("exp"), 10_000, 10);
    let (calibration, rest) = all.split_at(2000);
    let mut rest = rest.to_vec();
    let attacks = [100, 2000, 4000, 6000, 7999];
    for &i in &attacks {
        rest[i] = 1000.0;
    }
    (calibration.to_vec(), rest, attacks)
}

#[test]
fn streaming_equals_batch_over_the_scores_it_learned_from() {
    // SPOT keeps t from its calibration; after the stream, its tail must be exactly the batch
    // tail above that t over the calibration and every non-alarm score.
    let (calibration, rest, attacks) = stream_data();
    let mut stream =
        StreamingThreshold::calibrate(&calibration, 0, Risk::default()).expect("calibrate");
    let t = stream.tail().initial();
    let verdicts: Vec<Verdict> = rest.iter().map(|&s| stream.update(s)).collect();
    for &i in &attacks {
        assert_eq!(verdicts[i], Verdict::Alarm, "attack at {i}");
    }
    // The calibration's excesses, then the stream's.
    let mut excesses = Tail::calibrate(&calibration)
        .expect("calibrate")
        .excesses()
        .to_vec();
    let learned: Vec<f64> = rest
        .iter()
        .zip(&verdicts)
        .filter_map(|(s, v)| (*v != Verdict::Alarm).then_some(*s))
        .collect();
    excesses.extend(learned.iter().filter(|&&s| s > t).map(|s| s - t));
    let batch = Tail::with_initial(t, excesses, calibration.len() + learned.len());
    assert_eq!(stream.tail().excesses(), batch.excesses());
    assert_eq!(stream.tail().observations(), batch.observations());
    assert_eq!(stream.tail(), &batch);
    assert_eq!(stream.threshold(), batch.threshold(Risk::default()));
    // Every verdict agrees with the threshold before the score.
    let mut again =
        StreamingThreshold::calibrate(&calibration, 0, Risk::default()).expect("calibrate");
    for (&s, &v) in rest.iter().zip(&verdicts) {
        let expected = if s > again.threshold() {
            Verdict::Alarm
        } else if s > t {
            Verdict::Excess
        } else {
            Verdict::Normal
        };
        assert_eq!(again.update(s), expected);
        assert_eq!(v, expected);
    }
    let alarms = verdicts.iter().filter(|&&v| v == Verdict::Alarm).count();
    // 8,000 normal scores at risk 1e-4: 0.8 chance alarms expected; at most four allowed.
    assert!(alarms <= attacks.len() + 4, "{alarms} alarms");
}

#[test]
fn a_saved_state_continues_where_it_stopped() {
    let (calibration, rest, _) = stream_data();
    let mut straight =
        StreamingThreshold::calibrate(&calibration, 10, Risk::default()).expect("calibrate");
    let (first, second) = rest.split_at(3000);
    for &s in first {
        straight.update(s);
    }
    let saved = serde_json::to_string(&straight).expect("save");
    let mut restored: StreamingThreshold = serde_json::from_str(&saved).expect("restore");
    assert_eq!(restored, straight);
    for &s in second {
        assert_eq!(restored.update(s), straight.update(s));
    }
    assert_eq!(restored, straight);
    // A NaN or minus infinity changes nothing; plus infinity is an alarm, not learned from.
    let before = straight.clone();
    assert_eq!(straight.update(f64::NAN), Verdict::Ignored);
    assert_eq!(straight.update(f64::NEG_INFINITY), Verdict::Ignored);
    assert_eq!(straight.update(f64::INFINITY), Verdict::Alarm);
    assert_eq!(straight, before);
}

#[test]
fn dspot_follows_a_drift_that_spot_alarms_on() {
    // A level rising by 10 over 10,000 scores after 5,000 flat ones, with N(0, 1) noise, and a
    // spike of +8 on top of the drift at 12,000. SPOT calibrated on the first 5,000 alarms on
    // more than 4,000 of the 10,000 drifting scores; DSPOT (depth 50) alarms on the spike and on few others (q n =
    // 1 expected by chance; at most six allowed).
    let noise = sample(Normal::new(0.0, 1.0).expect("normal"), 15_000, 11);
    let mut scores: Vec<f64> = noise
        .iter()
        .enumerate()
        .map(|(i, e)| 10.0 * i.saturating_sub(5000) as f64 / 10_000.0 + e)
        .collect();
    scores[12_000] += 8.0;
    let alarms = |depth: usize| {
        let mut s =
            StreamingThreshold::calibrate(&scores[..5000], depth, Risk::default()).expect("cal");
        (5000..scores.len())
            .filter(|&i| s.update(scores[i]) == Verdict::Alarm)
            .collect::<Vec<_>>()
    };
    let spot = alarms(0);
    let dspot = alarms(50);
    assert!(spot.len() > 4000, "SPOT: {} alarms", spot.len());
    assert!(dspot.contains(&12_000), "{dspot:?}");
    assert!(dspot.len() <= 7, "{dspot:?}");
}

#[test]
fn calibration_needs_enough_scores() {
    assert!(matches!(
        StreamingThreshold::calibrate(&[1.0; 120], 50, Risk::default()),
        Err(SpotError::TooFewScores {
            scores: 120,
            needed: 150
        })
    ));
    assert!(matches!(
        StreamingThreshold::calibrate(&[1.0, f64::INFINITY], 0, Risk::default()),
        Err(SpotError::NotFinite { index: 1, .. })
    ));
}

#[test]
fn one_huge_score_does_not_bend_the_tail() {
    // Exp(1) scores and one at 1e4: uncensored, the excesses' MLE takes a heavy tail (the
    // threshold at 1e-4 would be far above -ln(1e-4) = 9.2); with the largest 10% censored the
    // shape stays near 0 and the threshold near the truth (same tolerance as above).
    let mut scores = sample(Exp::new(1.0).expect("exp"), N, 12);
    scores[777] = 1e4;
    let tail = Tail::calibrate(&scores).expect("calibrate");
    let plain = fit_grimshaw(tail.excesses()).expect("fit").gpd;
    let fit = tail.gpd().expect("fit");
    assert!(plain.gamma > 0.1, "{plain:?}");
    let n_t = tail.excesses().len();
    assert!(fit.gamma.abs() < 4.0 / (n_t as f64).sqrt(), "{fit:?}");
    let z = tail.threshold(Risk::default());
    let tol = 4.0 * threshold_sd(0.0, 1.0, 1e-4, N, n_t, quantile_sd(0.98, N, 0.02));
    assert!((z - 1e4f64.ln()).abs() < tol, "{z} ({tol})");
    assert!(scores[777] > z);
}
