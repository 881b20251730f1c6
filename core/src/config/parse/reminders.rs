//! Checks of `nudges:` and `checkins:` (see [`crate::config::reminders`]).

use chrono::NaiveTime;
use serde_saphyr::Spanned;

use super::Check;
use super::raw::{RawCheckins, RawNudges};
use crate::config::reminders::{CheckinSettings, NudgeSettings, parse_weekday};
use crate::duration::Duration;

impl Check<'_> {
    pub(super) fn nudges(&mut self, raw: Option<Spanned<RawNudges>>) -> NudgeSettings {
        let mut settings = NudgeSettings::default();
        let Some(raw) = raw else { return settings };
        let at = raw.referenced;
        let raw = match raw.value {
            RawNudges::Switch(Ok(on)) => {
                settings.enabled = on;
                return settings;
            }
            RawNudges::Switch(Err(word)) => {
                self.error(
                    &at,
                    format!(
                        "invalid `nudges` `{word}`: expected `off`, or settings like `{{ after: 14d, escalate_after: 28d }}`"
                    ),
                );
                return settings;
            }
            RawNudges::Settings(raw) => raw,
        };
        if let Some(after) = raw.after {
            settings.after = self.positive_duration(&after, "`nudges.after`", "14d");
        }
        if let Some(escalate) = raw.escalate_after
            && let Some(d) = self.positive_duration(&escalate, "`nudges.escalate_after`", "28d")
        {
            match settings.after {
                Some(after) if d <= after => self.error(
                    &escalate.referenced,
                    format!(
                        "`nudges.escalate_after` ({d}) must be longer than `nudges.after` ({after}): a pair is reminded first, then escalated"
                    ),
                ),
                _ => settings.escalate_after = Some(d),
            }
        }
        for to in raw.to.unwrap_or_default() {
            let name = to.value.trim().trim_start_matches('@');
            let valid = match name.split_once('/') {
                Some((org, team)) => !org.is_empty() && !team.is_empty() && !team.contains('/'),
                None => !name.is_empty(),
            };
            if valid && !name.contains(char::is_whitespace) {
                settings.to.push(name.to_owned());
            } else {
                self.error(
                    &to.referenced,
                    format!(
                        "invalid `nudges.to` entry `{}`: expected a team like `@acme/eng-managers` or a login like `@mona`",
                        to.value.trim()
                    ),
                );
            }
        }
        if let Some(quiet) = raw.quiet {
            settings.quiet_days.clear();
            for day in quiet.days.unwrap_or_default() {
                match parse_weekday(&day.value) {
                    Some(d) if !settings.quiet_days.contains(&d) => settings.quiet_days.push(d),
                    Some(_) => {}
                    None => self.error(
                        &day.referenced,
                        format!(
                            "invalid day `{}` in `nudges.quiet.days`: expected `mon`, `tue`, `wed`, `thu`, `fri`, `sat` or `sun`",
                            day.value.trim()
                        ),
                    ),
                }
            }
        }
        settings
    }

    /// Checks a `checkins:` mapping (`where` names it in errors: `checkins` or `the pair's checkins`).
    pub(super) fn checkins(
        &mut self,
        raw: Option<Spanned<RawCheckins>>,
        what: &str,
    ) -> Option<CheckinSettings> {
        let raw = raw?;
        let at = raw.referenced;
        let raw = raw.value;
        let missing = |key: &str, example: &str| {
            format!("{what} is missing `{key}`: expected something like `{key}: {example}`")
        };
        let every = match raw.every {
            None => {
                self.error(&at, missing("every", "2w"));
                None
            }
            Some(every) => self.positive_duration(&every, &format!("`{what}.every`"), "2w").and_then(
                |d| {
                    if d.whole_days().is_some() {
                        Some(d)
                    } else {
                        self.error(
                            &every.referenced,
                            format!("`{what}.every` is {d}: expected whole days or weeks, like `1w` or `14d`"),
                        );
                        None
                    }
                },
            ),
        };
        let length = match raw.length {
            None => Some(Duration::from_minutes(30)),
            Some(length) => {
                let d = self.positive_duration(&length, &format!("`{what}.length`"), "30m");
                match d {
                    Some(d) if d.seconds() > 8 * 3_600 => {
                        self.error(
                            &length.referenced,
                            format!("`{what}.length` is {d}: a check-in is at most 8h, like `30m`"),
                        );
                        None
                    }
                    d => d,
                }
            }
        };
        let weekday = match raw.weekday {
            None => {
                self.error(&at, missing("weekday", "tue"));
                None
            }
            Some(day) => parse_weekday(&day.value).or_else(|| {
                self.error(
                    &day.referenced,
                    format!(
                        "invalid `{what}.weekday` `{}`: expected `mon`, `tue`, `wed`, `thu`, `fri`, `sat` or `sun`",
                        day.value.trim()
                    ),
                );
                None
            }),
        };
        let time = match raw.time {
            None => {
                self.error(&at, missing("time", "\"10:00\""));
                None
            }
            Some(time) => {
                NaiveTime::parse_from_str(time.value.trim(), "%H:%M").ok().or_else(|| {
                    self.error(
                    &time.referenced,
                    format!(
                        "invalid `{what}.time` `{}`: expected a 24-hour local time like \"10:00\"",
                        time.value.trim()
                    ),
                );
                    None
                })
            }
        };
        Some(CheckinSettings { every: every?, length: length?, weekday: weekday?, time: time? })
    }
}
