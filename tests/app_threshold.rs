//! The detector panel's threshold rule, driven headless with egui_kittest: choosing the
//! automatic threshold and moving its risk re-flag the rows without a refit, and the flags are
//! the analysis session's for the same settings; the frame that moves the contamination slider
//! already shows the new flagged rows.

use std::sync::Arc;
use std::time::Duration;

use egui::Role;
use egui_kittest::kittest::Queryable;
use trafficlens::analysis::Session;
use trafficlens::app::{sample_source, TrafficLensApp};
use trafficlens::control::Control;
use trafficlens::detect::spot::ThresholdMode;
use trafficlens::worker::ScoreWork;

use crate::app::{harness, scored, step_until};

/// The flags the analysis session gives for the app's current settings, computed apart.
fn session_flags(app: &TrafficLensApp) -> Vec<bool> {
    let ds = app.state.dataset.as_ref().expect("loaded");
    Session::new(Arc::clone(ds))
        .score(&app.state.persisted.config, &[], Control::default())
        .expect("score")
        .detection
        .flags
        .clone()
}

#[test]
fn automatic_threshold_and_risk_reflag_without_refitting() {
    let mut h = harness(sample_source());
    step_until(&mut h, "the sample to be scored", scored);

    h.get_by_role_and_label(Role::ComboBox, "Threshold").click();
    h.run_steps(4);
    h.get_by_label("Automatic (tail fit)").click();
    h.step();
    step_until(&mut h, "the automatic threshold", |a| {
        scored(a)
            && a.state
                .scores
                .as_ref()
                .is_some_and(|s| s.detection.config.threshold == ThresholdMode::Auto)
    });
    let s = h.state().state.scores.as_ref().expect("scored");
    assert_eq!(s.work, ScoreWork::Rethresholded);
    assert_eq!(s.detection.flags, session_flags(h.state()));
    let at_default = s.detection.threshold;

    h.get_by_role_and_label(Role::Slider, "Risk")
        .set_value_accesskit(0.01);
    h.step();
    step_until(&mut h, "the new risk", |a| {
        scored(a)
            && a.state
                .scores
                .as_ref()
                .is_some_and(|s| s.detection.threshold != at_default)
    });
    let s = h.state().state.scores.as_ref().expect("scored");
    assert_eq!(s.work, ScoreWork::Rethresholded);
    assert!((s.detection.config.risk.get() - 0.01).abs() < 1e-12);
    assert!(
        s.detection.threshold < at_default,
        "a larger risk lowers it"
    );
    assert_eq!(s.detection.flags, session_flags(h.state()));
    let count = s.detection.flags.iter().filter(|f| **f).count();
    h.get_by_label(&format!("{count} of 730 rows flagged"));
}

#[test]
fn the_frame_that_moves_the_contamination_slider_shows_the_new_flags() {
    let mut h = harness(sample_source());
    step_until(&mut h, "the sample to be scored", scored);
    h.get_by_label("Automatic contamination").click();
    h.step();
    step_until(&mut h, "a contamination share", |a| {
        scored(a)
            && a.state.scores.as_ref().is_some_and(|s| {
                s.detection.config.contamination != trafficlens::detect::Contamination::Auto
            })
    });

    for (share, rows) in [(0.2, 146), (0.01, 8), (0.5, 365)] {
        h.get_by_role_and_label(Role::Slider, "Contamination")
            .set_value_accesskit(share);
        // One frame: the slider moves, the rows are flagged again on the UI thread, and the
        // table and plots drawn after the detector panel in that frame already show them.
        h.step();
        let s = h.state().state.scores.clone().expect("scored");
        let count = s.detection.flags.iter().filter(|f| **f).count();
        assert_eq!(count, rows, "{share} of 730 rows");
        assert_eq!(s.work, ScoreWork::Rethresholded);
        h.get_by_label(&format!("{rows} flagged rows"));
        // The worker's session makes the same detection; its answer ends the wait and leaves
        // the one on screen (and the views built from it) as it is.
        // (It takes well under a millisecond on 730 rows; frames keep polling for it.)
        for _ in 0..20 {
            std::thread::sleep(Duration::from_millis(10));
            h.step();
        }
        let after = h.state().state.scores.as_ref().expect("scored");
        assert!(Arc::ptr_eq(&after.detection, &s.detection), "{share}");
        assert_eq!(after.detection.flags, session_flags(h.state()), "{share}");
        h.get_by_label(&format!("{rows} of 730 rows flagged"));
    }
}
