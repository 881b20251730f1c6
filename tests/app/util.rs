//! Shared test fixtures: a real server on 127.0.0.1:0 over a fresh database (SQLite, and PostgreSQL when
//! `MENTOR_TEST_POSTGRES_URL` is set), a scriptable in-process GitHub, signing and payload helpers.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mentor_app::github::{BoxFuture, ChangedFile, GitHubApi, GitHubError, ReviewInfo};
use mentor_app::settings::ServeArgs;
use mentor_app::store::{DeliveryStatus, Store};
use serde_json::Value;

/// The secret test servers verify with (first of two, to exercise rotation).
pub const SECRET: &str = "test-secret";
/// The second, rotated secret.
pub const ROTATED: &str = "rotated-secret";

/// Returns the repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// Returns the test program's config text.
pub fn config_yaml() -> String {
    std::fs::read_to_string(root().join("tests/fixtures/app/mentorship.yml")).unwrap()
}

/// Which database a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Returns the backends to run a suite on: SQLite always, PostgreSQL when MENTOR_TEST_POSTGRES_URL is set.
pub fn backends() -> Vec<Backend> {
    if std::env::var("MENTOR_TEST_POSTGRES_URL").is_ok() {
        vec![Backend::Sqlite, Backend::Postgres]
    } else {
        eprintln!(
            "!!! MENTOR_TEST_POSTGRES_URL is not set: SKIPPING the PostgreSQL run of this test !!!"
        );
        vec![Backend::Sqlite]
    }
}

/// A fresh database: a SQLite file in a temp dir, or a new PostgreSQL database.
pub struct TestDb {
    pub url: String,
    pub dir: tempfile::TempDir,
    /// A PostgreSQL database this test made: (server URL, name), dropped with the value.
    pub made: Option<(String, String)>,
}

impl Drop for TestDb {
    /// Drops the PostgreSQL database the test made (its connections are ended first), so test runs leave
    /// nothing behind; a SQLite file goes with its temp dir.
    fn drop(&mut self) {
        let Some((base, name)) = self.made.take() else { return };
        // Drop runs inside the tests' async runtime: the database is dropped from a thread with its own.
        let _ = std::thread::spawn(move || {
            let runtime =
                tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                if let Ok(mut conn) = <sqlx::PgConnection as sqlx::Connection>::connect(&base).await
                {
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    if let Err(e) = sqlx::Executor::execute(&mut conn, sql.as_str()).await {
                        eprintln!("could not drop test database {name}: {e}");
                    }
                }
            });
        })
        .join();
    }
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        let dir = tempfile::Builder::new().prefix("mentor-app-test").tempdir().unwrap();
        let mut made = None;
        let url = match backend {
            Backend::Sqlite => dir.path().join("mentor.db").to_string_lossy().into_owned(),
            Backend::Postgres => {
                let base = std::env::var("MENTOR_TEST_POSTGRES_URL").unwrap();
                let name = format!("mentor_test_{}", hex_id());
                let mut conn =
                    <sqlx::PgConnection as sqlx::Connection>::connect(&base).await.unwrap();
                sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str())
                    .await
                    .unwrap();
                let (prefix, _) = base.rsplit_once('/').unwrap();
                let url = format!("{prefix}/{name}");
                made = Some((base, name));
                url
            }
        };
        TestDb { url, dir, made }
    }
}

/// Returns a random hex id (delivery ids, database names).
pub fn hex_id() -> String {
    let b: [u8; 8] = rand::random();
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A GitHub stand-in: serves config files from a map; its PR calls (enrichment) fail the next `fail_next` times,
/// or always while `fail_permanently` is set, with a transient error.
#[derive(Default)]
pub struct ScriptedGitHub {
    pub files: Mutex<HashMap<(String, String), String>>,
    pub fail_next: AtomicU32,
    pub fail_permanently: std::sync::atomic::AtomicBool,
    pub calls: AtomicU32,
}

impl ScriptedGitHub {
    /// Serves the test config for `repo`.
    pub fn with_config(repo: &str) -> Arc<ScriptedGitHub> {
        let gh = ScriptedGitHub::default();
        gh.files
            .lock()
            .unwrap()
            .insert((repo.into(), ".github/mentorship.yml".into()), config_yaml());
        Arc::new(gh)
    }

    fn outcome(&self) -> Result<(), GitHubError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.fail_permanently.load(Ordering::SeqCst) {
            return Err(GitHubError::Transient("github answered 502".into()));
        }
        let left = self.fail_next.load(Ordering::SeqCst);
        if left > 0 {
            self.fail_next.store(left - 1, Ordering::SeqCst);
            return Err(GitHubError::Transient("github answered 503".into()));
        }
        Ok(())
    }
}

