//! Nudges: a reminder on the growth journal for a pair that has gone quiet, and an escalation when it stays quiet.
//!
//! A *quiet episode* starts at the pair's last touchpoint (or, before any, at the pair's first day) and ends with
//! the next touchpoint. Each episode gets at most one reminder and one escalation: their markers carry the
//! episode's start, so the app writes one comment each and edits it while the episode lasts (the day count moves
//! on), and a touchpoint starts a new episode with new markers. Nothing is written for a pair that is not active
//! today, that either member snoozed, or on a quiet day; escalations name people and days only.

use chrono::{DateTime, Datelike, NaiveTime, Utc};

use crate::config::{Config, Pair, PairStatus, Stage};
use crate::evidence::{EvidenceReport, MilestoneReport, MilestoneStatus};

/// What a nudge is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NudgeKind {
    /// The reminder to the pair.
    Reminder,
    /// The escalation to `nudges.to`.
    Escalation,
}

/// One comment to write (or edit) on the pair's growth journal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nudge {
    /// Reminder or escalation.
    pub kind: NudgeKind,
    /// The outbox marker: `nudge:` or `escalation:`, the pair and the episode's start (epoch milliseconds).
    pub marker: String,
    /// The comment's text (without the marker line).
    pub body: String,
    /// Whole days the pair has been quiet.
    pub days: i64,
}

/// A pair's state as the app knows it.
#[derive(Clone, Copy, Debug)]
pub struct PairState<'a> {
    /// The pair.
    pub pair: &'a Pair,
    /// Its last touchpoint, if any.
    pub last_touchpoint: Option<DateTime<Utc>>,
    /// Until when either member paused reminders (`/mentor snooze`), if they did.
    pub snoozed_until: Option<DateTime<Utc>>,
    /// The mentee's milestones (for the suggestion), if known.
    pub milestones: Option<&'a EvidenceReport>,
}

/// Returns the instant the current quiet episode of `state` started: its last touchpoint, else the pair's first
/// local midnight.
pub fn episode_start(config: &Config, state: &PairState<'_>) -> DateTime<Utc> {
    state.last_touchpoint.unwrap_or_else(|| {
        let tz = config.sprints.timezone();
        state
            .pair
            .since
            .and_time(NaiveTime::MIN)
            .and_local_timezone(tz)
            .earliest()
            .map_or_else(|| state.pair.since.and_time(NaiveTime::MIN).and_utc(), |t| t.to_utc())
    })
}

/// Returns the first milestone of `report` that is still to do (open or overdue), in track order.
pub fn next_milestone(report: &EvidenceReport) -> Option<&MilestoneReport> {
    report
        .milestones
        .iter()
        .find(|m| matches!(m.status, MilestoneStatus::Open | MilestoneStatus::Overdue))
}

/// Returns the nudges `state` calls for at `now` (none, a reminder, or a reminder and an escalation).
pub fn nudges(config: &Config, state: &PairState<'_>, now: DateTime<Utc>) -> Vec<Nudge> {
    let settings = &config.nudges;
    let pair = state.pair;
    let today = config.sprints.local_date(now);
    if !settings.enabled
        || pair.status != PairStatus::Active
        || !pair.covers(today)
        || state.snoozed_until.is_some_and(|until| until > now)
        || settings.quiet_days.contains(&today.weekday())
    {
        return Vec::new();
    }
    let since = episode_start(config, state);
    let quiet = now - since;
    if quiet < config.nudge_after().to_chrono() {
        return Vec::new();
    }
    let days = quiet.num_days();
    let episode = since.timestamp_millis();
    let key = format!("{}/{}@{episode}", pair.mentor, pair.mentee);
    let last = match state.last_touchpoint {
        Some(at) => format!("the last was on {}", config.sprints.local_date(at)),
        None => format!("none since the pair started on {}", pair.since),
    };
    let suggestion = match state.milestones.and_then(next_milestone) {
        Some(m) => {
            let due = m.due.map(|d| format!(", due {d}")).unwrap_or_default();
            format!(
                "Suggestion: **{}** ({} stage{due}) is next: {}.",
                m.title,
                m.stage.as_str(),
                stage_hint(m.stage, pair)
            )
        }
        None => "Suggestion: book a check-in and agree on the next objective together (`/mentor checkin 30m` on a pull request logs it).".to_owned(),
    };
    let mut out = vec![Nudge {
        kind: NudgeKind::Reminder,
        marker: format!("nudge:{key}"),
        body: format!(
            "@{} @{}: no mentoring touchpoint for **{days} day{}** ({last}).\n\n{suggestion}\n\n\
             Any review or comment by @{} on @{}'s pull requests ends this reminder; either of you can pause \
             reminders with `/mentor snooze 7d`.",
            pair.mentor,
            pair.mentee,
            plural(days),
            pair.mentor,
            pair.mentee
        ),
        days,
    }];
    let to = config.escalation_to();
    if quiet >= config.escalate_after().to_chrono() && !to.is_empty() {
        out.push(Nudge {
            kind: NudgeKind::Escalation,
            marker: format!("escalation:{key}"),
            body: format!(
                "{}: @{} and @{} have had no mentoring touchpoint for **{days} day{}**.",
                to.join(" "),
                pair.mentor,
                pair.mentee,
                plural(days)
            ),
            days,
        });
    }
    out
}

