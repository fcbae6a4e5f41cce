//! Each followed source's parser: its format (given, or detected from its first lines: an
//! access-log format, a Zeek conn.log of either writer, or a CSV table with a time column), its
//! lines parsed and handed to the [`Detectors`], its malformed lines counted and the first ones
//! shown with the source and the line's byte offset.

use super::detectors::Detectors;
use crate::data::follow::Line;
use crate::data::formats::access::line::parse_line;
use crate::data::formats::access::{format_of_lines, LogFormat};
use crate::data::formats::csv::rows::{TableLine, TableRows};
use crate::data::formats::zeek::read::ConnLines;
use crate::data::formats::FileKind;
use crate::detect::seasonal::SeasonalError;
use crate::live::watch::Outcome;

/// Lines a source's format is detected from.
const DETECT_LINES: usize = 20;

/// Bytes of a table's start read to decide its columns and interval (its rows already there
/// are then read line by line).
const HEAD_BYTES: u64 = 1 << 20;

/// Malformed lines shown on standard error at most (all are counted).
const SHOWN: u64 = 5;

/// What a line gave: its log time when it parsed, and the watcher's outcome.
pub type Step = (Option<i64>, Result<Outcome, SeasonalError>);

/// One source's parser.
struct SourceParser {
    format: Option<LogFormat>,
    /// A Zeek conn.log: its header state (it takes the place of `format`).
    conn: Option<ConnLines>,
    /// A CSV table: how its rows are read (it takes the place of `format`).
    table: Option<TableRows>,
    /// Lines waiting for the format: offset and text.
    pending: Vec<(u64, Vec<u8>)>,
    /// The source's name.
    name: String,
    /// True once the source was reported as not an access log.
    refused: bool,
    /// True once the source was reported as a table waiting for its interval.
    waiting: bool,
}

/// Lines and malformed lines seen.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counts {
    /// Lines handed over by the follower.
    pub lines: u64,
    /// Lines that did not parse (blank lines of logs included).
    pub malformed: u64,
    /// Table rows with a missing value (left out, as `detect` leaves them out).
    pub missing: u64,
    /// Table rows of the history already in a file followed from its end, learnt at start.
    pub history: u64,
}

/// The parsers of every source.
pub struct Parsers {
    sources: Vec<SourceParser>,
    /// A followed table's time column, when the user named it.
    time_column: Option<String>,
    scratch: Vec<u8>,
    counts: Counts,
}

impl Parsers {
    /// Parsers for `n` sources, all in `format` when given; tables' time column `time_column`.
    pub fn new(n: usize, format: Option<LogFormat>, time_column: Option<String>) -> Parsers {
        Parsers {
            time_column,
            sources: (0..n)
                .map(|_| SourceParser {
                    format: format.clone(),
                    conn: None,
                    table: None,
                    pending: Vec::new(),
                    name: String::new(),
                    refused: false,
                    waiting: false,
                })
                .collect(),
            scratch: Vec::new(),
            counts: Counts::default(),
        }
    }

    /// The counts so far.
    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// Takes one line of a source.
    pub fn line(&mut self, line: &Line<'_>, watcher: &mut Detectors) -> Vec<Step> {
        self.counts.lines += 1;
        let Some(source) = self.sources.get_mut(line.source) else {
            return Vec::new();
        };
        if source.name.is_empty() {
            source.name = line.name.to_string();
        }
        if source.format.is_none() && source.conn.is_none() && source.table.is_none() {
            source.pending.push((line.offset, line.text.to_vec()));
            if source.pending.len() < DETECT_LINES {
                return Vec::new();
            }
            return self.decide(line.source, watcher);
        }
        vec![self.parse(line.source, line.offset, line.text, watcher)]
    }

    /// Decides the format of every source still waiting, on the lines it has.
    pub fn settle(&mut self, watcher: &mut Detectors) -> Vec<Step> {
        let mut out = Vec::new();
        for s in 0..self.sources.len() {
            if !self.sources[s].pending.is_empty() {
                out.extend(self.decide(s, watcher));
            }
        }
        out
    }

