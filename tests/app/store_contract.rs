//! The store's contract: the same test functions, each run against SQLite and PostgreSQL (`backends()`), for
//! what every part of the app relies on — inbox claims, leases and their renewal, retries, recording results,
//! the outbox, named leases, tokens, sessions and reads.

use std::time::Duration;

use chrono::{DateTime, Utc};
use mentor_app::store::{
    BackfillStatus, ClaimedDelivery, DeliveryStatus, Finished, InstallationStatus, NewDelivery,
    Outcome, PlannedWrite, Store, WriteResult, WriteStatus,
};
use mentor_core::{Login, Touchpoint, TouchpointKind};

use crate::util::*;

/// Runs each contract function on a fresh database of every backend.
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                for backend in backends() {
                    let db = TestDb::new(backend).await;
                    let store = Store::connect(&db.url).await.unwrap();
                    contract::$name(&store, &db.url).await;
                    store.close().await;
                }
            }
        )*
    };
}

on_every_backend!(
    inbox_claims_each_pending_delivery_once,
    an_expired_lease_is_taken_over_and_the_late_result_is_fenced_off,
    retries_wait_their_turn_and_failed_deliveries_can_be_retried,
    results_are_recorded_once_with_their_touchpoints,
    outbox_writes_are_claimed_once_retried_and_remembered,
    named_leases_have_one_holder_at_a_time,
    tokens_are_found_by_hash_and_unique,
    sessions_and_sign_in_states_expire,
    the_database_knows_the_same_statuses_as_the_enums,
    payloads_are_stored_compressed,
    reads_aggregate_what_the_core_sums,
);

fn t0() -> DateTime<Utc> {
    now()
}

fn secs(n: i64) -> chrono::Duration {
    chrono::Duration::seconds(n)
}

fn pending(id: &str) -> NewDelivery {
    NewDelivery {
        id: id.to_owned(),
        event: "pull_request_review".to_owned(),
        action: Some("submitted".to_owned()),
        status: DeliveryStatus::Pending,
        payload: Some(format!("{{\"delivery\":\"{id}\"}}")),
        packed: None,
    }
}

fn touchpoint(key: &str, at: DateTime<Utc>) -> Touchpoint {
    Touchpoint {
        key: key.to_owned(),
        kind: TouchpointKind::Review,
        mentor: Login::new("bob"),
        mentee: Login::new("alice"),
        minutes: 30,
        at,
        source: "acme/api#1".to_owned(),
        url: None,
    }
}

fn done(claim: &ClaimedDelivery, outcome: Outcome) -> (ClaimedDelivery, Finished) {
    (claim.clone(), Finished::Done(Box::new(outcome)))
}

fn in_org(outcome: Outcome) -> Outcome {
    Outcome { org: Some(("acme".into(), 1)), ..outcome }
}

async fn status_of(store: &Store, id: &str) -> (String, i64) {
    let rows = store.list_deliveries(None, 1000).await.unwrap();
    let row = rows.iter().find(|r| r.id == id).unwrap_or_else(|| panic!("{id} not stored"));
    (row.status.to_string(), row.processed_count)
}

mod contract {
    use super::*;

