//! The inbox: deliveries written durably as they arrive, claimed by workers with a lease, listed and retried.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;

use super::{DeliveryStatus, Pool, Store, from_ms, lease_until, ms, sqlite};

/// A delivery to write to the inbox.
#[derive(Clone, Debug)]
pub struct NewDelivery {
    /// `X-GitHub-Delivery`.
    pub id: String,
    /// `X-GitHub-Event`.
    pub event: String,
    /// The payload's `action`, if any.
    pub action: Option<String>,
    /// [`DeliveryStatus::Pending`], or [`DeliveryStatus::Ignored`] for an event Mentor does not use.
    pub status: DeliveryStatus,
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
            (None, Some(packed)) => Some(std::borrow::Cow::Owned(sqlite::unpack_body(packed)?)),
            (None, None) => None,
        })
    }
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
    pub status: DeliveryStatus,
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
    /// The org it belongs to, once known.
    pub org: Option<String>,
}

impl Store {
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
        let until = lease_until(now, lease);
        let now = ms(now);
        let holder: &str = &self.holder;
        let mut to_claim = max_claims;
        let claim: Vec<bool> = batch
            .iter()
            .map(|d| {
                let c = to_claim > 0 && d.status == DeliveryStatus::Pending;
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
            let inserted: Vec<String> = match &self.pool {
                Pool::Sqlite { write, .. } => {
                    sqlite::insert_chunk(write, chunk, chunk_claims, until, now, holder).await?
                }
                Pool::Postgres(p) => {
                    let mut tx = p.begin().await?;
                    let mut rows = sqlx::QueryBuilder::new(
                        "INSERT INTO deliveries (id, event, action, status, attempts, locked_until, next_attempt_at, received_at, updated_at, has_payload, claimed_by) ",
                    );
                    push_delivery_rows!(rows, chunk, chunk_claims, until, now, holder);
                    rows.push(" ON CONFLICT (id) DO NOTHING");
                    // Only claims need to know which rows are new.
                    let inserted = if chunk_claims.iter().any(|c| *c) {
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
                    let bodies: Vec<(&String, &String)> = chunk
                        .iter()
                        .filter_map(|d| d.payload.as_ref().map(|b| (&d.id, b)))
                        .collect();
                    if !bodies.is_empty() {
                        let mut rows = sqlx::QueryBuilder::new("INSERT INTO payloads (id, body) ");
                        rows.push_values(&bodies, |mut row, (id, body)| {
                            row.push_bind(*id).push_bind(body.as_str());
                        });
                        rows.push(" ON CONFLICT (id) DO NOTHING");
                        rows.build().execute(&mut *tx).await?;
                    }
                    tx.commit().await?;
                    inserted
                }
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

    /// Extends to `now + lease` the lease of every delivery this process (this store's holder) is processing:
    /// the heartbeat that keeps a live process's claims while a dead one's run out. Returns how many.
    pub async fn renew_claims(&self, now: DateTime<Utc>, lease: Duration) -> anyhow::Result<u64> {
        self.renew_held(
            "UPDATE deliveries SET locked_until = $1 WHERE status = 'processing' AND claimed_by = $2",
            now,
            lease,
        )
        .await
    }

    /// This process's name on its claims.
    pub fn holder(&self) -> &str {
        &self.holder
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
        let until = lease_until(now, lease);
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
                "UPDATE deliveries SET status = 'processing', attempts = attempts + 1, locked_until = $1, updated_at = $2, \
                 claimed_by = $4 WHERE id IN (SELECT id FROM deliveries WHERE {due} LIMIT $3 {lock}) \
                 RETURNING id, event, attempts"
            );
            let rows = on_pool!(self, p => {
                sqlx::query(&sql).bind(until).bind(now_ms).bind(left).bind(&*self.holder).fetch_all(p).await?.iter().map(|r| {
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
            Pool::Sqlite { read, .. } => sqlite::read_bodies(read, &claimed).await?,
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
        status: Option<DeliveryStatus>,
        limit: u32,
    ) -> anyhow::Result<Vec<DeliveryRow>> {
        let rows = on_reader!(self, p => {
            let rows = sqlx::query(
                "SELECT id, event, action, status, attempts, processed_count, last_error, received_at, next_attempt_at, repo, org \
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
                        org: r.try_get("org")?,
                    })
                })
                .collect::<Result<Vec<_>, _>>()?
        });
        Ok(rows)
    }

    /// Counts deliveries by status.
    pub async fn count_by_status(&self) -> anyhow::Result<Vec<(DeliveryStatus, i64)>> {
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
}
