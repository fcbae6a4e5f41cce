//! The errors that loading a file can produce, each naming the file and, where it applies,
//! the line and column, written as `path:line:column: message`.

use std::path::PathBuf;

/// Why a file could not be loaded. Line numbers are 1-based lines of the file (the header is
/// line 1); column numbers are 1-based field positions.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The path does not exist.
    #[error("{}: file not found; check the path", path.display())]
    NotFound {
        /// The file.
        path: PathBuf,
    },
    /// An operating-system error while reading.
    #[error("{}: cannot read the file: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The path is a directory.
    #[error("{}: is a folder, not a file", path.display())]
    IsDirectory {
        /// The folder.
        path: PathBuf,
    },
    /// The path is a pipe, a device or a socket: its content can be read only once.
    #[error("{}: is {kind}, not a regular file; TrafficLens reads its input more than once, so save it to a file first and open that", path.display())]
    NotRegularFile {
        /// The path.
        path: PathBuf,
        /// What it is instead ("a pipe (FIFO)", "a character device"...).
        kind: &'static str,
    },
    /// Lines end with a bare carriage return (classic Mac OS), so the file reads as one line.
    #[error("{}: uses CR-only line endings (old Mac format), so the whole file reads as one line; convert them with `tr '\\r' '\\n' < {} > converted.csv` and open the converted file", path.display(), path.display())]
    CrLineEnds {
        /// The file.
        path: PathBuf,
    },
    /// The file is binary or not UTF-8 text.
    #[error("{}: not a text file ({reason}); TrafficLens reads UTF-8 CSV and Parquet", path.display())]
    NotText {
        /// The file.
        path: PathBuf,
        /// What gave it away.
        reason: String,
    },
    /// The file has no content at all.
    #[error("{}: the file is empty", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// The first line holds data, not column names.
    #[error("{}:1: the first line looks like data ({sample}), not a header; add a header line naming the columns", path.display())]
    NoHeader {
        /// The file.
        path: PathBuf,
        /// The start of the first line.
        sample: String,
    },
    /// A header but no data rows.
    #[error("{}: the file has a header but no data rows", path.display())]
    NoRows {
        /// The file.
        path: PathBuf,
    },
    /// A line longer than the reader accepts.
    #[error("{}:{line}: the line is at least {bytes} bytes long; the limit is {limit} bytes ({} MiB) per line, so this does not look like a CSV table; shorten or remove the long cell, or check that this is the file you meant", path.display(), limit >> 20)]
    LineTooLong {
        /// The file.
        path: PathBuf,
        /// The line.
        line: u64,
        /// Its length (at least).
        bytes: u64,
        /// The limit.
        limit: u64,
    },
    /// Two columns share a name.
    #[error("{}:1:{second}: column name `{name}` is used twice (also column {first}); rename one", path.display())]
    DuplicateColumn {
        /// The file.
        path: PathBuf,
        /// The name.
        name: String,
        /// First position (1-based).
        first: usize,
        /// Second position (1-based).
        second: usize,
    },
    /// A row with a different number of fields than the header.
    #[error("{}:{line}: the row has {found} fields but the header has {expected}", path.display())]
    Ragged {
        /// The file.
        path: PathBuf,
        /// The line where the row starts.
        line: u64,
        /// Fields in the header.
        expected: usize,
        /// Fields in this row.
        found: usize,
    },
    /// A quoted field that never closes.
    #[error("{}:{line}: a quoted field opened here is never closed", path.display())]
    UnclosedQuote {
        /// The file.
        path: PathBuf,
        /// The line where the open quote's row starts.
        line: u64,
    },
    /// Text where a number was expected.
    #[error("{}:{line}:{column_no}: `{value}` in column `{column}` is not a number (the column's other values are numbers)", path.display())]
    NotANumber {
        /// The file.
        path: PathBuf,
        /// The line.
        line: u64,
        /// Column position (1-based).
        column_no: usize,
        /// Column name.
        column: String,
        /// The offending text.
        value: String,
    },
    /// A time value that does not parse.
    #[error("{}:{line}:{column_no}: `{value}` in time column `{column}` is not a time in the column's format ({format})", path.display())]
    BadTime {
        /// The file.
        path: PathBuf,
        /// The line.
        line: u64,
        /// Column position (1-based).
        column_no: usize,
        /// Column name.
        column: String,
        /// The offending text.
        value: String,
        /// The format the rest of the column uses.
        format: String,
    },
    /// A time column that mixes formats.
    #[error("{}:{line}:{column_no}: `{value}` in time column `{column}` is written as {found}, but earlier rows use {expected}; use one format for the whole column", path.display())]
    MixedTimeFormats {
        /// The file.
        path: PathBuf,
        /// The line.
        line: u64,
        /// Column position (1-based).
        column_no: usize,
        /// Column name.
        column: String,
        /// The offending text.
        value: String,
        /// The format this value has.
        found: &'static str,
        /// The format earlier values have.
        expected: &'static str,
    },
    /// Slash dates with both day-first and month-first evidence.
    #[error("{}: time column `{column}` has dates that only make sense day-first (line {day_first_line}: `{day_first_value}`) and others only month-first (line {month_first_line}: `{month_first_value}`)", path.display())]
    ContradictoryDates {
        /// The file.
        path: PathBuf,
        /// Column name.
        column: String,
        /// A line whose first field is above 12.
        day_first_line: u64,
        /// Its value.
        day_first_value: String,
        /// A line whose second field is above 12.
        month_first_line: u64,
        /// Its value.
        month_first_value: String,
    },
    /// No column holds numbers.
    #[error("{}: no numeric column to analyse (columns: {columns})", path.display())]
    NoNumericColumn {
        /// The file.
        path: PathBuf,
        /// The columns that were found.
        columns: String,
    },
    /// A column named in the options does not exist.
    #[error("{}: no column named `{name}` (columns: {columns})", path.display())]
    NoSuchColumn {
        /// The file.
        path: PathBuf,
        /// The requested name.
        name: String,
        /// The columns that were found.
        columns: String,
    },
    /// Long format was requested but the file does not have its shape.
    #[error("{}: cannot read as long format: {reason}", path.display())]
    NotLong {
        /// The file.
        path: PathBuf,
        /// What is missing.
        reason: String,
    },
    /// The pivot of a long table would hold more cells than the limit.
    #[error("{}: pivoting the long table on `{category}` would make {times} times x {columns} columns = {cells} cells, more than the limit of {limit} cells (8 bytes each); read it as a wide table (--layout wide), keep fewer categories (filter or aggregate `{category}` first), or use coarser times", path.display())]
    PivotTooLarge {
        /// The file.
        path: PathBuf,
        /// The category column.
        category: String,
        /// Distinct times (rows of the pivot).
        times: u64,
        /// Categories times value columns (columns of the pivot).
        columns: u64,
        /// Cells the pivot would hold.
        cells: u64,
        /// The limit.
        limit: u64,
    },
    /// The column chosen as the time column does not hold times.
    #[error("{}: column `{column}` does not hold times ({reason})", path.display())]
    NotTime {
        /// The file.
        path: PathBuf,
        /// Column name.
        column: String,
        /// What it holds instead.
        reason: String,
    },
    /// Every row has a missing value, so nothing is left to score.
    #[error("{}: every row has a missing value in some numeric column; nothing is left to analyse (try filling with the median)", path.display())]
    AllRowsMissing {
        /// The file.
        path: PathBuf,
    },
    /// An error met after a long table was pivoted: the table may be a plain one read as long.
    #[error("{error}; the table was read as long, pivoted on column `{category}`: if each row is one record, read it as written with `--layout wide`")]
    AfterPivot {
        /// The category column that was pivoted.
        category: String,
        /// The error met after the pivot.
        error: Box<LoadError>,
    },
    /// The CSV engine failed in a way not diagnosed more precisely.
    #[error("{}: cannot parse the file as CSV: {message}", path.display())]
    Csv {
        /// The file.
        path: PathBuf,
        /// The engine's message.
        message: String,
    },
    /// The Parquet reader failed.
    #[error("{}: cannot read the Parquet file: {message}", path.display())]
    Parquet {
        /// The file.
        path: PathBuf,
        /// The reader's message.
        message: String,
    },
    /// No known log format matches the file's first lines.
    #[error("{}:{line}: not an access log in a known format (Combined or Common Log Format, with or without a virtual host): `{sample}`; give the format with --log-format (Nginx log_format or Apache LogFormat syntax)", path.display())]
    NotALog {
        /// The file.
        path: PathBuf,
        /// The first non-blank line.
        line: u64,
        /// Its start.
        sample: String,
    },
    /// Not one line matches the log format.
    #[error("{}: no line matches the log format {format} ({malformed} lines tried; {first}); check the format", path.display())]
    NoLogLines {
        /// The file.
        path: PathBuf,
        /// The format's name.
        format: String,
        /// Lines that did not match.
        malformed: u64,
        /// The first of them.
        first: String,
    },
    /// A Zeek log's `#fields` line lacks the connection fields.
    #[error("{}:{line}: the #fields line has no {missing}: not a Zeek conn.log (other Zeek logs, such as dns.log, are not read); give the conn.log", path.display())]
    ZeekFields {
        /// The file.
        path: PathBuf,
        /// The `#fields` line.
        line: u64,
        /// The missing fields, comma-separated.
        missing: String,
    },
    /// A flow-record file whose header line lacks columns a record needs.
    #[error("{}:{line}: the header line has no {missing}, which {format} need; give the tool's CSV output with its header line", path.display())]
    FlowHeader {
        /// The file.
        path: PathBuf,
        /// The header line.
        line: u64,
        /// Which format the file looked like.
        format: &'static str,
        /// The missing columns, comma-separated.
        missing: String,
    },
    /// A flow-record file with a header but no records.
    #[error("{}: the {format} have a header line but no records; give a file that has some", path.display())]
    NoFlowRecords {
        /// The file.
        path: PathBuf,
        /// Which format.
        format: &'static str,
    },
    /// A Zeek connection log without a connection.
    #[error("{}: the Zeek conn.log has header lines but no connections; give a log that has some", path.display())]
    NoConnections {
        /// The file.
        path: PathBuf,
    },
    /// The given log format string cannot be used.
    #[error("{}: {error}", path.display())]
    LogFormat {
        /// The log file.
        path: PathBuf,
        /// What is wrong with the format.
        error: crate::data::access::FormatError,
    },
    /// The gzip data is damaged.
    #[error("{}: the gzip data is damaged ({message}); the lines before the damage cannot be told apart from a complete file, so nothing was loaded", path.display())]
    Gzip {
        /// The file.
        path: PathBuf,
        /// The decoder's message.
        message: String,
    },
    /// The region table (address prefixes) has a bad line.
    #[error("{}:{line}: {message}", path.display())]
    Regions {
        /// The region CSV.
        path: PathBuf,
        /// The line.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// The region file is a device, FIFO, socket or other special file.
    #[error("{}: is {kind}, not a regular file; give a file of `prefix,region` lines", path.display())]
    RegionsNotAFile {
        /// The region file.
        path: PathBuf,
        /// What it is, in words.
        kind: &'static str,
    },
    /// The region file is larger than a region table can reasonably be.
    #[error("{}: the region file is {bytes} bytes or more, above the limit of {limit} bytes ({} MB); a region table has one short `prefix,region` line per prefix: check that this is the right file, or merge prefixes", path.display(), limit >> 20)]
    RegionsTooLarge {
        /// The region file.
        path: PathBuf,
        /// Its size (at least).
        bytes: u64,
        /// The limit.
        limit: u64,
    },
    /// The traffic view would have too many time buckets.
    #[error("{}: {bucket} buckets would make {count} rows; choose a wider bucket (such as 1h or 1d)", path.display())]
    TooManyBuckets {
        /// The log.
        path: PathBuf,
        /// The bucket asked for.
        bucket: String,
        /// How many buckets.
        count: u64,
    },
    /// Traffic per virtual host was asked for, but the log does not record it.
    #[error("{}: the log format ({format}) does not record the virtual host; give a format with %v or $host", path.display())]
    NoVirtualHost {
        /// The log.
        path: PathBuf,
        /// The format.
        format: String,
    },
    /// A packet capture that cannot be read at all.
    #[error("{}: {reason}; give a pcap or pcapng capture (as tcpdump -w or Wireshark write them)", path.display())]
    CaptureUnreadable {
        /// The capture.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A packet capture without a TCP, UDP or ICMP flow.
    #[error("{}: no TCP, UDP or ICMP flow in the capture ({what}); give a capture of IP traffic", path.display())]
    NoFlows {
        /// The capture.
        path: PathBuf,
        /// What its packets were.
        what: String,
    },
    /// Loading was cancelled.
    #[error("loading was cancelled")]
    Cancelled,
    /// The file changed on disk after it was loaded (when re-reading original rows).
    #[error("{}: the file changed on disk since it was loaded; open it again", path.display())]
    Changed {
        /// The file.
        path: PathBuf,
    },
}

impl LoadError {
    /// True when the user stopped the work.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, LoadError::Cancelled)
    }

    /// An I/O error, turned into `NotFound` or `IsDirectory` where that is what happened.
    pub fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        let path = path.to_path_buf();
        match source.kind() {
            std::io::ErrorKind::NotFound => LoadError::NotFound { path },
            std::io::ErrorKind::IsADirectory => LoadError::IsDirectory { path },
            _ => LoadError::Io { path, source },
        }
    }
}