    pub async fn inbox_claims_each_pending_delivery_once(store: &Store, _: &str) {
        let lease = Duration::from_secs(60);
        let mut ignored = pending("ignored");
        ignored.status = DeliveryStatus::Ignored;
        ignored.payload = None;
        store
            .insert_deliveries(&[pending("a"), pending("b"), pending("c"), ignored], t0())
            .await
            .unwrap();
        // A redelivery of a known id changes nothing.
        store.insert_deliveries(&[pending("a")], t0()).await.unwrap();
        let mut counts: Vec<(&str, i64)> =
            store.count_by_status().await.unwrap().iter().map(|(s, n)| (s.as_str(), *n)).collect();
        counts.sort();
        assert_eq!(counts, [("ignored", 1), ("pending", 3)]);

        let first = store.claim(t0(), lease, 2).await.unwrap();
        assert_eq!(first.len(), 2);
        assert!(first.iter().all(|c| c.attempts == 1));
        let payload = first[0].payload_text().unwrap().unwrap();
        assert_eq!(payload, format!("{{\"delivery\":\"{}\"}}", first[0].id));
        let second = store.claim(t0(), lease, 10).await.unwrap();
        assert_eq!(second.len(), 1, "the third, once");
        assert!(store.claim(t0(), lease, 10).await.unwrap().is_empty(), "all leased");
        // A claim given back (shutdown) is claimable at once, as a new attempt.
        store.release(&second).await.unwrap();
        let again = store.claim(t0(), lease, 10).await.unwrap();
        assert_eq!(
            (again.len(), again[0].id.as_str(), again[0].attempts),
            (1, second[0].id.as_str(), 2)
        );

        // Stored and claimed in one transaction (the webhook's fast path): a new id once, a known id never.
        let claimed =
            store.insert_and_claim(&[pending("d"), pending("a")], t0(), lease, 5).await.unwrap();
        assert_eq!(claimed, [0]);
        assert!(store.claim(t0(), lease, 10).await.unwrap().is_empty());
    }

    pub async fn an_expired_lease_is_taken_over_and_the_late_result_is_fenced_off(
        store: &Store,
        url: &str,
    ) {
        let lease = Duration::from_secs(10);
        store.insert_deliveries(&[pending("a")], t0()).await.unwrap();
        let slow = store.claim(t0(), lease, 1).await.unwrap().remove(0);
        // Another process's store (a replica) takes it once the lease has run out without a heartbeat.
        let other = Store::connect(url).await.unwrap();
        assert!(other.claim(t0() + secs(9), lease, 1).await.unwrap().is_empty());
        let taken = other.claim(t0() + secs(11), lease, 1).await.unwrap().remove(0);
        assert_eq!(taken.attempts, 2);
        // The first claimer's late result is not recorded; the taker's is, once.
        let late =
            in_org(Outcome { touchpoints: vec![touchpoint("k-late", t0())], ..Outcome::default() });
        assert_eq!(store.finish(&[done(&slow, late)], t0() + secs(12)).await.unwrap(), 0);
        let fresh =
            in_org(Outcome { touchpoints: vec![touchpoint("k-1", t0())], ..Outcome::default() });
        assert_eq!(other.finish(&[done(&taken, fresh)], t0() + secs(12)).await.unwrap(), 1);
        assert_eq!(status_of(store, "a").await, ("done".into(), 1));
        let keys: Vec<String> =
            store.touchpoints_of("acme").await.unwrap().into_iter().map(|t| t.key).collect();
        assert_eq!(keys, ["k-1"]);
        // A heartbeat renews only its own process's claims.
        store.insert_deliveries(&[pending("b")], t0()).await.unwrap();
        store.claim(t0(), lease, 1).await.unwrap();
        assert_eq!(other.renew_claims(t0() + secs(5), lease).await.unwrap(), 0);
        assert_eq!(store.renew_claims(t0() + secs(5), lease).await.unwrap(), 1);
        assert!(
            other.claim(t0() + secs(11), lease, 1).await.unwrap().is_empty(),
            "renewed to 15 s"
        );
        other.close().await;
    }

