//! The mentee and mentor pages: each role sees what it may, with the JSON API's numbers.

use std::sync::Arc;

use reqwest::StatusCode;
use reqwest::header::COOKIE;

use crate::dashboard::{sign_in, start_with};
use crate::fake_github::FakeGitHub;
use crate::html::{links, table, texts};
use crate::util::*;

/// The test program with a manager (mona) and an admin (omar).
pub fn program() -> Arc<ScriptedGitHub> {
    let github = ScriptedGitHub::default();
    github.files.lock().unwrap().insert(
        ("acme/api".into(), ".github/mentorship.yml".into()),
        format!("{}privacy: {{ managers: [mona], admins: [omar] }}\n", config_yaml()),
    );
    Arc::new(github)
}

/// Delivers a small history to `app`: bob reviews alice (with Conventional Comments) and carol, dave reviews
/// erin, alice merges a PR that meets her first milestone.
pub async fn seed(app: &TestApp) {
    let review_body = rewrite(
        serde_json::from_slice(&review("bob", "alice", &minutes_ago(60), 11)).unwrap(),
        &[("/review/body", "praise: clear tests\n\nsuggestion: split the retry loop".into())],
    );
    let comment = rewrite(
        fixture("pull_request_review_comment/created.payload.json"),
        &[
            ("/comment/user/login", "bob".into()),
            ("/comment/created_at", minutes_ago(59).into()),
            ("/comment/body", "issue (blocking): this leaks the token".into()),
            ("/pull_request/user/login", "alice".into()),
        ],
    );
    let deliveries = [
        ("pull_request_review", review_body),
        ("pull_request_review_comment", comment),
        ("pull_request_review", review("bob", "carol", &minutes_ago(50), 12)),
        ("pull_request_review", review("dave", "erin", &minutes_ago(40), 13)),
        ("pull_request", merged_pr("alice", &minutes_ago(120), 7)),
    ];
    for (i, (event, body)) in deliveries.iter().enumerate() {
        let body = in_repo(body, "acme/api", 1);
        let r = app.deliver(event, &format!("seed-{i}"), &body, SECRET).await;
        assert_eq!(r.status(), 202);
    }
    app.wait_idle().await;
}

/// A signed-in client's GET of `path`.
async fn get(
    app: &TestApp,
    client: &reqwest::Client,
    cookie: &str,
    path: &str,
) -> reqwest::Response {
    client.get(format!("{}{path}", app.base)).header(COOKIE, cookie).send().await.unwrap()
}

#[tokio::test]
async fn the_mentee_page_shows_growth_to_the_pair_and_admins_with_the_apis_numbers() {
    for backend in backends() {
        let fake = FakeGitHub::start().await;
        let (app, client) = start_with(backend, &fake, program()).await;
        seed(&app).await;
        let admin =
            mentor_app::token::create_token(&app.store, "acme", &mentor_app::token::Role::Admin)
                .await
                .unwrap();
        let evidence: mentor_core::EvidenceReport = app
            .get("/api/v1/orgs/acme/mentees/alice/evidence", Some(&admin))
            .await
            .json()
            .await
            .unwrap();
        let feedback: serde_json::Value = app
            .get("/api/v1/orgs/acme/mentees/alice/feedback", Some(&admin))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(evidence.milestones[0].status, mentor_core::MilestoneStatus::Met);

        fake.sign_in_as("alice");
        let (alice, _) = sign_in(&app, &client, "/").await;
        let r = get(&app, &client, &alice, "/orgs/acme/mentees/alice").await;
        assert_eq!(r.status(), StatusCode::OK);
        let html = r.text().await.unwrap();
        let _ = std::fs::write(root().join("target/dashboard-mentee.html"), &html);

        // The timeline: stages in order, each milestone's status in words.
        assert_eq!(texts(&html, ".timeline > li > h3"), ["Discovery", "Feedback"]);
        let headings = texts(&html, ".milestone h4");
        for m in &evidence.milestones {
            let status = serde_json::to_value(m.status).unwrap();
            let heading = format!("{} {}", m.title, status.as_str().unwrap());
            assert!(headings.contains(&heading), "{heading} in {headings:?}");
        }
        // Evidence rows, with a link to the PR and why it matched, as in the API.
        let first = &evidence.milestones[0];
        let rows = table(&html, &format!("Evidence for “{}”", first.title));
        assert_eq!(rows.len(), first.evidence.len());
        for (row, e) in rows.iter().zip(&first.evidence) {
            assert_eq!(row[0], e.source);
            assert_eq!(row[2], e.reason);
            assert_eq!(row[3], "matched");
        }
        let url = first.evidence[0].url.clone().expect("a merged PR has a link");
        assert_eq!(links(&html, &first.evidence[0].source), [url]);
        assert!(html.contains("Due 2019-01-15."), "the due date counts from the pair's start");
        // The feedback mix: the API's counts, never the text.
        let mix = table(&html, "Feedback labels received");
        for row in &mix {
            assert_eq!(row[1], feedback["feedback"][&row[0]].to_string(), "{row:?}");
        }
        assert!(mix.contains(&vec!["issue".to_owned(), "1".to_owned()]), "{mix:?}");
        assert!(!html.contains("leaks the token") && !html.contains("split the retry loop"));

        // Her mentor and an admin see it too; another mentor, another mentee and a manager do not.
        for who in ["bob", "omar"] {
            fake.sign_in_as(who);
            let (cookie, _) = sign_in(&app, &client, "/").await;
            let r = get(&app, &client, &cookie, "/orgs/acme/mentees/alice").await;
            assert_eq!(r.status(), StatusCode::OK, "{who}");
        }
        for (who, words) in [
            ("dave", "for the mentee, their mentors and admins only"),
            ("carol", "for the mentee, their mentors and admins only"),
            ("mona", "Managers see mentoring load instead"),
        ] {
            fake.sign_in_as(who);
            let (cookie, _) = sign_in(&app, &client, "/").await;
            let r = get(&app, &client, &cookie, "/orgs/acme/mentees/alice").await;
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{who}");
            let html = r.text().await.unwrap();
            assert!(html.contains(words), "{who}: {html}");
            assert!(!html.contains("Ship a first change"), "{who} sees no milestone");
        }
        // Someone without a role in the org: not found; an admin asking for a non-mentee: not found, in words.
        fake.sign_in_as("zed");
        let (zed, _) = sign_in(&app, &client, "/").await;
        assert_eq!(
            get(&app, &client, &zed, "/orgs/acme/mentees/alice").await.status(),
            StatusCode::NOT_FOUND
        );
        fake.sign_in_as("omar");
        let (omar, _) = sign_in(&app, &client, "/").await;
        let r = get(&app, &client, &omar, "/orgs/acme/mentees/nobody").await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert!(r.text().await.unwrap().contains("@nobody is not a mentee in acme"));
        app.stop().await;
    }
}

