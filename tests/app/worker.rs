//! The worker: real (rewritten) corpus payloads become touchpoints and evidence; transient failures retry.

use mentor_app::store::DeliveryStatus;
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
        assert!(
            rows.iter().all(|r| r.status == DeliveryStatus::Done && r.processed_count == 1),
            "{rows:#?}"
        );
        let mut got: Vec<(String, String, String)> = app
            .store
            .touchpoints_of("codertocat")
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
        let evidence = app.store.evidence_of("codertocat", "alice").await.unwrap();
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
        let evidence = app.store.evidence_of("codertocat", "alice").await.unwrap();
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

/// Results recorded for a batch: a claim taken over by another worker meanwhile (its lease expired) is discarded
/// with its effects, while the current claims of the same batch are recorded, each exactly once.
#[tokio::test]
async fn finishing_a_batch_records_current_claims_and_discards_stale_ones() {
    use mentor_app::store::{Finished, NewDelivery, Outcome, Store};
    use mentor_core::{Login, Touchpoint, TouchpointKind};
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let store = Store::connect(&db.url).await.unwrap();
        let t0 = chrono::Utc::now();
        let lease = std::time::Duration::from_secs(60);
        let delivery = |i: u32| NewDelivery {
            id: format!("d-{i}"),
            event: "pull_request_review".into(),
            action: Some("submitted".into()),
            status: DeliveryStatus::Pending,
            payload: Some(format!("{{\"n\":{i}}}")),
            packed: None,
        };
        // d-0 is claimed at t0 (lease until t0+60 s), d-1 and d-2 at t0+30 s (lease until t0+90 s).
        store.insert_deliveries(&[delivery(0)], t0).await.unwrap();
        let mut first = store.claim(t0, lease, 10).await.unwrap();
        let t1 = t0 + chrono::Duration::seconds(30);
        store.insert_deliveries(&[delivery(1), delivery(2)], t1).await.unwrap();
        first.extend(store.claim(t1, lease, 10).await.unwrap());
        assert_eq!(first.len(), 3, "{backend:?}");
        // At t0+70 s d-0's lease has run out and another worker claims it again (attempt 2).
        let later = t0 + chrono::Duration::seconds(70);
        let again = store.claim(later, lease, 10).await.unwrap();
        assert_eq!(
            again.iter().map(|c| (c.id.as_str(), c.attempts)).collect::<Vec<_>>(),
            [("d-0", 2)],
            "{backend:?}"
        );
        let touchpoint = |key: String| Touchpoint {
            key,
            kind: TouchpointKind::Review,
            mentor: Login::new("bob"),
            mentee: Login::new("alice"),
            minutes: 10,
            at: t0,
            source: "o/r#1".into(),
            url: None,
        };
        let results: Vec<_> = first
            .iter()
            .map(|c| {
                let outcome = Outcome {
                    touchpoints: vec![touchpoint(format!("tp-{}", c.id))],
                    repo: Some(("o/r".into(), 7)),
                    org: Some(("o".into(), 7)),
                    ..Outcome::default()
                };
                (c.clone(), Finished::Done(Box::new(outcome)))
            })
            .collect();
        let recorded = store.finish(&results, later).await.unwrap();
        assert_eq!(recorded, 2, "{backend:?}: the stale claim of d-0 must not be recorded");
        let keys: Vec<String> =
            store.touchpoints_of("o").await.unwrap().into_iter().map(|t| t.key).collect();
        assert_eq!(keys, ["tp-d-1", "tp-d-2"], "{backend:?}");
        for row in store.list_deliveries(None, 10).await.unwrap() {
            let got = (row.status.as_str(), row.processed_count, row.repo.as_deref());
            let want =
                if row.id == "d-0" { ("processing", 0, None) } else { ("done", 1, Some("o/r")) };
            assert_eq!(got, want, "{backend:?}: {}", row.id);
        }
        // Finishing the same results again records nothing more.
        assert_eq!(store.finish(&results, later).await.unwrap(), 0, "{backend:?}");
        store.close().await;
    }
}

/// The inbox claims new pending deliveries in the transaction that stores them (the workers' handoff): ignored
/// deliveries and ids already stored are never claimed, such a claim is an ordinary one (attempt 1, a lease,
/// fenced when recorded), and a released claim can be claimed again at once.
#[tokio::test]
async fn deliveries_claimed_as_they_are_stored_are_ordinary_claims() {
    use mentor_app::store::{ClaimedDelivery, Finished, NewDelivery, Store};
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let store = Store::connect(&db.url).await.unwrap();
        let t0 = chrono::Utc::now();
        let lease = std::time::Duration::from_secs(60);
        let delivery = |id: &str, status: &str| NewDelivery {
            id: id.into(),
            event: "pull_request_review".into(),
            action: Some("submitted".into()),
            status: status.parse().unwrap(),
            payload: (status == "pending").then(|| format!("{{\"id\":\"{id}\"}}")),
            packed: None,
        };
        store.insert_deliveries(&[delivery("known", "pending")], t0).await.unwrap();
        let batch = [
            delivery("a", "pending"),
            delivery("ignored", "ignored"),
            delivery("known", "pending"),
            delivery("b", "pending"),
            delivery("c", "pending"),
            delivery("a", "pending"),
        ];
        // Up to three claims: a, known (already stored: not claimed) and b; c stays queued in the database.
        let claimed = store.insert_and_claim(&batch, t0, lease, 3).await.unwrap();
        assert_eq!(claimed, [0, 3], "{backend:?}");
        let mut queued: Vec<String> =
            store.claim(t0, lease, 10).await.unwrap().into_iter().map(|c| c.id).collect();
        queued.sort();
        assert_eq!(queued, ["c", "known"], "{backend:?}: a and b are leased to the worker");
        let handed = |id: &str| ClaimedDelivery {
            id: id.into(),
            event: "pull_request_review".into(),
            payload: None,
            packed: None,
            attempts: 1,
        };
        let results = vec![(handed("a"), Finished::Done(Box::default()))];
        assert_eq!(store.finish(&results, t0).await.unwrap(), 1, "{backend:?}");
        // b is given back (shutdown): claimable at once, as attempt 2; the stale attempt 1 records nothing.
        store.release(&[handed("b")]).await.unwrap();
        let again = store.claim(t0, lease, 10).await.unwrap();
        assert_eq!(
            again.iter().map(|c| (c.id.as_str(), c.attempts)).collect::<Vec<_>>(),
            [("b", 2)],
            "{backend:?}"
        );
        let stale = vec![(handed("b"), Finished::Done(Box::default()))];
        assert_eq!(store.finish(&stale, t0).await.unwrap(), 0, "{backend:?}");
        for row in store.list_deliveries(None, 10).await.unwrap() {
            let want = match row.id.as_str() {
                "a" => ("done", 1, 1),
                "b" => ("processing", 2, 0),
                "c" | "known" => ("processing", 1, 0),
                _ => ("ignored", 0, 0),
            };
            assert_eq!(
                (row.status.as_str(), row.attempts, row.processed_count),
                want,
                "{backend:?}: {}",
                row.id
            );
        }
        store.close().await;
    }
}
