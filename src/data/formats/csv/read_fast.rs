//! The fast path for plain delimited text: no quotes, every row with the header's number of
//! fields, numbers that parse. The file is split at line breaks into parts that are read with
//! positioned reads and parsed in parallel, straight into columns. Anything unusual returns
//! `None`, and the caller reads the file with polars instead (which then also produces the
//! precise error, with line and column).

use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use super::delimiters::Delimiters;
use super::header::{check_header_is_not_data, NULL_VALUES};
use super::scan::{parse_header, LINE_LIMIT};
use crate::clock::ClockPoints;
use crate::control::Control;
use crate::data::table::{Locator, RawColumn, Reader, Table};
use crate::data::text_column::TextColumn;
use crate::data::time::{is_time_name, parse_iso, parse_iso_zoned, NO_TIME};
use crate::data::{LoadError, Source};
use crate::zone::ZoneSeen;

/// Size of each positioned read.
const BLOCK: usize = 8 << 20;
/// Rows used to decide which columns are numeric.
const SAMPLE_ROWS: usize = 1000;
/// Smallest part worth a task of its own.
const MIN_PART: u64 = 4 << 20;

/// What a column holds, decided from the first rows.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Number,
    Text,
    /// ISO dates or date-times, converted to epoch milliseconds while reading.
    IsoTime,
}

/// Parsed columns of one part of the file.
struct Part {
    times: Vec<i64>,
    /// The offsets the times were written with.
    zone: ZoneSeen,
    /// Where those offsets changed.
    clock: ClockPoints,
    numbers: Vec<Vec<f64>>,
    texts: Vec<TextColumn>,
    starts: Vec<u64>,
}

/// Reads `source` with the fast path, or returns `None` if the file is not plain.
pub fn try_read(
    source: &Source,
    delimiter: u8,
    bom_len: usize,
    options: &crate::data::LoadOptions,
    control: Control<'_>,
) -> Result<Option<Table>, LoadError> {
    let len = source.fingerprint()?.len;
    let reader = PositionedReader::open(source)?;
    let Some((header_start, data_start)) = find_header(&reader, bom_len as u64, len)? else {
        return Ok(None);
    };
    let mut header_bytes = vec![0u8; (data_start - header_start) as usize];
    reader.read_exact_at(&mut header_bytes, header_start)?;
    let header_line = header_bytes.strip_suffix(b"\n").unwrap_or(&header_bytes);
    if header_line.iter().filter(|&&b| b == b'"').count() % 2 == 1 {
        return Ok(None);
    }
    let header = parse_header(header_line, delimiter, source.path())?;
    check_header_is_not_data(source, &header)?;
    // The column that the loader will take as the time column, if it is named so: when its
    // first values are ISO times, it is parsed while reading.
    let time_hint = if options.no_time {
        None
    } else if let Some(name) = &options.time_column {
        header.iter().position(|h| h == name)
    } else {
        header.iter().position(|h| is_time_name(h))
    };
    let Some(kinds) = sample_kinds(&reader, data_start, len, delimiter, header.len(), time_hint)?
    else {
        return Ok(None);
    };

    let bounds = split(&reader, data_start, len)?;
    let progress = BytesDone {
        control,
        done: AtomicU64::new(data_start),
        len: len.max(1),
    };
    let parts: Vec<Option<Part>> = bounds
        .par_windows(2)
        .map(|w| parse_part(&reader, w[0], w[1], delimiter, &kinds, &progress))
        .collect::<Result<_, _>>()?;
    let Some(parts) = parts.into_iter().collect::<Option<Vec<Part>>>() else {
        return Ok(None);
    };
    let rows: usize = parts.iter().map(|p| p.starts.len()).sum();
    if rows == 0 {
        return Ok(None);
    }
    Ok(Some(assemble(
        source, header, &kinds, parts, rows, delimiter,
    )))
}

