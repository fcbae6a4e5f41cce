//! A deterministic generator of realistic regional web traffic with labelled anomalies.
//!
//! Each region has its own base level, growth trend, weekly rhythm (quieter weekends), yearly
//! swell, daily rhythm (for sub-daily steps) and noise. Anomalies of five kinds are injected
//! and labelled: single-region spikes, multi-region surges, outages (traffic near zero), slow
//! ramps and temporary level shifts. With [`GeneratorConfig::contextual`], hourly (or finer)
//! traffic also gets three contextual kinds, values that are normal at another time and so lie
//! inside the data's overall range: night surges (a daytime level at the quietest hours), midday
//! drops (a night level at the busiest hours) and lost days (a weekday at weekend level). Rows
//! are written as they are made, so ten million rows need no more memory than ten.

use std::io::{self, Write};

use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;
use rand_pcg::Pcg64Mcg;

use super::contextual::{check_step, next_row_at, window_start};

/// How dates are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateStyle {
    /// `2021-03-13` (or `2021-03-13 08:00:00` for sub-daily steps).
    Iso,
    /// `13/3/2021` (or `13/3/2021 08:00` for sub-daily steps), like the reference data.
    DayMonthYear,
}

/// The kinds of injected anomaly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AnomalyKind {
    /// One region jumps for one step.
    Spike,
    /// Several regions jump together for one to three steps.
    Surge,
    /// One or two regions drop to near zero.
    Outage,
    /// One region climbs steadily over several steps.
    Ramp,
    /// One to three regions move to another level for a while, then return.
    LevelShift,
    /// Every region at a daytime level during the quietest hours (contextual).
    NightSurge,
    /// Every region at a night level during the busiest hours (contextual).
    MiddayDrop,
    /// Every region at its weekend level for a whole weekday (contextual).
    LostDay,
}

impl AnomalyKind {
    /// Every kind, in label order.
    pub const ALL: [AnomalyKind; 8] = [
        AnomalyKind::Spike,
        AnomalyKind::Surge,
        AnomalyKind::Outage,
        AnomalyKind::Ramp,
        AnomalyKind::LevelShift,
        AnomalyKind::NightSurge,
        AnomalyKind::MiddayDrop,
        AnomalyKind::LostDay,
    ];

    /// The contextual kinds: values normal at another time of day or week.
    pub const CONTEXTUAL: [AnomalyKind; 3] = [
        AnomalyKind::NightSurge,
        AnomalyKind::MiddayDrop,
        AnomalyKind::LostDay,
    ];

    /// Whether the kind is contextual (only generated with [`GeneratorConfig::contextual`]).
    pub fn is_contextual(self) -> bool {
        Self::CONTEXTUAL.contains(&self)
    }

    /// The label written to the labels file.
    pub fn label(self) -> &'static str {
        match self {
            AnomalyKind::Spike => "spike",
            AnomalyKind::Surge => "surge",
            AnomalyKind::Outage => "outage",
            AnomalyKind::Ramp => "ramp",
            AnomalyKind::LevelShift => "level_shift",
            AnomalyKind::NightSurge => "night_surge",
            AnomalyKind::MiddayDrop => "midday_drop",
            AnomalyKind::LostDay => "lost_day",
        }
    }
}

/// Generator settings.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratorConfig {
    /// Number of regions (feature columns).
    pub regions: usize,
    /// Number of rows (time steps).
    pub rows: u64,
    /// Seconds between rows.
    pub step_seconds: i64,
    /// Time of the first row, seconds since 1970-01-01 UTC.
    pub start: i64,
    /// Random seed: the same settings and seed always give the same bytes.
    pub seed: u64,
    /// How dates are written.
    pub date_style: DateStyle,
    /// Probability that an anomaly starts at a row (when none is under way).
    pub anomaly_rate: f64,
    /// Write a UTF-8 byte-order mark first.
    pub bom: bool,
    /// End lines with CRLF instead of LF.
    pub crlf: bool,
    /// End the last line with a line break.
    pub final_newline: bool,
    /// Also inject contextual anomalies (night surges, midday drops, lost days), and give every
    /// region a pronounced weekly rhythm (weekends at 45% to 60% of weekdays) so that a lost day
    /// stands out of the noise. Needs hourly or finer rows that divide an hour.
    pub contextual: bool,
}

