//! Arguments of `trafficlens watch`.

use std::path::PathBuf;

use clap::Args;

use crate::data::formats::access::Bucket;

/// Arguments of `trafficlens watch`.
#[derive(Debug, Clone, Args)]
pub struct WatchArgs {
    /// Access logs, Zeek conn.logs or CSV tables to follow (`-` for standard input).
    #[arg(
        value_name = "SOURCE",
        required = true,
        long_help = "Access logs, Zeek conn.logs (tab-separated or JSON) or CSV tables with a time column to follow as \
                     they grow, through rotations (rename-and-create, copytruncate, dateext, compressed later; Zeek's \
                     hourly rotation with a fresh header); `-` reads standard input. Each source's format is detected \
                     from its first lines unless --format is given (a tab-separated conn.log or a table followed from \
                     its end takes its header from the start of the file; a table's rows already there are learnt as \
                     its history)."
    )]
    pub sources: Vec<PathBuf>,
    /// The log format (default: detected from the first lines).
    #[arg(
        long,
        value_name = "F",
        long_help = "The log format of every source: Nginx `log_format` syntax ($remote_addr ...), Apache `LogFormat` \
                     syntax (%h %l %u %t ...) or a name: combined, common, vhost_combined, vhost_common. Default: \
                     detected from each source's first lines."
    )]
    pub format: Option<String>,
    /// Bucket width (default 1m).
    #[arg(
        long,
        value_name = "WIDTH",
        default_value = "1m",
        value_parser = parse_seconds,
        long_help = "The width of the time buckets the lines are counted into, by the log's own timestamps: 30s, \
                     1m, 5m, 1h... A bucket is scored when a line at least --late after its end arrives."
    )]
    pub bucket: i64,
    /// How long a bucket waits for late lines (default 10s).
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "10s",
        value_parser = parse_seconds_or_zero,
        long_help = "How long after its end (in the log's time) a bucket stays open for lines that arrive out of \
                     order. Lines for a bucket already scored are counted as late and left out."
    )]
    pub late: i64,
    /// Read what the files hold first (default: start at their end).
    #[arg(
        long,
        long_help = "Read each file from its start first, then follow it (default: only what is written from now on)."
    )]
    pub from_start: bool,
    /// Keep the position and the detector state in this file.
    #[arg(
        long,
        value_name = "FILE",
        long_help = "Load the position of every file and the detector state from FILE if it exists, and save them \
                     there (atomically) on Ctrl-C, SIGTERM or the end of a replay, so that a restart continues \
                     without gaps or repeats."
    )]
    pub state: Option<PathBuf>,
    /// Append every alert to this file as a line of JSON.
    #[arg(
        long,
        value_name = "FILE",
        long_help = "Append every alert to FILE as one line of JSON, written whole as it happens."
    )]
    pub alerts_out: Option<PathBuf>,
    /// Append every scored bucket to this file as a line of JSON.
    #[arg(
        long,
        value_name = "FILE",
        long_help = "Append every scored bucket (start, subject, requests, bytes, distinct clients, 4xx share, 5xx \
                     share, score, over) to FILE as one line of JSON: for dashboards and checks."
    )]
    pub buckets_out: Option<PathBuf>,
    /// POST every alert as JSON to this address.
    #[arg(
        long,
        value_name = "URL",
        long_help = "POST every alert as JSON to URL (http:// or https://) from its own thread, with retries and \
                     backoff; alerts that could not be sent are reported on exit."
    )]
    pub webhook: Option<String>,
    /// Minimum time between two alerts of one subject (default 10m).
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "10m",
        value_parser = parse_seconds_or_zero,
        long_help = "The minimum time (in the log's time) between two raised alerts of one subject, so that a \
                     subject flapping around its threshold does not flood the outputs."
    )]
    pub cooldown: i64,
    /// Half-width of the seasonal band in MADs (default 5.19).
    #[arg(
        long,
        value_name = "MADS",
        value_parser = parse_band,
        long_help = "A bucket is over its threshold when one of its numbers is more than MADS robust deviations \
                     (MADs) from what the seasonal baseline expects. Default 5.19 (3.5 / 0.6745, Iglewicz and \
                     Hoaglin's cut-off). A followed table's row is over, by default, under `detect --algo \
                     seasonal`'s own threshold (its tail probability across its columns below 1e-4); with --band, \
                     when one of its columns is more than MADS from its expected value."
    )]
    pub band: Option<f64>,
    /// How a bucket is judged: `dspot` (default) or `band`.
    #[arg(
        long = "threshold",
        value_name = "MODE",
        default_value = "dspot",
        value_parser = ["band", "dspot"],
        long_help = "How a traffic bucket is judged over its threshold: `dspot` (default), DSPOT (Siffer et al., KDD \
                     2017) over each subject's own bucket scores at risk --risk: a generalised Pareto tail fitted to \
                     the subject's scores once its daily rhythm is in use (two days of buckets) and 240 more were \
                     scored, following a drifting level over the last 20 (the band judges until then); `band`, \
                     always the band: one of its numbers more than --band MADs from its expected value. Tables keep \
                     detect's threshold."
    )]
    pub threshold: String,
    /// DSPOT's risk (default 1e-4).
    #[arg(
        long,
        value_name = "Q",
        value_parser = parse_risk,
        long_help = "DSPOT's risk (--threshold dspot, the default): the probability that an ordinary bucket's score \
                     is over the threshold, in (0, 0.01]. Default 1e-4."
    )]
    pub risk: Option<crate::detect::spot::Risk>,
    /// A followed table's time column (default: detected).
    #[arg(
        long,
        value_name = "NAME",
        long_help = "The time column of followed CSV tables, as `detect --time-column` (default: detected as \
                     `detect` detects it)."
    )]
    pub time_column: Option<String>,
    /// Do not watch clients (only the traffic buckets).
    #[arg(
        long,
        long_help = "Watch only the traffic buckets per subject, not each client's sliding window."
    )]
    pub no_clients: bool,
    /// Width of each client's sliding window (default 5m).
    #[arg(
        long,
        value_name = "WIDTH",
        default_value = "5m",
        value_parser = parse_seconds,
        long_help = "Each client address is watched over its requests of the last WIDTH (the log's time): \
                     requests, rate, peak minute, distinct paths, 404, 401/403, POST and login-path shares, bytes, \
                     user agents. A client without a request for WIDTH is no longer watched (its memory is freed)."
    )]
    pub client_window: i64,
    /// Requests a client's window needs before it is judged (default 5).
    #[arg(
        long,
        value_name = "N",
        default_value_t = 5,
        value_parser = clap::value_parser!(u32).range(1..),
        long_help = "A client is scored once its window holds at least N requests (then at most once per second \
                     of log time); clients with fewer are never alerted."
    )]
    pub client_min_requests: u32,
    /// Anomaly score over which a client is raised (default 0.7).
    #[arg(
        long,
        value_name = "SCORE",
        value_parser = parse_score,
        default_value = "0.7",
        long_help = "The Isolation Forest anomaly score (-score_samples, in (0, 1]; 0.5 is ordinary) over which \
                     a client's window raises an alert. The model is refitted in the background every minute of \
                     log time from the windows of the clients active then."
    )]
    pub client_threshold: f64,
    /// Read existing logs paced by their timestamps (`max`: as fast as possible).
    #[arg(
        long,
        value_name = "SPEED",
        value_parser = parse_speed,
        long_help = "Replay the files from their start, paced by their own timestamps: SPEED seconds of log per \
                     second (60: an hour per minute), or `max` for as fast as possible. The watch ends when the \
                     files are read to their end."
    )]
    pub replay: Option<Speed>,
}

