//! `portal-api backup --out FILE`: a consistent copy of the database while the server
//! serves. SQLite: `VACUUM INTO` (one read transaction: the file as of one instant, compacted,
//! readable as a database at once). PostgreSQL: `pg_dump --format=custom` (one snapshot;
//! restored with `pg_restore`). The README's "Backups" says how to restore each.

use std::path::Path;

use anyhow::Context;
use sea_orm::{ConnectionTrait, Database, DatabaseBackend};

/// Writes the copy to `out` (which must not exist yet); its size in bytes.
pub async fn backup(database_url: &str, out: &Path) -> anyhow::Result<u64> {
    anyhow::ensure!(
        !out.exists(),
        "{} exists already: choose a new file (a backup never overwrites one)",
        out.display()
    );
    if database_url.starts_with("postgres") {
        let status = tokio::process::Command::new("pg_dump")
            .args(["--format=custom", "--no-owner", "--file"])
            .arg(out)
            .arg(database_url)
            .status()
            .await
            .context("running pg_dump (PostgreSQL's client tools must be installed)")?;
        anyhow::ensure!(status.success(), "pg_dump failed: {status}");
    } else {
        let db = Database::connect(database_url)
            .await
            .context("opening the database")?;
        anyhow::ensure!(
            db.get_database_backend() == DatabaseBackend::Sqlite,
            "backup knows SQLite and PostgreSQL"
        );
        let path = out
            .to_str()
            .context("the backup's path must be valid UTF-8")?;
        db.execute_unprepared(&format!("VACUUM INTO '{}'", path.replace('\'', "''")))
            .await
            .context("copying the database (VACUUM INTO)")?;
        db.close().await.ok();
    }
    Ok(std::fs::metadata(out)?.len())
}
