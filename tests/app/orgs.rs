//! Organizations are the boundary: each installation account is its own program. Two orgs whose configs share
//! a mentor login must never see each other's rows, tokens belong to one org, and an uninstalled org's program
//! stops writing to GitHub.

use mentor_app::store::{
    DeliveryStatus, Finished, InstallationStatus, Outcome, PlannedWrite, Store,
};
use mentor_app::token::{Role, create_token};
use serde_json::Value;

use crate::util::*;

const ACME: &str = "acme/api";
const GLOBEX: &str = "globex/web";

/// bob mentors alice in acme and carol in globex: the same login in two programs.
fn two_orgs() -> std::sync::Arc<ScriptedGitHub> {
    let github = ScriptedGitHub::default();
    let config = |mentee: &str| {
        format!(
            "sprints: {{ length: 2w, start: 2026-01-05, timezone: UTC }}\n\
             people:\n  bob: {{ tier: senior, capacity: {{ minutes_per_sprint: 240 }} }}\n  {mentee}: {{}}\n\
             pairs:\n  - {{ mentor: bob, mentee: {mentee}, track: backend, since: 2019-01-01 }}\n\
             tracks:\n  backend:\n    milestones:\n      - {{ id: first-pr, title: Ship a first change, stage: discovery, \
             evidence: {{ merged_pr: {{ paths: [\"src/**\"] }} }} }}\n"
        )
    };
    let mut files = github.files.lock().unwrap();
    files.insert((ACME.into(), ".github/mentorship.yml".into()), config("alice"));
    files.insert((GLOBEX.into(), ".github/mentorship.yml".into()), config("carol"));
    drop(files);
    std::sync::Arc::new(github)
}

async fn send(app: &TestApp, event: &str, id: &str, body: Vec<u8>) {
    assert_eq!(app.deliver(event, id, &body, SECRET).await.status(), 202);
}

