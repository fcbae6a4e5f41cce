//! GUI responsiveness, measured headless with egui_kittest (the UI pass: layout, plots with
//! decimation, tables; no GPU rendering): the frame time with 1,000,000 rows plotted, and the
//! time from setting the contamination slider to updated flags.
//!
//! `cargo bench --bench gui`

use std::time::{Duration, Instant};

use egui::Role;
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use trafficlens::app::{Persisted, TrafficLensApp};
use trafficlens::data::Source;
use trafficlens::generate::table::{generate, GeneratorConfig};

fn main() {
    let rows = 1_000_000;
    let mut bytes = Vec::new();
    let cfg = GeneratorConfig {
        rows,
        step_seconds: 60,
        ..GeneratorConfig::default()
    };
    generate(&cfg, &mut bytes, &mut std::io::sink()).expect("generate");
    let source = Source::Memory {
        name: "one million rows".into(),
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
        "loaded and scored {rows} rows in {:.2} s (worker)",
        started.elapsed().as_secs_f64()
    );

    let frames = 60;
    let started = Instant::now();
    for _ in 0..frames {
        h.step();
    }
    let per_frame = started.elapsed().as_secs_f64() / f64::from(frames);
    println!(
        "frame time with {rows} rows plotted: {:.1} ms (UI pass, {frames} frames)",
        per_frame * 1e3
    );

    h.get_by_label("Automatic contamination").click();
    h.step();
    let before = h
        .state()
        .state
        .scores
        .as_ref()
        .map(|s| s.detection.threshold);
    let started = Instant::now();
    h.get_by_role_and_label(Role::Slider, "Contamination")
        .set_value_accesskit(0.02);
    h.step();
    while h
        .state()
        .state
        .scores
        .as_ref()
        .map(|s| s.detection.threshold)
        == before
        || h.state().state.scoring.is_some()
    {
        h.step();
    }
    println!(
        "contamination slider to updated flags: {:.1} ms (re-threshold of {rows} rows, no refit)",
        started.elapsed().as_secs_f64() * 1e3
    );
}
