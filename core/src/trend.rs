//! A mentor's load over recent sprints: the trend on the load page and the history on a mentor's page.
//!
//! A store sums each sprint's touchpoints per mentor (see [`totals`] for the rule it must agree with); this module
//! turns those sums into per-sprint rows with the same status rule as the load report, so a sprint's row here
//! equals that mentor's row in the sprint's [`LoadReport`](crate::load::LoadReport).

use std::collections::BTreeMap;

use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::load::{Credit, LoadStatus, active_pairs, status_of};
use crate::login::Login;
use crate::sprint::Sprint;

/// How many sprints a trend shows, the selected one last.
pub const TREND_SPRINTS: usize = 6;

/// What one mentor was credited in one sprint.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SprintTotal {
    /// Touchpoints in the sprint.
    pub touchpoints: u32,
    /// Minutes credited in the sprint.
    pub minutes: u32,
}

/// One mentor in one sprint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SprintLoad {
    /// The sprint id (its local start date).
    pub sprint: NaiveDate,
    /// Touchpoints in the sprint.
    pub touchpoints: u32,
    /// Minutes credited in the sprint.
    pub minutes: u32,
    /// The mentor's effective `capacity.minutes_per_sprint`, if set.
    pub capacity_minutes: Option<u32>,
    /// Load status, by the load report's rule.
    pub status: LoadStatus,
}

/// Sums `credits` inside `sprint` per mentor: the rule a store's aggregate query implements.
pub fn totals(credits: &[Credit], sprint: &Sprint) -> BTreeMap<Login, SprintTotal> {
    let start = sprint.start.with_timezone(&Utc);
    let end = sprint.end.with_timezone(&Utc);
    let mut out: BTreeMap<Login, SprintTotal> = BTreeMap::new();
    for c in credits.iter().filter(|c| c.at >= start && c.at < end) {
        let slot = out.entry(c.mentor.clone()).or_default();
        slot.touchpoints += 1;
        slot.minutes = slot.minutes.saturating_add(c.minutes);
    }
    out
}

/// Returns `mentor`'s row in each of `sprints` (oldest first), given each sprint's [`totals`] in the same order.
pub fn of_mentor(
    config: &Config,
    mentor: &Login,
    sprints: &[Sprint],
    per_sprint: &[BTreeMap<Login, SprintTotal>],
) -> Vec<SprintLoad> {
    of_mentors(config, std::slice::from_ref(mentor), sprints, per_sprint).pop().unwrap_or_default()
}

/// Returns each of `mentors`' rows (in the order given) in each of `sprints`, as [`of_mentor`] does for one;
/// the pairs in effect are counted once per sprint, not once per mentor.
pub fn of_mentors(
    config: &Config,
    mentors: &[Login],
    sprints: &[Sprint],
    per_sprint: &[BTreeMap<Login, SprintTotal>],
) -> Vec<Vec<SprintLoad>> {
    let pairs: Vec<BTreeMap<Login, u32>> =
        sprints.iter().map(|s| active_pairs(config, s)).collect();
    mentors
        .iter()
        .map(|mentor| {
            let capacity = config.effective_capacity(mentor);
            sprints
                .iter()
                .zip(per_sprint)
                .zip(&pairs)
                .map(|((sprint, totals), pairs)| {
                    let total = totals.get(mentor).copied().unwrap_or_default();
                    let pairs = pairs.get(mentor).copied().unwrap_or(0);
                    SprintLoad {
                        sprint: sprint.id,
                        touchpoints: total.touchpoints,
                        minutes: total.minutes,
                        capacity_minutes: capacity.minutes_per_sprint,
                        status: status_of(capacity, total.minutes, pairs),
                    }
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    /// Each sprint's row equals the mentor's row in that sprint's load report, status included.
    #[test]
    fn a_sprints_row_equals_the_load_reports_row() {
        let config = crate::config::parse(
            "m.yml",
            "sprints: { length: 1w, start: 2026-01-05, timezone: UTC }\n\
             people:\n  pat: { capacity: { minutes_per_sprint: 60, mentees: 1 } }\n  al: {}\n  bo: {}\n\
             pairs:\n  - { mentor: pat, mentee: al, track: t, since: 2026-10-01 }\n\
             \x20 - { mentor: pat, mentee: bo, track: t, since: 2026-11-16 }\n\
             tracks:\n  t:\n    milestones:\n      - { id: m, title: M, stage: discovery }\n",
        )
        .unwrap();
        let now = DateTime::parse_from_rfc3339("2026-11-18T12:00:00Z").unwrap().to_utc();
        let credit = |days: i64, mentee: &str, minutes: u32| Credit {
            mentor: Login::new("pat"),
            mentee: Login::new(mentee),
            minutes,
            at: now - chrono::Duration::days(days),
        };
        let credits =
            [credit(0, "al", 30), credit(1, "bo", 20), credit(8, "al", 50), credit(20, "al", 10)];
        let last = config.sprints.sprint_at(now);
        let sprints = config.sprints.recent(&last, TREND_SPRINTS);
        assert_eq!(sprints.len(), TREND_SPRINTS);
        assert_eq!(sprints.last(), Some(&last));
        let per: Vec<_> = sprints.iter().map(|s| totals(&credits, s)).collect();
        let rows = of_mentor(&config, &Login::new("pat"), &sprints, &per);
        for (sprint, row) in sprints.iter().zip(&rows) {
            let report = crate::load::report_from(&config, sprint, &credits, &BTreeMap::new(), now);
            match report.mentors.iter().find(|m| m.login == Login::new("pat")) {
                Some(m) => assert_eq!(
                    (m.touchpoints, m.minutes, m.capacity_minutes, m.status),
                    (row.touchpoints, row.minutes, row.capacity_minutes, row.status),
                    "sprint {}",
                    sprint.id
                ),
                None => assert_eq!((row.touchpoints, row.minutes), (0, 0)),
            }
        }
        // Two pairs against `mentees: 1` make the current sprint `over`; the one before had 50 of 60 minutes.
        assert_eq!(rows[5].status, LoadStatus::Over);
        assert_eq!((rows[4].minutes, rows[4].status), (50, LoadStatus::High));
        assert_eq!((rows[3].minutes, rows[2].minutes), (0, 10));
    }
}
