//! History through GitHub's GraphQL API: the merged-pull-request query is typed from GitHub's schema at build
//! time, and the fake GitHub validates every query it receives against the same schema.

use crate::fake_graphql::{FakePull, FakePullReview, validate_query};
use crate::outbox::live;
use crate::util::*;
use serde_json::{Value, json};

fn pull(number: u64, merged_at: &str) -> FakePull {
    FakePull {
        number,
        title: format!("Change {number}"),
        author: "alice".into(),
        merged_at: merged_at.into(),
        labels: vec!["backend".into()],
        files: vec![("src/lib.rs".into(), 10, 2)],
        merge_message: format!("Change {number}\n\nMentored-by: bob <bob@example.com>\n"),
        reviews: vec![FakePullReview {
            id: 100 + number,
            author: "bob".into(),
            state: "APPROVED".into(),
            body: "praise: tidy".into(),
            submitted_at: merged_at.into(),
            comments: vec![(
                500 + number,
                "bob".into(),
                "nitpick: a typo".into(),
                merged_at.into(),
            )],
        }],
        comments: vec![(900 + number, "bob".into(), "Thanks!".into(), merged_at.into())],
    }
}

#[test]
fn the_apps_queries_are_valid_against_githubs_schema_and_bad_ones_are_named() {
    let query = std::fs::read_to_string(root().join("app/graphql/merged_pulls.graphql")).unwrap();
    assert_eq!(validate_query(&query), Ok(()));
    let errors = validate_query("query { repository(owner: \"a\", name: \"b\") { pullRequests(first: 1) { nodes { nope } } } }")
        .unwrap_err();
    let text = serde_json::to_string(&errors).unwrap();
    assert!(text.contains("nope") && text.contains("PullRequest"), "{text}");
}

#[tokio::test]
async fn merged_pulls_pages_through_a_repositorys_history_over_graphql() {
    // Parsing GitHub's 1.2 MB schema takes a while in a debug build: do it before the client's timeouts run.
    assert_eq!(validate_query("{ viewer { login } }"), Ok(()));
    let fake = crate::fake_github::FakeGitHub::start().await;
    fake.add_installation(1, "acme", &["acme/api"]);
    for (n, at) in
        [(1, "2026-10-01T10:00:00Z"), (2, "2026-10-05T10:00:00Z"), (3, "2026-10-09T10:00:00Z")]
    {
        fake.add_merged_pull("acme/api", pull(n, at));
    }
    let github = live(&fake);
    use mentor_app::github::graphql::{MergedPulls, merged_pulls, query};
    let vars = |name: &str, first: i64, after: Option<String>| merged_pulls::Variables {
        owner: "acme".into(),
        name: name.into(),
        first,
        after,
    };
    let first = query::<MergedPulls>(&*github, 1, vars("api", 2, None)).await.unwrap();
    let repo = first.repository.unwrap();
    let page = repo.pull_requests;
    let nodes: Vec<_> = page.nodes.unwrap().into_iter().flatten().collect();
    assert_eq!(nodes.iter().map(|p| p.number).collect::<Vec<_>>(), [3, 2], "newest first");
    assert!(page.page_info.has_next_page);
    let p = &nodes[0];
    assert_eq!(p.merged_at.map(|t| t.to_rfc3339()), Some("2026-10-09T10:00:00+00:00".into()));
    let reviews: Vec<_> = p.reviews.as_ref().unwrap().nodes.iter().flatten().flatten().collect();
    assert_eq!(reviews[0].full_database_id.as_deref(), Some("103"));
    assert_eq!(reviews[0].comments.total_count, 1);
    assert!(p.merge_commit.as_ref().unwrap().message.contains("Mentored-by: bob"));
    assert_eq!(first.rate_limit.unwrap().cost, 1);

    let second =
        query::<MergedPulls>(&*github, 1, vars("api", 2, page.page_info.end_cursor)).await.unwrap();
    let page = second.repository.unwrap().pull_requests;
    assert_eq!(
        page.nodes.unwrap().into_iter().flatten().map(|p| p.number).collect::<Vec<_>>(),
        [1]
    );
    assert!(!page.page_info.has_next_page);
    assert_eq!(fake.count("/graphql"), 2);
    assert!(fake.requests().iter().all(|r| r.rejected.is_none()), "{:#?}", fake.requests());

    // GitHub's errors come back as errors: a repository the installation cannot see, too big a page.
    let missing = query::<MergedPulls>(&*github, 1, vars("nope", 2, None)).await.unwrap_err();
    assert!(missing.to_string().contains("Could not resolve to a Repository"), "{missing}");
    let too_many = query::<MergedPulls>(&*github, 1, vars("api", 500, None)).await.unwrap_err();
    assert!(too_many.to_string().contains("exceeds the `first` limit of 100"), "{too_many}");
}

