//! What only SQLite does, fenced here so that everything else in the store is one logical schema, written once
//! for both backends.
//!
//! - **One writer.** SQLite lets one connection write at a time: writes queue on a single connection, reads use
//!   their own (WAL lets them run alongside), and WAL checkpoints run on a third, never inside a webhook commit.
//! - **Payloads keyed by row number, compressed.** A delivery's raw body lives in `payloads` keyed by the
//!   delivery's integer row number (`deliveries.seq`, migration 0011) rather than its text id, and LZ4-compressed:
//!   both shrink the single writer's commit, which bounds ingest on SQLite. PostgreSQL keys `payloads` by the
//!   delivery id and keeps text; nothing outside this module knows the difference ([`super::Store::claim`] and
//!   [`super::Store::insert_and_claim`] hand out the text either way).

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::{ClaimedDelivery, NewDelivery, Pool};

/// Most checkpoint passes on the checkpointer's connection in one [`checkpoint`] call.
const CHECKPOINT_PASSES: usize = 4;

/// WAL frames (pages) left for the writer's connection to copy: a pass that copied no more than this stops.
const CHECKPOINT_TAIL_FRAMES: i64 = 256;

/// Marks a compressed payload body: no JSON text starts with a NUL byte, so older rows (plain text) stay readable.
const PACKED: &[u8] = b"\0lz4";

/// Returns `body` LZ4-compressed behind the [`PACKED`] marker, as SQLite stores payloads.
///
/// Webhook bodies are JSON of 10–30 KB that shrinks several times: every byte not written saves WAL writes,
/// checkpoint copies and reads, which dominate the cost of an ingest commit. Durability is unchanged (same
/// transaction, same fsync).
pub(super) fn pack_body(body: &str) -> Vec<u8> {
    let mut packed = PACKED.to_vec();
    packed.extend_from_slice(&lz4_flex::compress_prepend_size(body.as_bytes()));
    packed
}

/// Returns the payload text of a stored body, packed (see [`pack_body`]) or plain.
pub(super) fn unpack_body(raw: &[u8]) -> anyhow::Result<String> {
    let bytes = match raw.strip_prefix(PACKED) {
        Some(packed) => {
            lz4_flex::decompress_size_prepended(packed).context("decompressing a stored payload")?
        }
        None => raw.to_vec(),
    };
    String::from_utf8(bytes).context("a stored payload is not UTF-8")
}

/// Opens (creating it if missing) the SQLite database at `url` — a path, `sqlite:path` or `sqlite://path` —
/// and applies pending migrations.
pub(super) async fn open(url: &str) -> anyhow::Result<Pool> {
    let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
    let options = SqliteConnectOptions::from_str(&format!("sqlite:{path}"))
        .with_context(|| format!("MENTOR_DATABASE_URL: invalid SQLite location `{url}`"))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(30));
    let write = SqlitePoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(60))
        // A local file: testing the connection before each use is a round trip to its thread that
        // every inbox commit waited for (sqlx still checks it when it is given back).
        .test_before_acquire(false)
        // Checkpoints copy the WAL into the database file: done by `checkpoint` on its own connection,
        // not inside webhook commits on the single writer.
        .connect_with(options.clone().pragma("wal_autocheckpoint", "0"))
        .await
        .with_context(|| format!("MENTOR_DATABASE_URL: cannot open SQLite database `{path}`"))?;
    sqlx::migrate!("migrations/sqlite").run(&write).await.context("applying SQLite migrations")?;
    let read = SqlitePoolOptions::new()
        .max_connections(4)
        .test_before_acquire(false)
        .connect_with(options.clone().read_only(true))
        .await
        .with_context(|| format!("MENTOR_DATABASE_URL: cannot open SQLite database `{path}`"))?;
    let checkpointer = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options.clone().pragma("wal_autocheckpoint", "0"))
        .await
        .with_context(|| format!("MENTOR_DATABASE_URL: cannot open SQLite database `{path}`"))?;
    Ok(Pool::Sqlite { write, read, checkpointer })
}