/// A replay speed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Speed {
    /// Seconds of log per second.
    Factor(f64),
    /// As fast as possible.
    Max,
}

/// Parses a positive duration (`30s`, `1m`, `1h`) into seconds.
fn parse_seconds(text: &str) -> Result<i64, String> {
    text.trim().parse::<Bucket>().map(|b| b.seconds)
}

/// Parses a duration of at least 0 (`0`, `10s`, `10m`) into seconds.
fn parse_seconds_or_zero(text: &str) -> Result<i64, String> {
    if text.trim() == "0" {
        return Ok(0);
    }
    parse_seconds(text)
}

/// Parses a band half-width: a finite number above 0.
fn parse_band(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("`{text}` is not a number above 0")),
    }
}

/// Parses a risk: a probability in (0, 0.01].
fn parse_risk(text: &str) -> Result<crate::detect::spot::Risk, String> {
    text.parse()
}

/// Parses an anomaly score threshold: a number in (0, 1).
fn parse_score(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if v > 0.0 && v < 1.0 => Ok(v),
        _ => Err(format!("`{text}` is not a number between 0 and 1")),
    }
}

/// Parses `max` or a speed factor above 0.
fn parse_speed(text: &str) -> Result<Speed, String> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("max") {
        return Ok(Speed::Max);
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(Speed::Factor(v)),
        _ => Err(format!(
            "`{text}` is not `max` or a number above 0 (60: an hour of log per minute)"
        )),
    }
}