    pub async fn retries_wait_their_turn_and_failed_deliveries_can_be_retried(
        store: &Store,
        _: &str,
    ) {
        let lease = Duration::from_secs(60);
        store.insert_deliveries(&[pending("a"), pending("b")], t0()).await.unwrap();
        let claims = store.claim(t0(), lease, 2).await.unwrap();
        let results: Vec<(ClaimedDelivery, Finished)> = claims
            .iter()
            .map(|c| {
                let error = format!("{} went wrong", c.id);
                let finished = if c.id == "a" {
                    Finished::Retry { error, at: t0() + secs(30) }
                } else {
                    Finished::Failed { error, at: t0() }
                };
                (c.clone(), finished)
            })
            .collect();
        assert_eq!(store.finish(&results, t0()).await.unwrap(), 2);
        assert_eq!(status_of(store, "a").await.0, "pending");
        assert_eq!(status_of(store, "b").await.0, "failed");
        let rows = store.list_deliveries(Some(DeliveryStatus::Failed), 10).await.unwrap();
        assert_eq!(rows[0].last_error.as_deref(), Some("b went wrong"));
        assert!(store.claim(t0() + secs(29), lease, 10).await.unwrap().is_empty(), "not due yet");
        let due = store.claim(t0() + secs(31), lease, 10).await.unwrap();
        assert_eq!((due.len(), due[0].id.as_str(), due[0].attempts), (1, "a", 2));
        // An operator's retry queues a failed delivery again; an unknown id is no error, only false.
        assert!(store.retry_delivery("b", t0() + secs(40)).await.unwrap());
        assert!(!store.retry_delivery("nope", t0() + secs(40)).await.unwrap());
        let retried = store.claim(t0() + secs(40), lease, 10).await.unwrap();
        assert_eq!(retried.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["b"]);
    }

    pub async fn results_are_recorded_once_with_their_touchpoints(store: &Store, _: &str) {
        let lease = Duration::from_secs(60);
        store.insert_deliveries(&[pending("a"), pending("b")], t0()).await.unwrap();
        let claims = store.claim(t0(), lease, 2).await.unwrap();
        // Two deliveries yield the same touchpoint key (a redelivery under a new id): stored once.
        let results: Vec<_> = claims
            .iter()
            .map(|c| {
                let outcome = Outcome {
                    touchpoints: vec![
                        touchpoint("same", t0() - secs(60)),
                        touchpoint(&format!("own-{}", c.id), t0()),
                    ],
                    ..Outcome::default()
                };
                done(c, in_org(outcome))
            })
            .collect();
        assert_eq!(store.finish(&results, t0()).await.unwrap(), 2);
        let mut keys: Vec<String> =
            store.touchpoints_of("acme").await.unwrap().into_iter().map(|t| t.key).collect();
        keys.sort();
        assert_eq!(keys, ["own-a", "own-b", "same"]);
        assert!(
            store.touchpoints_of("globex").await.unwrap().is_empty(),
            "another org reads nothing"
        );
        assert_eq!(status_of(store, "a").await, ("done".into(), 1));
        // Recording the same claim twice does nothing the second time.
        assert_eq!(store.finish(&results, t0()).await.unwrap(), 0);
        assert_eq!(status_of(store, "a").await, ("done".into(), 1));
        // The pair's last touchpoint as of an instant: the latest at or before it.
        let pair = (Login::new("bob"), Login::new("alice"));
        let last = store.last_touchpoints("acme", std::slice::from_ref(&pair), t0()).await.unwrap();
        assert_eq!(last.get(&pair), Some(&t0()));
        let before = store
            .last_touchpoints("acme", std::slice::from_ref(&pair), t0() - secs(1))
            .await
            .unwrap();
        assert_eq!(before.get(&pair), Some(&(t0() - secs(60))));
    }