/// Joins the parts into one table, freeing each part's columns as they are copied; the columns
/// are joined in parallel.
fn assemble(
    source: &Source,
    header: Vec<String>,
    kinds: &[Kind],
    mut parts: Vec<Part>,
    rows: usize,
    delimiter: u8,
) -> Table {
    let numeric = kinds.iter().filter(|k| **k == Kind::Number).count();
    let textual = kinds.iter().filter(|k| **k == Kind::Text).count();
    let mut starts: Vec<Vec<u64>> = Vec::with_capacity(parts.len());
    let mut times: Vec<Vec<i64>> = Vec::with_capacity(parts.len());
    let zone = parts
        .iter()
        .fold(ZoneSeen::default(), |z, p| z.merge(p.zone))
        .zone();
    let mut clock = Some(
        parts
            .iter_mut()
            .fold(ClockPoints::default(), |c, p| {
                c.merge(std::mem::take(&mut p.clock))
            })
            .finish(),
    );
    let mut numbers: Vec<Vec<Vec<f64>>> = (0..numeric)
        .map(|_| Vec::with_capacity(parts.len()))
        .collect();
    let mut texts: Vec<Vec<TextColumn>> = (0..textual)
        .map(|_| Vec::with_capacity(parts.len()))
        .collect();
    for p in parts {
        starts.push(p.starts);
        times.push(p.times);
        for (pieces, piece) in numbers.iter_mut().zip(p.numbers) {
            pieces.push(piece);
        }
        for (pieces, piece) in texts.iter_mut().zip(p.texts) {
            pieces.push(piece);
        }
    }
    let ((starts, times), (numbers, texts)) = rayon::join(
        || {
            rayon::join(
                || join(starts, rows),
                || {
                    if kinds.contains(&Kind::IsoTime) {
                        join(times, rows)
                    } else {
                        Vec::new()
                    }
                },
            )
        },
        || {
            rayon::join(
                || {
                    numbers
                        .into_par_iter()
                        .map(|pieces| join(pieces, rows))
                        .collect::<Vec<_>>()
                },
                || {
                    texts
                        .into_par_iter()
                        .map(|pieces| {
                            let mut col = TextColumn::with_capacity(rows, 0);
                            for piece in &pieces {
                                col.append(piece);
                            }
                            col
                        })
                        .collect::<Vec<_>>()
                },
            )
        },
    );
    let mut numbers = numbers.into_iter();
    let mut texts = texts.into_iter();
    let mut times = Some(times);
    let mut columns = Vec::with_capacity(kinds.len());
    for kind in kinds {
        columns.push(match kind {
            Kind::Number => RawColumn::Numeric(numbers.next().unwrap_or_default()),
            Kind::Text => RawColumn::Text(texts.next().unwrap_or_default()),
            Kind::IsoTime => RawColumn::Time(
                times.take().unwrap_or_default(),
                zone,
                clock.take().unwrap_or_default(),
            ),
        });
    }
    Table {
        names: header.clone(),
        columns,
        rows,
        reader: Reader::FastCsv,
        locator: Locator::Csv {
            source: source.clone(),
            starts,
            delimiter,
            header,
        },
    }
}

/// The pieces of one column, one per part, joined: the first grown in place (which the
/// allocator can often do without copying), the others copied after it.
fn join<T: Copy>(pieces: Vec<Vec<T>>, rows: usize) -> Vec<T> {
    let mut col: Vec<T> = Vec::new();
    for piece in pieces {
        if col.is_empty() {
            col = piece;
            col.reserve_exact(rows.saturating_sub(col.len()));
        } else {
            col.extend_from_slice(&piece);
        }
    }
    col
}

