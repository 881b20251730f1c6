//! Webhook throughput benchmark: starts a tiny offline GitHub, spawns `mentor-app serve` on a fresh SQLite file,
//! sends signed real `pull_request_review` payloads (unique delivery and review ids) from N concurrent
//! connections for a fixed time, then reports deliveries/s, latency percentiles, the server's peak RSS and
//! whether every accepted delivery is in the database.
//!
//! Usage: `cargo run --release -p mentor-app --example loadgen -- <mentor-app binary> [seconds] [connections]
//! [replicas]` (see `bench/webhook-throughput.sh`). With `LOADGEN_POSTGRES_URL` (a server's URL, e.g.
//! `postgres://postgres@127.0.0.1:5432/postgres`) the inbox is a fresh PostgreSQL database made there and dropped
//! afterwards, and `replicas` servers share it, the connections spread over them in turn (see
//! `bench/replicas.sh`). The last line, `SUMMARY …`, repeats the figures for scripts.

mod support;

use mentor_app::store::DeliveryStatus;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::routing::{get, post};
use base64::Engine as _;

const SECRET: &str = "bench-secret";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let bin = args.get(1).cloned().unwrap_or_else(|| "target/release/mentor-app".into());
    let seconds: u64 = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(10);
    let connections: usize = args.get(3).map(|s| s.parse()).transpose()?.unwrap_or(50);
    let replicas: usize = args.get(4).map(|s| s.parse()).transpose()?.unwrap_or(1).max(1);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();

    // Offline GitHub: installation tokens and the program config, in the shapes the live client expects.
    let config = std::fs::read_to_string(root.join("tests/fixtures/app/mentorship.yml"))?;
    let encoded = base64::engine::general_purpose::STANDARD.encode(config);
    let github = axum::Router::new()
        .route(
            "/app/installations/{id}/access_tokens",
            post(|| async {
                let expires = chrono::Utc::now() + chrono::Duration::hours(1);
                axum::Json(serde_json::json!({"token": "ghs_bench", "expires_at": expires.to_rfc3339()}))
            }),
        )
        .route(
            "/installation/repositories",
            get(|| async {
                axum::Json(serde_json::json!({"total_count": 1, "repositories": [{
                    "id": 1296269, "name": "Hello-World", "full_name": "Codertocat/Hello-World",
                    "owner": {"login": "Codertocat"}, "private": false, "default_branch": "master"
                }]}))
            }),
        )
        .route(
            "/repos/{owner}/{repo}/contents/{*path}",
            get(move |axum::extract::Path((_o, _r, path)): axum::extract::Path<(String, String, String)>| {
                let encoded = encoded.clone();
                async move {
                    if path == ".github/mentorship.yml" {
                        Ok(axum::Json(serde_json::json!({"type": "file", "encoding": "base64", "content": encoded})))
                    } else {
                        Err(axum::http::StatusCode::NOT_FOUND)
                    }
                }
            }),
        );
    let gh_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let gh_url = format!("http://{}", gh_listener.local_addr()?);
    tokio::spawn(async move { axum::serve(gh_listener, github).await });

    let dir = tempfile::tempdir()?;
    let postgres = match std::env::var("LOADGEN_POSTGRES_URL") {
        Ok(base) => Some(support::Postgres::create(&base, "loadgen").await?),
        Err(_) => None,
    };
    let db = match &postgres {
        Some(pg) => pg.url.clone(),
        None => dir.path().join("bench.db").to_string_lossy().into_owned(),
    };
    if postgres.is_none() && replicas > 1 {
        anyhow::bail!("several replicas need one PostgreSQL: set LOADGEN_POSTGRES_URL");
    }
    let envs = [
        ("MENTOR_DATABASE_URL", db.clone()),
        ("MENTOR_WEBHOOK_SECRET", SECRET.to_owned()),
        ("MENTOR_APP_ID", "4242".to_owned()),
        (
            "MENTOR_PRIVATE_KEY_FILE",
            root.join("tests/fixtures/github-app-test-key.pem").to_string_lossy().into_owned(),
        ),
        // LOADGEN_GITHUB_URL (e.g. a closed port) measures ingest alone: the worker then only retries.
        ("MENTOR_GITHUB_API_URL", std::env::var("LOADGEN_GITHUB_URL").unwrap_or(gh_url)),
        ("RUST_LOG", "mentor_app=info".to_owned()),
    ];
    let result = measure(&bin, &envs, &db, replicas, connections, seconds, &root).await;
    if let Some(pg) = postgres {
        pg.drop().await?;
    }
    result
}

