//! Streaming, parallel reading of an access log (plain or gzip): the file is read in chunks that
//! end at a line break, never held whole; each chunk is parsed by all cores into column batches,
//! which are appended in order. Malformed lines are counted and the first few kept with their
//! line numbers; they never stop the parse.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::io::Read;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::sync_channel;
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;

use super::address::canonical;
use super::attack_patterns::{classify_referer, classify_target, classify_user_agent};
use super::declared_bot::declared_bot;
use super::format::LogFormat;
use super::line::{is_login_path, parse_line, LineError, Method};
use super::resource::{is_asset, referer_host, site_key};
use super::{AccessLog, AttackLine, ClientIndex, Malformed};
use crate::clock::ClockPoints;
use crate::control::Control;
use crate::data::{LoadError, Source};
use crate::zone::ZoneSeen;

/// Bytes read per chunk.
const CHUNK: usize = 8 << 20;
/// Longer lines are skipped as malformed (and never held in memory whole).
pub const MAX_LINE: usize = 16 << 20;
/// Malformed lines kept as examples.
pub const SAMPLES: usize = 10;
/// Lines with attack patterns kept (with their text) for showing per client.
pub const ATTACK_LINES: usize = 50_000;
/// Characters of a line with attack patterns kept.
const ATTACK_TEXT: usize = 400;

/// The seed of the hashes of paths and user agents (fixed: results never depend on a run).
pub(crate) fn hasher() -> foldhash::fast::FixedState {
    foldhash::fast::FixedState::with_seed(0x7261_6666_6963_6c65)
}

/// A reader that counts the (compressed) bytes passed through it.
struct Counting<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// What the reading thread hands over.
enum Piece {
    /// Whole lines (the last chunk may end without a line break).
    Lines(Vec<u8>),
    /// One line longer than [`MAX_LINE`], skipped; its length.
    TooLong(u64),
}

/// Opens the source, decompressing gzip.
pub(crate) fn open(
    source: &Source,
    gzip: bool,
    counter: Arc<AtomicU64>,
) -> Result<Box<dyn Read + Send>, LoadError> {
    let raw = Counting {
        inner: source.open()?,
        read: counter,
    };
    Ok(if gzip {
        Box::new(flate2::read::MultiGzDecoder::new(
            std::io::BufReader::with_capacity(1 << 20, raw),
        ))
    } else {
        Box::new(raw)
    })
}