impl Default for GeneratorConfig {
    fn default() -> Self {
        GeneratorConfig {
            regions: 6,
            rows: 730,
            step_seconds: 86_400,
            start: 1_609_459_200, // 2021-01-01
            seed: 0,
            date_style: DateStyle::Iso,
            anomaly_rate: 0.015,
            bom: false,
            crlf: false,
            final_newline: true,
            contextual: false,
        }
    }
}

impl GeneratorConfig {
    /// The shape of the reference file: `d/m/Y` dates, BOM, CRLF, no final newline.
    pub fn seed_shaped(mut self) -> Self {
        self.date_style = DateStyle::DayMonthYear;
        self.bom = true;
        self.crlf = true;
        self.final_newline = false;
        self
    }
}

impl GeneratorConfig {
    /// The time of the last row, seconds since 1970 (wide enough that no step overflows).
    pub fn last_time(&self) -> i128 {
        i128::from(self.start)
            + i128::from(self.step_seconds) * i128::from(self.rows.saturating_sub(1))
    }
}

/// A generated time stamp that TrafficLens could not read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeRangeError {
    /// The first time stamp is before 1970.
    #[error("the first time stamp would be {}, before 1970-01-01 (the earliest time TrafficLens reads in a log)", describe_seconds(*.0))]
    BeforeEpoch(i128),
    /// The last time stamp is after 9999.
    #[error("the last time stamp would be {}, after 9999-12-31T23:59:59 (the last time with a four-digit year, which TrafficLens reads)", describe_seconds(*.0))]
    AfterYear9999(i128),
}

/// Checks that every time stamp from `first` to `last` (seconds since 1970) is one TrafficLens
/// reads back: from [`MIN_TIME_MS`](crate::data::time::MIN_TIME_MS) to
/// [`MAX_TIME_MS`](crate::data::time::MAX_TIME_MS).
pub fn check_time_range(first: i128, last: i128) -> Result<(), TimeRangeError> {
    use crate::data::time::{MAX_TIME_MS, MIN_TIME_MS};
    if first * 1000 < i128::from(MIN_TIME_MS) {
        return Err(TimeRangeError::BeforeEpoch(first));
    }
    if last * 1000 > i128::from(MAX_TIME_MS) {
        return Err(TimeRangeError::AfterYear9999(last));
    }
    Ok(())
}

/// Seconds since 1970 as a UTC date-time, or in words when no calendar date fits.
fn describe_seconds(secs: i128) -> String {
    i64::try_from(secs)
        .ok()
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .map_or_else(
            || format!("{secs} seconds after 1970-01-01 (far beyond year 9999)"),
            |dt| dt.naive_utc().format("%Y-%m-%dT%H:%M:%S").to_string(),
        )
}

/// What was generated.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GenerateSummary {
    /// Rows written.
    pub rows: u64,
    /// Rows with at least one anomaly label.
    pub anomalous_rows: u64,
    /// Events per kind, in [`AnomalyKind::ALL`] order (an event counts from its first row).
    pub events: [u64; 8],
}

/// One region's normal behaviour.
struct RegionModel {
    base: f64,
    growth_per_year: f64,
    weekend: f64,
    yearly: f64,
    daily: f64,
    peak_hour: f64,
    noise: f64,
}

impl RegionModel {
    /// The daily rhythm's factor at `hour` (0 to 24, fractional): highest at the peak hour,
    /// lowest twelve hours from it.
    fn day_factor(&self, hour: f64) -> f64 {
        (1.0 + self.daily * (std::f64::consts::TAU * (hour - self.peak_hour + 6.0) / 24.0).sin())
            .max(0.05)
    }
}