    pub async fn outbox_writes_are_claimed_once_retried_and_remembered(store: &Store, _: &str) {
        let lease = Duration::from_secs(60);
        store.insert_deliveries(&[pending("a")], t0()).await.unwrap();
        let claim = store.claim(t0(), lease, 1).await.unwrap().remove(0);
        let write = PlannedWrite {
            marker: "review-guide:acme/api#1".into(),
            installation_id: 1,
            repo: "acme/api".into(),
            op: "{\"comment\":1}".into(),
        };
        let outcome = in_org(Outcome { writes: vec![write.clone()], ..Outcome::default() });
        assert_eq!(store.finish(&[done(&claim, outcome)], t0()).await.unwrap(), 1);
        assert!(store.outbox_has(&write.marker).await.unwrap());
        // Planning the same op again (a redelivery) adds no row.
        store.plan_writes("acme", std::slice::from_ref(&write), t0()).await.unwrap();
        assert_eq!(store.list_outbox(None, 10).await.unwrap().len(), 1);

        let sending = store.claim_writes(t0(), lease, 10).await.unwrap();
        assert_eq!((sending.len(), sending[0].attempts, sending[0].org.as_str()), (1, 1, "acme"));
        assert!(store.claim_writes(t0(), lease, 10).await.unwrap().is_empty(), "leased");
        let retry = WriteResult::Retry { error: "502".into(), at: t0() + secs(30) };
        store.finish_write(&sending[0], &retry, t0()).await.unwrap();
        assert!(store.claim_writes(t0() + secs(29), lease, 10).await.unwrap().is_empty());
        let again = store.claim_writes(t0() + secs(31), lease, 10).await.unwrap();
        assert_eq!(again[0].attempts, 2);
        // A write whose lease ran out without a heartbeat is taken over; a renewed one is not.
        assert_eq!(store.renew_writes(t0() + secs(61), lease).await.unwrap(), 1);
        assert!(store.claim_writes(t0() + secs(100), lease, 10).await.unwrap().is_empty());
        let taken = store.claim_writes(t0() + secs(122), lease, 10).await.unwrap();
        assert_eq!(taken[0].attempts, 3);
        let written = WriteResult::Done { object_id: 77, body: "Guide".into() };
        store.finish_write(&taken[0], &written, t0() + secs(123)).await.unwrap();
        assert_eq!(store.written(&write.marker).await.unwrap(), Some((77, "Guide".into())));
        let rows = store.list_outbox(Some(WriteStatus::Done), 10).await.unwrap();
        assert_eq!((rows.len(), rows[0].attempts), (1, 3));
        // A done write is not sent again; an operator may queue it once more.
        assert!(store.claim_writes(t0() + secs(200), lease, 10).await.unwrap().is_empty());
        assert!(store.retry_write(rows[0].id, t0() + secs(200)).await.unwrap());
        assert_eq!(store.claim_writes(t0() + secs(200), lease, 10).await.unwrap().len(), 1);
    }

    pub async fn named_leases_have_one_holder_at_a_time(store: &Store, _: &str) {
        let ttl = Duration::from_secs(60);
        assert!(store.acquire_lease("scheduler", "a", t0(), ttl).await.unwrap());
        assert!(
            store.acquire_lease("scheduler", "a", t0() + secs(30), ttl).await.unwrap(),
            "renewed"
        );
        assert!(!store.acquire_lease("scheduler", "b", t0() + secs(80), ttl).await.unwrap());
        assert!(store.acquire_lease("other", "b", t0(), ttl).await.unwrap(), "leases are by name");
        assert!(
            store.acquire_lease("scheduler", "b", t0() + secs(91), ttl).await.unwrap(),
            "expired"
        );
        // Giving up a lease one does not hold changes nothing.
        store.release_lease("scheduler", "a").await.unwrap();
        assert!(!store.acquire_lease("scheduler", "a", t0() + secs(92), ttl).await.unwrap());
        store.release_lease("scheduler", "b").await.unwrap();
        assert!(store.acquire_lease("scheduler", "a", t0() + secs(93), ttl).await.unwrap());
    }

    pub async fn tokens_are_found_by_hash_and_unique(store: &Store, _: &str) {
        store.insert_token("h1", "acme", "admin", t0()).await.unwrap();
        store.insert_token("h2", "globex", "mentor:bob", t0()).await.unwrap();
        assert_eq!(store.token_grant("h1").await.unwrap(), Some(("acme".into(), "admin".into())));
        assert_eq!(
            store.token_grant("h2").await.unwrap(),
            Some(("globex".into(), "mentor:bob".into()))
        );
        assert_eq!(store.token_grant("h3").await.unwrap(), None);
        assert!(
            store.insert_token("h1", "globex", "admin", t0()).await.is_err(),
            "one row per hash"
        );
        assert_eq!(store.token_grant("h1").await.unwrap(), Some(("acme".into(), "admin".into())));
    }

