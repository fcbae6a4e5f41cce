//! Following growing files (src/data/follow): a writer thread appends numbered lines while it
//! rotates the file by rename-and-create, by copytruncate and by rename then gzip, and the
//! follower must hand over every line exactly once; a restart from a saved state after the
//! file was rotated while stopped; truncation, a vanishing file, binary data, standard input.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use trafficlens::data::follow::{Event, FollowOptions, FollowState, Follower, Notice, Start};

use crate::util::tempdir;

/// The longest a test waits for a condition (the machine may be busy).
const PATIENCE: Duration = Duration::from_secs(120);

/// Options for a quick follow.
fn options(start: Start, state: Option<FollowState>) -> FollowOptions {
    FollowOptions {
        start,
        interval: Duration::from_millis(20),
        state,
    }
}

/// The line numbered `n`.
fn line(n: u64) -> String {
    format!(
        "{n:07} 10.0.0.{} GET /index.html?page={n} HTTP/1.1 200 5120\n",
        n % 250
    )
}

/// The number a line starts with.
fn number(text: &[u8]) -> u64 {
    std::str::from_utf8(&text[..7])
        .expect("utf8")
        .parse()
        .expect("a numbered line")
}

/// Waits until `done` holds, polling; panics with `what` after [`PATIENCE`].
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < PATIENCE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// A follower running on its own thread, recording what it hands over.
struct Running {
    seen: Arc<Mutex<Vec<u64>>>,
    notices: Arc<Mutex<Vec<Notice>>>,
    steps: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    handle: JoinHandle<Follower>,
}

impl Running {
    fn start(mut follower: Follower) -> Running {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let notices = Arc::new(Mutex::new(Vec::new()));
        let steps = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, n, st, stp) = (seen.clone(), notices.clone(), steps.clone(), stop.clone());
        let handle = std::thread::spawn(move || {
            while !stp.load(Ordering::SeqCst) {
                follower.step(&mut |event| match event {
                    Event::Line(l) => s.lock().expect("lock").push(number(l.text)),
                    Event::Notice(notice) => n.lock().expect("lock").push(notice),
                });
                st.fetch_add(1, Ordering::SeqCst);
            }
            follower
        });
        Running {
            seen,
            notices,
            steps,
            stop,
            handle,
        }
    }

    fn has_seen(&self, n: u64) -> bool {
        self.seen.lock().expect("lock").contains(&n)
    }

    fn count(&self) -> usize {
        self.seen.lock().expect("lock").len()
    }

    /// Waits until `n` lines were handed over, lets the follower poll a few more times (a
    /// line read twice would show then), and stops it.
    fn finish(self, n: usize) -> (Vec<u64>, Vec<Notice>, Follower) {
        wait_until(&format!("{n} lines"), || self.count() >= n);
        let steps = self.steps.load(Ordering::SeqCst);
        wait_until("three more polls", || {
            self.steps.load(Ordering::SeqCst) >= steps + 3
        });
        self.stop.store(true, Ordering::SeqCst);
        let follower = self.handle.join().expect("follower thread");
        let seen = self.seen.lock().expect("lock").clone();
        let notices = self.notices.lock().expect("lock").clone();
        (seen, notices, follower)
    }
}

/// Asserts that `seen` holds every number of `range` exactly once.
fn exactly_once(seen: &[u64], range: std::ops::RangeInclusive<u64>) {
    let mut sorted = seen.to_vec();
    sorted.sort_unstable();
    let unique: HashSet<u64> = sorted.iter().copied().collect();
    assert_eq!(unique.len(), sorted.len(), "no line read twice");
    let missing: Vec<u64> = range.clone().filter(|n| !unique.contains(n)).collect();
    assert!(missing.is_empty(), "lines never read: {missing:?}");
    assert_eq!(
        sorted,
        range.collect::<Vec<_>>(),
        "exactly the lines written"
    );
}