    /// Detects source `s`'s format from its pending lines and parses them.
    fn decide(&mut self, s: usize, watcher: &mut Detectors) -> Vec<Step> {
        let pending = std::mem::take(&mut self.sources[s].pending);
        let lines: Vec<&[u8]> = pending.iter().map(|(_, l)| l.as_slice()).collect();
        let conn = conn_log(&lines, &self.sources[s].name);
        let mut out = Vec::new();
        match format_of_lines(&lines) {
            _ if conn.is_some() => self.sources[s].conn = conn,
            Some(f) => self.sources[s].format = Some(f),
            None => {
                let why = match self.table(s, &pending, watcher) {
                    Ok(TableStart::Started(history)) => {
                        out = history;
                        String::new()
                    }
                    Ok(TableStart::Wait) => {
                        let source = &mut self.sources[s];
                        if !source.waiting {
                            // Said once: else a table of one row is waited on without a word.
                            source.waiting = true;
                            crate::terminal::eprintln(format_args!(
                                "trafficlens: {}: read as a table once it has rows at two \
                                 different times (its interval); waiting for them",
                                source.name
                            ));
                        }
                        source.pending = pending;
                        return Vec::new();
                    }
                    Err(why) => why,
                };
                if self.sources[s].table.is_some() {
                    out.extend(
                        pending
                            .iter()
                            .map(|(offset, text)| self.parse(s, *offset, text, watcher)),
                    );
                    return out;
                }
                let source = &mut self.sources[s];
                if !source.refused {
                    source.refused = true;
                    crate::terminal::eprintln(format_args!(
                        "trafficlens: warning: {}: its first {} lines are in no known access-log format, \
                         are not a Zeek conn.log and are not a table that can be followed ({why}); its lines are \
                         counted as malformed (give the format with --format)",
                        source.name,
                        pending.len()
                    ));
                }
                // Try again on the next lines.
                self.counts.malformed += pending.len() as u64;
                return Vec::new();
            }
        }
        pending
            .iter()
            .map(|(offset, text)| self.parse(s, *offset, text, watcher))
            .collect()
    }

    /// Decides whether source `s`, whose first lines (from where following started) are
    /// `pending`, is a CSV table, and starts its watch: its header and the rows already there
    /// come from the start of the file when following started after them (those rows are learnt
    /// as its history, without verdicts; a state restored already holds them).
    fn table(
        &mut self,
        s: usize,
        pending: &[(u64, Vec<u8>)],
        watcher: &mut Detectors,
    ) -> Result<TableStart, String> {
        let name = self.sources[s].name.clone();
        let first_offset = pending.first().map_or(0, |(o, _)| *o);
        let mut head = Vec::new();
        let history = first_offset > 0 && name != "-";
        if history {
            // The file's first lines, before where following started: its header and enough
            // rows to decide the columns and the interval.
            let file =
                std::fs::File::open(&name).map_err(|e| format!("its start cannot be read: {e}"))?;
            std::io::Read::read_to_end(
                &mut std::io::Read::take(file, first_offset.min(HEAD_BYTES)),
                &mut head,
            )
            .map_err(|e| format!("its start cannot be read: {e}"))?;
            head.truncate(head.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1));
        }
        for (_, line) in pending {
            head.extend_from_slice(line);
            head.push(b'\n');
        }
        let Some((rows, interval)) =
            crate::live::table::decide(&name, &head, self.time_column.as_deref())?
        else {
            return Ok(TableStart::Wait);
        };
        let started = watcher
            .start_table(&name, rows.features(), interval)
            .map_err(|e| e.to_string())?;
        let mut steps = Vec::new();
        if started {
            let mut learnt = 0u64;
            if history {
                let (n, error) = learn_history(&name, first_offset, &rows, watcher)?;
                learnt = n;
                steps.extend(error.map(|e| (None, Err(e))));
            }
            self.counts.history += learnt;
            let history = if history {
                format!("{learnt} rows already there learnt as its history")
            } else {
                "read from its start, every row judged".to_string()
            };
            crate::terminal::eprintln(format_args!(
                "trafficlens: {name}: a table: time column `{}` (a row every {}), {} ({}); {history}",
                rows.time_column(),
                crate::detect::seasonal::fitted::interval_in_words(interval),
                match rows.features().len() {
                    1 => "1 numeric column".to_string(),
                    n => format!("{n} numeric columns"),
                },
                rows.features().join(", "),
            ));
        }
        self.sources[s].table = Some(rows);
        Ok(TableStart::Started(steps))
    }

    /// Parses one line of source `s` and gives it to the watcher.
    fn parse(&mut self, s: usize, offset: u64, text: &[u8], watcher: &mut Detectors) -> Step {
        if let Some(rows) = &self.sources[s].table {
            return match rows.line(text) {
                Ok(TableLine::Row {
                    time_ms,
                    offset,
                    values,
                }) => {
                    let name = &self.sources[s].name;
                    (
                        Some(time_ms),
                        watcher.table_row(name, time_ms, offset, &values, text, false),
                    )
                }
                Ok(TableLine::Missing { .. }) => {
                    self.counts.missing += 1;
                    (None, Ok(Outcome::default()))
                }
                Ok(TableLine::Header | TableLine::Blank) => (None, Ok(Outcome::default())),
                Err(e) => {
                    self.malformed(s, offset, text, &e);
                    (None, Ok(Outcome::default()))
                }
            };
        }
        if let Some(conn) = &mut self.sources[s].conn {
            let mut step: Step = (None, Ok(Outcome::default()));
            let read = std::str::from_utf8(text)
                .map_err(|_| "not UTF-8 text".to_string())
                .and_then(|line| {
                    conn.line(line, |r| {
                        step = (
                            Some((r.ts * 1000.0).floor() as i64),
                            watcher.connection(r, text),
                        );
                    })
                });
            if let Err(e) = read {
                self.malformed(s, offset, text, &e);
            }
            return step;
        }
        let source = &self.sources[s];
        let Some(format) = &source.format else {
            return (None, Ok(Outcome::default()));
        };
        match parse_line(format, text, &mut self.scratch) {
            Ok(parsed) => (Some(parsed.time_ms), watcher.line(&parsed, text)),
            Err(e) => {
                let e = e.to_string();
                self.malformed(s, offset, text, &e);
                (None, Ok(Outcome::default()))
            }
        }
    }

    /// Counts a malformed line of source `s` and shows the first ones.
    fn malformed(&mut self, s: usize, offset: u64, text: &[u8], why: &str) {
        self.counts.malformed += 1;
        if self.counts.malformed <= SHOWN {
            let sample = String::from_utf8_lossy(&text[..text.len().min(160)]);
            crate::terminal::eprintln(format_args!(
                "trafficlens: warning: {} at byte {offset}: malformed line ({why}), left out: {sample}",
                self.sources[s].name
            ));
        }
    }
}

