//! A person's data and operating the store: `person export|erase`, the access log, `backup`, and raw payload
//! retention, each on SQLite and PostgreSQL against the real server.
//!
//! The access log records reads only: a refused read (a manager's 403) is not a read and leaves no row.

use std::sync::Arc;
use std::time::Duration;

use mentor_app::person::{REMOVAL_NOTE, REMOVED_TITLE};
use mentor_app::store::{DeliveryStatus, Store};
use mentor_app::token::{Role, create_token};
use mentor_core::Login;
use serde_json::Value;

use crate::cli::{bin, run_ok};
use crate::fake_github::FakeGitHub;
use crate::outbox::{fake_with_config, live, settle};
use crate::util::*;

const REPO: &str = "Codertocat/Hello-World";
const JOURNAL: &str = "Codertocat/journal";
const GLOBEX: &str = "globex/web";

/// Runs the binary with `args` on `db`; returns (success, stdout, stderr).
fn run(db: &str, args: &[&str], stdin: &str) -> (bool, String, String) {
    use std::io::Write as _;
    let mut child = bin(db)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Returns `person export` of `login` in `org` as JSON.
fn export(db: &str, org: &str, login: &str) -> Value {
    let text = run_ok(bin(db).args(["person", "export", "--org", org, login]));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn len(doc: &Value, key: &str) -> usize {
    doc[key].as_array().unwrap_or_else(|| panic!("no {key} in {doc:#}")).len()
}

/// Runs `sql` on the test database directly (to age rows).
async fn exec(url: &str, sql: &str) {
    use sqlx::Connection as _;
    if url.starts_with("postgres") {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::Executor::execute(&mut c, sql).await.unwrap();
    } else {
        let mut c = sqlx::SqliteConnection::connect(&format!("sqlite:{url}")).await.unwrap();
        sqlx::Executor::execute(&mut c, sql).await.unwrap();
    }
}

#[tokio::test]
async fn export_shows_one_person_and_erase_removes_them_and_their_journal() {
    for backend in backends() {
        // Another org (globex) where alice is bob's mentee too: stored first, through a scripted GitHub.
        let scripted = ScriptedGitHub::with_config(REPO);
        scripted
            .files
            .lock()
            .unwrap()
            .insert((GLOBEX.into(), ".github/mentorship.yml".into()), config_yaml());
        let app = TestApp::start(backend, scripted, |_| {}).await;
        let globex = in_repo(&review("bob", "alice", &minutes_ago(90), 31), GLOBEX, 2);
        assert_eq!(app.deliver("pull_request_review", "g-1", &globex, SECRET).await.status(), 202);
        app.wait_idle().await;
        create_token(&app.store, "globex", &Role::Mentee(Login::new("alice"))).await.unwrap();
        let db = app.stop().await;

        // Codertocat, with the journal repository, against the fake GitHub.
        let fake = FakeGitHub::start().await;
        fake_with_config(
            &fake,
            "privacy: { journal_repo: Codertocat/journal }\n",
            &[("src/lib.rs", 10, 2)],
        );
        fake.put_pr_reviews(REPO, 2, &[]);
        fake.put_pr_files(REPO, 5, &[("src/main.rs", 3, 1)]);
        fake.put_pr_reviews(REPO, 5, &[]);
        let app = TestApp::start_on(db, live(&fake), |_| {}).await;
        let url = app.db.url.clone();
        for (id, body) in [
            ("c-1", merged_pr("alice", "2026-11-20T10:00:00Z", 2)),
            ("c-2", review("bob", "alice", &minutes_ago(60), 11)),
            ("c-3", review("dave", "erin", &minutes_ago(50), 12)),
            ("c-4", merged_pr("erin", "2026-11-20T11:00:00Z", 5)),
        ] {
            let event =
                if id == "c-1" || id == "c-4" { "pull_request" } else { "pull_request_review" };
            assert_eq!(app.deliver(event, id, &body, SECRET).await.status(), 202);
        }
        settle(&app).await;
        create_token(&app.store, "codertocat", &Role::Mentee(Login::new("alice"))).await.unwrap();
        create_token(&app.store, "codertocat", &Role::Mentee(Login::new("erin"))).await.unwrap();
        assert_eq!(fake.issues(JOURNAL).len(), 2, "{:#?}", fake.issues(JOURNAL));

        let before = export(&url, "codertocat", "@Alice");
        assert_eq!(before["org"], "codertocat");
        assert_eq!(before["login"], "alice");
        assert!(len(&before, "touchpoints") >= 1, "{before:#}");
        assert!(len(&before, "evidence") >= 1, "{before:#}");
        assert_eq!(before["tokens"].as_array().unwrap().len(), 1, "{before:#}");
        assert_eq!(before["tokens"][0]["role"], "mentee:alice");
        assert_eq!(len(&before, "journals"), 1, "{before:#}");
        assert_eq!(before["journals"][0]["marker"], "journal:codertocat:bob/alice");
        assert_eq!(before["journals"][0]["repo"], JOURNAL);
        assert!(before["journals"][0]["issue"].as_i64().is_some(), "{before:#}");
        for t in before["touchpoints"].as_array().unwrap() {
            let text = t.to_string();
            assert!(text.contains("alice"), "{text}");
            assert!(!text.contains("erin") && !text.contains("dave"), "{text}");
        }
        let text = before.to_string();
        assert!(
            !text.contains("erin") && !text.contains("globex"),
            "another person's data: {text}"
        );

        // --out writes the same document to a new file and never over one.
        let out = app.db.dir.path().join("alice.json");
        let out_arg = out.to_string_lossy().into_owned();
        run_ok(bin(&url).args([
            "person",
            "export",
            "--org",
            "codertocat",
            "alice",
            "--out",
            &out_arg,
        ]));
        let saved: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        assert_eq!(saved["touchpoints"], before["touchpoints"]);
        let (ok, _, err) =
            run(&url, &["person", "export", "--org", "codertocat", "alice", "--out", &out_arg], "");
        assert!(!ok && err.contains("already exists"), "{err}");

        // Bad input says what is wrong.
        let (ok, _, err) = run(&url, &["person", "export", "--org", "nope", "alice"], "");
        assert!(!ok && err.contains("unknown org `nope`") && err.contains("codertocat"), "{err}");
        let (ok, _, err) = run(
            &url,
            &["person", "erase", "--org", "codertocat", "nobody", "--yes", "--by", "x"],
            "",
        );
        assert!(!ok && err.contains("nothing is stored about @nobody in org codertocat"), "{err}");

        let (ok, stdout, err) =
            run(&url, &["person", "export", "--org", "codertocat", "nobody"], "");
        assert!(ok, "{err}");
        assert_eq!(len(&serde_json::from_str(&stdout).unwrap(), "touchpoints"), 0);
        assert!(err.contains("Nothing is stored about @nobody in org codertocat."), "{err}");
        // Who erases is recorded: without --by, the OS user (the environment is cleared here).
        let (ok, _, err) =
            run(&url, &["person", "erase", "--org", "codertocat", "alice", "--yes"], "");
        assert!(!ok && err.contains("cannot tell who is erasing") && err.contains("--by"), "{err}");

        // Without --yes, a wrong answer erases nothing.
        let (ok, _, err) = run(
            &url,
            &["person", "erase", "--org", "codertocat", "alice", "--by", "ops-lead"],
            "bob\n",
        );
        assert!(!ok && err.contains("not confirmed: nothing was erased"), "{err}");
        assert_eq!(export(&url, "codertocat", "alice")["touchpoints"], before["touchpoints"]);

        let (ok, stdout, err) = run(
            &url,
            &["person", "erase", "--org", "codertocat", "alice", "--by", "ops-lead"],
            "alice\n",
        );
        assert!(ok, "{stdout}\n{err}");
        assert!(stdout.contains("Erased @alice in codertocat"), "{stdout}");
        assert!(
            stdout.contains("Planned the removal note on growth journal Codertocat/journal#"),
            "{stdout}"
        );
        assert!(stdout.contains("remove @alice from `people` and `pairs`"), "{stdout}");

        // The server sends the removal note: the journal issue no longer holds alice's milestones.
        settle(&app).await;
        let issues = fake.issues(JOURNAL);
        let journal = issues
            .iter()
            .find(|i| i.body.contains("mentor:journal:codertocat:bob/alice"))
            .unwrap_or_else(|| panic!("{issues:#?}"));
        assert_eq!(
            journal.body,
            format!("{REMOVAL_NOTE}\n\n<!-- mentor:journal:codertocat:bob/alice -->\n")
        );
        assert_eq!(journal.title, REMOVED_TITLE);
        let other = issues.iter().find(|i| i.body.contains("dave/erin")).unwrap();
        assert!(other.body.contains("Mentee: erin"), "{}", other.body);

        // Nothing of alice is left in codertocat; the erasure is recorded without the data.
        let after = export(&url, "codertocat", "alice");
        for key in
            ["touchpoints", "evidence", "tokens", "sessions", "snoozes", "access_log", "journals"]
        {
            assert_eq!(len(&after, key), 0, "{key}: {after:#}");
        }
        let store = Store::connect(&url).await.unwrap();
        let erasures = store.erasures("codertocat").await.unwrap();
        assert_eq!(erasures.len(), 1, "{erasures:#?}");
        assert_eq!(
            (erasures[0].login.as_str(), erasures[0].erased_by.as_str()),
            ("alice", "ops-lead")
        );
        assert!((chrono::Utc::now() - erasures[0].erased_at).num_seconds().abs() < 120);
        assert!(erasures[0].counts["touchpoints"].as_u64().unwrap() >= 1, "{erasures:#?}");
        assert!(!erasures[0].counts.to_string().contains("Hello-World"));

        // Other people, and alice in another org, are untouched.
        let erin = export(&url, "codertocat", "erin");
        assert_eq!(len(&erin, "touchpoints"), 1, "{erin:#}");
        assert_eq!(len(&erin, "evidence"), 1, "{erin:#}");
        assert_eq!(len(&erin, "journals"), 1, "{erin:#}");
        assert_eq!(len(&erin, "tokens"), 1, "{erin:#}");
        let dave = export(&url, "codertocat", "dave");
        assert_eq!(len(&dave, "touchpoints"), 1, "{dave:#}");
        let elsewhere = export(&url, "globex", "alice");
        assert_eq!(len(&elsewhere, "touchpoints"), 1, "{elsewhere:#}");
        assert_eq!(len(&elsewhere, "tokens"), 1, "{elsewhere:#}");

        // Erasing again: nothing left to erase.
        let (ok, _, err) = run(
            &url,
            &["person", "erase", "--org", "codertocat", "alice", "--yes", "--by", "x"],
            "",
        );
        assert!(!ok && err.contains("nothing is stored about @alice"), "{err}");
        store.close().await;
        app.stop().await;
    }
}

#[tokio::test]
async fn reads_of_evidence_and_feedback_are_logged_and_refusals_are_not() {
    for backend in backends() {
        let app = TestApp::start(backend, ScriptedGitHub::with_config(REPO), |_| {}).await;
        let merged = merged_pr("alice", &minutes_ago(30), 2);
        assert_eq!(app.deliver("pull_request", "a-1", &merged, SECRET).await.status(), 202);
        app.wait_idle().await;
        let bob =
            create_token(&app.store, "codertocat", &Role::Mentor(Login::new("bob"))).await.unwrap();
        let manager = create_token(&app.store, "codertocat", &Role::Manager).await.unwrap();
        let path = "/api/v1/orgs/codertocat/mentees/alice/evidence";
        assert_eq!(app.get(path, Some(&bob)).await.status(), 200);
        assert_eq!(app.get(path, Some(&manager)).await.status(), 403);
        assert_eq!(app.get("/api/v1/mentees/alice/feedback", Some(&manager)).await.status(), 403);
        assert_eq!(app.get("/api/v1/mentees/alice/feedback", Some(&bob)).await.status(), 200);

        let url = app.db.url.clone();
        let doc: Value = serde_json::from_str(&run_ok(bin(&url).args([
            "access-log",
            "--org",
            "codertocat",
            "--json",
        ])))
        .unwrap();
        let entries = doc["entries"].as_array().unwrap();
        assert_eq!(entries.len(), 2, "the manager's 403s are not reads: {doc:#}");
        let e = &entries[0];
        assert_eq!(
            (&e["org"], &e["reader_kind"], &e["reader"], &e["subject"], &e["what"], &e["route"]),
            (
                &Value::from("codertocat"),
                &Value::from("token"),
                &Value::from("mentor:bob"),
                &Value::from("alice"),
                &Value::from("evidence"),
                &Value::from("/api/v1/orgs/{org}/mentees/{login}/evidence"),
            )
        );
        assert_eq!(entries[1]["what"], "feedback");
        assert_eq!(entries[1]["route"], "/api/v1/mentees/{login}/feedback");

        let only = |args: &[&str]| {
            let mut all = vec!["access-log", "--org", "codertocat", "--json"];
            all.extend_from_slice(args);
            let doc: Value = serde_json::from_str(&run_ok(bin(&url).args(&all))).unwrap();
            doc["entries"].as_array().unwrap().len()
        };
        assert_eq!(only(&["--subject", "carol"]), 0);
        assert_eq!(only(&["--subject", "@Alice"]), 2);
        assert_eq!(only(&["--since", "2000-01-01"]), 2);
        assert_eq!(only(&["--since", "2999-01-01"]), 0);
        let table = run_ok(bin(&url).args(["access-log", "--org", "codertocat"]));
        assert!(table.starts_with("AT "), "{table}");
        assert!(table.contains("mentor:bob"), "{table}");
        let (ok, _, err) = run(&url, &["access-log", "--org", "nope"], "");
        assert!(!ok && err.contains("unknown org `nope`"), "{err}");

        // Rows older than a year are deleted by the server's periodic work.
        exec(&url, "UPDATE access_log SET at = at - 34560000000 WHERE what = 'evidence'").await;
        let db = app.stop().await;
        let app = TestApp::start_on(db, ScriptedGitHub::with_config(REPO), |_| {}).await;
        let mut left = usize::MAX;
        for _ in 0..100 {
            left = app.store.access_log("codertocat", None, None).await.unwrap().len();
            if left == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(left, 1, "the old row is pruned, the recent one kept");
        app.stop().await;
    }
}

#[tokio::test]
async fn backup_copies_sqlite_online_and_refuses_postgres() {
    for backend in backends() {
        let app = TestApp::start(backend, ScriptedGitHub::with_config(REPO), |_| {}).await;
        for (id, body) in [
            ("b-1", review("bob", "alice", &minutes_ago(30), 1)),
            ("b-2", merged_pr("alice", &minutes_ago(20), 2)),
        ] {
            let event = if id == "b-1" { "pull_request_review" } else { "pull_request" };
            assert_eq!(app.deliver(event, id, &body, SECRET).await.status(), 202);
        }
        app.wait_idle().await;
        let url = app.db.url.clone();
        let copy = app.db.dir.path().join("copy.db");
        let copy_arg = copy.to_string_lossy().into_owned();
        match backend {
            Backend::Sqlite => {
                // The server keeps running: the copy is taken online.
                let stdout = run_ok(bin(&url).args(["backup", &copy_arg]));
                assert!(
                    stdout.starts_with(&format!("Backed up the database to {copy_arg} (")),
                    "{stdout}"
                );
                let copied = Store::connect(&copy_arg).await.unwrap();
                assert_eq!(
                    copied.touchpoints_of("codertocat").await.unwrap(),
                    app.store.touchpoints_of("codertocat").await.unwrap()
                );
                assert_eq!(
                    copied.evidence_of("codertocat", "alice").await.unwrap(),
                    app.store.evidence_of("codertocat", "alice").await.unwrap()
                );
                let ids = |rows: Vec<mentor_app::store::DeliveryRow>| {
                    rows.into_iter().map(|d| (d.id, d.status)).collect::<Vec<_>>()
                };
                assert_eq!(
                    ids(copied.list_deliveries(None, 100).await.unwrap()),
                    ids(app.store.list_deliveries(None, 100).await.unwrap())
                );
                copied.close().await;
                let (ok, _, err) = run(&url, &["backup", &copy_arg], "");
                assert!(!ok && err.contains("already exists"), "{err}");
            }
            Backend::Postgres => {
                let (ok, _, err) = run(&url, &["backup", &copy_arg], "");
                assert!(!ok, "{err}");
                assert!(
                    err.contains("Use PostgreSQL's own tool")
                        && err.contains("pg_dump --format=custom"),
                    "{err}"
                );
                assert!(!err.contains(&url), "the URL (and its password) is not printed: {err}");
                assert!(!copy.exists());
            }
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn payloads_past_their_retention_are_cleared_and_derived_rows_kept() {
    for backend in backends() {
        let github: Arc<ScriptedGitHub> = ScriptedGitHub::with_config(REPO);
        let app = TestApp::start(backend, github.clone(), |_| {}).await;
        for (id, body) in [
            ("old-1", review("bob", "alice", &minutes_ago(30), 1)),
            ("old-2", merged_pr("alice", &minutes_ago(20), 2)),
            ("new-1", review("dave", "erin", &minutes_ago(10), 3)),
        ] {
            let event = if id == "old-2" { "pull_request" } else { "pull_request_review" };
            assert_eq!(app.deliver(event, id, &body, SECRET).await.status(), 202);
        }
        app.wait_idle().await;
        let touchpoints = app.store.touchpoints_of("codertocat").await.unwrap();
        let evidence = app.store.evidence_of("codertocat", "alice").await.unwrap();
        assert!(!evidence.is_empty());
        let url = app.db.url.clone();
        // Finished 40 days ago: past the default 30d.
        exec(
            &url,
            "UPDATE deliveries SET received_at = received_at - 3456000000, updated_at = updated_at - 3456000000 \
             WHERE id IN ('old-1', 'old-2')",
        )
        .await;
        let db = app.stop().await;
        let app = TestApp::start_on(db, github, |_| {}).await;
        let mut cleared = None;
        for _ in 0..100 {
            let state = app.store.payload_state("old-1").await.unwrap().unwrap();
            if !state.has_payload {
                cleared = Some(state);
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let cleared = cleared.expect("the old payload is cleared by the server's periodic work");
        assert_eq!(cleared.status, DeliveryStatus::Done);
        assert!(cleared.cleared_at.is_some());
        assert!(!app.store.payload_state("old-2").await.unwrap().unwrap().has_payload);
        assert!(app.store.payload_state("new-1").await.unwrap().unwrap().has_payload);
        assert_eq!(app.store.touchpoints_of("codertocat").await.unwrap(), touchpoints);
        assert_eq!(app.store.evidence_of("codertocat", "alice").await.unwrap(), evidence);
        let rows = app.store.list_deliveries(None, 10).await.unwrap();
        assert_eq!(rows.len(), 3, "the deliveries' rows are kept");

        let (ok, _, err) = run(&url, &["deliveries", "retry", "old-1"], "");
        assert!(!ok, "{err}");
        assert!(
            err.contains("its raw payload was cleared on")
                && err.contains("MENTOR_PAYLOAD_RETENTION"),
            "{err}"
        );
        run_ok(bin(&url).args(["deliveries", "retry", "new-1"]));
        app.stop().await;
    }
}

#[tokio::test]
async fn growth_page_views_are_logged_with_the_signed_in_login() {
    use reqwest::header::COOKIE;
    for backend in backends() {
        let fake = FakeGitHub::start().await;
        let (app, client) =
            crate::dashboard::start_with(backend, &fake, crate::pages::program()).await;
        crate::pages::seed(&app).await;
        let page = |cookie: String| {
            let request = client.get(format!("{}/orgs/acme/mentees/alice", app.base));
            async move { request.header(COOKIE, cookie).send().await.unwrap().status() }
        };
        fake.sign_in_as("bob");
        let (bob, _) = crate::dashboard::sign_in(&app, &client, "/").await;
        assert_eq!(page(bob).await, 200);
        fake.sign_in_as("mona");
        let (mona, _) = crate::dashboard::sign_in(&app, &client, "/").await;
        assert_eq!(page(mona).await, 403);

        let doc: Value = serde_json::from_str(&run_ok(bin(&app.db.url).args([
            "access-log",
            "--org",
            "acme",
            "--json",
        ])))
        .unwrap();
        let seen: Vec<(String, String, String, String, String)> = doc["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let s = |k: &str| e[k].as_str().unwrap().to_owned();
                (s("reader_kind"), s("reader"), s("subject"), s("what"), s("route"))
            })
            .collect();
        let row = |what: &str| {
            (
                "session".to_owned(),
                "bob".to_owned(),
                "alice".to_owned(),
                what.to_owned(),
                "/orgs/{org}/mentees/{login}".to_owned(),
            )
        };
        assert_eq!(seen, [row("evidence"), row("feedback")], "the manager's 403 is not a read");
        app.stop().await;
    }
}
