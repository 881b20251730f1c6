//! The access log: who read whose evidence or feedback, kept for a year.
//!
//! The API and the dashboard record a read with one insert ([`Store::record_access`]) after the role check
//! passed; a refused read (403) is not a read and is not recorded. `mentor-app access-log` lists the rows and the
//! scheduler deletes those older than [`ACCESS_LOG_KEEP`].

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;

use super::{Store, from_ms, ms};

/// How long access-log rows are kept.
pub const ACCESS_LOG_KEEP: chrono::TimeDelta = chrono::TimeDelta::days(365);

/// One read of a person's data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AccessEntry {
    /// The org whose data was read (lowercase).
    pub org: String,
    /// `token` or `session`.
    pub reader_kind: String,
    /// The token's role (`admin`, `mentor:bob`) or the signed-in login.
    pub reader: String,
    /// Whose data was read (lowercase login).
    pub subject: String,
    /// `evidence` or `feedback`.
    pub what: String,
    /// The route pattern that served it.
    pub route: String,
    /// When.
    pub at: DateTime<Utc>,
}

impl Store {
    /// Records that `reader_kind`/`reader` read `whats` of `subject` in `org` through `route` at `at`, in one
    /// insert.
    #[expect(
        clippy::too_many_arguments,
        reason = "one column each; a struct would only be built to be taken apart"
    )]
    pub async fn record_access(
        &self,
        org: &str,
        reader_kind: &str,
        reader: &str,
        subject: &str,
        whats: &[&str],
        route: &str,
        at: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        if whats.is_empty() {
            return Ok(());
        }
        on_pool!(self, p => {
            let mut query = sqlx::QueryBuilder::new(
                "INSERT INTO access_log (org, reader_kind, reader, subject, what, route, at) ",
            );
            query.push_values(whats, |mut row, what| {
                row.push_bind(org)
                    .push_bind(reader_kind)
                    .push_bind(reader)
                    .push_bind(subject)
                    .push_bind(*what)
                    .push_bind(route)
                    .push_bind(ms(at));
            });
            query.build().execute(p).await.map(drop)
        })?;
        Ok(())
    }

    /// Returns the reads in `org`, oldest first: only of `subject` when given, only at or after `since` when given.
    pub async fn access_log(
        &self,
        org: &str,
        subject: Option<&str>,
        since: Option<DateTime<Utc>>,
    ) -> anyhow::Result<Vec<AccessEntry>> {
        let rows = on_reader!(self, p => sqlx::query(
            "SELECT org, reader_kind, reader, subject, what, route, at FROM access_log \
             WHERE org = $1 AND ($2 IS NULL OR subject = $2) AND at >= $3 ORDER BY at, id",
        )
        .bind(org)
        .bind(subject)
        .bind(since.map_or(i64::MIN, ms))
        .fetch_all(p)
        .await?
        .iter()
        .map(|r| {
            Ok::<_, sqlx::Error>(AccessEntry {
                org: r.try_get("org")?,
                reader_kind: r.try_get("reader_kind")?,
                reader: r.try_get("reader")?,
                subject: r.try_get("subject")?,
                what: r.try_get("what")?,
                route: r.try_get("route")?,
                at: from_ms(r.try_get("at")?),
            })
        })
        .collect::<Result<Vec<_>, _>>()?);
        Ok(rows)
    }

    /// Deletes access-log rows from before `before`; returns how many.
    pub async fn prune_access_log(&self, before: DateTime<Utc>) -> anyhow::Result<u64> {
        let n = on_pool!(self, p => sqlx::query("DELETE FROM access_log WHERE at < $1")
            .bind(ms(before))
            .execute(p)
            .await?
            .rows_affected());
        Ok(n)
    }
}
