//! Touchpoints, evidence and load from hand-built activities: the rules the CLI and the app share.

use chrono::{DateTime, Utc};
use mentor_core::activity::{Activity, ActivityKind, PullRequestFacts, ReviewState, Source};
use mentor_core::evidence::{self, EvidenceStatus, MilestoneStatus, RuleKind, Vantage};
use mentor_core::identity::Roster;
use mentor_core::load::{self, LoadStatus};
use mentor_core::touchpoint::{self, TouchpointKind};
use mentor_core::{Config, Login, Trailer};

const CONFIG: &str = r#"
sprints: { length: 1w, start: 2026-11-02, timezone: UTC }
people:
  bob:   { capacity: { mentees: 1, minutes_per_sprint: 60 }, emails: [bob@example.com] }
  alice: { emails: [alice@example.com] }
  carol: { emails: [carol@example.com] }
pairs:
  - { mentor: bob, mentee: alice, track: backend, since: 2026-11-01 }
  - { mentor: bob, mentee: carol, track: backend, since: 2026-11-01, until: 2026-11-10 }
tracks:
  backend:
    milestones:
      - { id: first-pr, title: First PR, stage: discovery, due: 1w, evidence: { merged_pr: { paths: ["src/**"], min_reviewers: 1 } } }
      - { id: reviewer, title: Reviews, stage: feedback, evidence: { review_given: { count: 2, min_comments: 2 } } }
touchpoints: { stale_after: 7d }
"#;

