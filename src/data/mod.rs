//! Reading files into a [`Dataset`]: the input formats ([`formats`]: CSV with its delimiter
//! sniffed, Parquet, access logs) each read by one arm of [`load_source_with`]'s `match` on the
//! file's kind; wide or long tables, a time column in any common format, missing values
//! reported and handled.
//! Also the exploration statistics ([`stats`]).

mod classify;
mod error;
pub mod follow;
pub mod formats;
mod layout;
mod missing;
mod original;
mod source;
pub mod stats;
mod table;
mod text_column;
pub mod time;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use error::LoadError;
pub use formats::access;
pub(crate) use formats::csv::scan;
pub use formats::csv::CsvEngine;
pub use formats::FileKind;
pub use layout::Layout;
pub use missing::{MissingPolicy, MissingReport};
pub use original::OriginalRows;
pub use source::{Fingerprint, Source};
pub use table::Reader;
pub use text_column::TextColumn;
pub use time::TimeFormat;

/// How to read a file; the defaults detect everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LoadOptions {
    /// Wide, long, or decide from the data.
    pub layout: Layout,
    /// Use this column as the time column instead of detecting one.
    pub time_column: Option<String>,
    /// Do not look for a time column at all.
    pub no_time: bool,
    /// For long tables: the category column (such as `region`).
    pub category_column: Option<String>,
    /// For long tables: the value column (default: every numeric column).
    pub value_column: Option<String>,
    /// Columns the caller will analyse, as named in the file (the command line's `--features`):
    /// with [`Layout::Auto`], a table holding all of them as numeric columns is read wide.
    #[serde(default)]
    pub features: Vec<String>,
    /// What to do with missing values.
    pub missing: MissingPolicy,
    /// Which CSV reader to use.
    pub csv_engine: CsvEngine,
    /// For access logs and network traffic: the format and the view to make of it.
    pub log: access::LogOptions,
    /// Show times written with an offset in UTC, labelled, instead of on their own clock (and
    /// start a log's traffic buckets on UTC's hours and midnights).
    #[serde(default)]
    pub utc: bool,
}

/// A name for each row (such as the client address of the client view), used instead of the
/// row number in exports and tables.
#[derive(Debug, Clone, PartialEq)]
pub struct RowLabels {
    /// The column's name (`client`).
    pub name: String,
    /// One label per dataset row.
    pub values: Vec<String>,
}

/// The time axis of a dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeAxis {
    /// Name of the time column.
    pub name: String,
    /// Milliseconds since 1970-01-01 UTC, one per dataset row.
    pub millis: Vec<i64>,
    /// How the column was written.
    pub format: TimeFormat,
    /// The clock the column was written in, which its times are shown in.
    pub zone: crate::zone::Zone,
    /// Where the offset the column was written with changed (daylight saving; see
    /// [`crate::clock`]), whatever clock the times are shown on.
    pub clock: crate::clock::LocalClock,
}

impl TimeAxis {
    /// `ms` shown on the column's clock (see [`crate::zone::Zone::format`]).
    pub fn show(&self, ms: i64) -> String {
        self.zone.format(ms)
    }
}

/// A loaded table, ready for statistics and detectors.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// The file (or display name) it came from.
    pub path: PathBuf,
    /// What kind of file it was.
    pub kind: FileKind,
    /// Which reader read it.
    pub reader: Reader,
    /// Wide or long (as read).
    pub layout: Layout,
    /// The category column that was pivoted, for long tables.
    pub category_column: Option<String>,
    /// The time axis, if the table has one.
    pub time: Option<TimeAxis>,
    /// Feature (numeric column) names.
    pub feature_names: Vec<String>,
    /// Feature values, column-major: `columns[feature][row]`, no missing values.
    pub columns: Vec<Vec<f64>>,
    /// For each row, its 0-based data row in the input (for long tables, in the pivoted table).
    pub row_numbers: Vec<usize>,
    /// Rows in the input (after a pivot, rows of the pivoted table).
    pub input_rows: usize,
    /// Where the original cells are, for export.
    pub original: OriginalRows,
    /// Missing values found and what was done.
    pub missing: MissingReport,
    /// Notes for the user (ambiguous dates, ignored text columns, pivots...).
    pub warnings: Vec<String>,
    /// How long loading took.
    pub load_time: Duration,
    /// Row names, when rows are named things rather than lines (the client view of a log).
    pub row_labels: Option<RowLabels>,
    /// For access logs: the parsed log and the view this table is.
    pub log: Option<access::LogTable>,
    /// For network traffic (the hosts view of a Zeek connection log): what was read and what
    /// each host did.
    pub network: Option<Arc<formats::zeek::HostsTable>>,
}

