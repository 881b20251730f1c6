//! The outbox's rows: planned GitHub writes, their sending state, and what was written (marker → id).
//!
//! Planning happens inside [`Store::finish`] (same transaction as the delivery's effects) with [`PLAN_SQL`];
//! everything else the sender and the `outbox` command need is here.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;

use super::{Store, WriteStatus, from_ms, lease_until, ms};

/// Plans one write: `$1` marker, `$2` installation, `$3` repo, `$4` op JSON, `$5` now, `$6` delivery id, `$7` org.
///
/// The same op again changes nothing (a redelivery plans nothing new); a different op replaces the desired state,
/// bumps `version` and queues the row again, even a failed or done one.
pub const PLAN_SQL: &str = "INSERT INTO outbox (marker, installation_id, repo, op, status, next_attempt_at, delivery_id, created_at, updated_at, org) \
     VALUES ($1, $2, $3, $4, 'pending', $5, $6, $5, $5, $7) \
     ON CONFLICT (marker) DO UPDATE SET op = excluded.op, installation_id = excluded.installation_id, repo = excluded.repo, org = excluded.org, \
     version = outbox.version + 1, status = 'pending', attempts = 0, last_error = NULL, \
     next_attempt_at = excluded.next_attempt_at, delivery_id = excluded.delivery_id, updated_at = excluded.updated_at \
     WHERE outbox.op <> excluded.op";

/// A GitHub write to plan with a delivery's effects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedWrite {
    /// `<kind>:<key>`, unique per object written.
    pub marker: String,
    /// Installation to write as.
    pub installation_id: u64,
    /// Repository written to.
    pub repo: String,
    /// The op's JSON (`outbox::Write`).
    pub op: String,
}

/// An outbox row the sender claimed.
#[derive(Clone, Debug)]
pub struct ClaimedWrite {
    /// Row id.
    pub id: i64,
    /// `<kind>:<key>`.
    pub marker: String,
    /// Installation to write as.
    pub installation_id: u64,
    /// The org the write belongs to (its installation's account, lowercase; empty for rows from before orgs).
    pub org: String,
    /// Repository written to.
    pub repo: String,
    /// The op's JSON.
    pub op: String,
    /// Fences the result against a replan meanwhile.
    pub version: i64,
    /// Attempts so far, this one included.
    pub attempts: i64,
}

/// An outbox row as `outbox list` shows it.
#[derive(Clone, Debug, Serialize)]
pub struct OutboxRow {
    /// Row id (for `outbox retry`).
    pub id: i64,
    /// `<kind>:<key>`.
    pub marker: String,
    /// Repository written to.
    pub repo: String,
    /// Where the write is.
    pub status: WriteStatus,
    /// Attempts made.
    pub attempts: i64,
    /// The last error.
    pub last_error: Option<String>,
    /// When it will be tried next.
    pub next_attempt_at: DateTime<Utc>,
    /// The delivery that planned it.
    pub delivery_id: Option<String>,
}

/// How sending one claimed write ended.
#[derive(Debug)]
pub enum WriteResult {
    /// Written: `object_id` (comment id, issue number, or the comment reacted to) now holds `body`.
    Done {
        /// Comment id or issue number.
        object_id: u64,
        /// The text GitHub now has.
        body: String,
    },
    /// Try again at `at`; `found` records an object found or created before the failure.
    Retry {
        /// What went wrong.
        error: String,
        /// When.
        at: DateTime<Utc>,
    },
    /// Give up (non-retryable) with `error`.
    Failed {
        /// What went wrong.
        error: String,
    },
}

impl Store {
    /// Extends to `now + lease` the lease of every write this process is sending (see [`Store::renew_claims`]).
    pub async fn renew_writes(
        &self,
        now: DateTime<Utc>,
        lease: std::time::Duration,
    ) -> anyhow::Result<u64> {
        self.renew_held(
            "UPDATE outbox SET locked_until = $1 WHERE status = 'sending' AND claimed_by = $2",
            now,
            lease,
        )
        .await
    }

    /// Claims up to `limit` due writes (pending and due, or sending with an expired lease), oldest first.
    pub async fn claim_writes(
        &self,
        now: DateTime<Utc>,
        lease: std::time::Duration,
        limit: u32,
    ) -> anyhow::Result<Vec<ClaimedWrite>> {
        let now_ms = ms(now);
        let until = lease_until(now, lease);
        let lock = if self.is_postgres() { "FOR UPDATE SKIP LOCKED" } else { "" };
        let sql = format!(
            "UPDATE outbox SET status = 'sending', attempts = attempts + 1, locked_until = $1, updated_at = $2, \
             claimed_by = $4 WHERE id IN (SELECT id FROM outbox WHERE ((status = 'pending' AND next_attempt_at <= $2) \
             OR (status = 'sending' AND locked_until < $2)) \
             AND NOT EXISTS (SELECT 1 FROM installations AS i WHERE i.org = outbox.org AND i.status <> 'active') \
             ORDER BY id LIMIT $3 {lock}) \
             RETURNING id, marker, installation_id, org, repo, op, version, attempts"
        );
        let mut rows = on_pool!(self, p => {
            sqlx::query(&sql).bind(until).bind(now_ms).bind(i64::from(limit)).bind(&*self.holder).fetch_all(p).await?.iter().map(|r| {
                Ok::<_, sqlx::Error>(ClaimedWrite {
                    id: r.try_get("id")?,
                    marker: r.try_get("marker")?,
                    installation_id: r.try_get::<i64, _>("installation_id")? as u64,
                    org: r.try_get("org")?,
                    repo: r.try_get("repo")?,
                    op: r.try_get("op")?,
                    version: r.try_get("version")?,
                    attempts: r.try_get("attempts")?,
                })
            }).collect::<Result<Vec<_>, _>>()?
        });
        // Writes to one comment must go out in the order they were planned.
        rows.sort_by_key(|r| r.id);
        Ok(rows)
    }