impl GitHubApi for ScriptedGitHub {
    fn file_text<'a>(
        &'a self,
        _i: u64,
        repo: &'a str,
        path: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, GitHubError>> {
        Box::pin(async move {
            Ok(self.files.lock().unwrap().get(&(repo.to_string(), path.to_string())).cloned())
        })
    }
    fn installation_repositories<'a>(
        &'a self,
        _i: u64,
    ) -> BoxFuture<'a, Result<Vec<String>, GitHubError>> {
        Box::pin(async move {
            let mut repos: Vec<String> =
                self.files.lock().unwrap().keys().map(|(repo, _)| repo.clone()).collect();
            repos.sort();
            repos.dedup();
            Ok(repos)
        })
    }
    fn pull_request_files<'a>(
        &'a self,
        _i: u64,
        _r: &'a str,
        _n: u64,
    ) -> BoxFuture<'a, Result<Vec<ChangedFile>, GitHubError>> {
        Box::pin(async move {
            self.outcome()?;
            Ok(vec![ChangedFile { path: "src/lib.rs".into(), additions: 10, deletions: 2 }])
        })
    }
    fn pull_request_reviews<'a>(
        &'a self,
        _i: u64,
        _r: &'a str,
        _n: u64,
    ) -> BoxFuture<'a, Result<Vec<ReviewInfo>, GitHubError>> {
        Box::pin(async move {
            self.outcome()?;
            Ok(Vec::new())
        })
    }
}

/// A running server.
pub struct TestApp {
    pub base: String,
    pub store: Store,
    pub db: TestDb,
    pub http: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

/// The instant test servers' domain clock starts at (`MENTOR_NOW`): the middle of a sprint of the test configs
/// (two-week sprints from 2026-01-05), so "an hour ago" is always in the current sprint, whatever day the tests
/// run on.
pub const NOW: &str = "2026-11-17T12:00:00Z";

/// Returns [`NOW`] as an instant.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(NOW).unwrap().to_utc()
}

/// Returns serve settings for tests: port 0, two secrets, fast retries, the domain clock at [`NOW`].
pub fn test_settings() -> ServeArgs {
    let mut s =
        ServeArgs::for_local("127.0.0.1:0".parse().unwrap(), &format!("{SECRET},{ROTATED}"));
    s.retry_base_ms = 50;
    s.max_attempts = 3;
    s.now = Some(now());
    s
}

impl TestApp {
    /// Starts a server on `backend` with `github` and the test settings changed by `adjust`.
    pub async fn start(
        backend: Backend,
        github: Arc<dyn GitHubApi>,
        adjust: impl FnOnce(&mut ServeArgs),
    ) -> TestApp {
        let db = TestDb::new(backend).await;
        Self::start_on(db, github, adjust).await
    }

