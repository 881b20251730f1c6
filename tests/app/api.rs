//! The read API: tokens and roles, load (JSON and CSV), evidence, health.

use mentor_app::token::{Role, create_token};
use mentor_core::Login;

use crate::util::*;

const REPO: &str = "Codertocat/Hello-World";

async fn seeded(backend: Backend) -> TestApp {
    let app = TestApp::start(backend, ScriptedGitHub::with_config(REPO), |_| {}).await;
    // bob reviews alice and carol three times each (6 × 30 min > his 60 min capacity); dave and erin never meet.
    for (i, mentee) in ["alice", "carol", "alice", "carol", "alice", "carol"].iter().enumerate() {
        let body = review("bob", mentee, &minutes_ago(60 - i as i64), 100 + i as u64);
        assert_eq!(
            app.deliver("pull_request_review", &format!("a-{i}"), &body, SECRET).await.status(),
            202
        );
    }
    app.wait_idle().await;
    app
}

async fn token(app: &TestApp, role: &str) -> String {
    create_token(&app.store, "codertocat", &Role::parse(role).unwrap()).await.unwrap()
}

#[tokio::test]
async fn load_needs_a_token_with_the_right_role() {
    for backend in backends() {
        let app = seeded(backend).await;
        assert_eq!(app.get("/api/v1/load", None).await.status(), 401);
        assert_eq!(app.get("/api/v1/load", Some("mtr_not-a-token")).await.status(), 401);
        let mentee = token(&app, "mentee:alice").await;
        let r = app.get("/api/v1/load", Some(&mentee)).await;
        assert_eq!(r.status(), 403);
        let v: serde_json::Value = r.json().await.unwrap();
        assert!(v["error"].is_string());

        let manager = token(&app, "manager").await;
        let r = app.get("/api/v1/load?sprint=current", Some(&manager)).await;
        assert_eq!(r.status(), 200);
        let report: mentor_core::LoadReport = r.json().await.unwrap();
        let bob = report.mentors.iter().find(|m| m.login == Login::new("bob")).unwrap();
        assert_eq!((bob.touchpoints, bob.minutes, bob.mentees), (6, 180, 2));
        assert_eq!(bob.status, mentor_core::load::LoadStatus::Over);
        assert!(
            report
                .stale_pairs
                .iter()
                .any(|p| p.mentor == Login::new("dave") && p.mentee == Login::new("erin"))
        );

        // A mentor sees only their own row.
        let dave = token(&app, "mentor:dave").await;
        let report: mentor_core::LoadReport =
            app.get("/api/v1/load", Some(&dave)).await.json().await.unwrap();
        assert_eq!(report.mentors.iter().map(|m| m.login.as_str()).collect::<Vec<_>>(), ["dave"]);

        assert_eq!(app.get("/api/v1/load?sprint=someday", Some(&manager)).await.status(), 400);
        let previous = app.get("/api/v1/load?sprint=previous", Some(&manager)).await;
        assert_eq!(previous.status(), 200);
        app.stop().await;
    }
}

#[tokio::test]
async fn load_as_csv() {
    for backend in backends() {
        let app = seeded(backend).await;
        let admin = token(&app, "admin").await;
        let r = app.get("/api/v1/load?format=csv", Some(&admin)).await;
        assert_eq!(r.status(), 200);
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        let text = r.text().await.unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "sprint,mentor,touchpoints,minutes,mentees,capacity_minutes,status");
        assert!(lines.iter().any(|l| l.ends_with(",bob,6,180,2,60,over")), "{text}");
        assert!(lines.iter().any(|l| l.ends_with(",dave,0,0,0,240,ok")), "{text}");
        app.stop().await;
    }
}

#[tokio::test]
async fn evidence_is_visible_to_the_mentee_their_mentor_and_admins_only() {
    for backend in backends() {
        let app = seeded(backend).await;
        let path = "/api/v1/mentees/alice/evidence";
        assert_eq!(app.get(path, None).await.status(), 401);
        for (role, status) in [
            ("mentee:alice", 200),
            ("mentor:bob", 200),
            ("admin", 200),
            ("mentee:carol", 403),
            ("mentor:dave", 403),
            ("manager", 403),
        ] {
            let t = token(&app, role).await;
            assert_eq!(app.get(path, Some(&t)).await.status(), status, "{role}");
        }
        let admin = token(&app, "admin").await;
        let report: mentor_core::EvidenceReport =
            app.get(path, Some(&admin)).await.json().await.unwrap();
        assert_eq!((report.mentee.as_str(), report.track.as_str()), ("alice", "backend"));
        assert_eq!(report.milestones.len(), 2);
        assert_eq!(app.get("/api/v1/mentees/nobody/evidence", Some(&admin)).await.status(), 404);
        app.stop().await;
    }
}

#[tokio::test]
async fn healthz_and_readyz() {
    for backend in backends() {
        let app = TestApp::start(backend, ScriptedGitHub::with_config(REPO), |_| {}).await;
        assert_eq!(app.get("/healthz", None).await.status(), 200);
        assert_eq!(app.get("/readyz", None).await.status(), 200);
        // With the database gone, the app is alive but not ready.
        app.store.close().await;
        assert_eq!(app.get("/healthz", None).await.status(), 200);
        assert_eq!(app.get("/readyz", None).await.status(), 503);
        let _ = app.stop().await;
    }
}
