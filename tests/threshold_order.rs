//! The contamination slider's fast path (the rows sorted by score once at fit time; a new
//! threshold is a binary search, the flagged rows a prefix of that order) against the reference
//! computation (a fresh sort, numpy's percentile, `score_samples - offset < 0` row by row, the
//! flagged table's sort by score), on random scores with many ties, equal zeros of both signs,
//! infinities and NaNs.

use rand::{Rng, SeedableRng};
use trafficlens::detect::spot::{Risk, ThresholdMode};
use trafficlens::detect::{Contamination, Detection, DetectorConfig, TrainingScores};
use trafficlens::numeric::percentile_sorted;

/// `n` scores drawn from a few values, so that most of them tie; `odd` adds zeros of both signs,
/// infinities and NaNs of both signs.
fn scores(rng: &mut rand_pcg::Pcg64Mcg, n: usize, odd: bool) -> Vec<f64> {
    let distinct = rng.random_range(1..12);
    let pool: Vec<f64> = (0..distinct)
        .map(|_| -0.3 - rng.random::<f64>() * 0.5)
        .collect();
    (0..n)
        .map(|_| {
            if odd && rng.random::<f64>() < 0.1 {
                [
                    0.0,
                    -0.0,
                    f64::INFINITY,
                    f64::NEG_INFINITY,
                    f64::NAN,
                    -f64::NAN,
                ][rng.random_range(0..6)]
            } else {
                pool[rng.random_range(0..pool.len())]
            }
        })
        .collect()
}

/// The reference: the offset from a fresh sort, the flags row by row.
fn reference(s: &[f64], c: Contamination, auto_offset: f64) -> (f64, Vec<bool>) {
    let mut sorted = s.to_vec();
    sorted.sort_by(f64::total_cmp);
    let offset = match c {
        Contamination::Auto => auto_offset,
        Contamination::Fraction(f) => percentile_sorted(&sorted, 100.0 * f),
    };
    (offset, s.iter().map(|&v| v - offset < 0.0).collect())
}

/// The flagged table's order by score as it was computed every frame: the flagged rows in row
/// order, sorted (stably) by anomaly score ascending; descending is its reverse.
fn table_by_score(anomaly: &[f64], flags: &[bool]) -> Vec<usize> {
    let mut rows: Vec<usize> = (0..flags.len()).filter(|&r| flags[r]).collect();
    rows.sort_by(|&a, &b| anomaly[a].total_cmp(&anomaly[b]));
    rows.reverse();
    rows
}

const FRACTIONS: [f64; 9] = [0.001, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0 / 3.0, 0.4999, 0.5];

#[test]
fn the_prefix_of_the_score_order_is_the_reference_flagged_set() {
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(16);
    for case in 0..400 {
        let n = rng.random_range(1..600);
        let s = scores(&mut rng, n, case % 2 == 1);
        let t = TrainingScores::new(s.clone(), -0.5, Contamination::Auto);
        let mut cs: Vec<Contamination> = FRACTIONS.map(Contamination::Fraction).to_vec();
        cs.push(Contamination::Auto);
        cs.push(Contamination::Fraction(rng.random_range(0.0001..0.5)));
        for c in cs {
            let (offset, flags) = reference(&s, c, -0.5);
            assert_eq!(
                t.offset_for(c).to_bits(),
                offset.to_bits(),
                "case {case} {c}"
            );
            assert_eq!(t.flags(c), flags, "case {case} {c}");
            let fast = t.below(t.offset_for(c));
            assert_eq!(fast.len(), t.flagged_count(c));
            let mut set = fast.to_vec();
            set.sort_unstable();
            let expected: Vec<usize> = (0..n).filter(|&r| flags[r]).collect();
            assert_eq!(set, expected, "case {case} {c}: {s:?}");
            let anomaly: Vec<f64> = s.iter().map(|v| -v).collect();
            assert_eq!(fast, table_by_score(&anomaly, &flags), "case {case} {c}");
        }
    }
}

