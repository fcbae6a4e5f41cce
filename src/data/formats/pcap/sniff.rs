//! Whether a file is a packet capture, from its magic number (after decompressing the start when
//! it is gzip): the pcap file header's `0xa1b2c3d4` (microsecond timestamps) or `0xa1b23c4d`
//! (nanosecond timestamps) in either byte order, or a pcapng Section Header Block (`0x0a0d0d0a`
//! followed by the byte-order magic `0x1a2b3c4d` in either byte order).

use super::CaptureFormat;
use crate::data::formats::FileKind;

/// The kind of a file starting with `head` when it is a packet capture, else `None`.
pub fn sniff(head: &[u8]) -> Option<FileKind> {
    let gzip = head.starts_with(&[0x1f, 0x8b]);
    let format = if gzip {
        format_of(&crate::data::formats::zeek::gunzip_start(head))
    } else {
        format_of(head)
    }?;
    Some(FileKind::Capture { gzip, format })
}

/// The capture format whose magic number `head` starts with.
pub fn format_of(head: &[u8]) -> Option<CaptureFormat> {
    let magic: [u8; 4] = head.get(..4)?.try_into().ok()?;
    let pcap = |big_endian, nanoseconds| {
        Some(CaptureFormat::Pcap {
            big_endian,
            nanoseconds,
        })
    };
    match magic {
        [0xd4, 0xc3, 0xb2, 0xa1] => pcap(false, false),
        [0xa1, 0xb2, 0xc3, 0xd4] => pcap(true, false),
        [0x4d, 0x3c, 0xb2, 0xa1] => pcap(false, true),
        [0xa1, 0xb2, 0x3c, 0x4d] => pcap(true, true),
        [0x0a, 0x0d, 0x0d, 0x0a] => match head.get(8..12)? {
            [0x4d, 0x3c, 0x2b, 0x1a] | [0x1a, 0x2b, 0x3c, 0x4d] => Some(CaptureFormat::PcapNg),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn every_magic_number_and_gzip() {
        let kind = |head: &[u8]| format_of(head);
        let pcap = |big_endian, nanoseconds| {
            Some(CaptureFormat::Pcap {
                big_endian,
                nanoseconds,
            })
        };
        assert_eq!(kind(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0]), pcap(false, false));
        assert_eq!(kind(&[0xa1, 0xb2, 0xc3, 0xd4, 0, 2]), pcap(true, false));
        assert_eq!(kind(&[0x4d, 0x3c, 0xb2, 0xa1]), pcap(false, true));
        assert_eq!(kind(&[0xa1, 0xb2, 0x3c, 0x4d]), pcap(true, true));
        let shb_le = [0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a];
        let shb_be = [0x0a, 0x0d, 0x0d, 0x0a, 0, 0, 0, 28, 0x1a, 0x2b, 0x3c, 0x4d];
        assert_eq!(kind(&shb_le), Some(CaptureFormat::PcapNg));
        assert_eq!(kind(&shb_be), Some(CaptureFormat::PcapNg));
        // Text that happens to start with the pcapng block type is not a capture.
        assert_eq!(kind(b"\n\r\r\nhello world"), None);
        assert_eq!(kind(b"time,hits\n"), None);
        assert_eq!(kind(&[0xd4, 0xc3]), None);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&shb_le).expect("in memory");
        let gz = gz.finish().expect("in memory");
        assert_eq!(
            sniff(&gz),
            Some(FileKind::Capture {
                gzip: true,
                format: CaptureFormat::PcapNg
            })
        );
    }
}
