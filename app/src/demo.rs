//! `mentor-app demo`: the whole app, offline, on a fresh SQLite file with a realistic sprint already fed in.
//!
//! The sprint is built from real GitHub payloads (the octokit corpus copies under `tests/fixtures/webhooks`)
//! with logins, numbers and times rewritten, signed, and sent through the real `/webhook` endpoint; an
//! offline [`GitHubApi`] answers the worker from bundled data (the program in `app/demo/mentorship.yml` and the
//! changed files of each PR), so nothing touches the network.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::github::{
    BoxFuture, ChangedFile, GitHubApi, GitHubError, PostedText, ReactionTarget, ReviewInfo,
};
use crate::settings::{DemoArgs, ServeArgs};
use crate::store::DeliveryStatus;
use crate::token::{Role, create_token};
use crate::{server, webhook};

/// The demo program.
pub const DEMO_CONFIG: &str = include_str!("../demo/mentorship.yml");
/// The demo's repository.
pub const DEMO_REPO: &str = "acme/api";
const INSTALLATION: u64 = 7;

const REVIEW: &str =
    include_str!("../../tests/fixtures/webhooks/pull_request_review/submitted.payload.json");
const REVIEW_COMMENT: &str =
    include_str!("../../tests/fixtures/webhooks/pull_request_review_comment/created.payload.json");
const ISSUE_COMMENT: &str = include_str!(
    "../../tests/fixtures/webhooks/issue_comment/created.with-installation.payload.json"
);
const PULL_REQUEST: &str =
    include_str!("../../tests/fixtures/webhooks/pull_request/closed.payload.json");

/// An offline GitHub over bundled data; what Mentor writes is only kept in memory (comments by (repo, number)
/// and issues by repo), so the outbox's lookups by marker work and nothing leaves the machine.
#[derive(Default)]
pub struct DemoGitHub {
    written: std::sync::Mutex<Written>,
}

#[derive(Default)]
struct Written {
    next_id: u64,
    /// (repo, issue or PR number, comment).
    comments: Vec<(String, u64, PostedText)>,
    /// (repo, issue).
    issues: Vec<(String, PostedText)>,
}

impl DemoGitHub {
    fn written(&self) -> std::sync::MutexGuard<'_, Written> {
        self.written.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Returns the comments written on `repo`'s issue or PR `number`, oldest first.
    pub fn comments(&self, repo: &str, number: u64) -> Vec<String> {
        let w = self.written();
        w.comments
            .iter()
            .filter(|(r, n, _)| r == repo && *n == number)
            .map(|(_, _, c)| c.body.clone())
            .collect()
    }
}

/// Changed files (path, additions, deletions) of the demo's PRs.
fn pr_files(number: u64) -> Vec<ChangedFile> {
    let files: &[(&str, u64, u64)] = match number {
        101 => &[
            ("services/billing/src/invoice.rs", 84, 12),
            ("services/billing/tests/invoice.rs", 40, 0),
        ],
        102 => &[("services/payments/src/refund.rs", 120, 30)],
        103 => &[("services/search/src/index.rs", 35, 8)],
        104 => &[("services/billing/src/tax.rs", 22, 4)],
        _ => &[("README.md", 3, 1)],
    };
    files
        .iter()
        .map(|(p, a, d)| ChangedFile { path: (*p).into(), additions: *a, deletions: *d })
        .collect()
}