/// Finds the header line (skipping blank lines): its start and the offset after its line break.
fn find_header(
    reader: &PositionedReader,
    from: u64,
    len: u64,
) -> Result<Option<(u64, u64)>, LoadError> {
    let mut start = from;
    let mut buf = vec![0u8; 64 * 1024];
    let mut pos = from;
    while pos < len && pos - start <= LINE_LIMIT {
        let n = reader.read_at(&mut buf, pos)?;
        if n == 0 {
            break;
        }
        for (i, &b) in buf[..n].iter().enumerate() {
            let at = pos + i as u64;
            if b == b'\n' {
                if at == start || buf_is_blank(reader, start, at)? {
                    start = at + 1;
                    continue;
                }
                return Ok(Some((start, at + 1)));
            }
        }
        pos += n as u64;
    }
    Ok(None)
}

/// True when the bytes in `[from, to)` are all white space.
fn buf_is_blank(reader: &PositionedReader, from: u64, to: u64) -> Result<bool, LoadError> {
    if to - from > 1024 {
        return Ok(false);
    }
    let mut b = vec![0u8; (to - from) as usize];
    reader.read_exact_at(&mut b, from)?;
    Ok(b.iter().all(u8::is_ascii_whitespace))
}

/// Decides from the first rows which columns are numbers; `None` if those rows are not plain.
fn sample_kinds(
    reader: &PositionedReader,
    data_start: u64,
    len: u64,
    delimiter: u8,
    width: usize,
    time_hint: Option<usize>,
) -> Result<Option<Vec<Kind>>, LoadError> {
    let mut take = (len - data_start).min(1 << 20) as usize;
    let mut buf = vec![0u8; take];
    reader.read_exact_at(&mut buf, data_start)?;
    if data_start + (take as u64) < len && memchr::memchr(b'\n', &buf).is_none() {
        // A very wide table's first row can be longer than the sample: read on to its end (up
        // to the line cap), rather than give the file to polars, which needs far more memory
        // per column.
        take = (len - data_start).min(LINE_LIMIT + 1) as usize;
        buf = vec![0u8; take];
        reader.read_exact_at(&mut buf, data_start)?;
    }
    if memchr::memchr(b'"', &buf).is_some() {
        return Ok(None);
    }
    let complete = if data_start + take as u64 == len {
        &buf[..]
    } else {
        match memchr::memrchr(b'\n', &buf) {
            Some(i) => &buf[..i],
            None => return Ok(None),
        }
    };
    let mut seen_number = vec![false; width];
    let mut all_numbers = vec![true; width];
    let mut all_iso = time_hint.is_some();
    let mut rows = 0;
    for line in complete.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let mut fields = 0;
        for (i, cell) in line.split(|&b| b == delimiter).enumerate() {
            fields += 1;
            if i >= width {
                return Ok(None);
            }
            if Some(i) == time_hint && !cell.trim_ascii().is_empty() {
                all_iso &= std::str::from_utf8(cell).ok().and_then(parse_iso).is_some();
            }
            match parse_number(cell) {
                Cell::Number(_) => seen_number[i] = true,
                Cell::Missing => {}
                Cell::Text => all_numbers[i] = false,
            }
        }
        if fields != width {
            return Ok(None);
        }
        rows += 1;
        if rows >= SAMPLE_ROWS {
            break;
        }
    }
    Ok(Some(
        (0..width)
            .map(|i| {
                if Some(i) == time_hint && all_iso {
                    Kind::IsoTime
                } else if all_numbers[i] && seen_number[i] {
                    Kind::Number
                } else {
                    Kind::Text
                }
            })
            .collect(),
    ))
}

/// A cell read as a number.
pub(crate) enum Cell {
    /// A number.
    Number(f64),
    /// Empty or a missing marker ([`super::NULL_VALUES`]).
    Missing,
    /// Anything else.
    Text,
}