#[test]
fn a_detection_and_its_rethresholds_match_the_reference() {
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(1616);
    for case in 0..60 {
        let n = rng.random_range(1..3000);
        let s = scores(&mut rng, n, false);
        let t = TrainingScores::new(s.clone(), -0.5, Contamination::Auto);
        let base = DetectorConfig::default();
        let first = Detection::new(&t, &[], &base).expect("detection");
        let mut d = first.clone();
        for f in FRACTIONS {
            let c = Contamination::Fraction(f);
            let config = DetectorConfig {
                contamination: c,
                ..base
            };
            let next = d.rethresholded(&config).expect("rethreshold");
            // The same as a detection made afresh with these settings, sharing the scores.
            assert_eq!(next, Detection::new(&t, &[], &config).expect("fresh"));
            assert!(std::sync::Arc::ptr_eq(&next.scores, &first.scores));
            let (offset, flags) = reference(&s, c, -0.5);
            assert_eq!(
                next.threshold.to_bits(),
                (-offset).to_bits(),
                "case {case} {f}"
            );
            assert_eq!(next.flags, flags, "case {case} {f}");
            let expected: Vec<usize> = (0..n).filter(|&r| flags[r]).collect();
            assert_eq!(next.flagged_in_row_order(), expected.as_slice());
            assert_eq!(next.flagged_rows(), expected);
            assert_eq!(
                next.flagged_by_score(),
                table_by_score(&next.scores, &flags).as_slice()
            );
            let max = next.scores.iter().copied().fold(f64::MIN, f64::max);
            assert_eq!(next.max_score(), Some(max));
            d = next;
        }
        // The automatic threshold (enough rows for a tail): `score > z` row by row.
        if n >= 1000 {
            for q in [1e-2, 1e-3, 1e-4] {
                let config = DetectorConfig {
                    threshold: ThresholdMode::Auto,
                    risk: Risk::new(q).expect("risk"),
                    ..base
                };
                let Ok(auto) = d.rethresholded(&config) else {
                    continue;
                };
                let z = auto.threshold;
                let flags: Vec<bool> = auto.scores.iter().map(|&v| v > z).collect();
                assert_eq!(auto.flags, flags, "case {case} {q}");
                assert_eq!(
                    auto.flagged_by_score(),
                    table_by_score(&auto.scores, &flags).as_slice(),
                    "case {case} {q}"
                );
            }
        }
    }
}

#[test]
fn rows_flagged_by_a_rule_join_the_flagged_rows_in_the_table_order() {
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(17);
    for _ in 0..50 {
        let n = rng.random_range(5..300);
        let s = scores(&mut rng, n, false);
        let training = TrainingScores::new(s.clone(), -0.5, Contamination::Auto);
        let config = DetectorConfig {
            contamination: Contamination::Fraction(0.05),
            ..DetectorConfig::default()
        };
        let mut d = Detection::new(&training, &[], &config).expect("detection");
        let before = d.flags.clone();
        // A rule that flags every third row besides.
        let added = d.flag_more(|flags| {
            let mut added = 0;
            for f in flags.iter_mut().step_by(3) {
                added += usize::from(!*f);
                *f = true;
            }
            added
        });
        let want: Vec<bool> = (0..n).map(|r| before[r] || r % 3 == 0).collect();
        assert_eq!(d.flags, want);
        assert_eq!(
            added,
            want.iter().filter(|f| **f).count() - before.iter().filter(|f| **f).count()
        );
        assert_eq!(d.flagged_by_rule(), added);
        let rows: Vec<usize> = (0..n).filter(|&r| want[r]).collect();
        assert_eq!(d.flagged_in_row_order(), rows.as_slice());
        assert_eq!(
            d.flagged_by_score(),
            table_by_score(d.scores.as_ref(), &want).as_slice()
        );
        // A new threshold starts again from the threshold alone.
        let again = d.rethresholded(&config).expect("rethreshold");
        assert_eq!(again.flags, before);
        assert_eq!(again.flagged_by_rule(), 0);
        assert_eq!(
            again.flagged_by_score(),
            table_by_score(d.scores.as_ref(), &before).as_slice()
        );
    }
}