/// Reads the whole log with `format`.
pub fn read_log(
    source: &Source,
    format: &LogFormat,
    gzip: bool,
    control: Control<'_>,
) -> Result<AccessLog, LoadError> {
    let started = Instant::now();
    let path = source.path().to_path_buf();
    let fingerprint = source.fingerprint()?;
    let counter = Arc::new(AtomicU64::new(0));
    let mut reader = open(source, gzip, Arc::clone(&counter))?;
    let total = fingerprint.len.max(1) as f64;
    let (tx, rx) = sync_channel::<Result<Piece, std::io::Error>>(2);
    let stop = AtomicBool::new(false);
    let mut builder = Builder::new(format);
    let mut cut_short = false;
    std::thread::scope(|scope| -> Result<(), LoadError> {
        let stop = &stop;
        scope.spawn(move || {
            let mut carry: Vec<u8> = Vec::new();
            let mut skipping: Option<u64> = None;
            loop {
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                let mut buf = std::mem::take(&mut carry);
                let start = buf.len();
                buf.resize(start + CHUNK, 0);
                let mut filled = start;
                let mut eof = false;
                while filled < buf.len() {
                    match reader.read(&mut buf[filled..]) {
                        Ok(0) => {
                            eof = true;
                            break;
                        }
                        Ok(n) => filled += n,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => {
                            let _ = tx.send(Err(e));
                            return;
                        }
                    }
                }
                buf.truncate(filled);
                if let Some(skipped) = skipping.as_mut() {
                    // Inside an over-long line: drop bytes until its line break.
                    match memchr::memchr(b'\n', &buf) {
                        Some(i) => {
                            *skipped += i as u64;
                            let n = *skipped;
                            skipping = None;
                            if tx.send(Ok(Piece::TooLong(n))).is_err() {
                                return;
                            }
                            buf.drain(..=i);
                        }
                        None => {
                            *skipped += buf.len() as u64;
                            if eof {
                                let _ = tx.send(Ok(Piece::TooLong(*skipped)));
                                return;
                            }
                            continue;
                        }
                    }
                }
                if eof {
                    if !buf.is_empty() {
                        let _ = tx.send(Ok(Piece::Lines(buf)));
                    }
                    return;
                }
                match memchr::memrchr(b'\n', &buf) {
                    Some(i) => {
                        carry = buf.split_off(i + 1);
                        if tx.send(Ok(Piece::Lines(buf))).is_err() {
                            return;
                        }
                    }
                    None if buf.len() >= MAX_LINE => skipping = Some(buf.len() as u64),
                    None => carry = buf,
                }
            }
        });
        let result = (|| {
            for piece in rx.iter() {
                if control.cancelled() {
                    return Err(LoadError::Cancelled);
                }
                match piece.map_err(|e| gzip_or_io(&path, gzip, e))? {
                    Piece::Lines(bytes) => {
                        cut_short = !bytes.ends_with(b"\n");
                        builder.add_chunk(&bytes);
                    }
                    Piece::TooLong(n) => builder.add_too_long(n),
                }
                control.report((counter.load(Ordering::Relaxed) as f64 / total).min(1.0) as f32);
            }
            Ok(())
        })();
        stop.store(true, Ordering::Relaxed);
        // Unblock the reader if it waits to send.
        drop(rx);
        result
    })?;
    if cut_short {
        if let Some(last) = builder.samples.last_mut() {
            if last.line == builder.lines {
                last.reason
                    .push_str("; the last line has no line break, so the file may be cut short");
            }
        }
    }
    Ok(builder.finish(source.clone(), fingerprint, gzip, format.clone(), started))
}

/// A read error as a load error: damaged gzip data, or the I/O error.
pub(crate) fn gzip_or_io(path: &std::path::Path, gzip: bool, e: std::io::Error) -> LoadError {
    if gzip
        && matches!(
            e.kind(),
            std::io::ErrorKind::InvalidInput
                | std::io::ErrorKind::InvalidData
                | std::io::ErrorKind::UnexpectedEof
        )
    {
        LoadError::Gzip {
            path: path.to_path_buf(),
            message: e.to_string(),
        }
    } else {
        LoadError::io(path, e)
    }
}

/// Distinct byte strings (client addresses, hosts), numbered in order of first appearance.
struct Names {
    ids: HashMap<Box<[u8]>, u32, foldhash::fast::FixedState>,
    names: Vec<Box<[u8]>>,
}

impl Default for Names {
    fn default() -> Self {
        Names {
            ids: HashMap::with_hasher(hasher()),
            names: Vec::new(),
        }
    }
}

impl Names {
    /// The number of `key`: its own, or the next one; `None` when `limit` names are taken.
    fn number(&mut self, key: &[u8], limit: usize) -> Option<u32> {
        if let Some(&id) = self.ids.get(key) {
            return Some(id);
        }
        if self.names.len() >= limit {
            return None;
        }
        let id = self.names.len() as u32;
        self.names.push(Box::from(key));
        self.ids.insert(Box::from(key), id);
        Some(id)
    }

    /// Writes every name in its standard spelling (see [`canonical`]), after the batch is
    /// parsed: two spellings of one address stay two local numbers, which the merge gives one
    /// global number. The lookup map is emptied, as it no longer matches the names.
    fn standardise(&mut self) {
        self.ids.clear();
        for name in &mut self.names {
            if let std::borrow::Cow::Owned(standard) = canonical(name) {
                *name = standard.into_boxed_slice();
            }
        }
    }