/// Copies committed WAL frames into the database file without blocking the writer (PASSIVE).
pub(super) async fn checkpoint(
    checkpointer: &SqlitePool,
    write: &SqlitePool,
) -> anyhow::Result<()> {
    // SQLite starts the WAL over only when the writer begins a transaction right after a checkpoint
    // copied all of it. Under sustained load the writer commits while a checkpoint runs, so the WAL
    // never started over and grew by every byte committed (hundreds of MB in a 10 s benchmark: each
    // commit appending to a larger file, each read searching a larger WAL index). Passes on the
    // checkpointer's own connection copy the bulk without holding the writer (each pass what was
    // committed during the one before, fewer frames each time); the last few frames are copied on the
    // writer's connection, where no commit can come between, so its next commit starts the WAL over.
    let mut copied_before: Option<i64> = None;
    for _ in 0..CHECKPOINT_PASSES {
        let row = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").fetch_one(checkpointer).await?;
        let copied: i64 = row.try_get(2)?;
        if copied_before.is_some_and(|before| copied - before <= CHECKPOINT_TAIL_FRAMES) {
            break;
        }
        copied_before = Some(copied);
    }
    sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(write).await?;
    Ok(())
}

/// Writes one chunk of the inbox (at most a few hundred deliveries) in one transaction: the rows, claimed ones as
/// `processing` for `holder` until `until`, and their payloads. Returns the ids that were new.
pub(super) async fn insert_chunk(
    write: &SqlitePool,
    chunk: &[NewDelivery],
    claims: &[bool],
    until: i64,
    now: i64,
    holder: &str,
) -> anyhow::Result<Vec<String>> {
    let bodies: Vec<(&String, &String)> =
        chunk.iter().filter_map(|d| d.payload.as_ref().map(|b| (&d.id, b))).collect();
    // Compressed by the caller (see `Store::pack_payload`) or else before the transaction opens, so it holds the
    // single writer no longer than the statements take.
    let packed: Vec<std::borrow::Cow<'_, [u8]>> = chunk
        .iter()
        .filter_map(|d| {
            let body = d.payload.as_ref()?;
            Some(match &d.packed {
                Some(packed) => std::borrow::Cow::Borrowed(packed.as_slice()),
                None => std::borrow::Cow::Owned(pack_body(body)),
            })
        })
        .collect();
    let chunk_claims = claims;
    // SQLite: the whole transaction is one multi-statement query, so it costs one round trip to the
    // connection's thread instead of four (begin, two inserts, commit) while it holds the writer.
    // `synchronous = FULL` again here, though `finish` sets it back: a 2xx must never rest on a
    // commit that did not reach the disk, whatever the connection ran before.
    let mut query = sqlx::QueryBuilder::new(
        "PRAGMA synchronous = FULL; BEGIN IMMEDIATE; INSERT INTO deliveries (id, event, action, status, attempts, locked_until, next_attempt_at, received_at, updated_at, has_payload, claimed_by) ",
    );
    push_delivery_rows!(query, chunk, chunk_claims, until, now, holder);
    query.push(" ON CONFLICT (id) DO NOTHING RETURNING id; ");
    if !bodies.is_empty() {
        // Keyed by the delivery's row number (migration 0011), found by id in the rows just
        // written; `WHERE true` tells SQLite's parser the ON CONFLICT is an upsert, not a join.
        query.push("INSERT INTO payloads (delivery, body) SELECT d.seq, v.column2 FROM (");
        query.push_values(bodies.iter().zip(&packed), |mut row, ((id, _), packed)| {
            row.push_bind(*id).push_bind(packed.as_ref());
        });
        query.push(
            ") AS v JOIN deliveries AS d ON d.id = v.column1 WHERE true ON CONFLICT (delivery) DO NOTHING; ",
        );
    }
    query.push("COMMIT");
    let mut conn = write.acquire().await?;
    match query.build().fetch_all(&mut *conn).await {
        Ok(rows) => Ok(rows.iter().map(|r| r.try_get("id")).collect::<Result<_, _>>()?),
        Err(e) => {
            // A statement failed inside the transaction: end it before the connection is reused.
            if let Err(rollback) = sqlx::query("ROLLBACK").execute(&mut *conn).await {
                tracing::debug!(error = %rollback, "rollback after a failed inbox commit");
            }
            Err(e.into())
        }
    }
}

