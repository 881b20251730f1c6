//! Sign-in state and sessions, server-side: only the SHA-256 of the random values a browser holds is stored.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Store, ms};

impl Store {
    /// Records a sign-in under way: its state's hash, the PKCE verifier and where to go next, until `expires`.
    pub async fn put_oauth_state(
        &self,
        state_hash: &str,
        verifier: &str,
        next: &str,
        expires: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        on_pool!(self, p => sqlx::query(
            "INSERT INTO oauth_states (state_hash, verifier, next_path, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(state_hash)
        .bind(verifier)
        .bind(next)
        .bind(ms(expires))
        .execute(p)
        .await
        .map(drop))?;
        Ok(())
    }

    /// Takes the sign-in with state hash `state_hash` (it can be used once): its verifier and next path, unless
    /// it expired before `now` or was never issued. Expired states are removed on the way.
    pub async fn take_oauth_state(
        &self,
        state_hash: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<(String, String)>> {
        let row = on_pool!(self, p => {
            sqlx::query("DELETE FROM oauth_states WHERE expires_at < $1").bind(ms(now)).execute(p).await?;
            sqlx::query("DELETE FROM oauth_states WHERE state_hash = $1 RETURNING verifier, next_path")
                .bind(state_hash)
                .fetch_optional(p)
                .await?
                .map(|r| Ok::<_, sqlx::Error>((r.try_get("verifier")?, r.try_get("next_path")?)))
                .transpose()?
        });
        Ok(row)
    }

    /// Starts a session for `login` under the cookie hash `id_hash`.
    pub async fn create_session(
        &self,
        id_hash: &str,
        login: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        on_pool!(self, p => sqlx::query(
            "INSERT INTO sessions (id_hash, login, created_at, last_seen_at) VALUES ($1, $2, $3, $3)",
        )
        .bind(id_hash)
        .bind(login)
        .bind(ms(now))
        .execute(p)
        .await
        .map(drop))?;
        Ok(())
    }

    /// Returns the login of the session `id_hash` if it is alive at `now` (seen within `idle`, started within
    /// `absolute`), and marks it seen; an expired session is removed.
    pub async fn session_login(
        &self,
        id_hash: &str,
        now: DateTime<Utc>,
        idle: chrono::Duration,
        absolute: chrono::Duration,
    ) -> anyhow::Result<Option<String>> {
        let row = on_reader!(self, p => sqlx::query(
            "SELECT login, created_at, last_seen_at FROM sessions WHERE id_hash = $1",
        )
        .bind(id_hash)
        .fetch_optional(p)
        .await?
        .map(|r| {
            Ok::<_, sqlx::Error>((
                r.try_get::<String, _>("login")?,
                r.try_get::<i64, _>("created_at")?,
                r.try_get::<i64, _>("last_seen_at")?,
            ))
        })
        .transpose()?);
        let Some((login, created, seen)) = row else { return Ok(None) };
        let now_ms = ms(now);
        if now_ms - seen > idle.num_milliseconds() || now_ms - created > absolute.num_milliseconds()
        {
            self.delete_session(id_hash).await?;
            return Ok(None);
        }
        // Marking it seen costs a write: once a minute is enough for an idle timeout counted in hours.
        if now_ms - seen > 60_000 {
            on_pool!(self, p => sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
                .bind(now_ms)
                .bind(id_hash)
                .execute(p)
                .await
                .map(drop))?;
        }
        Ok(Some(login))
    }

    /// Ends the session `id_hash` (logout); ending one that is gone is not an error.
    pub async fn delete_session(&self, id_hash: &str) -> anyhow::Result<()> {
        on_pool!(self, p => sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(p)
            .await
            .map(drop))?;
        Ok(())
    }
}