fn plural(n: i64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// One concrete thing the pair can do next for a milestone of `stage`.
fn stage_hint(stage: Stage, pair: &Pair) -> String {
    let (mentor, mentee) = (&pair.mentor, &pair.mentee);
    match stage {
        Stage::Discovery => {
            format!("@{mentor}, walk @{mentee} through where a small change in that area would go")
        }
        Stage::Practice => "pair on one change toward it, then review it together".to_owned(),
        Stage::Feedback => {
            format!("@{mentee} reviews a colleague's pull request and @{mentor} reviews the review")
        }
        Stage::Mastery => {
            format!(
                "@{mentee} leads a change end to end and explains it to @{mentor} as to a newcomer"
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(extra: &str) -> Config {
        crate::config::parse(
            "m.yml",
            &format!(
                "sprints: {{ length: 2w, start: 2026-01-05, timezone: Europe/Berlin }}\n\
                 people:\n  bob: {{}}\n  alice: {{}}\n\
                 pairs:\n  - {{ mentor: bob, mentee: alice, track: t, since: 2026-09-01 }}\n\
                 tracks:\n  t:\n    milestones:\n      - {{ id: m, title: Give two reviews, stage: feedback }}\n\
                 touchpoints: {{ stale_after: 14d }}\nprivacy: {{ managers: [\"@acme/eng-managers\"] }}\n{extra}"
            ),
        )
        .unwrap()
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn state<'a>(pair: &'a Pair, last: &str) -> PairState<'a> {
        PairState { pair, last_touchpoint: Some(at(last)), snoozed_until: None, milestones: None }
    }

    /// Tuesday 2026-11-17, noon.
    const NOW: &str = "2026-11-17T12:00:00Z";

    #[test]
    fn a_quiet_pair_gets_one_reminder_per_episode_then_an_escalation() {
        let config = config("");
        let pair = &config.pairs[0];
        assert!(nudges(&config, &state(pair, "2026-11-05T12:00:00Z"), at(NOW)).is_empty());
        let first = nudges(&config, &state(pair, "2026-11-02T09:00:00Z"), at(NOW));
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].kind, NudgeKind::Reminder);
        assert!(first[0].body.starts_with("@bob @alice: no mentoring touchpoint for **15 days**"));
        assert!(first[0].body.contains("the last was on 2026-11-02"), "{}", first[0].body);
        // Later in the same episode: the same marker (the comment is edited), a new day count.
        let later =
            nudges(&config, &state(pair, "2026-11-02T09:00:00Z"), at("2026-11-19T12:00:00Z"));
        assert_eq!(later[0].marker, first[0].marker);
        assert!(later[0].body.contains("**17 days**"));
        // Escalated after twice `after` (28 days), naming managers, the pair and days only.
        let long = nudges(&config, &state(pair, "2026-10-19T09:00:00Z"), at(NOW));
        assert_eq!(long.len(), 2);
        assert_eq!(long[1].kind, NudgeKind::Escalation);
        assert_eq!(
            long[1].body,
            "@acme/eng-managers: @bob and @alice have had no mentoring touchpoint for **29 days**."
        );
        // A touchpoint starts a new episode: new markers.
        let next =
            nudges(&config, &state(pair, "2026-11-03T09:00:00Z"), at("2026-11-18T12:00:00Z"));
        assert_ne!(next[0].marker, first[0].marker);
    }

    #[test]
    fn nothing_while_snoozed_on_quiet_days_for_ended_pairs_or_when_off() {
        let config = self::config("");
        let pair = &config.pairs[0];
        let mut snoozed = state(pair, "2026-11-02T09:00:00Z");
        snoozed.snoozed_until = Some(at("2026-11-20T00:00:00Z"));
        assert!(nudges(&config, &snoozed, at(NOW)).is_empty());
        assert_eq!(nudges(&config, &snoozed, at("2026-11-20T12:00:00Z")).len(), 1);
        // Saturday in Berlin.
        assert!(
            nudges(&config, &state(pair, "2026-11-02T09:00:00Z"), at("2026-11-21T12:00:00Z"))
                .is_empty()
        );
        let off = crate::config::parse(
            "m.yml",
            "people:\n  bob: {}\n  alice: {}\npairs:\n  - { mentor: bob, mentee: alice, track: t, since: 2026-09-01, until: 2026-11-10 }\n\
             tracks:\n  t:\n    milestones:\n      - { id: m, title: M, stage: discovery }\n",
        )
        .unwrap();
        assert!(nudges(&off, &state(&off.pairs[0], "2026-10-01T09:00:00Z"), at(NOW)).is_empty());
        let off = self::config("nudges: off\n");
        assert!(nudges(&off, &state(&off.pairs[0], "2026-10-01T09:00:00Z"), at(NOW)).is_empty());
    }

    #[test]
    fn the_suggestion_comes_from_the_next_open_milestone() {
        let config = config(
            "nudges: { after: 7d, escalate_after: 10d, to: [\"@mona\"], quiet: { days: [] } }\n",
        );
        let pair = &config.pairs[0];
        let report =
            crate::evidence::report(&config, pair, &[], crate::evidence::Vantage::GitHub, at(NOW));
        let mut s = state(pair, "2026-11-09T09:00:00Z");
        s.milestones = Some(&report);
        let out = nudges(&config, &s, at("2026-11-21T12:00:00Z"));
        assert!(
            out[0].body.contains("Suggestion: **Give two reviews** (feedback stage) is next: @alice reviews a colleague's pull request and @bob reviews the review."),
            "{}",
            out[0].body
        );
        assert_eq!(
            out[1].body,
            "@mona: @bob and @alice have had no mentoring touchpoint for **12 days**."
        );
        assert_eq!(config.escalation_to(), ["@mona"]);
    }

    #[test]
    fn invalid_nudge_and_checkin_settings_name_the_problem_and_place() {
        let text = "people:\n  bob: {}\n  alice: {}\npairs:\n  - { mentor: bob, mentee: alice, track: t, since: 2026-09-01 }\n\
                    tracks:\n  t:\n    milestones:\n      - { id: m, title: M, stage: discovery }\n\
                    nudges: { after: 14d, escalate_after: 7d, to: [\"@a/b/c\"], quiet: { days: [caturday] } }\n\
                    checkins: { every: 36h, weekday: tue, time: \"25:00\" }\n";
        let errors = crate::config::parse("m.yml", text).unwrap_err().to_string();
        for expected in [
            "m.yml:10:39:",
            "`nudges.escalate_after` (1w) must be longer than `nudges.after` (2w)",
            "invalid `nudges.to` entry `@a/b/c`",
            "invalid day `caturday` in `nudges.quiet.days`",
            "`checkins.every` is 36h: expected whole days or weeks",
            "invalid `checkins.time` `25:00`",
        ] {
            assert!(errors.contains(expected), "{expected} in {errors}");
        }
        let word = crate::config::parse(
            "m.yml",
            &format!("{}nudges: sometimes\n", &text[..text.find("nudges").unwrap()]),
        );
        assert!(word.unwrap_err().to_string().contains("invalid `nudges` `sometimes`"));
    }
}
