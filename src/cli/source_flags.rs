//! Refuses a reading option that the input's kind does not read (`--bucket` on a CSV table,
//! `--time-column` on an access log, `--by-host` on the clients view...): it would be ignored
//! without a word, and the user would believe it applied.

use std::path::Path;

use super::CliError;
use crate::data::access::LogView;
use crate::data::{kind_of, FileKind, LoadOptions};

/// What kind of input reads an option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    /// A CSV or Parquet table.
    Table,
    /// A web server access log.
    AccessLog,
    /// A Zeek conn.log, a packet capture or flow records.
    Network,
}

impl Family {
    fn of(kind: FileKind) -> Family {
        match kind {
            FileKind::Csv { .. } | FileKind::Parquet => Family::Table,
            FileKind::AccessLog { .. } => Family::AccessLog,
            FileKind::ZeekConn { .. } | FileKind::Capture { .. } | FileKind::FlowRecords { .. } => {
                Family::Network
            }
        }
    }
}

/// One reading option: its argument id, its flag, which inputs read it and, said to the user,
/// what it is for.
struct Rule {
    id: &'static str,
    flag: &'static str,
    reads: fn(Family, LogView) -> bool,
    scope: &'static str,
}

fn table(f: Family, _: LogView) -> bool {
    f == Family::Table
}

fn access_log(f: Family, _: LogView) -> bool {
    f == Family::AccessLog
}

fn log_or_network(f: Family, _: LogView) -> bool {
    f != Family::Table
}

fn traffic_view(f: Family, v: LogView) -> bool {
    f != Family::Table && v == LogView::Traffic
}

fn access_traffic_view(f: Family, v: LogView) -> bool {
    f == Family::AccessLog && v == LogView::Traffic
}

fn network(f: Family, _: LogView) -> bool {
    f == Family::Network
}

/// The reading options that only some inputs read (`--utc` applies to every input).
const RULES: [Rule; 12] = [
    rule("layout", "--layout", table, TABLES),
    rule("time_column", "--time-column", table, TABLES),
    rule("no_time", "--no-time", table, TABLES),
    rule("category", "--category", table, TABLES),
    rule("value", "--value", table, TABLES),
    rule("fill_missing", "--fill-missing", table, TABLES),
    rule("log_format", "--log-format", access_log, "access logs"),
    rule(
        "view",
        "--view",
        log_or_network,
        "access logs and network traffic",
    ),
    rule("bucket", "--bucket", traffic_view, TRAFFIC_VIEW),
    rule(
        "regions",
        "--regions",
        access_traffic_view,
        ACCESS_TRAFFIC_VIEW,
    ),
    rule(
        "by_host",
        "--by-host",
        access_traffic_view,
        ACCESS_TRAFFIC_VIEW,
    ),
    rule(
        "by",
        "--by",
        network,
        "network traffic (a Zeek conn.log, a packet capture or flow records)",
    ),
];

const TABLES: &str = "tables (CSV or Parquet)";
const TRAFFIC_VIEW: &str = "the traffic view of an access log or of network traffic";
const ACCESS_TRAFFIC_VIEW: &str = "the traffic view of an access log";

const fn rule(
    id: &'static str,
    flag: &'static str,
    reads: fn(Family, LogView) -> bool,
    scope: &'static str,
) -> Rule {
    Rule {
        id,
        flag,
        reads,
        scope,
    }
}

/// The input at `path` in words, as `options` will read it.
fn described(kind: FileKind, view: LogView) -> String {
    let view_name = |other: &str| match view {
        LogView::Clients => other.to_string(),
        LogView::Traffic => "traffic".to_string(),
    };
    match kind {
        FileKind::Csv { .. } => "a table (CSV)".into(),
        FileKind::Parquet => "a table (Parquet)".into(),
        FileKind::AccessLog { gzip: false } => {
            format!("an access log, read in the {} view", view_name("clients"))
        }
        // Any gzip data that is not a capture or a conn.log is read as a log: a compressed
        // table is refused by the log reader, so the user is told both.
        FileKind::AccessLog { gzip: true } => format!(
            "gzip data, read as an access log in the {} view (a compressed table must be \
             decompressed first)",
            view_name("clients")
        ),
        FileKind::ZeekConn { .. } => {
            format!("a Zeek conn.log, read in the {} view", view_name("hosts"))
        }
        FileKind::Capture { .. } => {
            format!("a packet capture, read in the {} view", view_name("hosts"))
        }
        FileKind::FlowRecords { .. } => {
            format!("flow records, read in the {} view", view_name("hosts"))
        }
    }
}

