//! A setting's number in a run's description, as the user reads it.

/// `v` as given (`0.05`, `1`, `256`), with an exponent below 1e-4 and from 1e15 up (`1e-9`,
/// `1e300`): Rust's `{}` of an `f64` never uses one, and would write 1e-300 as 300 zeros. What
/// is written parses back to `v`.
pub fn setting_text(v: f64) -> String {
    if wants_exponent(v) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// Whether `v` reads better with an exponent: finite, not 0, and below 1e-4 or from 1e15 up in
/// size, where plain digits would run on or round to 0.
pub fn wants_exponent(v: f64) -> bool {
    v != 0.0 && v.is_finite() && !(1e-4..1e15).contains(&v.abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_read_as_given_and_parse_back() {
        for (v, text) in [
            (0.05, "0.05"),
            (0.0001, "0.0001"),
            (1.0, "1"),
            (0.0, "0"),
            (2.5e-5, "2.5e-5"),
            (1e-300, "1e-300"),
            (1e308, "1e308"),
            (-3e20, "-3e20"),
            (123_456.5, "123456.5"),
        ] {
            assert_eq!(setting_text(v), text);
            assert_eq!(text.parse::<f64>(), Ok(v));
        }
    }
}
