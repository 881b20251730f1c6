//! The audit's findings about pairs and mentors: rationale, rotation and load by tier.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};

use super::{Finding, FindingKind, Severity};
use crate::config::{Config, PairStatus, Tier};
use crate::load::{self, Credit, LoadStatus};
use crate::login::Login;

/// At most this many sprints are checked for sustained overload.
const MAX_SPRINTS: usize = 26;

fn finding(kind: FindingKind, severity: Severity, subject: String, message: String) -> Finding {
    Finding { kind, severity, subject, message, personal: true }
}

/// Pairs running some day of `since..=today` without a rationale (warning), or whose rationale names a skill
/// the mentor's matrix lacks (error).
///
/// A skill is any key of anyone's skill matrix or any `wants` entry; a word of the rationale that names one of
/// `areas` (code areas) is an area, not a skill.
pub fn rationale(
    config: &Config,
    areas: &BTreeSet<String>,
    since: NaiveDate,
    today: NaiveDate,
) -> Vec<Finding> {
    let mut vocabulary: BTreeSet<String> = BTreeSet::new();
    for person in config.people.values() {
        vocabulary.extend(person.skills.keys().cloned());
        vocabulary.extend(person.wants.iter().cloned());
    }
    let mut out = Vec::new();
    for pair in
        config.pairs.iter().filter(|p| p.since <= today && p.until.is_none_or(|u| u >= since))
    {
        let subject = format!("{} -> {}", pair.mentor, pair.mentee);
        let Some(text) = pair.rationale.as_deref().map(str::trim).filter(|t| !t.is_empty()) else {
            out.push(finding(
                FindingKind::Rationale,
                Severity::Warning,
                subject,
                format!(
                    "the pair since {} has no rationale: say why these two were paired",
                    pair.since
                ),
            ));
            continue;
        };
        let mentor_skills = config.person(&pair.mentor).map(|p| &p.skills);
        let mut named: Vec<String> = Vec::new();
        for word in text
            .to_lowercase()
            .split(|c: char| {
                c.is_whitespace() || matches!(c, ';' | ',' | '(' | ')' | '"' | ':' | '.')
            })
            .filter(|w| !w.is_empty())
        {
            if vocabulary.contains(word)
                && !areas.contains(word)
                && !mentor_skills.is_some_and(|s| s.contains_key(word))
                && !named.iter().any(|n| n == word)
            {
                named.push(word.to_string());
            }
        }
        for skill in named {
            out.push(finding(
                FindingKind::Rationale,
                Severity::Error,
                subject.clone(),
                format!(
                    "the rationale names `{skill}`, which {}'s skills do not list",
                    pair.mentor
                ),
            ));
        }
    }
    out
}

/// Pairs in force past `matching.rotation.max_length` (warning), and mentees who only ever had one mentor
/// (info).
pub fn rotation(config: &Config, today: NaiveDate) -> Vec<Finding> {
    let max = config.matching.rotation.max_length;
    let mut out = Vec::new();
    for pair in config.pairs.iter().filter(|p| p.in_force(today)) {
        let days = (today - pair.since).num_days();
        if days * 86_400 > max.seconds() {
            out.push(finding(
                FindingKind::Rotation,
                Severity::Warning,
                format!("{} -> {}", pair.mentor, pair.mentee),
                format!(
                    "the pair has run {} weeks since {}, past `matching.rotation.max_length` ({max})",
                    days / 7,
                    pair.since
                ),
            ));
        }
    }
    let mut mentors: BTreeMap<&Login, BTreeSet<&Login>> = BTreeMap::new();
    for pair in config.pairs.iter().filter(|p| p.since <= today) {
        mentors.entry(&pair.mentee).or_default().insert(&pair.mentor);
    }
    for (mentee, mentors) in mentors {
        if let [only] = mentors.iter().collect::<Vec<_>>()[..] {
            out.push(finding(
                FindingKind::Rotation,
                Severity::Info,
                mentee.to_string(),
                format!("{mentee} has only ever had one mentor ({only})"),
            ));
        }
    }
    out
}

/// Mentors over their effective capacity for two or more sprints in a row since `since` (warning), and
/// principals with more pairs in force than their tier's cap (`tiers.principal.capacity.mentees`; error).
pub fn load(
    config: &Config,
    credits: &[Credit],
    since: NaiveDate,
    now: DateTime<Utc>,
) -> Vec<Finding> {
    let current = config.sprints.sprint_at(now);
    let first = config.sprints.sprint_on(since);
    let count = (((current.id - first.id).num_days() / config.sprints.length_days().max(1)) + 1)
        .clamp(1, MAX_SPRINTS as i64) as usize;
    let sprints = config.sprints.recent(&current, count);
    let none = BTreeMap::new();
    // (current streak, longest streak, first sprint of the longest) per mentor.
    let mut streaks: BTreeMap<Login, (u32, u32, NaiveDate, NaiveDate)> = BTreeMap::new();
    for sprint in &sprints {
        let report = load::report_from(config, sprint, credits, &none, now);
        let over: BTreeSet<&Login> = report
            .mentors
            .iter()
            .filter(|m| m.status == LoadStatus::Over)
            .map(|m| &m.login)
            .collect();
        for m in &over {
            let entry = streaks.entry((*m).clone()).or_insert((0, 0, sprint.id, sprint.id));
            if entry.0 == 0 {
                entry.3 = sprint.id;
            }
            entry.0 += 1;
            if entry.0 > entry.1 {
                entry.1 = entry.0;
                entry.2 = entry.3;
            }
        }
        for (login, entry) in streaks.iter_mut() {
            if !over.contains(login) {
                entry.0 = 0;
            }
        }
    }
    let mut out = Vec::new();
    for (login, (_, longest, from, _)) in streaks {
        if longest >= 2 {
            out.push(finding(
                FindingKind::Load,
                Severity::Warning,
                login.to_string(),
                format!(
                    "{login} was over their effective capacity for {longest} sprints in a row from {from}"
                ),
            ));
        }
    }
    let today = config.sprints.local_date(now);
    if let Some(cap) = config.tiers.principal.mentees {
        for person in config.people.values().filter(|p| p.tier == Tier::Principal) {
            let mentees: BTreeSet<&Login> = config
                .pairs
                .iter()
                .filter(|p| {
                    p.mentor == person.login && p.in_force(today) && p.status != PairStatus::Ended
                })
                .map(|p| &p.mentee)
                .collect();
            if mentees.len() as u32 > cap {
                out.push(finding(
                    FindingKind::Load,
                    Severity::Error,
                    person.login.to_string(),
                    format!(
                        "{} is a principal with {} mentees, above the tier's cap of {cap} (`tiers.principal.capacity.mentees`)",
                        person.login,
                        mentees.len()
                    ),
                ));
            }
        }
    }
    out
}
