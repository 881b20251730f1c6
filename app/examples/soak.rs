//! Soak test: `mentor-app serve` (release) under minutes of mixed load while its GitHub misbehaves.
//!
//! The driver serves GitHub itself: the tests' strict fake (`tests/app/fake_github.rs`, included here), which keeps
//! the comments, reviews and issues the App creates. On top of it a fault injector, at a steady rate, makes the
//! next matching request fail: 500s and 502s, 429 with `Retry-After`, 403 with an exhausted rate limit and its
//! reset, and now and then an answer slower than the server's GitHub timeout (the fake carries the request out
//! first, so a create happened although the client saw a timeout: the case the outbox's markers exist for).
//!
//! Load, at a steady rate for the whole run:
//! - signed webhooks, mixed: reviews and review comments between configured pairs, PRs opened by mentees (a
//!   review guide comment each), merged PRs (evidence, so the pair's growth journal issue is written or edited),
//!   and `/mentor help` and `/mentor checkin` comments (a reply comment, a reaction);
//! - readers on the API (`/api/v1/orgs/{org}/load`, CSV, evidence, feedback) with tokens made by
//!   `mentor-app token create`, and on the dashboard pages (load, mentee, mentor) with a signed-in session and
//!   the check-in calendar feed with a calendar token;
//! - the server's RSS (`/proc/PID/status` VmRSS) sampled every 2 s.
//!
//! Then the faults stop, the driver waits until the inbox and the outbox are idle, and reports: deliveries sent,
//! accepted and processed, the accepted ones not done (lost), GitHub writes per hidden marker (a marker on two
//! comments, reviews or issues is a duplicate), outbox writes not made, reads and their errors with p50/p99, and
//! RSS after warm-up, at the end and its maximum. It exits non-zero on a lost delivery, a duplicated write or a
//! write not made.
//!
//! Usage: `soak <mentor-app binary> [minutes] [sqlite | postgres://…/db]` (see `bench/soak.sh`); for PostgreSQL a
//! scratch database is created next to the one named and dropped afterwards. Tuning: `SOAK_RATE` (deliveries/s,
//! default 20), `SOAK_READERS` (default 4, each pausing 200 ms between reads), `SOAK_GITHUB_TIMEOUT_SECS`
//! (default 3; slow answers take 2 s longer), `SOAK_LOG` (the server's log file).

mod support;

#[path = "../../tests/app/fake_github.rs"]
#[expect(dead_code, reason = "the soak uses part of the tests' fake GitHub")]
mod fake_github;
#[path = "../../tests/app/fake_graphql.rs"]
mod fake_graphql;

/// What the fake GitHub borrows from the tests' util module.
mod util {
    /// Returns the repository root.
    pub fn root() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
    }
}

use mentor_app::store::{DeliveryStatus, InstallationStatus, WriteStatus};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fake_github::{FakeGitHub, Fault};
use serde_json::{Value, json};

const SECRET: &str = "soak-secret";
const ORG: &str = "acme";
const REPO: &str = "acme/api";
const JOURNAL: &str = "acme/journal";
const INSTALLATION: u64 = 7001;
/// (mentor, mentee) of the fixture config.
const PAIRS: [(&str, &str); 3] = [("bob", "alice"), ("bob", "carol"), ("dave", "erin")];

/// The webhook mix, one entry per slot of a cycle of 20 deliveries.
const MIX: [Kind; 20] = {
    use Kind::*;
    [
        Review,
        ReviewComment,
        Review,
        Opened,
        Review,
        Command,
        ReviewComment,
        Review,
        Merged,
        Review,
        Review,
        ReviewComment,
        Opened,
        Review,
        Command,
        Review,
        ReviewComment,
        Opened,
        Merged,
        Command,
    ]
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Review,
    ReviewComment,
    Opened,
    Merged,
    Command,
}

/// Webhook sending, as seen by the client.
#[derive(Default)]
struct Sent {
    sent: u64,
    accepted_ids: Vec<String>,
    refused: BTreeMap<u16, u64>,
    errors: u64,
    latencies_us: Vec<u32>,
    by_kind: BTreeMap<String, u64>,
}

/// Reads of one kind.
#[derive(Default)]
struct Reads {
    ok: u64,
    errors: BTreeMap<String, u64>,
    latencies_us: Vec<u32>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let bin = std::path::PathBuf::from(
        args.get(1).cloned().unwrap_or_else(|| "target/release/mentor-app".into()),
    );
    let minutes: f64 = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(10.0);
    let backend = args.get(3).cloned().unwrap_or_else(|| "sqlite".into());
    let env_num = |name: &str, default: f64| -> anyhow::Result<f64> {
        std::env::var(name)
            .ok()
            .map(|v| v.parse::<f64>())
            .transpose()
            .map(|v| v.unwrap_or(default))
            .map_err(|e| anyhow::anyhow!("{name}: {e}"))
    };
    let settings = Settings {
        duration: Duration::from_secs_f64(minutes * 60.0),
        rate: env_num("SOAK_RATE", 20.0)?,
        readers: env_num("SOAK_READERS", 4.0)? as usize,
        github_timeout: Duration::from_secs(env_num("SOAK_GITHUB_TIMEOUT_SECS", 3.0)? as u64),
        drain_limit: Duration::from_secs(env_num("SOAK_DRAIN_SECS", 600.0)? as u64),
    };

