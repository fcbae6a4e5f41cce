//! Command-line arguments (clap derive). Each option has a short help and a long help.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::data::access::{Bucket, LogGroup, LogOptions, LogView};
use crate::data::formats::zeek::HostSide;
use crate::data::{CsvEngine, Layout, LoadOptions, MissingPolicy};
use crate::detect::seasonal::ScoreReference;
use crate::detect::spot::{Risk, ThresholdMode};
use crate::detect::{
    Algorithm, Contamination, DetectorConfig, IsolationForestSettings, LofSettings, MaxSamples,
    Neighbourhood, Scaling, SeasonalSettings,
};

/// TrafficLens finds anomalous web traffic: spikes, scanners, floods and brute-force runs.
#[derive(Debug, Parser)]
#[command(
    name = "trafficlens",
    version,
    about,
    long_about = "TrafficLens finds anomalous web traffic: spikes, scanners, floods and brute-force runs.\n\n\
                  Give it a CSV or Parquet table of traffic over time (one column per region or metric, \
                  or a long table of time, region and value).",
    after_help = "Without a subcommand, the desktop app opens (on FILE, or on the bundled sample data).\n\n\
                  Exit status: 0 success, 1 other error, 2 bad usage, 3 bad input (the message names file, line and column).",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// A table to open in the desktop app.
    #[arg(
        value_name = "FILE",
        long_help = "A table to open in the desktop app (default: the bundled sample data)."
    )]
    pub file: Option<PathBuf>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print exploration statistics of a table.
    #[command(
        long_about = "Print exploration statistics of a table: rows, columns, time range and interval, \
                      missing values, and per feature count, mean, standard deviation, min, 1st/25th/50th/75th/99th \
                      percentile, max, median, MAD, a histogram, and the correlation matrix.\n\n\
                      Percentiles use numpy's default (linear) definition; the standard deviation is pandas' (ddof = 1)."
    )]
    Stats(StatsArgs),
    /// Write realistic regional web traffic, an access log or a network's conn.log, labelled.
    #[command(
        long_about = "Write realistic regional web traffic with labelled anomalies: a data CSV (a time column and one \
                      column per region) and a labels CSV (row, kind, regions). Anomaly kinds: spike, surge, outage, \
                      ramp, level_shift, and with --contextual night_surge, midday_drop and lost_day (normal \
                      values at the wrong time). The same options and seed always give the same bytes. Rows are streamed, so \
                      10 million rows need little memory. With --access-log, a web server access log with labelled \
                      attackers instead; with --network, an office network's Zeek conn.log (and with --pcap FILE the \
                      same connections as packets) with labelled attacking hosts."
    )]
    Generate(GenerateArgs),
    /// Score every row with a detector; write scores and flagged rows.
    #[command(
        long_about = "Score every row of a table with Isolation Forest or Local Outlier Factor (scikit-learn's \
                      semantics) and report the anomalies. The anomaly score is higher for more anomalous rows: \
                      the Isolation Forest score in (0, 1], or the LOF value.\n\n\
                      Without --scores-out or --flagged-out, a summary goes to stdout: how many rows were flagged \
                      and the 20 highest-scoring rows with their time and top feature."
    )]
    Detect(DetectArgs),
    /// Follow access logs as they grow; alert when traffic leaves its seasonal band.
    #[command(
        long_about = "Follow access logs as they grow (through rotations; `-` for standard input), count their lines \
                      into time buckets by the log's own timestamps (all traffic and each virtual host: requests, \
                      bytes, distinct clients, 4xx and 5xx shares), score each closed bucket with the seasonal \
                      baseline, and print one alert when a subject leaves its band and one when it comes back. \
                      Ctrl-C saves --state and exits 0."
    )]
    Watch(super::watch::WatchArgs),
}