/// Runs `replicas` servers on `db`, loads them for `seconds` from `connections` connections, drains, and
/// reports.
async fn measure(
    bin: &str,
    envs: &[(&str, String)],
    db: &str,
    replicas: usize,
    connections: usize,
    seconds: u64,
    root: &std::path::Path,
) -> anyhow::Result<()> {
    let mut servers = Vec::new();
    let mut reapers = Vec::new();
    for _ in 0..replicas {
        let server = support::spawn_server(std::path::Path::new(bin), envs, drop)?;
        // Stops the server on every way out of here, errors included.
        reapers.push(support::Reaper(server.pid));
        servers.push(server);
    }
    let urls: Vec<String> = servers.iter().map(|s| format!("http://{}/webhook", s.addr)).collect();

    // A real payload with the logins of a configured pair and a fresh time; the review id varies per request.
    let mut payload: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(
        root.join("tests/fixtures/webhooks/pull_request_review/submitted.payload.json"),
    )?)?;
    payload["review"]["user"]["login"] = "bob".into();
    payload["pull_request"]["user"]["login"] = "alice".into();
    payload["review"]["submitted_at"] = chrono::Utc::now().to_rfc3339().into();
    payload["review"]["id"] = 987_654_321u64.into();
    let text = serde_json::to_string(&payload)?;
    let (head, tail) = text.split_once("987654321").unwrap();
    let (head, tail) = (Arc::new(head.to_string()), Arc::new(tail.to_string()));

    let client = reqwest::Client::builder().pool_max_idle_per_host(connections).build()?;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for lane in 0..connections {
        let url = urls[lane % urls.len()].clone();
        let (client, head, tail) = (client.clone(), head.clone(), tail.clone());
        tasks.spawn(async move {
            let mut latencies: Vec<u32> = Vec::with_capacity(100_000);
            let (mut accepted, mut errors) = (0u64, 0u64);
            let mut i = 0u64;
            while Instant::now() < deadline {
                let id = (lane as u64) * 10_000_000 + i;
                i += 1;
                let body = format!("{head}{id}{tail}");
                let sig = mentor_app::webhook::sign(SECRET, body.as_bytes());
                let t = Instant::now();
                let resp = client
                    .post(&url)
                    .header("x-github-event", "pull_request_review")
                    .header("x-github-delivery", format!("bench-{id}"))
                    .header("x-hub-signature-256", sig)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await;
                latencies.push(t.elapsed().as_micros() as u32);
                match resp {
                    Ok(r) if r.status().as_u16() == 202 => accepted += 1,
                    _ => errors += 1,
                }
            }
            (latencies, accepted, errors)
        });
    }
    let (mut latencies, mut accepted, mut errors) = (Vec::new(), 0u64, 0u64);
    while let Some(r) = tasks.join_next().await {
        let (l, a, e) = r?;
        latencies.extend(l);
        accepted += a;
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let pct = |p: f64| f64::from(support::quantile(&latencies, p)) / 1000.0;
    let (server_user, server_sys) = servers
        .iter()
        .map(|s| support::cpu_split(&format!("/proc/{}/stat", s.pid)))
        .fold((0.0, 0.0), |(user, sys), (u, s)| (user + u, sys + s));
    let server_cpu = server_user + server_sys;
    let (own_user, own_sys) = support::cpu_split("/proc/self/stat");
    let own_cpu = own_user + own_sys;
    let hwm = servers
        .iter()
        .map(|s| support::status_kb(s.pid, "VmHWM").map_or("?".to_owned(), |kb| format!("{kb} kB")))
        .collect::<Vec<_>>()
        .join(", ");

    // Let the worker drain for a while, then stop the server gracefully and count.
    let store = mentor_app::store::Store::connect(db).await?;
    let drain_start = Instant::now();
    let mut processed_all = false;
    while drain_start.elapsed() < Duration::from_secs(120) {
        let counts = store.count_by_status().await?;
        if !counts.iter().any(|(s, n)| {
            matches!(s, DeliveryStatus::Pending | DeliveryStatus::Processing) && *n > 0
        }) {
            processed_all = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let drain = drain_start.elapsed().as_secs_f64();
    for server in &mut servers {
        support::stop(server);
    }
    let counts = store.count_by_status().await?;
    let rows: i64 = counts.iter().map(|(_, n)| n).sum();
    let touchpoints = store.touchpoints_of("codertocat").await?.len();

    println!(
        "database:           {}",
        if db.starts_with("postgres") { "PostgreSQL" } else { "SQLite" }
    );
    println!("replicas:           {replicas}");
    println!("connections:        {connections}");
    println!("duration:           {elapsed:.1} s");
    println!("accepted (202):     {accepted}  errors: {errors}");
    println!("throughput:         {:.0} deliveries/s", accepted as f64 / elapsed);
    println!("latency p50/p99/max: {:.2} / {:.2} / {:.2} ms", pct(0.50), pct(0.99), pct(1.0));
    println!("server peak RSS:    {hwm}");
    println!(
        "CPU during load:    server {server_cpu:.1} s (user {server_user:.1}, system {server_sys:.1}; {:.0} µs/delivery), \
         load generator {own_cpu:.1} s",
        server_cpu * 1e6 / accepted.max(1) as f64
    );
    println!(
        "rows in deliveries: {rows} (accepted {accepted}; missing {})",
        (accepted as i64 - rows).max(0)
    );
    println!("by status:          {counts:?}");
    println!("touchpoints:        {touchpoints}");
    println!("worker drain after load: {drain:.1} s (all processed: {processed_all})");
    let done =
        counts.iter().filter(|(s, _)| *s == DeliveryStatus::Done).map(|(_, n)| n).sum::<i64>();
    // Processing throughput over the whole run: the workers start with the first delivery and end with the drain.
    println!(
        "SUMMARY replicas={replicas} ingest={:.0} processed={:.0} p50={:.2} p99={:.2} drain={drain:.1} cpu_us={:.0}",
        accepted as f64 / elapsed,
        done as f64 / (elapsed + drain),
        pct(0.50),
        pct(0.99),
        server_cpu * 1e6 / accepted.max(1) as f64
    );
    // A benchmark whose deliveries failed measured nothing but the inbox: say why, loudly.
    if let Some(failed) = store.list_deliveries(Some(DeliveryStatus::Failed), 1).await?.first() {
        anyhow::bail!(
            "deliveries failed instead of being processed; first error: {}",
            failed.last_error.as_deref().unwrap_or("(none)")
        );
    }
    if rows < accepted as i64 {
        anyhow::bail!("{} accepted deliveries are missing", accepted as i64 - rows);
    }
    store.close().await;
    Ok(())
}
