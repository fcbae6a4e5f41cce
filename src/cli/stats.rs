//! `trafficlens stats`: load a table and print its exploration statistics.

use std::io::Write;

use super::args::StatsArgs;
use super::format::{sig, sparkline, table};
use super::CliError;
use crate::data::stats::{describe, DatasetStats};
use crate::data::{load, Dataset, FileKind};

/// Runs the subcommand.
pub fn run(args: &StatsArgs) -> Result<(), CliError> {
    super::source_flags::check(&args.input, &args.given, &args.load.options())?;
    let ds = load(&args.input, &args.load.options())?;
    let stats = describe(&ds);
    // Column names, paths and notes carry data: escaped before they reach the terminal. The JSON
    // is streamed (a wide table's report is large), escaped on the way with JSON escapes.
    let mut out = std::io::BufWriter::new(crate::terminal::TerminalWriter::json(
        std::io::stdout().lock(),
    ));
    if args.json {
        write_json(&mut out, &ds, &stats).map_err(CliError::stdout)?;
    } else {
        out.write_all(crate::terminal::escape(&render(&ds, &stats)).as_bytes())
            .map_err(CliError::stdout)?;
    }
    out.flush().map_err(CliError::stdout)
}

/// Describes the file kind in words.
fn kind_text(kind: FileKind) -> String {
    match kind {
        FileKind::Parquet => "Parquet".into(),
        FileKind::AccessLog { gzip: false } => "access log".into(),
        FileKind::AccessLog { gzip: true } => "access log (gzip)".into(),
        FileKind::ZeekConn { gzip, writer } => {
            format!("{}{}", writer.name(), if gzip { " (gzip)" } else { "" })
        }
        FileKind::Capture { gzip, format } => format!(
            "packet capture, {}{}",
            format.name(),
            if gzip { " (gzip)" } else { "" }
        ),
        FileKind::FlowRecords { gzip, format } => {
            format!("{}{}", format.name(), if gzip { " (gzip)" } else { "" })
        }
        FileKind::Csv {
            delimiter,
            bom_len,
            decimal_comma,
        } => {
            let d = match delimiter {
                b',' => "comma",
                b';' => "semicolon",
                b'\t' => "tab",
                b'|' => "pipe",
                _ => "other",
            };
            let mut s = format!("CSV, {d}-separated");
            if bom_len > 0 {
                s.push_str(", UTF-8 with BOM");
            }
            if decimal_comma {
                s.push_str(", decimal comma");
            }
            s
        }
    }
}

