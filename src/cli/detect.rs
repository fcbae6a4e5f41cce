//! `trafficlens detect`: load, score every row, write the scores and the flagged rows (or print a
//! summary).

use std::io::{IsTerminal, Write};
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};

use super::args::DetectArgs;
use super::format::{sig, table};
use super::CliError;
use crate::analysis::{AnalysisError, Session};
use crate::control::Control;
use crate::data::access::Malformed;
use crate::data::{load, missing_rows_note, Dataset};
use crate::detect::Detection;
use crate::export::{
    write_flagged_to, write_log_lines_to, write_scores_to, LineFilter, OutputPlan,
};
use crate::terminal::{eprintln, escape};

/// Rows listed in the summary.
const TOP_ROWS: usize = 20;

/// Runs the subcommand.
pub fn run(args: &DetectArgs) -> Result<(), CliError> {
    // Every output is checked against every input and every other output before any work:
    // the command writes all its files or none.
    let mut inputs = vec![args.input.as_path()];
    inputs.extend(args.load.regions.as_deref());
    let mut plan = OutputPlan::new(&inputs, args.force);
    let scores_out = args
        .scores_out
        .as_deref()
        .map(|p| plan.output(p))
        .transpose()?;
    let flagged_out = args
        .flagged_out
        .as_deref()
        .map(|p| plan.output(p))
        .transpose()?;
    let lines_out = args
        .flagged_out_lines
        .as_deref()
        .map(|p| plan.output(p))
        .transpose()?;
    // The client view of an access log is thresholded automatically unless told otherwise.
    let client_view = crate::data::opens_as_client_view(&args.input, &args.load.options());
    args.check_threshold_flags(client_view)
        .map_err(CliError::Usage)?;
    args.check_detector_flags().map_err(CliError::Usage)?;
    super::source_flags::check(&args.input, &args.given, &args.load.options())?;
    let config = args.detector_config(client_view);
    config
        .validate()
        .map_err(|e| CliError::Usage(e.to_string()))?;
    if args.load.no_time && args.algo == crate::detect::Algorithm::Seasonal {
        return Err(CliError::Usage(
            "--no-time reads the table without its time axis, which the seasonal baseline scores \
             along; drop --no-time, or choose another detector (--algo iforest or lof)"
                .into(),
        ));
    }

    let progress = Progress::new();
    progress.stage("loading");
    let features = args
        .features
        .as_deref()
        .map(parse_features)
        .transpose()?
        .unwrap_or_default();
    let mut options = args.load.options();
    // Columns named as written in the file: a table that has them all is read wide.
    options.features = features.clone();
    let mut timings = Timings::new(args.timings);
    let ds = load(&args.input, &options)?;
    timings.done("load");
    let keeps_records = ds.log.is_some() || ds.network.as_ref().is_some_and(|n| n.conn.is_some());
    if args.flagged_out_lines.is_some() && !keeps_records {
        return Err(CliError::Usage(format!(
            "--flagged-out-lines copies the records of an access log, a Zeek conn.log, a packet capture or flow records; {} was read as a table",
            ds.path.display()
        )));
    }
    let ds = Arc::new(ds);
    let mut config = config;
    if client_view && args.threshold.is_none() && ds.n_rows() < crate::detect::spot::MIN_SCORES {
        // Too few clients to learn a tail from: the default threshold of the detector.
        config.threshold = args.algo.default_threshold();
    }
    let mut session = Session::new(Arc::clone(&ds));
    progress.stage("scoring");
    let report = |done: f32| progress.set(done);
    let control = Control {
        cancel: None,
        progress: Some(&report),
    };
    let detection = session
        .score(&config, &features, control)
        .map_err(|e| analysis_error(&ds, e))?
        .detection;
    progress.finish();
    timings.done("score");

    if ds.log.is_none() && ds.network.is_none() {
        // What the reading of a table noted (a column not analysed, a day/month order decided
        // by a tie-break, a pivot), as `stats` prints it; rows left out are said below, with
        // what to do about them.
        let missing = missing_rows_note(ds.missing.rows_left_out, ds.input_rows);
        for w in ds.warnings.iter().filter(|w| **w != missing) {
            eprintln(format_args!(
                "trafficlens: note: {}: {w}",
                ds.path.display()
            ));
        }
    }
    for w in &detection.warnings {
        eprintln(format_args!("trafficlens: warning: {w}"));
    }
    if ds.missing.rows_left_out > 0 {
        eprintln(format_args!(
            "trafficlens: {} of {} rows have missing values and were left out (use --fill-missing to fill them with the median)",
            ds.missing.rows_left_out, ds.input_rows
        ));
    }
    if let Some(target) = &scores_out {
        write_scores_to(target, &ds, &detection.scores, &detection.flags)?;
        timings.done("write scores");
    }
    if let Some(target) = &flagged_out {
        let f = session.flagged().map_err(|e| analysis_error(&ds, e))?;
        timings.done("explain flagged");
        write_flagged_to(
            target,
            &ds,
            &f.rows,
            &f.scores,
            &f.top_features,
            f.words.as_deref(),
        )?;
        timings.done("write flagged");
    }
    if let (Some(target), Some(table)) = (&lines_out, &ds.log) {
        let rows = detection.flagged_rows();
        let filter = LineFilter::for_rows(&ds, &rows).unwrap_or(LineFilter::Clients(Vec::new()));
        let n = write_log_lines_to(target, &table.log, &filter)?;
        eprintln(format_args!(
            "trafficlens: wrote {} log lines of {} flagged {} to {}",
            n.written,
            rows.len(),
            if table.bucket.is_some() {
                "buckets"
            } else {
                "clients"
            },
            target.name()
        ));
        if n.too_long > 0 {
            eprintln(format_args!(
                "trafficlens: {}: skipped {} lines of {} MB or more (the reader skips them too)",
                ds.path.display(),
                n.too_long,
                crate::data::access::read::MAX_LINE >> 20
            ));
        }
    }
    if let Some(target) = &lines_out {
        let rows = detection.flagged_rows();
        if let Some((log, filter)) = crate::export::ConnFilter::for_rows(&ds, &rows) {
            let n = crate::export::write_host_records_to(target, &log, &filter)?;
            if let Some(note) = &n.note {
                eprintln(format_args!("trafficlens: warning: {note}"));
            }
            eprintln(format_args!(
                "trafficlens: wrote {} {} of {} flagged {} to {}",
                n.written,
                n.unit,
                rows.len(),
                if matches!(filter, crate::export::ConnFilter::Times(_)) {
                    "buckets"
                } else {
                    "hosts"
                },
                target.name()
            ));
        }
    }
    if let Some(table) = &ds.log {
        let log = &table.log;
        eprintln(format_args!("trafficlens: {}", log.summary()));
        if table.bucket.is_some() {
            if let Some(note) = log
                .bulk_span()
                .and_then(|s| s.note("traffic view", log.zone))
            {
                eprintln(format_args!("trafficlens: warning: {note}"));
            }
            // A first or last bucket that holds part of its time only (its low counts are
            // often what is flagged at the edges of a log).
            for w in ds
                .warnings
                .iter()
                .filter(|w| w.contains(crate::data::access::grid::PARTIAL_BUCKET))
            {
                eprintln(format_args!(
                    "trafficlens: note: {}: {w}",
                    ds.path.display()
                ));
            }
        }
        print_skipped(&ds.path, &log.samples, log.malformed, "line");
    }
    if let Some(network) = &ds.network {
        eprintln(format_args!("trafficlens: {}", network.summary));
        print_skipped(&ds.path, &network.samples, network.malformed, network.unit);
        if let (Some(conn), Some(_)) = (&network.conn, network.bucket) {
            let span = crate::data::access::span::bulk_span(&conn.millis());
            if let Some(note) = span
                .and_then(|s| s.note_of("traffic view", "connections", crate::zone::Zone::Unstated))
            {
                eprintln(format_args!("trafficlens: warning: {note}"));
            }
        }
        for note in &network.notes {
            eprintln(format_args!(
                "trafficlens: warning: {}: {note}",
                ds.path.display()
            ));
        }
    }
    if args.scores_out.is_none() && args.flagged_out.is_none() && args.flagged_out_lines.is_none() {
        // Only the rows printed are explained.
        let names = session.feature_names().to_vec();
        let top_rows = top_scoring(&detection, TOP_ROWS);
        let top = session
            .explain(&top_rows)
            .map_err(|e| analysis_error(&ds, e))?;
        let why = session.words(&top_rows, &top);
        timings.done("explain top rows");
        let text = summary(&ds, &names, &detection, &top_rows, &top, why.as_deref());
        let mut out = std::io::stdout().lock();
        out.write_all(escape(&text).as_bytes())
            .map_err(CliError::stdout)?;
        out.flush().map_err(CliError::stdout)?;
        timings.done("print");
    } else {
        let flagged = detection.flags.iter().filter(|f| **f).count();
        eprintln(format_args!(
            "trafficlens: {} of {} rows flagged by {}{}",
            flagged,
            ds.n_rows(),
            config.describe(),
            by_rule(&detection, "row")
        ));
    }
    timings.print();
    Ok(())
}

