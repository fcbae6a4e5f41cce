//! Numbers as text, fast and exactly as Rust's `Display` writes them (`{}`: the shortest digits
//! that read back to the same value, never an exponent), so that files written with these
//! functions are byte-identical to files written with `to_string()`. The digits come from
//! `zmij` (Zverovich's Żmij, after Giulietti's Schubfach: the shortest digits that read back,
//! the closest of them to the value, as Ryū and the standard library's Grisu/Dragon find them;
//! dtolnay's port, faster than `ryu` on scores here); only the placement of the decimal point
//! is done here. (Integers come from `itoa`, which already writes them as `Display` does.)

/// Appends `v` to `out` exactly as `format!("{v}")` would.
pub fn push_f64(out: &mut Vec<u8>, v: f64) {
    let mut buffer = zmij::Buffer::new();
    match digits(v, &mut buffer) {
        Some(text) => match as_display(v, text) {
            Some(plain) => out.extend_from_slice(plain),
            // zmij writes at most 24 bytes; the 40-digit room in `push_plain` always suffices.
            None => push_plain(out, text),
        },
        None => out.extend_from_slice(v.to_string().as_bytes()),
    }
}

/// zmij's text of `v`, in `buffer`; `None` for NaN, inf, -inf and values where two shortest
/// spellings may be equally close (zmij picks the even last digit, the standard library does
/// not always): rare for scores, and spelled by the standard library.
#[inline]
pub(super) fn digits(v: f64, buffer: &mut zmij::Buffer) -> Option<&[u8]> {
    if !v.is_finite() || may_tie(v) {
        return None;
    }
    Some(buffer.format_finite(v).as_bytes())
}

/// zmij's `text` of `v` (from [`digits`]) as `Display` writes it, when it has no exponent (the
/// usual case: the same shortest digits, the point where `Display` puts it; a whole number's
/// `.0` left out); `None` when it has one, and the digits must be placed ([`push_f64`] does).
#[inline]
pub(super) fn as_display(v: f64, text: &[u8]) -> Option<&[u8]> {
    // zmij writes an exponent only outside 1e-5 <= |digits| < 1e16: inside a narrower range no
    // look at the text is needed.
    if !(1e-4..1e15).contains(&v.abs()) && has_exponent(text) {
        return None;
    }
    Some(text.strip_suffix(b".0").unwrap_or(text))
}

/// Whether zmij's text has an exponent: its `e` is followed by one to three digits and maybe a
/// sign, so it is among the last five bytes (looking only there is much cheaper than a scan of
/// the 17 digits before it; the tests check every exponent against `Display`).
#[inline]
fn has_exponent(text: &[u8]) -> bool {
    text.iter().rev().skip(1).take(4).any(|&b| b == b'e')
}

/// True when `v`'s exact decimal value may lie halfway between two shortest spellings: only
/// possible when it has at most 18 significant digits (the shortest spelling has at most 17).
/// `v = m 2^e` with `m` odd; for `e < 0` its digits are those of `m 5^-e` (odd, so without
/// trailing zeros); whole numbers (`e >= 0`) are all sent to the standard library.
fn may_tie(v: f64) -> bool {
    let bits = v.abs().to_bits();
    let biased = (bits >> 52) as i32;
    let fraction = bits & ((1u64 << 52) - 1);
    let (mut m, mut e) = if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1u64 << 52), biased - 1075)
    };
    if m == 0 {
        return false;
    }
    let zeros = m.trailing_zeros();
    m >>= zeros;
    e += zeros as i32;
    if e >= 0 {
        return true;
    }
    // 5^27 > 10^18: no odd m makes m 5^k short enough beyond that.
    let k = (-e) as u32;
    k <= 26 && u128::from(m) * 5u128.pow(k) < 10u128.pow(18)
}

