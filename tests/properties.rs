//! Property tests (issue 11): the parsers never panic on arbitrary bytes, neutralising is
//! idempotent and keeps plain numbers, and an export read back gives the flagged rows' original
//! cells. 256 cases each; the fuzz targets in `fuzz/` go further.

use proptest::prelude::*;
use trafficlens::data::access::format::TimeStyle;
use trafficlens::data::access::line::{parse_line, parse_time};
use trafficlens::data::access::{LogFormat, LogOptions};
use trafficlens::data::time::{looks_like_time, parse_epoch_column, parse_iso, parse_text_column};
use trafficlens::data::{load, LoadOptions, TextColumn};
use trafficlens::export::{neutralise, write_flagged};
use trafficlens::fuzzing;

use crate::util::tempdir;

/// Cases per property: enough to be meaningful, small enough for a debug test run.
const CASES: u32 = 256;

/// Custom log formats tried beside the presets: Nginx with ISO time, `$msec` and request time,
/// and Apache with epoch milliseconds.
const CUSTOM_FORMATS: [&str; 2] = [
    r#"$host $remote_addr [$time_iso8601] "$request" $status $body_bytes_sent $request_time"#,
    r#"%{msec}t %a %v "%m %U %H" %>s %B %D %{ms}T "%{User-Agent}i""#,
];

/// Every preset and the custom formats, compiled.
fn all_formats() -> Vec<LogFormat> {
    let mut all = LogFormat::presets();
    all.extend(
        CUSTOM_FORMATS
            .iter()
            .map(|f| LogFormat::parse(f).expect("custom format compiles")),
    );
    all
}

/// A line close to valid: a good combined or custom line with one field replaced by arbitrary
/// text, so the parser's later stages are reached too.
fn near_log_line() -> impl Strategy<Value = Vec<u8>> {
    let fields = [
        "203.0.113.7",
        "-",
        "alice",
        "[10/Oct/2000:13:55:36 -0700]",
        "\"GET /login?x=1 HTTP/1.1\"",
        "200",
        "2326",
        "\"http://example.com/\"",
        "\"Mozilla/5.0\"",
        "0.250",
    ];
    (0..fields.len(), any::<String>()).prop_map(move |(i, text)| {
        fields
            .iter()
            .enumerate()
            .map(|(j, f)| if j == i { text.as_str() } else { f })
            .collect::<Vec<_>>()
            .join(" ")
            .into_bytes()
    })
}

/// Format strings assembled from real directives, variables and stray characters.
fn format_text() -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        "%h",
        "%a",
        "%l",
        "%u",
        "%t",
        "%r",
        "%>s",
        "%s",
        "%b",
        "%B",
        "%O",
        "%D",
        "%T",
        "%{ms}T",
        "%{us}T",
        "%{msec}t",
        "%{sec}t",
        "%{Referer}i",
        "%{User-Agent}i",
        "%{Host}i",
        "%v",
        "%p",
        "%%",
        "%{",
        "%400,501{x}i",
        "%!200h",
        "%",
        "$remote_addr",
        "$time_local",
        "$msec",
        "$time_iso8601",
        "$request",
        "$status",
        "$body_bytes_sent",
        "$request_time",
        "$host",
        "${status}",
        "${",
        "$",
        " ",
        "\"",
        "\\\"",
        "[",
        "]",
        ":",
        "-",
        "x",
        "é",
        "\t",
    ]);
    prop::collection::vec(atoms, 0..12).prop_map(|a| a.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// The line parser returns a result for any bytes, with every preset and custom format.
    #[test]
    fn log_line_parser_never_panics(
        line in prop_oneof![prop::collection::vec(any::<u8>(), 0..300), near_log_line()]
    ) {
        let mut scratch = Vec::new();
        for format in all_formats() {
            let _ = parse_line(&format, &line, &mut scratch);
        }
    }

    /// The format compiler returns a format or an error for any text; a compiled format parses
    /// lines without panicking.
    #[test]
    fn format_compiler_never_panics(
        text in prop_oneof![any::<String>(), format_text()],
        line in prop::collection::vec(any::<u8>(), 0..200),
    ) {
        if let Ok(format) = LogFormat::parse(&text) {
            let mut scratch = Vec::new();
            let _ = parse_line(&format, &line, &mut scratch);
        }
    }

    /// The time parsers return a value or nothing for any text, and whole columns of arbitrary
    /// text or numbers are classified without panicking.
    #[test]
    fn time_parsers_never_panic(
        cells in prop::collection::vec(
            prop_oneof![
                any::<String>(),
                "[0-9]{1,5}[-/.][0-9A-Za-z]{1,4}[-/.][0-9]{1,5}([ T:][0-9]{1,3}(:[0-9]{1,3}){0,3}(\\.[0-9]{0,10})?)?( ?(Z|[+-][0-9]{1,5}(:[0-9]{1,3})?))?",
            ],
            1..8,
        ),
        numbers in prop::collection::vec(any::<f64>(), 0..8),
    ) {
        let styles = [TimeStyle::Clf, TimeStyle::Iso8601, TimeStyle::EpochSeconds, TimeStyle::EpochMillis];
        let mut col = TextColumn::with_capacity(cells.len(), 64);
        for cell in &cells {
            for style in styles {
                let _ = parse_time(style, cell.as_bytes());
            }
            let _ = (parse_iso(cell), looks_like_time(cell));
            col.push(cell);
        }
        let _ = parse_text_column(&col, true);
        let _ = parse_text_column(&col, false);
        let _ = parse_epoch_column(&numbers, true);
        let _ = parse_epoch_column(&numbers, false);
    }

    /// Sniffing and scanning return a result for any bytes (with or without a BOM).
    #[test]
    fn sniff_and_scan_never_panic(
        bom in any::<bool>(),
        body in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..400),
            "[a-c,;\t|\"\r\n 0-9.-]{0,200}".prop_map(String::into_bytes),
        ],
    ) {
        let mut bytes = if bom { b"\xEF\xBB\xBF".to_vec() } else { Vec::new() };
        bytes.extend_from_slice(&body);
        let _ = fuzzing::sniff_and_scan("arbitrary.csv", &bytes);
        for delimiter in [b',', b';', b'\t'] {
            let _ = fuzzing::scan(&bytes, delimiter);
        }
    }
}