async fn json(app: &TestApp, path: &str, token: &str) -> (u16, Value) {
    let r = app.get(path, Some(token)).await;
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn orgs_sharing_a_mentor_login_see_only_their_own_program() {
    for backend in backends() {
        let app = TestApp::start(backend, two_orgs(), |_| {}).await;
        // bob reviews alice's PR in acme twice and carol's PR in globex once; alice's PR in acme is merged.
        send(
            &app,
            "pull_request_review",
            "o-1",
            in_repo(&review("bob", "alice", &minutes_ago(50), 1), ACME, 1),
        )
        .await;
        send(
            &app,
            "pull_request_review",
            "o-2",
            in_repo(&review("bob", "alice", &minutes_ago(40), 2), ACME, 1),
        )
        .await;
        send(
            &app,
            "pull_request_review",
            "o-3",
            in_repo(&review("bob", "carol", &minutes_ago(30), 3), GLOBEX, 2),
        )
        .await;
        send(
            &app,
            "pull_request",
            "o-4",
            in_repo(&merged_pr("alice", &minutes_ago(20), 7), ACME, 1),
        )
        .await;
        app.wait_idle().await;

        let acme = create_token(&app.store, "acme", &Role::Manager).await.unwrap();
        let globex = create_token(&app.store, "globex", &Role::Manager).await.unwrap();
        let (status, load) = json(&app, "/api/v1/orgs/acme/load", &acme).await;
        assert_eq!(status, 200, "{load}");
        assert_eq!(load["mentors"].as_array().unwrap().len(), 1, "{load}");
        assert_eq!(load["mentors"][0]["login"], "bob");
        assert_eq!(load["mentors"][0]["touchpoints"], 2, "acme counts only acme's reviews: {load}");
        assert_eq!(load["mentors"][0]["minutes"], 60);
        let (status, load) = json(&app, "/api/v1/orgs/globex/load", &globex).await;
        assert_eq!(status, 200, "{load}");
        assert_eq!(
            load["mentors"][0]["touchpoints"], 1,
            "globex counts only globex's review: {load}"
        );
        // The unscoped route means the token's own org.
        let (_, own) = json(&app, "/api/v1/load", &globex).await;
        assert_eq!(own, load);
        // A token of one org is refused on the other, whatever its role.
        let (status, body) = json(&app, "/api/v1/orgs/globex/load", &acme).await;
        assert_eq!(status, 403, "{body}");
        assert!(body["error"].as_str().unwrap().contains("belongs to org acme"), "{body}");
        let admin = create_token(&app.store, "acme", &Role::Admin).await.unwrap();
        for path in ["/api/v1/orgs/globex/load", "/api/v1/orgs/globex/mentees/carol/evidence"] {
            assert_eq!(app.get(path, Some(&admin)).await.status(), 403, "{path}");
        }

        // Evidence: alice's merged PR counts in acme; alice is nobody in globex.
        let (status, evidence) =
            json(&app, "/api/v1/orgs/acme/mentees/alice/evidence", &admin).await;
        assert_eq!(status, 200, "{evidence}");
        assert_eq!(evidence["milestones"][0]["status"], "met", "{evidence}");
        assert_eq!(evidence["milestones"][0]["evidence"][0]["source"], format!("{ACME}#7"));
        let globex_admin = create_token(&app.store, "globex", &Role::Admin).await.unwrap();
        let (status, body) =
            json(&app, "/api/v1/orgs/globex/mentees/alice/evidence", &globex_admin).await;
        assert_eq!(status, 404, "{body}");
        let (status, carol) = json(&app, "/api/v1/mentees/carol/evidence", &globex_admin).await;
        assert_eq!(status, 200, "{carol}");
        assert!(carol["milestones"][0]["evidence"].as_array().unwrap().is_empty(), "{carol}");
        // Feedback counts are per org too.
        let (_, feedback) = json(&app, "/api/v1/orgs/acme/mentees/alice/feedback", &admin).await;
        assert_eq!(feedback["mentee"], "alice");

        // Every stored row carries its org.
        assert_eq!(app.store.touchpoints_of("acme").await.unwrap().len(), 2);
        assert_eq!(app.store.touchpoints_of("globex").await.unwrap().len(), 1);
        assert_eq!(app.store.evidence_of("globex", "alice").await.unwrap().len(), 0);
        let orgs = app.store.orgs().await.unwrap();
        let names: Vec<(&str, u64, &str)> =
            orgs.iter().map(|o| (o.org.as_str(), o.installation_id, o.status.as_str())).collect();
        assert_eq!(names, [("acme", 1, "active"), ("globex", 2, "active")]);
        assert_eq!(orgs[0].repos, [ACME], "{orgs:?}");
        assert!(
            orgs.iter().all(|o| o.problems.is_empty() && o.last_delivery_at.is_some()),
            "{orgs:?}"
        );
        let db = app.stop().await;

        // `orgs list --json` shows the same, for the operator.
        let out = crate::cli::run_ok(crate::cli::bin(&db.url).args(["orgs", "list", "--json"]));
        let listed: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(listed[0]["org"], "acme");
        assert_eq!(listed[0]["installation_id"], 1);
        assert_eq!(listed[0]["repos"], serde_json::json!([ACME]));
        assert_eq!(listed[1]["org"], "globex");
        assert_eq!(listed[1]["problems"], serde_json::json!([]));
        let table = crate::cli::run_ok(crate::cli::bin(&db.url).args(["orgs", "list"]));
        assert!(table.contains("acme") && table.contains("globex/web"), "{table}");
        // Each delivery's result names its org.
        let out =
            crate::cli::run_ok(crate::cli::bin(&db.url).args(["deliveries", "list", "--json"]));
        let deliveries: Value = serde_json::from_str(&out).unwrap();
        for d in deliveries["deliveries"].as_array().unwrap() {
            let want = if d["id"] == "o-3" { "globex" } else { "acme" };
            assert_eq!(d["org"], want, "{d}");
        }
    }
}

#[tokio::test]
async fn an_uninstalled_org_stops_writing_to_github_and_keeps_its_data() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let store = Store::connect(&db.url).await.unwrap();
        let t = now();
        // A planned write of acme (a journal edit) and one of globex.
        let planned = |org: &str, id: &str| {
            let claim = mentor_app::store::ClaimedDelivery {
                id: id.into(),
                event: "pull_request".into(),
                payload: None,
                packed: None,
                attempts: 1,
            };
            let outcome = Outcome {
                org: Some((org.into(), 1)),
                writes: vec![PlannedWrite {
                    marker: format!("journal:{org}"),
                    installation_id: 1,
                    repo: format!("{org}/mentorship"),
                    op: "{}".into(),
                }],
                ..Outcome::default()
            };
            (claim, Finished::Done(Box::new(outcome)))
        };
        store
            .insert_and_claim(
                &["d-1", "d-2"].map(|id| mentor_app::store::NewDelivery {
                    id: id.into(),
                    event: "pull_request".into(),
                    action: Some("closed".into()),
                    status: DeliveryStatus::Pending,
                    payload: Some("{}".into()),
                    packed: None,
                }),
                t,
                std::time::Duration::from_secs(60),
                2,
            )
            .await
            .unwrap();
        assert_eq!(
            store.finish(&[planned("acme", "d-1"), planned("globex", "d-2")], t).await.unwrap(),
            2
        );
        // `installation` `deleted` for acme (as the worker records it).
        store.upsert_installation("acme", 1, InstallationStatus::Deleted, t).await.unwrap();
        let claimed = store.claim_writes(t, std::time::Duration::from_secs(60), 10).await.unwrap();
        let orgs: Vec<&str> = claimed.iter().map(|c| c.org.as_str()).collect();
        assert_eq!(orgs, ["globex"], "no GitHub write for an uninstalled org");
        assert_eq!(store.org("acme").await.unwrap().unwrap().status, InstallationStatus::Deleted);
        // Its data stays readable to admins (the store keeps every row), and installing again resumes writes.
        store.upsert_installation("acme", 9, InstallationStatus::Active, t).await.unwrap();
        let claimed = store.claim_writes(t, std::time::Duration::from_secs(60), 10).await.unwrap();
        assert_eq!(claimed.iter().map(|c| c.org.as_str()).collect::<Vec<_>>(), ["acme"]);
        store.close().await;
    }
}

