//! The watch's detectors side by side: the traffic buckets per subject ([`Watcher`]) and, unless
//! `--no-clients`, the per-client windows ([`ClientWatch`]). Each parsed line goes to both; their
//! alerts come out in one [`Outcome`].

use crate::data::formats::access::line::Parsed;
use crate::detect::seasonal::SeasonalError;
use crate::live::clients::ClientWatch;
use crate::live::watch::{Outcome, Watcher};

/// The watch's detectors.
pub struct Detectors {
    /// Buckets per subject, seasonal scores.
    pub watcher: Watcher,
    /// Per-client windows and model (none with `--no-clients`).
    pub clients: Option<ClientWatch>,
}

impl Detectors {
    /// Hands one parsed line to every detector.
    pub fn line(&mut self, parsed: &Parsed<'_>, raw: &[u8]) -> Result<Outcome, SeasonalError> {
        let mut out = self.watcher.line(parsed, raw)?;
        if let Some(c) = &mut self.clients {
            out.alerts.extend(c.line(parsed, raw));
        }
        Ok(out)
    }
}
