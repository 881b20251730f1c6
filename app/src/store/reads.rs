//! Reads for reports, each confined to one org: touchpoints in a window, the last touchpoint of pairs, evidence.
//!
//! Nothing here reads a whole table: every query is bounded by the org and, for touchpoints, by time, and walks an
//! index that leads with the org (migration 0012).

use std::collections::BTreeMap;

use anyhow::Context;
use chrono::{DateTime, Utc};
use mentor_core::load::{Credit, PairTally};
use mentor_core::trend::SprintTotal;
use mentor_core::{Evidence, Login, Touchpoint};
use sqlx::Row;

use super::{Store, from_ms, ms};

/// Runs `$sql` — parameters `$1` org, `$2`/`$3` a time window (milliseconds) — on a reader of either backend and
/// maps each row `$r` with `$map` (which may use `?` on column reads), collecting into the type asked for.
macro_rules! in_window {
    ($store:expr, $sql:expr, $org:expr, $from:expr, $to:expr, |$r:ident| $map:expr) => {
        on_reader!($store, p => sqlx::query($sql)
            .bind($org)
            .bind(ms($from))
            .bind(ms($to))
            .fetch_all(p)
            .await?
            .iter()
            .map(|$r| Ok::<_, sqlx::Error>($map))
            .collect::<Result<_, _>>()?)
    };
}

/// The login in column `name` of a row.
fn login<R: Row>(r: &R, name: &str) -> Result<Login, sqlx::Error>
where
    for<'a> &'a str: sqlx::ColumnIndex<R> + sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok(Login::new(r.try_get::<&str, _>(name)?))
}

