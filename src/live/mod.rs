//! Live monitoring's parts besides the detectors: the alerts and where they go ([`alerts`]:
//! standard output, a JSON lines file, a webhook), and the [`cooldown`] that decides when a
//! subject raises an alert and when it recovers.
//!
//! `trafficlens watch` feeds the lines of its [`crate::data::follow::Follower`] to the
//! detector states, asks the [`cooldown::Cooldown`] what each new score means for its subject,
//! and sends every alert that results through [`alerts::AlertOutputs`]. The app's *Follow* runs
//! the same detectors through [`feed::LiveFeed`] on its worker.

pub mod alerts;
pub mod clients;
pub mod cooldown;
pub mod feed;
pub mod hosts;
pub mod table;
pub mod table_feed;
pub mod watch;