/// How to read an input table (shared by the subcommands that read one).
#[derive(Debug, Clone, Args)]
pub struct LoadArgs {
    /// Table layout: auto, wide or long.
    #[arg(
        long,
        value_enum,
        default_value_t = LayoutArg::Auto,
        long_help = "Table layout. `wide`: a time column and one numeric column per region or metric. \
                     `long`: a time column, a category column (such as region) and value columns, pivoted to one \
                     column per category with values of the same time and category summed. `auto` decides from the data."
    )]
    pub layout: LayoutArg,
    /// Use this column as the time column.
    #[arg(
        long,
        value_name = "NAME",
        long_help = "Use this column as the time column instead of detecting it (by names such as Date, time, \
                     timestamp, ds, or by values: ISO dates and times, d/m/Y, m/d/Y, epoch seconds or milliseconds)."
    )]
    pub time_column: Option<String>,
    /// Do not look for a time column.
    #[arg(
        long,
        conflicts_with = "time_column",
        long_help = "Treat every column as data; the table has no time axis."
    )]
    pub no_time: bool,
    /// Show times in UTC instead of on the file's own clock.
    #[arg(
        long,
        long_help = "Show times written with a UTC offset (2021-03-19T03:00:00+02:00, an access log's \
                     -0700) in UTC, labelled `UTC`, instead of on the clock they were written in; a \
                     log's traffic buckets then start on UTC's hours and midnights (so buckets of a \
                     day, or of an hour at an offset such as +05:30, hold other requests). Times \
                     written without a zone are shown as they are. A table's scores do not change."
    )]
    pub utc: bool,
    /// Category column of a long table.
    #[arg(
        long,
        value_name = "NAME",
        long_help = "The category column of a long table (such as `region`); implies --layout long."
    )]
    pub category: Option<String>,
    /// Value column of a long table.
    #[arg(
        long,
        value_name = "NAME",
        long_help = "The value column of a long table (default: every numeric column)."
    )]
    pub value: Option<String>,
    /// Fill missing values with the column median instead of leaving those rows out.
    #[arg(
        long,
        long_help = "By default, rows with a missing value (empty, NA, NaN, null, infinite) in any numeric column are \
                     left out of the analysis and counted. With this flag, missing cells are filled with their column's \
                     median instead (rows without a time are still left out)."
    )]
    pub fill_missing: bool,
    /// Access logs: the log format (default: detected).
    #[arg(
        long,
        value_name = "FORMAT",
        long_help = "Read the input as a web server access log in this format: Nginx `log_format` syntax \
                     ('$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent ...'), Apache \
                     `LogFormat` syntax ('%h %l %u %t \"%r\" %>s %b ...'), or a name: combined, common, vhost_combined, \
                     vhost_common. Default: Combined and Common Log Format (with or without a virtual host) are \
                     recognised from the first lines; plain or gzip."
    )]
    pub log_format: Option<String>,
    /// Access logs: clients or traffic.
    #[arg(
        long,
        value_enum,
        default_value_t = ViewArg::Clients,
        long_help = "Access logs: which table to analyse. `clients`: one row per client address with requests, \
                     requests per active minute, peak requests per minute, distinct paths, 404 share, 401/403 share, \
                     POST share, login path share, bytes sent, user agents and median gap between requests. \
                     `traffic`: one row per time bucket with requests, bytes, distinct clients, 4xx rate and 5xx rate."
    )]
    pub view: ViewArg,
    /// Access logs, traffic view: bucket width (1m, 5m, 1h, 1d...).
    #[arg(
        long,
        value_name = "WIDTH",
        value_parser = parse_bucket,
        long_help = "Access logs, traffic view: the width of a time bucket, such as 1m, 5m, 1h or 1d. Default: the \
                     widest of 1d, 1h and 5m that gives at least 200 buckets over the log's time span, else 1m."
    )]
    pub bucket: Option<Bucket>,
    /// Access logs, traffic view: columns per region, from a CSV of address prefixes.
    #[arg(
        long,
        value_name = "CSV",
        conflicts_with = "by_host",
        long_help = "Access logs, traffic view: one set of columns per region. The CSV maps address prefixes (CIDR, \
                     IPv4 or IPv6) to region names, one `prefix,region` per line, such as `10.0.0.0/8,internal`; the \
                     longest prefix wins; other addresses are counted as `other`. The file must be a regular UTF-8 \
                     text file of at most 16 MB with at most 10,000 region names."
    )]
    pub regions: Option<PathBuf>,
    /// Access logs, traffic view: columns per virtual host.
    #[arg(
        long,
        long_help = "Access logs, traffic view: one set of columns per virtual host (the 12 busiest; the rest as \
                     `other`). The log format must record the host (%v, $host)."
    )]
    pub by_host: bool,
    /// Network traffic (Zeek conn.log): rank the source or the destination hosts.
    #[arg(
        long,
        value_enum,
        default_value_t = ByArg::Source,
        long_help = "Network traffic (Zeek conn.log): one row per source address (`id.orig_h`, who connects) \
                     or per destination address (`id.resp_h`, who is connected to)."
    )]
    pub by: ByArg,
}

/// Which end of the connections the hosts view ranks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ByArg {
    /// One row per source address.
    Source,
    /// One row per destination address.
    Destination,
}

/// The view of an access log on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ViewArg {
    /// One row per client address.
    Clients,
    /// One row per time bucket.
    Traffic,
}

/// Parses a bucket width.
fn parse_bucket(text: &str) -> Result<Bucket, String> {
    text.parse()
}

