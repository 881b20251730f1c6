//! What the scheduler reads and writes: the pairs' snoozes, writes planned outside a delivery, and the lease that
//! lets one replica at a time tick.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use mentor_core::Login;
use sqlx::Row;

use super::{PlannedWrite, Store, WriteStatus, from_ms, ms};

/// A pair's reminders paused until an instant (`/mentor snooze`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snooze {
    /// The pair's mentor.
    pub mentor: Login,
    /// The pair's mentee.
    pub mentee: Login,
    /// Until when.
    pub until: DateTime<Utc>,
}

impl Store {
    /// Returns the snoozes of `org` by (mentor, mentee).
    pub async fn snoozes_of(
        &self,
        org: &str,
    ) -> anyhow::Result<BTreeMap<(Login, Login), DateTime<Utc>>> {
        let rows = on_reader!(self, p => sqlx::query(
            "SELECT mentor, mentee, until_at FROM snoozes WHERE org = $1",
        )
        .bind(org)
        .fetch_all(p)
        .await?
        .iter()
        .map(|r| {
            Ok::<_, sqlx::Error>((
                (Login::new(r.try_get::<&str, _>("mentor")?), Login::new(r.try_get::<&str, _>("mentee")?)),
                from_ms(r.try_get("until_at")?),
            ))
        })
        .collect::<Result<BTreeMap<_, _>, _>>()?);
        Ok(rows)
    }

    /// Plans `writes` for `org` in one transaction (the scheduler's; a delivery's are planned by
    /// [`Store::finish`]). Planning the same op again changes nothing, so ticks that overlap, on one replica or
    /// several, plan each write once.
    pub async fn plan_writes(
        &self,
        org: &str,
        writes: &[PlannedWrite],
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        if writes.is_empty() {
            return Ok(());
        }
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            for w in writes {
                plan_write!(tx, w, ms(now), None::<String>, org).await?;
            }
            tx.commit().await
        })?;
        Ok(())
    }
}

impl Store {
    /// Takes (or renews) lease `name` for `holder` until `now + ttl` when it is free, run out, or already
    /// `holder`'s; returns whether `holder` has it. One statement, so two replicas never both get it.
    pub async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now: DateTime<Utc>,
        ttl: std::time::Duration,
    ) -> anyhow::Result<bool> {
        let until = now + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::MAX);
        let taken = on_pool!(self, p => sqlx::query(
            "INSERT INTO leases (name, holder, until_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until_at = excluded.until_at \
             WHERE leases.until_at < $4 OR leases.holder = excluded.holder",
        )
        .bind(name)
        .bind(holder)
        .bind(ms(until))
        .bind(ms(now))
        .execute(p)
        .await?
        .rows_affected());
        Ok(taken == 1)
    }

    /// Gives lease `name` up if `holder` has it (a replica shutting down), so another takes it at once.
    pub async fn release_lease(&self, name: &str, holder: &str) -> anyhow::Result<()> {
        on_pool!(self, p => sqlx::query("UPDATE leases SET until_at = 0 WHERE name = $1 AND holder = $2")
            .bind(name)
            .bind(holder)
            .execute(p)
            .await
            .map(drop))?;
        Ok(())
    }
}

impl Store {
    /// Returns how many outbox writes there are in each status.
    pub async fn outbox_counts(&self) -> anyhow::Result<Vec<(WriteStatus, i64)>> {
        let rows = on_reader!(self, p => sqlx::query("SELECT status, COUNT(*) AS n FROM outbox GROUP BY status ORDER BY status")
            .fetch_all(p)
            .await?
            .iter()
            .map(|r| Ok::<_, sqlx::Error>((r.try_get::<WriteStatus, _>("status")?, r.try_get::<i64, _>("n")?)))
            .collect::<Result<Vec<_>, _>>()?);
        Ok(rows)
    }

    /// Returns how many seconds the oldest delivery still to process (pending or processing) has waited at `now`.
    pub async fn oldest_waiting_age_secs(&self, now: DateTime<Utc>) -> anyhow::Result<i64> {
        let oldest: Option<i64> = on_reader!(self, p => sqlx::query_scalar(
            "SELECT MIN(received_at) FROM deliveries WHERE status IN ('pending', 'processing')",
        )
        .fetch_one(p)
        .await?);
        Ok(oldest.map_or(0, |at| (now - from_ms(at)).num_seconds().max(0)))
    }
}
