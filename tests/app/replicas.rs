//! Several replicas on one PostgreSQL: claims renewed by a heartbeat, a replica killed with kill -9 mid-stream
//! and restarted, every delivery processed once and every planned comment sent once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use mentor_app::store::{DeliveryStatus, NewDelivery, Store, WriteStatus};

use crate::util::*;

const REPO: &str = "Codertocat/Hello-World";

/// A guide whose text names its pull request, so each one is told apart.
const GUIDE: &str = "---
id: review-guide
title: Team guide
kind: comment
on: mentee_pr
---
Guide for #{{ pr.number }} by {{ mentee.login }}
";

fn pending(id: &str) -> NewDelivery {
    NewDelivery {
        id: id.to_owned(),
        event: "ping".to_owned(),
        action: None,
        status: DeliveryStatus::Pending,
        payload: Some("{}".to_owned()),
        packed: None,
    }
}

/// A live process keeps its claims past their lease by renewing them; a dead one's run out and another
/// process (a second store: another replica) takes them.
#[tokio::test]
async fn a_heartbeat_keeps_a_live_claim_and_a_dead_ones_claim_runs_out() {
    for backend in backends() {
        let db = TestDb::new(backend).await;
        let live = Store::connect(&db.url).await.unwrap();
        let dead = Store::connect(&db.url).await.unwrap();
        let other = Store::connect(&db.url).await.unwrap();
        assert_ne!(live.holder(), dead.holder());
        live.insert_deliveries(&[pending("a"), pending("b")], Utc::now()).await.unwrap();
        let lease = Duration::from_secs(10);
        let t0 = Utc::now();
        assert_eq!(live.claim(t0, lease, 1).await.unwrap().len(), 1);
        assert_eq!(dead.claim(t0, lease, 1).await.unwrap().len(), 1);
        // Eight seconds on, the live process beats; twelve seconds on, only the dead one's claim is free.
        assert_eq!(live.renew_claims(t0 + chrono::Duration::seconds(8), lease).await.unwrap(), 1);
        let taken = other.claim(t0 + chrono::Duration::seconds(12), lease, 10).await.unwrap();
        assert_eq!(taken.len(), 1, "{taken:?}");
        assert_eq!(taken[0].attempts, 2);
        // The taker now holds it: the dead process's beat (were it only slow) renews nothing.
        assert_eq!(dead.renew_claims(t0 + chrono::Duration::seconds(13), lease).await.unwrap(), 0);
        assert_eq!(other.renew_claims(t0 + chrono::Duration::seconds(13), lease).await.unwrap(), 1);
        for s in [live, dead, other] {
            s.close().await;
        }
    }
}