    /// Starts a server on an existing database.
    pub async fn start_on(
        db: TestDb,
        github: Arc<dyn GitHubApi>,
        adjust: impl FnOnce(&mut ServeArgs),
    ) -> TestApp {
        if std::env::var("TEST_LOG").is_ok() {
            mentor_app::telemetry::init(mentor_app::settings::LogFormat::Text);
        }
        let mut settings = test_settings();
        adjust(&mut settings);
        let app = mentor_app::server::build_with(&settings, &db.url, github).await.unwrap();
        let base = format!("http://127.0.0.1:{}", app.port());
        let store = app.store().clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(app.run(async move {
            let _ = stopped.await;
        }));
        TestApp {
            base,
            store,
            db,
            http: reqwest::Client::new(),
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Stops the server gracefully and returns its database.
    pub async fn stop(mut self) -> TestDb {
        let _ = self.stop.take().unwrap().send(());
        self.task.take().unwrap().await.unwrap().unwrap();
        self.db
    }

    /// POSTs `body` to /webhook signed with `secret`.
    pub async fn deliver(
        &self,
        event: &str,
        delivery: &str,
        body: &[u8],
        secret: &str,
    ) -> reqwest::Response {
        self.http
            .post(format!("{}/webhook", self.base))
            .header("x-github-event", event)
            .header("x-github-delivery", delivery)
            .header("x-hub-signature-256", mentor_app::webhook::sign(secret, body))
            .header("content-type", "application/json")
            .body(body.to_vec())
            .send()
            .await
            .unwrap()
    }

    /// Waits until no delivery is pending or processing (panics after 20 s).
    pub async fn wait_idle(&self) {
        for _ in 0..400 {
            let counts = self.store.count_by_status().await.unwrap();
            if !counts.iter().any(|(s, n)| {
                matches!(s, DeliveryStatus::Pending | DeliveryStatus::Processing) && *n > 0
            }) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("deliveries still queued: {:?}", self.store.count_by_status().await.unwrap());
    }

    /// GETs `path` with an optional bearer token.
    pub async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap()
    }
}

/// Reads a corpus payload (`event/file`) from the fixtures copy.
pub fn fixture(rel: &str) -> Value {
    let path = root().join("tests/fixtures/webhooks").join(rel);
    serde_json::from_str(
        &std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap()
}

/// Sets JSON pointers in `payload` (logins, times) and returns its bytes.
pub fn rewrite(mut payload: Value, edits: &[(&str, Value)]) -> Vec<u8> {
    for (pointer, value) in edits {
        match payload.pointer_mut(pointer) {
            Some(slot) => *slot = value.clone(),
            None => {
                // A field the upstream payload lacks: add it to its parent object.
                let (parent, key) = pointer.rsplit_once('/').unwrap();
                let parent =
                    payload.pointer_mut(parent).unwrap_or_else(|| panic!("no {parent} in payload"));
                parent.as_object_mut().unwrap().insert(key.to_string(), value.clone());
            }
        }
    }
    serde_json::to_vec(&payload).unwrap()
}

/// A `pull_request_review` (submitted) by `reviewer` on a PR by `author` at `at`, with review id `id`.
pub fn review(reviewer: &str, author: &str, at: &str, id: u64) -> Vec<u8> {
    rewrite(
        fixture("pull_request_review/submitted.payload.json"),
        &[
            ("/review/user/login", reviewer.into()),
            ("/review/submitted_at", at.into()),
            ("/review/id", id.into()),
            ("/review/state", "approved".into()),
            ("/pull_request/user/login", author.into()),
            ("/sender/login", reviewer.into()),
        ],
    )
}

/// A `pull_request` (closed, merged) of PR `number` by `author` at `at`.
pub fn merged_pr(author: &str, at: &str, number: u64) -> Vec<u8> {
    rewrite(
        fixture("pull_request/closed.payload.json"),
        &[
            ("/pull_request/user/login", author.into()),
            ("/pull_request/number", number.into()),
            ("/pull_request/merged", true.into()),
            ("/pull_request/merged_at", at.into()),
            ("/pull_request/closed_at", at.into()),
        ],
    )
}

/// Returns an RFC 3339 instant `minutes` before the test servers' [`NOW`].
pub fn minutes_ago(minutes: i64) -> String {
    (now() - chrono::Duration::minutes(minutes)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Points a payload at repository `repo` (owner and full name) of installation `installation`.
pub fn in_repo(payload: &[u8], repo: &str, installation: u64) -> Vec<u8> {
    let (owner, name) = repo.split_once('/').unwrap();
    rewrite(
        serde_json::from_slice(payload).unwrap(),
        &[
            ("/repository/full_name", repo.into()),
            ("/repository/name", name.into()),
            ("/repository/owner/login", owner.into()),
            ("/installation/id", installation.into()),
        ],
    )
}