impl LoadArgs {
    /// The loader options these arguments ask for.
    pub fn options(&self) -> LoadOptions {
        LoadOptions {
            layout: match (self.layout, &self.category) {
                (LayoutArg::Wide, _) => Layout::Wide,
                (LayoutArg::Long, _) | (LayoutArg::Auto, Some(_)) => Layout::Long,
                (LayoutArg::Auto, None) => Layout::Auto,
            },
            time_column: self.time_column.clone(),
            no_time: self.no_time,
            utc: self.utc,
            category_column: self.category.clone(),
            value_column: self.value.clone(),
            features: Vec::new(),
            missing: if self.fill_missing {
                MissingPolicy::FillMedian
            } else {
                MissingPolicy::Drop
            },
            csv_engine: CsvEngine::Auto,
            log: LogOptions {
                format: self.log_format.clone(),
                view: match self.view {
                    ViewArg::Clients => LogView::Clients,
                    ViewArg::Traffic => LogView::Traffic,
                },
                bucket: self.bucket,
                group: match (&self.regions, self.by_host) {
                    (Some(p), _) => LogGroup::Regions(p.clone()),
                    (None, true) => LogGroup::VirtualHost,
                    (None, false) => LogGroup::All,
                },
                hosts_by: match self.by {
                    ByArg::Source => HostSide::Source,
                    ByArg::Destination => HostSide::Destination,
                },
            },
        }
    }
}

/// Table layout on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LayoutArg {
    /// Decide from the data.
    Auto,
    /// One column per feature.
    Wide,
    /// Time, category, value; pivoted.
    Long,
}

/// Arguments of `trafficlens stats`.
#[derive(Debug, Clone, Args)]
pub struct StatsArgs {
    /// The table to describe (CSV or Parquet).
    #[arg(
        value_name = "INPUT",
        long_help = "The table to describe: CSV (comma, semicolon or tab separated, UTF-8 with or without BOM) or Parquet."
    )]
    pub input: PathBuf,
    /// How to read the input.
    #[command(flatten)]
    pub load: LoadArgs,
    /// Print JSON instead of tables.
    #[arg(
        long,
        long_help = "Print the dataset summary and every statistic as one JSON object on stdout."
    )]
    pub json: bool,
    /// The options given on the command line, by argument id, filled after parsing (see
    /// [`DetectArgs::given`]).
    #[arg(skip)]
    pub given: Vec<String>,
}

/// `--algo` takes every [`Algorithm`] by its command-line name, with its label as help.
impl ValueEnum for Algorithm {
    fn value_variants<'a>() -> &'a [Self] {
        &Algorithm::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.cli_name()).help(self.label()))
    }
}

impl DetectArgs {
    /// The threshold rule: `--threshold` when given; else the contamination when
    /// `--contamination` is given; else, on the client view of an access log (`client_view`),
    /// the automatic threshold, so that the flagged list is short; else the detector's own.
    pub fn threshold_mode(&self, client_view: bool) -> ThresholdMode {
        self.threshold
            .unwrap_or(if client_view && self.contamination.is_none() {
                ThresholdMode::Auto
            } else {
                self.algo.default_threshold()
            })
    }

    /// Refuses a threshold flag that the threshold mode would ignore: `--contamination` with
    /// `--threshold auto`, `--risk` with the contamination rule.
    pub fn check_threshold_flags(&self, client_view: bool) -> Result<(), String> {
        let mode = self.threshold_mode(client_view);
        match mode {
            ThresholdMode::Auto if self.contamination.is_some() => Err(
                "--contamination sets the contamination rule; with --threshold auto the share \
                 flagged follows from the scores' tail: set --risk instead, or drop --threshold auto"
                    .to_string(),
            ),
            ThresholdMode::Contamination if self.risk.is_some() => Err(format!(
                "--risk sets the automatic threshold; add --threshold auto to use it ({} uses \
                 the contamination unless told otherwise)",
                self.algo.cli_name()
            )),
            _ => Ok(()),
        }
    }

