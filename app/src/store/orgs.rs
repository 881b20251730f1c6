//! Installations: one row per org (installation account, lowercase) with its installation id, status, when it
//! last received a delivery, the repositories whose config counts, and its current config problems.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;

use super::{InstallationStatus, Store, from_ms, ms};

/// An org as `mentor-app orgs list` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OrgRow {
    /// The installation account's login, lowercase.
    pub org: String,
    /// The App installation of that account.
    pub installation_id: u64,
    /// Whether the installation lets Mentor act (suspended or deleted: the program stops, no GitHub writes).
    pub status: InstallationStatus,
    /// Repositories whose `.github/mentorship.yml` counts toward the org's config.
    pub repos: Vec<String>,
    /// Current config problems, each naming file and line.
    pub problems: Vec<String>,
    /// When the org last received a delivery.
    pub last_delivery_at: Option<DateTime<Utc>>,
}

impl Store {
    /// Returns every known org, by name.
    pub async fn orgs(&self) -> anyhow::Result<Vec<OrgRow>> {
        self.org_rows(None).await
    }

    /// Returns the org `org` (lowercase), if known.
    pub async fn org(&self, org: &str) -> anyhow::Result<Option<OrgRow>> {
        Ok(self.org_rows(Some(org)).await?.into_iter().next())
    }

    async fn org_rows(&self, only: Option<&str>) -> anyhow::Result<Vec<OrgRow>> {
        let rows = on_reader!(self, p => sqlx::query(
            "SELECT org, installation_id, status, last_delivery_at, config_repos, problems FROM installations \
             WHERE ($1 IS NULL OR org = $1) ORDER BY org",
        )
        .bind(only)
        .fetch_all(p)
        .await?
        .iter()
        .map(|r| {
            Ok::<_, sqlx::Error>((
                r.try_get::<String, _>("org")?,
                r.try_get::<i64, _>("installation_id")?,
                r.try_get::<InstallationStatus, _>("status")?,
                r.try_get::<Option<i64>, _>("last_delivery_at")?,
                r.try_get::<String, _>("config_repos")?,
                r.try_get::<String, _>("problems")?,
            ))
        })
        .collect::<Result<Vec<_>, _>>()?);
        rows.into_iter()
            .map(|(org, installation_id, status, last, repos, problems)| {
                Ok(OrgRow {
                    org,
                    installation_id: installation_id as u64,
                    status,
                    repos: serde_json::from_str(&repos)?,
                    problems: serde_json::from_str(&problems)?,
                    last_delivery_at: last.map(from_ms),
                })
            })
            .collect()
    }

    /// Records an org's installation (created, or seen in a delivery) with `status`.
    pub async fn upsert_installation(
        &self,
        org: &str,
        installation_id: u64,
        status: InstallationStatus,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        on_pool!(self, p => sqlx::query(
            "INSERT INTO installations (org, installation_id, status, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (org) DO UPDATE SET installation_id = excluded.installation_id, status = excluded.status, \
             updated_at = excluded.updated_at",
        )
        .bind(org)
        .bind(installation_id as i64)
        .bind(status)
        .bind(ms(now))
        .execute(p)
        .await
        .map(drop))?;
        Ok(())
    }

    /// Records which repositories' configs count for `org` (installation `installation_id`) and its current
    /// config problems.
    pub async fn set_org_config_state(
        &self,
        org: &str,
        installation_id: u64,
        repos: &[String],
        problems: &[String],
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        on_pool!(self, p => sqlx::query(
            "INSERT INTO installations (org, installation_id, config_repos, problems, updated_at) \
             VALUES ($4, $5, $1, $2, $3) \
             ON CONFLICT (org) DO UPDATE SET config_repos = excluded.config_repos, problems = excluded.problems, \
             updated_at = excluded.updated_at",
        )
        .bind(serde_json::to_string(repos)?)
        .bind(serde_json::to_string(problems)?)
        .bind(ms(now))
        .bind(org)
        .bind(installation_id as i64)
        .execute(p)
        .await
        .map(drop))?;
        Ok(())
    }
}
