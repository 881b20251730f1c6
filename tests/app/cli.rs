//! The `mentor-app` binary: `deliveries list|retry`, `token create`, `replay`, bad settings, and kill -9.

use mentor_app::store::{DeliveryStatus, InstallationStatus};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::util::*;

const REPO: &str = "Codertocat/Hello-World";

pub fn bin(db: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mentor-app"));
    cmd.env_clear().env("MENTOR_DATABASE_URL", db).env("RUST_LOG", "mentor_app=info");
    cmd
}

pub fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "status {:?}\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[tokio::test]
async fn deliveries_list_and_retry() {
    for backend in backends() {
        let github = ScriptedGitHub::with_config(REPO);
        github
            .files
            .lock()
            .unwrap()
            .insert(("acme/broken".into(), ".github/mentorship.yml".into()), "pairs: [".into());
        github.fail_permanently.store(true, Ordering::SeqCst);
        let app = TestApp::start(backend, github.clone(), |s| s.max_attempts = 1).await;
        let body = merged_pr("alice", &minutes_ago(3), 51);
        assert_eq!(app.deliver("pull_request", "c-1", &body, SECRET).await.status(), 202);
        app.wait_idle().await;
        github.fail_permanently.store(false, Ordering::SeqCst);
        let broken = rewrite(
            fixture("pull_request_review/submitted.payload.json"),
            &[
                ("/repository/full_name", "acme/broken".into()),
                ("/review/user/login", "bob".into()),
            ],
        );
        assert_eq!(app.deliver("pull_request_review", "c-2", &broken, SECRET).await.status(), 202);
        app.wait_idle().await;
        let db = app.stop().await;

        let table = run_ok(bin(&db.url).args(["deliveries", "list"]));
        assert!(
            table.contains("c-1") && table.contains("failed") && table.contains("502"),
            "{table}"
        );
        assert!(table.contains("config problems:") && table.contains("acme/broken"), "{table}");
        let failed =
            run_ok(bin(&db.url).args(["deliveries", "list", "--status", "failed", "--json"]));
        let v: serde_json::Value = serde_json::from_str(&failed).unwrap();
        let ids: Vec<&str> =
            v["deliveries"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["c-2", "c-1"], "newest first");
        let broken_error = v["deliveries"][0]["last_error"].as_str().unwrap();
        assert!(
            broken_error.contains("mentorship config of acme is invalid")
                && broken_error.contains("acme/broken:.github/mentorship.yml:1:"),
            "{broken_error}"
        );
        assert_eq!(v["config_problems"][0]["org"], "acme");
        let problem = v["config_problems"][0]["message"].as_str().unwrap();
        assert!(problem.starts_with("acme/broken:.github/mentorship.yml:1:"), "{problem}");

        let out = run_ok(bin(&db.url).args(["deliveries", "retry", "c-1"]));
        assert!(out.contains("Delivery c-1 queued again."), "{out}");
        let missing = bin(&db.url).args(["deliveries", "retry", "nope"]).output().unwrap();
        assert_eq!(missing.status.code(), Some(1));
        assert!(
            String::from_utf8_lossy(&missing.stderr)
                .contains("delivery `nope` cannot be retried: there is no such delivery")
        );

        let app = TestApp::start_on(db, github, |_| {}).await;
        app.wait_idle().await;
        let rows = app.store.list_deliveries(Some(DeliveryStatus::Done), 10).await.unwrap();
        assert!(rows.iter().any(|r| r.id == "c-1" && r.processed_count == 1), "{rows:?}");
        app.stop().await;
    }
}