/// An anomaly under way.
struct Event {
    kind: AnomalyKind,
    first_row: u64,
    len: u64,
    regions: Vec<usize>,
    factor: f64,
}

/// Writes the data CSV to `data` and the labels CSV (`row,kind,regions`) to `labels`.
pub fn generate(
    cfg: &GeneratorConfig,
    data: &mut impl Write,
    labels: &mut impl Write,
) -> io::Result<GenerateSummary> {
    check_time_range(i128::from(cfg.start), cfg.last_time())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    if cfg.contextual {
        check_step(cfg.step_seconds).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    }
    let weekend = if cfg.contextual {
        0.45..0.60
    } else {
        0.70..0.92
    };
    let mut rng = Pcg64Mcg::seed_from_u64(cfg.seed);
    let eol: &[u8] = if cfg.crlf { b"\r\n" } else { b"\n" };
    let models: Vec<RegionModel> = (0..cfg.regions)
        .map(|_| RegionModel {
            base: rng.random_range(90.0..220.0),
            growth_per_year: rng.random_range(0.05..0.35),
            weekend: rng.random_range(weekend.clone()),
            yearly: rng.random_range(0.03..0.10),
            daily: rng.random_range(0.35..0.65),
            peak_hour: rng.random_range(13.0..17.0),
            noise: rng.random_range(0.05..0.10),
        })
        .collect();
    let names: Vec<String> = (1..=cfg.regions).map(|i| format!("Region {i}")).collect();

    if cfg.bom {
        data.write_all(&[0xef, 0xbb, 0xbf])?;
    }
    let time_name = if cfg.step_seconds % 86_400 == 0 {
        "Date"
    } else {
        "Timestamp"
    };
    write!(data, "{time_name},{}", names.join(","))?;
    labels.write_all(b"row,kind,regions\n")?;

    let mut summary = GenerateSummary::default();
    let mut event: Option<Event> = None;
    let mut deck = Deck {
        cards: Vec::new(),
        contextual: cfg.contextual,
    };
    let mut values = vec![0.0f64; cfg.regions];
    let mut whole = vec![false; cfg.regions];
    let mut day_now = vec![1.0f64; cfg.regions];
    let steps_per_day = (86_400 / cfg.step_seconds.max(1)).max(1) as u64;
    for row in 0..cfg.rows {
        let t = cfg.start + cfg.step_seconds * row as i64;
        let days = (t - cfg.start) as f64 / 86_400.0;
        let dt = chrono::DateTime::from_timestamp(t, 0)
            .unwrap_or_default()
            .naive_utc();
        let weekday = chrono::Datelike::weekday(&dt).num_days_from_monday();
        let hour = chrono::Timelike::hour(&dt) as f64 + chrono::Timelike::minute(&dt) as f64 / 60.0;
        let sub_daily = cfg.step_seconds < 86_400;
        for ((v, m), day_now) in values.iter_mut().zip(&models).zip(&mut day_now) {
            let trend = 1.0 + m.growth_per_year * days / 365.25;
            let week = if weekday >= 5 { m.weekend } else { 1.0 };
            let year = 1.0 + m.yearly * (std::f64::consts::TAU * days / 365.25).sin();
            let day = if sub_daily { m.day_factor(hour) } else { 1.0 };
            *day_now = day;
            let noise: f64 = rng.sample(StandardNormal);
            *v = (m.base * trend * week * year * day * (1.0 + m.noise * noise)).max(0.0);
        }
        whole.fill(false);

        if event.as_ref().is_some_and(|e| row >= e.first_row + e.len) {
            event = None;
        }
        if event.is_none() && row > 0 && rng.random_bool(cfg.anomaly_rate.clamp(0.0, 1.0)) {
            event = Some(start_event(
                &mut rng,
                &mut deck,
                row,
                cfg,
                &models,
                steps_per_day,
            ));
        }
        if let Some(e) = event.as_ref().filter(|e| row >= e.first_row) {
            let i = row - e.first_row;
            if i == 0 {
                summary.events[AnomalyKind::ALL
                    .iter()
                    .position(|k| *k == e.kind)
                    .unwrap_or(0)] += 1;
            }
            for &r in &e.regions {
                match e.kind {
                    AnomalyKind::Spike | AnomalyKind::Surge => {
                        values[r] = (values[r] * e.factor).round();
                        whole[r] = true;
                    }
                    AnomalyKind::Outage => values[r] *= e.factor,
                    AnomalyKind::Ramp => {
                        values[r] *= 1.0 + (e.factor - 1.0) * (i + 1) as f64 / e.len as f64
                    }
                    AnomalyKind::LevelShift => values[r] *= e.factor,
                    // The daily factor moved from this hour's to the chosen share of the
                    // region's daily swing above (surge) or below (drop) its mean.
                    AnomalyKind::NightSurge => {
                        values[r] *= (1.0 + models[r].daily * e.factor) / day_now[r]
                    }
                    AnomalyKind::MiddayDrop => {
                        values[r] *= (1.0 - models[r].daily * e.factor).max(0.05) / day_now[r]
                    }
                    AnomalyKind::LostDay => values[r] *= models[r].weekend,
                }
            }
            let regions: Vec<&str> = e.regions.iter().map(|&r| names[r].as_str()).collect();
            writeln!(labels, "{row},{},{}", e.kind.label(), regions.join(";"))?;
            summary.anomalous_rows += 1;
        }

        data.write_all(eol)?;
        write_time(data, &dt, cfg.date_style, sub_daily)?;
        for (v, is_whole) in values.iter().zip(&whole) {
            if *is_whole {
                write!(data, ",{v:.0}")?;
            } else {
                write!(data, ",{v:.2}")?;
            }
        }
        summary.rows += 1;
    }
    if cfg.final_newline {
        data.write_all(eol)?;
    }
    data.flush()?;
    labels.flush()?;
    Ok(summary)
}

