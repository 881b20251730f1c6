//! API tokens: only their SHA-256 is stored, with the role and the org they belong to.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Store, ms};

impl Store {
    /// Stores an API token's hash, its org and its role.
    pub async fn insert_token(
        &self,
        hash: &str,
        org: &str,
        role: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        on_pool!(self, p => sqlx::query("INSERT INTO tokens (hash, role, created_at, org) VALUES ($1, $2, $3, $4)")
            .bind(hash)
            .bind(role)
            .bind(ms(now))
            .bind(org)
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// Returns the org and role stored for a token hash (the org is empty for a token made before orgs).
    pub async fn token_grant(&self, hash: &str) -> anyhow::Result<Option<(String, String)>> {
        let row = on_reader!(self, p => sqlx::query("SELECT org, role FROM tokens WHERE hash = $1")
            .bind(hash)
            .fetch_optional(p)
            .await?
            .map(|r| Ok::<_, sqlx::Error>((r.try_get("org")?, r.try_get("role")?)))
            .transpose()?);
        Ok(row)
    }
}
