//! `mentor-app backup`: an online, consistent copy of a SQLite database (`VACUUM INTO`).
//!
//! PostgreSQL has its own tools (pg_dump); the command refuses before connecting, so this module is SQLite's only.

use std::path::Path;

use anyhow::Context;

use super::{Pool, Store};

impl Store {
    /// Writes a consistent copy of the SQLite database to `dest`, which must not exist (SQLite itself also
    /// refuses a non-empty file). Other connections keep reading and writing meanwhile.
    pub async fn backup_into(&self, dest: &Path) -> anyhow::Result<()> {
        let Pool::Sqlite { checkpointer, .. } = &self.pool else {
            anyhow::bail!("backup copies SQLite databases only; use pg_dump for PostgreSQL");
        };
        let dest_text = dest
            .to_str()
            .with_context(|| format!("the backup path {} is not valid UTF-8", dest.display()))?;
        // The checkpointer's connection: a read snapshot that never waits for, nor holds, the writer's.
        sqlx::query("VACUUM INTO $1").bind(dest_text).execute(checkpointer).await?;
        Ok(())
    }
}