proptest! {
    // Loading goes through polars and a file: fewer cases keep the module fast in debug builds.
    #![proptest_config(ProptestConfig::with_cases(CASES / 4))]

    /// Loading arbitrary bytes from a file (as CSV, as a log, with a given log format, or with
    /// a Parquet or gzip magic number in front) returns a dataset or an error, never a panic.
    #[test]
    fn load_never_panics(
        prefix in prop::sample::select(vec![&b""[..], &b"PAR1"[..], &b"\x1f\x8b"[..], &b"\xEF\xBB\xBF"[..]]),
        body in prop_oneof![
            prop::collection::vec(any::<u8>(), 1..400),
            "[a-c,;\t\"\r\n 0-9.:/-]{1,300}".prop_map(String::into_bytes),
        ],
        name in prop::sample::select(vec!["data.csv", "data.log", "data.parquet"]),
        log_format in prop::option::of(prop::sample::select(vec!["combined", "common", CUSTOM_FORMATS[0]])),
    ) {
        let dir = tempdir();
        let path = dir.path().join(name);
        let mut bytes = prefix.to_vec();
        bytes.extend_from_slice(&body);
        std::fs::write(&path, &bytes).expect("write input");
        let options = LoadOptions {
            log: LogOptions {
                format: log_format.map(str::to_string),
                ..LogOptions::default()
            },
            ..LoadOptions::default()
        };
        let _ = load(&path, &options);
    }
}

