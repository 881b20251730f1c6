//! The sprint calendar: fixed-length windows of whole days in one time zone.
//!
//! Sprints start at local midnight of `start + k × length` in the configured IANA time zone, so a sprint that
//! spans a daylight-saving change is an hour shorter or longer in UTC but always begins on the same local
//! weekday. Every instant, before or after `start`, belongs to exactly one sprint, whose id is its local start
//! date (`2026-11-16`).

use std::fmt;

use chrono::{DateTime, Datelike, LocalResult, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::duration::Duration;

/// The configured calendar (`sprints:` in the config).
#[derive(Clone, Debug, PartialEq)]
pub struct SprintCalendar {
    length_days: i64,
    start: NaiveDate,
    timezone: Tz,
}

/// One sprint: a half-open window `[start, end)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Sprint {
    /// The local start date, which is also the sprint's id.
    pub id: NaiveDate,
    /// First instant of the sprint, in the calendar's zone.
    pub start: DateTime<chrono::FixedOffset>,
    /// First instant after the sprint, in the calendar's zone.
    pub end: DateTime<chrono::FixedOffset>,
}

/// Why a calendar or a sprint selector was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SprintError {
    /// The length is not a positive whole number of days.
    #[error(
        "sprint length {0} is not a whole number of days: use days or weeks, like `14d` or `2w`"
    )]
    Length(Duration),
    /// The time zone is not an IANA name.
    #[error("unknown time zone {0:?}: expected an IANA name like `Europe/Berlin` or `UTC`")]
    TimeZone(String),
    /// The selector is not `current`, `previous` or a date.
    #[error("unknown sprint {0:?}: expected `current`, `previous` or a date like `2026-11-16`")]
    Selector(String),
}

impl SprintCalendar {
    /// Returns a calendar of sprints `length` long, the first starting on `start` in `timezone`.
    pub fn new(
        length: Duration,
        start: NaiveDate,
        timezone: &str,
    ) -> Result<SprintCalendar, SprintError> {
        let length_days = match length.whole_days() {
            Some(d) if d > 0 => d,
            _ => return Err(SprintError::Length(length)),
        };
        let timezone: Tz =
            timezone.parse().map_err(|_| SprintError::TimeZone(timezone.to_string()))?;
        Ok(SprintCalendar { length_days, start, timezone })
    }

    /// Returns the length of each sprint in days.
    pub fn length_days(&self) -> i64 {
        self.length_days
    }

    /// Returns the calendar's time zone.
    pub fn timezone(&self) -> Tz {
        self.timezone
    }

    /// Returns the date `instant` falls on in the calendar's zone.
    pub fn local_date(&self, instant: DateTime<Utc>) -> NaiveDate {
        instant.with_timezone(&self.timezone).date_naive()
    }

    /// Returns the sprint containing `instant`.
    pub fn sprint_at(&self, instant: DateTime<Utc>) -> Sprint {
        let date = self.local_date(instant);
        let mut sprint = self.sprint_on(date);
        // A local date maps to one sprint, but a nonexistent local midnight (a DST gap at 00:00) moves the
        // boundary; nudge so the instant is always inside the window we return.
        if instant < sprint.start {
            sprint = self.sprint_on(sprint.id - chrono::Days::new(1));
        } else if instant >= sprint.end {
            sprint = self.sprint_on(sprint.end.date_naive());
        }
        sprint
    }

    /// Returns the sprint containing the local date `date`.
    pub fn sprint_on(&self, date: NaiveDate) -> Sprint {
        let offset_days = (date - self.start).num_days();
        let index = offset_days.div_euclid(self.length_days);
        let first = self.start + chrono::TimeDelta::days(index * self.length_days);
        let next = first + chrono::TimeDelta::days(self.length_days);
        Sprint { id: first, start: self.midnight(first), end: self.midnight(next) }
    }

    /// Returns the `n` sprints ending with `last`, oldest first.
    pub fn recent(&self, last: &Sprint, n: usize) -> Vec<Sprint> {
        let mut out = Vec::with_capacity(n);
        let mut sprint = last.clone();
        for _ in 0..n {
            let before = self.sprint_on(sprint.id - chrono::Days::new(1));
            out.push(std::mem::replace(&mut sprint, before));
        }
        out.reverse();
        out
    }

    /// Selects a sprint by `current`, `previous` or any date inside it (`YYYY-MM-DD`).
    pub fn select(&self, selector: &str, now: DateTime<Utc>) -> Result<Sprint, SprintError> {
        let current = self.sprint_at(now);
        match selector.trim() {
            "current" | "" => Ok(current),
            "previous" => Ok(self.sprint_on(current.id - chrono::Days::new(1))),
            other => NaiveDate::parse_from_str(other, "%Y-%m-%d")
                .map(|d| self.sprint_on(d))
                .map_err(|_| SprintError::Selector(other.to_string())),
        }
    }

