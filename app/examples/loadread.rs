//! Load-report read benchmark: `GET /api/v1/orgs/{org}/load` with 1,000,000 touchpoints stored (3 orgs, 600
//! mentors, 3 years), against the release server on SQLite or PostgreSQL.
//!
//! Seeds the database directly (the schema the server migrates to), serves each org's config from an offline
//! GitHub on loopback, starts `mentor-app serve`, then times `REQUESTS` sequential reads of one sprint's load per
//! org (current, previous, and a date a year back, in turn) and reports p50/p95/max and the server's peak RSS; then
//! the same for the dashboard's load page (`/orgs/{org}/load`, a manager signed in) with its page weight.
//! Every request is bounded and goes to 127.0.0.1 only.
//!
//! Usage: `cargo run --release -p mentor-app --example loadread -- [sqlite|postgres://…] [TOUCHPOINTS] [REQUESTS]`
//! (bench/load-read.sh runs both backends side by side). `LOADREAD_BIN` names another server binary to time (an
//! earlier build, for a before/after on the same data); `LOADREAD_DB` keeps the seeded SQLite file.

use mentor_app::store::InstallationStatus;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Instant;

use axum::routing::{get, post};
use base64::Engine as _;
use chrono::{DateTime, TimeZone, Utc};
use mentor_core::{Login, Touchpoint, TouchpointKind};

const ORGS: [&str; 3] = ["acme", "globex", "initech"];
const MENTORS_PER_ORG: usize = 200;
const MENTEES_PER_MENTOR: usize = 2;

/// The config of one org: 200 mentors with two mentees each, two-week sprints.
fn org_config() -> String {
    let mut text =
        String::from("sprints: { length: 2w, start: 2024-01-01, timezone: UTC }\npeople:\n");
    for m in 0..MENTORS_PER_ORG {
        text.push_str(&format!(
            "  m{m}: {{ tier: senior, capacity: {{ mentees: 3, minutes_per_sprint: 600 }} }}\n"
        ));
        for e in 0..MENTEES_PER_MENTOR {
            text.push_str(&format!("  e{m}x{e}: {{}}\n"));
        }
    }
    text.push_str("pairs:\n");
    for m in 0..MENTORS_PER_ORG {
        for e in 0..MENTEES_PER_MENTOR {
            text.push_str(&format!(
                "  - {{ mentor: m{m}, mentee: e{m}x{e}, track: backend, since: 2024-01-01 }}\n"
            ));
        }
    }
    text.push_str("privacy: { managers: [boss] }\n");
    text.push_str(
        "tracks:\n  backend:\n    milestones:\n      - { id: first-pr, title: Ship a first change, stage: discovery }\n",
    );
    text
}

struct Reaper(u32);

impl Drop for Reaper {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.0.to_string()).status();
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let backend = args.first().cloned().unwrap_or_else(|| "sqlite".into());
    let total: usize = args.get(1).map(|s| s.parse()).transpose()?.unwrap_or(1_000_000);
    let requests: usize = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(300);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
    // LOADREAD_BIN times another build of the server (e.g. the commit before a change) on the same data.
    let bin = std::env::var_os("LOADREAD_BIN")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root.join("target/release/mentor-app"));
    anyhow::ensure!(
        bin.exists(),
        "{} does not exist: build the server first (cargo build --release -p mentor-app)",
        bin.display()
    );

    let dir = tempfile::tempdir()?;
    let (db_url, drop_db) = if backend == "sqlite" {
        // LOADREAD_DB keeps the seeded file for another run (seeding is skipped when it exists).
        let path = std::env::var("LOADREAD_DB")
            .unwrap_or_else(|_| dir.path().join("loadread.db").to_string_lossy().into_owned());
        (path, None)
    } else {
        let name = format!("mentor_loadread_{}", std::process::id());
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&backend).await?;
        sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str()).await?;
        let (prefix, _) = backend.rsplit_once('/').unwrap_or((&backend, ""));
        (format!("{prefix}/{name}"), Some(name))
    };
    let result = run(&root, &bin, &db_url, total, requests).await;
    if let Some(name) = drop_db {
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&backend).await?;
        sqlx::Executor::execute(
            &mut conn,
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str(),
        )
        .await?;
    }
    result
}