    /// The names as text, in number order.
    fn into_strings(self) -> Vec<String> {
        self.names
            .iter()
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .collect()
    }
}

/// Hosts beyond this many count as none (`u16::MAX`).
const MAX_HOSTS: usize = u16::MAX as usize - 1;

/// The number of a host, or `u16::MAX` for none.
fn host_number(hosts: &mut Names, host: &[u8]) -> u16 {
    if host.is_empty() {
        return u16::MAX;
    }
    hosts.number(host, MAX_HOSTS).map_or(u16::MAX, |n| n as u16)
}

/// One value per well-formed request, column by column.
#[derive(Default)]
struct Requests {
    client: Vec<u32>,
    vhost: Vec<u16>,
    time: Vec<i64>,
    status: Vec<u16>,
    bytes: Vec<u64>,
    method: Vec<Method>,
    path: Vec<u64>,
    login: Vec<bool>,
    agent: Vec<u64>,
    request_ms: Vec<f32>,
    query: Vec<u64>,
    referer: Vec<u64>,
    asset: Vec<bool>,
    attack: Vec<u8>,
    bot: Vec<u8>,
}

impl Requests {
    /// Appends `other`, renumbering its clients and hosts through the maps.
    fn append(&mut self, other: &Requests, clients: &[u32], hosts: &[u16]) {
        self.client
            .extend(other.client.iter().map(|&c| clients[c as usize]));
        self.vhost.extend(
            other
                .vhost
                .iter()
                .map(|&h| hosts.get(usize::from(h)).copied().unwrap_or(u16::MAX)),
        );
        self.time.extend_from_slice(&other.time);
        self.status.extend_from_slice(&other.status);
        self.bytes.extend_from_slice(&other.bytes);
        self.method.extend_from_slice(&other.method);
        self.path.extend_from_slice(&other.path);
        self.login.extend_from_slice(&other.login);
        self.agent.extend_from_slice(&other.agent);
        self.request_ms.extend_from_slice(&other.request_ms);
        self.query.extend_from_slice(&other.query);
        self.referer.extend_from_slice(&other.referer);
        self.asset.extend_from_slice(&other.asset);
        self.attack.extend_from_slice(&other.attack);
        self.bot.extend_from_slice(&other.bot);
    }
}