/// Learns the rows of the table file `name` before byte `end` (the rows already there when
/// following started) as its history, line by line (a table of any size): how many, and the
/// error that stopped it, if any.
fn learn_history(
    name: &str,
    end: u64,
    rows: &TableRows,
    watcher: &mut Detectors,
) -> Result<(u64, Option<SeasonalError>), String> {
    let file = std::fs::File::open(name).map_err(|e| format!("its start cannot be read: {e}"))?;
    let mut reader = std::io::BufReader::with_capacity(1 << 20, std::io::Read::take(file, end));
    let mut line = Vec::new();
    let mut learnt = 0u64;
    loop {
        line.clear();
        match std::io::BufRead::read_until(&mut reader, b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) if line.last() != Some(&b'\n') => break,
            Ok(_) => {}
            Err(e) => return Err(format!("its rows cannot be read: {e}")),
        }
        let text = &line[..line.len() - 1];
        if let Ok(TableLine::Row {
            time_ms,
            offset,
            values,
        }) = rows.line(text)
        {
            if let Err(e) = watcher.table_row(name, time_ms, offset, &values, text, true) {
                return Ok((learnt, Some(e)));
            }
            learnt += 1;
        }
    }
    Ok((learnt, None))
}

/// What came of trying a source as a table.
enum TableStart {
    /// It is a table, now watched; the steps of its history (learnt, no alerts).
    Started(Vec<Step>),
    /// It may be a table, but its lines so far are too few to tell its columns or interval.
    Wait,
}

/// A reader for the source called `name` when its first `lines` are a Zeek conn.log. A
/// tab-separated log followed from its end starts without its header lines: they are read from
/// the start of the file (a source without its `#fields` header is not taken for a conn.log).
fn conn_log(lines: &[&[u8]], name: &str) -> Option<ConnLines> {
    let joined = lines.join(&b'\n');
    let head = match crate::data::formats::zeek::sniff(&joined) {
        Some(_) => joined,
        None if name != "-" && lines.first().is_some_and(|l| l.contains(&b'\t')) => {
            let mut head = vec![0; 64 * 1024];
            let n = std::fs::File::open(name)
                .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
                .ok()?;
            head.truncate(n);
            head
        }
        None => return None,
    };
    let Some(FileKind::ZeekConn {
        writer,
        gzip: false,
    }) = crate::data::formats::zeek::sniff(&head)
    else {
        return None;
    };
    let mut conn = ConnLines::new(writer, name);
    conn.header_from(&String::from_utf8_lossy(&head));
    conn.has_header().then_some(conn)
}
