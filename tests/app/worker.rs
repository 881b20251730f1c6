//! The worker: real (rewritten) corpus payloads become touchpoints and evidence; transient failures retry.

use std::sync::atomic::Ordering;

use crate::util::*;

const REPO: &str = "Codertocat/Hello-World";

#[tokio::test]
async fn review_comment_and_merge_become_touchpoints_and_evidence() {
    for backend in backends() {
        let app = TestApp::start(backend, ScriptedGitHub::with_config(REPO), |_| {}).await;
        let review_body = review("bob", "alice", &minutes_ago(30), 11);
        let comment = rewrite(
            fixture("pull_request_review_comment/created.payload.json"),
            &[
                ("/comment/user/login", "bob".into()),
                ("/comment/created_at", minutes_ago(29).into()),
                ("/pull_request/user/login", "alice".into()),
            ],
        );
        let issue_comment = rewrite(
            fixture("issue_comment/created.with-installation.payload.json"),
            &[
                ("/comment/user/login", "dave".into()),
                ("/comment/created_at", minutes_ago(20).into()),
                ("/issue/user/login", "erin".into()),
                (
                    "/issue/pull_request",
                    serde_json::json!({"url": "https://api.github.com/repos/x/y/pulls/1"}),
                ),
            ],
        );
        let merged = rewrite(
            fixture("pull_request/closed.payload.json"),
            &[
                ("/pull_request/user/login", "alice".into()),
                ("/pull_request/merged", true.into()),
                ("/pull_request/merged_at", minutes_ago(10).into()),
                ("/pull_request/closed_at", minutes_ago(10).into()),
            ],
        );
        assert_eq!(
            app.deliver("pull_request_review", "w-1", &review_body, SECRET).await.status(),
            202
        );
        assert_eq!(
            app.deliver("pull_request_review_comment", "w-2", &comment, SECRET).await.status(),
            202
        );
        assert_eq!(app.deliver("issue_comment", "w-3", &issue_comment, SECRET).await.status(), 202);
        assert_eq!(app.deliver("pull_request", "w-4", &merged, SECRET).await.status(), 202);
        app.wait_idle().await;
        let rows = app.store.list_deliveries(None, 10).await.unwrap();
        assert!(rows.iter().all(|r| r.status == "done" && r.processed_count == 1), "{rows:#?}");
        let mut got: Vec<(String, String, String)> = app
            .store
            .touchpoints()
            .await
            .unwrap()
            .into_iter()
            .map(|t| {
                (t.kind.to_string(), t.mentor.as_str().to_string(), t.mentee.as_str().to_string())
            })
            .collect();
        got.sort();
        let want = [
            ("comment", "dave", "erin"),
            ("review", "bob", "alice"),
            ("review_comment", "bob", "alice"),
        ];
        let want: Vec<(String, String, String)> =
            want.iter().map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string())).collect();
        assert_eq!(got, want);
        let evidence = app.store.evidence_of("alice").await.unwrap();
        assert!(evidence.iter().any(|e| e.milestone == "first-pr"), "{evidence:#?}");
        app.stop().await;
    }
}

#[tokio::test]
async fn transient_github_failure_is_retried_then_done() {
    for backend in backends() {
        let github = ScriptedGitHub::with_config(REPO);
        github.fail_next.store(2, Ordering::SeqCst);
        let app = TestApp::start(backend, github.clone(), |s| s.max_attempts = 5).await;
        let body = merged_pr("alice", &minutes_ago(3), 21);
        assert_eq!(app.deliver("pull_request", "r-1", &body, SECRET).await.status(), 202);
        app.wait_idle().await;
        let rows = app.store.list_deliveries(None, 10).await.unwrap();
        assert_eq!(
            (rows[0].status.as_str(), rows[0].attempts, rows[0].processed_count),
            ("done", 3, 1),
            "{rows:?}"
        );
        let evidence = app.store.evidence_of("alice").await.unwrap();
        assert_eq!(
            evidence.iter().filter(|e| e.milestone == "first-pr").count(),
            1,
            "{evidence:#?}"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn persistent_failure_ends_failed_with_the_error() {
    for backend in backends() {
        let github = ScriptedGitHub::with_config(REPO);
        github.fail_permanently.store(true, Ordering::SeqCst);
        let app = TestApp::start(backend, github.clone(), |s| s.max_attempts = 3).await;
        let body = merged_pr("alice", &minutes_ago(3), 31);
        assert_eq!(app.deliver("pull_request", "f-1", &body, SECRET).await.status(), 202);
        app.wait_idle().await;
        let rows = app.store.list_deliveries(None, 10).await.unwrap();
        assert_eq!(
            (rows[0].status.as_str(), rows[0].attempts, rows[0].processed_count),
            ("failed", 3, 0)
        );
        let err = rows[0].last_error.clone().unwrap();
        assert!(err.contains("502") && err.contains("gave up after 3 attempts"), "{err}");
        // Once GitHub is back, a retry processes it.
        github.fail_permanently.store(false, Ordering::SeqCst);
        assert!(app.store.retry_delivery("f-1", chrono::Utc::now()).await.unwrap());
        app.wait_idle().await;
        let rows = app.store.list_deliveries(None, 10).await.unwrap();
        assert_eq!((rows[0].status.as_str(), rows[0].processed_count), ("done", 1));
        app.stop().await;
    }
}
