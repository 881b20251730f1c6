//! The config's matching vocabulary: levels, time zones and `matching:` (weights, rotation, tier rules).
//!
//! These are the inputs `mentor match` and `mentor audit` read (see [`crate::matching`] and [`crate::audit`]);
//! parsing them is `parse/matching.rs`'s job, scoring and checking pairs is theirs.

use std::fmt;

use chrono::{DateTime, Offset, TimeZone as _, Utc};
use serde::Serialize;

use super::Tier;
use crate::duration::Duration;

/// The level a skill in a skill matrix is given when skills are written as a plain list.
pub const LISTED_SKILL_LEVEL: u8 = 3;

/// Career level of a person, ordered from `intern` to `principal`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// An intern.
    Intern,
    /// A junior engineer.
    Junior,
    /// A mid-level engineer.
    Mid,
    /// A senior engineer.
    Senior,
    /// A staff engineer.
    Staff,
    /// A principal engineer.
    Principal,
}

impl Level {
    /// Every level, lowest first.
    pub const ALL: [Level; 6] =
        [Level::Intern, Level::Junior, Level::Mid, Level::Senior, Level::Staff, Level::Principal];

    /// Returns the level as written in the config.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Intern => "intern",
            Level::Junior => "junior",
            Level::Mid => "mid",
            Level::Senior => "senior",
            Level::Staff => "staff",
            Level::Principal => "principal",
        }
    }

    /// Returns the level written as `text`, if it is one: a name in any case (`intermediate` is `mid`), or a
    /// rung `1`–`6` / `L1`–`L6` counted from `intern`.
    pub fn parse(text: &str) -> Option<Level> {
        let text = text.trim().to_ascii_lowercase();
        if text == "intermediate" {
            return Some(Level::Mid);
        }
        let rung = text.strip_prefix('l').unwrap_or(&text);
        if let Ok(n) = rung.parse::<usize>() {
            return n.checked_sub(1).and_then(|i| Level::ALL.get(i).copied());
        }
        Level::ALL.into_iter().find(|l| l.as_str() == text)
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a person works from: an IANA zone (`Europe/Berlin`) or a fixed offset (`UTC+2`, `+05:30`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeZone {
    /// A named zone, whose offset follows daylight saving time.
    Named(chrono_tz::Tz),
    /// A fixed offset from UTC, in minutes.
    Fixed(i32),
}

impl TimeZone {
    /// Returns the zone written as `text`, if it is one.
    pub fn parse(text: &str) -> Option<TimeZone> {
        let text = text.trim();
        if let Ok(tz) = text.parse::<chrono_tz::Tz>() {
            return Some(TimeZone::Named(tz));
        }
        let rest = text.strip_prefix("UTC").or_else(|| text.strip_prefix("GMT")).unwrap_or(text);
        if rest.is_empty() {
            return Some(TimeZone::Fixed(0));
        }
        let (sign, digits) = match rest.as_bytes().first() {
            Some(b'+') => (1, &rest[1..]),
            Some(b'-') => (-1, &rest[1..]),
            // A bare number of hours (`tz: 2`) is east of UTC, as `+2`.
            Some(c) if c.is_ascii_digit() && text == rest => (1, rest),
            _ => return None,
        };
        let (hours, minutes) = match digits.split_once(':') {
            Some((h, m)) => (h.parse::<i32>().ok()?, m.parse::<i32>().ok()?),
            // `+0530`, as in RFC 2822 dates.
            None if digits.len() == 4 => {
                (digits[..2].parse::<i32>().ok()?, digits[2..].parse::<i32>().ok()?)
            }
            None => (digits.parse::<i32>().ok()?, 0),
        };
        if !(0..=14).contains(&hours) || !(0..60).contains(&minutes) {
            return None;
        }
        Some(TimeZone::Fixed(sign * (hours * 60 + minutes)))
    }

    /// Returns the offset from UTC in minutes at `at`.
    pub fn offset_minutes(self, at: DateTime<Utc>) -> i32 {
        match self {
            TimeZone::Named(tz) => {
                tz.offset_from_utc_datetime(&at.naive_utc()).fix().local_minus_utc() / 60
            }
            TimeZone::Fixed(minutes) => minutes,
        }
    }
}

/// `matching:` — how `mentor match` weighs fit and which rules it never breaks.
#[derive(Clone, Debug, PartialEq)]
pub struct MatchingSettings {
    /// How much each part of fit counts.
    pub weights: Weights,
    /// Rotation rules.
    pub rotation: Rotation,
    /// Rules per mentor tier.
    pub tiers: TierRules,
    /// Minutes per sprint one more mentee costs a mentor, checked against `capacity.minutes_per_sprint`
    /// (default 60).
    pub minutes_per_mentee: u32,
    /// The track new pairs follow when the mentee had none before (default: the only track, else the first).
    pub track: Option<String>,
}

impl Default for MatchingSettings {
    fn default() -> MatchingSettings {
        MatchingSettings {
            weights: Weights::default(),
            rotation: Rotation::default(),
            tiers: TierRules::default(),
            minutes_per_mentee: 60,
            track: None,
        }
    }
}

/// `matching.weights`: each part of fit is scored from 0 to 1 and multiplied by its weight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Weights {
    /// The mentee's `wants` covered by the mentor's skill matrix (default 3).
    pub skills: i32,
    /// The mentee's wants and areas covered by the mentor's changes and reviews in the history (default 2).
    pub code: i32,
    /// Working-hours overlap of their time zones (default 1).
    pub tz: i32,
    /// Being on the same team (default -1: cross-team exposure is preferred).
    pub team: i32,
}

impl Default for Weights {
    fn default() -> Weights {
        Weights { skills: 3, code: 2, tz: 1, team: -1 }
    }
}

/// The largest weight allowed, in either direction; keeps the solver's integer scores far from overflow.
pub const MAX_WEIGHT: i32 = 100;

/// `matching.rotation`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rotation {
    /// A mentee is never given any of the mentors of their last this many pairs (default 2).
    pub no_repeat: u32,
    /// A pair running longer than this is flagged by the audit (default 26w).
    pub max_length: Duration,
}

