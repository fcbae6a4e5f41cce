//! Text formatting for terminal output: significant-digit numbers, aligned tables, sparklines.

use crate::terminal::escape;

/// Formats a number with `digits` significant digits, without exponent for everyday
/// magnitudes; `-` for NaN.
pub fn sig(v: f64, digits: usize) -> String {
    if v.is_nan() {
        return "-".into();
    }
    if v == 0.0 {
        return "0".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let mag = v.abs().log10().floor() as i32;
    if !(-4..12).contains(&mag) {
        return format!("{:.*e}", digits.saturating_sub(1), v);
    }
    let decimals = (digits as i32 - 1 - mag).max(0) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Renders rows under a header as an aligned table; the first `left` columns are left-aligned,
/// the rest right-aligned. Cells are escaped for the terminal (before aligning, so escapes
/// keep the columns straight).
pub fn table(header: &[String], rows: &[Vec<String>], left: usize) -> String {
    let escaped = |cells: &[String]| -> Vec<String> {
        cells
            .iter()
            .map(|c| escape(c).replace('\n', "\\n"))
            .collect()
    };
    let header = escaped(header);
    let rows: Vec<Vec<String>> = rows.iter().map(|r| escaped(r)).collect();
    let cols = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &[String]| {
        let mut parts = Vec::with_capacity(cols);
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            if i < left {
                parts.push(format!("{cell:<w$}"));
            } else {
                parts.push(format!("{cell:>w$}"));
            }
        }
        out.push_str(parts.join("  ").trim_end());
        out.push('\n');
    };
    line(&header);
    for row in &rows {
        line(row);
    }
    out
}

/// A one-line bar chart of counts, resampled to at most `width` characters.
pub fn sparkline(counts: &[u64], width: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    if counts.is_empty() || width == 0 {
        return String::new();
    }
    let groups = counts.len().min(width);
    let sums: Vec<u64> = (0..groups)
        .map(|g| {
            let a = g * counts.len() / groups;
            let b = (g + 1) * counts.len() / groups;
            counts[a..b].iter().sum()
        })
        .collect();
    let max = sums.iter().copied().max().unwrap_or(0).max(1);
    sums.iter()
        .map(|&s| {
            if s == 0 {
                ' '
            } else {
                BARS[((s as f64 / max as f64) * 7.0).round() as usize]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn significant_digits() {
        assert_eq!(sig(184.203_512, 6), "184.204");
        assert_eq!(sig(0.000_123_456_7, 6), "0.000123457");
        assert_eq!(sig(1_234_567.0, 6), "1234567");
        assert_eq!(sig(2.5, 6), "2.5");
        assert_eq!(sig(f64::NAN, 6), "-");
        assert_eq!(sig(-3.0, 6), "-3");
        assert_eq!(sig(1e-9, 3), "1.00e-9");
    }

    #[test]
    fn tables_align() {
        let t = table(
            &["name".into(), "n".into()],
            &[vec!["a".into(), "10".into()]],
            1,
        );
        assert_eq!(t, "name   n\na     10\n");
    }

    #[test]
    fn table_cells_are_escaped_and_stay_aligned() {
        let t = table(
            &["name".into(), "n".into()],
            &[
                vec!["a\u{1b}[2J".into(), "1".into()],
                vec!["two\nlines".into(), "22".into()],
            ],
            1,
        );
        assert_eq!(t, "name         n\na\\x1b[2J     1\ntwo\\nlines  22\n");
    }

    #[test]
    fn sparklines() {
        assert_eq!(sparkline(&[0, 1, 2], 10), " ▅█");
        assert_eq!(sparkline(&[1, 1, 1, 1], 2).chars().count(), 2);
    }
}
