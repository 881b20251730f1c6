//! The program owner's API: `GET /api/v1/orgs/{org}/match` proposes pairs from the org's stored activity, and
//! `GET /api/v1/orgs/{org}/audit` gives admins everything and managers only the aggregate parts.

use mentor_app::token::{Role, create_token};
use serde_json::Value;

use crate::util::*;

const REPO: &str = "acme/billing";

const CONFIG: &str = r#"
sprints: { length: 2w, start: 2026-01-05, timezone: UTC }
privacy: { min_group_size: 2 }
tiers: { principal: { capacity: { mentees: 1 } } }
people:
  bob:   { tier: senior, capacity: { mentees: 3 }, skills: { databases: 4 }, team: core }
  carl:  { tier: senior, capacity: { mentees: 3 }, skills: { databases: 4 }, team: ops }
  pia:   { tier: principal, capacity: { mentees: 3 }, skills: { rust: 5 }, team: core }
  alice: { level: junior, team: web }
  dan:   { level: junior, team: web }
  zoe:   { wants: [databases, billing], level: junior, team: web }
  eli:   { wants: [rust], level: junior, team: web, avoid: [carl, bob] }
pairs:
  - { mentor: bob, mentee: alice, track: backend, since: 2026-10-20, rationale: "databases 4 vs wanted" }
  - { mentor: pia, mentee: dan, track: backend, since: 2026-09-01, rationale: "rust 5 vs wanted" }
  - { mentor: pia, mentee: eli, track: backend, since: 2026-10-01, rationale: "databases wizard" }
tracks:
  backend:
    milestones:
      - { id: first-pr, title: Ship a first change, stage: discovery, evidence: { merged_pr: { paths: ["src/**"] } } }
"#;

fn github() -> std::sync::Arc<ScriptedGitHub> {
    let github = ScriptedGitHub::default();
    github
        .files
        .lock()
        .unwrap()
        .insert((REPO.into(), ".github/mentorship.yml".into()), CONFIG.into());
    std::sync::Arc::new(github)
}

async fn json(app: &TestApp, path: &str, token: &str) -> (u16, Value) {
    let r = app.get(path, Some(token)).await;
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// bob reviews alice's pull request in acme/billing: the store's only sign of who knows billing.
async fn started(backend: Backend) -> TestApp {
    let app = TestApp::start(backend, github(), |_| {}).await;
    let body = in_repo(&review("bob", "alice", &minutes_ago(90), 11), REPO, 1);
    assert_eq!(app.deliver("pull_request_review", "p-1", &body, SECRET).await.status(), 202);
    let body = in_repo(&merged_pr("alice", &minutes_ago(60), 12), REPO, 1);
    assert_eq!(app.deliver("pull_request", "p-2", &body, SECRET).await.status(), 202);
    app.wait_idle().await;
    app
}

#[tokio::test]
async fn match_proposes_the_reviewer_of_the_wanted_repository_and_names_blocking_rules() {
    for backend in backends() {
        let app = started(backend).await;
        let admin = create_token(&app.store, "acme", &Role::Admin).await.unwrap();
        let (status, body) = json(&app, "/api/v1/orgs/acme/match?unpaired=true", &admin).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["pairs"].as_array().unwrap().len(), 1, "{body:#}");
        let pair = &body["pairs"][0];
        assert_eq!(
            (pair["mentor"].as_str(), pair["mentee"].as_str()),
            (Some("bob"), Some("zoe")),
            "{body:#}"
        );
        assert_eq!(
            pair["rationale"],
            "databases 4 vs wanted; works in billing; cross-team (core); first pairing"
        );
        assert_eq!(pair["track"], "backend");
        assert!(body["unmatched"].as_array().unwrap().is_empty(), "{body:#}");

        let (_, explained) =
            json(&app, "/api/v1/orgs/acme/match?unpaired=true&explain=true", &admin).await;
        assert_eq!(explained["runner_ups"][0]["mentor"], "carl", "{explained:#}");
        assert!(explained["runner_ups"][0]["why"].as_str().unwrap().starts_with("lower fit"));

        let (status, body) = json(&app, "/api/v1/orgs/acme/match?mentees=zoe,eli", &admin).await;
        assert_eq!(status, 200, "{body}");
        let eli = &body["unmatched"][0];
        assert_eq!(eli["mentee"], "eli", "{body:#}");
        let reason = eli["reason"].as_str().unwrap();
        assert!(
            reason.contains("avoid: bob, carl") && reason.contains("rotation: pia"),
            "{reason}"
        );

        let (status, body) = json(&app, "/api/v1/orgs/acme/match?mentees=nobody", &admin).await;
        assert_eq!(status, 400, "{body}");
        let manager = create_token(&app.store, "acme", &Role::Manager).await.unwrap();
        assert_eq!(app.get("/api/v1/orgs/acme/match", Some(&manager)).await.status(), 403);
        let other = create_token(&app.store, "globex", &Role::Admin).await.unwrap();
        assert_eq!(app.get("/api/v1/orgs/acme/match", Some(&other)).await.status(), 403);
        app.stop().await;
    }
}