    let dir = tempfile::tempdir()?;
    let (db_url, scratch) = if backend == "sqlite" {
        (dir.path().join("soak.db").to_string_lossy().into_owned(), None)
    } else {
        let pg = support::Postgres::create(&backend, "soak").await?;
        (pg.url.clone(), Some(pg))
    };
    let result = run(&bin, &db_url, &settings).await;
    if let Some(pg) = scratch {
        pg.drop().await?;
    }
    let failures = result?;
    if !failures.is_empty() {
        anyhow::bail!("soak failed: {}", failures.join("; "));
    }
    Ok(())
}

struct Settings {
    duration: Duration,
    rate: f64,
    readers: usize,
    github_timeout: Duration,
    drain_limit: Duration,
}

/// Runs the soak; returns what failed (empty: passed).
async fn run(
    bin: &std::path::Path,
    db_url: &str,
    settings: &Settings,
) -> anyhow::Result<Vec<String>> {
    let root = util::root();
    let fake = FakeGitHub::start().await;
    fake.add_installation(INSTALLATION, ORG, &[REPO, JOURNAL]);
    let config = std::fs::read_to_string(root.join("tests/fixtures/app/mentorship.yml"))?;
    fake.put_file(
        REPO,
        ".github/mentorship.yml",
        &format!(
            "{config}\ntemplates: {{ on_mentee_pr: review-guide }}\n\
             privacy: {{ journal_repo: {JOURNAL}, managers: [boss] }}\n"
        ),
    );

    // The org is installed before the server starts (no backfill), as an installation event would leave it.
    let store = mentor_app::store::Store::connect(db_url).await?;
    store
        .upsert_installation(ORG, INSTALLATION, InstallationStatus::Active, chrono::Utc::now())
        .await?;

    let log_path = std::env::var("SOAK_LOG")
        .unwrap_or_else(|_| format!("/tmp/mentor-soak-{}.log", std::process::id()));
    let log = Arc::new(Mutex::new(std::io::BufWriter::new(std::fs::File::create(&log_path)?)));
    let levels: Arc<Mutex<BTreeMap<String, u64>>> = Arc::default();
    let timeout_secs = settings.github_timeout.as_secs().to_string();
    let envs = [
        ("MENTOR_DATABASE_URL", db_url.to_owned()),
        ("MENTOR_WEBHOOK_SECRET", SECRET.to_owned()),
        ("MENTOR_APP_ID", fake_github::APP_ID.to_string()),
        (
            "MENTOR_PRIVATE_KEY_FILE",
            root.join("tests/fixtures/github-app-test-key.pem").to_string_lossy().into_owned(),
        ),
        ("MENTOR_GITHUB_API_URL", fake.api_url()),
        ("MENTOR_BACKFILL", "off".to_owned()),
        // Retries start after 1 s (doubling), so a soak of minutes sees many of them and drains in time.
        ("MENTOR_RETRY_BASE_MS", "1000".to_owned()),
        ("MENTOR_GITHUB_TIMEOUT_SECS", timeout_secs),
        ("RUST_LOG", "mentor_app=info".to_owned()),
    ];
    let (log_w, levels_w) = (Arc::clone(&log), Arc::clone(&levels));
    let mut server = support::spawn_server(bin, &envs, move |line| {
        use std::io::Write as _;
        let v: Value = serde_json::from_str(&line).unwrap_or_default();
        let level = v["level"].as_str().unwrap_or("?");
        if level == "WARN" || level == "ERROR" {
            // Grouped by message with numbers (ids, waits) left out.
            let message: String = v["fields"]["message"]
                .as_str()
                .unwrap_or("?")
                .chars()
                .map(|c| if c.is_ascii_digit() { '#' } else { c })
                .collect();
            let message = message.replace("##", "#").replace("##", "#").replace("##", "#");
            *levels_w.lock().unwrap().entry(format!("{level} {message}")).or_default() += 1;
        }
        let _ = writeln!(log_w.lock().unwrap(), "{line}");
    })?;
    let pid = server.pid;
    let _reaper = support::Reaper(pid);
    let base = format!("http://{}", server.addr);

    // Tokens as an operator makes them; a session as sign-in leaves it.
    let token = |role: &str| -> anyhow::Result<String> {
        let out = std::process::Command::new(bin)
            .env("MENTOR_DATABASE_URL", db_url)
            .env("MENTOR_PUBLIC_URL", &base)
            .args(["token", "create", "--org", ORG, "--role", role])
            .output()?;
        anyhow::ensure!(
            out.status.success(),
            "token create: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The token alone on the last line; for a calendar token, its feed's address.
        let text = String::from_utf8(out.stdout)?;
        let last = text.lines().last().unwrap_or_default().trim();
        Ok(last.strip_prefix(base.as_str()).unwrap_or(last).to_owned())
    };
    let manager = token("manager")?;
    let mentor = token("mentor:bob")?;
    let calendar = token("calendar:bob")?;
    let mut sessions = HashMap::new();
    for login in ["boss", "bob"] {
        let id = format!("soak-session-{login}-{}", std::process::id());
        store
            .create_session(&mentor_app::token::token_hash(&id), login, chrono::Utc::now())
            .await?;
        sessions.insert(login, format!("mentor_session={id}"));
    }
    let reads_plan: Vec<(&str, String, Auth)> = vec![
        ("api load", format!("/api/v1/orgs/{ORG}/load"), Auth::Bearer(manager.clone())),
        (
            "api load csv",
            format!("/api/v1/orgs/{ORG}/load?format=csv&sprint=previous"),
            Auth::Bearer(manager),
        ),
        (
            "api evidence",
            format!("/api/v1/orgs/{ORG}/mentees/alice/evidence"),
            Auth::Bearer(mentor.clone()),
        ),
        (
            "api feedback",
            format!("/api/v1/orgs/{ORG}/mentees/carol/feedback"),
            Auth::Bearer(mentor),
        ),
        ("page load", format!("/orgs/{ORG}/load"), Auth::Cookie(sessions["boss"].clone())),
        (
            "page mentee",
            format!("/orgs/{ORG}/mentees/alice"),
            Auth::Cookie(sessions["bob"].clone()),
        ),
        ("page mentor", format!("/orgs/{ORG}/mentors/bob"), Auth::Cookie(sessions["bob"].clone())),
        ("calendar feed", calendar, Auth::None),
    ];

    let client = reqwest::Client::builder().timeout(Duration::from_secs(60)).build()?;
    // The server's `/metrics` (SQLite's memory), read between sends.
    let scraper = client.clone();
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let warm_up = Duration::from_secs(60).min(settings.duration / 5);

    // RSS every 2 s, until told to stop (after the drain).
    let rss: Arc<Mutex<Vec<(f64, u64)>>> = Arc::default();
    let sampling = Arc::new(AtomicBool::new(true));
    let rss_task = {
        let (rss, sampling) = (Arc::clone(&rss), Arc::clone(&sampling));
        tokio::spawn(async move {
            while sampling.load(Ordering::Relaxed) {
                if let Some(kb) = support::status_kb(pid, "VmRSS") {
                    rss.lock().unwrap().push((started.elapsed().as_secs_f64(), kb));
                }
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        })
    };

    // Faults at a steady rate, at most a few waiting at a time; a slow answer every 20 s.
    let injected: Arc<Mutex<BTreeMap<String, u64>>> = Arc::default();
    let faults_task = {
        let (fake, stop, injected) = (fake.clone(), Arc::clone(&stop), Arc::clone(&injected));
        let slow_ms = (settings.github_timeout + Duration::from_secs(2)).as_millis() as u64;
        tokio::spawn(async move {
            let rotation: [(&str, Fault, &str); 8] = [
                ("POST /repos/", Fault::ServerError, "500 on a create"),
                ("GET /repos/", Fault::ServerError, "500 on a read"),
                ("GET /repos/", Fault::RetryAfter(1), "429 Retry-After: 1"),
                ("POST /repos/", Fault::RetryAfter(2), "429 Retry-After: 2 on a create"),
                ("GET /repos/", Fault::RateLimitReset(2), "403 rate limit, reset in 3 s"),
                ("PATCH /repos/", Fault::ServerError, "500 on an edit"),
                ("POST /repos/", Fault::RateLimitReset(1), "403 rate limit on a create"),
                ("GET /repos/", Fault::Status(502), "502 on a read"),
            ];
            let slow: [(&str, &str); 3] = [
                ("POST /repos/acme/api/issues/", "slow answer to a comment create"),
                ("GET /repos/acme/api/", "slow answer to a read"),
                ("PATCH /repos/acme/journal/", "slow answer to a journal edit"),
            ];
            let mut k = 0usize;
            while !stop.load(Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_secs(1)).await;
                k += 1;
                if fake.pending_faults() >= 4 {
                    continue;
                }
                let what = if k.is_multiple_of(20) {
                    let (part, what) = slow[(k / 20) % slow.len()];
                    fake.inject(part, Fault::SlowAnswer(slow_ms));
                    what
                } else {
                    let (part, fault, what) = rotation[k % rotation.len()];
                    fake.inject(part, fault);
                    what
                };
                *injected.lock().unwrap().entry(what.to_owned()).or_default() += 1;
            }
        })
    };

    // GitHub's answers as the fake gave them, tallied as they come (the fake forgets what was taken).
    let answers: Arc<Mutex<BTreeMap<String, u64>>> = Arc::default();
    let tally = |fake: &FakeGitHub, answers: &Mutex<BTreeMap<String, u64>>| {
        let mut answers = answers.lock().unwrap();
        for r in fake.take_requests() {
            let key = match &r.rejected {
                Some(why) => format!("rejected: {why}"),
                None => r.status.as_u16().to_string(),
            };
            *answers.entry(key).or_default() += 1;
        }
    };

    // Readers.
    let reads: Arc<Mutex<BTreeMap<&'static str, Reads>>> = Arc::default();
    let mut readers = tokio::task::JoinSet::new();
    let reads_plan = Arc::new(reads_plan);
    for r in 0..settings.readers {
        let (client, base, stop, reads, plan) = (
            client.clone(),
            base.clone(),
            Arc::clone(&stop),
            Arc::clone(&reads),
            Arc::clone(&reads_plan),
        );
        readers.spawn(async move {
            let mut j = r;
            while !stop.load(Ordering::Relaxed) {
                let (what, path, auth) = &plan[j % plan.len()];
                j += 1;
                let mut req = client.get(format!("{base}{path}")).header("accept-encoding", "gzip");
                req = match auth {
                    Auth::Bearer(t) => req.bearer_auth(t),
                    Auth::Cookie(c) => req.header("cookie", c),
                    Auth::None => req,
                };
                let t = Instant::now();
                let outcome = match req.send().await {
                    Ok(resp) => {
                        let status = resp.status();
                        match resp.bytes().await {
                            Ok(_) if status.is_success() => Ok(()),
                            Ok(_) => Err(status.as_u16().to_string()),
                            Err(e) => Err(format!("body: {e}")),
                        }
                    }
                    Err(e) => {
                        Err(if e.is_timeout() { "timeout".into() } else { "transport".into() })
                    }
                };
                let us = t.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
                {
                    let mut reads = reads.lock().unwrap();
                    let entry = reads.entry(*what).or_default();
                    entry.latencies_us.push(us);
                    match outcome {
                        Ok(()) => entry.ok += 1,
                        Err(e) => *entry.errors.entry(e).or_default() += 1,
                    }
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        });
    }

    // Webhooks at a steady rate.
    let sent: Arc<Mutex<Sent>> = Arc::default();
    let in_flight = Arc::new(tokio::sync::Semaphore::new(64));
    let generator = Generator::new(&root)?;
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / settings.rate));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let url = format!("{base}/webhook");
    let mut i = 0u64;
    let mut next_report = Duration::from_secs(30);
    let deadline = started + settings.duration;
    println!(
        "soak: {:.1} min, {} deliveries/s, {} readers, GitHub timeout {:?}, backend {}, server log {log_path}",
        settings.duration.as_secs_f64() / 60.0,
        settings.rate,
        settings.readers,
        settings.github_timeout,
        if db_url.starts_with("postgres") { "postgresql" } else { "sqlite" }
    );
    while Instant::now() < deadline {
        tick.tick().await;
        let kind = MIX[(i % MIX.len() as u64) as usize];
        let (event, body) = generator.payload(kind, i, &fake);
        let id = format!("soak-{i}");
        i += 1;
        let permit = Arc::clone(&in_flight).acquire_owned().await?;
        let (client, url, sent_to) = (client.clone(), url.clone(), Arc::clone(&sent));
        tokio::spawn(async move {
            let sig = mentor_app::webhook::sign(SECRET, &body);
            let t = Instant::now();
            let resp = client
                .post(&url)
                .header("x-github-event", event)
                .header("x-github-delivery", &id)
                .header("x-hub-signature-256", sig)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await;
            let us = t.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
            let mut sent = sent_to.lock().unwrap();
            sent.sent += 1;
            sent.latencies_us.push(us);
            *sent.by_kind.entry(format!("{kind:?}")).or_default() += 1;
            match resp {
                Ok(r) if r.status().as_u16() == 202 => sent.accepted_ids.push(id),
                Ok(r) => *sent.refused.entry(r.status().as_u16()).or_default() += 1,
                Err(_) => sent.errors += 1,
            }
            drop(permit);
        });
        if started.elapsed() >= next_report {
            next_report += Duration::from_secs(30);
            tally(&fake, &answers);
            let backlog = busy(&store).await.unwrap_or((-1, -1));
            let (sent_n, accepted) = {
                let s = sent.lock().unwrap();
                (s.sent, s.accepted_ids.len())
            };
            let read_n: u64 =
                reads.lock().unwrap().values().map(|r| r.ok + r.errors.values().sum::<u64>()).sum();
            let memory = memory(&scraper, &base).await;
            println!(
                "  {:>4.0} s: webhooks {sent_n} sent, {accepted} accepted; backlog {} deliveries, {} writes; \
                 {read_n} reads; RSS {:.1} MB{memory}",
                started.elapsed().as_secs_f64(),
                backlog.0,
                backlog.1,
                support::status_kb(pid, "VmRSS").unwrap_or(0) as f64 / 1024.0
            );
        }
    }
    let load_secs = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let _ = in_flight.acquire_many(64).await?;
    while readers.join_next().await.is_some() {}
    faults_task.await?;
    let rss_end_of_load = support::status_kb(pid, "VmRSS").unwrap_or(0);
    fake.clear_faults();

    // Drain: the inbox and the outbox idle.
    let drain_start = Instant::now();
    let mut drained = false;
    while drain_start.elapsed() < settings.drain_limit {
        tally(&fake, &answers);
        if busy(&store).await? == (0, 0) {
            drained = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let drain_secs = drain_start.elapsed().as_secs_f64();
    tally(&fake, &answers);
    let rss_after_drain = support::status_kb(pid, "VmRSS").unwrap_or(0);
    let memory_after_drain = memory(&scraper, &base).await;
    let hwm = support::status_kb(pid, "VmHWM").unwrap_or(0);
    let (cpu_user, cpu_sys) = support::cpu_split(&format!("/proc/{pid}/stat"));
    sampling.store(false, Ordering::Relaxed);
    rss_task.await?;

    // Deliveries: every accepted one done (or ignored), each processed once.
    let rows = store.list_deliveries(None, u32::MAX).await?;
    let by_id: HashMap<&str, &mentor_app::store::DeliveryRow> =
        rows.iter().map(|r| (r.id.as_str(), r)).collect();
    let sent = std::mem::take(&mut *sent.lock().unwrap());
    let mut lost = Vec::new();
    let mut reprocessed = 0u64;
    let mut statuses: BTreeMap<&str, u64> = BTreeMap::new();
    for id in &sent.accepted_ids {
        match by_id.get(id.as_str()) {
            None => lost.push(format!("{id}: no row")),
            Some(row) => {
                *statuses.entry(row.status.as_str()).or_default() += 1;
                if !matches!(row.status, DeliveryStatus::Done | DeliveryStatus::Ignored) {
                    lost.push(format!(
                        "{id} ({} {}): {} after {} attempts: {}",
                        row.event,
                        row.action.as_deref().unwrap_or(""),
                        row.status,
                        row.attempts,
                        row.last_error.as_deref().unwrap_or("")
                    ));
                }
                if row.processed_count > 1 {
                    reprocessed += 1;
                }
            }
        }
    }

    // Writes: what the App created on GitHub, per hidden marker.
    let mut objects: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut unmarked = 0u64;
    let mut add = |what: String, body: &str| match marker_of(body) {
        Some(m) => objects.entry(m).or_default().push(what),
        None => unmarked += 1,
    };
    for c in fake.all_comments().iter().filter(|c| c.user == fake_github::APP_LOGIN) {
        add(format!("comment {} on {}#{}", c.id, c.repo, c.number), &c.body);
    }
    for (repo, number, user, body) in fake.all_reviews() {
        if user == fake_github::APP_LOGIN {
            add(format!("review on {repo}#{number}"), &body);
        }
    }
    for issue in fake.all_issues() {
        add(format!("issue {}#{}", issue.repo, issue.number), &issue.body);
    }
    let duplicates: Vec<(&String, &Vec<String>)> =
        objects.iter().filter(|(_, found)| found.len() > 1).collect();
    let outbox = store.list_outbox(None, u32::MAX).await?;
    let mut outbox_status: BTreeMap<&str, u64> = BTreeMap::new();
    let mut not_made = Vec::new();
    let mut attempts_max = 0i64;
    let mut retried = 0u64;
    for row in &outbox {
        *outbox_status.entry(row.status.as_str()).or_default() += 1;
        attempts_max = attempts_max.max(row.attempts);
        retried += u64::from(row.attempts > 1);
        let reaction = row.marker.starts_with("reaction:");
        if row.status != WriteStatus::Done {
            not_made.push(format!(
                "{} {}: {}",
                row.marker,
                row.status,
                row.last_error.as_deref().unwrap_or("")
            ));
        } else if !reaction && !objects.contains_key(&row.marker) {
            not_made.push(format!("{} done, but nothing on GitHub carries its marker", row.marker));
        }
    }
    let kinds_of = |prefix: &str| objects.keys().filter(|m| m.starts_with(prefix)).count();
    let reactions = fake.reactions();
    let mut reaction_count: HashMap<(u64, String), u64> = HashMap::new();
    for (_, _, id, content) in &reactions {
        *reaction_count.entry((*id, content.clone())).or_default() += 1;
    }
    let reactions_twice = reaction_count.values().filter(|n| **n > 1).count();

    support::stop(&mut server);
    store.close().await;
    let _ = std::io::Write::flush(&mut *log.lock().unwrap());

    // The report.
    let ms = |us: u32| f64::from(us) / 1000.0;
    let mut latencies = sent.latencies_us.clone();
    latencies.sort_unstable();
    println!();
    println!(
        "== Soak report ({:.1} min of load, backend {})",
        load_secs / 60.0,
        if db_url.starts_with("postgres") { "postgresql" } else { "sqlite" }
    );
    println!(
        "webhooks:      {} sent ({:.1}/s), {} accepted (202), refused {:?}, transport errors {}; mix {:?}",
        sent.sent,
        sent.sent as f64 / load_secs,
        sent.accepted_ids.len(),
        sent.refused,
        sent.errors,
        sent.by_kind
    );
    println!(
        "  latency p50 / p99 / max: {:.2} / {:.2} / {:.2} ms",
        ms(support::quantile(&latencies, 0.5)),
        ms(support::quantile(&latencies, 0.99)),
        ms(support::quantile(&latencies, 1.0))
    );
    println!(
        "deliveries:    accepted ones by status {statuses:?}; processed more than once: {reprocessed}; \
         drained in {drain_secs:.1} s (idle: {drained})"
    );
    println!("  lost (accepted, not done): {}", lost.len());
    for l in lost.iter().take(10) {
        println!("    {l}");
    }
    println!(
        "GitHub writes: {} markers on GitHub ({} review guides, {} replies, {} journals), {} reactions; \
         outbox rows {outbox_status:?}, {retried} needed more than one attempt (most: {attempts_max})",
        objects.len(),
        kinds_of("review-guide:"),
        kinds_of("reply:"),
        kinds_of("journal:"),
        reactions.len()
    );
    println!(
        "  duplicated (a marker on two objects): {}; objects without a marker: {unmarked}; \
         same reaction twice: {reactions_twice}",
        duplicates.len()
    );
    for (marker, found) in duplicates.iter().take(10) {
        println!("    {marker}: {found:?}");
    }
    println!("  writes not made: {}", not_made.len());
    for w in not_made.iter().take(10) {
        println!("    {w}");
    }
    println!("GitHub faults injected: {:?}", injected.lock().unwrap());
    println!("GitHub answers: {:?}", answers.lock().unwrap());
    let reads = std::mem::take(&mut *reads.lock().unwrap());
    let (mut total, mut errors) = (0u64, 0u64);
    println!("reads:");
    for (what, r) in &reads {
        let mut l = r.latencies_us.clone();
        l.sort_unstable();
        let e: u64 = r.errors.values().sum();
        total += r.ok + e;
        errors += e;
        println!(
            "  {what:<14} {:>6} reads, {e} errors {:?}, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            r.ok + e,
            r.errors,
            ms(support::quantile(&l, 0.5)),
            ms(support::quantile(&l, 0.99)),
            ms(support::quantile(&l, 1.0))
        );
    }
    println!(
        "  all reads: {total}, errors {errors} ({:.3} %)",
        errors as f64 * 100.0 / total.max(1) as f64
    );
    let samples = rss.lock().unwrap().clone();
    let after_warm_up: Vec<&(f64, u64)> =
        samples.iter().filter(|(t, _)| *t >= warm_up.as_secs_f64() && *t <= load_secs).collect();
    let start_kb = after_warm_up.first().map_or(0, |s| s.1);
    let max_kb = samples.iter().map(|s| s.1).max().unwrap_or(0);
    let mb = |kb: u64| kb as f64 / 1024.0;
    // Least-squares slope of RSS over the loaded part after warm-up, in MB per minute.
    let slope = {
        let n = after_warm_up.len() as f64;
        let (mt, mr) =
            after_warm_up.iter().fold((0.0, 0.0), |(a, b), (t, r)| (a + t / n, b + mb(*r) / n));
        let (num, den) = after_warm_up.iter().fold((0.0, 0.0), |(a, b), (t, r)| {
            (a + (t - mt) * (mb(*r) - mr), b + (t - mt) * (t - mt))
        });
        if den > 0.0 { num / den * 60.0 } else { 0.0 }
    };
    let flat = start_kb > 0 && (rss_end_of_load as f64) <= 1.2 * start_kb as f64;
    println!(
        "server RSS:    {:.1} MB after {:.0} s warm-up, {:.1} MB at the end of the load, {:.1} MB after the drain, \
         max {:.1} MB (VmHWM {:.1} MB); trend after warm-up {slope:+.2} MB/min; {} samples",
        mb(start_kb),
        warm_up.as_secs_f64(),
        mb(rss_end_of_load),
        mb(rss_after_drain),
        mb(max_kb),
        mb(hwm),
        samples.len()
    );
    let mut by_minute: BTreeMap<u64, u64> = BTreeMap::new();
    for (t, kb) in &samples {
        let slot = by_minute.entry(*t as u64 / 60).or_default();
        *slot = (*slot).max(*kb);
    }
    let by_minute: Vec<String> = by_minute.values().map(|kb| format!("{:.1}", mb(*kb))).collect();
    println!("  highest RSS per minute (MB): {}", by_minute.join(", "));
    println!(
        "  verdict: RSS {} (end ≤ 1.2 × after warm-up)",
        if flat { "flat" } else { "NOT flat" }
    );
    if let Some((live, resident)) = memory_after_drain.heap {
        println!("  heap after the drain: {live:.1} MB live, {resident:.1} MB held by malloc");
    }
    if let Some((used, most)) = memory_after_drain.sqlite {
        println!(
            "  of which SQLite's allocator (caches, statements): {used:.1} MB after the drain, at most {most:.1} MB"
        );
    }
    println!("server CPU:    {cpu_user:.1} s user, {cpu_sys:.1} s system");
    let levels = levels.lock().unwrap();
    if !levels.is_empty() {
        println!("server warnings and errors (by message):");
        for (message, n) in levels.iter() {
            println!("  {n:>6}  {message}");
        }
    }

    let mut failures = Vec::new();
    if !lost.is_empty() {
        failures.push(format!("{} accepted deliveries not done", lost.len()));
    }
    if !duplicates.is_empty() {
        failures.push(format!("{} writes duplicated", duplicates.len()));
    }
    if !not_made.is_empty() {
        failures.push(format!("{} writes not made", not_made.len()));
    }
    if !drained {
        failures.push("the inbox or the outbox did not drain".into());
    }
    if sent.accepted_ids.is_empty() {
        failures.push("no delivery was accepted".into());
    }
    Ok(failures)
}

/// How a read authenticates.
enum Auth {
    Bearer(String),
    Cookie(String),
    None,
}

/// What the server's `/metrics` says of its memory, in MB: SQLite's allocator (now, most since start) and the
/// heap (live, resident); each None where the server does not export it.
#[derive(Clone, Copy, Debug, Default)]
struct Memory {
    sqlite: Option<(f64, f64)>,
    heap: Option<(f64, f64)>,
}

impl std::fmt::Display for Memory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some((live, resident)) = self.heap {
            write!(f, " (heap {live:.1} MB live, {resident:.1} MB held")?;
        } else {
            write!(f, " (")?;
        }
        if let Some((used, most)) = self.sqlite {
            write!(f, "; SQLite {used:.1} MB, at most {most:.1}")?;
        }
        write!(f, ")")
    }
}

/// Reads [`Memory`] from the server's `/metrics`.
async fn memory(client: &reqwest::Client, base: &str) -> Memory {
    let scraped =
        async { client.get(format!("{base}/metrics")).send().await.ok()?.text().await.ok() };
    let Some(text) = scraped.await else {
        return Memory::default();
    };
    let value = |series: &str| -> Option<f64> {
        let prefix = format!("{series} ");
        let raw = text.lines().find_map(|l| l.strip_prefix(prefix.as_str()))?;
        Some(raw.trim().parse::<f64>().ok()? / 1e6)
    };
    let pair = |a: &str, b: &str| Some((value(a)?, value(b)?));
    Memory {
        sqlite: pair(
            "mentor_sqlite_memory_bytes{kind=\"used\"}",
            "mentor_sqlite_memory_bytes{kind=\"highwater\"}",
        ),
        heap: pair("mentor_heap_bytes{kind=\"allocated\"}", "mentor_heap_bytes{kind=\"held\"}"),
    }
}

/// Returns (pending + processing deliveries, pending + sending writes).
async fn busy(store: &mentor_app::store::Store) -> anyhow::Result<(i64, i64)> {
    fn count<S: PartialEq>(rows: Vec<(S, i64)>, busy: [S; 2]) -> i64 {
        rows.iter().filter(|(s, _)| busy.contains(s)).map(|(_, n)| n).sum()
    }
    Ok((
        count(
            store.count_by_status().await?,
            [DeliveryStatus::Pending, DeliveryStatus::Processing],
        ),
        count(store.outbox_counts().await?, [WriteStatus::Pending, WriteStatus::Sending]),
    ))
}

/// Returns the `<kind>:<key>` of the hidden marker in `body`, if any.
fn marker_of(body: &str) -> Option<String> {
    let start = body.find("<!-- mentor:")? + "<!-- mentor:".len();
    let rest = &body[start..];
    Some(rest[..rest.find(" -->")?].trim().to_owned())
}

/// Builds the mixed payloads from the corpus fixtures.
struct Generator {
    review: Value,
    review_comment: Value,
    opened: Value,
    closed: Value,
    comment: Value,
    /// Unique ids for reviews and comments.
    next_id: AtomicU64,
    /// The last PR opened by each mentee (reviews and commands land on it).
    last_pr: Mutex<HashMap<&'static str, u64>>,
}

impl Generator {
    fn new(root: &std::path::Path) -> anyhow::Result<Generator> {
        let read = |rel: &str| -> anyhow::Result<Value> {
            let path = root.join("tests/fixtures/webhooks").join(rel);
            Ok(serde_json::from_str(&std::fs::read_to_string(path)?)?)
        };
        Ok(Generator {
            review: read("pull_request_review/submitted.payload.json")?,
            review_comment: read("pull_request_review_comment/created.payload.json")?,
            opened: read("pull_request/opened.payload.json")?,
            closed: read("pull_request/closed.payload.json")?,
            comment: read("issue_comment/created.with-installation.payload.json")?,
            next_id: AtomicU64::new(50_000_000),
            last_pr: Mutex::default(),
        })
    }

    /// Returns the event name and body of delivery `i` of `kind`; PRs it opens or merges get files on `fake`.
    fn payload(&self, kind: Kind, i: u64, fake: &FakeGitHub) -> (&'static str, Vec<u8>) {
        let (mentor, mentee) = PAIRS[(i / MIX.len() as u64 % PAIRS.len() as u64) as usize];
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let pr = self.last_pr.lock().unwrap().get(mentee).copied().unwrap_or(2);
        let (event, mut v) = match kind {
            Kind::Review => {
                let mut v = self.review.clone();
                set(&mut v, "/review/user/login", mentor.into());
                set(&mut v, "/review/submitted_at", now.clone().into());
                set(&mut v, "/review/id", id.into());
                set(&mut v, "/review/state", "commented".into());
                set(&mut v, "/review/body", "praise: clear tests\nsuggestion: split this".into());
                set(&mut v, "/pull_request/user/login", mentee.into());
                set(&mut v, "/pull_request/number", pr.into());
                set(&mut v, "/sender/login", mentor.into());
                ("pull_request_review", v)
            }
            Kind::ReviewComment => {
                let mut v = self.review_comment.clone();
                set(&mut v, "/comment/user/login", mentor.into());
                set(&mut v, "/comment/id", id.into());
                set(&mut v, "/comment/body", "nitpick: a shorter name?".into());
                set(&mut v, "/comment/created_at", now.clone().into());
                set(&mut v, "/comment/updated_at", now.clone().into());
                set(&mut v, "/pull_request/user/login", mentee.into());
                set(&mut v, "/pull_request/number", pr.into());
                set(&mut v, "/sender/login", mentor.into());
                ("pull_request_review_comment", v)
            }
            Kind::Opened | Kind::Merged => {
                let number = 1_000 + i;
                fake.put_pr_files(REPO, number, &[("src/lib.rs", 12, 3), ("docs/notes.md", 4, 0)]);
                let mut v =
                    if kind == Kind::Opened { self.opened.clone() } else { self.closed.clone() };
                set(&mut v, "/pull_request/user/login", mentee.into());
                set(&mut v, "/pull_request/number", number.into());
                set(&mut v, "/pull_request/labels", json!([]));
                set(&mut v, "/pull_request/base/repo/private", true.into());
                set(&mut v, "/sender/login", mentee.into());
                if kind == Kind::Opened {
                    set(&mut v, "/action", "opened".into());
                    set(&mut v, "/pull_request/created_at", now.clone().into());
                    self.last_pr.lock().unwrap().insert(mentee, number);
                } else {
                    set(&mut v, "/pull_request/merged", true.into());
                    set(&mut v, "/pull_request/merged_at", now.clone().into());
                    set(&mut v, "/pull_request/closed_at", now.clone().into());
                }
                ("pull_request", v)
            }
            Kind::Command => {
                let mut v = self.comment.clone();
                let body = if i.is_multiple_of(2) {
                    "/mentor help"
                } else {
                    "/mentor checkin 20m paired on the parser"
                };
                set(&mut v, "/comment/user/login", mentor.into());
                set(&mut v, "/comment/id", id.into());
                set(&mut v, "/comment/body", body.into());
                set(&mut v, "/comment/created_at", now.clone().into());
                set(&mut v, "/comment/author_association", "MEMBER".into());
                set(&mut v, "/issue/user/login", mentee.into());
                set(&mut v, "/issue/number", pr.into());
                set(&mut v, "/issue/pull_request", json!({"url": "x"}));
                set(&mut v, "/sender/login", mentor.into());
                ("issue_comment", v)
            }
        };
        let (owner, name) = REPO.split_once('/').unwrap_or_default();
        set(&mut v, "/repository/full_name", REPO.into());
        set(&mut v, "/repository/name", name.into());
        set(&mut v, "/repository/owner/login", owner.into());
        set(&mut v, "/repository/private", true.into());
        set(&mut v, "/installation", json!({"id": INSTALLATION}));
        (event, serde_json::to_vec(&v).unwrap_or_default())
    }
}

/// Sets the JSON pointer `pointer` of `v` to `value`, adding missing objects on the way.
fn set(v: &mut Value, pointer: &str, value: Value) {
    let mut slot = v;
    for key in pointer.trim_start_matches('/').split('/') {
        slot = &mut slot[key];
    }
    *slot = value;
}