    pub async fn sessions_and_sign_in_states_expire(store: &Store, _: &str) {
        // A sign-in state is taken once, and not after it expired.
        store.put_oauth_state("s1", "verifier", "/orgs/acme/load", t0() + secs(600)).await.unwrap();
        store.put_oauth_state("s2", "verifier", "/", t0() + secs(10)).await.unwrap();
        assert_eq!(
            store.take_oauth_state("s1", t0()).await.unwrap(),
            Some(("verifier".into(), "/orgs/acme/load".into()))
        );
        assert_eq!(store.take_oauth_state("s1", t0()).await.unwrap(), None, "once");
        assert_eq!(store.take_oauth_state("s2", t0() + secs(11)).await.unwrap(), None, "expired");

        let (idle, absolute) = (chrono::Duration::hours(8), chrono::Duration::days(7));
        store.create_session("x", "alice", t0()).await.unwrap();
        let at = |h: i64| t0() + chrono::Duration::hours(h);
        assert_eq!(
            store.session_login("x", at(7), idle, absolute).await.unwrap().as_deref(),
            Some("alice")
        );
        // Seen at 7 h: alive at 14 h (7 h idle), then gone after 8 h idle.
        assert_eq!(
            store.session_login("x", at(14), idle, absolute).await.unwrap().as_deref(),
            Some("alice")
        );
        assert_eq!(store.session_login("x", at(23), idle, absolute).await.unwrap(), None);
        assert_eq!(store.session_login("x", at(1), idle, absolute).await.unwrap(), None, "removed");
        // However active, a session ends after the absolute limit; logging out ends it at once.
        store.create_session("y", "bob", t0()).await.unwrap();
        for h in (6..=168).step_by(6) {
            let alive = store.session_login("y", at(h), idle, absolute).await.unwrap();
            assert_eq!(alive.is_some(), h <= 168, "{h} h");
        }
        assert_eq!(store.session_login("y", at(169), idle, absolute).await.unwrap(), None);
        store.create_session("z", "carol", t0()).await.unwrap();
        store.delete_session("z").await.unwrap();
        store.delete_session("z").await.unwrap();
        assert_eq!(store.session_login("z", t0(), idle, absolute).await.unwrap(), None);
    }

