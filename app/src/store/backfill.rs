//! History backfills: which repositories of an org still have merged pull requests to read, the cursor each one
//! stopped at, and what reading cost; each page's touchpoints and evidence are stored with its cursor in one
//! transaction, so a killed backfill continues after the last page it stored and never counts one twice.

use chrono::{DateTime, Utc};
use mentor_core::{Evidence, Touchpoint};
use serde::Serialize;
use sqlx::Row;

use super::{BackfillStatus, Store, from_ms, ms};

/// A repository's backfill.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BackfillRow {
    /// The org (installation account, lowercase).
    pub org: String,
    /// `owner/name`.
    pub repo: String,
    /// The installation to read as.
    #[serde(skip)]
    pub installation_id: u64,
    /// Pull requests merged at or after this instant are read.
    pub since: DateTime<Utc>,
    /// The end cursor of the last page stored.
    #[serde(skip)]
    pub cursor: Option<String>,
    /// Pull requests per page (halved when GitHub times out).
    pub page_size: u32,
    /// Where it is (`journal`: read; the org's journals are regenerated once every repository is read).
    pub status: BackfillStatus,
    /// Merged pull requests read.
    pub prs: u64,
    /// GraphQL requests sent.
    pub requests: u64,
    /// GraphQL rate-limit points spent.
    pub points: u64,
    /// The last error, or why there was nothing to read.
    pub note: Option<String>,
    /// When it was asked for.
    pub requested_at: DateTime<Utc>,
    /// When it was done or failed.
    pub finished_at: Option<DateTime<Utc>>,
}

/// What one page of history adds, stored in one transaction with the page's cursor.
#[derive(Debug, Default)]
pub struct BackfillPage {
    /// Touchpoints with the delivery id they are stored under (`backfill:{repo}#{number}`).
    pub touchpoints: Vec<(Touchpoint, String)>,
    /// Evidence with its delivery id.
    pub evidence: Vec<(Evidence, String)>,
    /// Conventional Comments counts (FeedbackMix JSON) for touchpoints, by key.
    pub feedback: Vec<(String, String)>,
    /// The end cursor of this page.
    pub cursor: Option<String>,
    /// True when this was the window's last page.
    pub last: bool,
    /// Merged pull requests read on this page.
    pub prs: u64,
    /// Requests this page took.
    pub requests: u64,
    /// Points this page cost.
    pub points: u64,
}

const COLUMNS: &str = "org, repo, installation_id, since_at, page_cursor, page_size, status, prs, requests, points, \
                       note, requested_at, finished_at";

/// Builds a [`BackfillRow`] from a row of [`COLUMNS`] (a macro: the row type differs per backend).
macro_rules! backfill_row {
    ($r:expr) => {{
        let r = $r;
        let count = |name: &str| r.try_get::<i64, _>(name).map(|v| u64::try_from(v).unwrap_or(0));
        Ok::<_, sqlx::Error>(BackfillRow {
            org: r.try_get("org")?,
            repo: r.try_get("repo")?,
            installation_id: count("installation_id")?,
            since: from_ms(r.try_get("since_at")?),
            cursor: r.try_get("page_cursor")?,
            page_size: u32::try_from(r.try_get::<i64, _>("page_size")?).unwrap_or(1).max(1),
            status: r.try_get("status")?,
            prs: count("prs")?,
            requests: count("requests")?,
            points: count("points")?,
            note: r.try_get("note")?,
            requested_at: from_ms(r.try_get("requested_at")?),
            finished_at: r.try_get::<Option<i64>, _>("finished_at")?.map(from_ms),
        })
    }};
}