/// Requests parsed from one part of a chunk, with clients and hosts numbered locally.
#[derive(Default)]
struct Batch<'a> {
    clients: Names,
    hosts: Names,
    requests: Requests,
    lines: u64,
    blank: u64,
    malformed: u64,
    samples: Vec<(u64, LineError, &'a [u8])>,
    /// Lines with attack patterns: (line in the part, request in the part, text).
    attack_lines: Vec<(u64, u32, &'a [u8])>,
    /// The offsets the request times were written with.
    zone: ZoneSeen,
    /// Where those offsets changed.
    clock: ClockPoints,
}

fn parse_part<'a>(format: &LogFormat, part: &'a [u8], with_ms: bool) -> Batch<'a> {
    let hash = hasher();
    let mut b = Batch::default();
    // User agents, referers and targets repeat: each distinct one is classified once per part.
    let mut agents: HashMap<u64, (u8, u8), foldhash::fast::FixedState> =
        HashMap::with_hasher(hasher());
    let mut referers: HashMap<u64, (u8, u64), foldhash::fast::FixedState> =
        HashMap::with_hasher(hasher());
    let mut targets: HashMap<(u64, u64), u8, foldhash::fast::FixedState> =
        HashMap::with_hasher(hasher());
    let mut scratch = Vec::new();
    let expected = part.len() / 160 + 1;
    b.requests.client.reserve(expected);
    b.requests.time.reserve(expected);
    for line in part.split_inclusive(|&c| c == b'\n') {
        b.lines += 1;
        let text = line.strip_suffix(b"\n").unwrap_or(line);
        match parse_line(format, text, &mut scratch) {
            Ok(p) => {
                let r = &mut b.requests;
                // A part holds far fewer than 2^32 lines, so a number is always given.
                r.client
                    .push(b.clients.number(p.client, usize::MAX).unwrap_or(0));
                r.vhost.push(host_number(&mut b.hosts, p.vhost));
                r.time.push(p.time_ms);
                b.zone.note(p.offset_min);
                b.clock.note(p.time_ms, p.offset_min);
                r.status.push(p.status);
                r.bytes.push(p.bytes);
                r.method.push(p.method);
                let path = hash.hash_one(p.path);
                r.path.push(path);
                r.login.push(is_login_path(p.path));
                let agent = hash.hash_one(p.user_agent);
                r.agent.push(agent);
                if with_ms {
                    r.request_ms.push(p.request_ms);
                }
                let query = if p.query.is_empty() {
                    0
                } else {
                    hash.hash_one(p.query).max(1)
                };
                r.query.push(query);
                let (agent_attack, bot) = *agents.entry(agent).or_insert_with(|| {
                    (
                        classify_user_agent(p.user_agent),
                        declared_bot(p.user_agent),
                    )
                });
                let (referer_attack, site) = if p.referer.is_empty() {
                    (0, 0)
                } else {
                    *referers.entry(hash.hash_one(p.referer)).or_insert_with(|| {
                        (
                            classify_referer(p.referer),
                            site_key(referer_host(p.referer)),
                        )
                    })
                };
                r.referer.push(site);
                r.asset.push(is_asset(p.path));
                let target_attack = *targets
                    .entry((path, query))
                    .or_insert_with(|| classify_target(p.path, p.query));
                let attack = agent_attack | referer_attack | target_attack;
                r.attack.push(attack);
                r.bot.push(bot);
                if attack != 0 && b.attack_lines.len() < ATTACK_LINES {
                    b.attack_lines
                        .push((b.lines, (r.client.len() - 1) as u32, text));
                }
            }
            Err(LineError::Empty) => b.blank += 1,
            Err(e) => {
                b.malformed += 1;
                if b.samples.len() < SAMPLES {
                    b.samples.push((b.lines, e, text));
                }
            }
        }
    }
    // Spellings of one address become one client (done here, in parallel, once per address).
    b.clients.standardise();
    b
}

/// Accumulates batches into the log's columns, numbering clients and hosts globally.
struct Builder<'f> {
    format: &'f LogFormat,
    with_ms: bool,
    clients: Names,
    hosts: Names,
    requests: Requests,
    lines: u64,
    blank: u64,
    malformed: u64,
    samples: Vec<Malformed>,
    attack_lines: Vec<AttackLine>,
    zone: ZoneSeen,
    clock: ClockPoints,
}

impl<'f> Builder<'f> {
    fn new(format: &'f LogFormat) -> Self {
        Builder {
            format,
            with_ms: format.has_request_time(),
            clients: Names::default(),
            hosts: Names::default(),
            requests: Requests::default(),
            lines: 0,
            blank: 0,
            malformed: 0,
            samples: Vec::new(),
            attack_lines: Vec::new(),
            zone: ZoneSeen::default(),
            clock: ClockPoints::default(),
        }
    }

    fn add_too_long(&mut self, len: u64) {
        self.lines += 1;
        self.malformed += 1;
        if self.samples.len() < SAMPLES {
            self.samples.push(Malformed {
                line: self.lines,
                reason: format!(
                    "the line is {len} bytes long (over {} MB); skipped",
                    MAX_LINE >> 20
                ),
                text: String::new(),
            });
        }
    }

