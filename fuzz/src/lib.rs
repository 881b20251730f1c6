//! Support for Mentor's fuzz targets (`fuzz_targets/`): the app's webhook decoding compiled on its own, and the
//! fixed inputs the targets share.
//!
//! `mentor-app` pulls in axum, sqlx, tokio and a TLS stack; building all of that with coverage instrumentation
//! would take most of the CI smoke budget. Webhook decoding and normalizing only need `mentor-core`, serde and
//! chrono, so the app's own source files are compiled here as modules with `#[path]`: the code fuzzed is exactly
//! the code the app runs, and a change there that needs more of the app fails this build loudly.

/// `mentor-app`'s payload structs and `Payload::decode` (app/src/payload.rs).
#[path = "../../app/src/payload.rs"]
pub mod payload;

/// `mentor-app`'s `normalize` (app/src/normalize.rs).
#[path = "../../app/src/normalize.rs"]
pub mod normalize;

pub mod fixed;