/// Characters a spreadsheet treats as the start of a formula (the cells neutralising guards).
const RISKY: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Plain decimal numbers as a spreadsheet reads them: sign, digits, fraction, exponent.
fn plain_number() -> impl Strategy<Value = String> {
    prop_oneof![
        "[+-]?[0-9]{1,12}(\\.[0-9]{0,6})?([eE][+-]?[0-9]{1,3})?",
        "[+-]?\\.[0-9]{1,6}([eE][+-]?[0-9]{1,3})?",
        any::<f64>()
            .prop_filter("finite", |v| v.is_finite())
            .prop_map(|v| v.to_string()),
        any::<f64>()
            .prop_filter("finite", |v| v.is_finite())
            .prop_map(|v| format!("{v:e}")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// Neutralising twice gives what neutralising once gives.
    #[test]
    fn neutralise_is_idempotent(
        cell in prop_oneof![
            any::<String>(),
            ("[=+@\t\r'-]{1,3}", any::<String>()).prop_map(|(p, s)| p + &s),
            plain_number(),
        ]
    ) {
        let once = neutralise(&cell).into_owned();
        prop_assert_eq!(neutralise(&once).into_owned(), once);
    }

    /// A plain number, signed or not, is written unchanged.
    #[test]
    fn neutralise_keeps_plain_numbers(number in plain_number()) {
        let written = neutralise(&number);
        prop_assert_eq!(written.as_ref(), number.as_str());
    }

    /// Any other cell that starts like a formula gets one leading quote and nothing else.
    #[test]
    fn neutralise_quotes_formulas(
        first in prop::sample::select(RISKY.to_vec()),
        rest in "[^0-9.eE+-][^\\x00]{0,20}",
    ) {
        let cell = format!("{first}{rest}");
        prop_assert_eq!(neutralise(&cell).into_owned(), format!("'{cell}"));
    }
}

/// Text cells for the export round trip: quotes, delimiters, line breaks, formula-like
/// prefixes, numbers and unicode.
fn text_cell() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[\",;\t =+@'a-z-]{0,12}",
        ("[=+@\t-]", "[a-zA-Z0-9(),\"; ]{0,10}").prop_map(|(p, s)| p + &s),
        plain_number(),
        "[ñé日本\u{1F600}\u{202E}\"]{0,6}",
    ]
}

/// The original of an exported cell: the cell itself, or without the `'` that neutralising
/// put before a formula-like cell. Fails when the export changed the cell in any other way.
fn undo_neutralise(exported: &str, original: &str) -> Result<String, TestCaseError> {
    if exported == original {
        let risky = original.starts_with(RISKY);
        prop_assert!(
            !risky || original.parse::<f64>().is_ok(),
            "formula-like cell {original:?} was exported unprotected"
        );
        return Ok(original.to_string());
    }
    let undone = exported.strip_prefix('\'').unwrap_or(exported);
    prop_assert!(
        undone.starts_with(RISKY),
        "cell {original:?} was exported as {exported:?}"
    );
    Ok(undone.to_string())
}

proptest! {
    // Each case writes, loads and exports a file: fewer cases keep the module fast.
    #![proptest_config(ProptestConfig::with_cases(CASES / 4))]

    /// `--flagged-out` read back with a CSV reader gives each flagged row's original cells.
    #[test]
    fn export_reads_back_original_cells(
        notes in prop::collection::vec((text_cell(), text_cell()), 2..12),
        flag_mask in any::<u16>(),
    ) {
        let dir = tempdir();
        let input = dir.path().join("in.csv");
        let mut writer = csv::Writer::from_path(&input).expect("create input");
        writer.write_record(["id", "note", "value", "other"]).expect("header");
        // Four text rows first keep the text columns text whatever is generated (a column of
        // more than 80% numbers is taken as numeric).
        let fixed = [("plain text", "=SUM(A1)"), ("\"quoted\", with comma", "@user"), ("-x", "+y"), ("ünï", "a;b")];
        let rows: Vec<[String; 4]> = fixed
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .chain(notes)
            .enumerate()
            .map(|(i, (note, other))| [i.to_string(), note, format!("{}.5", i * 7 % 5), other])
            .collect();
        for row in &rows {
            writer.write_record(row).expect("row");
        }
        writer.flush().expect("flush input");
        drop(writer);

        let options = LoadOptions { no_time: true, ..LoadOptions::default() };
        let ds = load(&input, &options).expect("a CSV written by the csv crate loads");
        prop_assert_eq!(ds.n_rows(), rows.len());
        let flagged: Vec<usize> = (0..ds.n_rows()).filter(|r| flag_mask & (1 << (r % 16)) != 0).collect();
        let scores: Vec<f64> = flagged.iter().map(|&r| 0.5 + r as f64 / 100.0).collect();
        let top: Vec<String> = flagged.iter().map(|_| "value".to_string()).collect();
        let out = dir.path().join("flagged.csv");
        write_flagged(&out, false, &ds, &flagged, &scores, &top, None).expect("export");

        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_path(&out)
            .expect("open export");
        let header: Vec<String> = reader.headers().expect("header").iter().map(str::to_string).collect();
        prop_assert_eq!(&header[..4], &["id", "note", "value", "other"]);
        let mut seen = 0;
        for record in reader.records() {
            let record = record.expect("exported record");
            prop_assert_eq!(record.len(), 6);
            let id: usize = record[0].parse().expect("id");
            prop_assert!(id < rows.len());
            prop_assert!(flagged.contains(&ds.row_numbers.iter().position(|&n| n == id).expect("row")));
            for (c, original) in rows[id].iter().enumerate() {
                prop_assert_eq!(undo_neutralise(&record[c], original)?, original.clone(), "row {} column {}", id, c);
            }
            seen += 1;
        }
        prop_assert_eq!(seen, flagged.len());
    }
}
