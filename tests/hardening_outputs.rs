//! Issue 11, output safety: no output destroys a special file, a link, an input or another
//! output; outputs are all checked before any is written; `-` is standard output; an interrupted
//! export leaves no temporary file.

use std::path::Path;
use std::process::Output;

use crate::util::{bin, generate_access_log, repo, tempdir};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `trafficlens detect` on a copy of the sample in `dir`, with more arguments.
fn detect(dir: &Path, args: &[&str]) -> Output {
    let input = dir.join("traffic.csv");
    if !input.exists() {
        std::fs::copy(repo("sample_data/web_traffic.csv"), &input).expect("copy sample");
    }
    bin(dir)
        .arg("detect")
        .arg("traffic.csv")
        .args(args)
        .output()
        .expect("run")
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("run mkfifo");
    assert!(status.success(), "mkfifo");
}

fn is_fifo(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::symlink_metadata(path)
        .expect("still there")
        .file_type()
        .is_fifo()
}

/// Names of the temporary files left in `dir`.
fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".trafficlens-"))
        .collect()
}

#[test]
fn force_never_replaces_a_fifo_a_device_or_a_symbolic_link() {
    let dir = tempdir();
    mkfifo(&dir.path().join("fifo"));
    for flag in ["--scores-out", "--flagged-out"] {
        let out = detect(dir.path(), &[flag, "fifo", "--force"]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains("fifo: is a pipe (FIFO), not a regular file"),
            "{}",
            text(&out.stderr)
        );
        assert!(
            is_fifo(&dir.path().join("fifo")),
            "{flag}: the FIFO is kept"
        );
    }
    let out = bin(dir.path())
        .args([
            "generate", "--out", "data.csv", "--labels", "fifo", "--force",
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(is_fifo(&dir.path().join("fifo")), "generate keeps the FIFO");
    assert!(
        !dir.path().join("data.csv").exists(),
        "nothing is written when one output is refused"
    );

    // A device node (made where the test may make one: as root).
    let node = dir.path().join("null");
    let made = std::process::Command::new("mknod")
        .arg(&node)
        .args(["c", "1", "3"])
        .status()
        .is_ok_and(|s| s.success());
    if made {
        let out = detect(dir.path(), &["--scores-out", "null", "--force"]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        assert!(text(&out.stderr).contains("is a character device"));
        use std::os::unix::fs::FileTypeExt;
        let ft = std::fs::symlink_metadata(&node).expect("kept").file_type();
        assert!(ft.is_char_device(), "the device node is kept");
    }

    // A symbolic link is refused, naming where it points; the file it points to is kept.
    std::fs::write(dir.path().join("real.csv"), "keep me\n").expect("write");
    std::os::unix::fs::symlink("real.csv", dir.path().join("link.csv")).expect("symlink");
    let out = detect(dir.path(), &["--scores-out", "link.csv", "--force"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains(
            "link.csv: is a symbolic link to real.csv; an output that is a symbolic link is refused: give the real path"
        ),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("real.csv")).expect("read"),
        "keep me\n"
    );
    assert!(std::fs::symlink_metadata(dir.path().join("link.csv"))
        .expect("link kept")
        .file_type()
        .is_symlink());
    assert!(leftovers(dir.path()).is_empty());
}

#[test]
fn a_dash_writes_one_text_output_to_standard_output() {
    let dir = tempdir();
    let out = detect(dir.path(), &["--scores-out", "-"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("row,anomaly_score,flagged\n"),
        "{stdout}"
    );
    assert!(!stdout.contains("Top 20"), "no summary mixed into the data");
    assert!(text(&out.stderr).contains("rows flagged by"));

    let out = detect(dir.path(), &["--flagged-out", "-", "--scores-out", "s.csv"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("Date,"),
        "{}",
        text(&out.stdout)
    );
    assert!(dir.path().join("s.csv").exists());

    let out = detect(dir.path(), &["--flagged-out", "-", "--scores-out", "-"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("only one output can go to standard output"));

    let out = bin(dir.path())
        .args(["generate", "--rows", "5", "--out", "-", "--labels", "l.csv"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout).lines().count(),
        6,
        "{}",
        text(&out.stdout)
    );
    assert!(dir.path().join("l.csv").exists());
    assert!(!dir.path().join("-").exists());
    let out = bin(dir.path())
        .args(["generate", "--rows", "5", "--out", "-"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("give the labels file with --labels"));
}

#[test]
fn no_output_is_the_region_file_or_any_other_input() {
    let dir = tempdir();
    generate_access_log(dir.path(), "gen.log", 1, 50);
    let regions = "prefix,region\n0.0.0.0/0,world\n";
    std::fs::write(dir.path().join("r.csv"), regions).expect("write");
    std::fs::hard_link(dir.path().join("r.csv"), dir.path().join("hard.csv")).expect("link");
    for target in ["r.csv", "./r.csv", "hard.csv"] {
        let out = bin(dir.path())
            .args([
                "detect",
                "gen.log",
                "--view",
                "traffic",
                "--regions",
                "r.csv",
                "--scores-out",
                target,
                "--force",
            ])
            .output()
            .expect("run");
        assert_eq!(
            out.status.code(),
            Some(2),
            "{target}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).contains("is an input file"),
            "{}",
            text(&out.stderr)
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("r.csv")).expect("read"),
            regions,
            "{target}: the region file is untouched"
        );
    }
    // The main input, by a hard link.
    std::fs::hard_link(dir.path().join("gen.log"), dir.path().join("again.log")).expect("link");
    let out = bin(dir.path())
        .args([
            "detect",
            "gen.log",
            "--flagged-out-lines",
            "again.log",
            "--force",
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("again.log: is an input file"));
}

#[test]
fn two_outputs_of_one_command_are_never_the_same_file_and_nothing_is_written_first() {
    let dir = tempdir();
    let out = detect(
        dir.path(),
        &[
            "--scores-out",
            "a.csv",
            "--flagged-out",
            "./a.csv",
            "--force",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("./a.csv: is the same file as a.csv, also an output"),
        "{}",
        text(&out.stderr)
    );
    assert!(!dir.path().join("a.csv").exists(), "nothing written");
    std::fs::write(dir.path().join("a.csv"), "keep me\n").expect("write");
    let out = detect(
        dir.path(),
        &[
            "--scores-out",
            "a.csv",
            "--flagged-out",
            "./a.csv",
            "--force",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a.csv")).expect("read"),
        "keep me\n"
    );

    let out = bin(dir.path())
        .args([
            "generate", "--out", "o.csv", "--labels", "./o.csv", "--force",
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(!dir.path().join("o.csv").exists(), "nothing written");

    // The second output refused (it exists, no --force): the first is not written either.
    std::fs::write(dir.path().join("labels.csv"), "keep me\n").expect("write");
    let out = bin(dir.path())
        .args(["generate", "--out", "data.csv", "--labels", "labels.csv"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(!dir.path().join("data.csv").exists(), "nothing written");
    assert!(leftovers(dir.path()).is_empty());
}

/// Starts a big `generate`, waits until its temporary file is being written, sends `signal`,
/// and checks the exit status and that nothing is left.
fn interrupt_generate(signal: &str, code: i32) {
    let dir = tempdir();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_trafficlens"))
        .current_dir(dir.path())
        .args([
            "generate", "--rows", "50000000", "--step", "1m", "--out", "big.csv",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start");
    let started = std::time::Instant::now();
    let in_progress = loop {
        let parts: Vec<_> = std::fs::read_dir(dir.path())
            .expect("ls")
            .map(|e| e.expect("entry").path())
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().ends_with(".part"))
                    && std::fs::metadata(p).is_ok_and(|m| m.len() > 1 << 20)
            })
            .collect();
        if !parts.is_empty() {
            break true;
        }
        if started.elapsed() > std::time::Duration::from_secs(60) {
            break false;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert!(in_progress, "the export started");
    let status = std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let exit = child.wait().expect("wait");
    assert_eq!(exit.code(), Some(code), "{signal}");
    assert!(
        leftovers(dir.path()).is_empty(),
        "{:?}",
        leftovers(dir.path())
    );
    assert!(!dir.path().join("big.csv").exists());
    assert!(!dir.path().join("big_labels.csv").exists());
}

#[test]
fn an_interrupted_export_leaves_no_temporary_file() {
    interrupt_generate("-INT", 130);
    interrupt_generate("-TERM", 143);
}
