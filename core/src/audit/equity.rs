//! Equity: who gets mentored, and who meets milestones, by team, level and self-declared groups.
//!
//! A person is eligible when they mentored nobody in the window, or were a mentee in it; mentored when they
//! were a mentee of a pair overlapping the window. Every group with fewer eligible people than
//! `privacy.min_group_size` is suppressed: its counts are `null`, shown as "fewer than N", so no row ever
//! reveals a person. Self-declared groups live in a private file (`--groups FILE`), never in the repo config.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::Serialize;

use super::{AuditInput, Finding, FindingKind, Severity};
use crate::evidence::{self, EvidenceStatus, MilestoneStatus};
use crate::login::Login;

/// The group of people whose dimension value is unknown.
pub const UNDECLARED: &str = "(none)";

/// Self-declared groups: dimension → login → group, from the private groups file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Groups(pub BTreeMap<String, BTreeMap<Login, String>>);

/// Why the groups file could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct GroupsError {
    /// The file's label.
    pub file: String,
    /// What is wrong.
    pub message: String,
}

impl Groups {
    /// Parses a groups file: a mapping of dimension to a mapping of login to group, e.g.
    /// `{ gender: { ana: woman, ben: man } }`, optionally under a top-level `groups:` key. The file may also be
    /// written per person (`{ ana: { gender: woman } }`): [`Groups::oriented`] turns it around once the people
    /// are known. `team` and `level` come from the config and may not be redefined.
    pub fn parse(file: &str, text: &str) -> Result<Groups, GroupsError> {
        let error = |message: String| GroupsError { file: file.into(), message };
        let mut value: serde_json::Value =
            serde_saphyr::from_str(text).map_err(|e| error(format!("invalid groups file: {e}")))?;
        if let Some(inner) =
            value.get("groups").filter(|_| value.as_object().is_some_and(|o| o.len() == 1))
        {
            value = inner.clone();
        }
        let Some(outer) = value.as_object() else {
            return Err(error(
                "expected a mapping of dimension to logins and groups, like `{ gender: { ana: woman } }`".into(),
            ));
        };
        let mut out = BTreeMap::new();
        for (dimension, members) in outer {
            let Some(members) = members.as_object() else {
                return Err(error(format!(
                    "`{dimension}`: expected a mapping of login to group, like `{{ ana: woman }}`"
                )));
            };
            let mut of = BTreeMap::new();
            for (login, group) in members {
                let group = match group {
                    serde_json::Value::String(s) => s.trim().to_string(),
                    serde_json::Value::Number(_) | serde_json::Value::Bool(_) => group.to_string(),
                    _ => {
                        return Err(error(format!(
                            "`{dimension}.{login}`: expected a group name, not a list or mapping"
                        )));
                    }
                };
                of.insert(Login::new(login), group);
            }
            out.insert(dimension.trim().to_string(), of);
        }
        let groups = Groups(out);
        for dimension in groups.0.keys() {
            if dimension == "team" || dimension == "level" {
                return Err(error(format!(
                    "`{dimension}` comes from the config's people: name the dimension something else"
                )));
            }
        }
        Ok(groups)
    }

    /// Returns the groups by dimension: as parsed, or turned around when the file was written per person (its
    /// top-level keys are mostly configured logins).
    pub fn oriented(&self, config: &crate::config::Config) -> Groups {
        let people = self.0.keys().filter(|k| config.people.contains_key(&Login::new(k))).count();
        if people * 2 <= self.0.len() || self.0.is_empty() {
            return self.clone();
        }
        let mut out: BTreeMap<String, BTreeMap<Login, String>> = BTreeMap::new();
        for (login, dimensions) in &self.0 {
            for (dimension, group) in dimensions {
                out.entry(dimension.as_str().to_string())
                    .or_default()
                    .insert(Login::new(login), group.clone());
            }
        }
        out.remove("team");
        out.remove("level");
        Groups(out)
    }
}

/// One group's participation (a row of `equity` in the audit's JSON).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EquityRow {
    /// `team`, `level`, or a declared dimension.
    pub dimension: String,
    /// The group's name (`(none)` when not declared).
    pub group: String,
    /// People who could be mentored; `null` when suppressed.
    pub eligible: Option<u32>,
    /// Of those, people mentored in the window; `null` when suppressed.
    pub mentored: Option<u32>,
    /// Milestones the mentored met in the window; `null` when suppressed.
    pub milestones_met: Option<u32>,
    /// True when the group is smaller than `privacy.min_group_size`.
    pub suppressed: bool,
}

