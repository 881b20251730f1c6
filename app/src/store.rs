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
use mentor_core::{Evidence, Touchpoint};
use serde::Serialize;
use sqlx::Row;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

/// Runs `$body` with `$pool` bound to the pool for writes, whichever backend it is.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pool {
            Pool::Sqlite { write: $pool, .. } => $body,
            Pool::Postgres($pool) => $body,
        }
    };
}

/// Appends `VALUES (…), (…)` for the inbox's `INSERT INTO deliveries (id, event, action, status, attempts,
/// locked_until, next_attempt_at, received_at, updated_at, has_payload)`: a claimed delivery is stored as
/// `processing` with its first attempt and lease. A macro because the query builder's type differs per backend.
macro_rules! push_delivery_rows {
    ($query:ident, $chunk:expr, $claims:expr, $until:expr, $now:expr) => {
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
                .push_bind(i64::from(d.payload.is_some()));
        })
    };
}

/// Runs `$body` with `$pool` bound to the pool for reads.
macro_rules! on_reader {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pool {
            Pool::Sqlite { read: $pool, .. } => $body,
            Pool::Postgres($pool) => $body,
        }
    };
}

mod feedback;
mod outbox;

pub use outbox::{ClaimedWrite, OutboxRow, PLAN_SQL, PlannedWrite, WriteResult};

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
}

/// A delivery to write to the inbox.
#[derive(Clone, Debug)]
pub struct NewDelivery {
    /// `X-GitHub-Delivery`.
    pub id: String,
    /// `X-GitHub-Event`.
    pub event: String,
    /// The payload's `action`, if any.
    pub action: Option<String>,
    /// `pending` or `ignored`.
    pub status: &'static str,
    /// The raw payload (None for ignored deliveries: Mentor keeps nothing it does not use).
    pub payload: Option<String>,
    /// The payload as the store keeps it, when the caller prepared it ([`Store::pack_payload`]); else the store
    /// prepares it while writing.
    pub packed: Option<Vec<u8>>,
}

/// A delivery a worker claimed.
#[derive(Clone, Debug)]
pub struct ClaimedDelivery {
    /// Delivery id.
    pub id: String,
    /// Event name.
    pub event: String,
    /// Raw payload.
    pub payload: Option<String>,
    /// The payload still packed as the store keeps it (see [`Store::pack_payload`]), when it was handed over in
    /// memory: a few kilobytes where the text is tens. [`ClaimedDelivery::payload_text`] reads either.
    pub packed: Option<Vec<u8>>,
    /// Attempts so far, this one included; also fences the final update against a stale claim.
    pub attempts: i64,
}

impl ClaimedDelivery {
    /// Returns the payload text, unpacking a packed one; None when the delivery has no payload.
    pub fn payload_text(&self) -> anyhow::Result<Option<std::borrow::Cow<'_, str>>> {
        Ok(match (&self.payload, &self.packed) {
            (Some(text), _) => Some(std::borrow::Cow::Borrowed(text.as_str())),
            (None, Some(packed)) => Some(std::borrow::Cow::Owned(unpack_body(packed)?)),
            (None, None) => None,
        })
    }
}

/// How processing a claimed delivery ended.
#[derive(Debug)]
pub enum Finished {
    /// Processed: store these results and mark it done.
    Done(Outcome),
    /// A transient failure: try again at `at`.
    Retry {
        /// What went wrong.
        error: String,
        /// When to try again.
        at: DateTime<Utc>,
    },
    /// Gave up: mark it failed with `error`.
    Failed {
        /// What went wrong.
        error: String,
        /// Now.
        at: DateTime<Utc>,
    },
}

/// A delivery row as `deliveries list` shows it.
#[derive(Clone, Debug, Serialize)]
pub struct DeliveryRow {
    /// Delivery id.
    pub id: String,
    /// Event name.
    pub event: String,
    /// Action, if any.
    pub action: Option<String>,
    /// Status.
    pub status: String,
    /// Attempts made.
    pub attempts: i64,
    /// Times its effects were committed.
    pub processed_count: i64,
    /// The last error or note.
    pub last_error: Option<String>,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
    /// When it will be tried next (pending only).
    pub next_attempt_at: DateTime<Utc>,
    /// The repo it concerned, once known.
    pub repo: Option<String>,
}