#[tokio::test]
async fn the_mentor_page_shows_load_over_sprints_and_mentees_to_the_mentor_managers_and_admins() {
    for backend in backends() {
        let fake = FakeGitHub::start().await;
        let (app, client) = start_with(backend, &fake, program()).await;
        seed(&app).await;
        // An older review: two sprints back, so the history has more than the current sprint.
        let old = in_repo(&review("bob", "alice", &minutes_ago(60 * 24 * 29), 14), "acme/api", 1);
        assert_eq!(app.deliver("pull_request_review", "old", &old, SECRET).await.status(), 202);
        app.wait_idle().await;
        let manager =
            mentor_app::token::create_token(&app.store, "acme", &mentor_app::token::Role::Manager)
                .await
                .unwrap();

        fake.sign_in_as("bob");
        let (bob, _) = sign_in(&app, &client, "/").await;
        let r = get(&app, &client, &bob, "/orgs/acme/mentors/bob").await;
        assert_eq!(r.status(), StatusCode::OK);
        let html = r.text().await.unwrap();
        let _ = std::fs::write(root().join("target/dashboard-mentor.html"), &html);
        let rows = table(&html, "Load of @bob per sprint");
        assert_eq!(rows.len(), 6, "{rows:?}");
        // Each sprint's row is the API's load report of that sprint.
        let mut minutes = 0;
        for row in &rows {
            let api: mentor_core::LoadReport = app
                .get(&format!("/api/v1/orgs/acme/load?sprint={}", row[0]), Some(&manager))
                .await
                .json()
                .await
                .unwrap();
            assert_eq!(api.sprint.id.to_string(), row[0]);
            let (touchpoints, mins, status) = api
                .mentors
                .iter()
                .find(|m| m.login.as_str() == "bob")
                .map(|m| {
                    let status = serde_json::to_value(m.status).unwrap();
                    (m.touchpoints, m.minutes, status.as_str().unwrap().to_owned())
                })
                .unwrap_or((0, 0, "ok".into()));
            assert_eq!(
                row[1..],
                [touchpoints.to_string(), mins.to_string(), "60".into(), status],
                "{row:?}"
            );
            minutes += mins;
        }
        assert_eq!(minutes, 30 + 5 + 30 + 30, "two reviews and a comment now, a review before");
        // Mentees with their last touchpoint, linked for their mentor.
        let mentees = table(&html, "Pairs of @bob");
        assert_eq!(mentees.len(), 2);
        assert_eq!(mentees[0][..4], ["@alice", "backend", "2019-01-01", "active"]);
        assert!(mentees[0][4].starts_with("2026-11-17 (0 days ago)"), "{mentees:?}");
        assert_eq!(links(&html, "@alice"), ["/orgs/acme/mentees/alice"]);

        // A manager sees it without links into growth; an admin with them; a mentee and another mentor do not.
        fake.sign_in_as("mona");
        let (mona, _) = sign_in(&app, &client, "/").await;
        let html = get(&app, &client, &mona, "/orgs/acme/mentors/bob").await.text().await.unwrap();
        assert_eq!(table(&html, "Pairs of @bob").len(), 2);
        assert!(links(&html, "@alice").is_empty(), "growth is the pair's: no link for a manager");
        for who in ["alice", "dave"] {
            fake.sign_in_as(who);
            let (cookie, _) = sign_in(&app, &client, "/").await;
            let r = get(&app, &client, &cookie, "/orgs/acme/mentors/bob").await;
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{who}");
        }
        let r = get(&app, &client, &mona, "/orgs/acme/mentors/alice").await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert!(r.text().await.unwrap().contains("@alice is not a mentor in acme"));
        app.stop().await;
    }
}