    /// Returns the first instant of local day `date`, skipping forward over a DST gap.
    fn midnight(&self, date: NaiveDate) -> DateTime<chrono::FixedOffset> {
        let mut naive = date.and_time(chrono::NaiveTime::MIN);
        // Some zones skip midnight itself (e.g. America/Santiago); the day then starts at the first instant
        // that exists. Gaps are at most a few hours, so stepping by 15 minutes ends quickly.
        for _ in 0..(4 * 24) {
            match self.timezone.from_local_datetime(&naive) {
                LocalResult::Single(t) => return t.fixed_offset(),
                LocalResult::Ambiguous(earliest, _) => return earliest.fixed_offset(),
                LocalResult::None => naive += chrono::TimeDelta::minutes(15),
            }
        }
        Utc.from_utc_datetime(&date.and_time(chrono::NaiveTime::MIN)).fixed_offset()
    }
}

impl Default for SprintCalendar {
    /// Two-week sprints starting on Monday 2024-01-01, in UTC.
    fn default() -> SprintCalendar {
        SprintCalendar {
            length_days: 14,
            start: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default(),
            timezone: Tz::UTC,
        }
    }
}

impl fmt::Display for Sprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let last = self.end.date_naive() - chrono::Days::new(1);
        write!(f, "{} … {} ({})", self.id, last, self.id.weekday())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn berlin() -> SprintCalendar {
        SprintCalendar::new(
            Duration::from_days(14),
            NaiveDate::from_ymd_opt(2026, 1, 12).unwrap(),
            "Europe/Berlin",
        )
        .unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn sprint_id_is_its_local_start_date() {
        let cal = berlin();
        let s = cal.sprint_at(utc("2026-11-20T12:00:00Z"));
        assert_eq!(s.id.to_string(), "2026-11-16");
        assert_eq!(s.start.to_rfc3339(), "2026-11-16T00:00:00+01:00");
        assert_eq!(s.end.to_rfc3339(), "2026-11-30T00:00:00+01:00");
    }

    #[test]
    fn boundaries_follow_local_midnight() {
        let cal = berlin();
        // 2026-11-15T23:30 UTC is already Monday 00:30 in Berlin.
        assert_eq!(cal.sprint_at(utc("2026-11-15T23:30:00Z")).id.to_string(), "2026-11-16");
        assert_eq!(cal.sprint_at(utc("2026-11-15T22:59:59Z")).id.to_string(), "2026-11-02");
    }

    #[test]
    fn dst_change_inside_a_sprint_keeps_local_boundaries() {
        let cal = berlin();
        // Berlin leaves summer time on 2026-10-25; the sprint 2026-10-19 is 14 days + 1 hour long.
        let s = cal.sprint_at(utc("2026-10-26T10:00:00Z"));
        assert_eq!(s.id.to_string(), "2026-10-19");
        assert_eq!(s.start.to_rfc3339(), "2026-10-19T00:00:00+02:00");
        assert_eq!(s.end.to_rfc3339(), "2026-11-02T00:00:00+01:00");
        assert_eq!((s.end - s.start).num_hours(), 14 * 24 + 1);
    }

    #[test]
    fn every_instant_is_in_exactly_the_sprint_returned() {
        let cal = berlin();
        let mut t = utc("2025-12-01T00:00:00Z");
        let stop = utc("2027-01-10T00:00:00Z");
        let mut previous: Option<Sprint> = None;
        while t < stop {
            let s = cal.sprint_at(t);
            assert!(s.start <= t && t < s.end, "{t} not in {s:?}");
            if let Some(p) = &previous {
                assert!(p == &s || p.end == s.start, "gap or overlap between {p:?} and {s:?}");
            }
            previous = Some(s);
            t += chrono::TimeDelta::minutes(37);
        }
    }

    #[test]
    fn midnight_gap_zone_starts_at_first_existing_instant() {
        // Santiago skipped 2026-09-06 00:00 local (clocks went to 01:00).
        let cal = SprintCalendar::new(
            Duration::from_days(7),
            NaiveDate::from_ymd_opt(2026, 8, 30).unwrap(),
            "America/Santiago",
        )
        .unwrap();
        let s = cal.sprint_on(NaiveDate::from_ymd_opt(2026, 9, 7).unwrap());
        assert_eq!(s.id.to_string(), "2026-09-06");
        assert_eq!(s.start.to_rfc3339(), "2026-09-06T01:00:00-03:00");
    }

    #[test]
    fn dates_before_start_still_map() {
        let cal = berlin();
        let s = cal.sprint_on(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
        assert_eq!(s.id.to_string(), "2025-12-29");
    }

    #[test]
    fn selectors() {
        let cal = berlin();
        let now = utc("2026-11-23T09:00:00Z");
        assert_eq!(cal.select("current", now).unwrap().id.to_string(), "2026-11-16");
        assert_eq!(cal.select("previous", now).unwrap().id.to_string(), "2026-11-02");
        assert_eq!(cal.select("2026-11-10", now).unwrap().id.to_string(), "2026-11-02");
        assert!(matches!(cal.select("last", now), Err(SprintError::Selector(_))));
    }

    #[test]
    fn rejects_partial_days_and_unknown_zones() {
        let start = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        assert!(SprintCalendar::new(Duration::from_minutes(90), start, "UTC").is_err());
        assert!(SprintCalendar::new(Duration::from_days(0), start, "UTC").is_err());
        assert!(matches!(
            SprintCalendar::new(Duration::from_days(7), start, "Mars/Olympus"),
            Err(SprintError::TimeZone(_))
        ));
    }
}
