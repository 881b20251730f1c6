//! Fit: how well a mentor suits a mentee, part by part, and the weighted score the solver maximises.
//!
//! Each part is scored from 0 to 1 — the mentee's `wants` covered by the mentor's skill matrix, the wants and
//! the mentee's own areas covered by the mentor's code expertise, working-hours overlap, same team — and
//! `matching.weights` combine them. Scores are kept as integer thousandths so the solver is exact and
//! deterministic.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::config::matching::Weights;
use crate::config::{Person, TimeZone};
use crate::expertise::{Expertise, want_names_area};

/// Working hours assumed in every zone: 09:00–17:00 local.
pub const WORKING_HOURS: i32 = 8;

/// How many of a mentee's own areas count when looking for shared ground.
const OWN_AREAS: usize = 5;

/// The parts of one mentor's fit for one mentee.
#[derive(Clone, Debug, PartialEq)]
pub struct Fit {
    /// Share of wants covered by the skill matrix (level / 5, averaged over wants).
    pub skills: f64,
    /// Code expertise in the wanted areas and the mentee's own areas.
    pub code: f64,
    /// Hours of working-day overlap, when both time zones are known.
    pub tz_overlap: Option<i32>,
    /// Both on the same (known) team.
    pub same_team: bool,
    /// Wants the mentor has in their skill matrix, with the level, highest first.
    pub covered: Vec<(String, u8)>,
    /// Wanted areas the mentor has code expertise in (relative level), highest first.
    pub expert_areas: Vec<(String, f64)>,
    /// The area both worked in where the mentor is strongest, if any.
    pub shared_area: Option<String>,
    /// The weighted total in thousandths.
    pub milli: i64,
}

impl Fit {
    /// Returns the weighted total as a number with three decimals.
    pub fn score(&self) -> f64 {
        self.milli as f64 / 1000.0
    }
}

/// What fit needs of one person beyond the config, computed once per matching rather than once per pairing
/// (500 × 200 pairings would otherwise sort areas and compare names 100 000 times over).
#[derive(Clone, Debug, Default)]
pub struct CodeProfile {
    /// Areas worked in, most expert first, with the relative level.
    pub areas: Vec<(String, f64)>,
    /// The same, by area.
    levels: HashMap<String, f64>,
    /// For each of the person's `wants`, the known areas it names.
    want_areas: Vec<Vec<String>>,
    /// Their UTC offset in minutes at the time of matching, if their `tz` is known.
    pub offset: Option<i32>,
}

impl CodeProfile {
    /// Returns `person`'s profile at `now`; `all_areas` are every area of `expertise`.
    pub fn of(
        expertise: &Expertise,
        all_areas: &[&str],
        person: &Person,
        now: DateTime<Utc>,
    ) -> CodeProfile {
        let areas = expertise.areas_of(&person.login);
        CodeProfile {
            levels: areas.iter().cloned().collect(),
            areas,
            want_areas: person
                .wants
                .iter()
                .map(|w| {
                    all_areas
                        .iter()
                        .filter(|a| want_names_area(w, a))
                        .map(|a| a.to_string())
                        .collect()
                })
                .collect(),
            offset: person.tz.map(|tz| tz.offset_minutes(now)),
        }
    }

    fn level(&self, area: &str) -> f64 {
        self.levels.get(area).copied().unwrap_or(0.0)
    }
}

/// Returns the fit of `mentor` for `mentee` under `weights`.
pub fn fit(
    (mentee, mentee_code): (&Person, &CodeProfile),
    (mentor, mentor_code): (&Person, &CodeProfile),
    weights: Weights,
) -> Fit {
    let mut covered: Vec<(String, u8)> = mentee
        .wants
        .iter()
        .filter_map(|w| mentor.skills.get(w).map(|level| (w.clone(), *level)))
        .collect();
    covered.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let skills = if mentee.wants.is_empty() {
        0.0
    } else {
        // `+ 0.0`: a float sum of nothing is -0.0, which prints as "-0.00".
        covered.iter().map(|(_, l)| f64::from(*l) / 5.0).sum::<f64>() / mentee.wants.len() as f64
            + 0.0
    };

    let mut expert_areas: Vec<(String, f64)> = Vec::new();
    let mut want_code = 0.0;
    for named in &mentee_code.want_areas {
        let best = named
            .iter()
            .filter_map(|area| mentor_code.levels.get(area).map(|level| (area, *level)))
            .max_by(|a, b| a.1.total_cmp(&b.1).then_with(|| b.0.cmp(a.0)));
        if let Some((area, level)) = best {
            want_code += level;
            if !expert_areas.iter().any(|(a, _)| a == area) {
                expert_areas.push((area.clone(), level));
            }
        }
    }
    expert_areas.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    if !mentee.wants.is_empty() {
        want_code /= mentee.wants.len() as f64;
    }
    let mut shared_area = None;
    let mut shared = 0.0;
    for (area, _) in mentee_code.areas.iter().take(OWN_AREAS) {
        let level = mentor_code.level(area);
        if level > shared {
            shared = level;
            shared_area = Some(area.clone());
        }
    }
    let code = if mentee.wants.is_empty() { shared } else { 0.75 * want_code + 0.25 * shared };

    let tz_overlap = match (mentee_code.offset, mentor_code.offset) {
        (Some(a), Some(b)) => Some(overlap_of_offsets(a, b)),
        _ => None,
    };
    // Unknown zones score in the middle, so nobody is preferred or avoided for a missing `tz`.
    let tz = tz_overlap.map_or(0.5, |h| f64::from(h) / f64::from(WORKING_HOURS));
    let same_team = matches!((&mentee.team, &mentor.team), (Some(a), Some(b)) if a == b);

    let total = f64::from(weights.skills) * skills
        + f64::from(weights.code) * code
        + f64::from(weights.tz) * tz
        + f64::from(weights.team) * if same_team { 1.0 } else { 0.0 };
    Fit {
        skills,
        code,
        tz_overlap,
        same_team,
        covered,
        expert_areas,
        shared_area,
        milli: (total * 1000.0).round() as i64,
    }
}

/// Returns the whole hours by which two 09:00–17:00 working days overlap.
pub fn overlap_hours(a: TimeZone, b: TimeZone, now: DateTime<Utc>) -> i32 {
    overlap_of_offsets(a.offset_minutes(now), b.offset_minutes(now))
}

/// Returns the whole hours by which working days at UTC offsets `a` and `b` (minutes) overlap.
fn overlap_of_offsets(a: i32, b: i32) -> i32 {
    let diff = (a - b).rem_euclid(24 * 60);
    let diff = diff.min(24 * 60 - diff);
    (WORKING_HOURS * 60 - diff).max(0) / 60
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlap_is_circular_and_never_negative() {
        let now: DateTime<Utc> = "2026-01-15T12:00:00Z".parse().unwrap();
        let tz = |t: &str| TimeZone::parse(t).unwrap();
        assert_eq!(overlap_hours(tz("UTC"), tz("UTC+2"), now), 6);
        assert_eq!(overlap_hours(tz("UTC+10"), tz("UTC-10"), now), 4);
        assert_eq!(overlap_hours(tz("UTC"), tz("UTC+12"), now), 0);
        assert_eq!(overlap_hours(tz("Europe/Berlin"), tz("America/New_York"), now), 2);
    }
}