async fn run(
    root: &std::path::Path,
    bin: &std::path::Path,
    db_url: &str,
    total: usize,
    requests: usize,
) -> anyhow::Result<()> {
    // Migrate and seed: 3 years of touchpoints spread evenly over the orgs' pairs.
    let seed_start = Instant::now();
    let store = mentor_app::store::Store::connect(db_url).await?;
    let now = Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).single().unwrap();
    let span = chrono::Duration::days(3 * 365);
    let first = now - span;
    if store.orgs().await?.is_empty() {
        for (i, org) in ORGS.iter().enumerate() {
            store.upsert_installation(org, 100 + i as u64, InstallationStatus::Active, now).await?;
        }
        seed(db_url, total, first, span).await?;
    }
    store.close().await;
    let seeded = seed_start.elapsed();

    // Offline GitHub: tokens, each org's repository and config.
    let encoded = base64::engine::general_purpose::STANDARD.encode(org_config());
    let github = axum::Router::new()
        .route(
            "/app/installations/{id}/access_tokens",
            post(|axum::extract::Path(id): axum::extract::Path<u64>| async move {
                let expires = Utc::now() + chrono::Duration::hours(1);
                axum::Json(serde_json::json!({"token": format!("ghs_{id}"), "expires_at": expires.to_rfc3339()}))
            }),
        )
        .route(
            "/installation/repositories",
            get(|headers: axum::http::HeaderMap| async move {
                let token = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("");
                let org = token
                    .rsplit('_')
                    .next()
                    .and_then(|id| id.parse::<usize>().ok())
                    .and_then(|id| ORGS.get(id.wrapping_sub(100)))
                    .copied()
                    .unwrap_or("acme");
                axum::Json(serde_json::json!({"total_count": 1, "repositories": [{
                    "id": 1, "name": "api", "full_name": format!("{org}/api"), "owner": {"login": org},
                    "private": true, "default_branch": "main"
                }]}))
            }),
        )
        .route(
            "/repos/{owner}/{repo}/contents/{*path}",
            get(
                move |axum::extract::Path((_o, repo, path)): axum::extract::Path<(String, String, String)>| {
                    let encoded = encoded.clone();
                    async move {
                        if repo == "api" && path == ".github/mentorship.yml" {
                            Ok(axum::Json(
                                serde_json::json!({"type": "file", "encoding": "base64", "content": encoded}),
                            ))
                        } else {
                            Err(axum::http::StatusCode::NOT_FOUND)
                        }
                    }
                },
            ),
        );
    let gh_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let gh_url = format!("http://{}", gh_listener.local_addr()?);
    tokio::spawn(async move { axum::serve(gh_listener, github).await });

    let mut child = Command::new(bin)
        .env("MENTOR_DATABASE_URL", db_url)
        .env("MENTOR_WEBHOOK_SECRET", "bench")
        .env("MENTOR_APP_ID", "4242")
        .env("MENTOR_PRIVATE_KEY_FILE", root.join("tests/fixtures/github-app-test-key.pem"))
        .env("MENTOR_GITHUB_API_URL", &gh_url)
        .env("MENTOR_LISTEN", "127.0.0.1:0")
        .env("MENTOR_NOW", now.to_rfc3339())
        .env("RUST_LOG", "mentor_app=info")
        .args(["--log-format", "json", "serve"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()?;
    let pid = child.id();
    let _reaper = Reaper(pid);
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = loop {
        let line =
            lines.next().ok_or_else(|| anyhow::anyhow!("server exited before serving"))??;
        let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        if v["fields"]["message"] == "serving" {
            break v["fields"]["addr"].as_str().unwrap_or_default().to_string();
        }
    };
    std::thread::spawn(move || for _ in lines {});

    // One manager token per org.
    let store = mentor_app::store::Store::connect(db_url).await?;
    let mut tokens = Vec::new();
    for org in ORGS {
        tokens.push(
            mentor_app::token::create_token(&store, org, &mentor_app::token::Role::Manager).await?,
        );
    }
    store.close().await;

    let client = reqwest::Client::new();
    let sprints = ["current", "previous", "2025-11-20"];
    // Warm-up: each org's config is fetched once, as in a running server.
    for (org, token) in ORGS.iter().zip(&tokens) {
        let r = client
            .get(format!("http://{addr}/api/v1/orgs/{org}/load"))
            .bearer_auth(token)
            .send()
            .await?;
        anyhow::ensure!(r.status() == 200, "{org}: {} {}", r.status(), r.text().await?);
    }
    let mut latencies = Vec::with_capacity(requests);
    let mut rows_seen = 0usize;
    let mut bytes = 0usize;
    for i in 0..requests {
        let org = ORGS[i % ORGS.len()];
        let sprint = sprints[(i / ORGS.len()) % sprints.len()];
        let t = Instant::now();
        let r = client
            .get(format!("http://{addr}/api/v1/orgs/{org}/load?sprint={sprint}"))
            .bearer_auth(&tokens[i % ORGS.len()])
            .send()
            .await?;
        let status = r.status();
        let body = r.bytes().await?;
        latencies.push(t.elapsed());
        anyhow::ensure!(status == 200, "{org}: {status}");
        let v: serde_json::Value = serde_json::from_slice(&body)?;
        rows_seen += v["mentors"].as_array().map_or(0, Vec::len);
        bytes += body.len();
    }
    // The dashboard's load page, as a manager signed in (a session made in the database), for the same sprints:
    // server time (loopback latency), page weight as sent with gzip and unpacked.
    let store = mentor_app::store::Store::connect(db_url).await?;
    // One session per run: a database kept with LOADREAD_DB already holds the sessions of earlier runs.
    let session = format!("loadread-session-{}", std::process::id());
    store.create_session(&mentor_app::token::token_hash(&session), "boss", now).await?;
    store.close().await;
    let cookie = format!("mentor_session={session}");
    let mut page_latencies = Vec::with_capacity(requests);
    let (mut gzip_bytes, mut html_bytes) = (0usize, 0usize);
    for i in 0..requests + ORGS.len() {
        let org = ORGS[i % ORGS.len()];
        let sprint = sprints[(i / ORGS.len()) % sprints.len()];
        let url = format!("http://{addr}/orgs/{org}/load?sprint={sprint}");
        let t = Instant::now();
        let r = client
            .get(&url)
            .header("cookie", &cookie)
            .header("accept-encoding", "gzip")
            .send()
            .await?;
        let status = r.status();
        let encoding = r.headers().get("content-encoding").cloned();
        let body = r.bytes().await?;
        let elapsed = t.elapsed();
        anyhow::ensure!(status == 200, "page {org}: {status}");
        anyhow::ensure!(encoding.is_some_and(|e| e == "gzip"), "the page was not compressed");
        // The first request per org warms its role cache (one GitHub round trip), as a returning visitor has.
        if i >= ORGS.len() {
            page_latencies.push(elapsed);
            gzip_bytes += body.len();
        }
        if i == ORGS.len() {
            let plain = client.get(&url).header("cookie", &cookie).send().await?.bytes().await?;
            html_bytes = plain.len();
        }
    }
    page_latencies.sort_unstable();
    let page_pct = |p: f64| {
        let i =
            ((page_latencies.len() as f64 * p).ceil() as usize).clamp(1, page_latencies.len()) - 1;
        page_latencies[i].as_secs_f64() * 1000.0
    };

    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let hwm = status.lines().find(|l| l.starts_with("VmHWM")).unwrap_or("VmHWM: ?").to_string();
    latencies.sort_unstable();
    let pct = |p: f64| {
        let i = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1;
        latencies[i].as_secs_f64() * 1000.0
    };
    println!(
        "backend:            {}",
        if db_url.starts_with("postgres") { "postgresql" } else { "sqlite" }
    );
    println!(
        "touchpoints stored: {total} ({} orgs, {} mentors, 3 years; seeded in {:.1} s)",
        ORGS.len(),
        ORGS.len() * MENTORS_PER_ORG,
        seeded.as_secs_f64()
    );
    println!(
        "requests:           {requests} sequential GET /api/v1/orgs/{{org}}/load (current, previous, a year back)"
    );
    println!(
        "mentor rows/report: {:.0}, body {:.1} KB",
        rows_seen as f64 / requests as f64,
        bytes as f64 / requests as f64 / 1024.0
    );
    println!("latency p50/p95/max: {:.2} / {:.2} / {:.2} ms", pct(0.50), pct(0.95), pct(1.0));
    println!(
        "load page:          {requests} sequential GET /orgs/{{org}}/load as a manager ({} mentors, 6-sprint trend)",
        MENTORS_PER_ORG
    );
    println!(
        "page p50/p95/max:   {:.2} / {:.2} / {:.2} ms",
        page_pct(0.50),
        page_pct(0.95),
        page_pct(1.0)
    );
    println!(
        "page weight:        {:.1} KB sent (gzip), {:.1} KB of HTML",
        gzip_bytes as f64 / requests as f64 / 1024.0,
        html_bytes as f64 / 1024.0
    );
    println!(
        "server peak RSS:    {}",
        hwm.split_whitespace().skip(1).collect::<Vec<_>>().join(" ")
    );
    let _ = child.kill();
    let _ = child.wait();
    Ok(())
}

/// Writes `total` touchpoints spread over every pair of every org and over `span` before `first + span`.
async fn seed(
    db_url: &str,
    total: usize,
    first: DateTime<Utc>,
    span: chrono::Duration,
) -> anyhow::Result<()> {
    let pairs: Vec<(usize, usize, usize)> = (0..ORGS.len())
        .flat_map(|o| {
            (0..MENTORS_PER_ORG).flat_map(move |m| (0..MENTEES_PER_MENTOR).map(move |e| (o, m, e)))
        })
        .collect();
    let step = span.num_seconds() as f64 / (total as f64 / pairs.len() as f64);
    let rows = (0..total).map(|i| {
        let (o, m, e) = pairs[i % pairs.len()];
        let k = i / pairs.len();
        let at = first + chrono::Duration::seconds((k as f64 * step) as i64 + (i % 977) as i64);
        let t = Touchpoint {
            key: format!("review:{}/api#{k}/review/{i}:m{m}>e{m}x{e}", ORGS[o]),
            kind: TouchpointKind::Review,
            mentor: Login::new(&format!("m{m}")),
            mentee: Login::new(&format!("e{m}x{e}")),
            minutes: 30,
            at,
            source: format!("{}/api#{k}", ORGS[o]),
            url: None,
        };
        (ORGS[o], t)
    });
    let rows: Vec<(&str, Touchpoint)> = rows.collect();
    // A macro: the query builder's type differs per backend.
    macro_rules! insert {
        ($chunk:expr) => {{
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO touchpoints (key, mentor, mentee, at, delivery_id, data, org, minutes) ",
            );
            q.push_values($chunk, |mut row, (org, t): &(&str, Touchpoint)| {
                row.push_bind(t.key.clone())
                    .push_bind(t.mentor.as_str().to_owned())
                    .push_bind(t.mentee.as_str().to_owned())
                    .push_bind(t.at.timestamp_millis())
                    .push_bind("seed")
                    .push_bind(serde_json::to_string(t).unwrap_or_default())
                    .push_bind(org.to_string())
                    .push_bind(i64::from(t.minutes));
            });
            q
        }};
    }
    if db_url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(db_url).await?;
        for chunk in rows.chunks(2_000) {
            let mut tx = pool.begin().await?;
            insert!(chunk).build().execute(&mut *tx).await?;
            tx.commit().await?;
        }
        sqlx::query("ANALYZE touchpoints").execute(&pool).await?;
        pool.close().await;
    } else {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite:{db_url}")).await?;
        for chunk in rows.chunks(5_000) {
            let mut tx = pool.begin().await?;
            for part in chunk.chunks(4_000 / 8) {
                insert!(part).build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
        }
        sqlx::query("ANALYZE").execute(&pool).await?;
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&pool).await?;
        pool.close().await;
    }
    Ok(())
}
