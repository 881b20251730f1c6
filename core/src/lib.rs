//! Mentor's domain core, shared by the `mentor` CLI and the `mentor-app` server.
//!
//! This crate is pure: it does no network, database or filesystem I/O and never reads the clock. Callers hand
//! it text to parse, activities they observed and the current instant (`now`), and get back validated config,
//! touchpoints, evidence and load reports. The same history therefore gives the same answers offline (CLI) and
//! online (app).

pub mod activity;
pub mod audit;
pub mod calendar;
pub mod command;
pub mod config;
pub mod conventional;
pub mod digest;
pub mod duration;
pub mod evidence;
pub mod expertise;
pub mod history;
pub mod identity;
pub mod journal;
pub mod load;
pub mod login;
pub mod matching;
pub mod nudge;
pub mod sprint;
pub mod template;
pub mod touchpoint;
pub mod trailer;
pub mod trend;

pub use activity::{Activity, ActivityKind, PullRequestFacts, ReviewState, Source};
pub use config::{Config, ConfigError, ConfigErrors};
pub use duration::Duration;
pub use evidence::{Evidence, EvidenceReport, EvidenceStatus, MilestoneStatus};
pub use load::LoadReport;
pub use login::Login;
pub use sprint::{Sprint, SprintCalendar};
pub use touchpoint::{Touchpoint, TouchpointKind};
pub use trailer::Trailer;