/// Picks an anomaly's kind, length, regions and size. A contextual anomaly starts at the next
/// time it is wrong for its first region (so its first row may lie ahead of `row`).
fn start_event(
    rng: &mut Pcg64Mcg,
    deck: &mut Deck,
    row: u64,
    cfg: &GeneratorConfig,
    models: &[RegionModel],
    steps_per_day: u64,
) -> Event {
    let regions = cfg.regions;
    let kind = deck.draw(rng);
    let short = steps_per_day.clamp(1, 6);
    // Length, regions, then size: the order the random numbers are drawn in.
    let (len, chosen, factor) = match kind {
        AnomalyKind::Spike => (1, pick(rng, regions, 1), rng.random_range(2.6..5.0)),
        AnomalyKind::Surge => {
            let n = if regions <= 2 {
                regions
            } else {
                rng.random_range(3..=regions)
            };
            (
                rng.random_range(1..=3),
                pick(rng, regions, n),
                rng.random_range(2.2..3.5),
            )
        }
        AnomalyKind::Outage => {
            let n = rng.random_range(1..=2);
            (
                rng.random_range(1..=2) * short,
                pick(rng, regions, n),
                rng.random_range(0.0..0.03),
            )
        }
        AnomalyKind::Ramp => (
            rng.random_range(6..=14),
            pick(rng, regions, 1),
            rng.random_range(1.9..2.8),
        ),
        AnomalyKind::LevelShift => {
            let n = rng.random_range(1..=3);
            let len = rng.random_range(8..=20);
            let chosen = pick(rng, regions, n);
            let factor = if rng.random_bool(0.5) {
                rng.random_range(1.5..1.9)
            } else {
                rng.random_range(0.35..0.55)
            };
            (len, chosen, factor)
        }
        AnomalyKind::NightSurge | AnomalyKind::MiddayDrop | AnomalyKind::LostDay => {
            return contextual_event(rng, kind, row, cfg, models, steps_per_day);
        }
    };
    Event {
        kind,
        first_row: row,
        len,
        regions: chosen,
        factor,
    }
}