impl GitHubApi for DemoGitHub {
    fn file_text<'a>(
        &'a self,
        _i: u64,
        repo: &'a str,
        path: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, GitHubError>> {
        Box::pin(async move {
            Ok((repo == DEMO_REPO && path == ".github/mentorship.yml")
                .then(|| DEMO_CONFIG.to_string()))
        })
    }
    fn installation_repositories<'a>(
        &'a self,
        _i: u64,
    ) -> BoxFuture<'a, Result<Vec<String>, GitHubError>> {
        Box::pin(async move { Ok(vec![DEMO_REPO.to_string()]) })
    }
    fn pull_request_files<'a>(
        &'a self,
        _i: u64,
        _r: &'a str,
        number: u64,
    ) -> BoxFuture<'a, Result<Vec<ChangedFile>, GitHubError>> {
        Box::pin(async move { Ok(pr_files(number)) })
    }
    fn pull_request_reviews<'a>(
        &'a self,
        _i: u64,
        _r: &'a str,
        _n: u64,
    ) -> BoxFuture<'a, Result<Vec<ReviewInfo>, GitHubError>> {
        Box::pin(async move { Ok(Vec::new()) })
    }
    fn own_comments<'a>(
        &'a self,
        _i: u64,
        repo: &'a str,
        number: u64,
    ) -> BoxFuture<'a, Result<Vec<PostedText>, GitHubError>> {
        Box::pin(async move {
            let w = self.written();
            Ok(w.comments
                .iter()
                .filter(|(r, n, _)| r == repo && *n == number)
                .map(|(_, _, c)| c.clone())
                .collect())
        })
    }
    fn create_issue_comment<'a>(
        &'a self,
        _i: u64,
        repo: &'a str,
        number: u64,
        body: &'a str,
    ) -> BoxFuture<'a, Result<PostedText, GitHubError>> {
        Box::pin(async move {
            let mut w = self.written();
            w.next_id += 1;
            let c = PostedText { id: w.next_id, body: body.to_owned() };
            w.comments.push((repo.to_owned(), number, c.clone()));
            Ok(c)
        })
    }
    fn update_issue_comment<'a>(
        &'a self,
        _i: u64,
        _r: &'a str,
        comment_id: u64,
        body: &'a str,
    ) -> BoxFuture<'a, Result<(), GitHubError>> {
        Box::pin(async move {
            let mut w = self.written();
            match w.comments.iter_mut().find(|(_, _, c)| c.id == comment_id) {
                Some((_, _, c)) => {
                    c.body = body.to_owned();
                    Ok(())
                }
                None => Err(GitHubError::Permanent(format!("no comment {comment_id}"))),
            }
        })
    }
    fn create_reaction<'a>(
        &'a self,
        _i: u64,
        _r: &'a str,
        _t: ReactionTarget,
        _c: &'a str,
    ) -> BoxFuture<'a, Result<(), GitHubError>> {
        Box::pin(async move { Ok(()) })
    }
    fn own_issues<'a>(
        &'a self,
        _i: u64,
        repo: &'a str,
    ) -> BoxFuture<'a, Result<Vec<PostedText>, GitHubError>> {
        Box::pin(async move {
            Ok(self
                .written()
                .issues
                .iter()
                .filter(|(r, _)| r == repo)
                .map(|(_, i)| i.clone())
                .collect())
        })
    }
    fn create_issue<'a>(
        &'a self,
        _i: u64,
        repo: &'a str,
        _title: &'a str,
        body: &'a str,
    ) -> BoxFuture<'a, Result<PostedText, GitHubError>> {
        Box::pin(async move {
            let mut w = self.written();
            let number = w.issues.iter().filter(|(r, _)| r == repo).count() as u64 + 1;
            let issue = PostedText { id: number, body: body.to_owned() };
            w.issues.push((repo.to_owned(), issue.clone()));
            Ok(issue)
        })
    }
    fn update_issue<'a>(
        &'a self,
        _i: u64,
        repo: &'a str,
        number: u64,
        _title: &'a str,
        body: &'a str,
    ) -> BoxFuture<'a, Result<(), GitHubError>> {
        Box::pin(async move {
            let mut w = self.written();
            if let Some((_, i)) = w.issues.iter_mut().find(|(r, i)| r == repo && i.id == number) {
                i.body = body.to_owned();
            }
            Ok(())
        })
    }
    fn repository_is_private<'a>(
        &'a self,
        _i: u64,
        _r: &'a str,
    ) -> BoxFuture<'a, Result<bool, GitHubError>> {
        // The demo's program lives in private repositories.
        Box::pin(async move { Ok(true) })
    }
}

/// One delivery of the bundled sprint.
pub struct DemoDelivery {
    /// `X-GitHub-Event`.
    pub event: &'static str,
    /// `X-GitHub-Delivery`.
    pub id: String,
    /// The payload.
    pub body: Vec<u8>,
}

fn set(v: &mut Value, pointer: &str, value: Value) {
    match v.pointer_mut(pointer) {
        Some(slot) => *slot = value,
        None => {
            if let Some((parent, key)) = pointer.rsplit_once('/')
                && let Some(obj) = v.pointer_mut(parent).and_then(Value::as_object_mut)
            {
                obj.insert(key.to_string(), value);
            }
        }
    }
}