/// Parses a numeric cell: missing markers give `Missing`, anything else that is not a number `Text`.
pub(crate) fn parse_number(cell: &[u8]) -> Cell {
    // Short plain decimals by hand; longer ones (full-precision floats, 17 digits) straight to
    // fast-float, without first scanning them to find they have too many digits. Both round
    // correctly, so which one reads a cell does not change its value.
    if cell.len() <= 16 {
        if let Some(v) = parse_simple_decimal(cell) {
            return Cell::Number(v);
        }
    }
    if let Ok(v) = fast_float2::parse::<f64, _>(cell) {
        // fast-float accepts "nan" and "inf" spellings; those go the long way below.
        if v.is_finite() {
            return Cell::Number(v);
        }
    }
    let cell = cell.trim_ascii();
    if cell.is_empty() {
        return Cell::Missing;
    }
    if let Some(v) = parse_simple_decimal(cell) {
        return Cell::Number(v);
    }
    if let Ok(v) = fast_float2::parse::<f64, _>(cell) {
        // fast-float accepts "nan" and "inf" spellings; missing markers are checked first.
        if v.is_finite() {
            return Cell::Number(v);
        }
    }
    match std::str::from_utf8(cell) {
        Ok(t) if NULL_VALUES.contains(&t) => Cell::Missing,
        Ok(t) => match t.parse::<f64>() {
            Ok(v) => Cell::Number(v),
            Err(_) => Cell::Text,
        },
        Err(_) => Cell::Text,
    }
}

/// Powers of ten that are exact in an `f64`.
const POW10: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// Parses plain decimals such as `-123.45` exactly and fast: with at most 15 digits the digits
/// form an exact integer and dividing by an exact power of ten rounds correctly, so the result is
/// the same as a full parser's. Anything else (exponents, more digits) returns `None`.
#[inline]
fn parse_simple_decimal(cell: &[u8]) -> Option<f64> {
    let (negative, digits) = match cell.first()? {
        b'-' => (true, &cell[1..]),
        b'+' => (false, &cell[1..]),
        _ => (false, cell),
    };
    let mut mantissa: u64 = 0;
    let mut count = 0usize;
    let mut fraction: Option<usize> = None;
    for (i, &b) in digits.iter().enumerate() {
        match b {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(b - b'0');
                count += 1;
            }
            b'.' if fraction.is_none() => fraction = Some(i),
            _ => return None,
        }
    }
    if count == 0 || count > 15 {
        return None;
    }
    let scale = fraction.map_or(0, |i| digits.len() - i - 1);
    let v = mantissa as f64 / POW10[scale];
    Some(if negative { -v } else { v })
}

/// Splits `[data_start, len)` into parts that begin at line starts.
fn split(reader: &PositionedReader, data_start: u64, len: u64) -> Result<Vec<u64>, LoadError> {
    let threads = rayon::current_num_threads() as u64;
    // One part per thread: the parts' columns are joined by growing the first part's (which the
    // allocator can do without copying) and copying the others, so fewer parts copy less.
    let parts = ((len - data_start) / MIN_PART).clamp(1, threads);
    let step = (len - data_start) / parts;
    let mut bounds = vec![data_start];
    let mut buf = vec![0u8; 64 * 1024];
    for k in 1..parts {
        let mut pos = data_start + k * step;
        if pos <= *bounds.last().unwrap_or(&0) {
            continue;
        }
        loop {
            let n = reader.read_at(&mut buf, pos)?;
            if n == 0 {
                pos = len;
                break;
            }
            if let Some(i) = memchr::memchr(b'\n', &buf[..n]) {
                pos += i as u64 + 1;
                break;
            }
            pos += n as u64;
        }
        if pos < len {
            bounds.push(pos);
        }
    }
    bounds.push(len);
    Ok(bounds)
}

/// The bytes parsed so far by every part, reported as a share of the file; the parts add to it
/// after each block, and stop when the cancel flag is set.
struct BytesDone<'a> {
    control: Control<'a>,
    done: AtomicU64,
    len: u64,
}

impl BytesDone<'_> {
    /// Stops with [`LoadError::Cancelled`] if asked to.
    fn check(&self) -> Result<(), LoadError> {
        if self.control.cancelled() {
            return Err(LoadError::Cancelled);
        }
        Ok(())
    }

    /// Counts `bytes` more parsed and reports the share done.
    fn add(&self, bytes: u64) {
        let done = self.done.fetch_add(bytes, Ordering::Relaxed) + bytes;
        self.control
            .report((done as f64 / self.len as f64).min(1.0) as f32);
    }
}