#[tokio::test]
async fn audit_gives_admins_every_finding_and_managers_only_aggregates() {
    for backend in backends() {
        let app = started(backend).await;
        let admin = create_token(&app.store, "acme", &Role::Admin).await.unwrap();
        let (status, body) = json(&app, "/api/v1/orgs/acme/audit?since=2026-01-01", &admin).await;
        assert_eq!(status, 200, "{body}");
        let findings = body["findings"].as_array().unwrap();
        let has = |kind: &str, severity: &str, subject: &str| {
            findings
                .iter()
                .any(|f| f["kind"] == kind && f["severity"] == severity && f["subject"] == subject)
        };
        assert!(has("rationale", "error", "pia -> eli"), "{body:#}");
        assert!(has("load", "error", "pia"), "{body:#}");
        assert!(has("rotation", "info", "alice"), "{body:#}");
        // alice's merged PR is evidence during her pair.
        let alice =
            body["growth"].as_array().unwrap().iter().find(|g| g["mentee"] == "alice").cloned();
        assert_eq!(alice.as_ref().map(|a| a["during"].clone()), Some(1.into()), "{body:#}");
        let equity = body["equity"].as_array().unwrap();
        let row = |d: &str, g: &str| {
            equity.iter().find(|r| r["dimension"] == d && r["group"] == g).cloned().unwrap()
        };
        assert_eq!(row("team", "web")["eligible"], 4, "{body:#}");
        assert_eq!(row("team", "web")["mentored"], 3, "{body:#}");
        let ops = row("team", "ops");
        assert_eq!(ops["suppressed"], true);
        assert!(
            ops["eligible"].is_null()
                && ops["mentored"].is_null()
                && ops["milestones_met"].is_null()
        );

        let manager = create_token(&app.store, "acme", &Role::Manager).await.unwrap();
        let (status, aggregate) =
            json(&app, "/api/v1/orgs/acme/audit?since=2026-01-01", &manager).await;
        assert_eq!(status, 200, "{aggregate}");
        assert_eq!(aggregate["equity"], body["equity"]);
        assert_eq!(aggregate["velocity"], body["velocity"]);
        for f in aggregate["findings"].as_array().unwrap() {
            assert!(f["kind"] == "equity" || f["kind"] == "velocity", "a manager sees {f}");
        }
        assert!(
            aggregate["growth"].as_array().unwrap().iter().all(|g| g["mentee"].is_null()),
            "{aggregate:#}"
        );
        assert!(!aggregate.to_string().contains("\"eli\""), "{aggregate:#}");

        for role in [
            Role::Mentor(mentor_core::Login::new("bob")),
            Role::Mentee(mentor_core::Login::new("alice")),
        ] {
            let token = create_token(&app.store, "acme", &role).await.unwrap();
            assert_eq!(
                app.get("/api/v1/orgs/acme/audit", Some(&token)).await.status(),
                403,
                "{role}"
            );
        }
        let other = create_token(&app.store, "globex", &Role::Admin).await.unwrap();
        assert_eq!(app.get("/api/v1/orgs/acme/audit", Some(&other)).await.status(), 403);
        let (status, _) = json(&app, "/api/v1/orgs/acme/audit?since=yesterday", &admin).await;
        assert_eq!(status, 400);
        app.stop().await;
    }
}
