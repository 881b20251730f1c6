//! Velocity adjustment: per sprint and team, mentoring minutes as a share of the mentors' capacity, and the
//! team's velocity (`velocity: { team: points }`) less the share of its working time spent mentoring, so
//! sprint planning accounts for it.
//!
//! A team's working time is its members × the sprint's working days (5 of every 7) × 8 hours; a mentor
//! counts for the team in their `team`.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::{Finding, FindingKind, Severity};
use crate::config::Config;
use crate::load::Credit;
use crate::login::Login;

/// At most this many sprints are reported.
const MAX_SPRINTS: i64 = 6;

/// Minutes in an eight-hour working day.
const WORKDAY_MINUTES: f64 = 8.0 * 60.0;

/// One mentor's mentoring in a sprint.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MentorShare {
    /// The mentor.
    pub login: Login,
    /// Minutes credited.
    pub minutes: u32,
    /// Their effective capacity in minutes, if set.
    pub capacity_minutes: Option<u32>,
    /// Minutes / capacity, when a capacity is set.
    pub share: Option<f64>,
}

/// One row of `velocity` in the audit's JSON: a team in a sprint.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VelocityRow {
    /// The sprint's first day.
    pub sprint: NaiveDate,
    /// The team.
    pub team: String,
    /// Minutes its mentors were credited.
    pub minutes: u32,
    /// The sum of their capacities (mentors without one are left out).
    pub capacity_minutes: u32,
    /// Minutes / capacity, when there is capacity.
    pub share: Option<f64>,
    /// Per mentor.
    pub mentors: Vec<MentorShare>,
    /// `velocity.<team>`, if given.
    pub points: Option<u32>,
    /// Points less the share of the team's working time spent mentoring, if points are given.
    pub adjusted: Option<f64>,
}

/// Returns the velocity rows of the sprints from `since` (at most the last six) up to now, by sprint then team.
pub fn velocity(
    config: &Config,
    credits: &[Credit],
    since: NaiveDate,
    now: DateTime<Utc>,
) -> Vec<VelocityRow> {
    let current = config.sprints.sprint_at(now);
    let first = config.sprints.sprint_on(since);
    let count = ((current.id - first.id).num_days() / config.sprints.length_days().max(1) + 1)
        .clamp(1, MAX_SPRINTS) as usize;
    let mut members: BTreeMap<&str, u32> = BTreeMap::new();
    for person in config.people.values() {
        if let Some(team) = &person.team {
            *members.entry(team.as_str()).or_default() += 1;
        }
    }
    let workdays = config.sprints.length_days() as f64 * 5.0 / 7.0;
    let mut rows = Vec::new();
    for sprint in config.sprints.recent(&current, count) {
        let start = sprint.start.with_timezone(&Utc);
        let end = sprint.end.with_timezone(&Utc);
        let mut minutes: BTreeMap<&Login, u32> = BTreeMap::new();
        for c in credits.iter().filter(|c| c.at >= start && c.at < end) {
            *minutes.entry(&c.mentor).or_default() += c.minutes;
        }
        let mut teams: BTreeMap<&str, Vec<MentorShare>> = BTreeMap::new();
        for (login, m) in minutes {
            let Some(team) = config.person(login).and_then(|p| p.team.as_deref()) else { continue };
            let capacity = config.effective_capacity(login).minutes_per_sprint;
            teams.entry(team).or_default().push(MentorShare {
                login: login.clone(),
                minutes: m,
                capacity_minutes: capacity,
                share: capacity.filter(|c| *c > 0).map(|c| f64::from(m) / f64::from(c)),
            });
        }
        for (team, mentors) in teams {
            let minutes: u32 = mentors.iter().map(|m| m.minutes).sum();
            let capacity: u32 = mentors.iter().filter_map(|m| m.capacity_minutes).sum();
            let points = config.velocity.get(team).copied();
            let working =
                f64::from(members.get(team).copied().unwrap_or(1)) * workdays * WORKDAY_MINUTES;
            let adjusted = points.map(|p| {
                let left = (1.0 - f64::from(minutes) / working).max(0.0);
                (f64::from(p) * left * 10.0).round() / 10.0
            });
            rows.push(VelocityRow {
                sprint: sprint.id,
                team: team.to_string(),
                minutes,
                capacity_minutes: capacity,
                share: (capacity > 0).then(|| f64::from(minutes) / f64::from(capacity)),
                mentors,
                points,
                adjusted,
            });
        }
    }
    rows
}

/// A team whose mentors spent more than their capacity in a sprint gets a warning.
pub fn findings(rows: &[VelocityRow]) -> Vec<Finding> {
    rows.iter()
        .filter(|r| r.share.is_some_and(|s| s > 1.0))
        .map(|r| Finding {
            kind: FindingKind::Velocity,
            severity: Severity::Warning,
            subject: format!("{} {}", r.team, r.sprint),
            message: format!(
                "{} mentored {} minutes against a capacity of {} in the sprint of {}: plan for it",
                r.team, r.minutes, r.capacity_minutes, r.sprint
            ),
            personal: false,
        })
        .collect()
}