/// Parses the rows in `[start, end)`; `None` if something is not plain. Checks the cancel flag
/// before each block of [`BLOCK`] bytes and reports the bytes read after it.
fn parse_part(
    reader: &PositionedReader,
    start: u64,
    end: u64,
    delimiter: u8,
    kinds: &[Kind],
    progress: &BytesDone<'_>,
) -> Result<Option<Part>, LoadError> {
    // A row takes at least one byte per field (a delimiter or the line break), so a wide table
    // has few rows: room for more would be reserved (and touched) once per column.
    let guess_rows = ((end - start) / (kinds.len() as u64).max(48)) as usize;
    let numeric = kinds.iter().filter(|k| **k == Kind::Number).count();
    let mut part = Part {
        zone: ZoneSeen::default(),
        clock: ClockPoints::default(),
        times: if kinds.contains(&Kind::IsoTime) {
            Vec::with_capacity(guess_rows)
        } else {
            Vec::new()
        },
        numbers: (0..numeric)
            .map(|_| Vec::with_capacity(guess_rows))
            .collect(),
        texts: (0..kinds.iter().filter(|k| **k == Kind::Text).count())
            .map(|_| TextColumn::with_capacity(guess_rows, guess_rows * 20))
            .collect(),
        starts: Vec::with_capacity(guess_rows),
    };
    let mut buf = vec![0u8; BLOCK.min((end - start) as usize + 1)];
    let mut carried = 0usize;
    let mut pos = start;
    let mut line_start = start;
    loop {
        progress.check()?;
        let room = buf.len() - carried;
        let want = room.min((end - pos) as usize);
        if want > 0 {
            reader.read_exact_at(&mut buf[carried..carried + want], pos)?;
            progress.add(want as u64);
        }
        pos += want as u64;
        let filled = carried + want;
        let at_end = pos == end;
        let block = &buf[..filled];
        if memchr::memchr(b'"', &block[carried..]).is_some() {
            return Ok(None);
        }
        let from = match parse_lines(
            &block[..filled],
            line_start,
            delimiter,
            kinds,
            &mut part,
            at_end,
        ) {
            Some(consumed) => consumed,
            None => return Ok(None),
        };
        line_start += from as u64;
        if at_end {
            break;
        }
        // Move the unfinished line to the front; grow the buffer for a line longer than it.
        let rest = filled - from;
        if rest as u64 > LINE_LIMIT {
            // The scan before polars' reader names the line and its length.
            return Ok(None);
        }
        buf.copy_within(from..filled, 0);
        carried = rest;
        if carried == buf.len() {
            buf.resize(buf.len() * 2, 0);
        }
    }
    Ok(Some(part))
}