#[tokio::test]
async fn token_create_prints_a_working_token_last() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        // Every token belongs to one org: --org is required, and an unknown org is named with the known ones.
        let missing = bin(&db.url).args(["token", "create", "--role", "manager"]).output().unwrap();
        assert_eq!(missing.status.code(), Some(2), "--org is required");
        assert!(String::from_utf8_lossy(&missing.stderr).contains("--org"));
        let unknown = bin(&db.url)
            .args(["token", "create", "--org", "codertocat", "--role", "manager"])
            .output()
            .unwrap();
        assert_eq!(unknown.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&unknown.stderr);
        assert!(
            stderr.contains("unknown org `codertocat`") && stderr.contains("none yet"),
            "{stderr}"
        );
        let store = mentor_app::store::Store::connect(&db.url).await.unwrap();
        store
            .upsert_installation("codertocat", 1, InstallationStatus::Active, chrono::Utc::now())
            .await
            .unwrap();
        store
            .upsert_installation("acme", 2, InstallationStatus::Active, chrono::Utc::now())
            .await
            .unwrap();
        store.close().await;
        let unknown = bin(&db.url)
            .args(["token", "create", "--org", "nope", "--role", "manager"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&unknown.stderr);
        assert!(stderr.contains("Known orgs: acme, codertocat."), "{stderr}");
        let out = run_ok(bin(&db.url).args([
            "token",
            "create",
            "--org",
            "Codertocat",
            "--role",
            "manager",
        ]));
        assert!(out.contains("in org codertocat"), "{out}");
        let token = out.lines().last().unwrap().to_string();
        assert!(token.starts_with("mtr_") && !token.contains(' '), "{out}");
        let bad = bin(&db.url)
            .args(["token", "create", "--org", "acme", "--role", "boss"])
            .output()
            .unwrap();
        assert_eq!(bad.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown role `boss`"));
        let app = TestApp::start_on(db, ScriptedGitHub::with_config(REPO), |_| {}).await;
        let body = review("bob", "alice", &minutes_ago(3), 61);
        app.deliver("pull_request_review", "t-1", &body, SECRET).await;
        app.wait_idle().await;
        assert_eq!(app.get("/api/v1/load", Some(&token)).await.status(), 200);
        assert_eq!(app.get("/api/v1/orgs/codertocat/load", Some(&token)).await.status(), 200);
        assert_eq!(app.get("/api/v1/orgs/acme/load", Some(&token)).await.status(), 403);
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_signs_and_posts_a_saved_payload() {
    let app = TestApp::start(Backend::Sqlite, ScriptedGitHub::with_config(REPO), |_| {}).await;
    let payload = app.db.dir.path().join("review.json");
    std::fs::write(&payload, review("bob", "alice", &minutes_ago(2), 71)).unwrap();
    let out = run_ok(
        bin(&app.db.url)
            .env("MENTOR_WEBHOOK_SECRET", ROTATED)
            .args([
                "replay",
                payload.to_str().unwrap(),
                "--event",
                "pull_request_review",
                "--delivery",
                "rp-1",
            ])
            .args(["--url", &format!("{}/webhook", app.base)]),
    );
    assert!(out.starts_with("202 rp-1"), "{out}");
    let bad = bin(&app.db.url)
        .env("MENTOR_WEBHOOK_SECRET", "wrong")
        .args(["replay", payload.to_str().unwrap(), "--event", "pull_request_review"])
        .args(["--url", &format!("{}/webhook", app.base)])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stdout).starts_with("401"));
    app.wait_idle().await;
    app.stop().await;
}

