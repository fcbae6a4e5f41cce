//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// A file in `tests/data`.
pub fn data(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

/// A file in the repository.
pub fn repo(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// The reference data set beside the checkout.
pub fn shared(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(rel)
}

/// The `trafficlens` binary, run in `dir`.
pub fn bin(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trafficlens"));
    cmd.current_dir(dir);
    cmd
}

/// Runs `cmd` to its end and returns its output, failing the test with its standard error
/// when it does not succeed.
pub fn run_ok(cmd: &mut Command) -> std::process::Output {
    let out = cmd.output().expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Writes a generated access log of `days` and `clients` (seed 1) to `dir/out`, its labels
/// beside it.
pub fn generate_access_log(dir: &Path, out: &str, days: u32, clients: u32) {
    run_ok(
        bin(dir)
            .args(["generate", "--access-log", "--seed", "1", "--out", out])
            .args([
                "--days",
                &days.to_string(),
                "--clients",
                &clients.to_string(),
            ]),
    );
}

/// A fresh temporary folder.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("create a temporary folder")
}

/// Parses a fixture CSV (header row, then a name column and numbers) into (name, values).
pub fn read_fixture(rel: &str) -> (Vec<String>, Vec<(String, Vec<f64>)>) {
    let path = repo(rel);
    let mut reader = csv::Reader::from_path(&path).expect("open fixture");
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|r| {
            let r = r.expect("record");
            let name = r[0].to_string();
            let values = r
                .iter()
                .skip(1)
                .map(|v| v.parse::<f64>().expect("number"))
                .collect();
            (name, values)
        })
        .collect();
    (header, rows)
}

/// Asserts that `a` and `b` agree to `digits` significant digits.
pub fn assert_sig(a: f64, b: f64, digits: i32, what: &str) {
    let scale = a.abs().max(b.abs()).max(1e-300);
    let rel = (a - b).abs() / scale;
    assert!(
        rel < 0.5 * 10f64.powi(1 - digits),
        "{what}: {a} vs {b} (relative difference {rel:e})"
    );
}

/// A JSON fixture in the repository.
pub fn json(rel: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(repo(rel)).expect("fixture");
    serde_json::from_str(&text).expect("valid JSON")
}

/// A JSON array of numbers.
pub fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

/// Sends SIGINT to a running `trafficlens watch`, waits for it and asserts it exited 0 (as
/// Ctrl-C makes it); returns what it wrote on standard error.
pub fn interrupt(mut child: std::process::Child) -> String {
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    let status = child.wait().expect("wait");
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        std::io::Read::read_to_string(&mut e, &mut err).expect("stderr");
    }
    assert_eq!(status.code(), Some(0), "{err}");
    err
}