fn base(template: &str, number: u64, author: &str) -> anyhow::Result<Value> {
    let mut v: Value =
        serde_json::from_str(template).context("bundled demo payload is not JSON")?;
    set(&mut v, "/repository/full_name", json!(DEMO_REPO));
    set(&mut v, "/repository/name", json!("api"));
    set(&mut v, "/repository/owner/login", json!("acme"));
    set(&mut v, "/installation/id", json!(INSTALLATION));
    for pr in ["/pull_request", "/issue"] {
        if v.pointer(pr).is_some() {
            set(&mut v, &format!("{pr}/number"), json!(number));
            set(&mut v, &format!("{pr}/user/login"), json!(author));
            set(
                &mut v,
                &format!("{pr}/html_url"),
                json!(format!("https://github.com/{DEMO_REPO}/pull/{number}")),
            );
        }
    }
    Ok(v)
}

/// Returns the bundled sprint: activities between `from` and `now`, oldest first.
pub fn sprint_deliveries(
    from: DateTime<Utc>,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<DemoDelivery>> {
    // (event kind, actor, PR number, PR author, position in the window 0..=100)
    let script: &[(&str, &str, u64, &str, i64)] = &[
        ("review", "bob", 101, "alice", 5),
        ("review_comment", "bob", 101, "alice", 6),
        ("review_comment", "bob", 101, "alice", 7),
        ("comment", "bob", 101, "alice", 10),
        ("merge", "alice", 101, "alice", 15),
        ("review", "bob", 102, "carlos", 20),
        ("review_comment", "bob", 102, "carlos", 21),
        ("review", "bob", 102, "carlos", 35),
        ("merge", "carlos", 102, "carlos", 40),
        ("review", "mei", 103, "priya", 45),
        ("comment", "mei", 103, "priya", 50),
        ("review", "alice", 103, "priya", 52),
        ("review", "carlos", 101, "alice", 12),
        ("merge", "priya", 103, "priya", 60),
        ("review", "bob", 104, "alice", 70),
        ("review", "bob", 105, "carlos", 80),
        ("comment", "bob", 105, "carlos", 85),
        ("merge", "alice", 104, "alice", 90),
    ];
    let span = (now - from).num_seconds().max(60);
    let mut out = Vec::new();
    for (i, (kind, actor, number, author, pos)) in script.iter().enumerate() {
        let at = (from + chrono::Duration::seconds(span * pos / 100))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let id = 9_000_000 + i as u64;
        let (event, mut v) = match *kind {
            "review" => {
                let mut v = base(REVIEW, *number, author)?;
                set(&mut v, "/review/user/login", json!(actor));
                set(&mut v, "/review/id", json!(id));
                set(
                    &mut v,
                    "/review/state",
                    json!(if i % 3 == 1 { "changes_requested" } else { "approved" }),
                );
                set(&mut v, "/review/submitted_at", json!(at));
                ("pull_request_review", v)
            }
            "review_comment" => {
                let mut v = base(REVIEW_COMMENT, *number, author)?;
                set(&mut v, "/comment/user/login", json!(actor));
                set(&mut v, "/comment/id", json!(id));
                set(&mut v, "/comment/created_at", json!(at));
                set(&mut v, "/comment/updated_at", json!(at));
                ("pull_request_review_comment", v)
            }
            "comment" => {
                let mut v = base(ISSUE_COMMENT, *number, author)?;
                set(&mut v, "/comment/user/login", json!(actor));
                set(&mut v, "/comment/id", json!(id));
                set(&mut v, "/comment/created_at", json!(at));
                set(&mut v, "/comment/updated_at", json!(at));
                let url = format!("https://api.github.com/repos/{DEMO_REPO}/pulls/{number}");
                set(&mut v, "/issue/pull_request", json!({ "url": url }));
                ("issue_comment", v)
            }
            _ => {
                let mut v = base(PULL_REQUEST, *number, author)?;
                set(&mut v, "/action", json!("closed"));
                set(&mut v, "/pull_request/merged", json!(true));
                set(&mut v, "/pull_request/merged_at", json!(at));
                set(&mut v, "/pull_request/closed_at", json!(at));
                set(&mut v, "/pull_request/merge_commit_sha", json!(format!("{id:040x}")));
                ("pull_request", v)
            }
        };
        set(&mut v, "/sender/login", json!(actor));
        out.push(DemoDelivery { event, id: format!("demo-{i:03}"), body: serde_json::to_vec(&v)? });
    }
    Ok(out)
}

/// Runs `demo`.
pub async fn cmd_demo(args: DemoArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let path = format!("{}{suffix}", args.db.display());
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("cannot remove the old demo database {path}"));
            }
        }
    }
    let secret = hex::encode(rand::random::<[u8; 16]>());
    let mut settings = ServeArgs::for_local(args.listen, &secret);
    settings.retry_base_ms = 200;
    // The dashboard without a GitHub account: /demo/login?as=<login> signs in as anyone of the demo program.
    settings.demo = true;
    let app =
        server::build_with(&settings, &args.db.to_string_lossy(), Arc::new(DemoGitHub::default()))
            .await?;
    let addr = app.local_addr()?;
    let store = app.store().clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let exit_after_seed = args.exit_after_seed;
    let running = tokio::spawn(app.run(async move {
        if exit_after_seed {
            let _ = stopped.await;
        } else {
            tokio::select! {
                _ = stopped => {}
                _ = server::shutdown_signal() => {}
            }
        }
    }));

    // Feed the sprint: activities spread over the current sprint so far (at most its last three days).
    let config = mentor_core::config::parse("app/demo/mentorship.yml", DEMO_CONFIG)
        .map_err(|e| anyhow::anyhow!("the bundled demo config is invalid: {e}"))?;
    let now = Utc::now();
    let sprint_start = config.sprints.sprint_at(now).start.with_timezone(&Utc);
    let from = sprint_start.max(now - chrono::Duration::days(3));
    let deliveries = sprint_deliveries(from, now - chrono::Duration::seconds(30))?;
    let http = reqwest::Client::new();
    let url = format!("http://{addr}/webhook");
    for d in &deliveries {
        let resp = http
            .post(&url)
            .header("content-type", "application/json")
            .header("x-github-event", d.event)
            .header("x-github-delivery", &d.id)
            .header("x-hub-signature-256", webhook::sign(&secret, &d.body))
            .body(d.body.clone())
            .send()
            .await
            .context("sending a demo delivery")?;
        if !resp.status().is_success() {
            anyhow::bail!("the demo server answered {} to delivery {}", resp.status(), d.id);
        }
    }
    for _ in 0..600 {
        let counts = store.count_by_status().await?;
        if !counts.iter().any(|(s, n)| {
            matches!(s, DeliveryStatus::Pending | DeliveryStatus::Processing) && *n > 0
        }) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let failed = store.list_deliveries(Some(DeliveryStatus::Failed), 100).await?;
    for f in &failed {
        tracing::warn!(id = %f.id, error = f.last_error.as_deref().unwrap_or(""), "demo delivery failed");
    }
    let org = crate::config_source::org_of(DEMO_REPO).unwrap_or_default();
    let admin = create_token(&store, &org, &Role::Admin).await?;
    let manager = create_token(&store, &org, &Role::Manager).await?;
    let mentee =
        create_token(&store, &org, &Role::Mentee(mentor_core::Login::new("alice"))).await?;
    let base = format!("http://{addr}");
    writeln!(
        out,
        "Mentor demo is running at {base} ({} deliveries processed, {} failed).",
        deliveries.len(),
        failed.len()
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "Load of the current sprint (bob is over capacity, dana and erin are a stale pair):"
    )?;
    writeln!(out, "  curl -H 'Authorization: Bearer {manager}' {base}/api/v1/orgs/{org}/load")?;
    writeln!(
        out,
        "  curl -H 'Authorization: Bearer {manager}' '{base}/api/v1/orgs/{org}/load?format=csv'"
    )?;
    writeln!(out, "Alice's milestones and evidence (as alice):")?;
    writeln!(
        out,
        "  curl -H 'Authorization: Bearer {mentee}' {base}/api/v1/orgs/{org}/mentees/alice/evidence"
    )?;
    writeln!(
        out,
        "The dashboard, without a GitHub account (each link signs you in as that person):"
    )?;
    for (who, login, page) in [
        ("a manager", "mona", format!("/orgs/{org}/load")),
        ("a mentor ", "bob", format!("/orgs/{org}/mentors/bob")),
        ("a mentee ", "alice", format!("/orgs/{org}/mentees/alice")),
        ("an admin ", "omar", "/me".to_owned()),
    ] {
        writeln!(out, "  {who}: {base}/demo/login?as={login}&next={page}")?;
    }
    writeln!(out, "The org's installation, repositories and config problems:")?;
    writeln!(out, "  mentor-app --database-url {} orgs list", args.db.display())?;
    writeln!(out)?;
    writeln!(out, "admin token:   {admin}")?;
    writeln!(out, "manager token: {manager}")?;
    writeln!(out, "mentee token (alice): {mentee}")?;
    out.flush()?;
    if exit_after_seed {
        let _ = stop.send(());
    } else {
        writeln!(out, "\nPress Ctrl-C to stop.")?;
        out.flush()?;
    }
    running.await.context("demo server task")??;
    Ok(())
}
