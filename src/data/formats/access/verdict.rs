//! Explaining a ranked client in words: what its features say it is doing
//! ("412 distinct paths, 97% 404: looks like a scanner").

use super::clients::col;

/// A count with thousands separators: 12345 -> `12,345`.
pub fn count(x: f64) -> String {
    let n = x.round() as i64;
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

/// Bytes in B, kB, MB or GB (decimal units).
pub fn bytes(x: f64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB"];
    let mut v = x;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < units.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{} B", v.round())
    } else {
        format!("{v:.1} {}", units[u])
    }
}

fn pct(x: f64) -> String {
    format!("{:.0}%", 100.0 * x)
}

fn duration(s: f64) -> String {
    if s < 1.0 {
        format!("{:.0} ms", s * 1000.0)
    } else if s < 120.0 {
        format!("{s:.0} s")
    } else if s < 7200.0 {
        format!("{:.0} min", s / 60.0)
    } else {
        format!("{:.1} h", s / 3600.0)
    }
}

/// The feature's value in words.
fn feature_words(f: usize, v: f64) -> String {
    match f {
        col::REQUESTS => format!("{} requests", count(v)),
        col::PER_MINUTE => format!("{v:.1} requests per active minute"),
        col::PEAK => format!("peak {} requests in one minute", count(v)),
        col::PATHS => format!("{} distinct paths", count(v)),
        col::NOT_FOUND => format!("{} 404", pct(v)),
        col::REFUSED => format!("{} refused (401/403)", pct(v)),
        col::POST => format!("{} POST", pct(v)),
        col::LOGIN => format!("{} to login paths", pct(v)),
        col::BYTES => format!("{} sent", bytes(v)),
        col::BYTES_PER_REQUEST => format!("{} per request", bytes(v)),
        col::AGENTS => format!("{} user agents", count(v)),
        col::GAP => format!("median gap {}", duration(v)),
        _ => format!("{v}"),
    }
}

/// Explains one client: `row` holds its features in [`super::clients::FEATURES`] order,
/// `typical` the median of each feature over all clients, `top` the feature that sets it apart
/// most (from the detector's explainer).
pub fn explain(row: &[f64], typical: &[f64], top: usize) -> String {
    let v = |c: usize| row.get(c).copied().unwrap_or(0.0);
    let t = |c: usize| typical.get(c).copied().unwrap_or(0.0);
    let (req, paths, nf, refused, post, login, sent, peak) = (
        v(col::REQUESTS),
        v(col::PATHS),
        v(col::NOT_FOUND),
        v(col::REFUSED),
        v(col::POST),
        v(col::LOGIN),
        v(col::BYTES),
        v(col::PEAK),
    );
    if paths >= 50.0 && nf >= 0.5 {
        return format!(
            "{} distinct paths, {} 404: looks like a scanner",
            count(paths),
            pct(nf)
        );
    }
    if req >= 30.0 && login >= 0.5 && (post >= 0.5 || refused >= 0.3) {
        return format!(
            "{} requests to login paths, {} refused (401/403): looks like credential stuffing",
            count(req * login),
            pct(refused)
        );
    }
    if sent >= 20.0 * t(col::BYTES).max(1.0)
        && sent / req.max(1.0) >= 20.0 * (t(col::BYTES) / t(col::REQUESTS).max(1.0)).max(1.0)
    {
        return format!(
            "{} sent in {} requests ({} each): looks like data exfiltration",
            bytes(sent),
            count(req),
            bytes(sent / req.max(1.0))
        );
    }
    if paths >= 200.0 && paths >= 20.0 * t(col::PATHS).max(1.0) {
        let fast = v(col::PER_MINUTE) >= 10.0 || v(col::GAP) < 5.0;
        return format!(
            "{} requests to {} distinct paths, {}: looks like {}",
            count(req),
            count(paths),
            feature_words(col::GAP, v(col::GAP)),
            if fast {
                "an aggressive crawler"
            } else {
                "a steady crawler (a search engine?)"
            }
        );
    }
    if peak >= 10.0 * t(col::PEAK).max(1.0)
        || v(col::PER_MINUTE) >= 5.0 * t(col::PER_MINUTE).max(1.0)
    {
        return format!(
            "peak {} requests in one minute ({}): looks like a flood",
            count(peak),
            feature_words(col::PER_MINUTE, v(col::PER_MINUTE))
        );
    }
    if v(col::AGENTS) >= 2.0 && req >= 20.0 * t(col::REQUESTS).max(1.0) && nf < 0.2 && refused < 0.2
    {
        return format!(
            "{} requests from {} user agents: looks like a shared gateway (an office or carrier network)",
            count(req),
            count(v(col::AGENTS))
        );
    }
    // The detector's top feature, unless it is no different from the typical client; then the
    // feature furthest from typical.
    let feature = telling_feature(row.len(), top, |f| deviation(f, v(f), t(f)));
    format!(
        "{} (typical: {})",
        feature_words(feature, v(feature)),
        feature_words(feature, t(feature))
    )
}