/// Reads the payloads of `claimed` deliveries on the read pool, keeping the writer free for webhook commits.
pub(super) async fn read_bodies(
    read: &SqlitePool,
    claimed: &[ClaimedDelivery],
) -> anyhow::Result<Vec<(String, String)>> {
    // CAST: rows written before compression hold text, later ones a blob; both come back as bytes.
    let mut query = sqlx::QueryBuilder::new(
        "SELECT d.id AS id, CAST(p.body AS BLOB) AS body FROM deliveries AS d \
         JOIN payloads AS p ON p.delivery = d.seq WHERE d.id IN (",
    );
    let mut ids = query.separated(", ");
    for c in claimed {
        ids.push_bind(c.id.clone());
    }
    query.push(")");
    let rows = query.build().fetch_all(read).await?;
    let mut bodies = Vec::with_capacity(rows.len());
    for r in &rows {
        let id: String = r.try_get("id")?;
        let raw: Vec<u8> = r.try_get("body")?;
        match unpack_body(&raw) {
            Ok(body) => bodies.push((id, body)),
            // Left without a payload, the delivery fails with a visible error instead of
            // blocking the queue.
            Err(e) => {
                tracing::error!(delivery = %id, error = format!("{e:#}"), "stored payload is unreadable")
            }
        }
    }
    Ok(bodies)
}

