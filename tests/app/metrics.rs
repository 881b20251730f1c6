//! `GET /metrics`: Prometheus' text format with the worker's and the HTTP layer's counts and the database's depths,
//! behind `MENTOR_METRICS_TOKEN` when set.

use crate::util::*;
use mentor_app::store::WriteStatus;

#[tokio::test]
async fn metrics_count_deliveries_requests_and_depths_behind_their_token() {
    for backend in backends() {
        let app = TestApp::start(backend, ScriptedGitHub::with_config("acme/api"), |s| {
            s.metrics_token = Some("scrape-me".parse().unwrap());
        })
        .await;
        for i in 0..2u64 {
            let body = in_repo(
                &review("bob", "alice", &minutes_ago(60 - i as i64), 10 + i),
                "acme/api",
                1,
            );
            let r = app.deliver("pull_request_review", &format!("m-{i}"), &body, SECRET).await;
            assert_eq!(r.status(), 202);
        }
        app.wait_idle().await;
        assert_eq!(app.get("/metrics", None).await.status(), 401);
        assert_eq!(app.get("/metrics", Some("wrong")).await.status(), 401);
        let r = app.get("/metrics", Some("scrape-me")).await;
        assert_eq!(r.status(), 200);
        assert!(
            r.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4")
        );
        let text = r.text().await.unwrap();
        for line in [
            "mentor_deliveries_total{event=\"pull_request_review\",status=\"done\"} 2",
            "mentor_delivery_processing_seconds_count{event=\"pull_request_review\"} 2",
            "mentor_http_requests_total{method=\"POST\",route=\"/webhook\",status=\"202\"} 2",
            "mentor_inbox_deliveries{status=\"done\"} 2",
            // Every status is there, at 0 when no row has it.
            "mentor_inbox_deliveries{status=\"failed\"} 0",
            "mentor_outbox_writes{status=\"sending\"} 0",
            "mentor_worker_lag_seconds 0",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
        let value = |name: &str| -> f64 {
            let line = text
                .lines()
                .find(|l| l.starts_with(name))
                .unwrap_or_else(|| panic!("{name} in\n{text}"));
            line.rsplit_once(' ').unwrap().1.parse().unwrap()
        };
        // The process's own memory, and on SQLite what SQLite's allocator holds of it.
        let rss = value("process_resident_memory_bytes ");
        assert!(rss > 1e6, "{rss}");
        // malloc's live bytes, never more than what it holds from the system.
        let live = value("mentor_heap_bytes{kind=\"allocated\"} ");
        let held = value("mentor_heap_bytes{kind=\"held\"} ");
        assert!(live > 0.0 && live <= held, "{live} {held}");
        if backend == Backend::Sqlite {
            let used = value("mentor_sqlite_memory_bytes{kind=\"used\"} ");
            let most = value("mentor_sqlite_memory_bytes{kind=\"highwater\"} ");
            assert!(used > 0.0 && used <= most && most < rss, "{used} {most} {rss}");
        } else {
            assert!(!text.contains("mentor_sqlite_memory_bytes"), "{text}");
        }
        // Refused scrapes are counted under their route too; an unknown path under one label, not its own.
        assert!(
            text.contains(
                "mentor_http_requests_total{method=\"GET\",route=\"/metrics\",status=\"401\"} 2"
            ),
            "{text}"
        );
        app.get("/nope/123", None).await;
        let text = app.get("/metrics", Some("scrape-me")).await.text().await.unwrap();
        assert!(text.contains("route=\"unmatched\",status=\"404\"} 1"), "{text}");
        app.stop().await;
    }
}

/// What the GitHub connection saw: the rate limit left per installation, and failed writes by status code.
#[tokio::test]
async fn metrics_show_githubs_rate_limit_and_failed_writes_by_status() {
    for backend in backends() {
        let fake = crate::fake_github::FakeGitHub::start().await;
        crate::outbox::fake_with_config(&fake, "", &[("src/lib.rs", 3, 1)]);
        // GitHub refuses the review guide's comment for good (422), after a secondary rate limit (429).
        fake.inject(
            "POST /repos/Codertocat/Hello-World/issues/2/comments",
            crate::fake_github::Fault::RetryAfter(0),
        );
        fake.inject(
            "POST /repos/Codertocat/Hello-World/issues/2/comments",
            crate::fake_github::Fault::Unprocessable,
        );
        let app = TestApp::start(backend, crate::outbox::live(&fake), |_| {}).await;
        let opened = crate::outbox::pr_event("alice", "opened", &[], true);
        assert_eq!(app.deliver("pull_request", "g-1", &opened, SECRET).await.status(), 202);
        crate::outbox::settle(&app).await;
        let outbox = app.store.list_outbox(None, 10).await.unwrap();
        assert_eq!(
            outbox.iter().filter(|r| r.status == WriteStatus::Failed).count(),
            1,
            "{outbox:#?}"
        );
        let text = app.get("/metrics", None).await.text().await.unwrap();
        for line in [
            "mentor_github_rate_limit_remaining{installation=\"1\"} 4999",
            "mentor_github_rate_limit{installation=\"1\"} 5000",
            "mentor_outbox_failures_total{status=\"422\"} 1",
            "mentor_outbox_failures_total{status=\"429\"} 1",
            "mentor_outbox_writes{status=\"failed\"} 1",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
        // Reads that fail are not write failures.
        assert!(!text.contains("status=\"404\""), "{text}");
        app.stop().await;
    }
}