    /// Refuses an option given on the command line that only another detector reads (`--cycles`
    /// with `--algo iforest`, `--n-neighbors` with `--algo seasonal`...): it would be ignored
    /// without a word, and the user would believe it applied.
    pub fn check_detector_flags(&self) -> Result<(), String> {
        use crate::detect::Algorithm::{IsolationForest, Lof, Seasonal};
        const ONLY: [(&str, &str, &[Algorithm]); 10] = [
            ("n_estimators", "--n-estimators", &[IsolationForest]),
            ("max_samples", "--max-samples", &[IsolationForest]),
            ("seed", "--seed", &[IsolationForest]),
            ("n_neighbors", "--n-neighbors", &[Lof]),
            ("lof_neighbourhood", "--lof-neighbourhood", &[Lof]),
            ("scale", "--scale", &[IsolationForest, Lof]),
            ("cycles", "--cycles", &[Seasonal]),
            ("count_floor", "--count-floor", &[Seasonal]),
            ("score_reference", "--score-reference", &[Seasonal]),
            ("hold_off", "--hold-off", &[Seasonal]),
        ];
        let foreign: Vec<(&str, &[Algorithm])> = ONLY
            .iter()
            .filter(|(id, _, readers)| {
                !readers.contains(&self.algo) && self.given.iter().any(|g| g == id)
            })
            .map(|&(_, flag, readers)| (flag, readers))
            .collect();
        let Some(&(_, readers)) = foreign.first() else {
            return Ok(());
        };
        let flags: Vec<&str> = foreign.iter().map(|(flag, _)| *flag).collect();
        let names: Vec<&str> = readers.iter().map(|a| a.cli_name()).collect();
        let chosen = if self.given.iter().any(|g| g == "algo") {
            format!("--algo {}", self.algo.cli_name())
        } else {
            format!("--algo {} (the default detector)", self.algo.cli_name())
        };
        let (subject, verb) = match flags.as_slice() {
            [one] => (one.to_string(), "is a setting"),
            many => (many.join(", "), "are settings"),
        };
        let pronoun = if flags.len() == 1 { "it" } else { "them" };
        if foreign.iter().all(|(_, r)| *r == readers) {
            Err(format!(
                "{subject} {verb} of --algo {}, not of {chosen}: drop {pronoun}, or choose that \
                 detector",
                names.join(" or --algo ")
            ))
        } else {
            Err(format!(
                "{subject} {verb} of other detectors, not of {chosen}: drop {pronoun}"
            ))
        }
    }

    /// The detector settings these flags choose (each detector's flags fill its own settings);
    /// `client_view` as for [`DetectArgs::threshold_mode`].
    pub fn detector_config(&self, client_view: bool) -> DetectorConfig {
        DetectorConfig {
            algorithm: self.algo,
            threshold: self.threshold_mode(client_view),
            contamination: self.contamination.unwrap_or_default(),
            risk: self.risk.unwrap_or(if client_view {
                Risk::CLIENTS
            } else {
                Risk::DEFAULT
            }),
            scaling: match self.scale {
                ScaleArg::None => Scaling::None,
                ScaleArg::Standard => Scaling::Standard,
                ScaleArg::Robust => Scaling::Robust,
            },
            iforest: IsolationForestSettings {
                n_estimators: self.n_estimators as usize,
                max_samples: self.max_samples,
                seed: self.seed,
            },
            lof: LofSettings {
                n_neighbors: self.n_neighbors as usize,
                neighbourhood: match self.lof_neighbourhood {
                    NeighbourhoodArg::KNearest => Neighbourhood::KNearest,
                    NeighbourhoodArg::KDistance => Neighbourhood::KDistance,
                },
            },
            seasonal: SeasonalSettings {
                cycles: self.cycles as usize,
                count_floor: self.count_floor,
                reference: self.score_reference,
                hold_off: self.hold_off as usize,
            },
        }
    }
}

/// LOF neighbourhood on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum NeighbourhoodArg {
    /// scikit-learn's: the k nearest other rows, ties at the k-th distance broken by row index.
    KNearest,
    /// Breunig et al. 2000: every row within the k-distance, ties included.
    KDistance,
}

/// Feature scaling on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScaleArg {
    /// Values as they are (results equal scikit-learn's on the same columns).
    None,
    /// (x - mean) / standard deviation.
    Standard,
    /// (x - median) / interquartile range.
    Robust,
}