/// A contextual anomaly: a night surge or midday drop of two to four hours centred on the
/// first region's quietest or busiest hour, or a lost day from a weekday's midnight. It hits
/// every region (the whole site: a bot farm, a site-wide outage, a holiday), so that each of its
/// rows looks like a normal row of another time; a single region out of step with the others
/// would also be an outlier among the rows, which is not what these kinds are for. `factor` is
/// the share (0.7 to 1) of each region's daily swing that the level moves to.
fn contextual_event(
    rng: &mut Pcg64Mcg,
    kind: AnomalyKind,
    row: u64,
    cfg: &GeneratorConfig,
    models: &[RegionModel],
    steps_per_day: u64,
) -> Event {
    let steps_per_hour = (steps_per_day / 24).max(1);
    let chosen: Vec<usize> = (0..cfg.regions).collect();
    let peak = chosen.first().map_or(15.0, |&r| models[r].peak_hour);
    let (hours, first_row) = match kind {
        AnomalyKind::LostDay => (24, next_row_at(row, cfg.start, cfg.step_seconds, 0, true)),
        _ => {
            let hours = rng.random_range(2..=4);
            let centre = if kind == AnomalyKind::NightSurge {
                peak + 12.0
            } else {
                peak
            };
            let at = window_start(centre, hours);
            (
                hours,
                next_row_at(row, cfg.start, cfg.step_seconds, at, false),
            )
        }
    };
    Event {
        kind,
        first_row,
        len: hours * steps_per_hour,
        regions: chosen,
        factor: rng.random_range(0.7..1.0),
    }
}

/// Anomaly kinds dealt from a shuffled deck, so that even a short file gets every kind (spikes
/// and surges more often than the rest; with contextual anomalies, each contextual kind as
/// often as a surge).
struct Deck {
    cards: Vec<AnomalyKind>,
    contextual: bool,
}

impl Deck {
    /// The deck's contents before shuffling.
    const FULL: [AnomalyKind; 8] = [
        AnomalyKind::Spike,
        AnomalyKind::Spike,
        AnomalyKind::Spike,
        AnomalyKind::Surge,
        AnomalyKind::Surge,
        AnomalyKind::Outage,
        AnomalyKind::Ramp,
        AnomalyKind::LevelShift,
    ];

    fn draw(&mut self, rng: &mut Pcg64Mcg) -> AnomalyKind {
        if self.cards.is_empty() {
            self.cards = Self::FULL.to_vec();
            if self.contextual {
                for kind in AnomalyKind::CONTEXTUAL {
                    self.cards.extend([kind, kind]);
                }
            }
            for i in (1..self.cards.len()).rev() {
                let j = rng.random_range(0..=i);
                self.cards.swap(i, j);
            }
        }
        self.cards.pop().unwrap_or(AnomalyKind::Spike)
    }
}

/// Picks `n` distinct regions of `regions` at random, in ascending order.
fn pick(rng: &mut Pcg64Mcg, regions: usize, n: usize) -> Vec<usize> {
    let n = n.min(regions);
    let mut all: Vec<usize> = (0..regions).collect();
    for i in 0..n {
        let j = rng.random_range(i..regions);
        all.swap(i, j);
    }
    let mut chosen = all[..n].to_vec();
    chosen.sort_unstable();
    chosen
}

