//! How a detection turns scores into flags: by scikit-learn's contamination or automatically
//! from the scores' tail (SPOT).

use serde::{Deserialize, Serialize};

/// The threshold rule of a detection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ThresholdMode {
    /// scikit-learn's rule: the detector's fixed offset (`auto`) or a share of the rows.
    #[default]
    Contamination,
    /// SPOT: the score a normal row exceeds with probability `risk`, from a generalized Pareto
    /// fit of the scores' tail.
    Auto,
}

impl ThresholdMode {
    /// Both rules, in the order the GUI lists them.
    pub const ALL: [ThresholdMode; 2] = [ThresholdMode::Contamination, ThresholdMode::Auto];

    /// The rule's name on the command line (`--threshold`).
    pub fn cli_name(self) -> &'static str {
        match self {
            ThresholdMode::Contamination => "contamination",
            ThresholdMode::Auto => "auto",
        }
    }

    /// The rule's name as shown to the user.
    pub fn label(self) -> &'static str {
        match self {
            ThresholdMode::Contamination => "Contamination",
            ThresholdMode::Auto => "Automatic (tail fit)",
        }
    }
}

impl std::str::FromStr for ThresholdMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ThresholdMode::ALL
            .into_iter()
            .find(|m| m.cli_name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("`{s}` is neither `auto` nor `contamination`"))
    }
}

impl std::fmt::Display for ThresholdMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.cli_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for m in ThresholdMode::ALL {
            assert_eq!(m.cli_name().parse::<ThresholdMode>(), Ok(m));
        }
        assert_eq!(" AUTO ".parse::<ThresholdMode>(), Ok(ThresholdMode::Auto));
        assert!("sometimes".parse::<ThresholdMode>().is_err());
    }
}
