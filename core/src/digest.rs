//! The weekly digest for managers: one issue per org and week ("Mentorship digest: week of …") with load per
//! mentor, quiet and escalated pairs, and milestones met that week as counts.
//!
//! Counts over a group smaller than `privacy.min_group_size` read "fewer than N", so a small track cannot be traced
//! back to one mentee; the digest never holds feedback, evidence sources or milestone titles.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use crate::config::Config;
use crate::evidence::{EvidenceReport, EvidenceStatus, MilestoneStatus};
use crate::load::{LoadReport, LoadStatus};
use crate::login::Login;

/// Returns the Monday (local, in the sprint calendar's zone) of the week `now` falls in.
pub fn week_of(config: &Config, now: DateTime<Utc>) -> NaiveDate {
    let today = config.sprints.local_date(now);
    today - chrono::Days::new(u64::from(today.weekday().num_days_from_monday()))
}

/// Returns the digest issue's title for the week starting `monday`.
pub fn title(monday: NaiveDate) -> String {
    format!("Mentorship digest: week of {monday}")
}

/// Returns when `milestone` of `report` became met: the counting evidence row that completed it (a confirmation,
/// or the `count`-th automatic match of its rule), if it is met.
pub fn met_at(config: &Config, report: &EvidenceReport, milestone: &str) -> Option<DateTime<Utc>> {
    let m = report.milestones.iter().find(|m| m.id == milestone)?;
    if m.status != MilestoneStatus::Met {
        return None;
    }
    if let Some(confirmed) =
        m.evidence.iter().filter(|e| e.status == EvidenceStatus::Confirmed).map(|e| e.at).min()
    {
        return Some(confirmed);
    }
    let rules =
        &config.track(&report.track)?.milestones.iter().find(|x| x.id == milestone)?.evidence;
    let needed = [
        rules.merged_pr.as_ref().map(|r| r.count),
        rules.review_given.as_ref().map(|r| r.count),
        rules.commit_trailer.as_ref().map(|_| 1),
    ]
    .into_iter()
    .flatten()
    .min()
    .unwrap_or(1)
    .max(1) as usize;
    let mut counting: Vec<DateTime<Utc>> =
        m.evidence.iter().filter(|e| e.status == EvidenceStatus::Auto).map(|e| e.at).collect();
    counting.sort();
    counting.get(needed - 1).copied()
}

/// A pair that has gone quiet, for the digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuietPair {
    /// The mentor.
    pub mentor: Login,
    /// The mentee.
    pub mentee: Login,
    /// Whole days since the last touchpoint (or the pair's start).
    pub days: i64,
    /// Quiet for `nudges.escalate_after` or longer.
    pub escalated: bool,
}

