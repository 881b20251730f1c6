//! The inbox: deliveries written durably as they arrive, claimed by workers with a lease, listed and retried.

use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;

use super::{Pool, Store, from_ms, ms};

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
    /// The org it belongs to, once known.
    pub org: Option<String>,
}

/// Marks a compressed payload body: no JSON text starts with a NUL byte, so older rows (plain text) stay readable.
pub(super) const PACKED: &[u8] = b"\0lz4";

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
        let now = ms(now);
        let until = now.saturating_add(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX));
        let sqlite = !self.is_postgres();
        let holder: &str = &self.holder;
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
                    "PRAGMA synchronous = FULL; BEGIN IMMEDIATE; INSERT INTO deliveries (id, event, action, status, attempts, locked_until, next_attempt_at, received_at, updated_at, has_payload, claimed_by) ",
                );
                push_delivery_rows!(query, chunk, chunk_claims, until, now, holder);
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
                    "INSERT INTO deliveries (id, event, action, status, attempts, locked_until, next_attempt_at, received_at, updated_at, has_payload, claimed_by) ",
                );
                push_delivery_rows!(rows, chunk, chunk_claims, until, now, holder);
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

    /// Extends to `now + lease` the lease of every delivery this process (this store's holder) is processing:
    /// the heartbeat that keeps a live process's claims while a dead one's run out. Returns how many.
    pub async fn renew_claims(&self, now: DateTime<Utc>, lease: Duration) -> anyhow::Result<u64> {
        let until = ms(now).saturating_add(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX));
        let n = on_pool!(self, p => sqlx::query(
            "UPDATE deliveries SET locked_until = $1 WHERE status = 'processing' AND claimed_by = $2",
        )
        .bind(until)
        .bind(&*self.holder)
        .execute(p)
        .await?
        .rows_affected());
        Ok(n)
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
}