/// Arguments of `trafficlens detect`.
#[derive(Debug, Clone, Args)]
pub struct DetectArgs {
    /// The table to analyse (CSV or Parquet).
    #[arg(
        value_name = "INPUT",
        long_help = "The table to analyse: CSV (comma, semicolon or tab separated) or Parquet. It is never written to."
    )]
    pub input: PathBuf,
    /// How to read the input.
    #[command(flatten)]
    pub load: LoadArgs,
    /// Detector: iforest, lof or seasonal.
    #[arg(long, value_enum, default_value_t = Algorithm::IsolationForest, long_help = "The detector: `iforest` (Isolation Forest), `lof` (Local Outlier Factor) or `seasonal` (seasonal \
                     baseline: each row of each feature against what is normal for that time of day and week, from \
                     the rows before it only; needs a time column). Options of another detector are refused.")]
    pub algo: Algorithm,
    /// How scores become flags: contamination or auto (default: the detector's own).
    #[arg(
        long,
        value_name = "MODE",
        value_parser = parse_threshold_mode,
        long_help = "How scores become flags. `contamination`: scikit-learn's rule, set by --contamination (the \
                     default for every detector, so the flags of iforest and lof stay scikit-learn's). `auto`: the score that a \
                     normal row exceeds with probability --risk, from a generalized Pareto fit of the scores' own \
                     tail (SPOT, Siffer et al., KDD 2017); no guess of the share of anomalies. Needs at least 100 rows. \
                     The client view of an access log (100 clients or more) uses `auto` unless --threshold or \
                     --contamination is given."
    )]
    pub threshold: Option<ThresholdMode>,
    /// Expected share of anomalies: auto or a fraction in (0, 0.5] (default auto).
    #[arg(
        long,
        value_parser = parse_contamination,
        long_help = "Expected share of anomalies (--threshold contamination). `auto` (the default) uses scikit-learn's fixed \
                     offsets (-0.5 for Isolation Forest, -1.5 for LOF) and, for the seasonal baseline, a row's tail \
                     probability below 1e-4 (score above 0.8: a feature outside its band, or several unusual together); a fraction F in (0, 0.5] flags the rows above \
                     the (1 - F) quantile of the training scores (numpy's linear interpolation)."
    )]
    pub contamination: Option<Contamination>,
    /// The automatic threshold's risk: a probability in (0, 0.01] (default 1e-4; 1e-2 on clients).
    #[arg(
        long,
        value_name = "R",
        value_parser = parse_risk,
        long_help = "The automatic threshold's risk (--threshold auto): the probability that a normal row scores \
                     above the threshold, so about R times the normal rows are flagged by chance. In (0, 0.01]; \
                     default 1e-4 (under one chance flag in 10,000 rows); on the client view of an access log 1e-2 \
                     (thousands of clients, many attackers at once)."
    )]
    pub risk: Option<Risk>,
    /// Isolation Forest: number of trees.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100_000), long_help = "Isolation Forest: the number of trees.")]
    pub n_estimators: u32,
    /// Isolation Forest: rows per tree (auto, N or a fraction).
    #[arg(
        long,
        default_value = "auto",
        value_parser = parse_max_samples,
        long_help = "Isolation Forest: rows per tree. `auto` is min(256, rows); a whole number N (clamped to the rows, \
                     with a warning); or a fraction in (0, 1] of the rows."
    )]
    pub max_samples: MaxSamples,
    /// LOF: number of neighbours.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..), long_help = "Local Outlier Factor: the number of neighbours (clamped to rows - 1, with a warning).")]
    pub n_neighbors: u32,
    /// LOF: neighbourhood definition (k-nearest or k-distance).
    #[arg(
        long,
        value_enum,
        default_value_t = NeighbourhoodArg::KNearest,
        long_help = "Local Outlier Factor: which rows make up a row's neighbourhood. `k-nearest` (scikit-learn's): \
                     exactly the k nearest other rows; on ties at the k-th distance (integer counts, duplicates) \
                     the lowest row index is kept, so scores can depend on row order and may differ from \
                     scikit-learn's. `k-distance` (Breunig et al., SIGMOD 2000, the original definition): every \
                     row within the k-distance, ties included; scores do not depend on row order."
    )]
    pub lof_neighbourhood: NeighbourhoodArg,
    /// Seasonal baseline: cycles the seasonal medians look back over.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(2..=8), long_help = "Seasonal baseline: \
                     how many past cycles (days, weeks) of the same time the expected value takes its median over (2 to \
                     8). More is steadier and slower to follow a changed rhythm.")]
    pub cycles: u32,
    /// Seasonal baseline: count-noise floor of the scale (0 turns it off).
    #[arg(long, default_value_t = 1.0, value_parser = parse_count_floor, long_help = "Seasonal baseline: the least \
                     scale, in MADs of a Poisson count at the expected value (0.6745 * sqrt(expected)), so that a quiet \
                     series does not alarm on a few requests more. 1 by default; 0 for series that are not counts \
                     (shares, response times).")]
    pub count_floor: f64,
    /// Seasonal baseline: what a row's tail probability is measured against.
    #[arg(long, default_value_t = ScoreReference::Model, value_parser = parse_score_reference, long_help = "Seasonal \
                     baseline: what the anomaly score (a row's tail probability, mapped to 0..1) is measured against. \
                     `model` (default): a normal residual whose MAD is the scale; recurring anomalies stay anomalous. \
                     `history`: each series' own earlier z-scores (the last 8,640), an anomaly likelihood that makes \
                     very different series comparable and learns recurring bursts as normal (for benchmarks such as \
                     NAB), and its earlier values: a new high or low beyond the range of the last 8,640 counts as \
                     1 in (values + 1), rarer the further beyond; the same for the mean of the last 16 values and for their mean departure from the baseline. Either way a row is scored from the rows before it \
                     only.")]
    pub score_reference: ScoreReference,
    /// Seasonal baseline: values of a feature after its alarm that are capped below it (0: off).
    #[arg(
        long,
        default_value_t = 0,
        value_name = "ROWS",
        long_help = "Seasonal baseline: one alarm per \
                     event. After a feature's value alone makes its row an alarm (a tail probability below 1e-4 \
                     for the row, score above 0.8: the detector's own alarm level), that feature's next ROWS values \
                     count as one decade less likely at most (a one-feature row scores at most 0.75), so a lasting \
                     anomaly is flagged on its first row rather than on every row of it. A held value cannot start \
                     a new hold, the first alarm after it does; each feature holds on its own. Causal (a value's \
                     hold depends on the rows before it). 0 (default): off, every row of a lasting anomaly keeps \
                     its score. scripts/nab.sh uses 16, the span of the short mean, with --score-reference history."
    )]
    pub hold_off: u32,
    /// Random seed.
    #[arg(
        long,
        default_value_t = 0,
        long_help = "Random seed (Isolation Forest): the same seed gives the same scores on any number of threads."
    )]
    pub seed: u64,
    /// Features to use, comma-separated (default: every numeric column but the time column).
    #[arg(
        long,
        value_name = "LIST",
        long_help = "The features to analyse, by column name, separated by commas, such as \"Region 1,Region 2\". Default: every numeric column except the time column."
    )]
    pub features: Option<String>,
    /// Feature scaling: none, standard or robust.
    #[arg(long, value_enum, default_value_t = ScaleArg::None, long_help = "Scale features before detection: `none` (results equal scikit-learn's on the same columns), `standard` (mean and standard deviation) or `robust` (median and interquartile range).")]
    pub scale: ScaleArg,
    /// The options given on the command line, by argument id (the field's name), filled after
    /// parsing; empty when the arguments were built otherwise.
    #[arg(skip)]
    pub given: Vec<String>,
    /// Write every analysed row's score to FILE.
    #[arg(
        long,
        value_name = "FILE",
        long_help = "Write a CSV with header `row,anomaly_score,flagged`: `row` is the 0-based data row of the input \
                     (the first row after the header is 0), `anomaly_score` the score (higher = more anomalous), `flagged` \
                     1 or 0. Rows left out for missing values are not listed. For the client view of an access log the \
                     header is `client,anomaly_score,flagged` and the first column holds the client address; for the \
                     traffic view `row` is the bucket's number (0 = the first bucket). `-` writes to standard output \
                     (one output at most)."
    )]
    pub scores_out: Option<PathBuf>,
    /// Write the flagged rows, with all their original columns, to FILE.
    #[arg(
        long,
        value_name = "FILE",
        long_help = "Write the flagged input rows with all their original columns as they were in the input, plus \
                     `anomaly_score` and `top_feature` (the feature that explains the row most), sorted by time. Cells a \
                     spreadsheet would run as a formula are prefixed with `'`. For the client view of an access log: \
                     the flagged clients' features, plus `explanation` (in words, such as \"412 distinct paths, 97% 404: \
                     looks like a scanner\"). `-` writes to standard output (one output at most)."
    )]
    pub flagged_out: Option<PathBuf>,
    /// Access logs: write the flagged clients' (or buckets') log lines to FILE.
    #[arg(
        long,
        value_name = "FILE",
        long_help = "Access logs: write every log line of the flagged clients (client view) or of the flagged time \
                     buckets (traffic view) to FILE, exactly as in the input, in input order. A line a spreadsheet \
                     would run as a formula is prefixed with `'`. Lines of 16 MB or more are skipped (the reader skips \
                     them too) and counted on stderr. Zeek conn.logs (either writer): the header lines and every line \
                     of the flagged hosts' connections (hosts view) or of the connections starting in the flagged \
                     buckets (traffic view), as in the input. Packet captures: a pcap file of those connections' \
                     packets (captured bytes, wire length, time to the microsecond). Flow records (nfdump, Argus): \
                     the header line and every record of those connections (both one-way records of a joined \
                     one). `-` writes to standard output (one output at most; escaped when it is a \
                     terminal)."
    )]
    pub flagged_out_lines: Option<PathBuf>,
    /// Replace existing output files.
    #[arg(
        long,
        long_help = "Replace existing regular files (still written atomically). Never replaced, even with --force: \
                     an input (the table or log, the --regions file; compared by file identity, so other spellings \
                     and hard links count), another output of the same command, a device, FIFO, socket or folder, \
                     and a symbolic link (an output that is a symbolic link is refused: give the real path). Every \
                     output is checked before any is written."
    )]
    pub force: bool,
    /// Print the time each stage took to standard error.
    #[arg(
        long,
        long_help = "Print to standard error the wall time of each stage: load (read, parse, classify, \
                     missing values), score (feature matrix, fit, scoring, threshold), explain (only the rows \
                     printed or exported are explained) and write."
    )]
    pub timings: bool,
}

