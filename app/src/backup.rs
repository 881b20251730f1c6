//! `mentor-app backup <file>`: an online, consistent copy of the SQLite database.
//!
//! The copy is SQLite's `VACUUM INTO` ([`Store::backup_into`]): a snapshot taken while the server keeps running.
//! PostgreSQL is refused before connecting, with the pg_dump command line to use instead.

use std::io::Write;

use anyhow::Context;

use crate::settings::BackupArgs;
use crate::store::Store;

/// Runs `backup`.
pub async fn cmd_backup(
    args: BackupArgs,
    database_url: &str,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
        anyhow::bail!(
            "backup copies SQLite databases only, and this one is PostgreSQL\n\nUse PostgreSQL's own tool, e.g.:\n  \
             pg_dump --format=custom --file=mentor.dump \"$MENTOR_DATABASE_URL\"\nand restore it with pg_restore."
        );
    }
    if args.file.exists() {
        anyhow::bail!(
            "{} already exists\n\nA backup never overwrites a file: give a new file name.",
            args.file.display()
        );
    }
    let store = Store::connect(database_url).await?;
    let result = store.backup_into(&args.file).await;
    store.close().await;
    result.with_context(|| format!("cannot write the backup to {}", args.file.display()))?;
    let size = std::fs::metadata(&args.file)
        .with_context(|| format!("cannot read the backup {}", args.file.display()))?
        .len();
    writeln!(out, "Backed up the database to {} ({}).", args.file.display(), human_size(size))?;
    Ok(())
}

/// Returns `bytes` as `532 B`, `1.4 KiB`, `12.0 MiB`, ….
fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}, {bytes} bytes", UNITS[unit])
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_read_well() {
        assert_eq!(super::human_size(532), "532 B");
        assert_eq!(super::human_size(1536), "1.5 KiB, 1536 bytes");
        assert_eq!(super::human_size(3 * 1024 * 1024), "3.0 MiB, 3145728 bytes");
    }
}
