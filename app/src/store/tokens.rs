//! API tokens: only their SHA-256 is stored, with the role and org they belong to.

use chrono::{DateTime, Utc};

use super::{Store, ms};

impl Store {
    /// Stores an API token's hash and role.
    pub async fn insert_token(
        &self,
        hash: &str,
        role: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        on_pool!(self, p => sqlx::query("INSERT INTO tokens (hash, role, created_at) VALUES ($1, $2, $3)")
            .bind(hash)
            .bind(role)
            .bind(ms(now))
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// Returns the role stored for a token hash.
    pub async fn token_role(&self, hash: &str) -> anyhow::Result<Option<String>> {
        let role = on_reader!(self, p => sqlx::query_scalar::<_, String>("SELECT role FROM tokens WHERE hash = $1")
            .bind(hash)
            .fetch_optional(p)
            .await?);
        Ok(role)
    }
}