    /// Returns the comment id (or issue number) and last body written for `marker`, if known.
    pub async fn written(&self, marker: &str) -> anyhow::Result<Option<(u64, String)>> {
        let row = on_pool!(self, p => sqlx::query("SELECT object_id, body FROM written WHERE marker = $1")
            .bind(marker)
            .fetch_optional(p)
            .await?
            .map(|r| Ok::<_, sqlx::Error>((r.try_get::<i64, _>("object_id")? as u64, r.try_get::<String, _>("body")?)))
            .transpose()?);
        Ok(row)
    }

    /// Records how sending `claim` ended. What was written is recorded even when the row was planned again
    /// meanwhile (its new version is then sent next, as an edit of the object found here).
    pub async fn finish_write(
        &self,
        claim: &ClaimedWrite,
        result: &WriteResult,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let now = ms(now);
        let (status, error, next) = match result {
            WriteResult::Done { .. } => (WriteStatus::Done, None, now),
            WriteResult::Retry { error, at } => {
                (WriteStatus::Pending, Some(error.as_str()), ms(*at))
            }
            WriteResult::Failed { error } => (WriteStatus::Failed, Some(error.as_str()), now),
        };
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            if let WriteResult::Done { object_id, body } = result {
                sqlx::query(
                    "INSERT INTO written (marker, repo, object_id, body, updated_at, org) VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (marker) DO UPDATE SET repo = excluded.repo, object_id = excluded.object_id, \
                     body = excluded.body, updated_at = excluded.updated_at, org = excluded.org",
                )
                .bind(&claim.marker)
                .bind(&claim.repo)
                .bind(*object_id as i64)
                .bind(body)
                .bind(now)
                .bind(&claim.org)
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query(
                "UPDATE outbox SET status = $1, last_error = $2, next_attempt_at = $3, locked_until = 0, updated_at = $4 \
                 WHERE id = $5 AND version = $6 AND status = 'sending' AND attempts = $7",
            )
            .bind(status)
            .bind(error)
            .bind(next)
            .bind(now)
            .bind(claim.id)
            .bind(claim.version)
            .bind(claim.attempts)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Records that `marker`'s object is `object_id` holding `body`, outside any send (used when the sender
    /// finds its own comment by the marker before giving up on a later step).
    pub async fn record_written(
        &self,
        marker: &str,
        org: &str,
        repo: &str,
        object_id: u64,
        body: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        on_pool!(self, p => sqlx::query(
            "INSERT INTO written (marker, repo, object_id, body, updated_at, org) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (marker) DO UPDATE SET repo = excluded.repo, object_id = excluded.object_id, \
             body = excluded.body, updated_at = excluded.updated_at, org = excluded.org",
        )
        .bind(marker)
        .bind(repo)
        .bind(object_id as i64)
        .bind(body)
        .bind(ms(now))
        .bind(org)
        .execute(p)
        .await
        .map(drop))?;
        Ok(())
    }

    /// Returns outbox rows, newest first.
    pub async fn list_outbox(
        &self,
        status: Option<WriteStatus>,
        limit: u32,
    ) -> anyhow::Result<Vec<OutboxRow>> {
        let rows = on_reader!(self, p => {
            sqlx::query(
                "SELECT id, marker, repo, status, attempts, last_error, next_attempt_at, delivery_id FROM outbox \
                 WHERE ($1 IS NULL OR status = $1) ORDER BY id DESC LIMIT $2",
            )
            .bind(status)
            .bind(i64::from(limit))
            .fetch_all(p)
            .await?
            .iter()
            .map(|r| {
                Ok::<_, sqlx::Error>(OutboxRow {
                    id: r.try_get("id")?,
                    marker: r.try_get("marker")?,
                    repo: r.try_get("repo")?,
                    status: r.try_get("status")?,
                    attempts: r.try_get("attempts")?,
                    last_error: r.try_get("last_error")?,
                    next_attempt_at: from_ms(r.try_get("next_attempt_at")?),
                    delivery_id: r.try_get("delivery_id")?,
                })
            })
            .collect::<Result<Vec<_>, _>>()?
        });
        Ok(rows)
    }

    /// Queues outbox row `id` again with fresh attempts; false when there is no such row outside `sending`.
    pub async fn retry_write(&self, id: i64, now: DateTime<Utc>) -> anyhow::Result<bool> {
        let n = on_pool!(self, p => sqlx::query(
            "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = $1, locked_until = 0, updated_at = $1 \
             WHERE id = $2 AND status <> 'sending'",
        )
        .bind(ms(now))
        .bind(id)
        .execute(p)
        .await?
        .rows_affected());
        Ok(n == 1)
    }

    /// Makes every `sending` write claimable now; only safe when no other process uses this database.
    pub async fn release_writes(&self) -> anyhow::Result<u64> {
        let n = on_pool!(self, p => sqlx::query("UPDATE outbox SET locked_until = 0 WHERE status = 'sending'")
            .execute(p)
            .await?
            .rows_affected());
        Ok(n)
    }
}

impl Store {
    /// Returns true when a write with `marker` was ever planned.
    pub async fn outbox_has(&self, marker: &str) -> anyhow::Result<bool> {
        let n: i64 = on_pool!(self, p => sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE marker = $1")
            .bind(marker)
            .fetch_one(p)
            .await?);
        Ok(n > 0)
    }
}