/// Two `mentor-app serve` processes on one PostgreSQL receive 2,000 signed deliveries between them (as behind a
/// load balancer: a request the dead replica cannot take goes to the other, as GitHub's redelivery would); one
/// is killed with kill -9 mid-stream and restarted. Every accepted delivery is processed exactly once, every
/// review guide is posted exactly once, and nothing is left claimed once the leases have run out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_on_postgresql_survive_a_kill_with_every_delivery_and_comment_once() {
    if !backends().iter().any(|b| matches!(b, Backend::Postgres)) {
        return; // backends() has said loudly that PostgreSQL is skipped.
    }
    const REVIEWS: u64 = 1_800;
    const OPENED: u64 = 200;
    let fake = crate::fake_github::FakeGitHub::start().await;
    fake.put_file(
        REPO,
        ".github/mentorship.yml",
        &format!("{}\ntemplates: {{ on_mentee_pr: review-guide }}\n", config_yaml()),
    );
    fake.put_file(REPO, ".github/mentorship/templates/review-guide.md", GUIDE);
    for n in 1000..1000 + OPENED {
        fake.put_pr_files(REPO, n, &[("src/lib.rs", 3, 1)]);
    }
    let keys = tempfile::tempdir().unwrap();
    let key = keys.path().join("app.pem");
    std::fs::write(&key, crate::fake_github::private_key_pem()).unwrap();
    let db = TestDb::new(Backend::Postgres).await;
    // A short lease keeps the test short; the heartbeat renews it every 2 s.
    let env = [("MENTOR_CLAIM_LEASE_SECS", "6")];
    let spawn = || crate::cli::spawn_serve_with(&db.url, &fake.api_url(), &key, &env);
    let (mut first, first_addr) = spawn();
    let (mut second, second_addr) = spawn();
    let addrs = Arc::new(Mutex::new([first_addr, second_addr]));

    // Deliveries: reviews of alice's PR 2 by bob, and alice opening PRs 1000.. (each gets a review guide).
    let deliveries: Vec<(String, &'static str, Vec<u8>)> = (0..REVIEWS + OPENED)
        .map(|i| {
            if i % 10 == 9 {
                let number = 1000 + i / 10;
                let body = rewrite(
                    fixture("pull_request/opened.payload.json"),
                    &[
                        ("/pull_request/user/login", "alice".into()),
                        ("/pull_request/number", number.into()),
                        ("/repository/private", true.into()),
                        ("/pull_request/base/repo/private", true.into()),
                    ],
                );
                (format!("r-open-{number}"), "pull_request", body)
            } else {
                (
                    format!("r-review-{i}"),
                    "pull_request_review",
                    review("bob", "alice", &minutes_ago(5), 10_000 + i),
                )
            }
        })
        .collect();
    assert_eq!(deliveries.iter().filter(|d| d.1 == "pull_request").count() as u64, OPENED);
    let deliveries = Arc::new(deliveries);
    let accepted = Arc::new(Mutex::new(Vec::<String>::new()));
    let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let mut senders = tokio::task::JoinSet::new();
    for lane in 0..8usize {
        let (http, accepted, addrs, deliveries) =
            (http.clone(), accepted.clone(), addrs.clone(), deliveries.clone());
        senders.spawn(async move {
            for (i, (id, event, body)) in deliveries.iter().enumerate().skip(lane).step_by(8) {
                // Alternate replicas; when one does not answer, the other gets the delivery, until one takes it.
                let mut sent = false;
                for attempt in 0..200 {
                    let addr = addrs.lock().unwrap()[(i + attempt) % 2].clone();
                    let resp = http
                        .post(format!("http://{addr}/webhook"))
                        .header("x-github-event", *event)
                        .header("x-github-delivery", id)
                        .header("x-hub-signature-256", mentor_app::webhook::sign(SECRET, body))
                        .body(body.clone())
                        .send()
                        .await;
                    if resp.is_ok_and(|r| r.status().is_success()) {
                        sent = true;
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                assert!(sent, "no replica took {id}");
                accepted.lock().unwrap().push(id.clone());
            }
        });
    }
    // A third of the way in, the first replica dies without warning; it comes back a moment later.
    while accepted.lock().unwrap().len() < 700 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    first.kill().unwrap();
    first.wait().unwrap();
    let killed_at = std::time::Instant::now();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (restarted, restarted_addr) = spawn();
    first = restarted;
    addrs.lock().unwrap()[0] = restarted_addr;
    while let Some(sender) = senders.join_next().await {
        sender.unwrap();
    }
    let accepted = accepted.lock().unwrap().clone();
    assert_eq!(accepted.len() as u64, REVIEWS + OPENED);

    // Everything is processed and sent within a minute of the kill (the dead replica's claims run out).
    let store = Store::connect(&db.url).await.unwrap();
    let mut settled = false;
    while killed_at.elapsed() < Duration::from_secs(60) {
        let counts = store.count_by_status().await.unwrap();
        let queued = counts.iter().any(|(s, n)| {
            matches!(s, DeliveryStatus::Pending | DeliveryStatus::Processing) && *n > 0
        });
        let outbox = store.list_outbox(None, 100_000).await.unwrap();
        let sending =
            outbox.iter().any(|r| matches!(r.status, WriteStatus::Pending | WriteStatus::Sending));
        if !queued && !sending && outbox.len() as u64 >= OPENED {
            settled = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let counts = store.count_by_status().await.unwrap();
    first.kill().unwrap();
    second.kill().unwrap();
    first.wait().unwrap();
    second.wait().unwrap();
    assert!(settled, "not settled a minute after the kill: {counts:?}");

    let rows = store.list_deliveries(None, 1_000_000).await.unwrap();
    let by_id: HashMap<&str, _> = rows.iter().map(|r| (r.id.as_str(), r)).collect();
    for id in &accepted {
        let row = by_id.get(id.as_str()).unwrap_or_else(|| panic!("accepted delivery {id} lost"));
        assert_eq!((row.status.as_str(), row.processed_count), ("done", 1), "{row:?}");
    }
    let touchpoints = store.touchpoints_of("codertocat").await.unwrap();
    for i in (0..REVIEWS + OPENED).filter(|i| i % 10 != 9) {
        let review = format!("review/{}:", 10_000 + i);
        assert!(touchpoints.iter().any(|t| t.key.contains(&review)), "no touchpoint for {review}");
    }
    // One guide per opened pull request, posted once: no comment created twice, even by a replica that
    // died between GitHub's answer and recording it.
    for n in 1000..1000 + OPENED {
        let comments = fake.comments(REPO, n);
        assert_eq!(comments.len(), 1, "#{n}: {comments:?}");
        let marker = format!("<!-- mentor:review-guide:codertocat/hello-world#{n} -->");
        assert!(comments[0].contains(&marker), "{comments:?}");
    }
    let posts = fake
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/comments"))
        .count() as u64;
    assert_eq!(posts, OPENED, "a comment was created more than once");
    let outbox = store.list_outbox(None, 100_000).await.unwrap();
    assert!(
        outbox.iter().all(|r| r.status == WriteStatus::Done),
        "{:#?}",
        outbox.iter().find(|r| r.status != WriteStatus::Done)
    );
    eprintln!(
        "replicas: {} deliveries ({} taken over after a claim), {} outbox writes, settled {:?} after the kill",
        rows.len(),
        rows.iter().filter(|r| r.attempts > 1).count(),
        outbox.len(),
        killed_at.elapsed()
    );
    store.close().await;
}
