//! Whether a file is a Zeek connection log, from its first bytes (decompressed when gzip):
//! the tab-separated writer's `#separator` line followed by a `#fields` line naming the
//! connection fields, or a first line that is a JSON object with them.

use std::io::Read;

use super::record::REQUIRED;
use super::Writer;
use crate::data::formats::FileKind;

/// The kind of a file starting with `head` when it is a Zeek connection log, else `None`.
pub fn sniff(head: &[u8]) -> Option<FileKind> {
    let gzip = head.starts_with(&[0x1f, 0x8b]);
    let text = if gzip {
        gunzip_start(head)
    } else {
        head.to_vec()
    };
    let writer = writer_of(&text)?;
    Some(FileKind::ZeekConn { gzip, writer })
}

/// As much of the decompressed data as the compressed start gives (the rest is cut off).
pub(crate) fn gunzip_start(head: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut decoder = flate2::read::MultiGzDecoder::new(head).take(64 * 1024);
    // The head ends mid-stream: the decoder's error there only means "the rest is missing".
    let _ = decoder.read_to_end(&mut out);
    out
}

/// Which writer wrote `text`, when it is a connection log.
fn writer_of(text: &[u8]) -> Option<Writer> {
    let text = String::from_utf8_lossy(text);
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let first = lines.next()?;
    if first.starts_with("#separator ") {
        // Zeek's tab-separated writer: which log it is, the reader checks on the `#fields`
        // line, so that another Zeek log is refused with a message saying so.
        return text
            .lines()
            .any(|l| l.starts_with("#fields"))
            .then_some(Writer::Tsv);
    }
    let object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(first.trim()).ok()?;
    REQUIRED
        .iter()
        .all(|r| object.contains_key(*r) || object.contains_key(&r.replace('.', "_")))
        .then_some(Writer::Json)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const TSV: &[u8] = b"#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tconn_state\n#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\n1.0\tC1\t10.0.0.1\t5000\t10.0.0.2\t80\ttcp\tSF\n";

    #[test]
    fn both_writers_plain_and_gzip() {
        let tsv = Some(FileKind::ZeekConn {
            gzip: false,
            writer: Writer::Tsv,
        });
        assert_eq!(sniff(TSV), tsv);
        let json = br#"{"ts":1.0,"uid":"C1","id.orig_h":"10.0.0.1","id.orig_p":5000,"id.resp_h":"10.0.0.2","id.resp_p":80,"conn_state":"SF"}"#;
        assert_eq!(
            sniff(json),
            Some(FileKind::ZeekConn {
                gzip: false,
                writer: Writer::Json
            })
        );
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(TSV).expect("in memory");
        let gz = gz.finish().expect("in memory");
        assert_eq!(
            sniff(&gz[..gz.len() - 4]),
            Some(FileKind::ZeekConn {
                gzip: true,
                writer: Writer::Tsv
            })
        );
    }

    #[test]
    fn other_files_are_not_zeek() {
        assert_eq!(sniff(b"time,hits\n2021-01-01,5\n"), None);
        assert_eq!(sniff(br#"{"ts":1,"host":"a"}"#), None);
        // A dns.log in JSON has the `id.*` fields but no `conn_state`.
        assert_eq!(
            sniff(br#"{"ts":1.0,"id.orig_h":"a","id.resp_h":"b","id.resp_p":53,"query":"x"}"#),
            None
        );
        let line = b"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 1\n";
        assert_eq!(sniff(line), None);
    }
}
