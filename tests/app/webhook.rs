//! `POST /webhook`: signature, size, headers, JSON, ping, ignored events, durability and dedupe.

use mentor_app::store::DeliveryStatus;
use std::sync::Arc;

use crate::util::*;

#[tokio::test]
async fn signature_valid_rotated_invalid_and_missing() {
    for backend in backends() {
        let app =
            TestApp::start(backend, ScriptedGitHub::with_config("Codertocat/Hello-World"), |_| {})
                .await;
        let body = review("bob", "alice", &minutes_ago(5), 1);
        assert_eq!(app.deliver("pull_request_review", "sig-1", &body, SECRET).await.status(), 202);
        assert_eq!(app.deliver("pull_request_review", "sig-2", &body, ROTATED).await.status(), 202);
        let bad = app.deliver("pull_request_review", "sig-3", &body, "wrong").await;
        assert_eq!(bad.status(), 401);
        let text = bad.text().await.unwrap();
        assert!(text.contains("invalid signature"), "{text}");
        let missing = app
            .http
            .post(format!("{}/webhook", app.base))
            .header("x-github-event", "pull_request_review")
            .header("x-github-delivery", "sig-4")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(missing.status(), 401);
        // A signature over other bytes does not verify this body.
        let tampered = app
            .http
            .post(format!("{}/webhook", app.base))
            .header("x-github-event", "pull_request_review")
            .header("x-github-delivery", "sig-5")
            .header("x-hub-signature-256", mentor_app::webhook::sign(SECRET, b"{}"))
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(tampered.status(), 401);
        let rows = app.store.list_deliveries(None, 100).await.unwrap();
        let mut ids: Vec<_> = rows.iter().map(|r| r.id.as_str()).collect();
        ids.sort();
        assert_eq!(ids, ["sig-1", "sig-2"], "only verified deliveries are stored");
        app.stop().await;
    }
}

#[tokio::test]
async fn oversized_body_is_413() {
    for backend in backends() {
        let app =
            TestApp::start(backend, ScriptedGitHub::with_config("x/y"), |s| s.max_body = 4096)
                .await;
        let big = format!("{{\"action\":\"submitted\",\"pad\":\"{}\"}}", "x".repeat(8000));
        let resp = app.deliver("pull_request_review", "big-1", big.as_bytes(), SECRET).await;
        assert_eq!(resp.status(), 413);
        let small = review("bob", "alice", &minutes_ago(1), 7);
        assert!(small.len() < 40_000);
        app.stop().await;
    }
}

#[tokio::test]
async fn missing_headers_and_malformed_json_are_400() {
    for backend in backends() {
        let app = TestApp::start(backend, ScriptedGitHub::with_config("x/y"), |_| {}).await;
        let body = br#"{"action":"submitted"}"#;
        let sig = mentor_app::webhook::sign(SECRET, body);
        let post = |event: Option<&str>,
                    delivery: Option<&str>,
                    body: &'static [u8],
                    sig: String| {
            let mut req =
                app.http.post(format!("{}/webhook", app.base)).header("x-hub-signature-256", sig);
            if let Some(e) = event {
                req = req.header("x-github-event", e);
            }
            if let Some(d) = delivery {
                req = req.header("x-github-delivery", d);
            }
            req.body(body).send()
        };
        let r = post(None, Some("h-1"), body, sig.clone()).await.unwrap();
        assert_eq!(r.status(), 400);
        assert!(r.text().await.unwrap().contains("missing x-github-event header"));
        let r = post(Some("pull_request_review"), None, body, sig.clone()).await.unwrap();
        assert_eq!(r.status(), 400);
        assert!(r.text().await.unwrap().contains("missing x-github-delivery header"));
        let broken = b"{\"action\": \"submitted\",";
        let r = post(
            Some("pull_request_review"),
            Some("h-2"),
            broken,
            mentor_app::webhook::sign(SECRET, broken),
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 400);
        let v: serde_json::Value = r.json().await.unwrap();
        assert!(v["error"].as_str().unwrap().starts_with("malformed JSON payload"), "{v}");
        assert!(app.store.list_deliveries(None, 10).await.unwrap().is_empty());
        app.stop().await;
    }
}