    fn add_chunk(&mut self, bytes: &[u8]) {
        let parts = split_at_lines(bytes, rayon::current_num_threads() * 4);
        let (format, with_ms) = (self.format, self.with_ms);
        let batches: Vec<Batch<'_>> = parts
            .par_iter()
            .map(|p| parse_part(format, p, with_ms))
            .collect();
        let extra: usize = batches.iter().map(|b| b.requests.client.len()).sum();
        self.requests.client.reserve(extra);
        self.requests.time.reserve(extra);
        for b in batches {
            let clients: Vec<u32> = b
                .clients
                .names
                .iter()
                .map(|c| self.clients.number(c, usize::MAX).unwrap_or(0))
                .collect();
            let hosts: Vec<u16> = b
                .hosts
                .names
                .iter()
                .map(|h| host_number(&mut self.hosts, h))
                .collect();
            let first_request = self.requests.client.len() as u32;
            self.requests.append(&b.requests, &clients, &hosts);
            for (line, request, text) in b.attack_lines {
                if self.attack_lines.len() < ATTACK_LINES {
                    self.attack_lines.push(AttackLine {
                        request: first_request + request,
                        line: self.lines + line,
                        text: cut_text(text, ATTACK_TEXT),
                    });
                }
            }
            for (line, err, text) in b.samples {
                if self.samples.len() < SAMPLES {
                    self.samples.push(Malformed {
                        line: self.lines + line,
                        reason: err.to_string(),
                        text: sample_text(text),
                    });
                }
            }
            self.zone = self.zone.merge(b.zone);
            self.clock = std::mem::take(&mut self.clock).merge(b.clock);
            self.lines += b.lines;
            self.blank += b.blank;
            self.malformed += b.malformed;
        }
    }

    fn finish(
        self,
        source: Source,
        fingerprint: crate::data::Fingerprint,
        gzip: bool,
        format: LogFormat,
        started: Instant,
    ) -> AccessLog {
        let r = self.requests;
        let clients = self.clients.into_strings();
        let by_client = ClientIndex::build(&r.client, &r.time, clients.len());
        AccessLog {
            source,
            fingerprint,
            gzip,
            format,
            clients,
            vhosts: self.hosts.into_strings(),
            client: r.client,
            vhost: r.vhost,
            time: r.time,
            status: r.status,
            bytes: r.bytes,
            method: r.method,
            path: r.path,
            login: r.login,
            agent: r.agent,
            request_ms: self.with_ms.then_some(r.request_ms),
            query: r.query,
            referer: r.referer,
            asset: r.asset,
            attack: r.attack,
            bot: r.bot,
            attack_lines: self.attack_lines,
            lines: self.lines,
            blank: self.blank,
            malformed: self.malformed,
            samples: self.samples,
            by_client,
            zone: self.zone.zone(),
            clock: self.clock.finish(),
            parse_time: started.elapsed(),
        }
    }
}

/// The start of a malformed line, for messages (at most 160 characters).
fn sample_text(text: &[u8]) -> String {
    cut_text(text, 160)
}

/// The first `max` bytes of a line as text (invalid UTF-8 replaced), `...` when cut.
fn cut_text(text: &[u8], max: usize) -> String {
    let text = text.strip_suffix(b"\r").unwrap_or(text);
    let cut = &text[..text.len().min(max)];
    let mut s = String::from_utf8_lossy(cut).into_owned();
    if text.len() > max {
        s.push_str("...");
    }
    s
}

/// Splits `bytes` into about `n` parts, each ending at a line break.
fn split_at_lines(bytes: &[u8], n: usize) -> Vec<&[u8]> {
    let target = (bytes.len() / n.max(1)).max(64 << 10);
    let mut parts = Vec::with_capacity(n + 1);
    let mut start = 0;
    while start < bytes.len() {
        let guess = (start + target).min(bytes.len());
        let end = if guess >= bytes.len() {
            bytes.len()
        } else {
            memchr::memchr(b'\n', &bytes[guess..]).map_or(bytes.len(), |i| guess + i + 1)
        };
        parts.push(&bytes[start..end]);
        start = end;
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_end_at_line_breaks() {
        let text: Vec<u8> = (0..50_000)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect();
        let parts = split_at_lines(&text, 8);
        assert!(parts.len() > 1);
        assert_eq!(parts.concat(), text);
        assert!(parts.iter().all(|p| p.ends_with(b"\n")));
    }
}
