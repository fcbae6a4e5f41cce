//! Issue 16 changed how `detect` parses numbers and writes the scores file (in parallel, with
//! ryu and itoa, then zmij), not what it writes: for every case of
//! `tests/fixtures/scores_unchanged/cases.txt` the scores file equals, byte for byte, the one
//! main's binary wrote before the change (`scripts/scores_reference.sh`).

use crate::util::{bin, repo, tempdir};

/// The cases: (name, input, arguments).
fn cases() -> Vec<(String, String, Vec<String>)> {
    let text = std::fs::read_to_string(repo("tests/fixtures/scores_unchanged/cases.txt"))
        .expect("cases.txt");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let parts: Vec<&str> = l.split('|').map(str::trim).collect();
            assert_eq!(parts.len(), 3, "a case is `name | input | args`: {l}");
            (
                parts[0].to_string(),
                parts[1].to_string(),
                parts[2].split_whitespace().map(str::to_string).collect(),
            )
        })
        .collect()
}

#[test]
fn scores_files_are_byte_identical_to_mains() {
    let dir = tempdir();
    let cases = cases();
    assert!(cases.len() >= 16);
    let mut differ = Vec::new();
    for (name, input, args) in &cases {
        let out = dir.path().join(format!("{name}.csv"));
        bin(dir.path())
            .arg("detect")
            .arg(repo(input))
            .args(args)
            .arg("--scores-out")
            .arg(&out)
            .assert()
            .success();
        let got = std::fs::read(&out).expect("scores written");
        let want =
            std::fs::read(repo("tests/fixtures/scores_unchanged").join(format!("{name}.csv")))
                .expect("expected file");
        if got != want {
            differ.push(name.clone());
        }
    }
    assert!(
        differ.is_empty(),
        "scores files differ from main's: {differ:?}"
    );
}
