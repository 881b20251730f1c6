//! Check-in calendars: one iCalendar feed (RFC 5545) per person, with a recurring event per running pair that has
//! a `checkins` schedule (the pair's own, else the config's).
//!
//! Times are local to the sprint calendar's zone, so a check-in at 10:00 stays at 10:00 across daylight-saving
//! changes: each event's `DTSTART` names the zone (`TZID`) and the feed carries that zone's `VTIMEZONE`, with its
//! transitions listed from the earliest check-in to five years ahead. `UID`s name the org and the pair, so a
//! calendar app updates an event instead of duplicating it when the schedule changes.

use std::fmt::Write as _;

use chrono::{
    DateTime, Datelike, Duration as ChronoDuration, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc,
};
use chrono_tz::{OffsetComponents, OffsetName, Tz};

use crate::config::{CheckinSettings, Config, Pair, PairStatus};
use crate::login::Login;

/// How far ahead the feed's time zone transitions are listed.
const ZONE_YEARS_AHEAD: i32 = 5;

/// Returns the feed of `person` in `org` at `now`: their running pairs (as mentor or mentee) with a check-in
/// schedule. A person without any gets a valid, empty calendar.
pub fn feed(config: &Config, org: &str, person: &Login, now: DateTime<Utc>) -> String {
    let tz = config.sprints.timezone();
    let today = config.sprints.local_date(now);
    let events: Vec<(&Pair, &CheckinSettings, NaiveDateTime)> = config
        .pairs
        .iter()
        .filter(|p| &p.mentor == person || &p.mentee == person)
        .filter(|p| p.status == PairStatus::Active && p.until.is_none_or(|u| u >= today))
        .filter_map(|p| config.checkins_of(p).map(|c| (p, c, first_checkin(p.since, c))))
        .collect();
    let mut out = Lines::default();
    out.line("BEGIN:VCALENDAR");
    out.line("VERSION:2.0");
    out.line("PRODID:-//Mentor//Check-ins//EN");
    out.line("CALSCALE:GREGORIAN");
    out.line("METHOD:PUBLISH");
    out.line(&format!(
        "X-WR-CALNAME:{}",
        text(&format!("Mentoring check-ins of @{person} in {org}"))
    ));
    out.line(&format!("X-WR-TIMEZONE:{}", tz.name()));
    let utc = tz == Tz::UTC;
    if !utc && let Some(first) = events.iter().map(|(_, _, start)| start.year()).min() {
        zone(&mut out, tz, first, now.year() + ZONE_YEARS_AHEAD);
    }
    let stamp = now.format("%Y%m%dT%H%M%SZ");
    for (pair, checkins, start) in &events {
        out.line("BEGIN:VEVENT");
        out.line(&format!("UID:checkin-{org}-{}-{}@mentor", pair.mentor, pair.mentee));
        out.line(&format!("DTSTAMP:{stamp}"));
        if utc {
            out.line(&format!("DTSTART:{}Z", start.format("%Y%m%dT%H%M%S")));
        } else {
            out.line(&format!("DTSTART;TZID={}:{}", tz.name(), start.format("%Y%m%dT%H%M%S")));
        }
        out.line(&format!("DURATION:PT{}M", (checkins.length.seconds() / 60).max(1)));
        out.line(&format!("RRULE:{}", rule(checkins, pair.until, tz)));
        out.line(&format!(
            "SUMMARY:{}",
            text(&format!("Mentoring check-in: @{} and @{}", pair.mentor, pair.mentee))
        ));
        out.line(&format!(
            "DESCRIPTION:{}",
            text(&format!(
                "Track {} in {org}. After it, either of you logs it with /mentor checkin {}m on a pull request of the other.",
                pair.track,
                checkins.length.seconds() / 60
            ))
        ));
        out.line("TRANSP:OPAQUE");
        out.line("END:VEVENT");
    }
    out.line("END:VCALENDAR");
    out.0
}

/// Returns the first check-in of a pair starting on `since`: the first `weekday` on or after it, at `time`.
fn first_checkin(since: NaiveDate, checkins: &CheckinSettings) -> NaiveDateTime {
    let ahead = (7 + checkins.weekday.num_days_from_monday() as i64
        - since.weekday().num_days_from_monday() as i64)
        % 7;
    (since + ChronoDuration::days(ahead)).and_time(checkins.time)
}