/// Parses `auto` or a contamination fraction.
fn parse_contamination(text: &str) -> Result<Contamination, String> {
    text.parse()
}

/// Parses `auto` or `contamination`.
fn parse_threshold_mode(text: &str) -> Result<ThresholdMode, String> {
    text.parse()
}

/// Parses a risk in (0, 0.01].
fn parse_risk(text: &str) -> Result<Risk, String> {
    text.parse()
}

/// Parses the seasonal baseline's score reference: `model` or `history`.
fn parse_score_reference(text: &str) -> Result<ScoreReference, String> {
    text.parse()
}

/// Parses the seasonal baseline's count floor: a finite number of at least 0.
fn parse_count_floor(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!("`{text}` is not a number of at least 0")),
    }
}

/// Parses `auto`, a row count or a fraction.
fn parse_max_samples(text: &str) -> Result<MaxSamples, String> {
    text.parse()
}

/// Date format of generated files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DateFormatArg {
    /// 2021-03-13 (and 2021-03-13 08:00:00 for sub-daily steps).
    Iso,
    /// 13/3/2021, like the reference data.
    Dmy,
}

/// Arguments of `trafficlens generate`.
#[derive(Debug, Clone, Args)]
pub struct GenerateArgs {
    /// Where to write the data CSV (or the access log or conn.log).
    #[arg(
        long,
        short,
        value_name = "FILE",
        long_help = "Where to write the data CSV (the access log with --access-log, the conn.log with --network). An existing file is not replaced without --force. `-` writes the \
                     data to standard output (then --labels must name a file)."
    )]
    pub out: PathBuf,
    /// Where to write the labels CSV.
    #[arg(
        long,
        value_name = "FILE",
        long_help = "Where to write the labels CSV (header `row,kind,regions`: the 0-based data row, the anomaly kind, \
                     and the affected regions separated by `;`). Default: the data file's name with `_labels` added."
    )]
    pub labels: Option<PathBuf>,
    /// Number of regions.
    #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u16).range(1..=10_000), long_help = "Number of regions (columns `Region 1` .. `Region N`).")]
    pub regions: u16,
    /// Number of rows.
    #[arg(long, default_value_t = 730, value_parser = clap::value_parser!(u64).range(1..), long_help = "Number of rows (time steps); 730 daily rows is two years.")]
    pub rows: u64,
    /// Time between rows: 1d, 1h, 5m, 30s...
    #[arg(long, default_value = "1d", value_parser = parse_step, long_help = "Time between rows, as a number and a unit: s, m, h or d (for example 1d, 1h, 5m, 30s).")]
    pub step: i64,
    /// First time stamp.
    #[arg(long, default_value = "2021-01-01", value_parser = parse_start, long_help = "The first time stamp: a date (2021-01-01) or date and time (2021-01-01T00:00:00), UTC.")]
    pub start: i64,
    /// Random seed.
    #[arg(
        long,
        default_value_t = 0,
        long_help = "Random seed: the same options and seed always write the same bytes."
    )]
    pub seed: u64,
    /// Date format.
    #[arg(long, value_enum, default_value_t = DateFormatArg::Iso, long_help = "How dates are written: `iso` (2021-03-13) or `dmy` (13/3/2021).")]
    pub date_format: DateFormatArg,
    /// Write in the reference file's shape: d/m/Y dates, BOM, CRLF, no final newline.
    #[arg(
        long,
        long_help = "Write in the shape of the reference data set: d/m/Y dates, a UTF-8 byte-order mark, CRLF line endings and no final newline."
    )]
    pub seed_shape: bool,
    /// Probability that an anomaly starts at a row.
    #[arg(long, default_value_t = 0.015, value_parser = parse_rate, long_help = "Probability (0 to 1) that an anomaly starts at a row when none is under way. The default labels about 6% of rows.")]
    pub anomaly_rate: f64,
    /// Also inject contextual anomalies (hourly or finer rows).
    #[arg(
        long,
        conflicts_with = "access_log",
        long_help = "Also inject contextual anomalies, values that are normal at another time and so lie inside the \
                     data's overall range, in every region at once (each such row looks like a normal row of another \
                     time): `night_surge` (a daytime level for 2 to 4 hours around the quietest hour), \
                     `midday_drop` (a night level around the busiest hour) and `lost_day` (the weekend level \
                     from midnight to midnight on a weekday). Every region then has a pronounced weekly rhythm (weekends at 45% to 60% of \
                     weekdays). Needs a --step of an hour or less that divides an hour, such as 1h or 5m."
    )]
    pub contextual: bool,
    /// Write an access log (Combined Log Format) with labelled attacks instead of a table.
    #[arg(
        long,
        long_help = "Write a web server access log in Combined Log Format instead of a table: --clients normal clients \
                     (visitors, regulars, office gateways, search bots, uptime monitors) browsing with a daily rhythm \
                     for --days days, plus a vulnerability scanner, a credential-stuffing run, a DDoS burst from \
                     --ddos-addresses addresses, a slow data exfiltration and an aggressive crawler. The labels CSV has \
                     the header `client,kind,start,end`, one row per attacking address. An --out ending in .gz is \
                     gzip-compressed."
    )]
    pub access_log: bool,
    /// Write an office network's Zeek conn.log with labelled attacks instead of a table.
    #[arg(
        long,
        conflicts_with_all = ["access_log", "contextual"],
        long_help = "Write an office network's Zeek conn.log (tab-separated, as Zeek's ASCII writer writes it) instead \
                     of a table: --hosts workstations with a daily and weekly rhythm (HTTPS and HTTP to many outside \
                     hosts, DNS to the internal resolver, mail, the file server, updates), servers and outside mail \
                     servers for --days days, plus six attacks, each by its own host: a vertical port scan, a horizontal \
                     port scan, an SSH brute force, a beacon, a slow exfiltration and a DNS flood. The labels CSV has \
                     the header `host,kind,start,end`, one row per attacking host. --pcap also writes the same \
                     connections as packets."
    )]
    pub network: bool,
    /// Network: also write the connections as packets to this pcap file.
    #[arg(
        long,
        value_name = "FILE",
        requires = "network",
        long_help = "Network: also write the same connections as packets to this pcap file (Ethernet, IPv4, TCP/UDP \
                     headers; payloads are declared in the headers and cut as by a short snapshot length, so the file \
                     stays small). Reading it gives the same connections and hosts view as the conn.log."
    )]
    pub pcap: Option<PathBuf>,
    /// Network: workstations.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(10..=64_000), long_help = "Network: the number of workstations, 10 to 64,000 (servers, devices, outside mail servers and the attackers come on top: about a quarter more hosts).")]
    pub hosts: u64,
    /// Access log and network: days of traffic.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=3650), long_help = "Access log and network: days of traffic.")]
    pub days: u32,
    /// Access log: normal clients.
    #[arg(long, default_value_t = 3000, value_parser = clap::value_parser!(u64).range(10..=50_000_000), long_help = "Access log: the number of normal client addresses (attackers come on top).")]
    pub clients: u64,
    /// Access log: addresses in the DDoS burst.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=1_000_000), long_help = "Access log: the number of addresses taking part in the DDoS burst.")]
    pub ddos_addresses: u64,
    /// Replace existing output files.
    #[arg(
        long,
        long_help = "Replace the output files if they are existing regular files (they are still written atomically). \
                     A device, FIFO, socket, folder or symbolic link is never replaced, and the data and labels must \
                     be different files; both are checked before either is written."
    )]
    pub force: bool,
}

