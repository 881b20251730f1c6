//! The store: deliveries inbox, touchpoints, evidence, API tokens and repos, on SQLite or PostgreSQL.
//!
//! One [`Store`] wraps either pool; every query is written once with `$n` placeholders (both drivers accept
//! them) and run on whichever pool is configured through the `on_pool!` macro. Schema changes go in a new
//! numbered file under BOTH `migrations/sqlite` and `migrations/postgres` (embedded, applied at start).
//!
//! Durability: SQLite runs in WAL mode with `synchronous=FULL`, so a committed transaction is on disk before
//! the webhook answers 2xx (`NORMAL` may lose the last commits on power loss).

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

/// Runs `$body` with `$pool` bound to the pool for writes, whichever backend it is.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pool {
            $crate::store::Pool::Sqlite { write: $pool, .. } => $body,
            $crate::store::Pool::Postgres($pool) => $body,
        }
    };
}

/// Appends `VALUES (…), (…)` for the inbox's `INSERT INTO deliveries (id, event, action, status, attempts,
/// locked_until, next_attempt_at, received_at, updated_at, has_payload, claimed_by)`: a claimed delivery is stored
/// as `processing` with its first attempt, lease and holder. A macro because the query builder's type differs per
/// backend.
macro_rules! push_delivery_rows {
    ($query:ident, $chunk:expr, $claims:expr, $until:expr, $now:expr, $holder:expr) => {
        $query.push_values($chunk.iter().zip($claims), |mut row, (d, claimed)| {
            row.push_bind(&d.id)
                .push_bind(&d.event)
                .push_bind(&d.action)
                .push_bind(if *claimed { "processing" } else { d.status })
                .push_bind(i64::from(*claimed))
                .push_bind(if *claimed { $until } else { 0 })
                .push_bind($now)
                .push_bind($now)
                .push_bind($now)
                .push_bind(i64::from(d.payload.is_some()))
                .push_bind(if *claimed { Some($holder) } else { None });
        })
    };
}

/// Runs `$body` with `$pool` bound to the pool for reads.
macro_rules! on_reader {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pool {
            $crate::store::Pool::Sqlite { read: $pool, .. } => $body,
            $crate::store::Pool::Postgres($pool) => $body,
        }
    };
}

mod access;
mod backfill;
mod backup;
mod feedback;
mod inbox;
mod nudges;
mod orgs;
mod outbox;
mod person;
mod reads;
mod results;
mod retention;
mod sessions;
mod tokens;

pub use access::{ACCESS_LOG_KEEP, AccessEntry};
pub use backfill::{BackfillPage, BackfillRow};
use inbox::pack_body;
pub use inbox::{ClaimedDelivery, DeliveryRow, NewDelivery};
#[cfg(test)]
use inbox::{PACKED, unpack_body};
pub use nudges::Snooze;
pub use orgs::OrgRow;
pub use outbox::{ClaimedWrite, OutboxRow, PLAN_SQL, PlannedWrite, WriteResult};
pub use person::{Erased, ErasureRow, OutboxOp, PersonRows, SessionRef, SnoozeRef, TokenRef};
pub use results::{Finished, Outcome};
pub use retention::PayloadState;

#[derive(Clone, Debug)]
enum Pool {
    /// SQLite allows one writer at a time. Writes go through a single connection so they queue in the pool
    /// (woken in order) instead of colliding on the file lock and sleeping in SQLite's busy handler, which would
    /// add milliseconds to webhook answers; reads use their own connections (WAL lets them run alongside).
    Sqlite {
        write: SqlitePool,
        read: SqlitePool,
        checkpointer: SqlitePool,
    },
    Postgres(PgPool),
}

/// A handle on the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: Pool,
    /// This process's name on the claims it makes (deliveries, GitHub writes), renewed by its heartbeat.
    holder: std::sync::Arc<str>,
}

/// Most checkpoint passes on the checkpointer's connection in one [`Store::checkpoint`] call.
const CHECKPOINT_PASSES: usize = 4;

/// WAL frames (pages) left for the writer's connection to copy: a pass that copied no more than this stops.
const CHECKPOINT_TAIL_FRAMES: i64 = 256;

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn from_ms(v: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(v).unwrap_or_default()
}