/// Returns the equity rows of the window `since..=today`, by dimension then group.
pub fn equity(input: &AuditInput<'_>, since: NaiveDate, today: NaiveDate) -> Vec<EquityRow> {
    let config = input.config;
    let mentors = super::mentors_in(config, since, today);
    let mentee_pairs = super::mentee_pairs_in(config, since, today);
    let eligible: BTreeSet<&Login> = config
        .people
        .keys()
        .filter(|l| !mentors.contains(*l) || mentee_pairs.contains_key(*l))
        .collect();
    let met = milestones_met(input, &mentee_pairs, since);

    let mut dimensions: Vec<(String, BTreeMap<&Login, String>)> = vec![
        (
            "team".into(),
            config
                .people
                .values()
                .map(|p| (&p.login, p.team.clone().unwrap_or_else(|| UNDECLARED.into())))
                .collect(),
        ),
        (
            "level".into(),
            config
                .people
                .values()
                .map(|p| (&p.login, p.level.map_or_else(|| UNDECLARED.into(), |l| l.to_string())))
                .collect(),
        ),
    ];
    if let Some(groups) = input.groups.map(|g| g.oriented(config)) {
        for (dimension, members) in &groups.0 {
            let of = config
                .people
                .keys()
                .map(|l| (l, members.get(l).cloned().unwrap_or_else(|| UNDECLARED.into())))
                .collect();
            dimensions.push((dimension.clone(), of));
        }
    }

    let min = config.privacy.min_group_size;
    let mut rows = Vec::new();
    for (dimension, of) in dimensions {
        let mut groups: BTreeMap<&str, (u32, u32, u32)> = BTreeMap::new();
        for login in &eligible {
            let Some(group) = of.get(*login) else { continue };
            let entry = groups.entry(group.as_str()).or_default();
            entry.0 += 1;
            if mentee_pairs.contains_key(*login) {
                entry.1 += 1;
                entry.2 += met.get(*login).copied().unwrap_or(0);
            }
        }
        for (group, (eligible, mentored, met)) in groups {
            let suppressed = eligible < min;
            rows.push(EquityRow {
                dimension: dimension.clone(),
                group: group.to_string(),
                eligible: (!suppressed).then_some(eligible),
                mentored: (!suppressed).then_some(mentored),
                milestones_met: (!suppressed).then_some(met),
                suppressed,
            });
        }
    }
    rows
}

/// Returns how many milestones each mentee met in the window, by their pairs' tracks.
fn milestones_met(
    input: &AuditInput<'_>,
    mentee_pairs: &BTreeMap<Login, Vec<&crate::config::Pair>>,
    since: NaiveDate,
) -> BTreeMap<Login, u32> {
    let config = input.config;
    let mut out = BTreeMap::new();
    for (mentee, pairs) in mentee_pairs {
        let mut met: BTreeSet<(String, String)> = BTreeSet::new();
        for pair in pairs {
            let rows: Vec<_> = input
                .evidence
                .iter()
                .filter(|e| {
                    &e.mentee == mentee
                        && e.track == pair.track
                        && pair.covers(config.sprints.local_date(e.at))
                        && config.sprints.local_date(e.at) >= since
                        && e.status != EvidenceStatus::Rejected
                })
                .cloned()
                .collect();
            let report = evidence::report(config, pair, &rows, input.vantage, input.now);
            for m in report.milestones.iter().filter(|m| m.status == MilestoneStatus::Met) {
                met.insert((pair.track.clone(), m.id.clone()));
            }
        }
        out.insert(mentee.clone(), met.len() as u32);
    }
    out
}

/// A group whose participation is below half the program's gets a warning (suppressed groups never do).
pub fn findings(rows: &[EquityRow]) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut by_dimension: BTreeMap<&str, Vec<&EquityRow>> = BTreeMap::new();
    for row in rows {
        by_dimension.entry(row.dimension.as_str()).or_default().push(row);
    }
    for (dimension, rows) in by_dimension {
        let (eligible, mentored) = rows
            .iter()
            .filter(|r| !r.suppressed)
            .fold((0, 0), |(e, m), r| (e + r.eligible.unwrap_or(0), m + r.mentored.unwrap_or(0)));
        if eligible == 0 {
            continue;
        }
        let overall = f64::from(mentored) / f64::from(eligible);
        for row in rows.iter().filter(|r| !r.suppressed) {
            let (Some(e), Some(m)) = (row.eligible, row.mentored) else { continue };
            let rate = if e == 0 { 0.0 } else { f64::from(m) / f64::from(e) };
            if rate < overall / 2.0 {
                out.push(Finding {
                    kind: FindingKind::Equity,
                    severity: Severity::Warning,
                    subject: format!("{dimension}:{}", row.group),
                    message: format!(
                        "{m} of {e} eligible mentored ({:.0}%), under half the {:.0}% of every {dimension}",
                        rate * 100.0,
                        overall * 100.0
                    ),
                    personal: false,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse;

    #[test]
    fn groups_files_are_read_by_dimension_or_by_person() {
        let config = parse("m.yml", "people:\n  ana: {}\n  ben: {}\n").unwrap();
        let by_dimension =
            Groups::parse("g", "groups:\n  shift: { ana: night, ben: day }\n").unwrap();
        let by_person = Groups::parse("g", "ana: { shift: night }\nben: { shift: day }\n").unwrap();
        assert_eq!(by_dimension.oriented(&config), by_person.oriented(&config));
        assert_eq!(by_dimension.0["shift"][&Login::new("ana")], "night");
        assert!(
            Groups::parse("g", "team: { ana: x }\n")
                .unwrap_err()
                .to_string()
                .contains("comes from the config")
        );
        assert!(Groups::parse("g", "- a\n").is_err());
    }
}