impl Store {
    /// Returns what the touchpoints of `org` with `start <= at < end` credit, oldest first: read from the
    /// `(org, at, mentor, mentee, minutes)` index alone. Memory grows with the window's touchpoints: reports read
    /// [`Store::tallies_between`] instead.
    pub async fn credits_between(
        &self,
        org: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> anyhow::Result<Vec<Credit>> {
        let rows = in_window!(
            self,
            "SELECT mentor, mentee, minutes, at FROM touchpoints WHERE org = $1 AND at >= $2 AND at < $3 ORDER BY at",
            org,
            start,
            end,
            |r| Credit {
                mentor: login(r, "mentor")?,
                mentee: login(r, "mentee")?,
                minutes: count(r.try_get("minutes")?),
                at: from_ms(r.try_get("at")?),
            }
        );
        Ok(rows)
    }

    /// Returns the touchpoints of `org` with `start <= at < end` counted and their minutes summed per (mentor,
    /// mentee) — [`mentor_core::load::tallies`] computed by the database on the `(org, at, …)` index, so a load
    /// report holds one row per pair however many touchpoints the sprint has.
    pub async fn tallies_between(
        &self,
        org: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> anyhow::Result<Vec<PairTally>> {
        let rows = in_window!(
            self,
            "SELECT mentor, mentee, COUNT(*) AS n, CAST(SUM(minutes) AS BIGINT) AS minutes FROM touchpoints \
             WHERE org = $1 AND at >= $2 AND at < $3 GROUP BY mentor, mentee ORDER BY mentor, mentee",
            org,
            start,
            end,
            |r| PairTally {
                mentor: login(r, "mentor")?,
                mentee: login(r, "mentee")?,
                touchpoints: count(r.try_get("n")?),
                minutes: count(r.try_get::<Option<i64>, _>("minutes")?.unwrap_or(0)),
            }
        );
        Ok(rows)
    }

    /// Returns, per (mentor, mentee) with a touchpoint in `org` with `from <= at <= to`, the time of the last one.
    pub async fn last_between(
        &self,
        org: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> anyhow::Result<BTreeMap<(Login, Login), DateTime<Utc>>> {
        let rows = in_window!(
            self,
            "SELECT mentor, mentee, MAX(at) AS last FROM touchpoints \
             WHERE org = $1 AND at >= $2 AND at <= $3 GROUP BY mentor, mentee",
            org,
            from,
            to,
            |r| ((login(r, "mentor")?, login(r, "mentee")?), from_ms(r.try_get("last")?))
        );
        Ok(rows)
    }

    /// Returns, per mentor, the touchpoints of `org` with `start <= at < end` counted and their minutes summed
    /// (the rule of [`mentor_core::trend::totals`]), aggregated by the database on the `(org, at, …)` index.
    pub async fn totals_between(
        &self,
        org: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> anyhow::Result<BTreeMap<Login, SprintTotal>> {
        let rows = in_window!(
            self,
            "SELECT mentor, COUNT(*) AS n, CAST(SUM(minutes) AS BIGINT) AS minutes FROM touchpoints \
             WHERE org = $1 AND at >= $2 AND at < $3 GROUP BY mentor",
            org,
            start,
            end,
            |r| (
                login(r, "mentor")?,
                SprintTotal {
                    touchpoints: count(r.try_get("n")?),
                    minutes: count(r.try_get::<Option<i64>, _>("minutes")?.unwrap_or(0)),
                },
            )
        );
        Ok(rows)
    }

    /// Returns every touchpoint of `org`, oldest first (an export; reports read a window with
    /// [`Store::credits_between`]).
    pub async fn touchpoints_of(&self, org: &str) -> anyhow::Result<Vec<Touchpoint>> {
        let rows: Vec<String> = on_reader!(self, p => sqlx::query_scalar(
            "SELECT data FROM touchpoints WHERE org = $1 ORDER BY at, key",
        )
        .bind(org)
        .fetch_all(p)
        .await?);
        rows.iter()
            .map(|d| serde_json::from_str(d).context("decoding a stored touchpoint"))
            .collect()
    }

    /// Returns, for each (mentor, mentee) of `pairs`, the time of their last touchpoint in `org` at or before
    /// `as_of` (pairs without one are left out).
    ///
    /// One statement: each pair's maximum is an index seek on `(org, mentor, mentee, at)`, however many
    /// touchpoints the org has.
    pub async fn last_touchpoints(
        &self,
        org: &str,
        pairs: &[(Login, Login)],
        as_of: DateTime<Utc>,
    ) -> anyhow::Result<BTreeMap<(Login, Login), DateTime<Utc>>> {
        let mut out = BTreeMap::new();
        for chunk in pairs.chunks(300) {
            let rows = on_reader!(self, p => {
                let mut query = sqlx::QueryBuilder::new("WITH p (mentor, mentee) AS (");
                query.push_values(chunk, |mut row, (mentor, mentee)| {
                    row.push_bind(mentor.as_str()).push_bind(mentee.as_str());
                });
                query.push(") SELECT p.mentor AS mentor, p.mentee AS mentee, (SELECT MAX(t.at) FROM touchpoints AS t WHERE t.org = ");
                query.push_bind(org);
                query.push(" AND t.mentor = p.mentor AND t.mentee = p.mentee AND t.at <= ");
                query.push_bind(ms(as_of));
                query.push(") AS last FROM p");
                query.build().fetch_all(p).await?.iter().map(|r| {
                    Ok::<_, sqlx::Error>((
                        r.try_get::<String, _>("mentor")?,
                        r.try_get::<String, _>("mentee")?,
                        r.try_get::<Option<i64>, _>("last")?,
                    ))
                }).collect::<Result<Vec<_>, _>>()?
            });
            for (mentor, mentee, last) in rows {
                if let Some(last) = last {
                    out.insert((Login::new(&mentor), Login::new(&mentee)), from_ms(last));
                }
            }
        }
        Ok(out)
    }

    /// Returns the evidence of every mentee in `org`, oldest first (the weekly digest's read).
    pub async fn evidence_of_org(&self, org: &str) -> anyhow::Result<Vec<Evidence>> {
        let rows: Vec<String> = on_reader!(self, p => sqlx::query_scalar(
            "SELECT data FROM evidence WHERE org = $1 ORDER BY at, key",
        )
        .bind(org)
        .fetch_all(p)
        .await?);
        rows.iter().map(|d| serde_json::from_str(d).context("decoding stored evidence")).collect()
    }

    /// Returns the evidence of `mentee` in `org`, oldest first.
    pub async fn evidence_of(&self, org: &str, mentee: &str) -> anyhow::Result<Vec<Evidence>> {
        let rows: Vec<String> = on_reader!(self, p => sqlx::query_scalar(
            "SELECT data FROM evidence WHERE org = $1 AND mentee = $2 ORDER BY at, key",
        )
        .bind(org)
        .bind(mentee)
        .fetch_all(p)
        .await?);
        rows.iter().map(|d| serde_json::from_str(d).context("decoding stored evidence")).collect()
    }
}

/// A database count, sum or minutes column as a report's `u32`: saturating, as the core's sums are (negative values
/// cannot occur).
fn count(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}