/// Rewrites zmij's text (`-1.25`, `1.0`, `1e21`, `1.2e-7`, `1e-07`) without an exponent and
/// without a trailing `.0`, as `Display` writes it (`-1.25`, `1`, `1000000000000000000000`,
/// `0.00000012`).
fn push_plain(out: &mut Vec<u8>, text: &[u8]) {
    let (negative, text) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let (mantissa, exponent) = match text.iter().position(|&b| b == b'e') {
        Some(i) => (&text[..i], parse_exponent(&text[i + 1..])),
        None => (text, 0),
    };
    // The value is `digits x 10^scale`, digits without leading or trailing zeros.
    let point = mantissa
        .iter()
        .position(|&b| b == b'.')
        .unwrap_or(mantissa.len());
    let mut digits = [0u8; 40];
    let mut len = 0;
    for &b in mantissa
        .iter()
        .filter(|b| b.is_ascii_digit())
        .take(digits.len())
    {
        if len > 0 || b != b'0' {
            digits[len] = b;
            len += 1;
        }
    }
    let fraction_digits = mantissa.len() - point - usize::from(point < mantissa.len());
    let mut scale = exponent - fraction_digits as i32;
    while len > 0 && digits[len - 1] == b'0' {
        len -= 1;
        scale += 1;
    }
    if negative {
        out.push(b'-');
    }
    if len == 0 {
        out.push(b'0');
        return;
    }
    let digits = &digits[..len];
    if scale >= 0 {
        out.extend_from_slice(digits);
        out.resize(out.len() + scale as usize, b'0');
    } else {
        let after = (-scale) as usize;
        if after < len {
            out.extend_from_slice(&digits[..len - after]);
            out.push(b'.');
            out.extend_from_slice(&digits[len - after..]);
        } else {
            out.extend_from_slice(b"0.");
            out.resize(out.len() + (after - len), b'0');
            out.extend_from_slice(digits);
        }
    }
}

/// The exponent after the `e` (`-7`, `21`, `+21`, `-07`).
fn parse_exponent(text: &[u8]) -> i32 {
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, text),
    };
    let value = digits
        .iter()
        .fold(0i32, |acc, &b| acc * 10 + i32::from(b - b'0'));
    if negative {
        -value
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn text(v: f64) -> String {
        let mut out = Vec::new();
        push_f64(&mut out, v);
        String::from_utf8(out).expect("ASCII")
    }

    #[test]
    fn special_and_edge_values_are_written_as_display_writes_them() {
        for v in [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.1,
            0.5,
            1e-7,
            1.2e-7,
            1e-5,
            1e15,
            1e16,
            1e17,
            1e21,
            1e22,
            123456.0,
            1234567.125,
            f64::MIN_POSITIVE,
            5e-324,
            f64::MAX,
            f64::MIN,
            f64::EPSILON,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            13447241084.022072,
            0.456922742562722,
            9.347510114493813e13,
            93475101144938.13,
            2.5,
            0.125,
            1e23,
            9007199254740993.0,
            // Either side of where zmij starts writing an exponent, and of the range where
            // its text is not looked at.
            1e-5,
            9.999999999999999e-6,
            f64::from_bits(1e-5f64.to_bits() + 1),
            f64::from_bits(1e-5f64.to_bits() - 1),
            f64::from_bits(1e16f64.to_bits() - 1),
            1.5e-5,
            1e-4,
            9.999999999999999e-5,
            0.00012345678901234567,
            999999999999999.9,
            1e15,
            1.0000000000000002e15,
            9999999999999998.0,
            1e16,
            1.2345678901234567e16,
            -1e-5,
            -9.999999999999999e-6,
            -1e16,
        ] {
            assert_eq!(text(v), v.to_string(), "{v:e}");
        }
    }

    #[test]
    fn random_values_are_written_as_display_writes_them() {
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(16);
        for _ in 0..200_000 {
            // Any bit pattern (every exponent), and scores' usual range.
            let any = f64::from_bits(rng.random::<u64>());
            let score: f64 = rng.random();
            let wide = score * 10f64.powi(rng.random_range(-30..30));
            // Few significant bits: where two shortest spellings can tie.
            let short =
                (rng.random_range(1u64..1 << 20) as f64) * 2f64.powi(rng.random_range(-40..40));
            for v in [any, score, wide, short] {
                assert_eq!(text(v), v.to_string(), "{v:e}");
            }
        }
    }
}