#[tokio::test]
async fn installation_events_stop_and_resume_an_org_program() {
    for backend in backends() {
        let app = TestApp::start(backend, two_orgs(), |_| {}).await;
        send(
            &app,
            "pull_request_review",
            "i-1",
            in_repo(&review("bob", "alice", &minutes_ago(50), 1), ACME, 1),
        )
        .await;
        app.wait_idle().await;
        let event = |action: &str| {
            rewrite(
                fixture("installation/created.payload.json"),
                &[
                    ("/action", action.into()),
                    ("/installation/id", 1.into()),
                    ("/installation/account/login", "Acme".into()),
                ],
            )
        };
        for (i, (action, status)) in [
            ("suspend", InstallationStatus::Suspended),
            ("unsuspend", InstallationStatus::Active),
            ("deleted", InstallationStatus::Deleted),
        ]
        .iter()
        .enumerate()
        {
            send(&app, "installation", &format!("i-e{i}"), event(action)).await;
            app.wait_idle().await;
            let org = app.store.org("acme").await.unwrap().unwrap();
            assert_eq!(org.status, *status, "after {action}");
        }
        let rows = app.store.list_deliveries(None, 10).await.unwrap();
        let deleted = rows.iter().find(|r| r.id == "i-e2").unwrap();
        assert!(
            deleted.last_error.as_deref().unwrap_or("").contains("program stopped"),
            "{deleted:?}"
        );
        // The data stays.
        assert_eq!(app.store.touchpoints_of("acme").await.unwrap().len(), 1);
        app.stop().await;
    }
}

/// The API reads a window of touchpoints and seeks the last touchpoint of quiet pairs only; its report must equal
/// the core's report over every touchpoint of the org, stale pairs and their last touchpoint included.
#[tokio::test]
async fn the_windowed_load_report_equals_the_report_over_every_touchpoint() {
    for backend in backends() {
        let app = TestApp::start(backend, two_orgs(), |_| {}).await;
        // bob met alice 30 days ago (stale now, last touchpoint known) and carol in globex an hour ago.
        send(
            &app,
            "pull_request_review",
            "w-1",
            in_repo(&review("bob", "alice", &minutes_ago(30 * 24 * 60), 1), ACME, 1),
        )
        .await;
        send(
            &app,
            "pull_request_review",
            "w-2",
            in_repo(&review("bob", "carol", &minutes_ago(60), 2), GLOBEX, 2),
        )
        .await;
        app.wait_idle().await;
        let config = mentor_app::config_source::ConfigSource::new(two_orgs())
            .org_config(1, "acme")
            .await
            .unwrap()
            .unwrap();
        let all = app.store.touchpoints_of("acme").await.unwrap();
        let token = create_token(&app.store, "acme", &Role::Manager).await.unwrap();
        for sprint in ["current", "previous", "2026-10-20"] {
            let (status, got) =
                json(&app, &format!("/api/v1/orgs/acme/load?sprint={sprint}"), &token).await;
            assert_eq!(status, 200, "{got}");
            let selected = config.config.sprints.select(sprint, now()).unwrap();
            let want = mentor_core::load::report(&config.config, &selected, &all, now());
            let got: mentor_core::LoadReport = serde_json::from_value(got).unwrap();
            // The server's clock ran on for the seconds the test took; staleness is judged in days.
            assert_eq!(got, want, "{sprint}");
        }
        let (_, current) = json(&app, "/api/v1/orgs/acme/load", &token).await;
        assert_eq!(current["stale_pairs"][0]["mentee"], "alice", "{current}");
        assert!(current["stale_pairs"][0]["last_touchpoint"].is_string(), "{current}");
        app.stop().await;
    }
}