impl Default for Rotation {
    fn default() -> Rotation {
        Rotation { no_repeat: 2, max_length: Duration::from_days(26 * 7) }
    }
}

/// `matching.tiers`: what a mentor of each tier may take on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TierRules {
    /// `matching.tiers.peer`.
    pub peer: TierRule,
    /// `matching.tiers.senior`.
    pub senior: TierRule,
    /// `matching.tiers.principal`.
    pub principal: TierRule,
}

impl TierRules {
    /// Returns the rule of mentors of `tier`.
    pub fn of(&self, tier: Tier) -> TierRule {
        match tier {
            Tier::Peer => self.peer,
            Tier::Senior => self.senior,
            Tier::Principal => self.principal,
        }
    }
}

/// `matching.tiers.<tier>`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TierRule {
    /// Mentors of this tier only take mentees at this level or above (a mentee without a `level` is refused).
    pub mentees_min_level: Option<Level>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_zones_are_names_or_offsets() {
        let winter: DateTime<Utc> = "2026-01-15T12:00:00Z".parse().unwrap();
        let summer: DateTime<Utc> = "2026-07-15T12:00:00Z".parse().unwrap();
        let berlin = TimeZone::parse("Europe/Berlin").unwrap();
        assert_eq!(berlin.offset_minutes(winter), 60);
        assert_eq!(berlin.offset_minutes(summer), 120);
        assert_eq!(TimeZone::parse("UTC+2").unwrap().offset_minutes(winter), 120);
        assert_eq!(TimeZone::parse("-05:30").unwrap().offset_minutes(winter), -330);
        assert_eq!(TimeZone::parse("UTC").unwrap().offset_minutes(winter), 0);
        assert_eq!(TimeZone::parse("2").unwrap().offset_minutes(winter), 120);
        assert_eq!(TimeZone::parse("+0530").unwrap().offset_minutes(winter), 330);
        assert_eq!(TimeZone::parse("Mars/Olympus"), None);
        assert_eq!(TimeZone::parse("UTC+25"), None);
    }

    #[test]
    fn levels_are_ordered() {
        assert!(Level::Junior < Level::Senior);
        assert_eq!(Level::parse("staff"), Some(Level::Staff));
        assert_eq!(Level::parse("Senior"), Some(Level::Senior));
        assert_eq!(Level::parse("L4"), Some(Level::Senior));
        assert_eq!(Level::parse("2"), Some(Level::Junior));
        assert_eq!(Level::parse("7"), None);
        assert_eq!(Level::parse("lead"), None);
    }
}
