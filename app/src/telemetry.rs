//! Logging setup: `tracing` to stderr, as text or JSON lines, filtered by `RUST_LOG` (default: info for Mentor).

use crate::settings::LogFormat;

/// Installs the global subscriber; a second call (tests, demo) is a no-op.
pub fn init(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("mentor_app=info,tower_http=warn,sqlx=warn")
    });
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