/// The wall time of each stage (`--timings`), printed to standard error at the end.
struct Timings {
    on: bool,
    started: std::time::Instant,
    last: std::time::Instant,
    stages: Vec<(&'static str, f64)>,
}

impl Timings {
    fn new(on: bool) -> Self {
        let now = std::time::Instant::now();
        Timings {
            on,
            started: now,
            last: now,
            stages: Vec::new(),
        }
    }

    /// Ends the stage `name` (it began where the last one ended).
    fn done(&mut self, name: &'static str) {
        let now = std::time::Instant::now();
        self.stages
            .push((name, now.duration_since(self.last).as_secs_f64()));
        self.last = now;
    }

    fn print(&self) {
        if !self.on {
            return;
        }
        let stages: Vec<String> = self
            .stages
            .iter()
            .map(|(name, s)| format!("{name} {s:.3} s"))
            .collect();
        eprintln(format_args!(
            "trafficlens: timings: {}; total {:.3} s",
            stages.join(", "),
            self.started.elapsed().as_secs_f64()
        ));
    }
}

/// The `n` rows with the highest scores, highest first (ties by row): a selection in linear
/// time, then a sort of the `n` (the order is total, so the rows are those a full sort gives).
fn top_scoring(d: &Detection, n: usize) -> Vec<usize> {
    let by_score = |a: &usize, b: &usize| d.scores[*b].total_cmp(&d.scores[*a]).then(a.cmp(b));
    let mut order: Vec<usize> = (0..d.scores.len()).collect();
    if n < order.len() {
        order.select_nth_unstable_by(n, by_score);
        order.truncate(n);
    }
    order.sort_unstable_by(by_score);
    order
}

/// The names in `--features`, in the order given.
fn parse_features(list: &str) -> Result<Vec<String>, CliError> {
    let names: Vec<String> = list
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .collect();
    if names.is_empty() {
        return Err(CliError::Usage("--features names no column".into()));
    }
    Ok(names)
}

/// The command-line error for a session error on `ds`.
fn analysis_error(ds: &Dataset, e: AnalysisError) -> CliError {
    match e {
        AnalysisError::NoSuchFeature(name) => {
            let pivot = ds.category_column.as_ref().map_or(String::new(), |c| {
                format!(
                    "; the table was read as long, pivoted on column `{c}`: to use its columns as written, add `--layout wide`"
                )
            });
            // A column of the file that reading left out says why (text, or empty).
            let why = ds
                .warnings
                .iter()
                .find(|w| w.starts_with(&format!("column `{name}` ")))
                .map_or(String::new(), |w| format!("; {w}"));
            CliError::Usage(format!(
                "--features: no numeric column named `{name}` in {} (features: {}){why}{pivot}",
                ds.path.display(),
                ds.feature_names.join(", ")
            ))
        }
        AnalysisError::FeatureTwice(name) => {
            CliError::Usage(format!("--features: `{name}` is named twice"))
        }
        AnalysisError::Fit(e) => CliError::detect_on(&ds.path, e),
        e @ AnalysisError::NotScored => CliError::Usage(e.to_string()),
    }
}

/// The readable report.
/// What the flood cohorts flagged besides the threshold, in words (empty when nothing).
fn by_rule(d: &Detection, noun: &str) -> String {
    match d.flagged_by_rule() {
        0 => String::new(),
        n => format!(", and {n} more as members of a flood one flagged {noun} belongs to"),
    }
}

fn summary(
    ds: &Dataset,
    names: &[String],
    d: &Detection,
    top_rows: &[usize],
    top: &[usize],
    why: Option<&[String]>,
) -> String {
    let flagged = d.flags.iter().filter(|f| **f).count();
    let noun = match &ds.log {
        Some(t) if t.bucket.is_none() => "clients",
        Some(_) => "buckets",
        None => match ds.network.as_ref().map(|n| n.view) {
            Some(crate::data::access::LogView::Traffic) => "buckets",
            Some(_) => "hosts",
            None => "rows",
        },
    };
    let by_rule = by_rule(d, noun.trim_end_matches('s'));
    let mut s = format!(
        "{} on {} ({} {} x {})\nFlagged {} of {} {} ({:.1}%); {} scoring above {} are flagged{by_rule}.\n\nTop {} {} by anomaly score:\n",
        d.config.describe(),
        ds.file_name(),
        ds.n_rows(),
        noun,
        match names.len() {
            1 => "1 feature".to_string(),
            n => format!("{n} features"),
        },
        flagged,
        ds.n_rows(),
        noun,
        100.0 * flagged as f64 / ds.n_rows().max(1) as f64,
        noun,
        sig(d.threshold, 6),
        TOP_ROWS.min(ds.n_rows()),
        noun
    );
    let mut header: Vec<String> = vec![ds
        .row_labels
        .as_ref()
        .map_or("row".into(), |l| l.name.clone())];
    if let Some(t) = &ds.time {
        header.push(t.name.clone());
    }
    header.extend([
        "anomaly_score".into(),
        "flagged".into(),
        "top_feature".into(),
    ]);
    if why.is_some() {
        header.push("explanation".into());
    }
    let rows: Vec<Vec<String>> = top_rows
        .iter()
        .enumerate()
        .map(|(i, &r)| {
            let mut row = vec![match &ds.row_labels {
                Some(l) => l.values[r].clone(),
                None => ds.row_numbers[r].to_string(),
            }];
            if let Some(t) = &ds.time {
                row.push(t.show(t.millis[r]));
            }
            row.push(sig(d.scores[r], 6));
            row.push(if d.flags[r] {
                "yes".into()
            } else {
                "no".into()
            });
            row.push(names.get(top[i]).cloned().unwrap_or_default());
            if let Some(w) = why {
                row.push(w[i].clone());
            }
            row
        })
        .collect();
    s.push_str(&table(&header, &rows, 0));
    s
}

/// A progress bar on stderr when it is a terminal; nothing otherwise.
struct Progress(Option<ProgressBar>);

impl Progress {
    fn new() -> Self {
        if !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let bar = ProgressBar::new(1000);
        if let Ok(style) =
            ProgressStyle::with_template("{msg:>8} [{bar:40}] {percent:>3}% {elapsed}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        Progress(Some(bar))
    }

    fn stage(&self, name: &'static str) {
        if let Some(bar) = &self.0 {
            bar.set_message(name);
            bar.set_position(0);
        }
    }

    fn set(&self, done: f32) {
        if let Some(bar) = &self.0 {
            bar.set_position((done.clamp(0.0, 1.0) * 1000.0) as u64);
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

/// Prints the first five skipped lines of a log with their line numbers (or packets of a
/// capture with their packet numbers: `unit` is "packet"), and how many more.
fn print_skipped(path: &std::path::Path, samples: &[Malformed], malformed: u64, unit: &str) {
    for m in samples.iter().take(5) {
        if unit == "line" {
            eprintln(format_args!(
                "trafficlens: {}:{}: skipped: {} `{}`",
                path.display(),
                m.line,
                m.reason,
                m.text
            ));
        } else {
            eprintln(format_args!(
                "trafficlens: {}: {unit} {}: skipped: {}",
                path.display(),
                m.line,
                m.reason
            ));
        }
    }
    if malformed > 5 {
        eprintln(format_args!(
            "trafficlens: ... and {} more malformed {unit}s",
            malformed - 5
        ));
    }
}
