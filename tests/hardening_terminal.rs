//! Issue 11, terminal safety: control characters from headers, cells, paths and log lines are
//! escaped before they reach standard output or standard error; exported files keep the bytes.

use std::path::Path;

use crate::util::{bin, tempdir};

const TITLE: &str = "\u{1b}]0;pwned\u{7}";
const CLEAR: &str = "\u{1b}[2J";

/// Panics if `bytes` hold a control character a terminal would act on: C0 other than the line
/// break, DEL, C1, or a bidirectional override or isolate.
fn assert_terminal_safe(bytes: &[u8], what: &str) {
    let text = String::from_utf8_lossy(bytes);
    for c in text.chars() {
        let bad = matches!(c, '\u{0}'..='\u{9}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        assert!(!bad, "{what}: raw {c:?} in {text}");
    }
}

/// Runs `trafficlens args` in `dir`; checks both streams are safe; returns them as text.
fn run_safe(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = bin(dir).args(args).output().expect("run");
    assert_terminal_safe(&out.stdout, &format!("{args:?} stdout"));
    assert_terminal_safe(&out.stderr, &format!("{args:?} stderr"));
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn headers_cells_and_paths_are_escaped_on_the_terminal() {
    let dir = tempdir();
    let csv = format!(
        "Date,Reg{CLEAR}ion{TITLE},hits\u{9b}\u{202e}\n2024-01-01,1,2\n2024-01-02,2,3\n2024-01-03,3,9\n2024-01-04,4,4\n"
    );
    std::fs::write(dir.path().join("e.csv"), &csv).expect("write");
    let (code, stdout, _) = run_safe(dir.path(), &["stats", "e.csv"]);
    assert_eq!(code, Some(0));
    assert!(
        stdout.contains("Reg\\x1b[2Jion\\x1b]0;pwned\\x07"),
        "{stdout}"
    );
    assert!(stdout.contains("hits\\u{9b}\\u{202e}"), "{stdout}");
    let (code, stdout, _) = run_safe(dir.path(), &["stats", "--json", "e.csv"]);
    assert_eq!(code, Some(0));
    let value: serde_json::Value = serde_json::from_str(&stdout).expect("still JSON");
    assert_eq!(value["features"][1], "hits\u{9b}\u{202e}", "the same value");
    let (code, stdout, _) = run_safe(dir.path(), &["detect", "e.csv", "--contamination", "0.25"]);
    assert_eq!(code, Some(0));
    assert!(stdout.contains("Reg\\x1b[2Jion"), "{stdout}");

    // A cell in an error message, and the exported file keeps the original bytes.
    let mut bad = String::from("Date,hits\n");
    for day in 1..=9 {
        bad.push_str(&format!("2024-01-0{day},{day}\n"));
    }
    bad.push_str(&format!("2024-01-10,x{CLEAR}{TITLE}\n"));
    std::fs::write(dir.path().join("bad.csv"), bad).expect("write");
    let (code, _, stderr) = run_safe(dir.path(), &["detect", "bad.csv"]);
    assert_eq!(code, Some(3));
    assert!(
        stderr.contains("bad.csv:11:2: `x\\x1b[2J\\x1b]0;pwned\\x07` in column `hits`"),
        "{stderr}"
    );
    let (code, _, _) = run_safe(
        dir.path(),
        &[
            "detect",
            "e.csv",
            "--contamination",
            "0.25",
            "--flagged-out",
            "f.csv",
        ],
    );
    assert_eq!(code, Some(0));
    let exported = std::fs::read_to_string(dir.path().join("f.csv")).expect("read");
    assert!(
        exported.starts_with(&format!("Date,Reg{CLEAR}ion{TITLE},")),
        "{exported:?}"
    );

    // A path with control characters, found or not.
    let name = format!("{CLEAR}evil{TITLE}.csv");
    std::fs::write(dir.path().join(&name), &csv).expect("write");
    let (code, stdout, _) = run_safe(dir.path(), &["stats", &name]);
    assert_eq!(code, Some(0));
    assert!(stdout.contains("\\x1b[2Jevil"), "{stdout}");
    let (code, _, stderr) = run_safe(dir.path(), &["stats", &format!("no{CLEAR}.csv")]);
    assert_eq!(code, Some(3));
    assert!(stderr.contains("no\\x1b[2J.csv"), "{stderr}");
    // A bad option value is quoted by the argument parser: escaped too.
    // (The parser already drops C0 sequences; C1 controls it passes through.)
    let (code, _, stderr) = run_safe(dir.path(), &["detect", "e.csv", "--algo", "x\u{9b}2Jy"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("x\\u{9b}2Jy"), "{stderr}");
}

#[test]
fn log_lines_user_agents_and_paths_are_escaped_on_the_terminal() {
    let dir = tempdir();
    let mut log = String::new();
    for i in 0..40 {
        let client = format!("192.0.2.{}", i % 7 + 1);
        log.push_str(&format!(
            "{client} - - [01/Feb/2024:10:{i:02}:00 +0000] \"GET /p{CLEAR}{i} HTTP/1.1\" 200 100 \"-\" \"Mozilla {TITLE} \u{9b}\"\n"
        ));
    }
    log.push_str(&format!("junk {TITLE} {CLEAR} line \0 \u{7f}\n"));
    log.push_str(&format!(
        "evil{CLEAR} - - [01/Feb/2024:10:00:00 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"{TITLE}\"\n"
    ));
    std::fs::write(dir.path().join("e.log"), log).expect("write");
    for args in [
        &["detect", "e.log", "--view", "clients"][..],
        &[
            "detect",
            "e.log",
            "--view",
            "traffic",
            "--scores-out",
            "s.csv",
        ][..],
        &["stats", "e.log"][..],
    ] {
        let (code, stdout, stderr) = run_safe(dir.path(), args);
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
        let both = format!("{stdout}{stderr}");
        assert!(
            both.contains("junk \\x1b]0;pwned\\x07 \\x1b[2J"),
            "{args:?}: {both}"
        );
    }
}
