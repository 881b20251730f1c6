//! Same answers offline and online: the same merged pull request, seen as a webhook by the app and as a merge
//! commit by the CLI's history reader, gives the same touchpoints and the same evidence report.

use chrono::{DateTime, Utc};
use mentor_app::normalize::{Normalized, normalize};
use mentor_app::payload::Payload;
use mentor_core::evidence::{self, Vantage};
use mentor_core::history::{HistoryPlan, LocalCommit};
use mentor_core::identity::Roster;
use mentor_core::touchpoint;
use mentor_core::trailer::TrailerOptions;
use mentor_core::{Activity, Config, Trailer};
use serde_json::Value;

const CONFIG: &str = r#"
sprints: { length: 2w, start: 2026-01-12, timezone: Europe/Berlin }
people:
  bob:   { name: Bob Builder, emails: [bob@example.com] }
  alice: { name: Alice Example, emails: [alice@example.com] }
pairs:
  - { mentor: bob, mentee: alice, track: backend, since: 2026-09-01 }
tracks:
  backend:
    milestones:
      - { id: first-pr, title: Ship a first change, stage: discovery, due: 2w, evidence: { merged_pr: { paths: ["src/**"] } } }
      - { id: small, title: Keep it small, stage: practice, evidence: { merged_pr: { max_changed_lines: 10 } } }
      - { id: tests, title: Test something, stage: practice, evidence: { commit_trailer: { key: Milestone } } }
"#;

const MERGED_AT: &str = "2026-11-18T10:00:00Z";

/// What GitHub says when alice's PR #7 "Add the library" is squash-merged with pairing and milestone trailers.
fn webhook_activity() -> Activity {
    let text = include_str!("../fixtures/webhooks/pull_request/closed.payload.json");
    let mut payload: Value = serde_json::from_str(text).unwrap();
    let pr = &mut payload["pull_request"];
    pr["merged"] = Value::Bool(true);
    pr["merged_at"] = Value::String(MERGED_AT.into());
    pr["closed_at"] = Value::String(MERGED_AT.into());
    pr["merge_commit_sha"] = Value::String("0123456789abcdef0123456789abcdef01234567".into());
    pr["number"] = 7.into();
    pr["html_url"] = Value::String("https://github.com/acme/api/pull/7".into());
    pr["title"] = Value::String("Add the library".into());
    pr["user"]["login"] = Value::String("alice".into());
    pr["additions"] = 3.into();
    pr["deletions"] = 1.into();
    payload["repository"]["full_name"] = Value::String("acme/api".into());
    payload["sender"]["login"] = Value::String("bob".into());
    let Normalized::Activities { mut activities, .. } =
        normalize("pull_request", &Payload::decode("pull_request", &payload.to_string()).unwrap())
            .unwrap()
    else {
        panic!("a merged PR normalizes to an activity")
    };
    assert_eq!(activities.len(), 1);
    let mut activity = activities.remove(0);
    // What `enrich` adds: paths from the PR's files endpoint and the landed commit's trailers from the commits
    // endpoint (see `github_enrich_reads_the_landed_commits_trailers_like_the_cli`).
    activity.pr.as_mut().unwrap().changed_paths = Some(vec!["src/lib.rs".into()]);
    activity.trailers = vec![
        Trailer::new("Co-authored-by", "Bob Builder <bob@example.com>"),
        Trailer::new("Milestone", "tests"),
    ];
    activity
}

/// What the CLI reads from the squash commit of the same PR in a clone.
fn local_activity(config: &Config) -> Activity {
    let plan = HistoryPlan::new(
        config,
        "acme/api",
        Some("https://github.com/acme/api"),
        TrailerOptions::default(),
    );
    let message =
        "Add the library (#7)\n\nCo-authored-by: Bob Builder <bob@example.com>\nMilestone: tests\n";
    let classified = plan
        .classify(&LocalCommit {
            sha: "0123456789abcdef0123456789abcdef01234567",
            author_email: "alice@example.com",
            at: MERGED_AT.parse::<DateTime<Utc>>().unwrap(),
            message,
            parents: 1,
            merged_author_email: None,
        })
        .expect("a squash commit of a configured person is an activity");
    let mut activity = classified.activity;
    // What the history reader computes from the diff against the first parent.
    let pr = activity.pr.as_mut().unwrap();
    pr.changed_paths = Some(vec!["src/lib.rs".into()]);
    pr.changed_lines = Some(4);
    activity
}

#[test]
fn webhook_and_clone_give_the_same_answers() {
    let config = mentor_core::config::parse("parity.yml", CONFIG).unwrap();
    let pair = &config.pairs[0];
    let roster = Roster::new(&config);
    let now: DateTime<Utc> = "2026-11-23T09:00:00Z".parse().unwrap();
    let online = webhook_activity();
    let offline = local_activity(&config);
    assert_eq!(online.label(), offline.label());
    assert_eq!(online.actor, offline.actor);

    let rows_online = evidence::collect(&config, pair, &online);
    let rows_offline = evidence::collect(&config, pair, &offline);
    assert_eq!(rows_online, rows_offline);
    assert_eq!(rows_online.len(), 3, "{rows_online:#?}");

    let report_online = evidence::report(&config, pair, &rows_online, Vantage::GitHub, now);
    let report_offline = evidence::report(&config, pair, &rows_offline, Vantage::Local, now);
    assert_eq!(report_online, report_offline);
    assert_eq!(
        serde_json::to_value(&report_online).unwrap()["milestones"][0]["evidence"][0]["reason"],
        "merged PR #7; changes src/lib.rs (matches src/**)"
    );

    let touch_online = touchpoint::derive(&config, &roster, &online);
    let touch_offline = touchpoint::derive(&config, &roster, &offline);
    assert_eq!(touch_online, touch_offline);
    assert_eq!(touch_online.len(), 1);
}