#[tokio::test]
async fn ping_is_200_and_ignored_events_are_recorded_without_payload() {
    for backend in backends() {
        let app = TestApp::start(backend, ScriptedGitHub::with_config("x/y"), |_| {}).await;
        let ping = std::fs::read(root().join("tests/fixtures/webhooks/ping/payload.json")).unwrap();
        assert_eq!(app.deliver("ping", "p-1", &ping, SECRET).await.status(), 200);
        let star = std::fs::read(root().join("tests/fixtures/webhooks/star/created.payload.json"))
            .unwrap();
        assert_eq!(app.deliver("star", "s-1", &star, SECRET).await.status(), 202);
        app.wait_idle().await;
        let rows = app.store.list_deliveries(None, 10).await.unwrap();
        assert_eq!(rows.len(), 1, "ping is not stored: {rows:?}");
        assert_eq!((rows[0].id.as_str(), rows[0].status.as_str()), ("s-1", "ignored"));
        assert_eq!(rows[0].processed_count, 0);
        app.stop().await;
    }
}

#[tokio::test]
async fn accepted_delivery_is_durable_and_a_redelivery_is_processed_once() {
    for backend in backends() {
        let github = ScriptedGitHub::with_config("Codertocat/Hello-World");
        let app = TestApp::start(backend, github, |s| s.workers = 4).await;
        let body = review("bob", "alice", &minutes_ago(5), 4242);
        for _ in 0..3 {
            assert_eq!(
                app.deliver("pull_request_review", "dup-1", &body, SECRET).await.status(),
                202
            );
        }
        app.wait_idle().await;
        // Stop and reopen: what was answered 202 is on disk.
        let db = app.stop().await;
        let app =
            TestApp::start_on(db, ScriptedGitHub::with_config("Codertocat/Hello-World"), |_| {})
                .await;
        assert_eq!(app.deliver("pull_request_review", "dup-1", &body, SECRET).await.status(), 202);
        app.wait_idle().await;
        let rows = app.store.list_deliveries(None, 10).await.unwrap();
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(
            (rows[0].status.as_str(), rows[0].processed_count, rows[0].attempts),
            ("done", 1, 1)
        );
        let touchpoints = app.store.touchpoints_of("codertocat").await.unwrap();
        assert_eq!(touchpoints.len(), 1, "{touchpoints:?}");
        app.stop().await;
    }
}

/// Every payload of the vendored corpus (tests/fixtures/webhooks) gets an answer below 500 and ends done, ignored
/// or failed with its error.
#[tokio::test]
async fn every_corpus_payload_is_answered_and_settles() {
    let corpus = root().join("tests/fixtures/webhooks");
    assert!(corpus.is_dir(), "{} is missing", corpus.display());
    for backend in backends() {
        let github = Arc::new(ScriptedGitHub::default());
        for repo in ["Codertocat/Hello-World", "Octocoders/Hello-World"] {
            github
                .files
                .lock()
                .unwrap()
                .insert((repo.into(), ".github/mentorship.yml".into()), config_yaml());
        }
        let app = TestApp::start(backend, github, |s| s.workers = 4).await;
        let mut sent = 0;
        for dir in std::fs::read_dir(&corpus).unwrap() {
            let dir = dir.unwrap().path();
            if !dir.is_dir() {
                continue;
            }
            let event = dir.file_name().unwrap().to_string_lossy().into_owned();
            for file in std::fs::read_dir(&dir).unwrap() {
                let file = file.unwrap().path();
                if file.extension().is_none_or(|e| e != "json") {
                    continue;
                }
                let body = std::fs::read(&file).unwrap();
                let id = format!("{event}/{}", file.file_name().unwrap().to_string_lossy());
                let resp = app.deliver(&event, &id, &body, SECRET).await;
                assert!(resp.status().as_u16() < 300, "{id}: {}", resp.status());
                sent += 1;
            }
        }
        assert!(sent > 200, "only {sent} payloads found");
        app.wait_idle().await;
        let rows = app.store.list_deliveries(None, 10_000).await.unwrap();
        for r in &rows {
            match r.status.as_str() {
                "done" => assert_eq!(r.processed_count, 1, "{r:?}"),
                "ignored" => {}
                "failed" => {
                    assert!(r.last_error.as_deref().is_some_and(|e| !e.is_empty()), "{r:?}")
                }
                other => panic!("{} ended {other}", r.id),
            }
        }
        let done = rows.iter().filter(|r| r.status == DeliveryStatus::Done).count();
        assert!(done >= 20, "only {done} deliveries were processed");
        app.stop().await;
    }
}
