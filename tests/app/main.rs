//! End-to-end tests of `mentor-app`, one module per area.

/// A strict fake GitHub REST API on loopback.
mod fake_github;
/// The GitHub client, the config source and enrichment against the fake GitHub.
mod github;
