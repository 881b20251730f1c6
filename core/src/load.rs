//! Load: mentoring per mentor per sprint against capacity, and pairs that have gone quiet.
//!
//! Managers see counts and minutes only — a [`LoadReport`] carries no feedback text by construction.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::config::{Capacity, Config, PairStatus};
use crate::login::Login;
use crate::sprint::Sprint;
use crate::touchpoint::Touchpoint;

/// Share of the minutes capacity from which a mentor's load is `high`.
pub const HIGH_SHARE: f64 = 0.8;

/// The load table of one sprint (the `--json` shape of `mentor load` and the API).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoadReport {
    /// The sprint reported on.
    pub sprint: SprintRef,
    /// One row per mentor with a pair in effect during the sprint or a touchpoint in it, by login.
    pub mentors: Vec<MentorLoad>,
    /// Active pairs with no touchpoint for `touchpoints.stale_after`, as of the sprint's end (or now, if earlier).
    pub stale_pairs: Vec<StalePair>,
}

/// A sprint in a report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SprintRef {
    /// The sprint id (its local start date).
    pub id: NaiveDate,
    /// First instant.
    pub start: DateTime<FixedOffset>,
    /// First instant after it.
    pub end: DateTime<FixedOffset>,
}

/// One mentor's row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MentorLoad {
    /// The mentor.
    pub login: Login,
    /// Touchpoints in the sprint.
    pub touchpoints: u32,
    /// Minutes credited in the sprint.
    pub minutes: u32,
    /// Distinct mentees with a touchpoint in the sprint.
    pub mentees: u32,
    /// `capacity.minutes_per_sprint`, if set.
    pub capacity_minutes: Option<u32>,
    /// `ok`, `high` (≥ 80 % of capacity minutes) or `over` (above capacity minutes, or more active mentees than
    /// `capacity.mentees`).
    pub status: LoadStatus,
}

/// How loaded a mentor is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoadStatus {
    /// Within capacity.
    Ok,
    /// At least 80 % of the minutes capacity.
    High,
    /// Above capacity.
    Over,
}

impl LoadStatus {
    /// Returns the status as written in JSON, CSV and pages: `ok`, `high` or `over`.
    pub fn as_str(self) -> &'static str {
        match self {
            LoadStatus::Ok => "ok",
            LoadStatus::High => "high",
            LoadStatus::Over => "over",
        }
    }
}

/// A pair with no recent touchpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StalePair {
    /// The mentor.
    pub mentor: Login,
    /// The mentee.
    pub mentee: Login,
    /// Their last touchpoint ever, if any.
    pub last_touchpoint: Option<DateTime<Utc>>,
}

/// Builds the load report of `sprint` from `touchpoints` (all known ones: older ones decide staleness).
pub fn report(
    config: &Config,
    sprint: &Sprint,
    touchpoints: &[Touchpoint],
    now: DateTime<Utc>,
) -> LoadReport {
    let as_of = stale_as_of(sprint, now);
    let mut last: BTreeMap<(Login, Login), DateTime<Utc>> = BTreeMap::new();
    for t in touchpoints.iter().filter(|t| t.at <= as_of) {
        let slot = last.entry((t.mentor.clone(), t.mentee.clone())).or_insert(t.at);
        *slot = (*slot).max(t.at);
    }
    let credits: Vec<Credit> = touchpoints.iter().map(Credit::of).collect();
    report_from(config, sprint, &credits, &last, now)
}

/// What a touchpoint counts for in a load report: who, and how many minutes when. A store can read these
/// columns alone instead of whole touchpoints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credit {
    /// The pair's mentor.
    pub mentor: Login,
    /// The pair's mentee.
    pub mentee: Login,
    /// Minutes credited.
    pub minutes: u32,
    /// When it happened.
    pub at: DateTime<Utc>,
}

impl Credit {
    /// Returns what `touchpoint` counts for.
    pub fn of(touchpoint: &Touchpoint) -> Credit {
        Credit {
            mentor: touchpoint.mentor.clone(),
            mentee: touchpoint.mentee.clone(),
            minutes: touchpoint.minutes,
            at: touchpoint.at,
        }
    }
}

/// Returns the instant staleness is judged at for `sprint`: its end, or now if earlier.
pub fn stale_as_of(sprint: &Sprint, now: DateTime<Utc>) -> DateTime<Utc> {
    now.min(sprint.end.with_timezone(&Utc))
}

/// Returns the (mentor, mentee) pairs whose staleness the report of `sprint` judges: the active pairs in effect
/// on the day of [`stale_as_of`]. A store needs the last touchpoint of these only.
pub fn stale_candidates(
    config: &Config,
    sprint: &Sprint,
    now: DateTime<Utc>,
) -> Vec<(Login, Login)> {
    let as_of_day = config.sprints.local_date(stale_as_of(sprint, now));
    config
        .pairs
        .iter()
        .filter(|p| p.status == PairStatus::Active && p.covers(as_of_day))
        .map(|p| (p.mentor.clone(), p.mentee.clone()))
        .collect()
}

