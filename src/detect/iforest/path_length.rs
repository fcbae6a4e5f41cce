//! The average path length of an unsuccessful search in a binary search tree, `c(n)`, exactly as
//! scikit-learn's `_average_path_length` computes it.

/// Euler's constant, as numpy's `np.euler_gamma`.
pub const EULER_GAMMA: f64 = 0.577_215_664_901_532_9;

/// `c(n) = 2 (ln(n - 1) + γ) - 2 (n - 1) / n`, with `c(n) = 0` for `n <= 1` and `c(2) = 1`.
pub fn average_path_length(n: f64) -> f64 {
    if n <= 1.0 {
        0.0
    } else if n == 2.0 {
        1.0
    } else {
        // `libm`'s `log`, the same code on every processor (see `to_score` in `mod.rs`).
        2.0 * (libm::log(n - 1.0) + EULER_GAMMA) - 2.0 * (n - 1.0) / n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Printed by sklearn.ensemble._iforest._average_path_length([1, 2, 3, 4, 10, 256, 1000, 1e6])
    // (repr of each float64).
    #[test]
    fn matches_sklearn() {
        let cases = [
            (1.0, 0.0),
            (2.0, 1.0),
            (3.0, 1.207_392_357_589_623),
            (4.0, 1.851_655_907_139_285_5),
            (10.0, 3.748_880_484_475_505),
            (256.0, 10.244_770_920_119_917),
            (1000.0, 12.969_940_887_100_174),
            (1e6, 26.785_452_445_730_613),
        ];
        for (n, expected) in cases {
            let got = average_path_length(n);
            assert!(
                (got - expected).abs() <= 1e-14 * expected.max(1.0),
                "c({n}) = {got}, sklearn {expected}"
            );
        }
        assert_eq!(average_path_length(0.0), 0.0);
    }
}
