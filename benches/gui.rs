//! GUI responsiveness, measured headless with egui_kittest: the UI pass (layout, plots with
//! decimation, tables, the AccessKit tree) plus egui's tessellation of the frame's shapes (the
//! CPU side of a frame; no GPU upload or drawing). On `TRAFFICLENS_GUI_ROWS` rows (default
//! 1,000,000) of the generator's 6 regions, it prints
//! - the steady frame time with every row plotted (decimated), wall and the UI thread's CPU time;
//! - for each of several contamination values set on the slider: the time from the change to the
//!   updated state (threshold, flags, flagged table) on screen, the worker's share of it, and the
//!   wall and CPU time of the frame that takes the new flags in (markers, threshold line, table).
//!
//! `cargo bench --bench gui` (or `TRAFFICLENS_GUI_ROWS=10000000 cargo bench --bench gui`)

use std::time::{Duration, Instant};

use egui::Role;
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use trafficlens::app::{Persisted, TrafficLensApp};
use trafficlens::data::Source;
use trafficlens::generate::table::{generate, GeneratorConfig};

/// The CPU time this thread has run (Linux: `/proc/thread-self/schedstat`), when readable.
fn thread_cpu() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

/// One frame: the UI pass and the tessellation of its shapes. Returns (wall, thread CPU) in ms.
fn frame(h: &mut Harness<'static, TrafficLensApp>) -> (f64, f64) {
    let cpu = thread_cpu();
    let started = Instant::now();
    h.step();
    let out = h.output();
    let shapes = out.shapes.clone();
    let primitives = h.ctx.tessellate(shapes, out.pixels_per_point);
    std::hint::black_box(primitives);
    let wall = started.elapsed().as_secs_f64() * 1e3;
    let cpu = match (cpu, thread_cpu()) {
        (Some(a), Some(b)) => (b - a).as_secs_f64() * 1e3,
        _ => f64::NAN,
    };
    (wall, cpu)
}

/// The median of `v` (sorted in place).
fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// The current threshold on screen, if scored and not scoring.
fn threshold(app: &TrafficLensApp) -> Option<f64> {
    if app.state.scoring.is_some() {
        return None;
    }
    app.state.scores.as_ref().map(|s| s.detection.threshold)
}

fn main() {
    let rows: u64 = std::env::var("TRAFFICLENS_GUI_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let mut bytes = Vec::new();
    let cfg = GeneratorConfig {
        rows,
        step_seconds: 60,
        ..GeneratorConfig::default()
    };
    generate(&cfg, &mut bytes, &mut std::io::sink()).expect("generate");
    let source = Source::Memory {
        name: format!("{rows} rows").into(),
        bytes: bytes.into(),
    };
    let app = TrafficLensApp::new(Persisted::default(), source, || {});
    let mut h = Harness::builder()
        .with_size(egui::vec2(1440.0, 900.0))
        .build_ui_state(|ui, app: &mut TrafficLensApp| app.ui_frame(ui), app);
    let started = Instant::now();
    while h.state().state.scores.is_none() || h.state().state.scoring.is_some() {
        h.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    println!(
        "loaded and scored {rows} rows x 6 features in {:.2} s (worker)",
        started.elapsed().as_secs_f64()
    );

    // The slider is enabled once the contamination is a share (a re-threshold at 5%).
    h.get_by_label("Automatic contamination").click();
    h.step();
    while h.state().state.scoring.is_some()
        || h.state().state.scores.as_ref().is_none_or(|s| {
            s.detection.config.contamination == trafficlens::detect::Contamination::Auto
        })
    {
        h.step();
        std::thread::sleep(Duration::from_millis(2));
    }

    let frames = 40;
    let (mut walls, mut cpus): (Vec<f64>, Vec<f64>) = (0..frames).map(|_| frame(&mut h)).unzip();
    let worst = walls.iter().copied().fold(0.0, f64::max);
    println!(
        "steady frame with {rows} rows plotted: {:.1} ms wall, {:.1} ms UI-thread CPU (median of \
         {frames}; worst {worst:.1} ms wall)",
        median(&mut walls),
        median(&mut cpus),
    );

    let mut latencies = Vec::new();
    let mut update_walls = Vec::new();
    let mut update_cpus = Vec::new();
    let mut workers = Vec::new();
    for value in [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.003] {
        let before = threshold(h.state());
        let flagged_before = h
            .state()
            .state
            .scores
            .as_ref()
            .map(|s| s.detection.flags.iter().filter(|f| **f).count());
        let started = Instant::now();
        h.get_by_role_and_label(Role::Slider, "Contamination")
            .set_value_accesskit(value);
        // The frame that moves the slider sends the job; then frames until the new flags show.
        let mut last = frame(&mut h);
        while threshold(h.state()).is_none_or(|t| Some(t) == before) {
            std::thread::yield_now();
            last = frame(&mut h);
        }
        let latency = started.elapsed().as_secs_f64() * 1e3;
        let s = h.state().state.scores.as_ref().expect("scored");
        let flagged = s.detection.flags.iter().filter(|f| **f).count();
        let worker = s.elapsed.as_secs_f64() * 1e3;
        // The frame after: markers, threshold line and table drawn from the new flags again.
        let next = frame(&mut h);
        println!(
            "contamination {value}: {flagged_before:?} -> {flagged} flagged; change to updated \
             state {latency:.1} ms (re-threshold {worker:.1} ms); frame taking the new flags in \
             {:.1} ms wall / {:.1} ms CPU; next frame {:.1} ms wall",
            last.0, last.1, next.0
        );
        latencies.push(latency);
        workers.push(worker);
        update_walls.push(last.0);
        update_cpus.push(last.1);
    }
    println!(
        "contamination slider, median of {}: change to updated state {:.1} ms (re-threshold {:.1} ms); \
         frame taking the new flags in {:.1} ms wall / {:.1} ms CPU ({rows} rows, no refit)",
        latencies.len(),
        median(&mut latencies),
        median(&mut workers),
        median(&mut update_walls),
        median(&mut update_cpus),
    );
}
