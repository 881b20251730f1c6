//! The app's one source of "now" for domain decisions: which sprint is current, what is due, stale or overdue.
//!
//! Queue mechanics (leases, retry times, token expiry) keep the wall clock, since they are compared with times
//! the database and GitHub hold. Domain time can be started at a fixed instant (`MENTOR_NOW`, for tests and
//! reproducible demos) and then runs on from there at the wall clock's pace, so retries and waits still work.

use std::time::Instant;

use chrono::{DateTime, Utc};

/// Where the app's domain "now" comes from; cheap to copy.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    /// The instant domain time started at, and when (monotonic) that was; None: the wall clock.
    start: Option<(DateTime<Utc>, Instant)>,
}

impl Clock {
    /// Returns the wall clock.
    pub fn system() -> Clock {
        Clock { start: None }
    }

    /// Returns a clock that reads `at` now and runs on from there.
    pub fn starting_at(at: DateTime<Utc>) -> Clock {
        Clock { start: Some((at, Instant::now())) }
    }

    /// Returns the current instant.
    pub fn now(&self) -> DateTime<Utc> {
        match self.start {
            None => Utc::now(),
            Some((at, started)) => {
                at + chrono::Duration::from_std(started.elapsed()).unwrap_or(chrono::Duration::MAX)
            }
        }
    }
}

impl Default for Clock {
    fn default() -> Clock {
        Clock::system()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_started_clock_runs_on_from_its_instant() {
        let at = DateTime::parse_from_rfc3339("2026-11-25T12:00:00Z").unwrap().to_utc();
        let clock = Clock::starting_at(at);
        let now = clock.now();
        assert!(now >= at && now - at < chrono::Duration::seconds(5), "{now}");
        let wall = Clock::system().now();
        assert!((wall - Utc::now()).num_seconds().abs() < 5);
    }
}
