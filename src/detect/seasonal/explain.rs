//! A seasonal verdict in words: "Region 3 = 1,054 on Thu 14 Jan 2021 14:00, expected 210
//! (180-250): 14 MADs above".

use super::state::PointScore;
use crate::zone::Zone;

/// One feature's verdict at time `t_ms` in words, the time on the clock `zone` (the file's). The
/// time shows the hour when the interval is under a day; the numbers are rounded to what can be
/// read (thousands separated).
pub fn in_words(
    feature: &str,
    point: &PointScore,
    t_ms: i64,
    interval_ms: i64,
    zone: Zone,
) -> String {
    let when = when(t_ms, interval_ms, zone);
    let direction = if point.z >= 0.0 { "above" } else { "below" };
    let mads = point.z.abs();
    let mads = if mads >= 1e15 {
        number(mads)
    } else if mads >= 10.0 {
        format!("{mads:.0}")
    } else {
        format!("{mads:.1}")
    };
    let record = point
        .record
        .map_or(String::new(), |r| format!(", {}", r.in_words()));
    let warm = if point.warm_up {
        " (warm-up: little history yet)"
    } else {
        ""
    };
    // "180-250", or "-13.5 to 309" when a dash would read as a minus sign.
    let to = if point.lower < 0.0 { " to " } else { "-" };
    format!(
        "{feature} = {} on {when}, expected {} ({}{to}{}): {mads} MADs {direction}{record}{warm}",
        number(point.observed),
        number(point.expected),
        number(point.lower),
        number(point.upper),
    )
}

/// The time of a bucket on the clock `zone`, as finely as the interval needs: `Thu 14 Jan 2021`
/// for daily data, `Thu 14 Jan 2021 14:00` (or `Thu 14 Jan 2021 14:00 -07:00`), with seconds
/// under a minute and milliseconds under a second.
fn when(t_ms: i64, interval_ms: i64, zone: Zone) -> String {
    if interval_ms >= super::periods::DAY_MS {
        zone.format_with(t_ms, "%a %-d %b %Y", true)
    } else if interval_ms >= 60_000 {
        zone.format_with(t_ms, "%a %-d %b %Y %H:%M", false)
    } else if interval_ms >= 1000 {
        zone.format_with(t_ms, "%a %-d %b %Y %H:%M:%S", false)
    } else {
        zone.format_with(t_ms, "%a %-d %b %Y %H:%M:%S%.3f", false)
    }
}

/// A number as people read it: whole with thousands separators from 100 up, three significant
/// digits below; with an exponent (three significant digits) from 10^15 up and below 10^-4,
/// where the digits would run on or round to 0.
pub fn number(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    if crate::detect::setting_text::wants_exponent(v) {
        let s = format!("{v:.2e}");
        return match s.split_once('e') {
            Some((mantissa, exponent)) if mantissa.contains('.') => format!(
                "{}e{exponent}",
                mantissa.trim_end_matches('0').trim_end_matches('.')
            ),
            _ => s,
        };
    }
    if v.abs() >= 100.0 {
        let whole = format!("{:.0}", v.abs());
        let mut out = String::with_capacity(whole.len() + whole.len() / 3 + 1);
        if v < 0.0 && whole != "0" {
            out.push('-');
        }
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        out
    } else if v == 0.0 {
        "0".to_string()
    } else {
        let digits = (2 - v.abs().log10().floor() as i32).clamp(0, 6) as usize;
        let s = format!("{v:.digits$}");
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::seasonal::record::Record;

    #[test]
    fn the_verdict_reads_like_the_issue_asks() {
        let p = PointScore {
            observed: 1054.0,
            expected: 210.2,
            scale: 60.3,
            lower: 180.0,
            upper: 250.4,
            z: 14.0,
            warm_up: false,
            surprise: 0.0,
            record: None,
        };
        // 2021-01-14 14:00 UTC, a Thursday.
        let t = 1_610_632_800_000;
        assert_eq!(
            in_words("Region 3", &p, t, 3_600_000, Zone::Unstated),
            "Region 3 = 1,054 on Thu 14 Jan 2021 14:00, expected 210 (180-250): 14 MADs above"
        );
        let low = PointScore {
            observed: 3.0,
            z: -5.25,
            warm_up: true,
            ..p
        };
        assert_eq!(
            in_words("Region 3", &low, t, 86_400_000, Zone::Unstated),
            "Region 3 = 3 on Thu 14 Jan 2021, expected 210 (180-250): 5.2 MADs below \
             (warm-up: little history yet)"
        );
        // On the file's clock: 14:00 UTC is 07:00 at -07:00 and 19:30 at +05:30.
        assert!(in_words("Region 3", &p, t, 3_600_000, Zone::Offset(-420))
            .contains("on Thu 14 Jan 2021 07:00 -07:00, expected"),);
        assert!(in_words("R", &p, t, 3_600_000, Zone::Offset(330))
            .contains("on Thu 14 Jan 2021 19:30 +05:30, expected"));
        // Data every few seconds shows its seconds, and faster data its milliseconds.
        assert!(in_words("R", &p, t + 5_250, 5_000, Zone::Unstated)
            .contains("on Thu 14 Jan 2021 14:00:05, expected"));
        assert!(in_words("R", &p, t + 5_250, 250, Zone::Unstated)
            .contains("on Thu 14 Jan 2021 14:00:05.250, expected"));
        // Daily data on its own clock: the date at -07:00, with no label.
        assert!(in_words(
            "R",
            &p,
            t - 14 * 3_600_000 + 7 * 3_600_000,
            86_400_000,
            Zone::Offset(-420)
        )
        .contains("on Thu 14 Jan 2021, expected"));
        let huge = PointScore {
            observed: 1e308,
            z: 6.06e305,
            ..p
        };
        assert!(in_words("R", &huge, t, 3_600_000, Zone::Unstated).contains("R = 1e308 on"));
        assert!(
            in_words("R", &huge, t, 3_600_000, Zone::Unstated).ends_with(": 6.06e305 MADs above")
        );
        let wide = PointScore { lower: -13.54, ..p };
        assert!(in_words("R", &wide, t, 3_600_000, Zone::Unstated)
            .contains("expected 210 (-13.5 to 250)"));
        let high = PointScore {
            record: Some(Record::High),
            ..p
        };
        assert!(in_words("R", &high, t, 3_600_000, Zone::Unstated)
            .ends_with("14 MADs above, above every recent value"));
        let mean = PointScore {
            record: Some(Record::MeanLow),
            ..p
        };
        assert!(in_words("R", &mean, t, 3_600_000, Zone::Unstated)
            .ends_with("14 MADs above, its last 16 values' mean below every earlier one"));
    }

    #[test]
    fn numbers_are_readable() {
        assert_eq!(number(1_234_567.4), "1,234,567");
        assert_eq!(number(-1234.0), "-1,234");
        assert_eq!(number(12.345), "12.3");
        assert_eq!(number(0.012_34), "0.0123");
        assert_eq!(number(0.0), "0");
        assert_eq!(number(100.0), "100");
        assert_eq!(number(5.0), "5");
        // Beyond what digits can show well: an exponent, never a run of 300 digits or "-0".
        assert_eq!(number(999_999_999_999_999.0), "999,999,999,999,999");
        assert_eq!(number(1e308), "1e308");
        assert_eq!(number(-1.234_5e20), "-1.23e20");
        assert_eq!(number(-1e-298), "-1e-298");
        assert_eq!(number(0.000_012_34), "1.23e-5");
        assert_eq!(number(0.000_123_4), "0.000123");
        assert_eq!(number(-0.0), "0");
    }
}