    /// A raw payload (≈25 KB of JSON) is stored compressed with LZ4: by the app on SQLite (behind its marker), by
    /// PostgreSQL's TOAST where the server has lz4 (migration 0020); and it reads back whole either way.
    pub async fn payloads_are_stored_compressed(store: &Store, url: &str) {
        let body = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/webhooks/pull_request_review/submitted.payload.json"
        ))
        .unwrap();
        let mut delivery = pending("big");
        delivery.payload = Some(body.clone());
        store.insert_deliveries(&[delivery], t0()).await.unwrap();
        if url.starts_with("postgres") {
            let has_lz4 = scalar(
                url,
                "SELECT CASE WHEN 'lz4' = ANY(enumvals) THEN 'yes' ELSE 'no' END FROM pg_settings \
                 WHERE name = 'default_toast_compression'",
            )
            .await;
            let method = scalar(url, "SELECT pg_column_compression(body) FROM payloads").await;
            if has_lz4.as_deref() == Some("yes") {
                assert_eq!(method.as_deref(), Some("lz4"));
            } else {
                eprintln!("this PostgreSQL has no lz4: payloads keep {method:?}");
            }
        } else {
            let marker =
                scalar(url, "SELECT hex(substr(CAST(body AS BLOB), 1, 4)) FROM payloads").await;
            assert_eq!(marker.as_deref(), Some("006C7A34"), "\\0lz4");
        }
        let claimed = store.claim(t0(), Duration::from_secs(60), 1).await.unwrap();
        assert_eq!(claimed[0].payload.as_deref(), Some(body.as_str()));
    }

    /// Every state of each status enum is stored as it is, and any other text is refused by the database itself
    /// (a CHECK on PostgreSQL, triggers on SQLite), with a message naming the column.
    pub async fn the_database_knows_the_same_statuses_as_the_enums(store: &Store, url: &str) {
        store.insert_deliveries(&[pending("a")], t0()).await.unwrap();
        let write = PlannedWrite {
            marker: "journal:acme/alice".into(),
            installation_id: 1,
            repo: "acme/mentorship".into(),
            op: "{}".into(),
        };
        store.plan_writes("acme", &[write], t0()).await.unwrap();
        store.upsert_installation("acme", 1, InstallationStatus::Active, t0()).await.unwrap();
        let tables: [(&str, Vec<&str>); 3] = [
            ("deliveries", DeliveryStatus::ALL.iter().map(|s| s.as_str()).collect()),
            ("outbox", WriteStatus::ALL.iter().map(|s| s.as_str()).collect()),
            ("installations", InstallationStatus::ALL.iter().map(|s| s.as_str()).collect()),
        ];
        for (table, states) in &tables {
            for state in states {
                let updated = raw(url, &format!("UPDATE {table} SET status = '{state}'")).await;
                assert_eq!(updated, Ok(1), "{table} to {state}");
            }
            let refused = raw(url, &format!("UPDATE {table} SET status = 'Done'"))
                .await
                .expect_err(&format!("{table}: `Done` was stored"));
            assert!(refused.contains(table), "{table}: {refused}");
        }
        // Backfill states are checked the same way on insert.
        for state in BackfillStatus::ALL {
            raw(
                url,
                &format!(
                    "INSERT INTO backfills (org, repo, installation_id, since_at, status, requested_at, updated_at) \
                     VALUES ('acme', 'acme/{state}', 1, 0, '{state}', 0, 0)"
                ),
            )
            .await
            .unwrap();
        }
        let refused = raw(
            url,
            "INSERT INTO backfills (org, repo, installation_id, since_at, status, requested_at, updated_at) \
             VALUES ('acme', 'acme/x', 1, 0, 'running', 0, 0)",
        )
        .await
        .unwrap_err();
        assert!(refused.contains("backfills"), "{refused}");
        let refused = raw(
            url,
            "INSERT INTO deliveries (id, event, status, next_attempt_at, received_at, updated_at) \
             VALUES ('b', 'ping', 'queued', 0, 0, 0)",
        )
        .await
        .unwrap_err();
        assert!(refused.contains("deliveries"), "{refused}");
        assert_eq!(store.list_deliveries(None, 10).await.unwrap().len(), 1, "nothing half-written");
    }

    /// The reports' aggregate reads (per-pair tallies, last touchpoints, per-mentor totals, the feedback mix)
    /// equal the core's rules applied to the rows, on windows whose bounds fall on touchpoints.
    pub async fn reads_aggregate_what_the_core_sums(store: &Store, _: &str) {
        use mentor_core::conventional::FeedbackMix;
        let people = [("bob", "alice"), ("bob", "carol"), ("dave", "alice"), ("dave", "erin")];
        let mut touchpoints = Vec::new();
        let mut feedback = Vec::new();
        let mut expected_mix = FeedbackMix::default();
        let mut carried = 0;
        for i in 0..120i64 {
            let (mentor, mentee) = people[(i % 4) as usize];
            let mut t = touchpoint(&format!("k{i}"), t0() - secs(3_600 * i));
            t.mentor = Login::new(mentor);
            t.mentee = Login::new(mentee);
            t.minutes = (i % 7 * 10) as u32;
            if mentee == "alice" && i % 3 == 0 {
                let mix =
                    FeedbackMix { praise: 1, issue: (i % 2) as u32, ..FeedbackMix::default() };
                expected_mix.merge(&mix);
                carried += 1;
                feedback.push((t.key.clone(), serde_json::to_string(&mix).unwrap()));
            }
            touchpoints.push(t);
        }
        // Another org's touchpoints are never counted.
        let mut elsewhere = touchpoint("globex-1", t0() - secs(3_600 * 50));
        elsewhere.mentee = Login::new("alice");
        store.insert_deliveries(&[pending("a"), pending("b")], t0()).await.unwrap();
        let claims = store.claim(t0(), Duration::from_secs(60), 2).await.unwrap();
        let results: Vec<_> = claims
            .iter()
            .map(|c| {
                if c.id == "a" {
                    let outcome = Outcome {
                        touchpoints: touchpoints.clone(),
                        feedback: feedback.clone(),
                        ..Outcome::default()
                    };
                    done(c, in_org(outcome))
                } else {
                    let outcome = Outcome {
                        touchpoints: vec![elsewhere.clone()],
                        org: Some(("globex".into(), 2)),
                        ..Outcome::default()
                    };
                    done(c, outcome)
                }
            })
            .collect();
        assert_eq!(store.finish(&results, t0()).await.unwrap(), 2);

        let all =
            store.credits_between("acme", t0() - secs(86_400 * 30), t0() + secs(1)).await.unwrap();
        assert_eq!(all.len(), 120);
        // Bounds on touchpoints: `start` is in, `end` is out.
        let (start, end) = (t0() - secs(3_600 * 100), t0() - secs(3_600 * 10));
        let tallies = store.tallies_between("acme", start, end).await.unwrap();
        assert_eq!(tallies, mentor_core::load::tallies(&all, start, end));
        assert_eq!(tallies.iter().map(|t| t.touchpoints).sum::<u32>(), 90);

        let mut want = std::collections::BTreeMap::new();
        for c in all.iter().filter(|c| c.at >= start && c.at <= end) {
            let slot = want.entry((c.mentor.clone(), c.mentee.clone())).or_insert(c.at);
            *slot = (*slot).max(c.at);
        }
        let last = store.last_between("acme", start, end).await.unwrap();
        assert_eq!(last, want);
        assert_eq!(last[&(Login::new("dave"), Login::new("alice"))], end, "`to` is in");

        let sprint = mentor_core::sprint::Sprint {
            id: start.date_naive(),
            start: start.fixed_offset(),
            end: end.fixed_offset(),
        };
        assert_eq!(
            store.totals_between("acme", start, end).await.unwrap(),
            mentor_core::trend::totals(&all, &sprint)
        );
        assert_eq!(store.feedback_of("acme", "alice").await.unwrap(), (expected_mix, carried));
        assert_eq!(store.feedback_of("acme", "erin").await.unwrap(), (FeedbackMix::default(), 0));
        assert_eq!(store.tallies_between("globex", start, end).await.unwrap().len(), 1);
    }
}

/// Returns the first column of the first row `sql` answers on the test database, as text.
async fn scalar(url: &str, sql: &str) -> Option<String> {
    use sqlx::Connection as _;
    if url.starts_with("postgres") {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query_scalar(sql).fetch_optional(&mut c).await.unwrap()
    } else {
        let mut c = sqlx::SqliteConnection::connect(&format!("sqlite:{url}")).await.unwrap();
        sqlx::query_scalar(sql).fetch_optional(&mut c).await.unwrap()
    }
}

/// Runs `sql` on the test database behind the store's back: the rows it changed, or the database's error as text.
async fn raw(url: &str, sql: &str) -> Result<u64, String> {
    use sqlx::Connection as _;
    let result = if url.starts_with("postgres") {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::Executor::execute(&mut c, sql).await.map(|r| r.rows_affected())
    } else {
        let mut c = sqlx::SqliteConnection::connect(&format!("sqlite:{url}")).await.unwrap();
        sqlx::Executor::execute(&mut c, sql).await.map(|r| r.rows_affected())
    };
    result.map_err(|e| e.to_string())
}