const REPO: &str = "Codertocat/Hello-World";
const JOURNAL: &str = "Codertocat/journal";

/// A fake GitHub with the test program (journals in a private repository) and `count` merged pull requests of
/// alice in [`REPO`], numbered from 2, one a day back from 2026-11-10, each reviewed by bob with an inline comment
/// and a conversation comment.
async fn history(count: u64) -> crate::fake_github::FakeGitHub {
    let fake = crate::fake_github::FakeGitHub::start().await;
    fake.put_file(
        REPO,
        ".github/mentorship.yml",
        &format!("{}\nprivacy: {{ journal_repo: {JOURNAL} }}\n", config_yaml()),
    );
    let last = chrono::DateTime::parse_from_rfc3339("2026-11-10T10:00:00Z").unwrap().to_utc();
    for i in 0..count {
        let at = (last - chrono::Duration::days(i as i64))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        fake.add_merged_pull(REPO, pull(2 + i, &at));
    }
    fake
}

/// The `installation` `created` event of installation 1 on Codertocat with [`REPO`].
fn installed() -> Vec<u8> {
    rewrite(fixture("installation/created.payload.json"), &[("/installation/id", 1.into())])
}

/// Waits until every backfill is done or failed (panics after 30 s) and returns the org's progress.
async fn backfilled(store: &mentor_app::store::Store) -> mentor_app::backfill::OrgProgress {
    for _ in 0..600 {
        let rows = store.backfills(None).await.unwrap();
        if !rows.is_empty() && rows.iter().all(|r| r.status == "done" || r.status == "failed") {
            return mentor_app::backfill::OrgProgress::of(rows).remove(0);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("backfill still running: {:#?}", store.backfills(None).await.unwrap());
}

/// The webhooks GitHub sent for [`pull`]`(number, at)`.
fn webhooks(number: u64, at: &str) -> Vec<(&'static str, Vec<u8>)> {
    let pr = |payload: Value| {
        rewrite(
            payload,
            &[("/pull_request/number", number.into()), ("/repository/private", true.into())],
        )
    };
    vec![
        ("pull_request", {
            let merged: Value = serde_json::from_slice(&merged_pr("alice", at, number)).unwrap();
            let sha = format!("{number:040x}");
            let edits = [
                ("/pull_request/labels", json!([{"name": "backend"}])),
                ("/pull_request/merge_commit_sha", json!(sha)),
            ];
            pr(serde_json::from_slice(&rewrite(merged, &edits)).unwrap())
        }),
        ("pull_request_review", {
            let mut r: Value =
                serde_json::from_slice(&review("bob", "alice", at, 100 + number)).unwrap();
            r["review"]["body"] = json!("praise: tidy");
            pr(r)
        }),
        (
            "pull_request_review_comment",
            pr(serde_json::from_slice(&rewrite(
                fixture("pull_request_review_comment/created.payload.json"),
                &[
                    ("/comment/id", (500 + number).into()),
                    ("/comment/user/login", "bob".into()),
                    ("/comment/body", "nitpick: a typo".into()),
                    ("/comment/created_at", at.into()),
                    ("/pull_request/user/login", "alice".into()),
                ],
            ))
            .unwrap()),
        ),
        (
            "issue_comment",
            rewrite(
                fixture("issue_comment/created.with-installation.payload.json"),
                &[
                    ("/comment/id", (900 + number).into()),
                    ("/comment/user/login", "bob".into()),
                    ("/comment/body", "Thanks!".into()),
                    ("/comment/created_at", at.into()),
                    ("/issue/user/login", "alice".into()),
                    ("/issue/number", number.into()),
                    ("/issue/pull_request", json!({"url": "x"})),
                    ("/repository/private", true.into()),
                ],
            ),
        ),
    ]
}

async fn keys(store: &mentor_app::store::Store) -> (Vec<String>, Vec<String>) {
    let mut t: Vec<String> =
        store.touchpoints_of("codertocat").await.unwrap().into_iter().map(|t| t.key).collect();
    let mut e: Vec<String> =
        store.evidence_of_org("codertocat").await.unwrap().into_iter().map(|e| e.key).collect();
    t.sort();
    e.sort();
    (t, e)
}

#[tokio::test]
async fn installing_backfills_history_with_the_keys_its_webhooks_make_and_writes_only_journals() {
    assert_eq!(validate_query("{ viewer { login } }"), Ok(()));
    for backend in backends() {
        let fake = history(3).await;
        // Older than the 180-day window: never read.
        fake.add_merged_pull(REPO, pull(90, "2026-03-01T10:00:00Z"));
        let app = TestApp::start(backend, live(&fake), |_| {}).await;
        assert_eq!(app.deliver("installation", "i-1", &installed(), SECRET).await.status(), 202);
        let progress = backfilled(&app.store).await;
        assert_eq!(
            (progress.status, progress.repos, progress.repos_done, progress.prs_read),
            ("done", 1, 1, 3),
            "{progress:#?}"
        );
        assert_eq!(progress.requests, 1, "three pull requests fit one page");
        assert_eq!(fake.graphql_calls().len(), 1);
        crate::outbox::settle(&app).await;
        let backfilled_keys = keys(&app.store).await;
        // Three reviews, three review comments, three comments by bob on alice's pull requests; one evidence
        // row per merged pull request under src/ and the review milestone stays bob's to give.
        assert_eq!(backfilled_keys.0.len(), 9, "{backfilled_keys:#?}");
        assert_eq!(backfilled_keys.1.len(), 3, "{backfilled_keys:#?}");
        // Nothing written to the pull requests; one journal for alice, whose evidence it lists.
        let writes: Vec<_> = fake
            .requests()
            .into_iter()
            .filter(|r| {
                r.method != "GET" && r.path != "/graphql" && !r.path.contains("access_tokens")
            })
            .collect();
        assert_eq!(writes.len(), 1, "{writes:#?}");
        let journals = fake.issues(JOURNAL);
        assert_eq!(journals.len(), 1);
        assert_eq!(journals[0].title, "Growth journal: @alice");
        assert!(
            journals[0].body.contains("Codertocat/Hello-World#4 (2026-11-08)"),
            "{}",
            journals[0].body
        );

        // The same pull requests' webhooks, arriving late, add nothing…
        for n in 2..5u64 {
            let at = format!("2026-11-{:02}T10:00:00Z", 12 - n);
            for (i, (event, body)) in webhooks(n, &at).into_iter().enumerate() {
                let id = format!("late-{n}-{i}");
                assert_eq!(app.deliver(event, &id, &body, SECRET).await.status(), 202);
            }
        }
        crate::outbox::settle(&app).await;
        assert_eq!(keys(&app.store).await, backfilled_keys);
        let db = app.stop().await;
        drop(db);

        // …and on a fresh install they make exactly the rows backfilling made.
        let fresh = crate::fake_github::FakeGitHub::start().await;
        fresh.put_file(REPO, ".github/mentorship.yml", &config_yaml());
        for n in 2..5u64 {
            fresh.put_pr_files(REPO, n, &[("src/lib.rs", 10, 2)]);
            fresh.put_pr_reviews(REPO, n, &[("bob", "APPROVED", "2026-11-01T00:00:00Z")]);
            let message = format!("Change {n}\n\nMentored-by: bob <bob@example.com>\n");
            fresh.put_commit(REPO, &format!("{n:040x}"), &message);
        }
        let live_app = TestApp::start(backend, live(&fresh), |s| {
            s.backfill = mentor_app::settings::HistoryWindow(None)
        })
        .await;
        for n in 2..5u64 {
            let at = format!("2026-11-{:02}T10:00:00Z", 12 - n);
            for (i, (event, body)) in webhooks(n, &at).into_iter().enumerate() {
                let id = format!("live-{n}-{i}");
                assert_eq!(live_app.deliver(event, &id, &body, SECRET).await.status(), 202);
            }
        }
        live_app.wait_idle().await;
        assert_eq!(keys(&live_app.store).await, backfilled_keys);
        live_app.stop().await;
    }
}