/// What a processed delivery produced.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Touchpoints to store (idempotent by key).
    pub touchpoints: Vec<Touchpoint>,
    /// Evidence to store (idempotent by key; a later row with the same key replaces the stored one).
    pub evidence: Vec<Evidence>,
    /// The repo and installation whose config was in force, if any.
    pub repo: Option<(String, u64)>,
    /// A note kept in `last_error` (e.g. "no mentorship config").
    pub note: Option<String>,
    /// GitHub writes to plan in the outbox (see `outbox`).
    pub writes: Vec<PlannedWrite>,
    /// Feedback counts (FeedbackMix JSON) to store on touchpoints, by touchpoint key.
    pub feedback: Vec<(String, String)>,
}

/// A delivery's touchpoints and evidence with their JSON, encoded before the transaction opens.
type EncodedRows<'a> = (Vec<(&'a Touchpoint, String)>, Vec<(&'a Evidence, String)>);

/// Marks a compressed payload body: no JSON text starts with a NUL byte, so older rows (plain text) stay readable.
const PACKED: &[u8] = b"\0lz4";

/// Returns `body` LZ4-compressed behind the [`PACKED`] marker, as SQLite stores payloads.
///
/// Webhook bodies are JSON of 10–30 KB that shrinks several times: every byte not written saves WAL writes,
/// checkpoint copies and reads, which dominate the cost of an ingest commit. Durability is unchanged (same
/// transaction, same fsync).
fn pack_body(body: &str) -> Vec<u8> {
    let mut packed = PACKED.to_vec();
    packed.extend_from_slice(&lz4_flex::compress_prepend_size(body.as_bytes()));
    packed
}

/// Returns the payload text of a stored body, packed (see [`pack_body`]) or plain.
fn unpack_body(raw: &[u8]) -> anyhow::Result<String> {
    let bytes = match raw.strip_prefix(PACKED) {
        Some(packed) => {
            lz4_flex::decompress_size_prepended(packed).context("decompressing a stored payload")?
        }
        None => raw.to_vec(),
    };
    String::from_utf8(bytes).context("a stored payload is not UTF-8")
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
        Ok(Store { pool })
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

    /// Writes `batch` to the inbox in one transaction; ids already there are left as they are.
    pub async fn insert_deliveries(
        &self,
        batch: &[NewDelivery],
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        self.insert_and_claim(batch, now, Duration::ZERO, 0).await.map(|_| ())
    }

    /// Writes `batch` to the inbox in one transaction like [`Store::insert_deliveries`], and claims up to
    /// `max_claims` of its pending deliveries for `lease` in the same rows (status `processing`, attempt 1), as
    /// [`Store::claim`] would have: the caller hands them to a worker in memory, sparing the claim statement, the
    /// payload read and its decompression. Returns the indices in `batch` of the deliveries claimed: new ids only
    /// (a redelivery of a known id claims nothing), each once.
    ///
    /// A claim made here is like any other: if the process dies before the worker records the delivery, the
    /// lease runs out (or, on SQLite, the next start releases it) and the delivery is claimed again.
    pub async fn insert_and_claim(
        &self,
        batch: &[NewDelivery],
        now: DateTime<Utc>,
        lease: Duration,
        max_claims: usize,
    ) -> anyhow::Result<Vec<usize>> {
        let now = ms(now);
        let until = now.saturating_add(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX));
        let sqlite = !self.is_postgres();
        let mut to_claim = max_claims;
        let claim: Vec<bool> = batch
            .iter()
            .map(|d| {
                let c = to_claim > 0 && d.status == "pending";
                to_claim -= usize::from(c);
                c
            })
            .collect();
        let mut claimed = Vec::new();
        // Multi-row statements: a batch costs a few round trips to the database, not two per delivery.
        for (start, chunk) in
            (0..batch.len()).step_by(500).map(|i| (i, &batch[i..batch.len().min(i + 500)]))
        {
            let chunk_claims = &claim[start..start + chunk.len()];
            let any_claim = chunk_claims.iter().any(|c| *c);
            let bodies: Vec<(&String, &String)> =
                chunk.iter().filter_map(|d| d.payload.as_ref().map(|b| (&d.id, b))).collect();
            // SQLite keeps bodies compressed (see `pack_body`), PostgreSQL as text; compressed by the caller or
            // else before the transaction opens, so it holds the single writer no longer than the statements take.
            let packed: Vec<std::borrow::Cow<'_, [u8]>> = if sqlite {
                chunk
                    .iter()
                    .filter_map(|d| {
                        let body = d.payload.as_ref()?;
                        Some(match &d.packed {
                            Some(packed) => std::borrow::Cow::Borrowed(packed.as_slice()),
                            None => std::borrow::Cow::Owned(pack_body(body)),
                        })
                    })
                    .collect()
            } else {
                Vec::new()
            };
            let inserted: Vec<String> = if let Pool::Sqlite { write, .. } = &self.pool {
                // SQLite: the whole transaction is one multi-statement query, so it costs one round trip to the
                // connection's thread instead of four (begin, two inserts, commit) while it holds the writer.
                // `synchronous = FULL` again here, though `finish` sets it back: a 2xx must never rest on a
                // commit that did not reach the disk, whatever the connection ran before.
                let mut query = sqlx::QueryBuilder::new(
                    "PRAGMA synchronous = FULL; BEGIN IMMEDIATE; INSERT INTO deliveries (id, event, action, status, attempts, locked_until, next_attempt_at, received_at, updated_at, has_payload) ",
                );
                push_delivery_rows!(query, chunk, chunk_claims, until, now);
                query.push(" ON CONFLICT (id) DO NOTHING RETURNING id; ");
                if !bodies.is_empty() {
                    // Keyed by the delivery's row number (migration 0011), found by id in the rows just
                    // written; `WHERE true` tells SQLite's parser the ON CONFLICT is an upsert, not a join.
                    query.push(
                        "INSERT INTO payloads (delivery, body) SELECT d.seq, v.column2 FROM (",
                    );
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
                    Ok(rows) => rows.iter().map(|r| r.try_get("id")).collect::<Result<_, _>>()?,
                    Err(e) => {
                        // A statement failed inside the transaction: end it before the connection is reused.
                        if let Err(rollback) = sqlx::query("ROLLBACK").execute(&mut *conn).await {
                            tracing::debug!(error = %rollback, "rollback after a failed inbox commit");
                        }
                        return Err(e.into());
                    }
                }
            } else {
                on_pool!(self, p => {
                let mut tx = p.begin().await?;
                let mut rows = sqlx::QueryBuilder::new(
                    "INSERT INTO deliveries (id, event, action, status, attempts, locked_until, next_attempt_at, received_at, updated_at, has_payload) ",
                );
                push_delivery_rows!(rows, chunk, chunk_claims, until, now);
                rows.push(" ON CONFLICT (id) DO NOTHING");
                // Only claims need to know which rows are new.
                let inserted = if any_claim {
                    rows.push(" RETURNING id");
                    let mut ids = Vec::new();
                    for row in rows.build().fetch_all(&mut *tx).await? {
                        ids.push(row.try_get("id")?);
                    }
                    ids
                } else {
                    rows.build().execute(&mut *tx).await?;
                    Vec::new()
                };
                if !bodies.is_empty() {
                    let mut rows = sqlx::QueryBuilder::new("INSERT INTO payloads (id, body) ");
                    rows.push_values(bodies.iter().enumerate(), |mut row, (i, (id, body))| {
                        row.push_bind(*id);
                        match packed.get(i) {
                            Some(packed) => row.push_bind(packed.as_ref()),
                            None => row.push_bind(body.as_str()),
                        };
                    });
                    rows.push(" ON CONFLICT (id) DO NOTHING");
                    rows.build().execute(&mut *tx).await?;
                }
                tx.commit().await?;
                inserted
                })
            };
            let mut inserted: std::collections::HashSet<String> = inserted.into_iter().collect();
            for (i, (d, c)) in chunk.iter().zip(chunk_claims).enumerate() {
                if *c && inserted.remove(&d.id) {
                    claimed.push(start + i);
                }
            }
        }
        Ok(claimed)
    }

    /// Gives up claims made by this process that no worker took up (shutdown): the deliveries become claimable
    /// at once instead of when their lease runs out. Fenced by attempts, like every claim.
    pub async fn release(&self, claims: &[ClaimedDelivery]) -> anyhow::Result<()> {
        for chunk in claims.chunks(200) {
            on_pool!(self, p => {
                let mut update = sqlx::QueryBuilder::new("UPDATE deliveries SET locked_until = 0 WHERE status = 'processing' AND (");
                let mut first = true;
                for c in chunk {
                    if !first {
                        update.push(" OR ");
                    }
                    first = false;
                    update.push("(id = ").push_bind(&c.id).push(" AND attempts = ").push_bind(c.attempts).push(")");
                }
                update.push(")");
                update.build().execute(p).await?;
            });
        }
        Ok(())
    }

    /// Claims up to `limit` due deliveries (pending and due first, then processing ones whose lease expired)
    /// for `lease`, in one statement each.
    pub async fn claim(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> anyhow::Result<Vec<ClaimedDelivery>> {
        let now_ms = ms(now);
        let until = now_ms + lease.as_millis() as i64;
        // PostgreSQL: SKIP LOCKED lets replicas claim different rows without waiting on each other. SQLite has a
        // single writer, so the statement is atomic as it is.
        let lock = if self.is_postgres() { "FOR UPDATE SKIP LOCKED" } else { "" };
        // Two narrow queries rather than one with OR, so each walks the (status, next_attempt_at) index instead of
        // scanning a large table while holding the (single) writer.
        let mut claimed = Vec::new();
        for due in [
            "status = 'pending' AND next_attempt_at <= $2 ORDER BY next_attempt_at",
            "status = 'processing' AND locked_until < $2 ORDER BY locked_until",
        ] {
            let left = i64::from(limit) - claimed.len() as i64;
            if left <= 0 {
                break;
            }
            let sql = format!(
                "UPDATE deliveries SET status = 'processing', attempts = attempts + 1, locked_until = $1, updated_at = $2 \
                 WHERE id IN (SELECT id FROM deliveries WHERE {due} LIMIT $3 {lock}) \
                 RETURNING id, event, attempts"
            );
            let rows = on_pool!(self, p => {
                sqlx::query(&sql).bind(until).bind(now_ms).bind(left).fetch_all(p).await?.iter().map(|r| {
                    Ok::<_, sqlx::Error>(ClaimedDelivery {
                        id: r.try_get("id")?,
                        event: r.try_get("event")?,
                        payload: None,
                        packed: None,
                        attempts: r.try_get("attempts")?,
                    })
                }).collect::<Result<Vec<_>, _>>()?
            });
            claimed.extend(rows);
        }
        if claimed.is_empty() {
            return Ok(claimed);
        }
        // Bodies are read on the read pool, keeping the writer free for webhook commits.
        let bodies: Vec<(String, String)> = match &self.pool {
            Pool::Sqlite { read, .. } => {
                // CAST: rows written before compression hold text, later ones a blob; both come back as bytes.
                let mut query = sqlx::QueryBuilder::new(
                    "SELECT d.id AS id, CAST(p.body AS BLOB) AS body FROM deliveries AS d \
                     JOIN payloads AS p ON p.delivery = d.seq WHERE d.id IN (",
                );
                let mut ids = query.separated(", ");
                for c in &claimed {
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
                bodies
            }
            Pool::Postgres(p) => {
                let mut query =
                    sqlx::QueryBuilder::new("SELECT id, body FROM payloads WHERE id IN (");
                let mut ids = query.separated(", ");
                for c in &claimed {
                    ids.push_bind(c.id.clone());
                }
                query.push(")");
                query
                    .build()
                    .fetch_all(p)
                    .await?
                    .iter()
                    .map(|r| Ok::<_, sqlx::Error>((r.try_get("id")?, r.try_get("body")?)))
                    .collect::<Result<Vec<_>, _>>()?
            }
        };
        let mut bodies: std::collections::HashMap<String, String> = bodies.into_iter().collect();
        for c in &mut claimed {
            c.payload = bodies.remove(&c.id);
        }
        Ok(claimed)
    }

    /// Records the results of claimed deliveries in one transaction and returns how many were recorded; a
    /// delivery whose claim was lost to another worker meanwhile is left untouched.
    ///
    /// A done delivery's touchpoints, evidence and `done` mark (with `processed_count + 1`) commit together, so
    /// its effects are counted exactly once even if the process dies at any point.
    ///
    /// The commit does not wait for the disk (`synchronous=NORMAL` on SQLite, `synchronous_commit=off` on
    /// PostgreSQL): everything it writes is derived from deliveries the inbox already made durable, and the next
    /// inbox commit's fsync makes it durable in passing. A power loss can only undo it whole (never corrupt or
    /// half-apply it); its deliveries are then still `processing`, and are claimed and processed again, once.
    /// (Committing in smaller transactions, so inbox commits could take turns with them, measured slower and no
    /// better at p99 with `bench/webhook-throughput.sh`.)
    pub async fn finish(
        &self,
        results: &[(ClaimedDelivery, Finished)],
        now: DateTime<Utc>,
    ) -> anyhow::Result<usize> {
        let now = ms(now);
        let mut encoded: Vec<EncodedRows<'_>> = Vec::new();
        for (_, result) in results {
            let (mut t, mut e) = (Vec::new(), Vec::new());
            if let Finished::Done(outcome) = result {
                for x in &outcome.touchpoints {
                    t.push((x, serde_json::to_string(x)?));
                }
                for x in &outcome.evidence {
                    e.push((x, serde_json::to_string(x)?));
                }
            }
            encoded.push((t, e));
        }
        let sqlite = !self.is_postgres();
        let recorded = on_pool!(self, p => {
            let mut conn = p.acquire().await?;
            if sqlite {
                // Only outside a transaction; set back to FULL below, whatever happens in between.
                sqlx::query("PRAGMA synchronous = NORMAL").execute(&mut *conn).await?;
            }
            let result = async {
                let mut tx = sqlx::Connection::begin(&mut *conn).await?;
                if !sqlite {
                    sqlx::query("SET LOCAL synchronous_commit = off").execute(&mut *tx).await?;
                }
                let mut recorded = 0usize;
                let mut new_touchpoints: Vec<(&Touchpoint, &String, &String)> = Vec::new();
                let mut feedback: Vec<&(String, String)> = Vec::new();
                // The last delivery's installation wins, as when each upserted in turn.
                let mut seen_repos: std::collections::BTreeMap<&str, u64> = std::collections::BTreeMap::new();
                // Done marks for the whole batch in multi-row statements, fenced per row by status and attempts; the
                // ids that came back are the claims still held, whose effects are stored below.
                let done: Vec<(&ClaimedDelivery, &Outcome)> = results
                    .iter()
                    .filter_map(|(claim, result)| match result {
                        Finished::Done(outcome) => Some((claim, outcome)),
                        _ => None,
                    })
                    .collect();
                let mut held: std::collections::HashSet<String> = std::collections::HashSet::new();
                for chunk in done.chunks(200) {
                    let mut update = sqlx::QueryBuilder::new(
                        "UPDATE deliveries SET status = 'done', processed_count = processed_count + 1, last_error = v.column3, updated_at = ",
                    );
                    update.push_bind(now);
                    update.push(", repo = COALESCE(v.column4, deliveries.repo) FROM (");
                    update.push_values(chunk, |mut row, (claim, outcome)| {
                        row.push_bind(&claim.id)
                            .push_bind(claim.attempts)
                            .push_bind(&outcome.note)
                            .push_bind(outcome.repo.as_ref().map(|(r, _)| r.as_str()));
                    });
                    update.push(
                        ") AS v WHERE deliveries.id = v.column1 AND deliveries.status = 'processing' \
                         AND deliveries.attempts = v.column2 RETURNING deliveries.id",
                    );
                    for row in update.build().fetch_all(&mut *tx).await? {
                        held.insert(row.try_get("id")?);
                    }
                }
                for ((claim, result), (touchpoints, evidence)) in results.iter().zip(&encoded) {
                    let outcome = match result {
                        Finished::Done(outcome) => outcome,
                        Finished::Retry { error, at } | Finished::Failed { error, at } => {
                            let status = if matches!(result, Finished::Retry { .. }) { "pending" } else { "failed" };
                            recorded += sqlx::query(
                                "UPDATE deliveries SET status = $1, last_error = $2, next_attempt_at = $3, updated_at = $4 \
                                 WHERE id = $5 AND status = 'processing' AND attempts = $6",
                            )
                            .bind(status)
                            .bind(error)
                            .bind(ms(*at))
                            .bind(now)
                            .bind(&claim.id)
                            .bind(claim.attempts)
                            .execute(&mut *tx)
                            .await?
                            .rows_affected() as usize;
                            continue;
                        }
                    };
                    if !held.contains(&claim.id) {
                        continue;
                    }
                    recorded += 1;
                    new_touchpoints.extend(touchpoints.iter().map(|(t, data)| (*t, data, &claim.id)));
                    feedback.extend(outcome.feedback.iter());
                    if let Some((repo, installation)) = &outcome.repo {
                        seen_repos.insert(repo.as_str(), *installation);
                    }
                    for (e, data) in evidence {
                        sqlx::query(
                            "INSERT INTO evidence (key, mentee, at, delivery_id, data) VALUES ($1, $2, $3, $4, $5) \
                             ON CONFLICT (key) DO UPDATE SET data = excluded.data, at = excluded.at, delivery_id = excluded.delivery_id",
                        )
                        .bind(&e.key)
                        .bind(e.mentee.as_str())
                        .bind(ms(e.at))
                        .bind(&claim.id)
                        .bind(data)
                        .execute(&mut *tx)
                        .await?;
                    }
                    for w in &outcome.writes {
                        sqlx::query(PLAN_SQL)
                            .bind(&w.marker)
                            .bind(w.installation_id as i64)
                            .bind(&w.repo)
                            .bind(&w.op)
                            .bind(now)
                            .bind(&claim.id)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                // Touchpoints of the whole batch in multi-row statements (first stored wins, as one by one), then the
                // feedback counts on them in delivery order, then each repo once: statements, not rows, cost here.
                for chunk in new_touchpoints.chunks(500) {
                    let mut rows = sqlx::QueryBuilder::new(
                        "INSERT INTO touchpoints (key, mentor, mentee, at, delivery_id, data) ",
                    );
                    rows.push_values(chunk, |mut row, (t, data, delivery)| {
                        row.push_bind(&t.key)
                            .push_bind(t.mentor.as_str())
                            .push_bind(t.mentee.as_str())
                            .push_bind(ms(t.at))
                            .push_bind(*delivery)
                            .push_bind(*data);
                    });
                    rows.push(" ON CONFLICT (key) DO NOTHING");
                    rows.build().execute(&mut *tx).await?;
                }
                for (key, mix) in &feedback {
                    sqlx::query("UPDATE touchpoints SET feedback = $1 WHERE key = $2")
                        .bind(mix)
                        .bind(key)
                        .execute(&mut *tx)
                        .await?;
                }
                for (repo, installation) in &seen_repos {
                    sqlx::query(
                        "INSERT INTO repos (repo, installation_id, seen_at) VALUES ($1, $2, $3) \
                         ON CONFLICT (repo) DO UPDATE SET installation_id = excluded.installation_id, seen_at = excluded.seen_at",
                    )
                    .bind(*repo)
                    .bind(*installation as i64)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                anyhow::Ok(recorded)
            }
            .await;
            if sqlite
                && let Err(e) = sqlx::query("PRAGMA synchronous = FULL").execute(&mut *conn).await
            {
                // A connection that cannot be made durable again must not commit webhook deliveries: close it
                // (the pool opens a new one, with the settings it was configured with).
                tracing::warn!(error = %e, "closing a database connection that could not be reset");
                drop(conn.detach());
            }
            result?
        });
        Ok(recorded)
    }

    /// Makes every `processing` delivery claimable now; only safe when no other process works on this database.
    pub async fn release_claims(&self) -> anyhow::Result<u64> {
        let n = on_pool!(self, p => sqlx::query("UPDATE deliveries SET locked_until = 0 WHERE status = 'processing'")
            .execute(p)
            .await?
            .rows_affected());
        Ok(n)
    }

    /// Returns deliveries, newest first.
    pub async fn list_deliveries(
        &self,
        status: Option<&str>,
        limit: u32,
    ) -> anyhow::Result<Vec<DeliveryRow>> {
        let rows = on_reader!(self, p => {
            let rows = sqlx::query(
                "SELECT id, event, action, status, attempts, processed_count, last_error, received_at, next_attempt_at, repo \
                 FROM deliveries WHERE ($1 IS NULL OR status = $1) ORDER BY received_at DESC, id LIMIT $2",
            )
            .bind(status)
            .bind(i64::from(limit))
            .fetch_all(p)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok::<_, sqlx::Error>(DeliveryRow {
                        id: r.try_get("id")?,
                        event: r.try_get("event")?,
                        action: r.try_get("action")?,
                        status: r.try_get("status")?,
                        attempts: r.try_get("attempts")?,
                        processed_count: r.try_get("processed_count")?,
                        last_error: r.try_get("last_error")?,
                        received_at: from_ms(r.try_get("received_at")?),
                        next_attempt_at: from_ms(r.try_get("next_attempt_at")?),
                        repo: r.try_get("repo")?,
                    })
                })
                .collect::<Result<Vec<_>, _>>()?
        });
        Ok(rows)
    }

    /// Counts deliveries by status.
    pub async fn count_by_status(&self) -> anyhow::Result<Vec<(String, i64)>> {
        let rows = on_reader!(self, p => {
            sqlx::query("SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status ORDER BY status")
                .fetch_all(p)
                .await?
                .iter()
                .map(|r| Ok::<_, sqlx::Error>((r.try_get("status")?, r.try_get("n")?)))
                .collect::<Result<Vec<_>, _>>()?
        });
        Ok(rows)
    }

    /// Queues delivery `id` again with fresh attempts; returns false when there is no such delivery with a
    /// payload to process.
    pub async fn retry_delivery(&self, id: &str, now: DateTime<Utc>) -> anyhow::Result<bool> {
        let n = on_pool!(self, p => sqlx::query(
            "UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = $1, locked_until = 0, updated_at = $1 \
             WHERE id = $2 AND has_payload = 1 AND status <> 'processing'",
        )
        .bind(ms(now))
        .bind(id)
        .execute(p)
        .await?
        .rows_affected());
        Ok(n == 1)
    }

    /// Stores an API token's hash and role.
    pub async fn insert_token(
        &self,
        hash: &str,
        role: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        on_pool!(self, p => sqlx::query("INSERT INTO tokens (hash, role, created_at) VALUES ($1, $2, $3)")
            .bind(hash)
            .bind(role)
            .bind(ms(now))
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// Returns the role stored for a token hash.
    pub async fn token_role(&self, hash: &str) -> anyhow::Result<Option<String>> {
        let role = on_reader!(self, p => sqlx::query_scalar::<_, String>("SELECT role FROM tokens WHERE hash = $1")
            .bind(hash)
            .fetch_optional(p)
            .await?);
        Ok(role)
    }

    /// Returns every stored touchpoint.
    pub async fn touchpoints(&self) -> anyhow::Result<Vec<Touchpoint>> {
        let rows: Vec<String> = on_reader!(self, p => sqlx::query_scalar("SELECT data FROM touchpoints ORDER BY at, key")
            .fetch_all(p)
            .await?);
        rows.iter()
            .map(|d| serde_json::from_str(d).context("decoding a stored touchpoint"))
            .collect()
    }

    /// Returns the evidence of `mentee`, oldest first.
    pub async fn evidence_of(&self, mentee: &str) -> anyhow::Result<Vec<Evidence>> {
        let rows: Vec<String> = on_reader!(self, p => sqlx::query_scalar("SELECT data FROM evidence WHERE mentee = $1 ORDER BY at, key")
                .bind(mentee)
                .fetch_all(p)
                .await?);
        rows.iter().map(|d| serde_json::from_str(d).context("decoding stored evidence")).collect()
    }

    /// Returns the repo (and installation) whose config was most recently in force.
    pub async fn latest_repo(&self) -> anyhow::Result<Option<(String, u64)>> {
        let row = on_reader!(self, p => sqlx::query("SELECT repo, installation_id FROM repos ORDER BY seen_at DESC, repo LIMIT 1")
            .fetch_optional(p)
            .await?
            .map(|r| Ok::<_, sqlx::Error>((r.try_get::<String, _>("repo")?, r.try_get::<i64, _>("installation_id")?)))
            .transpose()?);
        Ok(row.map(|(r, i)| (r, i as u64)))
    }

    /// Replaces the recorded config problems with `problems` (repo, message).
    pub async fn set_config_problems(
        &self,
        problems: &[(String, String)],
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query("DELETE FROM config_problems").execute(&mut *tx).await?;
            for (repo, message) in problems {
                sqlx::query("INSERT INTO config_problems (repo, message, seen_at) VALUES ($1, $2, $3) ON CONFLICT (repo) DO NOTHING")
                    .bind(repo)
                    .bind(message)
                    .bind(ms(now))
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Returns the recorded config problems (repo, message).
    pub async fn config_problems(&self) -> anyhow::Result<Vec<(String, String)>> {
        let rows = on_reader!(self, p => sqlx::query("SELECT repo, message FROM config_problems ORDER BY repo")
            .fetch_all(p)
            .await?
            .iter()
            .map(|r| Ok::<_, sqlx::Error>((r.try_get("repo")?, r.try_get("message")?)))
            .collect::<Result<Vec<_>, _>>()?);
        Ok(rows)
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

    /// Migration 0011 rebuilds the inbox with payloads keyed by row number: rows stored before it keep their
    /// payloads, order and dedupe, plain-text and packed bodies alike.
    #[tokio::test]
    async fn payloads_stored_before_migration_0011_are_still_claimed_with_their_delivery() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        let options = SqliteConnectOptions::from_str(&format!("sqlite:{}", path.display()))
            .unwrap()
            .create_if_missing(true);
        let old = SqlitePoolOptions::new().max_connections(1).connect_with(options).await.unwrap();
        let mut migrator = sqlx::migrate!("migrations/sqlite");
        migrator.migrations = migrator
            .migrations
            .iter()
            .filter(|m| m.version < 11)
            .cloned()
            .collect::<Vec<_>>()
            .into();
        migrator.run(&old).await.unwrap();
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
        let done = vec![(claim("a"), Finished::Done(Outcome::default()))];
        assert_eq!(store.finish(&done, Utc::now()).await.unwrap(), 1);
        assert_eq!(synchronous().await, 2, "FULL after a finish");

        sqlx::query("ALTER TABLE repos RENAME TO repos_away").execute(write).await.unwrap();
        let outcome = Outcome { repo: Some(("acme/api".into(), 7)), ..Outcome::default() };
        let failing = vec![(claim("b"), Finished::Done(outcome))];
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
}