impl Store {
    /// Opens the database at `url` (`postgres://…` or a SQLite path/URL) and applies pending migrations.
    pub async fn connect(url: &str) -> anyhow::Result<Store> {
        let pool = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(10)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await
                .context("MENTOR_DATABASE_URL: cannot connect to PostgreSQL")?;
            sqlx::migrate!("migrations/postgres")
                .run(&pool)
                .await
                .context("applying PostgreSQL migrations")?;
            Pool::Postgres(pool)
        } else {
            let path = url
                .strip_prefix("sqlite://")
                .or_else(|| url.strip_prefix("sqlite:"))
                .unwrap_or(url);
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
                .with_context(|| {
                    format!("MENTOR_DATABASE_URL: cannot open SQLite database `{path}`")
                })?;
            sqlx::migrate!("migrations/sqlite")
                .run(&write)
                .await
                .context("applying SQLite migrations")?;
            let read = SqlitePoolOptions::new()
                .max_connections(4)
                .test_before_acquire(false)
                .connect_with(options.clone().read_only(true))
                .await
                .with_context(|| {
                    format!("MENTOR_DATABASE_URL: cannot open SQLite database `{path}`")
                })?;
            let checkpointer = SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(options.clone().pragma("wal_autocheckpoint", "0"))
                .await
                .with_context(|| {
                    format!("MENTOR_DATABASE_URL: cannot open SQLite database `{path}`")
                })?;
            Pool::Sqlite { write, read, checkpointer }
        };
        let holder = hex::encode(rand::random::<[u8; 8]>()).into();
        Ok(Store { pool, holder })
    }

    /// Returns `payload` as this store keeps it, to set [`NewDelivery::packed`]: LZ4-compressed on SQLite (see
    /// `pack_body`), None on PostgreSQL (text as it is). The webhook handler calls it, so compression runs
    /// in the requests, on every core, not in the inbox's single writer task between two commits.
    pub fn pack_payload(&self, payload: &str) -> Option<Vec<u8>> {
        (!self.is_postgres()).then(|| pack_body(payload))
    }

    /// Returns true when the database is PostgreSQL (several replicas may share it).
    pub fn is_postgres(&self) -> bool {
        matches!(self.pool, Pool::Postgres(_))
    }

    /// Copies committed WAL frames into the SQLite database file without blocking the writer (PASSIVE); a
    /// no-op on PostgreSQL. The server calls it periodically, since the writer does not checkpoint by itself.
    pub async fn checkpoint(&self) -> anyhow::Result<()> {
        if let Pool::Sqlite { checkpointer, write, .. } = &self.pool {
            // SQLite starts the WAL over only when the writer begins a transaction right after a checkpoint
            // copied all of it. Under sustained load the writer commits while a checkpoint runs, so the WAL
            // never started over and grew by every byte committed (hundreds of MB in a 10 s benchmark: each
            // commit appending to a larger file, each read searching a larger WAL index). Passes on the
            // checkpointer's own connection copy the bulk without holding the writer (each pass what was
            // committed during the one before, fewer frames each time); the last few frames are copied on the
            // writer's connection, where no commit can come between, so its next commit starts the WAL over.
            let mut copied_before: Option<i64> = None;
            for _ in 0..CHECKPOINT_PASSES {
                let row =
                    sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").fetch_one(checkpointer).await?;
                let copied: i64 = row.try_get(2)?;
                if copied_before.is_some_and(|before| copied - before <= CHECKPOINT_TAIL_FRAMES) {
                    break;
                }
                copied_before = Some(copied);
            }
            sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(write).await?;
        }
        Ok(())
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> anyhow::Result<()> {
        on_reader!(self, p => sqlx::query("SELECT 1").execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Closes the pool, waiting for connections in use.
    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite { write, read, checkpointer } => {
                checkpointer.close().await;
                read.close().await;
                write.close().await;
            }
            Pool::Postgres(p) => p.close().await,
        }
    }
}

#[cfg(test)]
mod tests {
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
            status: if payload.is_some() { "pending" } else { "ignored" },
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