/// Parses `30s`, `5m`, `1h`, `1d` (a bare number is days) into seconds.
fn parse_step(text: &str) -> Result<i64, String> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return format!("{text}d").parse::<Bucket>().map(|b| b.seconds);
    }
    text.parse::<Bucket>().map(|b| b.seconds)
}

/// Parses a start date or date-time into epoch seconds.
fn parse_start(text: &str) -> Result<i64, String> {
    let t = text.trim();
    if let Ok(d) = chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Ok(d
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_utc()
            .timestamp());
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(dt) = chrono::NaiveDateTime::parse_from_str(t, fmt) {
            return Ok(dt.and_utc().timestamp());
        }
    }
    Err(format!(
        "`{t}` is not a date (2021-01-01) or date-time (2021-01-01T00:00:00)"
    ))
}

/// Parses a probability.
fn parse_rate(text: &str) -> Result<f64, String> {
    let v: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number"))?;
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err("must be between 0 and 1".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_and_starts() {
        assert_eq!(parse_step("1d"), Ok(86_400));
        assert_eq!(parse_step("5m"), Ok(300));
        assert!(parse_step("0h").is_err());
        assert!(parse_step("3w").is_err());
        assert_eq!(parse_start("2021-01-01"), Ok(1_609_459_200));
        assert_eq!(parse_start("2021-01-01T01:00:00"), Ok(1_609_462_800));
        assert!(parse_start("tomorrow").is_err());
    }

    #[test]
    fn cli_definition_is_consistent() {
        <Cli as clap::CommandFactory>::command().debug_assert();
    }
}