fn config() -> Config {
    mentor_core::config::parse("test.yml", CONFIG).expect("valid config")
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn activity(
    kind: ActivityKind,
    actor: &str,
    when: &str,
    pr_author: Option<&str>,
    id: &str,
) -> Activity {
    Activity {
        kind,
        actor: Login::new(actor),
        at: at(when),
        source: Source { repo: "acme/api".into(), id: id.into(), url: None },
        pr: pr_author.map(|a| PullRequestFacts {
            number: 1,
            author: Some(Login::new(a)),
            ..Default::default()
        }),
        trailers: Vec::new(),
    }
}

fn review(actor: &str, author: &str, when: &str, id: &str, comments: u32) -> Activity {
    activity(
        ActivityKind::ReviewSubmitted { state: ReviewState::Approved, comments },
        actor,
        when,
        Some(author),
        id,
    )
}

#[test]
fn mentor_reviews_and_comments_are_touchpoints_one_way_only() {
    let config = config();
    let roster = Roster::new(&config);
    let t = touchpoint::derive(
        &config,
        &roster,
        &review("bob", "alice", "2026-11-03T10:00:00Z", "review/1", 0),
    );
    assert_eq!(t.len(), 1);
    assert_eq!(
        (t[0].kind, t[0].minutes, t[0].mentor.as_str(), t[0].mentee.as_str()),
        (TouchpointKind::Review, 30, "bob", "alice")
    );
    assert_eq!(t[0].key, "review:acme/api:review/1:bob>alice");

    // The mentee reviewing the mentor's PR is not mentoring.
    assert!(
        touchpoint::derive(
            &config,
            &roster,
            &review("alice", "bob", "2026-11-03T10:00:00Z", "review/2", 0)
        )
        .is_empty()
    );
    // Outside the pair's dates.
    assert!(
        touchpoint::derive(
            &config,
            &roster,
            &review("bob", "carol", "2026-11-11T10:00:00Z", "review/3", 0)
        )
        .is_empty()
    );
    // Bots never count.
    assert!(
        touchpoint::derive(
            &config,
            &roster,
            &review("dependabot[bot]", "alice", "2026-11-03T10:00:00Z", "review/4", 0)
        )
        .is_empty()
    );
    // Dismissed reviews do not count.
    let dismissed = activity(
        ActivityKind::ReviewSubmitted { state: ReviewState::Dismissed, comments: 0 },
        "bob",
        "2026-11-03T10:00:00Z",
        Some("alice"),
        "review/5",
    );
    assert!(touchpoint::derive(&config, &roster, &dismissed).is_empty());

    let comment = activity(
        ActivityKind::ReviewComment,
        "bob",
        "2026-11-03T10:00:00Z",
        Some("alice"),
        "review_comment/9",
    );
    assert_eq!(touchpoint::derive(&config, &roster, &comment)[0].minutes, 5);
    let checkin = activity(
        ActivityKind::Checkin { minutes: 45 },
        "alice",
        "2026-11-03T10:00:00Z",
        Some("bob"),
        "comment/10",
    );
    let t = touchpoint::derive(&config, &roster, &checkin);
    assert_eq!(
        (t[0].kind, t[0].minutes, t[0].mentor.as_str()),
        (TouchpointKind::Checkin, 45, "bob")
    );
}

#[test]
fn pairing_trailers_count_once_per_pair_in_either_direction() {
    let config = config();
    let roster = Roster::new(&config);
    let mut commit =
        activity(ActivityKind::Commit, "bob", "2026-11-03T10:00:00Z", None, "commit/abc");
    commit.trailers = vec![
        Trailer::new("Co-authored-by", "Alice <alice@example.com>"),
        Trailer::new("Reviewed-by", "Alice <ALICE@example.com>"),
        Trailer::new("Mentored-by", "Stranger <who@example.com>"),
    ];
    let t = touchpoint::derive(&config, &roster, &commit);
    assert_eq!(t.len(), 1, "{t:?}");
    assert_eq!(
        (t[0].kind, t[0].mentor.as_str(), t[0].mentee.as_str()),
        (TouchpointKind::PairingCommit, "bob", "alice")
    );
}

#[test]
fn evidence_statuses_counts_and_claims() {
    let config = config();
    let pair = &config.pairs[0];
    let now = at("2026-11-20T00:00:00Z");

    let mut merged = activity(
        ActivityKind::PullRequestMerged,
        "alice",
        "2026-11-04T10:00:00Z",
        Some("alice"),
        "pr/1",
    );
    merged.pr.as_mut().unwrap().changed_paths = Some(vec!["docs/a.md".into(), "src/lib.rs".into()]);
    // Reviewers unknown: undecided, with the reason.
    let rows = evidence::collect(&config, pair, &merged);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status, EvidenceStatus::Undecided);
    assert_eq!(
        rows[0].reason,
        "merged PR #1; changes src/lib.rs (matches src/**); undecided: needs GitHub data (reviewers)"
    );
    let report = evidence::report(&config, pair, &rows, Vantage::GitHub, now);
    assert_eq!(report.milestones[0].status, MilestoneStatus::Undecided);

    // With reviewers known it matches.
    merged.pr.as_mut().unwrap().reviewers = Some(vec![Login::new("bob")]);
    let rows = evidence::collect(&config, pair, &merged);
    assert_eq!(rows[0].status, EvidenceStatus::Auto);
    let report = evidence::report(&config, pair, &rows, Vantage::GitHub, now);
    assert_eq!(report.milestones[0].status, MilestoneStatus::Met);
    assert_eq!(report.milestones[0].due.unwrap().to_string(), "2026-11-08");

    // A path outside the globs is a definite no-match, even with other data missing.
    merged.pr.as_mut().unwrap().changed_paths = Some(vec!["docs/a.md".into()]);
    merged.pr.as_mut().unwrap().reviewers = None;
    assert!(evidence::collect(&config, pair, &merged).is_empty());
    let report = evidence::report(&config, pair, &[], Vantage::GitHub, now);
    assert_eq!(report.milestones[0].status, MilestoneStatus::Overdue);

    // Reviews given: count and min_comments; own PRs do not count.
    let r1 = review("alice", "carol", "2026-11-05T10:00:00Z", "review/1", 2);
    let r2 = review("alice", "bob", "2026-11-06T10:00:00Z", "review/2", 5);
    let thin = review("alice", "bob", "2026-11-06T11:00:00Z", "review/3", 1);
    let own = review("alice", "alice", "2026-11-06T12:00:00Z", "review/4", 9);
    let mut rows: Vec<_> =
        [&r1, &thin, &own].iter().flat_map(|a| evidence::collect(&config, pair, a)).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].rule, RuleKind::ReviewGiven);
    assert_eq!(rows[0].reason, "review on PR #1 with 2 comments");
    assert_eq!(
        evidence::report(&config, pair, &rows, Vantage::GitHub, now).milestones[1].status,
        MilestoneStatus::Open
    );
    // Offline, reviews are invisible: undecided rather than open.
    assert_eq!(
        evidence::report(&config, pair, &rows, Vantage::Local, now).milestones[1].status,
        MilestoneStatus::Undecided
    );
    rows.extend(evidence::collect(&config, pair, &r2));
    assert_eq!(
        evidence::report(&config, pair, &rows, Vantage::GitHub, now).milestones[1].status,
        MilestoneStatus::Met
    );

    // A rejection replaces the automatic row with the same key and stops it counting.
    let mut rejected = rows[1].clone();
    rejected.status = EvidenceStatus::Rejected;
    rows.push(rejected);
    let report = evidence::report(&config, pair, &rows, Vantage::GitHub, now);
    assert_eq!(report.milestones[1].status, MilestoneStatus::Open);
    assert_eq!(report.milestones[1].evidence.len(), 2);
}