/// How the writer rotates the log.
#[derive(Debug, Clone, Copy)]
enum Rotation {
    /// logrotate's default: NAME.k shifted to NAME.k+1, NAME renamed to NAME.1, a new NAME.
    Rename,
    /// `copytruncate` with `dateext`: NAME copied to NAME-YYYYMMDD, then truncated.
    CopyTruncate,
    /// `compress` without `delaycompress`: renamed to NAME.1, which is then gzipped to
    /// NAME.1.gz and removed.
    RenameGzip,
}

/// A log being written and rotated.
struct Log {
    path: PathBuf,
    file: File,
    generation: u32,
}

impl Log {
    fn create(path: &Path) -> Log {
        Log {
            path: path.to_path_buf(),
            file: append(path),
            generation: 0,
        }
    }

    fn write(&mut self, n: u64) {
        self.file
            .write_all(line(n).as_bytes())
            .expect("write a line");
    }

    fn rotate(&mut self, how: Rotation) {
        self.generation += 1;
        let path = &self.path;
        match how {
            Rotation::Rename | Rotation::RenameGzip => {
                shift(path);
                std::fs::rename(path, numbered(path, 1, "")).expect("rename");
                self.file = append(path);
                if let Rotation::RenameGzip = how {
                    gzip(&numbered(path, 1, ""));
                }
            }
            Rotation::CopyTruncate => {
                let name = format!("{}-202612{:02}", path.display(), self.generation);
                std::fs::copy(path, name).expect("copy");
                OpenOptions::new()
                    .write(true)
                    .open(path)
                    .expect("open")
                    .set_len(0)
                    .expect("truncate");
            }
        }
    }
}

fn append(path: &Path) -> File {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open for appending")
}

fn numbered(path: &Path, k: u32, suffix: &str) -> PathBuf {
    PathBuf::from(format!("{}.{k}{suffix}", path.display()))
}

/// Renames NAME.k (and NAME.k.gz) to NAME.k+1, highest first.
fn shift(path: &Path) {
    for k in (1..50).rev() {
        for suffix in ["", ".gz"] {
            let from = numbered(path, k, suffix);
            if from.exists() {
                std::fs::rename(&from, numbered(path, k + 1, suffix)).expect("shift");
            }
        }
    }
}

/// Compresses `path` to `path.gz` and removes it, as logrotate's `compress` does.
fn gzip(path: &Path) {
    let data = std::fs::read(path).expect("read the rotated file");
    let gz = PathBuf::from(format!("{}.gz", path.display()));
    let mut encoder =
        flate2::write::GzEncoder::new(File::create(&gz).expect("create"), Default::default());
    encoder.write_all(&data).expect("compress");
    encoder.finish().expect("finish");
    std::fs::remove_file(path).expect("remove the rotated file");
}