/// Parses the complete lines of `block` (and, `at_end`, the unterminated last one) into the
/// part's columns, jumping from delimiter to delimiter with a block mask ([`Delimiters`]). Returns how
/// many bytes were consumed, or `None` if a line is not plain (or longer than [`LINE_LIMIT`]).
fn parse_lines(
    block: &[u8],
    offset: u64,
    delimiter: u8,
    kinds: &[Kind],
    part: &mut Part,
    at_end: bool,
) -> Option<usize> {
    let width = kinds.len();
    let mut line_start = 0usize;
    let mut cell_start = 0usize;
    let mut field = 0usize;
    let (mut ni, mut ti) = (0usize, 0usize);
    let finish_line = |part: &mut Part,
                       cell: &[u8],
                       field: usize,
                       ni: &mut usize,
                       ti: &mut usize,
                       line_start: usize|
     -> Option<()> {
        let cell = cell.strip_suffix(b"\r").unwrap_or(cell);
        if field == 0 && cell.iter().all(u8::is_ascii_whitespace) && width > 1 {
            return Some(()); // blank line
        }
        if field + 1 != width {
            return None;
        }
        if field == 0 && cell.iter().all(u8::is_ascii_whitespace) {
            return Some(()); // blank line in a one-column file
        }
        push_cell(part, kinds[field], cell, ni, ti)?;
        part.starts.push(offset + line_start as u64);
        Some(())
    };
    for pos in Delimiters::new(block, delimiter, b'\n') {
        let cell = &block[cell_start..pos];
        if block[pos] == b'\n' {
            if (pos - line_start) as u64 > LINE_LIMIT {
                return None; // the scan names the line
            }
            finish_line(part, cell, field, &mut ni, &mut ti, line_start)?;
            line_start = pos + 1;
            field = 0;
            ni = 0;
            ti = 0;
        } else {
            if field + 1 >= width {
                return None;
            }
            push_cell(part, kinds[field], cell, &mut ni, &mut ti)?;
            field += 1;
        }
        cell_start = pos + 1;
    }
    if at_end && line_start < block.len() {
        if (block.len() - line_start) as u64 > LINE_LIMIT {
            return None; // the scan names the line
        }
        let cell = &block[cell_start..];
        finish_line(part, cell, field, &mut ni, &mut ti, line_start)?;
        return Some(block.len());
    }
    // Cells of an unfinished line were pushed already: take them back, the line is parsed again
    // with the next block.
    if field > 0 {
        for kind in &kinds[..field] {
            match kind {
                Kind::Number => {
                    ni -= 1;
                    part.numbers[ni].pop();
                }
                Kind::Text => {
                    ti -= 1;
                    part.texts[ti].pop();
                }
                Kind::IsoTime => {
                    part.times.pop();
                }
            }
        }
    }
    Some(line_start)
}

/// Parses one cell into the next column of its kind.
#[inline]
fn push_cell(
    part: &mut Part,
    kind: Kind,
    cell: &[u8],
    ni: &mut usize,
    ti: &mut usize,
) -> Option<()> {
    match kind {
        Kind::Number => {
            let v = match parse_number(cell) {
                Cell::Number(v) => v,
                Cell::Missing => f64::NAN,
                Cell::Text => return None,
            };
            part.numbers[*ni].push(v);
            *ni += 1;
        }
        Kind::Text => {
            let text = std::str::from_utf8(cell).ok()?;
            part.texts[*ti].push(text);
            *ti += 1;
        }
        Kind::IsoTime => {
            let cell = cell.trim_ascii();
            let ms = if cell.is_empty() {
                NO_TIME
            } else {
                let (ms, offset) = parse_iso_zoned(std::str::from_utf8(cell).ok()?)?;
                part.zone.note(offset);
                part.clock.note(ms, offset);
                ms
            };
            part.times.push(ms);
        }
    }
    Some(())
}

/// Positioned reads from a file or a memory buffer, usable from several threads at once.
struct PositionedReader {
    inner: Inner,
    path: std::path::PathBuf,
}

/// The data behind a [`PositionedReader`].
enum Inner {
    File(std::fs::File),
    Memory(std::sync::Arc<[u8]>),
}

impl PositionedReader {
    fn open(source: &Source) -> Result<Self, LoadError> {
        let inner = match source {
            Source::File(p) => {
                Inner::File(std::fs::File::open(p).map_err(|e| LoadError::io(p, e))?)
            }
            Source::Memory { bytes, .. } => Inner::Memory(bytes.clone()),
        };
        Ok(PositionedReader {
            inner,
            path: source.path().to_path_buf(),
        })
    }