impl Store {
    /// Asks for the history of `repos` of `org` since `since`. With `again`, a repository read before is read
    /// again from the start (an unfinished one with the same window continues from its cursor); without, only
    /// repositories never asked for are added (what an installation event does). Returns how many were queued.
    pub async fn request_backfill(
        &self,
        org: &str,
        installation_id: u64,
        repos: &[String],
        since: DateTime<Utc>,
        again: bool,
        now: DateTime<Utc>,
    ) -> anyhow::Result<u64> {
        let conflict = if again {
            "ON CONFLICT (org, repo) DO UPDATE SET installation_id = excluded.installation_id, \
             page_cursor = CASE WHEN backfills.status IN ('queued', 'failed') AND backfills.since_at = excluded.since_at \
                 THEN backfills.page_cursor ELSE NULL END, \
             prs = CASE WHEN backfills.status IN ('queued', 'failed') AND backfills.since_at = excluded.since_at \
                 THEN backfills.prs ELSE 0 END, \
             requests = CASE WHEN backfills.status IN ('queued', 'failed') AND backfills.since_at = excluded.since_at \
                 THEN backfills.requests ELSE 0 END, \
             points = CASE WHEN backfills.status IN ('queued', 'failed') AND backfills.since_at = excluded.since_at \
                 THEN backfills.points ELSE 0 END, \
             since_at = excluded.since_at, status = 'queued', note = NULL, not_before = 0, \
             requested_at = excluded.requested_at, updated_at = excluded.updated_at, finished_at = NULL"
        } else {
            "ON CONFLICT (org, repo) DO NOTHING"
        };
        let sql = format!(
            "INSERT INTO backfills (org, repo, installation_id, since_at, requested_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) {conflict}"
        );
        let mut queued = 0;
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            for repo in repos {
                queued += sqlx::query(&sql)
                    .bind(org)
                    .bind(repo)
                    .bind(installation_id as i64)
                    .bind(ms(since))
                    .bind(ms(now))
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            }
            tx.commit().await?;
        });
        Ok(queued)
    }

    /// Returns the backfills of `org` (every org when None), by org and repository.
    pub async fn backfills(&self, org: Option<&str>) -> anyhow::Result<Vec<BackfillRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM backfills WHERE $1 IS NULL OR org = $1 ORDER BY org, repo"
        );
        on_reader!(self, p => {
            let rows = sqlx::query(&sql).bind(org).fetch_all(p).await?;
            let rows: Result<Vec<BackfillRow>, sqlx::Error> =
                rows.iter().map(|r| backfill_row!(r)).collect();
            Ok(rows?)
        })
    }

    /// Returns the queued backfill (of `org` when given) asked for first whose wait (after a transient failure) is over.
    pub async fn next_backfill(
        &self,
        now: DateTime<Utc>,
        org: Option<&str>,
    ) -> anyhow::Result<Option<BackfillRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM backfills WHERE status = 'queued' AND not_before <= $1 AND ($2 IS NULL OR org = $2) \
             ORDER BY requested_at, org, repo LIMIT 1"
        );
        on_pool!(self, p => {
            let row = sqlx::query(&sql).bind(ms(now)).bind(org).fetch_optional(p).await?;
            let row: Option<Result<BackfillRow, sqlx::Error>> = row.map(|r| backfill_row!(&r));
            Ok(row.transpose()?)
        })
    }

    /// Stores one page of `org`'s `repo`: its touchpoints (a key stored before, by a webhook or an earlier run,
    /// stays as it is), evidence (same key replaces), feedback counts, the cursor and the counters, in one
    /// transaction. The last page leaves the repository waiting for the org's journals.
    pub async fn record_backfill_page(
        &self,
        org: &str,
        repo: &str,
        page: &BackfillPage,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let mut touchpoints = Vec::with_capacity(page.touchpoints.len());
        for (t, delivery) in &page.touchpoints {
            touchpoints.push((t, delivery, serde_json::to_string(t)?));
        }
        let mut evidence = Vec::with_capacity(page.evidence.len());
        for (e, delivery) in &page.evidence {
            evidence.push((e, delivery, serde_json::to_string(e)?));
        }
        on_pool!(self, p => {
            let mut tx = p.begin().await?;
            for (t, delivery, data) in &touchpoints {
                sqlx::query(
                    "INSERT INTO touchpoints (key, mentor, mentee, at, delivery_id, data, org, minutes) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (key) DO NOTHING",
                )
                .bind(&t.key)
                .bind(t.mentor.as_str())
                .bind(t.mentee.as_str())
                .bind(ms(t.at))
                .bind(delivery.as_str())
                .bind(data.as_str())
                .bind(org)
                .bind(i64::from(t.minutes))
                .execute(&mut *tx)
                .await?;
            }
            for (key, mix) in &page.feedback {
                sqlx::query("UPDATE touchpoints SET feedback = $1 WHERE key = $2 AND org = $3")
                    .bind(mix)
                    .bind(key)
                    .bind(org)
                    .execute(&mut *tx)
                    .await?;
            }
            for (e, delivery, data) in &evidence {
                sqlx::query(
                    "INSERT INTO evidence (key, mentee, at, delivery_id, data, org) VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (key) DO UPDATE SET data = excluded.data, at = excluded.at, delivery_id = excluded.delivery_id",
                )
                .bind(&e.key)
                .bind(e.mentee.as_str())
                .bind(ms(e.at))
                .bind(delivery.as_str())
                .bind(data.as_str())
                .bind(org)
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query(
                "UPDATE backfills SET page_cursor = $1, prs = prs + $2, requests = requests + $3, points = points + $4, \
                 status = CASE WHEN $5 THEN 'journal' ELSE status END, note = NULL, updated_at = $6 \
                 WHERE org = $7 AND repo = $8",
            )
            .bind(&page.cursor)
            .bind(page.prs as i64)
            .bind(page.requests as i64)
            .bind(page.points as i64)
            .bind(page.last)
            .bind(ms(now))
            .bind(org)
            .bind(repo)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Records what happened to `org`'s `repo` outside a stored page: `status` (`queued` to try again at
    /// `not_before`, `journal` when there was nothing to read, `failed`), a note, the page size to use next and the
    /// requests and points spent.
    #[allow(clippy::too_many_arguments)]
    pub async fn update_backfill(
        &self,
        org: &str,
        repo: &str,
        status: BackfillStatus,
        note: Option<&str>,
        not_before: DateTime<Utc>,
        page_size: u32,
        spent: (u64, u64),
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        on_pool!(self, p => {
            sqlx::query(
                "UPDATE backfills SET status = $1, note = $2, not_before = $3, page_size = $4, \
                 requests = requests + $5, points = points + $6, updated_at = $7, \
                 finished_at = CASE WHEN $1 = 'failed' THEN $7 ELSE finished_at END WHERE org = $8 AND repo = $9",
            )
            .bind(status)
            .bind(note)
            .bind(ms(not_before))
            .bind(i64::from(page_size))
            .bind(spent.0 as i64)
            .bind(spent.1 as i64)
            .bind(ms(now))
            .bind(org)
            .bind(repo)
            .execute(p)
            .await?;
        });
        Ok(())
    }

    /// Returns the orgs whose repositories are all read with some waiting for the journals, and the installation
    /// to write them as.
    pub async fn backfills_awaiting_journals(&self) -> anyhow::Result<Vec<(String, u64)>> {
        on_pool!(self, p => {
            let rows = sqlx::query(
                "SELECT org, MAX(installation_id) AS installation_id FROM backfills GROUP BY org \
                 HAVING SUM(CASE WHEN status = 'journal' THEN 1 ELSE 0 END) > 0 \
                 AND SUM(CASE WHEN status = 'queued' THEN 1 ELSE 0 END) = 0 ORDER BY org",
            )
            .fetch_all(p)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok((
                        r.try_get::<String, _>("org")?,
                        u64::try_from(r.try_get::<i64, _>("installation_id")?).unwrap_or(0),
                    ))
                })
                .collect()
        })
    }

    /// Marks `org`'s repositories that were waiting for the journals done.
    pub async fn finish_backfill(&self, org: &str, now: DateTime<Utc>) -> anyhow::Result<()> {
        on_pool!(self, p => {
            sqlx::query(
                "UPDATE backfills SET status = 'done', finished_at = $1, updated_at = $1 \
                 WHERE org = $2 AND status = 'journal'",
            )
            .bind(ms(now))
            .bind(org)
            .execute(p)
            .await?;
        });
        Ok(())
    }
}