/// What the touchpoints of one pair inside a sprint add up to: the unit a load report is built from, so a store
/// can sum them where the rows are instead of handing over every touchpoint.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PairTally {
    /// The pair's mentor.
    pub mentor: Login,
    /// The pair's mentee.
    pub mentee: Login,
    /// Touchpoints counted.
    pub touchpoints: u32,
    /// Minutes credited (saturating).
    pub minutes: u32,
}

/// Returns the credits with `start <= at < end` summed per (mentor, mentee), ordered by mentor then mentee.
pub fn tallies(credits: &[Credit], start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<PairTally> {
    let mut sums: BTreeMap<(&Login, &Login), (u32, u32)> = BTreeMap::new();
    for c in credits.iter().filter(|c| c.at >= start && c.at < end) {
        let slot = sums.entry((&c.mentor, &c.mentee)).or_default();
        slot.0 += 1;
        slot.1 = slot.1.saturating_add(c.minutes);
    }
    sums.into_iter()
        .map(|((mentor, mentee), (touchpoints, minutes))| PairTally {
            mentor: mentor.clone(),
            mentee: mentee.clone(),
            touchpoints,
            minutes,
        })
        .collect()
}

/// Builds the load report of `sprint` from the credits of the touchpoints inside it (others are ignored) and,
/// per pair, the time of its last touchpoint at or before [`stale_as_of`] (for staleness).
pub fn report_from(
    config: &Config,
    sprint: &Sprint,
    touchpoints: &[Credit],
    last_touchpoints: &BTreeMap<(Login, Login), DateTime<Utc>>,
    now: DateTime<Utc>,
) -> LoadReport {
    let tallies =
        tallies(touchpoints, sprint.start.with_timezone(&Utc), sprint.end.with_timezone(&Utc));
    report_from_tallies(config, sprint, &tallies, last_touchpoints, now)
}

/// Builds the load report of `sprint` from the [`tallies`] of its touchpoints and, per pair, the time of its
/// last touchpoint at or before [`stale_as_of`]: what a store can read without loading the touchpoints at all,
/// so the memory a report takes does not grow with the touchpoints a sprint holds.
pub fn report_from_tallies(
    config: &Config,
    sprint: &Sprint,
    tallies: &[PairTally],
    last_touchpoints: &BTreeMap<(Login, Login), DateTime<Utc>>,
    now: DateTime<Utc>,
) -> LoadReport {
    let end = sprint.end.with_timezone(&Utc);

    #[derive(Default)]
    struct Row {
        touchpoints: u32,
        minutes: u32,
        mentees: BTreeSet<Login>,
        active_pairs: u32,
    }
    let mut rows: BTreeMap<Login, Row> = BTreeMap::new();
    for (mentor, n) in active_pairs(config, sprint) {
        rows.entry(mentor).or_default().active_pairs = n;
    }
    for t in tallies.iter().filter(|t| t.touchpoints > 0) {
        let row = rows.entry(t.mentor.clone()).or_default();
        row.touchpoints = row.touchpoints.saturating_add(t.touchpoints);
        row.minutes = row.minutes.saturating_add(t.minutes);
        row.mentees.insert(t.mentee.clone());
    }
    let mentors = rows
        .into_iter()
        .map(|(login, row)| {
            // The person's own capacity, else their tier's: principals are not overloaded silently.
            let capacity = config.effective_capacity(&login);
            let status = status_of(capacity, row.minutes, row.active_pairs);
            MentorLoad {
                login,
                touchpoints: row.touchpoints,
                minutes: row.minutes,
                mentees: row.mentees.len() as u32,
                capacity_minutes: capacity.minutes_per_sprint,
                status,
            }
        })
        .collect();

    let as_of = now.min(end);
    let as_of_day = config.sprints.local_date(as_of);
    let stale_after = config.touchpoints.stale_after.to_chrono();
    let mut stale_pairs = Vec::new();
    for pair in
        config.pairs.iter().filter(|p| p.status == PairStatus::Active && p.covers(as_of_day))
    {
        let last = last_touchpoints
            .get(&(pair.mentor.clone(), pair.mentee.clone()))
            .copied()
            .filter(|at| *at <= as_of);
        let since = config.sprints.sprint_on(pair.since).start.with_timezone(&Utc).max(
            // The pair's first local midnight: a pair that just started is not stale.
            pair.since.and_time(chrono::NaiveTime::MIN).and_utc(),
        );
        let quiet_since = last.unwrap_or(since);
        if as_of - quiet_since >= stale_after {
            stale_pairs.push(StalePair {
                mentor: pair.mentor.clone(),
                mentee: pair.mentee.clone(),
                last_touchpoint: last,
            });
        }
    }
    LoadReport {
        sprint: SprintRef { id: sprint.id, start: sprint.start, end: sprint.end },
        mentors,
        stale_pairs,
    }
}

/// Returns how many pairs of each mentor are in effect at some point of `sprint` (ended pairs count while their
/// dates cover it): what `capacity.mentees` is checked against.
pub fn active_pairs(config: &Config, sprint: &Sprint) -> BTreeMap<Login, u32> {
    let last_day = sprint.end.date_naive() - chrono::Days::new(1);
    let in_effect = |since: NaiveDate, until: Option<NaiveDate>| {
        since <= last_day && until.is_none_or(|u| u >= sprint.id)
    };
    let mut out: BTreeMap<Login, u32> = BTreeMap::new();
    for pair in config.pairs.iter().filter(|p| p.status != PairStatus::Ended || p.until.is_some()) {
        if in_effect(pair.since, pair.until) {
            *out.entry(pair.mentor.clone()).or_default() += 1;
        }
    }
    out
}

/// Returns the status of a mentor with `capacity` who was credited `minutes` in a sprint with `active_pairs`
/// pairs in effect: `over` above either capacity, `high` from [`HIGH_SHARE`] of the minutes, else `ok`.
pub fn status_of(capacity: Capacity, minutes: u32, active_pairs: u32) -> LoadStatus {
    let over_minutes = capacity.minutes_per_sprint.is_some_and(|cap| minutes > cap);
    let over_mentees = capacity.mentees.is_some_and(|cap| active_pairs > cap);
    let high = capacity
        .minutes_per_sprint
        .is_some_and(|cap| f64::from(minutes) >= HIGH_SHARE * f64::from(cap));
    if over_minutes || over_mentees {
        LoadStatus::Over
    } else if high {
        LoadStatus::High
    } else {
        LoadStatus::Ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A principal with no capacity of their own gets the tier's: two reviews (60 minutes) against the tier's
    /// 60 are `over` only with the tier in force, not silently `ok` as when capacity was the person's alone.
    #[test]
    fn load_status_uses_the_tier_capacity_when_the_person_sets_none() {
        let text = |tiers: &str| {
            format!(
                "{tiers}sprints: {{ length: 2w, start: 2026-01-05, timezone: UTC }}\npeople:\n  pat: {{ tier: principal }}\n  al: {{}}\n\
                 pairs:\n  - {{ mentor: pat, mentee: al, track: t, since: 2026-01-05 }}\n\
                 tracks:\n  t:\n    milestones:\n      - {{ id: m, title: M, stage: discovery }}\n"
            )
        };
        let now = DateTime::parse_from_rfc3339("2026-11-18T12:00:00Z").unwrap().to_utc();
        let credit = |h: i64| Credit {
            mentor: Login::new("pat"),
            mentee: Login::new("al"),
            minutes: 30,
            at: now - chrono::Duration::hours(h),
        };
        let credits = [credit(1), credit(2), credit(3)];
        let status = |tiers: &str| {
            let config = crate::config::parse("m.yml", &text(tiers)).unwrap();
            let sprint = config.sprints.sprint_at(now);
            let report = report_from(&config, &sprint, &credits, &BTreeMap::new(), now);
            (report.mentors[0].status, report.mentors[0].capacity_minutes)
        };
        assert_eq!(status(""), (LoadStatus::Ok, None));
        assert_eq!(
            status("tiers:\n  principal: { capacity: { minutes_per_sprint: 60 } }\n"),
            (LoadStatus::Over, Some(60))
        );
    }

    /// Tallies sum a half-open window per pair (saturating), and a report built from them equals the report
    /// built from the credits they sum.
    #[test]
    fn tallies_sum_each_pair_inside_the_window() {
        let t0 = DateTime::parse_from_rfc3339("2026-11-18T12:00:00Z").unwrap().to_utc();
        let credit = |mentor: &str, mentee: &str, minutes: u32, h: i64| Credit {
            mentor: Login::new(mentor),
            mentee: Login::new(mentee),
            minutes,
            at: t0 + chrono::Duration::hours(h),
        };
        let credits = [
            credit("pat", "al", 30, 0),
            credit("pat", "al", u32::MAX, 1),
            credit("pat", "bo", 10, 2),
            credit("kim", "al", 5, 3),
            credit("kim", "al", 5, 4),
        ];
        let got = tallies(&credits, t0, t0 + chrono::Duration::hours(4));
        let tally = |mentor: &str, mentee: &str, touchpoints: u32, minutes: u32| PairTally {
            mentor: Login::new(mentor),
            mentee: Login::new(mentee),
            touchpoints,
            minutes,
        };
        assert_eq!(
            got,
            [tally("kim", "al", 1, 5), tally("pat", "al", 2, u32::MAX), tally("pat", "bo", 1, 10)]
        );
    }
}
