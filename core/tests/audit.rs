//! The audit as a pure function: small groups are suppressed everywhere, managers get aggregates only, and
//! velocity is adjusted by the mentoring minutes of each team.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use mentor_core::Login;
use mentor_core::audit::{AuditInput, FindingKind, Groups, audit};
use mentor_core::config::parse;
use mentor_core::evidence::Vantage;
use mentor_core::load::Credit;

const CONFIG: &str = "\
sprints: { length: 2w, start: 2026-01-12, timezone: UTC }
privacy: { min_group_size: 2 }
people:
  mo: { tier: senior, capacity: { minutes_per_sprint: 60 }, team: web, skills: { go: 3 } }
  a: { team: web, level: junior }
  b: { team: web, level: junior }
  c: { team: api, level: senior }
pairs:
  - { mentor: mo, mentee: a, track: t, since: 2026-11-02, rationale: \"go 3 vs wanted\" }
  - { mentor: mo, mentee: b, track: t, since: 2026-11-02, rationale: \"kotlin wizard\" }
tracks:
  t:
    milestones:
      - { id: m, title: M, stage: discovery }
velocity: { web: 30 }
";

fn now() -> DateTime<Utc> {
    "2026-11-20T12:00:00Z".parse().unwrap()
}

#[test]
fn managers_see_aggregates_only_and_small_groups_never_show_counts() {
    let config = parse("m.yml", CONFIG).unwrap();
    let credits: Vec<Credit> = (0..3)
        .map(|k| Credit {
            mentor: Login::new("mo"),
            mentee: Login::new("a"),
            minutes: 30,
            at: "2026-11-10T10:00:00Z".parse::<DateTime<Utc>>().unwrap()
                + chrono::Duration::hours(k),
        })
        .collect();
    let groups = Groups::parse("g.yml", "shift: { a: night, b: day, c: day }\n").unwrap();
    let areas = BTreeSet::new();
    let input = AuditInput {
        config: &config,
        credits: &credits,
        evidence: &[],
        vantage: Vantage::Local,
        groups: Some(&groups),
        areas: &areas,
        since: Some("2026-01-01".parse().unwrap()),
        growth_weeks: 2,
        now: now(),
    };
    let report = audit(&input);
    // `kotlin` is nobody's skill: not taken for one. mo has no skill matrix entry for it, but it is not a
    // known skill, so no finding.
    assert!(
        !report.findings.iter().any(|f| f.kind == FindingKind::Rationale),
        "{:?}",
        report.findings
    );

    let row =
        |d: &str, g: &str| report.equity.iter().find(|r| r.dimension == d && r.group == g).unwrap();
    assert_eq!((row("team", "web").eligible, row("team", "web").mentored), (Some(2), Some(2)));
    assert!(row("team", "api").suppressed && row("team", "api").eligible.is_none());
    assert!(row("shift", "night").suppressed && row("shift", "night").mentored.is_none());
    assert_eq!(row("shift", "day").eligible, Some(2));

    // Velocity: 90 minutes against 60 of capacity; web's 30 points less 90 of 3 people × 10 days × 8 h (29.81).
    let v = report.velocity.iter().find(|v| v.team == "web").unwrap();
    assert_eq!((v.minutes, v.capacity_minutes), (90, 60));
    assert_eq!(v.share, Some(1.5));
    assert_eq!(v.adjusted, Some(29.8));
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.kind == FindingKind::Velocity && f.subject.starts_with("web"))
    );

    // Growth per mentee is the pair's; the aggregate over two mentees is shown.
    assert!(report.growth.iter().any(|g| g.mentee.is_some()));
    let manager = report.clone().aggregate_only();
    assert!(manager.growth.iter().all(|g| g.mentee.is_none()));
    assert!(
        manager
            .findings
            .iter()
            .all(|f| matches!(f.kind, FindingKind::Equity | FindingKind::Velocity))
    );
    assert!(report.findings.iter().any(|f| f.kind == FindingKind::Rotation));
    assert_eq!(manager.equity, report.equity);
}

#[test]
fn a_rationale_naming_a_skill_the_mentor_lacks_is_an_error() {
    let text = CONFIG
        .replace("kotlin wizard", "rust wizard")
        .replace("  c: {", "  c: { skills: { rust: 2 },");
    let config = parse("m.yml", &text).unwrap();
    let areas = BTreeSet::new();
    let report = audit(&AuditInput {
        config: &config,
        credits: &[],
        evidence: &[],
        vantage: Vantage::Local,
        groups: None,
        areas: &areas,
        since: None,
        growth_weeks: 8,
        now: now(),
    });
    let f = report.findings.iter().find(|f| f.kind == FindingKind::Rationale).unwrap();
    assert_eq!(f.subject, "mo -> b");
    assert!(report.has_errors());
    // A word that names a code area is not a skill.
    let areas: BTreeSet<String> = ["rust".to_string()].into();
    let report = audit(&AuditInput {
        config: &config,
        credits: &[],
        evidence: &[],
        vantage: Vantage::Local,
        groups: None,
        areas: &areas,
        since: None,
        growth_weeks: 8,
        now: now(),
    });
    assert!(!report.has_errors());
}

#[test]
fn a_mentor_over_capacity_two_sprints_in_a_row_is_flagged_once() {
    let config = parse("m.yml", CONFIG).unwrap();
    // 90 minutes against 60 in three sprints in a row: 2026-10-19, 2026-11-02 and 2026-11-16 (2w from 2026-01-12).
    let credits: Vec<Credit> =
        ["2026-10-20T10:00:00Z", "2026-11-03T10:00:00Z", "2026-11-17T10:00:00Z"]
            .iter()
            .map(|at| Credit {
                mentor: Login::new("mo"),
                mentee: Login::new("a"),
                minutes: 90,
                at: at.parse().unwrap(),
            })
            .collect();
    let areas = BTreeSet::new();
    let input = |credits: &[Credit]| {
        audit(&AuditInput {
            config: &config,
            credits,
            evidence: &[],
            vantage: Vantage::Local,
            groups: None,
            areas: &areas,
            since: Some("2026-09-01".parse().unwrap()),
            growth_weeks: 8,
            now: now(),
        })
    };
    let report = input(&credits);
    let load: Vec<_> = report.findings.iter().filter(|f| f.kind == FindingKind::Load).collect();
    assert_eq!(load.len(), 1, "{load:?}");
    assert!(
        load[0]
            .message
            .contains("over their effective capacity for 3 sprints in a row from 2026-10-19"),
        "{}",
        load[0].message
    );
    // One over sprint alone is not a finding.
    let report = input(&credits[..1]);
    assert!(!report.findings.iter().any(|f| f.kind == FindingKind::Load), "{:?}", report.findings);
}
