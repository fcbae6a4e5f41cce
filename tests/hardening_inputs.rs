//! Issue 11, auxiliary inputs and long lines: the region file is a bounded regular text file
//! (`/dev/zero`, `/dev/urandom` and FIFOs get a quick, clear error); exporting log lines never
//! holds an over-long line in memory.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use trafficlens::data::access::read::MAX_LINE;
use trafficlens::data::access::{LogGroup, LogOptions, LogView};
use trafficlens::data::{load, LoadOptions};
use trafficlens::export::{write_log_lines, LineFilter};

use crate::util::{bin, data, tempdir};

/// `detect` on a small log's traffic view with `--regions regions`: exit code and stderr.
fn detect_with_regions(dir: &Path, regions: &str) -> (Option<i32>, String, Duration) {
    let started = Instant::now();
    let out = bin(dir)
        .args(["detect", "--view", "traffic", "--regions", regions])
        .arg(data("logs/messy.log"))
        .timeout(Duration::from_secs(60))
        .output()
        .expect("run");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        started.elapsed(),
    )
}

#[test]
fn the_region_file_must_be_a_bounded_regular_text_file() {
    let dir = tempdir();
    for dev in ["/dev/zero", "/dev/urandom"] {
        let (code, stderr, took) = detect_with_regions(dir.path(), dev);
        assert_eq!(code, Some(3), "{stderr}");
        assert!(
            stderr.contains(&format!(
                "{dev}: is a character device, not a regular file; give a file of `prefix,region` lines"
            )),
            "{stderr}"
        );
        assert!(took < Duration::from_secs(30), "{dev} took {took:?}");
    }
    // A FIFO nobody writes to: refused, not waited on.
    let status = std::process::Command::new("mkfifo")
        .arg(dir.path().join("fifo"))
        .status()
        .expect("mkfifo");
    assert!(status.success());
    let (code, stderr, _) = detect_with_regions(dir.path(), "fifo");
    assert_eq!(code, Some(3), "{stderr}");
    assert!(stderr.contains("is a pipe (FIFO)"), "{stderr}");
    // Larger than the limit (a sparse file: nothing is written to disk).
    let big = std::fs::File::create(dir.path().join("big.csv")).expect("create");
    big.set_len((16 << 20) + 1).expect("set_len");
    let (code, stderr, _) = detect_with_regions(dir.path(), "big.csv");
    assert_eq!(code, Some(3), "{stderr}");
    assert!(
        stderr.contains("above the limit of 16777216 bytes (16 MB)"),
        "{stderr}"
    );
    // Binary content is named by line.
    std::fs::write(dir.path().join("bin.csv"), b"10.0.0.0/8,a\n\x00\x01\x02").expect("write");
    let (code, stderr, _) = detect_with_regions(dir.path(), "bin.csv");
    assert_eq!(code, Some(3), "{stderr}");
    assert!(
        stderr.contains("bin.csv:2: a NUL byte at byte 13"),
        "{stderr}"
    );
    // A good file still works.
    std::fs::write(dir.path().join("ok.csv"), "0.0.0.0/0,world\n::/0,world\n").expect("write");
    let (code, stderr, _) = detect_with_regions(dir.path(), "ok.csv");
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn exporting_log_lines_skips_a_line_longer_than_the_reader_cap_without_holding_it() {
    let dir = tempdir();
    let path = dir.path().join("long.log.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&path).expect("create"),
        flate2::Compression::fast(),
    );
    let line = |t: u32| {
        format!("192.0.2.1 - - [01/Feb/2024:10:00:0{t} +0000] \"GET / HTTP/1.1\" 200 100 \"-\" \"UA\"\n")
    };
    gz.write_all(line(0).as_bytes()).expect("write");
    // A well-formed line of the same client, with a 40 MB path: well over the 16 MB cap.
    gz.write_all(b"192.0.2.1 - - [01/Feb/2024:10:00:01 +0000] \"GET /")
        .expect("write");
    let chunk = vec![b'A'; 1 << 20];
    for _ in 0..(MAX_LINE >> 20) * 2 + 8 {
        gz.write_all(&chunk).expect("write");
    }
    gz.write_all(b" HTTP/1.1\" 200 1 \"-\" \"UA\"\n")
        .expect("write");
    gz.write_all(line(2).as_bytes()).expect("write");
    gz.finish().expect("finish");

    let options = LoadOptions {
        log: LogOptions {
            view: LogView::Clients,
            group: LogGroup::All,
            ..LogOptions::default()
        },
        ..LoadOptions::default()
    };
    let ds = load(&path, &options).expect("load");
    let log = &ds.log.as_ref().expect("log").log;
    assert_eq!(log.requests(), 2, "the reader skips the long line");
    let out = dir.path().join("lines.log");
    let all = LineFilter::Clients((0..log.clients.len() as u32).collect());
    let n = write_log_lines(&out, false, log, &all).expect("export");
    assert_eq!((n.written, n.too_long), (2, 1));
    let written = std::fs::read_to_string(&out).expect("read");
    assert_eq!(written, format!("{}{}", line(0), line(2)));
}
