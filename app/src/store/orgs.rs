//! Installations: one row per org (installation account), with its status and config state.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Store, ms};

impl Store {
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
