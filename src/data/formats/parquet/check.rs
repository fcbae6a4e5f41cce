//! A structural check of a Parquet file before polars decodes it.
//!
//! Why by hand: polars' Parquet reader trusts the file's metadata. On damaged input (found by the
//! `parquet` fuzz target) it `unwrap`s out-of-range enum values in page headers, which can happen
//! on one of its pool threads where the panic cannot always be contained, and it sizes a `Vec`
//! from a list length in the footer, which aborts the process when the length is absurd (an
//! allocation failure cannot be caught at all). No crate offers "is this footer and page layout
//! sane" on its own, so this module decodes the footer and every page header with the thrift
//! decoder of `polars-parquet-format` (the generated one, which returns errors and refuses to
//! allocate more than a byte budget) and checks what polars would otherwise trust: the footer
//! fits the file, each column chunk lies inside the file, each page header decodes, names a page
//! type, encodings and codec polars knows, and stays inside its chunk. It reads only the footer
//! and the page headers, never the page data.

use std::fs::File;
use std::io::{Cursor, Read, Seek, SeekFrom};
use std::path::Path;

use polars_parquet_format::thrift::protocol::TCompactInputProtocol;
use polars_parquet_format::{
    ColumnMetaData, CompressionCodec, Encoding, FileMetaData, PageHeader, PageType,
};

/// The magic bytes at both ends of a Parquet file.
const MAGIC: &[u8; 4] = b"PAR1";

/// The largest footer accepted (the file metadata): real files have kilobytes to a few
/// megabytes; a larger length is damage.
pub const MAX_FOOTER_BYTES: u64 = 256 * 1024 * 1024;

/// The largest page header accepted (headers hold small statistics; polars' own limit on a page is
/// larger than any header).
const MAX_PAGE_HEADER_BYTES: u64 = 16 * 1024 * 1024;

/// The largest uncompressed page accepted: polars allocates this much to decompress a page.
/// Writers use pages of about 1 MiB; 1 GiB leaves room for any real writer.
pub const MAX_UNCOMPRESSED_PAGE_BYTES: i32 = 1 << 30;

/// How much memory, per byte of encoded thrift, the decoder may reserve for lists and strings.
/// Every list element takes at least one byte of the encoding and is counted as 8 bytes by the
/// decoder, so a well-formed footer never needs more than 8 per byte.
const THRIFT_BUDGET_PER_BYTE: usize = 8;

/// Why a Parquet file is refused before decoding; the message is shown after "the file is
/// damaged".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Damaged(pub String);

/// The bytes of a Parquet file, read at offsets.
pub trait ReadAt {
    /// The total length in bytes.
    fn len(&self) -> u64;
    /// Reads `len` bytes at `offset` (fewer at the end of the data).
    fn read_at(&mut self, offset: u64, len: u64) -> std::io::Result<Vec<u8>>;
}

impl ReadAt for &[u8] {
    fn len(&self) -> u64 {
        <[u8]>::len(self) as u64
    }

    fn read_at(&mut self, offset: u64, len: u64) -> std::io::Result<Vec<u8>> {
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.len());
        let end = usize::try_from(offset.saturating_add(len))
            .unwrap_or(usize::MAX)
            .min(<[u8]>::len(self));
        Ok(self[start..end].to_vec())
    }
}

/// A file with its length, read at offsets.
pub struct FileAt {
    file: File,
    len: u64,
}

impl FileAt {
    /// Opens `path` for reading.
    pub fn open(path: &Path) -> std::io::Result<FileAt> {
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        Ok(FileAt { file, len })
    }
}

impl ReadAt for FileAt {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_at(&mut self, offset: u64, len: u64) -> std::io::Result<Vec<u8>> {
        self.file.seek(SeekFrom::Start(offset))?;
        let mut out = Vec::new();
        (&mut self.file).take(len).read_to_end(&mut out)?;
        Ok(out)
    }
}