/// How far a value is from the typical one: for shares, tenths of the whole; for counts,
/// amounts and times, natural-log ratios.
/// The feature a reason names: the detector's `top` feature, unless it is no different from the
/// typical row (a deviation below 0.5); then the one of the `features` furthest from typical.
pub fn telling_feature(features: usize, top: usize, deviation: impl Fn(usize) -> f64) -> usize {
    if deviation(top) >= 0.5 {
        top
    } else {
        (0..features)
            .max_by(|&a, &b| deviation(a).total_cmp(&deviation(b)))
            .unwrap_or(top)
    }
}

fn deviation(feature: usize, v: f64, t: f64) -> f64 {
    match feature {
        col::NOT_FOUND | col::REFUSED | col::POST | col::LOGIN => 10.0 * (v - t).abs(),
        _ => ((v.abs() + 1.0) / (t.abs() + 1.0)).ln().abs(),
    }
}

/// The median of every column (the "typical" client).
pub fn typical(columns: &[Vec<f64>]) -> Vec<f64> {
    columns
        .iter()
        .map(|c| crate::numeric::percentiles(c, &[50.0])[0])
        .collect()
}

/// Explanations in words for some rows of a client view (`None` for any other table): `top`
/// gives, per row, the index into `features` of the feature that sets the row apart most.
pub fn explain_rows(
    ds: &crate::data::Dataset,
    rows: &[usize],
    top: &[usize],
    features: &[String],
) -> Option<Vec<String>> {
    let table = ds.log.as_ref()?;
    if table.view != super::LogView::Clients || ds.columns.len() != super::clients::FEATURES.len() {
        return None;
    }
    let typical = typical(&ds.columns);
    Some(
        rows.iter()
            .zip(top)
            .map(|(&r, &t)| {
                let name = features.get(t).map_or("", String::as_str);
                let col = super::clients::FEATURES
                    .iter()
                    .position(|f| *f == name)
                    .unwrap_or(col::REQUESTS);
                explain(&ds.row(r), &typical, col)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(pairs: &[(usize, f64)]) -> Vec<f64> {
        let mut r = vec![
            10.0, 1.0, 1.0, 5.0, 0.0, 0.0, 0.0, 0.0, 1000.0, 100.0, 1.0, 30.0,
        ];
        for &(c, v) in pairs {
            r[c] = v;
        }
        r
    }

    #[test]
    fn attackers_are_named() {
        let typical = vec![
            20.0, 2.0, 4.0, 10.0, 0.0, 0.0, 0.0, 0.0, 200_000.0, 10_000.0, 1.0, 30.0,
        ];
        let scanner = row(&[
            (col::REQUESTS, 450.0),
            (col::PATHS, 412.0),
            (col::NOT_FOUND, 0.97),
        ]);
        assert_eq!(
            explain(&scanner, &typical, col::PATHS),
            "412 distinct paths, 97% 404: looks like a scanner"
        );
        let stuffing = row(&[
            (col::REQUESTS, 2000.0),
            (col::LOGIN, 1.0),
            (col::POST, 1.0),
            (col::REFUSED, 0.95),
        ]);
        assert!(explain(&stuffing, &typical, col::LOGIN).ends_with("credential stuffing"));
        let exfil = row(&[(col::REQUESTS, 300.0), (col::BYTES, 6e9)]);
        assert!(explain(&exfil, &typical, col::BYTES).contains("6.0 GB sent"));
        let crawler = row(&[
            (col::PER_MINUTE, 40.0),
            (col::GAP, 1.0),
            (col::REQUESTS, 9000.0),
            (col::PATHS, 8000.0),
            (col::NOT_FOUND, 0.02),
        ]);
        assert!(explain(&crawler, &typical, col::PATHS).ends_with("aggressive crawler"));
        let flood = row(&[(col::REQUESTS, 300.0), (col::PEAK, 120.0)]);
        assert!(explain(&flood, &typical, col::PEAK).ends_with("looks like a flood"));
        let other = row(&[(col::AGENTS, 9.0)]);
        assert_eq!(
            explain(&other, &typical, col::AGENTS),
            "9 user agents (typical: 1 user agents)"
        );
        assert_eq!(count(1234567.0), "1,234,567");
        assert_eq!(bytes(2_100_000_000.0), "2.1 GB");
    }
}
