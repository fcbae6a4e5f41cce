//! Detector settings as the app persists them (RON, as eframe stores them): each detector's
//! settings in its own field; the flat shape of earlier versions still loads, its values carried
//! over; missing fields take their defaults.

use trafficlens::app::Persisted;
use trafficlens::detect::spot::{Risk, ThresholdMode};
use trafficlens::detect::{
    Algorithm, Contamination, DetectorConfig, IsolationForestSettings, LofSettings, MaxSamples,
    Neighbourhood, Scaling, SeasonalSettings,
};

#[test]
fn the_flat_settings_of_earlier_versions_load_with_their_values() {
    let stored = "(recent:[],config:(algorithm:Lof,contamination:Fraction(0.02),n_estimators:250,\
                  max_samples:Count(128),n_neighbors:35,lof_neighbourhood:KDistance,seed:7,\
                  scaling:Robust),bottom_tab:Statistics,scale_series:true)";
    let p: Persisted = ron::from_str(stored).expect("the old shape loads");
    assert_eq!(
        p.config,
        DetectorConfig {
            algorithm: Algorithm::Lof,
            threshold: ThresholdMode::Contamination,
            contamination: Contamination::Fraction(0.02),
            risk: Risk::DEFAULT,
            scaling: Scaling::Robust,
            iforest: IsolationForestSettings {
                n_estimators: 250,
                max_samples: MaxSamples::Count(128),
                seed: 7,
            },
            lof: LofSettings {
                n_neighbors: 35,
                neighbourhood: Neighbourhood::KDistance,
            },
            seasonal: SeasonalSettings::default(),
        }
    );
    assert!(p.scale_series, "the other settings load too");
}

#[test]
fn missing_settings_take_their_defaults() {
    let p: Persisted = ron::from_str("(config:(algorithm:Lof,lof:(n_neighbors:9)))")
        .expect("a partial config loads");
    assert_eq!(p.config.algorithm, Algorithm::Lof);
    assert_eq!(p.config.lof.n_neighbors, 9);
    assert_eq!(p.config.lof.neighbourhood, Neighbourhood::KNearest);
    assert_eq!(p.config.iforest, IsolationForestSettings::default());
    assert_eq!(p.config.contamination, Contamination::Auto);
    let empty: Persisted = ron::from_str("(config:())").expect("an empty config loads");
    assert_eq!(empty.config, DetectorConfig::default());
}

#[test]
fn settings_round_trip_in_the_new_shape() {
    let mut p = Persisted::default();
    p.config.algorithm = Algorithm::Lof;
    p.config.iforest.n_estimators = 42;
    p.config.lof.neighbourhood = Neighbourhood::KDistance;
    p.config.threshold = ThresholdMode::Auto;
    p.config.risk = Risk::new(1e-3).expect("risk");
    p.config.seasonal.cycles = 4;
    let text = ron::to_string(&p).expect("serialise");
    assert!(text.contains("iforest:(n_estimators:42"), "{text}");
    let back: Persisted = ron::from_str(&text).expect("load");
    assert_eq!(back, p);
}