/// Clears up to `batch` payloads of the deliveries `select` finds (`$1` before, `$3` batch), marking them cleared
/// at `now`, in one transaction. Returns how many.
pub(super) async fn clear_payloads(
    write: &SqlitePool,
    select: &str,
    before: i64,
    now: i64,
    batch: i64,
) -> anyhow::Result<usize> {
    let mut tx = write.begin().await?;
    let seqs: Vec<i64> = sqlx::query_scalar(&format!(
        "UPDATE deliveries SET has_payload = 0, payload_cleared_at = $2 WHERE id IN ({select}) RETURNING seq"
    ))
    .bind(before)
    .bind(now)
    .bind(batch)
    .fetch_all(&mut *tx)
    .await?;
    for seq in &seqs {
        sqlx::query("DELETE FROM payloads WHERE delivery = $1").bind(seq).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(seqs.len())
}

/// Bytes SQLite's allocator holds now (page caches, prepared statements, schema) and the most it held since the
/// process started, for every SQLite connection of the process: what `/metrics` shows operators, so a growing
/// RSS can be told apart from SQLite's bounded caches filling up.
pub(super) fn memory() -> (i64, i64) {
    // SAFETY: both only read SQLite's global memory counters (thread-safe, no arguments that could dangle);
    // `reset` 0 leaves the high-water mark as it is.
    unsafe { (libsqlite3_sys::sqlite3_memory_used(), libsqlite3_sys::sqlite3_memory_highwater(0)) }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::super::{DeliveryStatus, Finished, Outcome, Store};
    use super::*;

    #[test]
    fn packed_bodies_round_trip_and_shrink() {
        let body = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/webhooks/pull_request_review/submitted.payload.json"
        ))
        .unwrap();
        let packed = pack_body(&body);
        assert!(packed.starts_with(PACKED));
        assert!(packed.len() * 3 < body.len(), "{} -> {} bytes", body.len(), packed.len());
        assert_eq!(unpack_body(&packed).unwrap(), body);
    }

    /// The SQLite inbox commit is one multi-statement query with its own BEGIN/COMMIT: when a statement in it
    /// fails, nothing of the batch stays and the writer connection is not left inside the transaction.
    #[tokio::test]
    async fn failed_sqlite_inbox_commit_rolls_back_and_leaves_the_writer_usable() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&dir.path().join("t.db").to_string_lossy()).await.unwrap();
        let delivery = review;
        let Pool::Sqlite { write, .. } = &store.pool else { unreachable!() };
        sqlx::query("ALTER TABLE payloads RENAME TO payloads_away").execute(write).await.unwrap();
        let failed = store
            .insert_and_claim(&[delivery("a", Some("{}"))], Utc::now(), Duration::from_secs(60), 1)
            .await;
        assert!(failed.is_err());
        // Without a payload the commit needs no payloads table: it works, so no transaction was left open.
        store.insert_deliveries(&[delivery("b", None)], Utc::now()).await.unwrap();
        let ids: Vec<String> =
            store.list_deliveries(None, 10).await.unwrap().into_iter().map(|d| d.id).collect();
        assert_eq!(ids, ["b"]);
        store.close().await;
    }

    fn review(id: &str, payload: Option<&str>) -> NewDelivery {
        NewDelivery {
            id: id.into(),
            event: "pull_request_review".into(),
            action: Some("submitted".into()),
            status: if payload.is_some() {
                DeliveryStatus::Pending
            } else {
                DeliveryStatus::Ignored
            },
            payload: payload.map(str::to_owned),
            packed: None,
        }
    }

    /// Returns a SQLite database at `path` migrated up to (not including) migration `version`.
    async fn sqlite_before_migration(path: &std::path::Path, version: i64) -> SqlitePool {
        let options = SqliteConnectOptions::from_str(&format!("sqlite:{}", path.display()))
            .unwrap()
            .create_if_missing(true);
        let old = SqlitePoolOptions::new().max_connections(1).connect_with(options).await.unwrap();
        let mut migrator = sqlx::migrate!("migrations/sqlite");
        migrator.migrations = migrator
            .migrations
            .iter()
            .filter(|m| m.version < version)
            .cloned()
            .collect::<Vec<_>>()
            .into();
        migrator.run(&old).await.unwrap();
        old
    }

    /// Migration 0011 rebuilds the inbox with payloads keyed by row number: rows stored before it keep their
    /// payloads, order and dedupe, plain-text and packed bodies alike.
    #[tokio::test]
    async fn payloads_stored_before_migration_0011_are_still_claimed_with_their_delivery() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        let old = sqlite_before_migration(&path, 11).await;
        // As the inbox wrote them before 0011: `b` arrived first, `a` was packed, `c` plain text, `d` ignored.
        for (id, received) in [("b", 1), ("a", 2), ("c", 3), ("d", 4)] {
            sqlx::query(
                "INSERT INTO deliveries (id, event, status, next_attempt_at, received_at, updated_at, has_payload) \
                 VALUES ($1, 'pull_request_review', $2, 0, $3, 0, $4)",
            )
            .bind(id)
            .bind(if id == "d" { "ignored" } else { "pending" })
            .bind(received)
            .bind(i64::from(id != "d"))
            .execute(&old)
            .await
            .unwrap();
        }
        let packed = pack_body(r#"{"action":"submitted","n":"a"}"#);
        for (id, body) in
            [("b", br#"{"n":"b"}"#.to_vec()), ("a", packed), ("c", br#"{"n":"c"}"#.to_vec())]
        {
            sqlx::query("INSERT INTO payloads (id, body) VALUES ($1, $2)")
                .bind(id)
                .bind(body)
                .execute(&old)
                .await
                .unwrap();
        }
        old.close().await;

        let store = Store::connect(&path.to_string_lossy()).await.unwrap();
        let mut claimed: Vec<(String, Option<String>)> = store
            .claim(Utc::now(), Duration::from_secs(60), 10)
            .await
            .unwrap()
            .into_iter()
            .map(|c| (c.id, c.payload))
            .collect();
        claimed.sort();
        assert_eq!(
            claimed,
            [
                ("a".to_string(), Some(r#"{"action":"submitted","n":"a"}"#.to_string())),
                ("b".to_string(), Some(r#"{"n":"b"}"#.to_string())),
                ("c".to_string(), Some(r#"{"n":"c"}"#.to_string())),
            ]
        );
        // A redelivery of a migrated id is still recognised; a new one gets a payload of its own.
        let new = store
            .insert_and_claim(
                &[review("a", Some("{}")), review("e", Some(r#"{"n":"e"}"#))],
                Utc::now(),
                Duration::from_secs(60),
                2,
            )
            .await
            .unwrap();
        assert_eq!(new, [1]);
        let Pool::Sqlite { write, .. } = &store.pool else { unreachable!() };
        let seqs: Vec<(i64, String)> =
            sqlx::query_as("SELECT seq, id FROM deliveries ORDER BY seq")
                .fetch_all(write)
                .await
                .unwrap();
        assert_eq!(
            seqs.iter().map(|(_, id)| id.as_str()).collect::<Vec<_>>(),
            ["b", "a", "c", "d", "e"],
            "row numbers keep the arrival order"
        );
        let payloads: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM payloads").fetch_one(write).await.unwrap();
        assert_eq!(payloads, 4);
        store.close().await;
    }

    /// `finish` commits without waiting for the disk, on the connection the inbox commits on: the connection
    /// is back at `synchronous=FULL` after it, whether it succeeded or failed.
    #[tokio::test]
    async fn finish_leaves_the_writer_at_synchronous_full() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&dir.path().join("t.db").to_string_lossy()).await.unwrap();
        let Pool::Sqlite { write, .. } = &store.pool else { unreachable!() };
        let synchronous = || async {
            sqlx::query_scalar::<_, i64>("PRAGMA synchronous").fetch_one(write).await.unwrap()
        };
        assert_eq!(synchronous().await, 2, "FULL");
        let lease = Duration::from_secs(60);
        store
            .insert_and_claim(
                &[review("a", Some("{}")), review("b", Some("{}"))],
                Utc::now(),
                lease,
                2,
            )
            .await
            .unwrap();
        let claim = |id: &str| ClaimedDelivery {
            id: id.into(),
            event: "pull_request_review".into(),
            payload: None,
            packed: None,
            attempts: 1,
        };
        let done = vec![(claim("a"), Finished::Done(Box::default()))];
        assert_eq!(store.finish(&done, Utc::now()).await.unwrap(), 1);
        assert_eq!(synchronous().await, 2, "FULL after a finish");

        sqlx::query("ALTER TABLE installations RENAME TO installations_away")
            .execute(write)
            .await
            .unwrap();
        let outcome = Outcome { org: Some(("acme".into(), 7)), ..Outcome::default() };
        let failing = vec![(claim("b"), Finished::Done(Box::new(outcome)))];
        assert!(store.finish(&failing, Utc::now()).await.is_err());
        assert_eq!(synchronous().await, 2, "FULL after a failed finish");
        let statuses: Vec<(String, String)> =
            sqlx::query_as("SELECT id, status FROM deliveries ORDER BY id")
                .fetch_all(write)
                .await
                .unwrap();
        assert_eq!(
            statuses,
            [("a".into(), "done".into()), ("b".into(), "processing".into())],
            "the failed finish left nothing behind"
        );
        store.close().await;
    }

    #[test]
    fn packed_claims_read_like_plain_ones() {
        let text = r#"{"action":"submitted"}"#;
        let claim = |payload: Option<&str>, packed: Option<Vec<u8>>| ClaimedDelivery {
            id: "a".into(),
            event: "pull_request_review".into(),
            payload: payload.map(str::to_owned),
            packed,
            attempts: 1,
        };
        assert_eq!(
            claim(None, Some(pack_body(text))).payload_text().unwrap().as_deref(),
            Some(text)
        );
        assert_eq!(claim(Some(text), None).payload_text().unwrap().as_deref(), Some(text));
        assert_eq!(claim(None, None).payload_text().unwrap(), None);
        assert!(claim(None, Some(b"\0lz4".to_vec())).payload_text().is_err());
    }

    #[test]
    fn plain_text_bodies_from_before_compression_still_read() {
        assert_eq!(unpack_body(br#"{"action":"submitted"}"#).unwrap(), r#"{"action":"submitted"}"#);
    }

    #[test]
    fn corrupt_packed_body_is_an_error_not_a_panic() {
        let mut packed =
            pack_body(r#"{"action":"submitted","padding":"aaaaaaaaaaaaaaaaaaaaaaaaaaaa"}"#);
        packed.truncate(packed.len() - 4);
        assert!(unpack_body(&packed).is_err());
        assert!(unpack_body(b"\0lz4").is_err());
    }

    /// Migration 0012 assigns every row stored before orgs to the owner of its repository (lowercase), makes one
    /// installation per owner, and gives a token made when there was one org to that org.
    #[tokio::test]
    async fn rows_stored_before_migration_0012_belong_to_the_owner_of_their_repository() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        let old = sqlite_before_migration(&path, 12).await;
        for statement in [
            "INSERT INTO deliveries (id, event, status, next_attempt_at, received_at, updated_at, repo) \
             VALUES ('d-1', 'pull_request_review', 'done', 0, 1, 1, 'Acme/api'), \
                    ('d-2', 'ping', 'ignored', 0, 2, 2, NULL)",
            "INSERT INTO touchpoints (key, mentor, mentee, at, delivery_id, data) VALUES ('t', 'bob', 'alice', 5, 'd-1', '{\"minutes\":25}')",
            "INSERT INTO evidence (key, mentee, at, delivery_id, data) VALUES ('e', 'alice', 5, 'd-1', '{}')",
            "INSERT INTO repos (repo, installation_id, seen_at) VALUES ('Acme/api', 7, 10), ('acme/web', 7, 20)",
            "INSERT INTO tokens (hash, role, created_at) VALUES ('h', 'manager', 1)",
            "INSERT INTO outbox (marker, installation_id, repo, op, status, next_attempt_at, created_at, updated_at) \
             VALUES ('journal:x', 7, 'Acme/mentorship', '{}', 'done', 0, 0, 0)",
            "INSERT INTO written (marker, repo, object_id, body, updated_at) VALUES ('journal:x', 'Acme/mentorship', 3, 'b', 0)",
        ] {
            sqlx::query(statement).execute(&old).await.unwrap();
        }
        old.close().await;

        let store = Store::connect(&path.to_string_lossy()).await.unwrap();
        let Pool::Sqlite { write, .. } = &store.pool else { unreachable!() };
        let org_of = |table: &'static str| async move {
            sqlx::query_scalar::<_, Option<String>>(&format!(
                "SELECT org FROM {table} ORDER BY 1 LIMIT 1"
            ))
            .fetch_one(write)
            .await
            .unwrap()
        };
        for table in ["touchpoints", "evidence", "tokens", "outbox", "written"] {
            assert_eq!(org_of(table).await.as_deref(), Some("acme"), "{table}");
        }
        let deliveries: Vec<(String, Option<String>)> =
            sqlx::query_as("SELECT id, org FROM deliveries ORDER BY id")
                .fetch_all(write)
                .await
                .unwrap();
        assert_eq!(deliveries, [("d-1".into(), Some("acme".into())), ("d-2".into(), None)]);
        let minutes: i64 =
            sqlx::query_scalar("SELECT minutes FROM touchpoints").fetch_one(write).await.unwrap();
        assert_eq!(minutes, 25, "minutes are copied out of the stored JSON");
        let orgs = store.orgs().await.unwrap();
        assert_eq!(orgs.len(), 1);
        assert_eq!(
            (orgs[0].org.as_str(), orgs[0].installation_id, orgs[0].status.as_str()),
            ("acme", 7, "active")
        );
        assert_eq!(orgs[0].last_delivery_at.map(|t| t.timestamp_millis()), Some(20));
        assert_eq!(store.token_grant("h").await.unwrap(), Some(("acme".into(), "manager".into())));
        store.close().await;
    }
}
