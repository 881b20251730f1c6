//! History through GitHub's GraphQL API: the merged-pull-request query is typed from GitHub's schema at build
//! time, and the fake GitHub validates every query it receives against the same schema.

use crate::fake_graphql::{FakePull, FakePullReview, validate_query};
use crate::outbox::live;
use crate::util::*;
use mentor_app::store::BackfillStatus;
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
    history_every(count, chrono::Duration::days(1)).await
}

/// [`history`] with the pull requests `step` apart.
async fn history_every(count: u64, step: chrono::Duration) -> crate::fake_github::FakeGitHub {
    let fake = crate::fake_github::FakeGitHub::start().await;
    fake.put_file(
        REPO,
        ".github/mentorship.yml",
        &format!("{}\nprivacy: {{ journal_repo: {JOURNAL} }}\n", config_yaml()),
    );
    let last = chrono::DateTime::parse_from_rfc3339("2026-11-10T10:00:00Z").unwrap().to_utc();
    for i in 0..count {
        let at = (last - step * i as i32).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
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
        if !rows.is_empty()
            && rows
                .iter()
                .all(|r| matches!(r.status, BackfillStatus::Done | BackfillStatus::Failed))
        {
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

/// A backfill runner of its own (as another process would be) over `store` and `fake`.
fn runner(
    store: &mentor_app::store::Store,
    fake: &crate::fake_github::FakeGitHub,
) -> std::sync::Arc<mentor_app::backfill::Backfill> {
    let github = live(fake);
    std::sync::Arc::new(mentor_app::backfill::Backfill::new(
        store.clone(),
        std::sync::Arc::new(mentor_app::config_source::ConfigSource::new(github.clone())),
        github,
        mentor_app::clock::Clock::system(),
        std::sync::Arc::new(tokio::sync::Notify::new()),
    ))
}

/// The `first` and `after` of every `MergedPulls` request so far.
fn pages_asked(fake: &crate::fake_github::FakeGitHub) -> Vec<(u64, Option<String>)> {
    fake.graphql_calls()
        .into_iter()
        .filter(|(operation, _)| operation == "MergedPulls")
        .map(|(_, v)| (v["first"].as_u64().unwrap(), v["after"].as_str().map(str::to_owned)))
        .collect()
}

#[tokio::test]
async fn a_killed_backfill_continues_after_the_last_page_it_stored() {
    assert_eq!(validate_query("{ viewer { login } }"), Ok(()));
    for backend in backends() {
        let fake = history(120).await;
        let db = TestDb::new(backend).await;
        let store = mentor_app::store::Store::connect(&db.url).await.unwrap();
        let since = now() - chrono::Duration::days(180);
        store.request_backfill("codertocat", 1, &[REPO.into()], since, false, now()).await.unwrap();
        // Points for one page of 50 (15) and no more: after storing it the reader waits for the reset an hour
        // away, and is killed there.
        fake.set_graphql_budget(20, std::time::Duration::from_secs(3600));
        let first = runner(&store, &fake);
        let task = tokio::spawn({
            let first = first.clone();
            async move {
                let (_stop, mut stopped) = tokio::sync::watch::channel(false);
                first.drain(None, &mut stopped).await
            }
        });
        let mut stored = None;
        for _ in 0..600 {
            let row = store.backfills(None).await.unwrap().remove(0);
            if row.prs > 0 {
                stored = Some(row);
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let stored = stored.expect("the first page is stored");
        task.abort();
        assert!(task.await.unwrap_err().is_cancelled());
        assert_eq!((stored.prs, stored.requests, stored.status.as_str()), (50, 1, "queued"));
        assert!(stored.cursor.is_some());
        assert_eq!(pages_asked(&fake).len(), 1);

        // Another process: locked out while the dead reader's lease runs, it takes over once the lease expires.
        fake.set_graphql_budget(5000, std::time::Duration::from_secs(3600));
        let second = runner(&store, &fake);
        let (_stop, mut stopped) = tokio::sync::watch::channel(false);
        assert!(!second.drain(None, &mut stopped).await.unwrap(), "the lease is still held");
        let expired = chrono::Utc::now() + chrono::Duration::seconds(61);
        let ttl = mentor_app::backfill::LEASE_TTL;
        assert!(
            store
                .acquire_lease(mentor_app::backfill::LEASE, &second.holder, expired, ttl)
                .await
                .unwrap()
        );
        assert!(second.drain(None, &mut stopped).await.unwrap());

        let asked = pages_asked(&fake);
        assert_eq!(asked.len(), 3, "{asked:?}");
        assert_eq!(asked[1].1, stored.cursor, "the second reader starts after the stored page");
        let progress = mentor_app::backfill::OrgProgress::of(store.backfills(None).await.unwrap());
        assert_eq!(
            (progress[0].status, progress[0].prs_read, progress[0].requests),
            ("done", 120, 3),
            "{progress:#?}"
        );
        // Every pull request once: three touchpoints and one evidence row each, none twice.
        let (touchpoints, evidence) = keys(&store).await;
        assert_eq!((touchpoints.len(), evidence.len()), (360, 120));
        store.close().await;
    }
}

#[tokio::test]
async fn a_timeout_halves_the_page_and_low_points_wait_for_the_reset() {
    assert_eq!(validate_query("{ viewer { login } }"), Ok(()));
    for backend in backends() {
        let fake = history(60).await;
        // The first page times out at GitHub (502); 25 pull requests cost 7 points and leave 9, less than two
        // more pages: the reader waits for the reset three seconds away (GitHub gives it to the second) instead of being refused.
        fake.inject("/graphql", crate::fake_github::Fault::Status(502));
        fake.set_graphql_budget(16, std::time::Duration::from_secs(3));
        let started = std::time::Instant::now();
        let app = TestApp::start(backend, live(&fake), |_| {}).await;
        assert_eq!(app.deliver("installation", "i-1", &installed(), SECRET).await.status(), 202);
        let progress = backfilled(&app.store).await;
        let waited = started.elapsed();
        assert_eq!((progress.status, progress.prs_read), ("done", 60), "{progress:#?}");
        // The request that timed out never reached GitHub's GraphQL executor; the three after it asked for 25.
        let firsts: Vec<u64> = pages_asked(&fake).into_iter().map(|(first, _)| first).collect();
        assert_eq!(firsts, [25, 25, 25]);
        assert_eq!(fake.count("/graphql"), 4);
        assert_eq!(progress.repositories[0].page_size, 25);
        assert!(waited >= std::time::Duration::from_millis(1900), "{waited:?}");
        // No request was refused for points (a refusal would have queued the repository for a minute).
        assert_eq!(progress.requests, 4);
        assert_eq!(progress.points as i64, fake.graphql_points());

        // The progress, for admins only.
        let path = "/api/v1/orgs/codertocat/backfill";
        let admin = create(&app, &mentor_app::token::Role::Admin).await;
        let manager = create(&app, &mentor_app::token::Role::Manager).await;
        let answer = app.get(path, Some(&admin)).await;
        assert_eq!(answer.status(), 200);
        let body: Value = answer.json().await.unwrap();
        assert_eq!(
            (&body["org"], &body["repos_done"], &body["prs_read"], &body["status"]),
            (&json!("codertocat"), &json!(1), &json!(60), &json!("done"))
        );
        assert_eq!(body["repositories"][0]["repo"], json!(REPO));
        assert_eq!(app.get(path, Some(&manager)).await.status(), 403);
        assert_eq!(app.get(path, None).await.status(), 401);
        let other = "/api/v1/orgs/octo-org/backfill";
        assert_eq!(app.get(other, Some(&admin)).await.status(), 403, "another org's");
        app.stop().await;
    }
}

async fn create(app: &TestApp, role: &mentor_app::token::Role) -> String {
    mentor_app::token::create_token(&app.store, "codertocat", role).await.unwrap()
}

#[tokio::test]
async fn the_backfill_command_reads_an_orgs_history_and_reports_its_progress() {
    assert_eq!(validate_query("{ viewer { login } }"), Ok(()));
    for backend in backends() {
        let fake = history(45).await;
        fake.add_merged_pull(REPO, pull(90, "2026-03-01T10:00:00Z"));
        // The org installs the App while history at install is off.
        let app = TestApp::start(backend, live(&fake), |s| {
            s.backfill = mentor_app::settings::HistoryWindow(None)
        })
        .await;
        assert_eq!(app.deliver("installation", "i-1", &installed(), SECRET).await.status(), 202);
        app.wait_idle().await;
        assert!(app.store.backfills(None).await.unwrap().is_empty());
        let admin = create(&app, &mentor_app::token::Role::Admin).await;
        let none = app.get("/api/v1/orgs/codertocat/backfill", Some(&admin)).await;
        assert_eq!(none.status(), 404);
        let db = app.stop().await;

        let key = db.dir.path().join("app.pem");
        std::fs::write(&key, crate::fake_github::private_key_pem()).unwrap();
        let backfill = |args: &[&str]| {
            let mut cmd = crate::cli::bin(&db.url);
            cmd.env("MENTOR_APP_ID", crate::fake_github::APP_ID.to_string())
                .env("MENTOR_PRIVATE_KEY_FILE", &key)
                .env("MENTOR_GITHUB_API_URL", fake.api_url())
                .current_dir(db.dir.path())
                .arg("backfill")
                .args(args);
            cmd
        };
        let out = output(backfill(&["--org", "Codertocat", "--since", "2026-06-01"])).await;
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
        assert!(stdout.contains("since 2026-06-01"), "{stdout}");
        assert!(stdout.contains("45 pull requests"), "{stdout}");
        // One request for 45 pull requests; the one merged in March is outside the window.
        assert_eq!(pages_asked(&fake).len(), 1);

        let status = output(backfill(&["status", "--json"])).await;
        assert!(status.status.success());
        let status: Value = serde_json::from_slice(&status.stdout).unwrap();
        let org = &status["orgs"][0];
        assert_eq!(
            (&org["org"], &org["repos"], &org["repos_done"], &org["prs_read"], &org["requests"]),
            (&json!("codertocat"), &json!(1), &json!(1), &json!(45), &json!(1)),
            "{status:#}"
        );
        assert_eq!(org["points"], json!(fake.graphql_points()));
        assert_eq!(org["status"], json!("done"));
        let text = output(backfill(&["status"])).await;
        assert!(String::from_utf8_lossy(&text.stdout).contains("codertocat"));

        // What the command cannot do is said, with what to do instead.
        let unknown = output(backfill(&["--org", "octo-org"])).await;
        assert!(!unknown.status.success());
        let why = String::from_utf8_lossy(&unknown.stderr);
        assert!(why.contains("octo-org has not installed the App"), "{why}");
        let elsewhere = output(backfill(&["--org", "codertocat", "--repo", "octo-org/x"])).await;
        assert!(!elsewhere.status.success());
        assert!(
            String::from_utf8_lossy(&elsewhere.stderr)
                .contains("expected a repository of codertocat")
        );
        let hidden =
            output(backfill(&["--org", "codertocat", "--repo", "codertocat/secret"])).await;
        assert!(
            String::from_utf8_lossy(&hidden.stderr).contains("the App cannot see this repository")
        );
        let no_org = output(backfill(&[])).await;
        assert!(String::from_utf8_lossy(&no_org.stderr).contains("--org is missing"));

        // Reading one repository again, however its name is typed, reads the same row and adds nothing.
        let again =
            output(backfill(&["--org", "codertocat", "--repo", "codertocat/hello-world"])).await;
        assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
        let status = output(backfill(&["status", "--json"])).await;
        let status: Value = serde_json::from_slice(&status.stdout).unwrap();
        assert_eq!(status["orgs"][0]["repositories"].as_array().unwrap().len(), 1, "{status:#}");

        // The history counts, and the server sends the one journal the command planned.
        let app = TestApp::start_on(db, live(&fake), |_| {}).await;
        let (touchpoints, evidence) = keys(&app.store).await;
        assert_eq!((touchpoints.len(), evidence.len()), (135, 45));
        crate::outbox::settle(&app).await;
        assert_eq!(fake.issues(JOURNAL).len(), 1);
        app.stop().await;
    }
}

/// Runs `cmd` without blocking the test's runtime (the fake GitHub answers on it).
async fn output(cmd: std::process::Command) -> std::process::Output {
    tokio::process::Command::from(cmd).output().await.unwrap()
}

/// The backfill benchmark (`bench/backfill.sh`): 5,000 merged pull requests of one repository, each with a review,
/// an inline comment and a conversation comment, read from the fake GitHub into a fresh database; prints the
/// requests and points per 100 pull requests and the wall time. Ignored in the test run (it measures, it does not
/// check behaviour beyond the counts).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: bench/backfill.sh runs it in a release build"]
async fn bench_backfill_5000_pull_requests() {
    let count: u64 = std::env::var("BENCH_PULLS").ok().and_then(|n| n.parse().ok()).unwrap_or(5000);
    assert_eq!(validate_query("{ viewer { login } }"), Ok(()));
    for backend in backends() {
        // Half an hour apart: 5,000 pull requests in the last 105 days, all while the pair is in force.
        let fake = history_every(count, chrono::Duration::minutes(30)).await;
        let db = TestDb::new(backend).await;
        let store = mentor_app::store::Store::connect(&db.url).await.unwrap();
        let since = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap().to_utc();
        store.request_backfill("codertocat", 1, &[REPO.into()], since, false, now()).await.unwrap();
        let reader = runner(&store, &fake);
        let (_stop, mut stopped) = tokio::sync::watch::channel(false);
        let started = std::time::Instant::now();
        assert!(reader.drain(None, &mut stopped).await.unwrap());
        let wall = started.elapsed();
        let progress = mentor_app::backfill::OrgProgress::of(store.backfills(None).await.unwrap());
        let p = &progress[0];
        assert_eq!((p.status, p.prs_read), ("done", count), "{p:#?}");
        let (touchpoints, evidence) = keys(&store).await;
        assert_eq!((touchpoints.len() as u64, evidence.len() as u64), (3 * count, count));
        let per100 = |n: u64| n as f64 * 100.0 / count as f64;
        println!(
            "{backend:?}: {count} pull requests in {:.2} s ({:.0} per second); {} requests ({:.1} per 100), {} points ({:.1} per 100); {} touchpoints, {} evidence rows",
            wall.as_secs_f64(),
            count as f64 / wall.as_secs_f64(),
            p.requests,
            per100(p.requests),
            p.points,
            per100(p.points),
            touchpoints.len(),
            evidence.len(),
        );
        store.close().await;
    }
}