#[test]
fn serve_names_the_missing_setting() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let out = bin(db.to_str().unwrap()).args(["serve"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("MENTOR_WEBHOOK_SECRET is not set"));
    let out = bin(db.to_str().unwrap())
        .env("MENTOR_WEBHOOK_SECRET", "s")
        .args(["serve"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("MENTOR_APP_ID is not set"));
    let out =
        bin(db.to_str().unwrap()).env("MENTOR_LISTEN", "nowhere").args(["serve"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--listen"));
    let help = run_ok(bin(db.to_str().unwrap()).args(["serve", "--help"]));
    for var in [
        "MENTOR_LISTEN",
        "MENTOR_WEBHOOK_SECRET",
        "MENTOR_WEBHOOK_SECRET_FILE",
        "MENTOR_APP_ID",
        "MENTOR_MAX_BODY",
    ] {
        assert!(help.contains(var), "{var} missing from --help");
    }
}

/// Starts `mentor-app serve` on `db` and returns the child and its address (read from the JSON log).
fn spawn_serve(db: &str, github_url: &str, key: &std::path::Path) -> (std::process::Child, String) {
    // PostgreSQL keeps a dead process's claims until their lease ends (other replicas may be alive).
    spawn_serve_with(db, github_url, key, &[("MENTOR_CLAIM_LEASE_SECS", "2")])
}

/// Starts `mentor-app serve` on `db` with `env` and returns the child and its address (read from the JSON log).
pub fn spawn_serve_with(
    db: &str,
    github_url: &str,
    key: &std::path::Path,
    env: &[(&str, &str)],
) -> (std::process::Child, String) {
    let mut child = bin(db)
        .env("MENTOR_WEBHOOK_SECRET", SECRET)
        .env("MENTOR_APP_ID", crate::fake_github::APP_ID.to_string())
        .env("MENTOR_PRIVATE_KEY_FILE", key)
        .env("MENTOR_GITHUB_API_URL", github_url)
        .env("MENTOR_LISTEN", "127.0.0.1:0")
        .env("MENTOR_WORKERS", "2")
        .envs(env.iter().copied())
        .args(["--log-format", "json", "serve"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("server exited before serving").unwrap();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        if v["fields"]["message"] == "serving" {
            break v["fields"]["addr"].as_str().unwrap().to_string();
        }
    };
    // Keep draining stderr so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, addr)
}

/// kill -9 mid-stream: every delivery answered 2xx is processed exactly once after a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_server_loses_no_accepted_delivery() {
    let github = crate::fake_github::FakeGitHub::start().await;
    github.put_file(REPO, ".github/mentorship.yml", &config_yaml());
    let keys = tempfile::tempdir().unwrap();
    let key = keys.path().join("app.pem");
    std::fs::write(&key, crate::fake_github::private_key_pem()).unwrap();
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let (mut child, addr) = spawn_serve(&db.url, &github.api_url(), &key);

        let accepted = Arc::new(std::sync::Mutex::new(Vec::<u64>::new()));
        let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
        let mut senders = tokio::task::JoinSet::new();
        for lane in 0..8u64 {
            let (http, accepted, addr) = (http.clone(), accepted.clone(), addr.clone());
            senders.spawn(async move {
                for i in 0..10_000u64 {
                    let id = lane * 100_000 + i;
                    let body = review("bob", "alice", &minutes_ago(5), id);
                    let resp = http
                        .post(format!("http://{addr}/webhook"))
                        .header("x-github-event", "pull_request_review")
                        .header("x-github-delivery", format!("k-{id}"))
                        .header("x-hub-signature-256", mentor_app::webhook::sign(SECRET, &body))
                        .body(body)
                        .send()
                        .await;
                    match resp {
                        Ok(r) if r.status().is_success() => accepted.lock().unwrap().push(id),
                        _ => return,
                    }
                }
            });
        }
        // Let some deliveries in, then kill without warning.
        while accepted.lock().unwrap().len() < 300 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        child.kill().unwrap();
        child.wait().unwrap();
        while senders.join_next().await.is_some() {}
        let accepted = accepted.lock().unwrap().clone();
        assert!(accepted.len() >= 300);

        let (mut child, _addr) = spawn_serve(&db.url, &github.api_url(), &key);
        let store = mentor_app::store::Store::connect(&db.url).await.unwrap();
        let mut settled = false;
        for _ in 0..600 {
            let counts = store.count_by_status().await.unwrap();
            if !counts.iter().any(|(s, n)| {
                matches!(s, DeliveryStatus::Pending | DeliveryStatus::Processing) && *n > 0
            }) {
                settled = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(settled, "deliveries still queued: {:?}", store.count_by_status().await.unwrap());
        let rows = store.list_deliveries(None, 1_000_000).await.unwrap();
        let by_id: std::collections::HashMap<&str, _> =
            rows.iter().map(|r| (r.id.as_str(), r)).collect();
        let touchpoints = store.touchpoints_of("codertocat").await.unwrap();
        let keys: std::collections::HashSet<String> =
            touchpoints.iter().map(|t| t.key.clone()).collect();
        for id in &accepted {
            let row = by_id
                .get(format!("k-{id}").as_str())
                .unwrap_or_else(|| panic!("accepted delivery k-{id} lost"));
            assert_eq!((row.status.as_str(), row.processed_count), ("done", 1), "{row:?}");
            assert!(
                keys.iter().any(|k| k.contains(&format!("review/{id}:"))),
                "no touchpoint for k-{id}"
            );
        }
        assert!(rows.iter().all(|r| r.processed_count <= 1));
        eprintln!(
            "kill test ({backend:?}): {} accepted before kill -9, {} rows, {} touchpoints",
            accepted.len(),
            rows.len(),
            touchpoints.len()
        );
    }
}

/// `demo --exit-after-seed` feeds its sprint through the webhook, prints tokens, and the data shows the story.
#[tokio::test]
async fn demo_seeds_an_overloaded_mentor_and_a_stale_pair() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("mentor-demo.db");
    let out = run_ok(Command::new(env!("CARGO_BIN_EXE_mentor-app")).env_clear().args([
        "demo",
        "--listen",
        "127.0.0.1:0",
        "--exit-after-seed",
        "--db",
        db.to_str().unwrap(),
    ]));
    assert!(out.contains("18 deliveries processed, 0 failed"), "{out}");
    let token_of = |label: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(label))
            .map(|t| t.trim().to_string())
            .unwrap_or_else(|| panic!("{out}"))
    };
    let manager = token_of("manager token:");
    let mentee = token_of("mentee token (alice):");
    assert_eq!(out.lines().last().unwrap().trim(), format!("mentee token (alice): {mentee}"));

    let test_db = TestDb { url: db.to_string_lossy().into_owned(), dir, made: None };
    let app =
        // The demo seeds the sprint of the wall clock, so this server reads it on the wall clock too.
        TestApp::start_on(test_db, Arc::new(mentor_app::demo::DemoGitHub::default()), |s| {
            s.now = None;
            s.demo = true;
        })
        .await;
    let report: mentor_core::LoadReport =
        app.get("/api/v1/load", Some(&manager)).await.json().await.unwrap();
    let bob = report.mentors.iter().find(|m| m.login.as_str() == "bob").unwrap();
    assert_eq!(bob.status, mentor_core::load::LoadStatus::Over, "{report:#?}");
    assert!(
        report.mentors.iter().any(|m| m.login.as_str() == "mei" && m.touchpoints == 2),
        "{report:#?}"
    );
    assert!(
        report
            .stale_pairs
            .iter()
            .any(|p| p.mentor.as_str() == "dana" && p.mentee.as_str() == "erin"),
        "{report:#?}"
    );
    let evidence: mentor_core::EvidenceReport =
        app.get("/api/v1/mentees/alice/evidence", Some(&mentee)).await.json().await.unwrap();
    let first = evidence.milestones.iter().find(|m| m.id == "first-pr").unwrap();
    assert_eq!(first.status, mentor_core::MilestoneStatus::Met, "{evidence:#?}");

    // The printed dashboard link for the mentee signs in as alice and shows that milestone met.
    let link = "/demo/login?as=alice&next=/orgs/acme/mentees/alice";
    assert!(out.contains(link), "{out}");
    let client =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = client.get(format!("{}{link}", app.base)).send().await.unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let html = client
        .get(format!("{}/orgs/acme/mentees/alice", app.base))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let headings = crate::html::texts(&html, ".milestone h4");
    assert!(headings.contains(&format!("{} met", first.title)), "{headings:?}");
    app.stop().await;
}