/// Writes `total` numbered lines while rotating every `every` lines; before each rotation it
/// waits until the follower has read a line of the current file (so it holds that file
/// open, as it would with rotations minutes apart), then rotates at once while writing on.
fn write_rotating(how: Rotation, total: u64, every: u64) {
    let dir = tempdir();
    let path = dir.path().join("access.log");
    let mut log = Log::create(&path);
    let follower =
        Follower::new(std::slice::from_ref(&path), &options(Start::End, None)).expect("follow");
    let running = Running::start(follower);
    let mut first_of_file = 1;
    for n in 1..=total {
        log.write(n);
        if n % every == 0 && n < total {
            wait_until("a line of the current file", || {
                running.has_seen(first_of_file)
            });
            log.rotate(how);
            first_of_file = n + 1;
        }
        if n % 20 == 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    let (seen, notices, _) = running.finish(total as usize);
    exactly_once(&seen, 1..=total);
    let (rotated, truncated) = notices.iter().fold((0, 0), |(r, t), n| match n {
        Notice::Rotated { .. } => (r + 1, t),
        Notice::Truncated { copy, .. } => {
            assert!(copy.is_some(), "the copy is found: {n}");
            (r, t + 1)
        }
        _ => (r, t),
    });
    match how {
        Rotation::Rename | Rotation::RenameGzip => assert!(rotated > 0, "{notices:?}"),
        Rotation::CopyTruncate => assert!(truncated > 0, "{notices:?}"),
    }
}

#[test]
fn rename_and_create_every_line_exactly_once() {
    write_rotating(Rotation::Rename, 4000, 400);
}

#[test]
fn copytruncate_every_line_exactly_once() {
    write_rotating(Rotation::CopyTruncate, 4000, 400);
}

#[test]
fn rename_then_gzip_every_line_exactly_once() {
    write_rotating(Rotation::RenameGzip, 4000, 400);
}

/// Follows `path` from `state` with direct polls until `n` lines came (or a timeout).
fn poll_until(follower: &mut Follower, n: usize) -> (Vec<u64>, Vec<Notice>) {
    let mut seen = Vec::new();
    let mut notices = Vec::new();
    let start = Instant::now();
    while seen.len() < n {
        assert!(
            start.elapsed() < PATIENCE,
            "timed out at {} of {n} lines",
            seen.len()
        );
        follower.step(&mut |event| match event {
            Event::Line(l) => seen.push(number(l.text)),
            Event::Notice(notice) => notices.push(notice),
        });
    }
    // A few more polls: nothing more may come.
    for _ in 0..3 {
        follower.poll(&mut |event| match event {
            Event::Line(l) => seen.push(number(l.text)),
            Event::Notice(notice) => notices.push(notice),
        });
    }
    (seen, notices)
}

/// Stops mid-way (with a half-written line pending), saves the state through JSON, rotates
/// while stopped, restarts from the state: every line exactly once across both runs.
fn restart_after(how: Rotation) -> Vec<Notice> {
    let dir = tempdir();
    let path = dir.path().join("access.log");
    let mut log = Log::create(&path);
    for n in 1..=1000 {
        log.write(n);
    }
    let half = line(1001);
    log.file
        .write_all(&half.as_bytes()[..10])
        .expect("half a line");
    let mut follower = Follower::new(
        std::slice::from_ref(&path),
        &options(Start::Beginning, None),
    )
    .expect("follow");
    let (mut seen, _) = poll_until(&mut follower, 1000);
    let saved = serde_json::to_string(&follower.state()).expect("state to JSON");
    drop(follower);

    log.file
        .write_all(&half.as_bytes()[10..])
        .expect("rest of the line");
    for n in 1002..=1500 {
        log.write(n);
    }
    log.rotate(how);
    for n in 1501..=2000 {
        log.write(n);
    }

    let state: FollowState = serde_json::from_str(&saved).expect("state from JSON");
    let mut follower = Follower::new(
        std::slice::from_ref(&path),
        &options(Start::End, Some(state)),
    )
    .expect("restart");
    let (more, notices) = poll_until(&mut follower, 1000);
    seen.extend(more);
    exactly_once(&seen, 1..=2000);
    notices
}

#[test]
fn restart_after_rename_while_stopped_reads_the_rotated_rest_first() {
    let notices = restart_after(Rotation::Rename);
    assert!(
        notices.iter().any(
            |n| matches!(n, Notice::ReadingRotated { path, .. } if path.ends_with("access.log.1"))
        ),
        "{notices:?}"
    );
}

#[test]
fn restart_after_rename_and_gzip_while_stopped_reads_the_gz() {
    let notices = restart_after(Rotation::RenameGzip);
    assert!(
        notices
            .iter()
            .any(|n| matches!(n, Notice::ReadingRotated { path, .. } if path.ends_with("access.log.1.gz"))),
        "{notices:?}"
    );
}

#[test]
fn restart_after_copytruncate_while_stopped_reads_the_copy() {
    let notices = restart_after(Rotation::CopyTruncate);
    assert!(
        notices.iter().any(
            |n| matches!(n, Notice::ReadingRotated { path, .. } if path.ends_with("access.log-20261201"))
        ),
        "{notices:?}"
    );
}

/// Stops, rotates `rotations` times while stopped (writing between), restarts: every line
/// exactly once, the files rotated meanwhile read whole in order.
fn restart_after_rotations(how: Rotation, rotations: u64) {
    let dir = tempdir();
    let path = dir.path().join("access.log");
    let mut log = Log::create(&path);
    for n in 1..=100 {
        log.write(n);
    }
    let mut follower =
        Follower::new(std::slice::from_ref(&path), &options(Start::End, None)).expect("follow");
    for n in 101..=200 {
        log.write(n);
    }
    let (mut seen, _) = poll_until(&mut follower, 100);
    let state = follower.state();
    drop(follower);
    let mut n = 201;
    for _ in 0..rotations {
        for _ in 0..100 {
            log.write(n);
            n += 1;
        }
        log.rotate(how);
    }
    for _ in 0..100 {
        log.write(n);
        n += 1;
    }
    let mut follower = Follower::new(
        std::slice::from_ref(&path),
        &options(Start::End, Some(state)),
    )
    .expect("restart");
    let (more, notices) = poll_until(&mut follower, (n - 201) as usize);
    assert_eq!(
        notices
            .iter()
            .filter(|x| matches!(x, Notice::ReadingRotated { .. }))
            .count() as u64,
        rotations,
        "{notices:?}"
    );
    assert!(
        more.windows(2).all(|w| w[0] < w[1]),
        "read in order, oldest file first"
    );
    seen.extend(more);
    exactly_once(&seen, 101..=n - 1);
}

#[test]
fn restart_after_three_renames_while_stopped_reads_them_all() {
    restart_after_rotations(Rotation::Rename, 3);
}

#[test]
fn restart_after_three_compressed_rotations_while_stopped_reads_them_all() {
    restart_after_rotations(Rotation::RenameGzip, 3);
}

#[test]
fn restart_after_three_copytruncates_while_stopped_reads_the_copies() {
    restart_after_rotations(Rotation::CopyTruncate, 3);
}

#[test]
fn restart_without_the_rotated_file_reports_the_gap() {
    let dir = tempdir();
    let path = dir.path().join("access.log");
    let mut log = Log::create(&path);
    for n in 1..=10 {
        log.write(n);
    }
    let mut follower = Follower::new(
        std::slice::from_ref(&path),
        &options(Start::Beginning, None),
    )
    .expect("follow");
    poll_until(&mut follower, 10);
    let state = follower.state();
    drop(follower);
    log.write(11);
    log.rotate(Rotation::Rename);
    std::fs::remove_file(numbered(&path, 1, "")).expect("delete the rotated file");
    log.write(12);
    let mut follower = Follower::new(
        std::slice::from_ref(&path),
        &options(Start::End, Some(state)),
    )
    .expect("restart");
    let (seen, notices) = poll_until(&mut follower, 1);
    assert_eq!(seen, vec![12], "the new file from its start");
    assert!(
        notices.iter().any(
            |n| matches!(n, Notice::Gap { offset, .. } if *offset == (1..=10).map(|n| line(n).len() as u64).sum::<u64>())
        ),
        "{notices:?}"
    );
}

#[test]
fn restart_without_rotation_goes_on_where_it_stopped() {
    let dir = tempdir();
    let path = dir.path().join("access.log");
    let mut log = Log::create(&path);
    for n in 1..=10 {
        log.write(n);
    }
    let mut follower =
        Follower::new(std::slice::from_ref(&path), &options(Start::End, None)).expect("follow");
    for n in 11..=20 {
        log.write(n);
    }
    let (mut seen, _) = poll_until(&mut follower, 10);
    let state = follower.state();
    drop(follower);
    for n in 21..=30 {
        log.write(n);
    }
    let mut follower = Follower::new(
        std::slice::from_ref(&path),
        &options(Start::End, Some(state)),
    )
    .expect("restart");
    let (more, notices) = poll_until(&mut follower, 10);
    seen.extend(more);
    exactly_once(&seen, 11..=30);
    assert!(notices.is_empty(), "{notices:?}");
}

/// Polls until nothing more comes right away.
fn drain(follower: &mut Follower, seen: &mut Vec<u64>, notices: &mut Vec<Notice>) {
    loop {
        let progress = follower.poll(&mut |event| match event {
            Event::Line(l) => seen.push(number(l.text)),
            Event::Notice(notice) => notices.push(notice),
        });
        if !progress.more {
            break;
        }
    }
}

#[test]
fn a_truncated_file_is_read_again_from_its_start() {
    let dir = tempdir();
    let path = dir.path().join("access.log");
    let mut log = Log::create(&path);
    let mut follower =
        Follower::new(std::slice::from_ref(&path), &options(Start::End, None)).expect("follow");
    for n in 1..=100 {
        log.write(n);
    }
    let (mut seen, mut notices) = (Vec::new(), Vec::new());
    drain(&mut follower, &mut seen, &mut notices);
    assert_eq!(seen, (1..=100).collect::<Vec<_>>());

    // Truncated and shorter than what was read.
    log.file.set_len(0).expect("truncate");
    for n in 101..=110 {
        log.write(n);
    }
    seen.clear();
    drain(&mut follower, &mut seen, &mut notices);
    assert_eq!(seen, (101..=110).collect::<Vec<_>>());
    assert!(
        matches!(notices.as_slice(), [Notice::Truncated { copy: None, .. }]),
        "{notices:?}"
    );

    // Truncated and rewritten past the old end before the next poll: told by the first bytes.
    log.file.set_len(0).expect("truncate");
    for n in 111..=400 {
        log.write(n);
    }
    seen.clear();
    notices.clear();
    drain(&mut follower, &mut seen, &mut notices);
    assert_eq!(seen, (111..=400).collect::<Vec<_>>());
    assert_eq!(notices.len(), 1, "{notices:?}");
}

/// Rotates twice between two polls: the file rotated in between is read whole.
fn two_rotations_between_polls(how: Rotation) {
    let dir = tempdir();
    let path = dir.path().join("access.log");
    let mut log = Log::create(&path);
    let mut follower =
        Follower::new(std::slice::from_ref(&path), &options(Start::End, None)).expect("follow");
    for n in 1..=10 {
        log.write(n);
    }
    let (mut seen, mut notices) = (Vec::new(), Vec::new());
    drain(&mut follower, &mut seen, &mut notices);
    let mut n = 11;
    for _ in 0..2 {
        for _ in 0..10 {
            log.write(n);
            n += 1;
        }
        log.rotate(how);
    }
    for _ in 0..10 {
        log.write(n);
        n += 1;
    }
    drain(&mut follower, &mut seen, &mut notices);
    assert_eq!(
        seen,
        (1..n).collect::<Vec<_>>(),
        "every line once, in order"
    );
    assert!(
        notices
            .iter()
            .any(|x| matches!(x, Notice::RotatedBetweenPolls { .. })),
        "{notices:?}"
    );
}

#[test]
fn two_renames_between_polls_lose_nothing() {
    two_rotations_between_polls(Rotation::Rename);
}

#[test]
fn two_compressed_rotations_between_polls_lose_nothing() {
    two_rotations_between_polls(Rotation::RenameGzip);
}

#[test]
fn two_copytruncates_between_polls_lose_nothing() {
    two_rotations_between_polls(Rotation::CopyTruncate);
}

#[test]
fn a_vanished_file_is_reported_and_watched_while_the_others_go_on() {
    let dir = tempdir();
    let a = dir.path().join("a.log");
    let b = dir.path().join("b.log");
    let mut log_a = Log::create(&a);
    let mut log_b = Log::create(&b);
    let mut follower =
        Follower::new(&[a.clone(), b.clone()], &options(Start::End, None)).expect("follow");
    log_a.write(1);
    let (mut seen, mut notices) = (Vec::new(), Vec::new());
    drain(&mut follower, &mut seen, &mut notices);
    assert_eq!(seen, vec![1]);

    std::fs::remove_file(&a).expect("remove a");
    let mut n = 2;
    wait_until("the vanished file to be reported", || {
        log_b.write(n);
        n += 1;
        drain(&mut follower, &mut seen, &mut notices);
        notices
            .iter()
            .any(|x| matches!(x, Notice::Vanished { source } if source.ends_with("a.log")))
    });
    assert_eq!(seen, (1..n).collect::<Vec<_>>(), "b went on meanwhile");

    // a comes back: read from its start.
    let mut log_a = Log::create(&a);
    log_a.write(n);
    log_a.write(n + 1);
    seen.clear();
    notices.clear();
    drain(&mut follower, &mut seen, &mut notices);
    assert_eq!(seen, vec![n, n + 1]);
    assert!(
        matches!(notices.as_slice(), [Notice::Reappeared { source }] if source.ends_with("a.log")),
        "{notices:?}"
    );
    drop(log_a);
}

#[test]
fn a_missing_file_is_watched_until_it_appears() {
    let dir = tempdir();
    let path = dir.path().join("later.log");
    let mut follower =
        Follower::new(std::slice::from_ref(&path), &options(Start::End, None)).expect("follow");
    let (mut seen, mut notices) = (Vec::new(), Vec::new());
    drain(&mut follower, &mut seen, &mut notices);
    assert!(
        matches!(notices.as_slice(), [Notice::Missing { .. }]),
        "{notices:?}"
    );
    let mut log = Log::create(&path);
    log.write(1);
    drain(&mut follower, &mut seen, &mut notices);
    assert_eq!(
        seen,
        vec![1],
        "a file that appears later is read from its start"
    );
}

#[test]
fn binary_data_is_reported_once_and_skipped() {
    let dir = tempdir();
    let path = dir.path().join("access.log");
    let mut log = Log::create(&path);
    let mut follower =
        Follower::new(std::slice::from_ref(&path), &options(Start::End, None)).expect("follow");
    log.write(1);
    log.file
        .write_all(b"\x00\x01\x02garbage\x00\n")
        .expect("binary");
    log.file.write_all(b"more\x00binary\n").expect("binary");
    log.write(2);
    log.file.write_all(&[0u8; 5000]).expect("zeros");
    log.write(3);
    let (mut seen, mut notices) = (Vec::new(), Vec::new());
    drain(&mut follower, &mut seen, &mut notices);
    assert_eq!(
        seen,
        vec![1, 2, 3],
        "the text lines, the NULs before line 3 dropped"
    );
    let binary = notices
        .iter()
        .filter(|n| matches!(n, Notice::Binary { .. }))
        .count();
    assert_eq!(binary, 2, "one notice per stretch: {notices:?}");
    assert_eq!(follower.stats()[0].binary_bytes, 12 + 12 + 5000);
}

#[test]
fn start_at_end_waits_for_the_line_being_written() {
    let dir = tempdir();
    let path = dir.path().join("access.log");
    let mut log = Log::create(&path);
    log.write(1);
    let half = line(2);
    log.file.write_all(&half.as_bytes()[..5]).expect("half");
    let mut follower =
        Follower::new(std::slice::from_ref(&path), &options(Start::End, None)).expect("follow");
    let (mut seen, mut notices) = (Vec::new(), Vec::new());
    drain(&mut follower, &mut seen, &mut notices);
    assert!(seen.is_empty(), "the half line is held");
    log.file.write_all(&half.as_bytes()[5..]).expect("rest");
    log.write(3);
    drain(&mut follower, &mut seen, &mut notices);
    assert_eq!(seen, vec![2, 3]);
}

/// One step of `follower`, recording lines (numbers and offsets) and notices.
fn step_into(
    follower: &mut Follower,
    seen: &mut Vec<u64>,
    offsets: &mut Vec<u64>,
    notices: &mut Vec<Notice>,
) {
    follower.step(&mut |event| match event {
        Event::Line(l) => {
            seen.push(number(l.text));
            offsets.push(l.offset);
        }
        Event::Notice(notice) => notices.push(notice),
    });
}

#[test]
fn a_stream_hands_over_lines_as_they_come() {
    let (reader, mut writer) = std::io::pipe().expect("pipe");
    let mut follower = Follower::new(&[], &options(Start::End, None)).expect("follow");
    follower.add_stream("-", Box::new(reader)).expect("stream");
    let (mut seen, mut offsets, mut notices) = (Vec::new(), Vec::new(), Vec::new());
    let text = format!("{}{}", line(1), line(2));
    let cut = text.len() - 3;
    writer.write_all(&text.as_bytes()[..cut]).expect("write");
    wait_until("the first line", || {
        step_into(&mut follower, &mut seen, &mut offsets, &mut notices);
        !seen.is_empty()
    });
    assert_eq!(seen, vec![1], "the half line is held");
    writer.write_all(&text.as_bytes()[cut..]).expect("write");
    writer
        .write_all(b"0000003 last line without a break")
        .expect("write");
    drop(writer);
    wait_until("the end of the stream", || {
        step_into(&mut follower, &mut seen, &mut offsets, &mut notices);
        follower.finished()
    });
    assert_eq!(
        seen,
        vec![1, 2, 3],
        "the last line is whole once the stream ends"
    );
    let len = line(1).len() as u64;
    assert_eq!(offsets, vec![0, len, 2 * len]);
    assert!(
        matches!(notices.as_slice(), [Notice::Ended { .. }]),
        "{notices:?}"
    );
}

#[test]
fn a_state_saved_while_the_rotated_file_is_still_read_restores_both() {
    let dir = tempdir();
    let path = dir.path().join("access.log");
    let mut log = Log::create(&path);
    let mut follower =
        Follower::new(std::slice::from_ref(&path), &options(Start::End, None)).expect("follow");
    for n in 1..=10 {
        log.write(n);
    }
    let (mut seen, mut notices) = (Vec::new(), Vec::new());
    drain(&mut follower, &mut seen, &mut notices);
    // Renamed, and the writer has not reopened yet: it goes on writing to the old file.
    let mut old = append(&path);
    std::fs::rename(&path, numbered(&path, 1, "")).expect("rename");
    let mut new = Log::create(&path);
    old.write_all(line(11).as_bytes()).expect("late write");
    new.write(12);
    drain(&mut follower, &mut seen, &mut notices);
    assert_eq!(seen, (1..=12).collect::<Vec<_>>());
    let state = follower.state();
    assert_eq!(
        state.sources[0].files.len(),
        2,
        "the old file is still read: {state:?}"
    );
    drop(follower);

    old.write_all(line(13).as_bytes()).expect("later write");
    new.write(14);
    let mut follower = Follower::new(
        std::slice::from_ref(&path),
        &options(Start::End, Some(state)),
    )
    .expect("restart");
    let (more, _) = poll_until(&mut follower, 2);
    seen.extend(more);
    exactly_once(&seen, 1..=14);
}

#[test]
fn an_over_long_line_is_skipped_and_counted() {
    let dir = tempdir();
    let path = dir.path().join("access.log");
    let mut log = Log::create(&path);
    let mut follower =
        Follower::new(std::slice::from_ref(&path), &options(Start::End, None)).expect("follow");
    log.write(1);
    let long = vec![b'x'; (16 << 20) + 10];
    log.file.write_all(&long).expect("long line");
    log.file.write_all(b"\n").expect("its end");
    log.write(2);
    let (mut seen, mut notices) = (Vec::new(), Vec::new());
    drain(&mut follower, &mut seen, &mut notices);
    assert_eq!(seen, vec![1, 2]);
    assert_eq!(follower.stats()[0].too_long, 1);
    let first = line(1).len() as u64;
    assert!(
        matches!(notices.as_slice(), [Notice::TooLong { offset, bytes, .. }] if *offset == first && *bytes == long.len() as u64 + 1),
        "{notices:?}"
    );
}

#[test]
fn a_file_given_twice_is_refused() {
    let dir = tempdir();
    let path = dir.path().join("access.log");
    Log::create(&path);
    let other = dir.path().join(".").join("access.log");
    match Follower::new(&[path.clone(), other], &options(Start::End, None)) {
        Err(e) => assert!(e.to_string().contains("give each file once"), "{e}"),
        Ok(_) => panic!("the same file twice was accepted"),
    }
    let stdin = PathBuf::from("-");
    assert!(Follower::new(&[stdin.clone(), stdin], &options(Start::End, None)).is_err());
}
