//! Mentor's GitHub App server as a library, so tests and helper binaries reuse what `main` runs.

pub mod config_source;
pub mod github;
pub mod normalize;