/// Configs in two repositories of one org are merged into one program; the same person defined differently in
/// a third is a problem `orgs list` shows with both files and lines, and the org keeps its merged config.
#[tokio::test]
async fn configs_of_one_orgs_repositories_merge_and_a_conflict_is_reported() {
    for backend in backends() {
        let github = two_orgs();
        github.files.lock().unwrap().insert(
            ("acme/web".into(), ".github/mentorship.yml".into()),
            "people:\n  dave: {}\n  erin: {}\npairs:\n  - { mentor: dave, mentee: erin, track: web, since: 2019-01-01 }\n\
             tracks:\n  web:\n    milestones:\n      - { id: w, title: W, stage: discovery }\n"
                .into(),
        );
        let app = TestApp::start(backend, github.clone(), |_| {}).await;
        // dave reviews erin's PR in acme/web, bob reviews alice's in acme/api: one program, one load report.
        send(
            &app,
            "pull_request_review",
            "m-1",
            in_repo(&review("dave", "erin", &minutes_ago(30), 1), "acme/web", 1),
        )
        .await;
        send(
            &app,
            "pull_request_review",
            "m-2",
            in_repo(&review("bob", "alice", &minutes_ago(20), 2), ACME, 1),
        )
        .await;
        app.wait_idle().await;
        let token = create_token(&app.store, "acme", &Role::Manager).await.unwrap();
        let (_, load) = json(&app, "/api/v1/orgs/acme/load", &token).await;
        let mentors: Vec<&str> = load["mentors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["login"].as_str().unwrap())
            .collect();
        assert_eq!(mentors, ["bob", "dave"], "{load}");
        let org = app.store.org("acme").await.unwrap().unwrap();
        assert_eq!(org.repos, ["acme/api", "acme/web"]);
        assert!(org.problems.is_empty(), "{:?}", org.problems);

        // A third repository defines bob differently, and its push tells the app at once: reported, never a
        // silent pick, and the org keeps its last good merged config.
        github.files.lock().unwrap().insert(
            ("acme/ops".into(), ".github/mentorship.yml".into()),
            "people:\n  bob: { tier: principal }\n".into(),
        );
        let push = rewrite(
            fixture("push/with-new-branch.payload.json"),
            &[
                ("/commits/0/added", serde_json::json!([".github/mentorship.yml"])),
                ("/head_commit", Value::Null),
            ],
        );
        send(&app, "push", "m-p", in_repo(&push, "acme/ops", 1)).await;
        send(
            &app,
            "pull_request_review",
            "m-3",
            in_repo(&review("bob", "alice", &minutes_ago(10), 3), ACME, 1),
        )
        .await;
        app.wait_idle().await;
        let db = app.stop().await;
        let out = crate::cli::run_ok(crate::cli::bin(&db.url).args(["orgs", "list", "--json"]));
        let listed: Value = serde_json::from_str(&out).unwrap();
        let problems = listed[0]["problems"].as_array().unwrap();
        assert!(
            problems.iter().any(|p| {
                let p = p.as_str().unwrap();
                p.starts_with("acme/ops:.github/mentorship.yml:2:1: person `bob` is defined differently in acme/api:.github/mentorship.yml:3")
            }),
            "{out}"
        );
        // The merged config in force is the last good one: bob's review still counted.
        let store = Store::connect(&db.url).await.unwrap();
        assert_eq!(store.touchpoints_of("acme").await.unwrap().len(), 3);
        store.close().await;
    }
}
