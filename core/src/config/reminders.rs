//! The settings of what Mentor does on a clock: nudges for pairs that went quiet (`nudges:`) and check-in
//! calendars (`checkins:`, top level or per pair).

use chrono::{NaiveTime, Weekday};

use crate::duration::Duration;

/// `nudges:`: when a quiet pair is reminded and when it is escalated, to whom, and on which days never.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NudgeSettings {
    /// `false` with `nudges: off`.
    pub enabled: bool,
    /// Quiet this long, a pair gets a reminder; `None` is `touchpoints.stale_after`.
    pub after: Option<Duration>,
    /// Quiet this long, the pair is escalated to `to`; `None` is twice `after`.
    pub escalate_after: Option<Duration>,
    /// Whom an escalation mentions: `@org/team` or `@login` (none set: `privacy.managers`).
    pub to: Vec<String>,
    /// Local days (the sprint calendar's zone) on which no nudge is written.
    pub quiet_days: Vec<Weekday>,
}

impl Default for NudgeSettings {
    /// On, after `touchpoints.stale_after`, escalated after twice that, quiet on weekends.
    fn default() -> NudgeSettings {
        NudgeSettings {
            enabled: true,
            after: None,
            escalate_after: None,
            to: Vec::new(),
            quiet_days: vec![Weekday::Sat, Weekday::Sun],
        }
    }
}

/// `checkins:`: a recurring check-in of a pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckinSettings {
    /// How often, in whole weeks or days (`2w`, `7d`).
    pub every: Duration,
    /// How long each one is.
    pub length: Duration,
    /// The day of the week it falls on.
    pub weekday: Weekday,
    /// The local start time (the sprint calendar's zone).
    pub time: NaiveTime,
}

/// Parses a day of the week: `mon`…`sun` or the full English name, any case.
pub fn parse_weekday(text: &str) -> Option<Weekday> {
    let lower = text.trim().to_ascii_lowercase();
    let day = match lower.get(..3)? {
        "mon" => Weekday::Mon,
        "tue" => Weekday::Tue,
        "wed" => Weekday::Wed,
        "thu" => Weekday::Thu,
        "fri" => Weekday::Fri,
        "sat" => Weekday::Sat,
        "sun" => Weekday::Sun,
        _ => return None,
    };
    let full = match day {
        Weekday::Mon => "monday",
        Weekday::Tue => "tuesday",
        Weekday::Wed => "wednesday",
        Weekday::Thu => "thursday",
        Weekday::Fri => "friday",
        Weekday::Sat => "saturday",
        Weekday::Sun => "sunday",
    };
    (lower.len() == 3 || lower == full).then_some(day)
}
