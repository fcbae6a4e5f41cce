//! The one place a file's kind is decided, from its name and first bytes: each format says
//! whether the file is its kind ([`super::access::sniff`], [`super::parquet::sniff`]), and
//! anything else must be delimited text ([`super::csv::sniff`]). A new input format adds a
//! variant to [`FileKind`], its folder beside these with its sniff and its read, a check here
//! and an arm in [`crate::data::load_source_with`]'s `match`.

use super::{access, argus, csv, flows, nfdump, parquet, pcap, zeek};
use crate::data::{LoadError, Source};

/// How many bytes are inspected to classify a file.
const SNIFF_BYTES: usize = 64 * 1024;

/// What a file is, decided once from its name and first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// Delimited text.
    Csv {
        /// The field delimiter.
        delimiter: u8,
        /// Length of a UTF-8 byte-order mark at the start (0 or 3).
        bom_len: usize,
        /// Whether numbers use a decimal comma (`1,5`), seen with `;` delimiters.
        decimal_comma: bool,
    },
    /// Apache Parquet.
    Parquet,
    /// A Zeek connection log (`conn.log`).
    ZeekConn {
        /// Whether it is gzip-compressed.
        gzip: bool,
        /// Which of Zeek's writers wrote it.
        writer: zeek::Writer,
    },
    /// A packet capture (pcap or pcapng), read into flows.
    Capture {
        /// Whether it is gzip-compressed.
        gzip: bool,
        /// Which container.
        format: pcap::CaptureFormat,
    },
    /// Flow records as text (nfdump CSV, Argus CSV), read into connections.
    FlowRecords {
        /// Whether it is gzip-compressed.
        gzip: bool,
        /// Which tool wrote them.
        format: flows::FlowFormat,
    },
    /// A web server access log (which log format it is, the access-log reader decides).
    AccessLog {
        /// Whether it is gzip-compressed.
        gzip: bool,
    },
}

/// Inspects the start of `source` and decides how to read it; `log_format_given` says the
/// caller named a log format, so the file is an access log whatever it looks like.
///
/// In order: a packet capture (by its magic number, plain or gzip, whatever the name); a Zeek connection log or flow records as text (nfdump's or Argus's CSV header; plain or gzip, unless a log format was given); gzip data is an access log (a gzip table is refused by the log reader with a
/// message saying to decompress it); with a log format given, or a name like `*.log`,
/// `*.log.*` or `*access_log*`, or first lines that parse as a known log format, the file is an
/// access log; `PAR1` is Parquet; anything else must be UTF-8 delimited text.
pub fn sniff(source: &Source, log_format_given: bool) -> Result<FileKind, LoadError> {
    let head = source.head(SNIFF_BYTES)?;
    if head.is_empty() {
        return Err(LoadError::Empty {
            path: source.path().to_path_buf(),
        });
    }
    let cut = head.len() == SNIFF_BYTES;
    if let Some(kind) = pcap::sniff(&head) {
        return Ok(kind);
    }
    if !log_format_given {
        if let Some(kind) = zeek::sniff(&head) {
            return Ok(kind);
        }
        if let Some(kind) = flow_records(&head) {
            return Ok(kind);
        }
    }
    if let Some(kind) = access::sniff(&head, cut, source.path(), log_format_given)? {
        return Ok(kind);
    }
    if let Some(kind) = parquet::sniff(&head) {
        return Ok(kind);
    }
    csv::sniff(&head, cut, source.path())
}

/// The kind of a file of flow records (nfdump or Argus CSV, plain or gzip) starting with `head`.
fn flow_records(head: &[u8]) -> Option<FileKind> {
    let gzip = head.starts_with(&[0x1f, 0x8b]);
    let text = if gzip {
        zeek::gunzip_start(head)
    } else {
        head.to_vec()
    };
    nfdump::sniff(&text, gzip).or_else(|| argus::sniff(&text, gzip))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sniffs `bytes` named `name`.
    fn kind(name: &str, bytes: &[u8], log_format_given: bool) -> Result<FileKind, LoadError> {
        let source = Source::Memory {
            name: name.into(),
            bytes: bytes.into(),
        };
        sniff(&source, log_format_given)
    }

    #[test]
    fn every_kind_is_decided_here() {
        let line =
            b"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 1 \"-\" \"UA\"\n";
        let table = b"time,hits\n2021-01-01,5\n";
        let gzip = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0];
        let plain_log = Some(FileKind::AccessLog { gzip: false });
        assert_eq!(kind("x.txt", line, false).ok(), plain_log);
        assert_eq!(kind("x.log", table, false).ok(), plain_log);
        assert_eq!(kind("x.log.1", table, false).ok(), plain_log);
        assert_eq!(kind("access_log", table, false).ok(), plain_log);
        assert_eq!(kind("x.csv", table, true).ok(), plain_log);
        assert_eq!(
            kind("x.csv", &gzip, false).ok(),
            Some(FileKind::AccessLog { gzip: true })
        );
        assert_eq!(
            kind("x.bin", b"PAR1\0\0", false).ok(),
            Some(FileKind::Parquet)
        );
        assert_eq!(
            kind("x.log", &[0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0], false).ok(),
            Some(FileKind::Capture {
                gzip: false,
                format: pcap::CaptureFormat::Pcap {
                    big_endian: false,
                    nanoseconds: false
                }
            })
        );
        assert_eq!(
            kind("x.csv", table, false).ok(),
            Some(FileKind::Csv {
                delimiter: b',',
                bom_len: 0,
                decimal_comma: false
            })
        );
        let nfdump = b"ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt\n";
        assert_eq!(
            kind("x.csv", nfdump, false).ok(),
            Some(FileKind::FlowRecords {
                gzip: false,
                format: flows::FlowFormat::Nfdump
            })
        );
        let argus = b"StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State\n";
        assert_eq!(
            kind("x.binetflow", argus, false).ok(),
            Some(FileKind::FlowRecords {
                gzip: false,
                format: flows::FlowFormat::Argus
            })
        );
        assert!(matches!(
            kind("x.csv", b"a,b\0", false),
            Err(LoadError::NotText { .. })
        ));
        assert!(matches!(
            kind("x.log", b"a\rb\rc\r", false),
            Err(LoadError::CrLineEnds { .. })
        ));
    }
}