/// The human-readable report.
pub fn render(ds: &Dataset, stats: &DatasetStats) -> String {
    let mut s = String::new();
    let kv = |s: &mut String, k: &str, v: String| s.push_str(&format!("{k:<10} {v}\n"));
    kv(
        &mut s,
        "File",
        format!("{} ({})", ds.path.display(), kind_text(ds.kind)),
    );
    kv(
        &mut s,
        "Rows",
        format!(
            "{} ({} analysed, {} left out for missing values)",
            ds.input_rows,
            ds.n_rows(),
            ds.missing.rows_left_out
        ),
    );
    let time_part = match (&ds.time, &ds.row_labels) {
        (Some(t), _) => format!("time `{}`", t.name),
        (None, Some(l)) => format!("`{}` naming each row", l.name),
        (None, None) => "no time column".to_string(),
    };
    kv(
        &mut s,
        "Columns",
        format!(
            "{}: {} ({}) + {time_part}",
            ds.original_header().len(),
            match ds.n_features() {
                1 => "1 feature".to_string(),
                n => format!("{n} features"),
            },
            ds.feature_names.join(", ")
        ),
    );
    kv(&mut s, "Layout", format!("{:?}", ds.layout).to_lowercase());
    if let (Some(t), Some(ts)) = (&ds.time, &stats.time) {
        kv(
            &mut s,
            "Time",
            format!(
                "{} ({}), interval {} ({:.0}% of steps){}",
                t.zone.format_span(ts.start, ts.end),
                t.format,
                ts.interval_name(),
                ts.regularity * 100.0,
                if ts.sorted {
                    ""
                } else {
                    ", rows not in time order"
                }
            ),
        );
    }
    kv(
        &mut s,
        "Missing",
        if ds.missing.total_cells() == 0 && ds.missing.time_missing == 0 {
            "none".into()
        } else {
            let per: Vec<String> = ds
                .feature_names
                .iter()
                .zip(&ds.missing.per_column)
                .filter(|(_, &n)| n > 0)
                .map(|(name, n)| format!("{name}: {n}"))
                .collect();
            format!(
                "{} cells ({}){}{}",
                ds.missing.total_cells(),
                per.join(", "),
                if ds.missing.time_missing > 0 {
                    format!(", {} rows without a time", ds.missing.time_missing)
                } else {
                    String::new()
                },
                if ds.missing.cells_filled > 0 {
                    format!(", {} filled with the median", ds.missing.cells_filled)
                } else {
                    String::new()
                }
            )
        },
    );
    if let Some(table) = &ds.log {
        kv(&mut s, "Log", table.log.summary());
        kv(
            &mut s,
            "View",
            match table.bucket {
                Some(b) => format!(
                    "traffic over time, {b} buckets (--view clients for one row per client)"
                ),
                None => "one row per client (--view traffic for time buckets)".into(),
            },
        );
    }
    kv(
        &mut s,
        "Loaded in",
        format!("{:.1} ms", ds.load_time.as_secs_f64() * 1000.0),
    );
    for w in ds.warnings.iter().chain(&stats.notes) {
        s.push_str(&format!("note: {w}\n"));
    }

    s.push('\n');
    let header: Vec<String> = [
        "feature", "count", "missing", "mean", "std", "min", "1%", "25%", "50%", "75%", "99%",
        "max",
    ]
    .iter()
    .map(|h| h.to_string())
    .collect();
    let rows: Vec<Vec<String>> = stats
        .features
        .iter()
        .map(|f| {
            let mut row = vec![f.name.clone(), f.count.to_string(), f.missing.to_string()];
            row.extend(
                [
                    f.mean, f.std, f.min, f.p01, f.p25, f.median, f.p75, f.p99, f.max,
                ]
                .map(|v| sig(v, 6)),
            );
            row
        })
        .collect();
    s.push_str(&table(&header, &rows, 1));

    s.push_str("\nRobust centre and spread (max in MADs above the median), and histogram:\n");
    let header: Vec<String> = ["feature", "median", "MAD", "max MADs", "histogram", "bins"]
        .iter()
        .map(|h| h.to_string())
        .collect();
    let rows: Vec<Vec<String>> = stats
        .features
        .iter()
        .map(|f| {
            vec![
                f.name.clone(),
                sig(f.median, 6),
                sig(f.mad, 6),
                sig(f.mads_from_median(f.max), 3),
                sparkline(&f.histogram.counts, 32),
                f.histogram.counts.len().to_string(),
            ]
        })
        .collect();
    s.push_str(&table(&header, &rows, 1));

    if stats.features.len() > 1 && stats.features.len() <= 40 {
        s.push_str("\nCorrelation (Pearson):\n");
        let mut header = vec![String::new()];
        header.extend(stats.features.iter().map(|f| f.name.clone()));
        let rows: Vec<Vec<String>> = stats
            .features
            .iter()
            .zip(&stats.correlation)
            .map(|(f, r)| {
                let mut row = vec![f.name.clone()];
                row.extend(r.iter().map(|v| {
                    if v.is_nan() {
                        "-".into()
                    } else {
                        format!("{v:.2}")
                    }
                }));
                row
            })
            .collect();
        s.push_str(&table(&header, &rows, 1));
    }
    s
}

/// The JSON report's top level, keys in alphabetical order.
#[derive(serde::Serialize)]
struct JsonReport<'a> {
    features: &'a [String],
    file: String,
    input_rows: usize,
    layout: String,
    missing: &'a crate::data::MissingReport,
    rows: usize,
    statistics: &'a DatasetStats,
    time: Option<JsonTime<'a>>,
    warnings: &'a [String],
}

/// The time part of the JSON report, keys in alphabetical order.
#[derive(serde::Serialize)]
struct JsonTime<'a> {
    column: &'a str,
    end: String,
    format: String,
    interval: String,
    interval_ms: Option<i64>,
    regularity: f64,
    sorted: bool,
    start: String,
}

/// Writes the JSON report (pretty, with a final line break) straight to `out`: it is never held
/// whole, nor as a tree of values, so a table of a million columns does not need gigabytes.
pub fn write_json(mut out: impl Write, ds: &Dataset, stats: &DatasetStats) -> std::io::Result<()> {
    let report = JsonReport {
        features: &ds.feature_names,
        file: ds.path.display().to_string(),
        input_rows: ds.input_rows,
        layout: format!("{:?}", ds.layout).to_lowercase(),
        missing: &ds.missing,
        rows: ds.n_rows(),
        statistics: stats,
        time: ds
            .time
            .as_ref()
            .zip(stats.time.as_ref())
            .map(|(t, ts)| JsonTime {
                column: &t.name,
                end: t.show(ts.end),
                format: t.format.to_string(),
                interval: ts.interval_name(),
                interval_ms: ts.interval_ms,
                regularity: ts.regularity,
                sorted: ts.sorted,
                start: t.show(ts.start),
            }),
        warnings: &ds.warnings,
    };
    serde_json::to_writer_pretty(&mut out, &report)?;
    out.write_all(b"\n")
}