/// Checks the footer and every page header of a Parquet file; `Ok` means polars may decode it.
pub fn check(data: &mut impl ReadAt) -> Result<(), CheckError> {
    let len = data.len();
    if len < 12 {
        return Err(damaged(format!(
            "{len} bytes is too short for a Parquet file"
        )));
    }
    if data.read_at(0, 4)? != MAGIC {
        return Err(damaged("it does not start with the PAR1 magic".into()));
    }
    let tail = data.read_at(len - 8, 8)?;
    if tail.len() != 8 || &tail[4..] != MAGIC {
        return Err(damaged(
            "it does not end with the PAR1 magic (a cut-off file?)".into(),
        ));
    }
    let footer_len = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
    if footer_len > len - 12 {
        return Err(damaged(format!(
            "its footer claims {footer_len} bytes but the file has {len}"
        )));
    }
    if footer_len > MAX_FOOTER_BYTES {
        return Err(damaged(format!(
            "its footer claims {footer_len} bytes, more than the {MAX_FOOTER_BYTES} accepted"
        )));
    }
    let footer_start = len - 8 - footer_len;
    let footer = data.read_at(footer_start, footer_len)?;
    let budget = footer
        .len()
        .saturating_mul(THRIFT_BUDGET_PER_BYTE)
        .saturating_add(1024);
    let mut protocol = TCompactInputProtocol::new(footer.as_slice(), budget);
    let metadata = FileMetaData::read_from_in_protocol(&mut protocol).map_err(|e| {
        damaged(format!(
            "its file metadata cannot be decoded ({})",
            reason(&e)
        ))
    })?;
    check_metadata(&metadata)?;
    for (g, group) in metadata.row_groups.iter().enumerate() {
        for (c, chunk) in group.columns.iter().enumerate() {
            let place = format!("row group {g}, column {c}");
            if chunk.file_path.is_some() {
                return Err(damaged(format!(
                    "{place} is stored in another file, which TrafficLens does not read"
                )));
            }
            let meta = chunk
                .meta_data
                .as_ref()
                .ok_or_else(|| damaged(format!("{place} has no column metadata")))?;
            check_chunk(data, meta, footer_start, &place)?;
        }
    }
    Ok(())
}