/// Refuses the options in `given` (argument ids given on the command line) that the input at
/// `path`, read with `options`, does not read; an input that cannot be read is let through (its
/// load says why).
pub fn check(path: &Path, given: &[String], options: &LoadOptions) -> Result<(), CliError> {
    let Some(kind) = kind_of(path, options) else {
        return Ok(());
    };
    let message = refused(kind, options.log.view, given, &path.display().to_string());
    message.map_or(Ok(()), |m| Err(CliError::Usage(m)))
}

/// The refusal of the options in `given` that `kind` in `view` does not read, naming the input
/// `name`; `None` when every option applies.
fn refused(kind: FileKind, view: LogView, given: &[String], name: &str) -> Option<String> {
    let family = Family::of(kind);
    let foreign: Vec<&Rule> = RULES
        .iter()
        .filter(|r| !(r.reads)(family, view) && given.iter().any(|g| g == r.id))
        .collect();
    if foreign.is_empty() {
        return None;
    }
    // Options with one scope are named together: "--layout, --value are for tables".
    let mut parts: Vec<String> = Vec::new();
    let mut scopes: Vec<&str> = Vec::new();
    for scope in foreign.iter().map(|r| r.scope) {
        if scopes.contains(&scope) {
            continue;
        }
        scopes.push(scope);
        let flags: Vec<&str> = foreign
            .iter()
            .filter(|r| r.scope == scope)
            .map(|r| r.flag)
            .collect();
        let verb = if flags.len() == 1 { "is" } else { "are" };
        parts.push(format!("{} {verb} for {scope}", flags.join(", ")));
    }
    let pronoun = if foreign.len() == 1 { "it" } else { "them" };
    // Options of the traffic view on the right kind of input in its other view: the view is
    // what is missing.
    let want_traffic =
        view == LogView::Clients && foreign.iter().all(|r| (r.reads)(family, LogView::Traffic));
    let fix = if want_traffic {
        format!("add --view traffic, or drop {pronoun}")
    } else {
        format!("drop {pronoun}")
    };
    Some(format!(
        "{}; {name} is {}: {fix}",
        parts.join("; "),
        described(kind, view)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn given(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    const CSV: FileKind = FileKind::Csv {
        delimiter: b',',
        bom_len: 0,
        decimal_comma: false,
    };
    const LOG: FileKind = FileKind::AccessLog { gzip: false };

    #[test]
    fn options_of_the_input_read_pass() {
        let table = given(&["layout", "time_column", "fill_missing", "utc"]);
        assert_eq!(refused(CSV, LogView::Clients, &table, "t.csv"), None);
        let log = given(&["log_format", "view", "bucket", "by_host", "utc"]);
        assert_eq!(refused(LOG, LogView::Traffic, &log, "a.log"), None);
        let conn = FileKind::ZeekConn {
            gzip: false,
            writer: crate::data::formats::zeek::Writer::Tsv,
        };
        assert_eq!(
            refused(conn, LogView::Traffic, &given(&["by", "bucket"]), "c"),
            None
        );
    }

    #[test]
    fn options_of_another_input_are_named_with_what_to_do() {
        assert_eq!(
            refused(LOG, LogView::Clients, &given(&["bucket"]), "a.log").as_deref(),
            Some(
                "--bucket is for the traffic view of an access log or of network traffic; a.log \
                 is an access log, read in the clients view: add --view traffic, or drop it"
            )
        );
        assert_eq!(
            refused(
                CSV,
                LogView::Clients,
                &given(&["bucket", "by_host"]),
                "t.csv"
            )
            .as_deref(),
            Some(
                "--bucket is for the traffic view of an access log or of network traffic; \
                 --by-host is for the traffic view of an access log; t.csv is a table (CSV): \
                 drop them"
            )
        );
        assert_eq!(
            refused(
                LOG,
                LogView::Traffic,
                &given(&["layout", "value", "by"]),
                "a.log"
            )
            .as_deref(),
            Some(
                "--layout, --value are for tables (CSV or Parquet); --by is for network traffic \
                 (a Zeek conn.log, a packet capture or flow records); a.log is an access log, \
                 read in the traffic view: drop them"
            )
        );
        let gz = refused(
            FileKind::AccessLog { gzip: true },
            LogView::Clients,
            &given(&["time_column"]),
            "t.csv.gz",
        );
        assert_eq!(
            gz.as_deref(),
            Some(
                "--time-column is for tables (CSV or Parquet); t.csv.gz is gzip data, read as an \
                 access log in the clients view (a compressed table must be decompressed first): \
                 drop it"
            )
        );
        let capture = FileKind::FlowRecords {
            gzip: false,
            format: crate::data::formats::flows::FlowFormat::Nfdump,
        };
        let got = refused(capture, LogView::Clients, &given(&["regions"]), "f.csv");
        assert_eq!(
            got.as_deref(),
            Some(
                "--regions is for the traffic view of an access log; f.csv is flow records, read \
                 in the hosts view: drop it"
            )
        );
    }
}