/// Returns the digest's text for the week starting `monday`: `load` is the current sprint's report, `quiet` the
/// quiet pairs, `reports` every mentee's evidence report (for milestones met that week).
pub fn body(
    config: &Config,
    monday: NaiveDate,
    load: &LoadReport,
    quiet: &[QuietPair],
    reports: &[EvidenceReport],
) -> String {
    let min = config.privacy.min_group_size.max(1);
    let mut out = format!(
        "Week of {monday} (sprint {}). Counts only: no feedback, no evidence details. Kept up to date by Mentor during the week.\n\n",
        load.sprint.id
    );
    out.push_str("## Load this sprint\n\n");
    if load.mentors.is_empty() {
        out.push_str("No mentor had a pair or a touchpoint this sprint.\n");
    } else {
        out.push_str("| Mentor | Touchpoints | Minutes | Capacity (minutes) | Status |\n|---|---|---|---|---|\n");
        for m in &load.mentors {
            let status = match m.status {
                LoadStatus::Over => "**over**",
                other => other.as_str(),
            };
            out.push_str(&format!(
                "| @{} | {} | {} | {} | {status} |\n",
                m.login,
                m.touchpoints,
                m.minutes,
                m.capacity_minutes.map_or("–".to_owned(), |c| c.to_string())
            ));
        }
    }
    out.push_str("\n## Quiet pairs\n\n");
    if quiet.is_empty() {
        out.push_str("None: every active pair met recently.\n");
    } else {
        for q in quiet {
            out.push_str(&format!(
                "- @{} and @{}: {} days without a touchpoint{}\n",
                q.mentor,
                q.mentee,
                q.days,
                if q.escalated { " (escalated)" } else { "" }
            ));
        }
    }
    out.push_str("\n## Milestones met this week\n\n");
    let next_monday = monday + chrono::Days::new(7);
    let in_week = |at: DateTime<Utc>| {
        let day = config.sprints.local_date(at);
        day >= monday && day < next_monday
    };
    // Per track: mentees in it, and milestones met this week.
    let mut tracks: BTreeMap<&str, (u32, u32)> = BTreeMap::new();
    for report in reports {
        let slot = tracks.entry(report.track.as_str()).or_default();
        slot.0 += 1;
        slot.1 += report
            .milestones
            .iter()
            .filter(|m| met_at(config, report, &m.id).is_some_and(in_week))
            .count() as u32;
    }
    if tracks.is_empty() {
        out.push_str("No mentees yet.\n");
    } else {
        out.push_str("| Track | Mentees | Milestones met |\n|---|---|---|\n");
        let (mut mentees, mut met) = (0, 0);
        for (track, (n, m)) in &tracks {
            mentees += n;
            met += m;
            if *n < min {
                out.push_str(&format!(
                    "| {track} | fewer than {min} | fewer than {min} mentees: not shown |\n"
                ));
            } else {
                out.push_str(&format!("| {track} | {n} | {m} |\n"));
            }
        }
        if mentees < min {
            out.push_str(&format!(
                "| all | fewer than {min} | fewer than {min} mentees: not shown |\n"
            ));
        } else {
            out.push_str(&format!("| all | {mentees} | {met} |\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{Evidence, RuleKind, Vantage};

    fn config(min: u32) -> Config {
        crate::config::parse(
            "m.yml",
            &format!(
                "sprints: {{ length: 2w, start: 2026-01-05, timezone: UTC }}\npeople:\n  bob: {{}}\n  alice: {{}}\n  carol: {{}}\n\
                 pairs:\n  - {{ mentor: bob, mentee: alice, track: backend, since: 2026-09-01 }}\n  - {{ mentor: bob, mentee: carol, track: backend, since: 2026-09-01 }}\n\
                 tracks:\n  backend:\n    milestones:\n      - {{ id: a, title: A, stage: discovery, evidence: {{ merged_pr: {{}} }} }}\n      - {{ id: b, title: B, stage: practice, evidence: {{ merged_pr: {{ count: 2 }} }} }}\n\
                 privacy: {{ min_group_size: {min} }}\n"
            ),
        )
        .unwrap()
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn row(mentee: &str, milestone: &str, source: &str, when: &str) -> Evidence {
        Evidence {
            key: crate::evidence::evidence_key("backend", milestone, source),
            mentee: Login::new(mentee),
            track: "backend".into(),
            milestone: milestone.into(),
            rule: RuleKind::MergedPr,
            source: source.into(),
            url: None,
            at: at(when),
            reason: "merged".into(),
            status: EvidenceStatus::Auto,
        }
    }

    #[test]
    fn milestones_met_this_week_are_counted_and_small_groups_hidden() {
        let now = at("2026-11-18T12:00:00Z");
        let rows = [
            // alice: `a` met last week, `b` met this week by its second merge.
            row("alice", "a", "x#1", "2026-11-10T10:00:00Z"),
            row("alice", "b", "x#2", "2026-11-11T10:00:00Z"),
            row("alice", "b", "x#3", "2026-11-17T10:00:00Z"),
            // carol: `a` this week.
            row("carol", "a", "x#4", "2026-11-16T09:00:00Z"),
        ];
        for (min, expect) in [
            (2, "| backend | 2 | 2 |"),
            (3, "| backend | fewer than 3 | fewer than 3 mentees: not shown |"),
        ] {
            let config = config(min);
            let reports: Vec<EvidenceReport> = config
                .pairs
                .iter()
                .map(|p| crate::evidence::report(&config, p, &rows, Vantage::GitHub, now))
                .collect();
            assert_eq!(met_at(&config, &reports[0], "b"), Some(at("2026-11-17T10:00:00Z")));
            let monday = week_of(&config, now);
            assert_eq!(monday.to_string(), "2026-11-16");
            let load = crate::load::report_from(
                &config,
                &config.sprints.sprint_at(now),
                &[],
                &BTreeMap::new(),
                now,
            );
            let quiet = [QuietPair {
                mentor: Login::new("bob"),
                mentee: Login::new("carol"),
                days: 30,
                escalated: true,
            }];
            let text = body(&config, monday, &load, &quiet, &reports);
            assert!(text.contains(expect), "{text}");
            assert!(
                text.contains("- @bob and @carol: 30 days without a touchpoint (escalated)"),
                "{text}"
            );
            assert!(!text.contains("x#"), "no evidence sources");
        }
        assert_eq!(
            title(NaiveDate::from_ymd_opt(2026, 11, 16).unwrap()),
            "Mentorship digest: week of 2026-11-16"
        );
    }
}
