//! Progress on stderr for long history scans: shown only on a terminal, and only after the scan has run for a
//! second, so quick runs and pipes stay clean.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How long a scan runs before a progress line appears.
const DELAY: Duration = Duration::from_secs(1);

/// A progress sink that may draw nothing.
pub struct Progress {
    bar: ProgressBar,
    started: Instant,
    enabled: bool,
    shown: bool,
}

impl Progress {
    /// Returns a progress sink that draws on stderr when it is a terminal and `quiet` is false.
    pub fn stderr(quiet: bool) -> Progress {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} {human_pos} commits ({per_sec})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        Progress {
            bar,
            started: Instant::now(),
            enabled: !quiet && std::io::stderr().is_terminal(),
            shown: false,
        }
    }

    /// Returns a sink that never draws.
    pub fn hidden() -> Progress {
        Progress {
            bar: ProgressBar::hidden(),
            started: Instant::now(),
            enabled: false,
            shown: false,
        }
    }

    /// Sets the phase shown before the count.
    pub fn set_message(&self, msg: &'static str) {
        self.bar.set_message(msg);
    }

    /// Records `n` more items done; cheap enough to call per commit.
    pub fn inc(&mut self, n: u64) {
        self.bar.inc(n);
        if self.enabled && !self.shown && self.started.elapsed() >= DELAY {
            self.bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(10));
            self.shown = true;
        }
    }

    /// Removes the progress line.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
