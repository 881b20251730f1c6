//! Raw payload retention: clearing the webhook bodies of deliveries finished long ago, and telling why a
//! delivery has none.
//!
//! Only the body goes: the delivery's row (id, event, status, attempts, errors) and everything derived from it
//! (touchpoints, evidence, outbox writes) stay. The scan walks the `received_at` index: a delivery finished
//! before the cutoff was received before it too.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{DeliveryStatus, Pool, Store, from_ms, ms, sqlite};

/// Most deliveries cleared in one transaction, so the single SQLite writer is never held long.
const BATCH: i64 = 500;

/// Why a delivery has or has no payload, for `deliveries retry`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayloadState {
    /// Where the delivery is.
    pub status: DeliveryStatus,
    /// True while its raw payload is stored.
    pub has_payload: bool,
    /// When retention cleared it, if it did.
    pub cleared_at: Option<DateTime<Utc>>,
}

impl Store {
    /// Clears the raw payloads of deliveries finished (done, failed, ignored) before `before`, keeping their rows
    /// and derived data; marks them cleared at `now`. Returns how many were cleared.
    pub async fn clear_payloads(
        &self,
        before: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<u64> {
        let mut total = 0u64;
        loop {
            let select = "SELECT id FROM deliveries WHERE received_at < $1 AND updated_at < $1 AND has_payload = 1 \
                          AND status IN ('done', 'failed', 'ignored') LIMIT $3";
            let n = match &self.pool {
                Pool::Sqlite { write, .. } => {
                    sqlite::clear_payloads(write, select, ms(before), ms(now), BATCH).await?
                }
                Pool::Postgres(p) => {
                    let mut tx = p.begin().await?;
                    let ids: Vec<String> = sqlx::query_scalar(&format!(
                        "UPDATE deliveries SET has_payload = 0, payload_cleared_at = $2 WHERE id IN ({select} FOR UPDATE SKIP LOCKED) RETURNING id"
                    ))
                    .bind(ms(before))
                    .bind(ms(now))
                    .bind(BATCH)
                    .fetch_all(&mut *tx)
                    .await?;
                    sqlx::query("DELETE FROM payloads WHERE id = ANY($1)")
                        .bind(&ids)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    ids.len()
                }
            };
            total += n as u64;
            if (n as i64) < BATCH {
                return Ok(total);
            }
        }
    }

    /// Returns delivery `id`'s status and whether its payload is kept, or None when there is no such delivery.
    pub async fn payload_state(&self, id: &str) -> anyhow::Result<Option<PayloadState>> {
        let row = on_reader!(self, p => sqlx::query(
            "SELECT status, has_payload, payload_cleared_at FROM deliveries WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(p)
        .await?
        .map(|r| {
            Ok::<_, sqlx::Error>(PayloadState {
                status: r.try_get("status")?,
                has_payload: r.try_get::<i64, _>("has_payload")? == 1,
                cleared_at: r.try_get::<Option<i64>, _>("payload_cleared_at")?.map(from_ms),
            })
        })
        .transpose()?);
        Ok(row)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;
    use crate::store::NewDelivery;

    fn delivery(id: &str) -> NewDelivery {
        NewDelivery {
            id: id.into(),
            event: "pull_request_review".into(),
            action: Some("submitted".into()),
            status: DeliveryStatus::Pending,
            payload: Some(format!(r#"{{"n":"{id}"}}"#)),
            packed: None,
        }
    }

    /// Only finished deliveries lose their payload, only when they finished before the cutoff, and a cleared
    /// one says when it was cleared.
    #[tokio::test]
    async fn only_payloads_of_deliveries_finished_before_the_cutoff_are_cleared() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&dir.path().join("t.db").to_string_lossy()).await.unwrap();
        let now = Utc::now();
        let old = now - TimeDelta::days(40);
        let ids = ["done-old", "failed-old", "pending-old", "done-new"];
        store.insert_deliveries(&ids.map(delivery), old).await.unwrap();
        let Pool::Sqlite { write, .. } = &store.pool else { unreachable!() };
        for (id, status, at) in
            [("done-old", "done", old), ("failed-old", "failed", old), ("done-new", "done", now)]
        {
            sqlx::query("UPDATE deliveries SET status = $1, updated_at = $2 WHERE id = $3")
                .bind(status)
                .bind(ms(at))
                .bind(id)
                .execute(write)
                .await
                .unwrap();
        }
        let cutoff = now - TimeDelta::days(30);
        assert_eq!(store.clear_payloads(cutoff, now).await.unwrap(), 2);
        assert_eq!(store.clear_payloads(cutoff, now).await.unwrap(), 0, "nothing twice");
        for (id, kept) in
            [("done-old", false), ("failed-old", false), ("pending-old", true), ("done-new", true)]
        {
            let state = store.payload_state(id).await.unwrap().unwrap();
            assert_eq!(state.has_payload, kept, "{id}");
            assert_eq!(state.cleared_at.is_some(), !kept, "{id}");
        }
        let bodies: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM payloads").fetch_one(write).await.unwrap();
        assert_eq!(bodies, 2, "the cleared bodies are gone from the table");
        assert!(store.payload_state("missing").await.unwrap().is_none());
        store.close().await;
    }
}