/// Why a check failed: damage, or an I/O error while reading.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The file is damaged; the message says where.
    #[error(transparent)]
    Damaged(#[from] Damaged),
    /// Reading the file failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// The thrift decoder's error in words: its kind and, where it has one, its message.
fn reason(e: &polars_parquet_format::thrift::Error) -> String {
    use polars_parquet_format::thrift::Error;
    let message = match e {
        Error::Transport(t) => &t.message,
        Error::Protocol(p) => &p.message,
        Error::Application(a) => &a.message,
    };
    if message.is_empty() {
        e.to_string()
    } else {
        format!("{e}: {message}")
    }
}

fn damaged(message: String) -> CheckError {
    CheckError::Damaged(Damaged(message))
}

/// The counts polars trusts in the footer.
fn check_metadata(metadata: &FileMetaData) -> Result<(), CheckError> {
    if metadata.schema.is_empty() {
        return Err(damaged("its schema is empty".into()));
    }
    if metadata.num_rows < 0 {
        return Err(damaged(format!(
            "its footer claims {} rows",
            metadata.num_rows
        )));
    }
    for element in &metadata.schema {
        if let Some(t) = element.type_ {
            if !(0..=7).contains(&t.0) {
                return Err(damaged(format!(
                    "column {:?} has an unknown physical type {}",
                    element.name, t.0
                )));
            }
        }
        if element.num_children.is_some_and(|n| n < 0) {
            return Err(damaged(format!(
                "column {:?} claims a negative number of children",
                element.name
            )));
        }
    }
    for (g, group) in metadata.row_groups.iter().enumerate() {
        if group.num_rows < 0 {
            return Err(damaged(format!(
                "row group {g} claims {} rows",
                group.num_rows
            )));
        }
    }
    Ok(())
}

/// A codec polars can decompress.
fn known_codec(codec: CompressionCodec) -> bool {
    (0..=7).contains(&codec.0)
}

/// An encoding polars knows (PLAIN, PLAIN_DICTIONARY, RLE, BIT_PACKED, the DELTA ones,
/// RLE_DICTIONARY, BYTE_STREAM_SPLIT; 1 was never assigned).
fn known_encoding(encoding: Encoding) -> bool {
    matches!(encoding.0, 0 | 2..=9)
}

/// A column chunk lies inside the file's data and its page headers are sane.
fn check_chunk(
    data: &mut impl ReadAt,
    meta: &ColumnMetaData,
    footer_start: u64,
    place: &str,
) -> Result<(), CheckError> {
    if !(0..=7).contains(&meta.type_.0) {
        return Err(damaged(format!(
            "{place} has an unknown physical type {}",
            meta.type_.0
        )));
    }
    if !known_codec(meta.codec) {
        return Err(damaged(format!(
            "{place} uses an unknown compression codec {}",
            meta.codec.0
        )));
    }
    if meta.num_values < 0 {
        return Err(damaged(format!(
            "{place} claims {} values",
            meta.num_values
        )));
    }
    let start = match meta.dictionary_page_offset {
        Some(d) if d > 0 && d < meta.data_page_offset => d,
        _ => meta.data_page_offset,
    };
    let size = meta.total_compressed_size;
    let inside = |v: i64| u64::try_from(v).ok();
    let (Some(start), Some(size)) = (inside(start), inside(size)) else {
        return Err(damaged(format!(
            "{place} has a negative offset or size ({start}, {size})"
        )));
    };
    let end = start.saturating_add(size);
    if start < MAGIC.len() as u64 || end > footer_start {
        return Err(damaged(format!(
            "{place} claims bytes {start} to {end}, outside the data part of the file (4 to {footer_start})"
        )));
    }
    let mut position = start;
    let mut values_seen: i64 = 0;
    // Pages are read as polars reads them: until the chunk's values are all seen.
    while values_seen < meta.num_values && position < end {
        let (header, header_len) = read_page_header(data, position, end, place)?;
        let page_place = format!("{place}, page at byte {position}");
        let compressed = check_page(&header, &page_place)?;
        let values = page_values(&header);
        values_seen = values_seen.saturating_add(i64::from(values.max(0)));
        position = position
            .saturating_add(header_len)
            .saturating_add(compressed);
        if position > end {
            return Err(damaged(format!(
                "{page_place} runs past the end of its column chunk (byte {end})"
            )));
        }
    }
    Ok(())
}

/// Decodes the page header at `position`, reading a larger window when the first is too small.
fn read_page_header(
    data: &mut impl ReadAt,
    position: u64,
    end: u64,
    place: &str,
) -> Result<(PageHeader, u64), CheckError> {
    let available = end - position;
    let mut window = 4096u64.min(available);
    loop {
        let bytes = data.read_at(position, window)?;
        let mut cursor = Cursor::new(bytes.as_slice());
        let budget = bytes
            .len()
            .saturating_mul(THRIFT_BUDGET_PER_BYTE)
            .saturating_add(1024);
        let mut protocol = TCompactInputProtocol::new(&mut cursor, budget);
        match PageHeader::read_from_in_protocol(&mut protocol) {
            Ok(header) => return Ok((header, cursor.position())),
            Err(e) => {
                let bigger = window.saturating_mul(16).min(available);
                if bigger > window && bigger <= MAX_PAGE_HEADER_BYTES {
                    window = bigger;
                    continue;
                }
                return Err(damaged(format!(
                    "{place}: the page header at byte {position} cannot be decoded ({})",
                    reason(&e)
                )));
            }
        }
    }
}

/// The values a page holds (what polars counts to know when a chunk ends).
fn page_values(header: &PageHeader) -> i32 {
    if let Some(h) = &header.data_page_header {
        h.num_values
    } else if let Some(h) = &header.data_page_header_v2 {
        h.num_values
    } else {
        0
    }
}

/// One page header: type, sizes and encodings polars will trust. Returns the page's byte length.
fn check_page(header: &PageHeader, place: &str) -> Result<u64, CheckError> {
    let compressed = u64::try_from(header.compressed_page_size)
        .map_err(|_| damaged(format!("{place} claims a negative size")))?;
    if header.uncompressed_page_size < 0
        || header.uncompressed_page_size > MAX_UNCOMPRESSED_PAGE_BYTES
    {
        return Err(damaged(format!(
            "{place} claims {} bytes uncompressed (at most {MAX_UNCOMPRESSED_PAGE_BYTES} accepted)",
            header.uncompressed_page_size
        )));
    }
    let bad_encoding = |what: &str, e: Encoding| {
        damaged(format!("{place} uses an unknown {what} encoding {}", e.0))
    };
    match header.type_ {
        PageType::DATA_PAGE => {
            let h = header.data_page_header.as_ref().ok_or_else(|| {
                damaged(format!("{place} is a data page without its data header"))
            })?;
            for (what, e) in [
                ("value", h.encoding),
                ("definition level", h.definition_level_encoding),
                ("repetition level", h.repetition_level_encoding),
            ] {
                if !known_encoding(e) {
                    return Err(bad_encoding(what, e));
                }
            }
            if h.num_values < 0 {
                return Err(damaged(format!("{place} claims {} values", h.num_values)));
            }
        }
        PageType::DATA_PAGE_V2 => {
            let h = header.data_page_header_v2.as_ref().ok_or_else(|| {
                damaged(format!("{place} is a data page without its data header"))
            })?;
            if !known_encoding(h.encoding) {
                return Err(bad_encoding("value", h.encoding));
            }
            let levels = i64::from(h.definition_levels_byte_length)
                + i64::from(h.repetition_levels_byte_length);
            if h.num_values < 0
                || h.num_nulls < 0
                || h.num_rows < 0
                || h.definition_levels_byte_length < 0
                || h.repetition_levels_byte_length < 0
                || levels > i64::from(header.compressed_page_size)
            {
                return Err(damaged(format!(
                    "{place} has inconsistent counts or level lengths"
                )));
            }
        }
        PageType::DICTIONARY_PAGE => {
            let h = header.dictionary_page_header.as_ref().ok_or_else(|| {
                damaged(format!(
                    "{place} is a dictionary page without its dictionary header"
                ))
            })?;
            if !known_encoding(h.encoding) {
                return Err(bad_encoding("dictionary", h.encoding));
            }
            if h.num_values < 0 {
                return Err(damaged(format!("{place} claims {} values", h.num_values)));
            }
        }
        other => {
            return Err(damaged(format!(
                "{place} has page type {}, which polars does not read in a column chunk",
                other.0
            )))
        }
    }
    Ok(compressed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_short_and_wrong_magic_are_damage() {
        let mut short: &[u8] = b"PAR1PAR1";
        assert!(matches!(check(&mut short), Err(CheckError::Damaged(_))));
        let mut wrong: &[u8] = b"PAR1\0\0\0\0\0\0\0\0\x00\x00\x00\x00XXXX";
        let e = check(&mut wrong).expect_err("no end magic");
        assert!(e.to_string().contains("PAR1 magic"), "{e}");
    }

    #[test]
    fn a_footer_longer_than_the_file_is_damage() {
        let mut bytes = b"PAR1".to_vec();
        bytes.extend_from_slice(&[0; 8]);
        bytes.extend_from_slice(&1000u32.to_le_bytes());
        bytes.extend_from_slice(b"PAR1");
        let e = check(&mut bytes.as_slice()).expect_err("footer too long");
        assert!(e.to_string().contains("footer claims 1000 bytes"), "{e}");
    }

    #[test]
    fn known_encodings_are_the_ones_polars_reads() {
        assert!(known_encoding(Encoding::PLAIN));
        assert!(known_encoding(Encoding::RLE_DICTIONARY));
        assert!(known_encoding(Encoding::BYTE_STREAM_SPLIT));
        assert!(!known_encoding(Encoding(1)));
        assert!(!known_encoding(Encoding(10)));
        assert!(!known_encoding(Encoding(-3)));
    }
}