/// Writes one timestamp.
fn write_time(
    w: &mut impl Write,
    dt: &chrono::NaiveDateTime,
    style: DateStyle,
    with_time: bool,
) -> io::Result<()> {
    use chrono::{Datelike, Timelike};
    match (style, with_time) {
        (DateStyle::Iso, false) => write!(w, "{:04}-{:02}-{:02}", dt.year(), dt.month(), dt.day()),
        (DateStyle::Iso, true) => write!(
            w,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            dt.year(),
            dt.month(),
            dt.day(),
            dt.hour(),
            dt.minute(),
            dt.second()
        ),
        (DateStyle::DayMonthYear, false) => write!(w, "{}/{}/{}", dt.day(), dt.month(), dt.year()),
        (DateStyle::DayMonthYear, true) => write!(
            w,
            "{}/{}/{} {:02}:{:02}",
            dt.day(),
            dt.month(),
            dt.year(),
            dt.hour(),
            dt.minute()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(cfg: &GeneratorConfig) -> (String, String, GenerateSummary) {
        let (mut d, mut l) = (Vec::new(), Vec::new());
        let s = generate(cfg, &mut d, &mut l).expect("generate");
        (
            String::from_utf8(d).unwrap_or_default(),
            String::from_utf8(l).unwrap_or_default(),
            s,
        )
    }

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let cfg = GeneratorConfig::default();
        let a = run(&cfg);
        assert_eq!(a, run(&cfg));
        let b = run(&GeneratorConfig { seed: 1, ..cfg });
        assert_ne!(a.0, b.0);
    }

    #[test]
    fn shape_and_labels() {
        let cfg = GeneratorConfig {
            rows: 2000,
            ..GeneratorConfig::default()
        };
        let (data, labels, summary) = run(&cfg);
        let lines: Vec<&str> = data.lines().collect();
        assert_eq!(
            lines[0],
            "Date,Region 1,Region 2,Region 3,Region 4,Region 5,Region 6"
        );
        assert_eq!(lines.len(), 2001);
        assert!(lines[1].starts_with("2021-01-01,"));
        assert_eq!(summary.anomalous_rows as usize, labels.lines().count() - 1);
        assert!(
            summary.events[..5].iter().all(|&n| n > 0),
            "every classic kind occurs: {:?}",
            summary.events
        );
        let share = summary.anomalous_rows as f64 / 2000.0;
        assert!((0.02..0.15).contains(&share), "anomalous share {share}");
    }

    /// Twelve weeks of hourly traffic with contextual anomalies.
    fn contextual(seed: u64) -> GeneratorConfig {
        GeneratorConfig {
            rows: 24 * 7 * 12,
            step_seconds: 3600,
            contextual: true,
            seed,
            ..GeneratorConfig::default()
        }
    }

    /// The data rows as (time, values) and the labels as (row, kind, region indexes).
    #[allow(clippy::type_complexity)]
    fn parse(
        data: &str,
        labels: &str,
    ) -> (
        Vec<(chrono::NaiveDateTime, Vec<f64>)>,
        Vec<(usize, String, Vec<usize>)>,
    ) {
        let rows = data
            .lines()
            .skip(1)
            .map(|line| {
                let mut cells = line.split(',');
                let t = chrono::NaiveDateTime::parse_from_str(
                    cells.next().expect("time"),
                    "%Y-%m-%d %H:%M:%S",
                )
                .expect("time stamp");
                (t, cells.map(|c| c.parse().expect("number")).collect())
            })
            .collect();
        let labels = labels
            .lines()
            .skip(1)
            .map(|line| {
                let cells: Vec<&str> = line.split(',').collect();
                let regions = cells[2]
                    .split(';')
                    .map(|r| {
                        r.trim_start_matches("Region ")
                            .parse::<usize>()
                            .expect("region")
                            - 1
                    })
                    .collect();
                (
                    cells[0].parse().expect("row"),
                    cells[1].to_string(),
                    regions,
                )
            })
            .collect();
        (rows, labels)
    }

    fn median(mut v: Vec<f64>) -> f64 {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    }

    #[test]
    fn contextual_anomalies_are_where_the_labels_say() {
        use chrono::{Datelike, Timelike};
        for seed in [0, 1, 2] {
            let cfg = contextual(seed);
            let (data, labels, summary) = run(&cfg);
            let (rows, labels) = parse(&data, &labels);
            assert_eq!(rows.len() as u64, cfg.rows);
            assert!(
                summary.events.iter().all(|&n| n > 0),
                "seed {seed}: every kind occurs: {:?}",
                summary.events
            );
            let labelled: std::collections::HashSet<usize> = labels.iter().map(|l| l.0).collect();
            let weekend = |t: &chrono::NaiveDateTime| t.weekday().num_days_from_monday() >= 5;
            // What is normal for a region at an hour of a weekday or weekend day.
            let normal = |region: usize, hour: u32, is_weekend: bool| {
                median(
                    rows.iter()
                        .enumerate()
                        .filter(|(i, (t, _))| {
                            !labelled.contains(i) && t.hour() == hour && weekend(t) == is_weekend
                        })
                        .map(|(_, (_, v))| v[region])
                        .collect(),
                )
            };
            // A whole day's traffic of a region.
            let day_total = |region: usize, first: usize| -> f64 {
                rows[first..first + 24].iter().map(|(_, v)| v[region]).sum()
            };
            let normal_weekday_total = |region: usize| {
                median(
                    (0..rows.len() / 24)
                        .map(|d| d * 24)
                        .filter(|&r| !weekend(&rows[r].0))
                        .filter(|&r| (r..r + 24).all(|i| !labelled.contains(&i)))
                        .map(|r| day_total(region, r))
                        .collect(),
                )
            };
            let mut kinds = std::collections::BTreeSet::new();
            for (row, kind, regions) in &labels {
                let (t, v) = &rows[*row];
                let (hour, is_weekend) = (t.hour(), weekend(t));
                for &r in regions {
                    let ratio = v[r] / normal(r, hour, is_weekend);
                    match kind.as_str() {
                        "night_surge" => {
                            assert!(hour >= 23 || hour <= 7, "night surge at {t}");
                            assert!(ratio > 1.3, "night surge at {t}: {ratio:.2} x normal");
                        }
                        "midday_drop" => {
                            assert!((11..=19).contains(&hour), "midday drop at {t}");
                            assert!(ratio < 0.8, "midday drop at {t}: {ratio:.2} x normal");
                        }
                        "lost_day" => {
                            assert!(!is_weekend, "lost day on {t}");
                            if hour == 0 {
                                let first = *row;
                                assert!(
                                    (first..first + 24).all(|i| labels
                                        .iter()
                                        .any(|l| l.0 == i && l.1 == "lost_day")),
                                    "a lost day from {t} is labelled for 24 hours"
                                );
                                let share = day_total(r, first) / normal_weekday_total(r);
                                assert!(share < 0.75, "lost day {t}: {share:.2} of a weekday");
                            }
                        }
                        _ => continue,
                    }
                    kinds.insert(kind.clone());
                }
            }
            assert_eq!(kinds.len(), 3, "seed {seed}: {kinds:?}");
        }
    }

    #[test]
    fn contextual_output_is_deterministic_and_needs_fine_steps() {
        let a = run(&contextual(5));
        assert_eq!(a, run(&contextual(5)));
        assert_ne!(a.0, run(&contextual(6)).0);
        for step in [7200, 86_400, 420] {
            let cfg = GeneratorConfig {
                step_seconds: step,
                ..contextual(5)
            };
            let err = generate(&cfg, &mut Vec::new(), &mut Vec::new()).expect_err("step");
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        }
        // Without contextual anomalies no contextual kind is dealt.
        let plain = run(&GeneratorConfig {
            contextual: false,
            ..contextual(5)
        });
        assert!(plain.2.events[5..].iter().all(|&n| n == 0));
        assert!(plain.2.events[..5].iter().all(|&n| n > 0));
    }

    #[test]
    fn seed_shape_has_bom_crlf_and_no_final_newline() {
        let (data, _, _) = run(&GeneratorConfig::default().seed_shaped());
        assert!(data.starts_with('\u{feff}'));
        assert!(data.contains("\r\n1/1/2021,") || data.contains("\r\n1/1/2021,"));
        assert!(!data.ends_with('\n'));
    }
}
