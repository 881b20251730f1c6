//! The store: deliveries inbox, touchpoints, evidence, API tokens and repos, on SQLite or PostgreSQL.
//!
//! One [`Store`] wraps either pool; every query is written once with `$n` placeholders (both drivers accept
//! them) and run on whichever pool is configured through the `on_pool!` macro. Schema changes go in a new
//! numbered file under BOTH `migrations/sqlite` and `migrations/postgres` (embedded, applied at start).
//!
//! Durability: SQLite runs in WAL mode with `synchronous=FULL`, so a committed transaction is on disk before
//! the webhook answers 2xx (`NORMAL` may lose the last commits on power loss).

use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::SqlitePool;

/// Runs `$body` with `$pool` bound to the pool for writes, whichever backend it is.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pool {
            $crate::store::Pool::Sqlite { write: $pool, .. } => $body,
            $crate::store::Pool::Postgres($pool) => $body,
        }
    };
}

/// Plans the outbox write `$write` (a [`PlannedWrite`]) in the open transaction `$tx` of either backend: [`PLAN_SQL`]
/// with its parameters in their order, `$now` in milliseconds, `$delivery` the planning delivery's id (or none).
/// A macro because the transaction's type differs per backend.
macro_rules! plan_write {
    ($tx:expr, $write:expr, $now:expr, $delivery:expr, $org:expr) => {
        sqlx::query($crate::store::PLAN_SQL)
            .bind(&$write.marker)
            .bind(i64::try_from($write.installation_id).unwrap_or(i64::MAX))
            .bind(&$write.repo)
            .bind(&$write.op)
            .bind($now)
            .bind($delivery)
            .bind($org)
            .execute(&mut *$tx)
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
                .push_bind(if *claimed {
                    $crate::store::DeliveryStatus::Processing
                } else {
                    d.status
                })
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
mod sqlite;
mod status;
mod tokens;

pub use access::{ACCESS_LOG_KEEP, AccessEntry};
pub use backfill::{BackfillPage, BackfillRow};
pub use inbox::{ClaimedDelivery, DeliveryRow, NewDelivery};
pub use nudges::Snooze;
pub use orgs::OrgRow;
pub use outbox::{ClaimedWrite, OutboxRow, PLAN_SQL, PlannedWrite, WriteResult};
pub use person::{Erased, ErasureRow, OutboxOp, PersonRows, SessionRef, SnoozeRef, TokenRef};
pub use results::{Finished, Outcome};
pub use retention::PayloadState;
pub use status::{BackfillStatus, DeliveryStatus, InstallationStatus, UnknownStatus, WriteStatus};

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

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// When a lease of `lease` taken at `now` runs out, in epoch milliseconds (saturating: no overflow for a huge one).
fn lease_until(now: DateTime<Utc>, lease: Duration) -> i64 {
    ms(now).saturating_add(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX))
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
            sqlite::open(url).await?
        };
        let holder = hex::encode(rand::random::<[u8; 8]>()).into();
        Ok(Store { pool, holder })
    }

    /// Returns `payload` as this store keeps it, to set [`NewDelivery::packed`]: LZ4-compressed on SQLite (see
    /// `pack_body`), None on PostgreSQL (text as it is). The webhook handler calls it, so compression runs
    /// in the requests, on every core, not in the inbox's single writer task between two commits.
    pub fn pack_payload(&self, payload: &str) -> Option<Vec<u8>> {
        (!self.is_postgres()).then(|| sqlite::pack_body(payload))
    }

    /// Returns true when the database is PostgreSQL (several replicas may share it).
    pub fn is_postgres(&self) -> bool {
        matches!(self.pool, Pool::Postgres(_))
    }

    /// Copies committed WAL frames into the SQLite database file without blocking the writer (PASSIVE); a
    /// no-op on PostgreSQL. The server calls it periodically, since the writer does not checkpoint by itself.
    pub async fn checkpoint(&self) -> anyhow::Result<()> {
        if let Pool::Sqlite { checkpointer, write, .. } = &self.pool {
            sqlite::checkpoint(checkpointer, write).await?;
        }
        Ok(())
    }

    /// SQLite's memory in this process, now and at most (see `sqlite::memory`); None on PostgreSQL.
    pub fn sqlite_memory(&self) -> Option<(i64, i64)> {
        (!self.is_postgres()).then(sqlite::memory)
    }

    /// Extends to `now + lease` the lease of every row `update` finds held by this process: `update` is an
    /// `UPDATE … SET locked_until = $1 WHERE <in progress> AND claimed_by = $2`. Returns how many.
    async fn renew_held(
        &self,
        update: &'static str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> anyhow::Result<u64> {
        let n = on_pool!(self, p => sqlx::query(update)
            .bind(lease_until(now, lease))
            .bind(&*self.holder)
            .execute(p)
            .await?
            .rows_affected());
        Ok(n)
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