impl Dataset {
    /// Number of rows available for analysis.
    pub fn n_rows(&self) -> usize {
        self.row_numbers.len()
    }

    /// Number of feature columns.
    pub fn n_features(&self) -> usize {
        self.feature_names.len()
    }

    /// The values of the feature called `name`.
    pub fn feature(&self, name: &str) -> Option<&[f64]> {
        let i = self.feature_names.iter().position(|n| n == name)?;
        Some(&self.columns[i])
    }

    /// One row across all features.
    pub fn row(&self, r: usize) -> Vec<f64> {
        self.columns.iter().map(|c| c[r]).collect()
    }

    /// Every file this dataset was read from (the table or log, and a region file): none of
    /// them may be written by an export.
    pub fn input_files(&self) -> Vec<&Path> {
        let mut files = vec![self.path.as_path()];
        if let Some(regions) = self.log.as_ref().and_then(|t| t.regions.as_deref()) {
            files.push(regions);
        }
        files
    }

    /// The file name without folders, for display.
    pub fn file_name(&self) -> String {
        self.path.file_name().map_or_else(
            || self.path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    }
}

/// Loads a CSV or Parquet file.
pub fn load(path: impl AsRef<Path>, options: &LoadOptions) -> Result<Dataset, LoadError> {
    load_source(Source::File(path.as_ref().to_path_buf()), options)
}

/// Loads a table held in memory; `name` is used in messages.
pub fn load_bytes(
    name: impl Into<PathBuf>,
    bytes: Arc<[u8]>,
    options: &LoadOptions,
) -> Result<Dataset, LoadError> {
    load_source(
        Source::Memory {
            name: name.into(),
            bytes,
        },
        options,
    )
}

/// Loads from any source.
pub fn load_source(source: Source, options: &LoadOptions) -> Result<Dataset, LoadError> {
    load_source_with(source, options, crate::control::Control::default())
}

/// How `path` will be read under `options` (a table, an access log, network traffic), from its
/// first bytes only; `None` when it cannot be read (its load reports why).
pub fn kind_of(path: &std::path::Path, options: &LoadOptions) -> Option<FileKind> {
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return None;
    }
    let source = Source::File(path.to_path_buf());
    formats::sniff::sniff(&source, options.log.format.is_some()).ok()
}

/// Whether `path` will open as the client view of an access log under `options`: a regular
/// file that sniffs as an access log, with the client view asked for. Only the file's first
/// bytes are read; a file that cannot be read is not (its load reports why).
pub fn opens_as_client_view(path: &std::path::Path, options: &LoadOptions) -> bool {
    if options.log.view != access::LogView::Clients
        || !std::fs::metadata(path).is_ok_and(|m| m.is_file())
    {
        return false;
    }
    let source = Source::File(path.to_path_buf());
    matches!(
        formats::sniff::sniff(&source, options.log.format.is_some()),
        Ok(FileKind::AccessLog { .. })
    )
}

/// Loads from any source, with cancellation and progress (every reader checks `control`'s
/// cancel flag and reports the share done).
pub fn load_source_with(
    source: Source,
    options: &LoadOptions,
    control: crate::control::Control<'_>,
) -> Result<Dataset, LoadError> {
    let started = Instant::now();
    let path = source.path().to_path_buf();
    let fingerprint = source.fingerprint()?;
    if fingerprint.len == 0 {
        return Err(LoadError::Empty { path });
    }
    let kind = formats::sniff::sniff(&source, options.log.format.is_some())?;
    let table = match kind {
        FileKind::Csv {
            delimiter,
            bom_len,
            decimal_comma,
        } => formats::csv::read(&source, delimiter, bom_len, decimal_comma, options, control)?,
        FileKind::Parquet => formats::parquet::read(&source, control)?,
        FileKind::AccessLog { gzip } => {
            return access::load(source, gzip, &options.log, options.utc, control)
        }
        FileKind::ZeekConn { gzip, writer } => {
            return formats::zeek::load(
                source,
                gzip,
                writer,
                &formats::zeek::NetView::of(options),
                control,
            )
            .map(|ds| grouping_note(ds, options))
        }
        FileKind::Capture { gzip, format } => {
            return formats::pcap::load(
                source,
                gzip,
                format,
                &formats::zeek::NetView::of(options),
                control,
            )
            .map(|ds| grouping_note(ds, options))
        }
        FileKind::FlowRecords { gzip, format } => {
            return formats::flows::load(
                source,
                gzip,
                format,
                &formats::zeek::NetView::of(options),
                control,
            )
        }
    };
    shape_table(table, kind, path, fingerprint, options, started)
}

