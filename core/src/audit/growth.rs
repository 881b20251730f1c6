//! Growth before/after: per competency (a track's milestone stage), the evidence a mentee produced in the N
//! weeks before a pair began against the same span during it, per mentee and in aggregate.
//!
//! Evidence only exists for pairs, so callers collect it with [`widened_pairs`]: each pair stretched back by
//! the compared span, so activity from before the pair also counts. Aggregate rows with fewer mentees than
//! `privacy.min_group_size` are suppressed.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Days, NaiveDate};
use serde::Serialize;

use super::{AuditInput, Finding, FindingKind, Severity};
use crate::activity::Activity;
use crate::config::{Config, Pair, Stage};
use crate::evidence::{self, Evidence, EvidenceStatus};
use crate::login::Login;

/// One row of `growth` in the audit's JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GrowthRow {
    /// The mentee, or `null` for the aggregate over every mentee.
    pub mentee: Option<Login>,
    /// The track.
    pub track: String,
    /// The milestone stage (the competency).
    pub stage: Stage,
    /// The pair's start (per mentee), `null` in aggregate.
    pub since: Option<NaiveDate>,
    /// Days compared on each side.
    pub days: u32,
    /// Evidence in the span before the pair began; `null` when suppressed.
    pub before: Option<u32>,
    /// Evidence in the same span from the pair's start; `null` when suppressed.
    pub during: Option<u32>,
    /// Mentees counted (1 per mentee row).
    pub mentees: u32,
    /// True for an aggregate of fewer mentees than `privacy.min_group_size`.
    pub suppressed: bool,
}

/// Returns `config`'s pairs stretched back by `weeks`, for collecting evidence before each pair began.
pub fn widened_pairs(config: &Config, weeks: u32) -> Vec<Pair> {
    config
        .pairs
        .iter()
        .map(|p| {
            let mut wide = p.clone();
            wide.since = p.since - Days::new(u64::from(weeks) * 7);
            wide
        })
        .collect()
}

/// Returns the evidence `activities` give for every pair, including in the `weeks` before each began.
pub fn collect_evidence(config: &Config, activities: &[Activity], weeks: u32) -> Vec<Evidence> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for pair in widened_pairs(config, weeks) {
        for activity in activities.iter().filter(|a| a.actor == pair.mentee) {
            for e in evidence::collect(config, &pair, activity) {
                if seen.insert(e.key.clone()) {
                    out.push(e);
                }
            }
        }
    }
    out
}

/// Returns the growth rows of pairs that began in `since..=today`: per mentee, then the aggregates.
pub fn growth(input: &AuditInput<'_>, since: NaiveDate, today: NaiveDate) -> Vec<GrowthRow> {
    let config = input.config;
    let span = i64::from(input.growth_weeks) * 7;
    let mut rows = Vec::new();
    let mut aggregate: BTreeMap<(String, Stage), (u32, u32, BTreeSet<Login>)> = BTreeMap::new();
    for pair in config.pairs.iter().filter(|p| p.since >= since && p.since <= today) {
        let Some(track) = config.track(&pair.track) else { continue };
        // The span is cut to what has happened so far (today included), on both sides.
        let days = span.min((today - pair.since).num_days() + 1).max(0);
        if days == 0 {
            continue;
        }
        let before_from = pair.since - Days::new(days as u64);
        let during_to = pair.since + Days::new(days as u64);
        let stages: BTreeSet<Stage> = track.milestones.iter().map(|m| m.stage).collect();
        for stage in stages {
            let ids: BTreeSet<&str> = track
                .milestones
                .iter()
                .filter(|m| m.stage == stage)
                .map(|m| m.id.as_str())
                .collect();
            let mut before = 0;
            let mut during = 0;
            for e in input.evidence.iter().filter(|e| {
                e.mentee == pair.mentee
                    && e.track == pair.track
                    && ids.contains(e.milestone.as_str())
                    && matches!(e.status, EvidenceStatus::Auto | EvidenceStatus::Confirmed)
            }) {
                let day = config.sprints.local_date(e.at);
                if day >= before_from && day < pair.since {
                    before += 1;
                } else if day >= pair.since && day < during_to {
                    during += 1;
                }
            }
            rows.push(GrowthRow {
                mentee: Some(pair.mentee.clone()),
                track: pair.track.clone(),
                stage,
                since: Some(pair.since),
                days: days as u32,
                before: Some(before),
                during: Some(during),
                mentees: 1,
                suppressed: false,
            });
            let entry = aggregate.entry((pair.track.clone(), stage)).or_default();
            entry.0 += before;
            entry.1 += during;
            entry.2.insert(pair.mentee.clone());
        }
    }
    let min = config.privacy.min_group_size;
    for ((track, stage), (before, during, mentees)) in aggregate {
        let n = mentees.len() as u32;
        let suppressed = n < min;
        rows.push(GrowthRow {
            mentee: None,
            track,
            stage,
            since: None,
            days: span as u32,
            before: (!suppressed).then_some(before),
            during: (!suppressed).then_some(during),
            mentees: if suppressed { 0 } else { n },
            suppressed,
        });
    }
    rows
}

/// A mentee with no evidence at all during the full compared span of a pair gets an info finding.
pub fn findings(rows: &[GrowthRow], weeks: u32) -> Vec<Finding> {
    let mut totals: BTreeMap<(&Login, &str, NaiveDate), (u32, u32)> = BTreeMap::new();
    for row in rows {
        if let (Some(mentee), Some(since), Some(during)) = (&row.mentee, row.since, row.during) {
            let entry = totals.entry((mentee, row.track.as_str(), since)).or_default();
            entry.0 += during;
            entry.1 = entry.1.max(row.days);
        }
    }
    totals
        .into_iter()
        .filter(|(_, (during, days))| *during == 0 && *days >= weeks * 7)
        .map(|((mentee, track, since), _)| Finding {
            kind: FindingKind::Growth,
            severity: Severity::Info,
            subject: mentee.to_string(),
            message: format!(
                "no {track} evidence in the first {weeks} weeks of the pair that began {since}"
            ),
            personal: true,
        })
        .collect()
}