/// Returns the `RRULE` value: every `every` (weeks when whole weeks, else days), until the pair's last day.
fn rule(checkins: &CheckinSettings, until: Option<NaiveDate>, tz: Tz) -> String {
    let days = checkins.every.whole_days().unwrap_or(7).max(1);
    let mut rule = if days % 7 == 0 {
        let byday = match checkins.weekday {
            chrono::Weekday::Mon => "MO",
            chrono::Weekday::Tue => "TU",
            chrono::Weekday::Wed => "WE",
            chrono::Weekday::Thu => "TH",
            chrono::Weekday::Fri => "FR",
            chrono::Weekday::Sat => "SA",
            chrono::Weekday::Sun => "SU",
        };
        format!("FREQ=WEEKLY;INTERVAL={};BYDAY={byday}", days / 7)
    } else {
        format!("FREQ=DAILY;INTERVAL={days}")
    };
    if let Some(last) = until {
        // With a zoned DTSTART, UNTIL is in UTC (RFC 5545 3.3.10): the end of the pair's last local day.
        let end = (last + ChronoDuration::days(1)).and_time(chrono::NaiveTime::MIN);
        let end =
            tz.from_local_datetime(&end).earliest().map_or_else(|| end.and_utc(), |t| t.to_utc());
        let _ =
            write!(rule, ";UNTIL={}", (end - ChronoDuration::seconds(1)).format("%Y%m%dT%H%M%SZ"));
    }
    rule
}

/// Writes the `VTIMEZONE` of `tz` with its transitions in the years `from..=to` (one `STANDARD` with the fixed
/// offset when it has none).
fn zone(out: &mut Lines, tz: Tz, from: i32, to: i32) {
    out.line("BEGIN:VTIMEZONE");
    out.line(&format!("TZID:{}", tz.name()));
    let start = Utc.with_ymd_and_hms(from - 1, 12, 1, 0, 0, 0).single().unwrap_or_default();
    let end = Utc.with_ymd_and_hms(to, 12, 31, 0, 0, 0).single().unwrap_or_default();
    let offset_at = |t: DateTime<Utc>| tz.offset_from_utc_datetime(&t.naive_utc());
    let mut transitions = Vec::new();
    let mut t = start;
    while t < end {
        let next = t + ChronoDuration::days(1);
        if offset_at(t).fix() != offset_at(next).fix() {
            // Transitions fall on whole seconds: narrow the day down to the instant.
            let (mut lo, mut hi) = (t, next);
            while hi - lo > ChronoDuration::seconds(1) {
                let mid = lo + (hi - lo) / 2;
                if offset_at(mid).fix() == offset_at(lo).fix() { lo = mid } else { hi = mid }
            }
            transitions.push(hi);
        }
        t = next;
    }
    if transitions.is_empty() {
        let offset = offset_at(start);
        let seconds = offset.fix().local_minus_utc();
        out.line("BEGIN:STANDARD");
        out.line("DTSTART:19700101T000000");
        out.line(&format!("TZOFFSETFROM:{}", utc_offset(seconds)));
        out.line(&format!("TZOFFSETTO:{}", utc_offset(seconds)));
        if let Some(name) = offset.abbreviation() {
            out.line(&format!("TZNAME:{}", text(name)));
        }
        out.line("END:STANDARD");
    }
    for at in transitions {
        let before = offset_at(at - ChronoDuration::seconds(1));
        let after = offset_at(at);
        let kind = if after.dst_offset().num_seconds() != 0 { "DAYLIGHT" } else { "STANDARD" };
        // The onset in the local time of the offset in force before it (RFC 5545 3.6.5).
        let onset =
            at.naive_utc() + ChronoDuration::seconds(i64::from(before.fix().local_minus_utc()));
        out.line(&format!("BEGIN:{kind}"));
        out.line(&format!("DTSTART:{}", onset.format("%Y%m%dT%H%M%S")));
        out.line(&format!("TZOFFSETFROM:{}", utc_offset(before.fix().local_minus_utc())));
        out.line(&format!("TZOFFSETTO:{}", utc_offset(after.fix().local_minus_utc())));
        if let Some(name) = after.abbreviation() {
            out.line(&format!("TZNAME:{}", text(name)));
        }
        out.line(&format!("END:{kind}"));
    }
    out.line("END:VTIMEZONE");
}

/// Formats an offset as `+hhmm` (or `+hhmmss` when it has seconds).
fn utc_offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.unsigned_abs();
    if s.is_multiple_of(60) {
        format!("{sign}{:02}{:02}", s / 3600, (s % 3600) / 60)
    } else {
        format!("{sign}{:02}{:02}{:02}", s / 3600, (s % 3600) / 60, s % 60)
    }
}

/// Escapes a TEXT value (RFC 5545 3.3.11).
fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Content lines: CRLF-terminated, folded at 75 octets without splitting a character (RFC 5545 3.1).
#[derive(Default)]
struct Lines(String);

impl Lines {
    fn line(&mut self, line: &str) {
        let mut width = 0;
        for c in line.chars() {
            if width + c.len_utf8() > 75 {
                self.0.push_str("\r\n ");
                width = 1;
            }
            self.0.push(c);
            width += c.len_utf8();
        }
        self.0.push_str("\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_fold_at_75_octets_and_text_is_escaped() {
        let mut lines = Lines::default();
        lines.line(&format!("SUMMARY:{}", "é".repeat(50)));
        for line in lines.0.split("\r\n") {
            assert!(line.len() <= 75, "{line:?}");
        }
        assert_eq!(text("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
        assert_eq!(utc_offset(3600), "+0100");
        assert_eq!(utc_offset(-(5 * 3600 + 30 * 60)), "-0530");
    }
}