#[test]
fn load_status_and_stale_pairs() {
    let config = config();
    let roster = Roster::new(&config);
    let now = at("2026-11-20T00:00:00Z");
    let sprint = config.sprints.select("current", now).unwrap();
    assert_eq!(sprint.id.to_string(), "2026-11-16");

    // 30 + 30 = 60 of 60 minutes: high; bob has 2 pairs in effect early in the month but only alice now.
    let tps: Vec<_> = [
        review("bob", "alice", "2026-11-16T10:00:00Z", "review/1", 0),
        review("bob", "alice", "2026-11-17T10:00:00Z", "review/2", 0),
        review("bob", "alice", "2026-11-09T10:00:00Z", "review/3", 0),
    ]
    .iter()
    .flat_map(|a| touchpoint::derive(&config, &roster, a))
    .collect();
    let report = load::report(&config, &sprint, &tps, now);
    assert_eq!(report.mentors.len(), 1);
    let bob = &report.mentors[0];
    assert_eq!(
        (bob.touchpoints, bob.minutes, bob.mentees, bob.capacity_minutes),
        (2, 60, 1, Some(60))
    );
    assert_eq!(bob.status, LoadStatus::High);
    assert!(report.stale_pairs.is_empty());

    // The sprint of 2026-11-09: both pairs in effect, capacity 1 mentee → over.
    let earlier = config.sprints.select("2026-11-10", now).unwrap();
    let report = load::report(&config, &earlier, &tps, now);
    assert_eq!(report.mentors[0].status, LoadStatus::Over);
    // By the sprint's end carol's pair had ended, so it is not stale.
    assert!(report.stale_pairs.is_empty());
    // Mid-sprint, carol never had a touchpoint and the pair is over a week old.
    let report = load::report(&config, &earlier, &tps, at("2026-11-10T12:00:00Z"));
    assert_eq!(report.stale_pairs.len(), 1);
    assert_eq!(report.stale_pairs[0].mentee.as_str(), "carol");
    assert_eq!(report.stale_pairs[0].last_touchpoint, None);

    // A week later with no touchpoint, alice's pair is stale too.
    let later = at("2026-11-25T10:00:01Z");
    let report = load::report(&config, &config.sprints.sprint_at(later), &tps, later);
    assert_eq!(report.stale_pairs.len(), 1);
    assert_eq!(report.stale_pairs[0].last_touchpoint, Some(at("2026-11-17T10:00:00Z")));
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["mentors"][0]["status"], "ok");
    assert_eq!(json["stale_pairs"][0]["last_touchpoint"], "2026-11-17T10:00:00Z");
}

#[test]
fn current_pair_is_the_one_in_effect_else_the_latest() {
    let text = CONFIG.replace(
        "  - { mentor: bob, mentee: carol, track: backend, since: 2026-11-01, until: 2026-11-10 }",
        "  - { mentor: bob, mentee: carol, track: backend, since: 2026-11-01, until: 2026-11-10 }\n  - { mentor: alice, mentee: carol, track: backend, since: 2026-11-15 }",
    );
    let config = mentor_core::config::parse("test.yml", &text).unwrap();
    let carol = Login::new("carol");
    let day = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
    assert_eq!(config.current_pair_of(&carol, day("2026-11-05")).unwrap().mentor.as_str(), "bob");
    assert_eq!(config.current_pair_of(&carol, day("2026-11-20")).unwrap().mentor.as_str(), "alice");
    // Between the two pairs neither is in effect: the most recent one.
    assert_eq!(config.current_pair_of(&carol, day("2026-11-12")).unwrap().mentor.as_str(), "alice");
    assert!(config.current_pair_of(&Login::new("bob"), day("2026-11-12")).is_none());
}

#[test]
fn pr_fact_needs_and_counted_reviewers() {
    let config = config();
    let needs = evidence::pr_fact_needs(&config, &Login::new("alice"));
    assert_eq!((needs.paths, needs.lines, needs.reviewers), (true, false, true));
    assert_eq!(evidence::pr_fact_needs(&config, &Login::new("bob")), Default::default());

    let reviews = [
        (Login::new("bob"), ReviewState::Commented),
        (Login::new("Bob"), ReviewState::Approved),
        (Login::new("alice"), ReviewState::Approved),
        (Login::new("dana"), ReviewState::Dismissed),
        (Login::new("ci[bot]"), ReviewState::Approved),
        (Login::new("carol"), ReviewState::ChangesRequested),
    ];
    assert_eq!(
        evidence::counted_reviewers(reviews, &Login::new("alice")),
        vec![Login::new("bob"), Login::new("carol")]
    );
}