    /// Reads up to `buf.len()` bytes at `offset`; 0 at the end.
    fn read_at(&self, buf: &mut [u8], offset: u64) -> Result<usize, LoadError> {
        let result = match &self.inner {
            Inner::File(f) => {
                #[cfg(unix)]
                {
                    std::os::unix::fs::FileExt::read_at(f, buf, offset)
                }
                #[cfg(windows)]
                {
                    std::os::windows::fs::FileExt::seek_read(f, buf, offset)
                }
            }
            Inner::Memory(bytes) => {
                let start = usize::try_from(offset)
                    .unwrap_or(usize::MAX)
                    .min(bytes.len());
                let n = buf.len().min(bytes.len() - start);
                buf[..n].copy_from_slice(&bytes[start..start + n]);
                Ok(n)
            }
        };
        result.map_err(|e| LoadError::io(&self.path, e))
    }

    /// Fills `buf` from `offset`; running out of data is an error.
    fn read_exact_at(&self, buf: &mut [u8], mut offset: u64) -> Result<(), LoadError> {
        let mut done = 0;
        while done < buf.len() {
            let n = self.read_at(&mut buf[done..], offset)?;
            if n == 0 {
                return Err(LoadError::io(
                    &self.path,
                    std::io::ErrorKind::UnexpectedEof.into(),
                ));
            }
            done += n;
            offset += n as u64;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A table of `width` columns (`c0`, `c1`...) and `rows` rows whose cells are `cell`.
    fn wide(width: usize, rows: usize, cell: &str) -> Source {
        let names: Vec<String> = (0..width).map(|i| format!("c{i}")).collect();
        let mut text = names.join(",");
        text.push('\n');
        let row = vec![cell; width].join(",");
        for _ in 0..rows {
            text.push_str(&row);
            text.push('\n');
        }
        Source::Memory {
            name: "wide.csv".into(),
            bytes: std::sync::Arc::from(text.into_bytes()),
        }
    }

    #[test]
    fn a_wide_table_reserves_no_room_for_rows_it_cannot_have() {
        let width = 20_000;
        let source = wide(width, 3, "7");
        let reader = PositionedReader::open(&source).expect("open");
        let len = source.fingerprint().expect("size").len;
        let (_, data_start) = find_header(&reader, 0, len)
            .expect("read")
            .expect("a header");
        let kinds = vec![Kind::Number; width];
        let progress = BytesDone {
            control: Control::default(),
            done: AtomicU64::new(0),
            len,
        };
        let part = parse_part(&reader, data_start, len, b',', &kinds, &progress)
            .expect("read")
            .expect("a plain table");
        assert_eq!(part.starts.len(), 3);
        // Room for a few rows per column, not for the rows a narrow table of this size has.
        let most = part.numbers.iter().map(Vec::capacity).max().unwrap_or(0);
        assert!(most <= 16, "{most} rows reserved per column");
        assert!(part.numbers.iter().all(|c| c == &[7.0; 3]));
    }

    #[test]
    fn a_first_row_longer_than_the_sample_is_read_fast() {
        // Rows of 1.2 MB: longer than the 1 MB sample, far below the line cap.
        let source = wide(100_000, 2, "12345678901");
        let table = try_read(
            &source,
            b',',
            0,
            &crate::data::LoadOptions::default(),
            Control::default(),
        )
        .expect("read")
        .expect("read by the fast reader");
        assert_eq!((table.rows, table.columns.len()), (2, 100_000));
        assert_eq!(table.reader, Reader::FastCsv);
    }

    #[test]
    fn simple_decimals_match_the_full_parser() {
        for text in [
            "0",
            "-0",
            "1",
            "123.45",
            "-19.2351",
            "0.1",
            "0.30000000000001",
            ".5",
            "5.",
            "+7.25",
            "999999999999999",
            "0.00000000000001",
        ] {
            let fast = parse_simple_decimal(text.as_bytes()).expect(text);
            let full: f64 = text.parse().expect(text);
            assert_eq!(fast.to_bits(), full.to_bits(), "{text}");
        }
        for text in [
            "1e5",
            "1234567890123456",
            "1.2.3",
            "-",
            ".",
            "12a",
            "",
            "nan",
        ] {
            assert!(parse_simple_decimal(text.as_bytes()).is_none(), "{text}");
        }
    }
}