/// Adds a note to a connection log's traffic view when a grouping (per region or virtual host)
/// was asked for: it applies to access logs only.
fn grouping_note(mut ds: Dataset, options: &LoadOptions) -> Dataset {
    let traffic = ds
        .network
        .as_ref()
        .is_some_and(|n| n.view == access::LogView::Traffic);
    if traffic && options.log.group != access::LogGroup::All {
        ds.warnings.push(
            "columns per region or per virtual host are for access logs: this traffic view has one \
             set of columns for all connections"
                .into(),
        );
    }
    ds
}

/// Explanations in words for some rows of a client view of an access log or a hosts view of
/// network traffic (`None` for any other table): `top` gives, per row, the index into
/// `features` of the feature that sets the row apart most.
pub fn explain_rows(
    ds: &Dataset,
    rows: &[usize],
    top: &[usize],
    features: &[String],
) -> Option<Vec<String>> {
    if ds.network.is_some() {
        formats::zeek::verdict::explain_rows(ds, rows, top, features)
    } else {
        access::verdict::explain_rows(ds, rows, top, features)
    }
}

/// Flags, beyond the detector's `flags` (one per row of `ds`), the rows that belong with a
/// flagged one: in an access log's client view, every member of a flood cohort one of whose
/// members is flagged ([`access::flood`]). Returns how many flags were added (0 for any other
/// table).
pub fn group_flags(ds: &Dataset, flags: &mut [bool]) -> usize {
    access::verdict::group_flags(ds, flags)
}

/// The note of a table with `left_out` of its `rows` left out for missing values.
pub fn missing_rows_note(left_out: usize, rows: usize) -> String {
    format!("{left_out} of {rows} rows have missing values and are left out of the analysis")
}

/// Makes a dataset of a table read from a CSV or Parquet file: its columns classified, the
/// table pivoted when it is long, missing values handled.
fn shape_table(
    table: table::Table,
    kind: FileKind,
    path: PathBuf,
    fingerprint: Fingerprint,
    options: &LoadOptions,
    started: Instant,
) -> Result<Dataset, LoadError> {
    let reader = table.reader;
    let mut classified = classify::classify(table, options, &path)?;
    let locator = std::mem::replace(&mut classified.locator, table::Locator::Rows);
    let shaped = layout::shape(classified, options, &path)?;
    // The times go through the missing-value handling with the columns; the rest of the axis
    // waits for them.
    let mut time_axis = shaped.time;
    let times = time_axis.as_mut().map(|t| std::mem::take(&mut t.millis));
    let applied = missing::apply(shaped.columns, times, shaped.rows, options.missing);
    if applied.row_numbers.is_empty() {
        let error = LoadError::AllRowsMissing { path };
        return Err(match shaped.category {
            Some(category) => LoadError::AfterPivot {
                category,
                error: Box::new(error),
            },
            None => error,
        });
    }
    let original = match (shaped.layout, locator) {
        (
            Layout::Wide,
            table::Locator::Csv {
                source,
                starts,
                delimiter,
                header,
            },
        ) => OriginalRows::Csv {
            source,
            delimiter,
            header,
            starts,
            fingerprint,
        },
        (Layout::Wide, table::Locator::Columns { header, columns }) => {
            OriginalRows::Columns { header, columns }
        }
        _ => OriginalRows::Derived,
    };
    let mut warnings = shaped.warnings;
    if applied.report.rows_left_out > 0 {
        warnings.push(missing_rows_note(applied.report.rows_left_out, shaped.rows));
    }
    let time = match (time_axis, applied.times) {
        (Some(axis), Some(millis)) => Some(TimeAxis {
            millis,
            zone: if options.utc {
                axis.zone.in_utc()
            } else {
                axis.zone
            },
            ..axis
        }),
        _ => None,
    };
    Ok(Dataset {
        path,
        kind,
        reader,
        layout: shaped.layout,
        category_column: shaped.category,
        time,
        feature_names: shaped.names,
        columns: applied.columns,
        row_numbers: applied.row_numbers,
        input_rows: shaped.rows,
        original,
        missing: applied.report,
        warnings,
        load_time: started.elapsed(),
        row_labels: None,
        log: None,
        network: None,
    })
}
