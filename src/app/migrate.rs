//! Versioned SQL migrations embedded from `assets/migrations/`, applied once per database under
//! a server-side lock (`GET_LOCK`) and recorded in the `schema_migrations` table.
//!
//! Imports nothing else of the app.

use std::time::Duration;

use mysql_async::Pool;
use mysql_async::prelude::Queryable as _;
use sha2::{Digest as _, Sha256};

/// One migration: a version, a name and its SQL (one or more statements).
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: u32,
    pub name: &'static str,
    pub sql: &'static str,
}

/// Every migration, in order. A new file in `assets/migrations/` must be listed here too (a test
/// checks that the folder and this list agree).
pub const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "create_person",
    sql: include_str!("../../assets/migrations/0001_create_person.sql"),
}];

/// The newest schema version this binary knows.
pub fn latest_version() -> u32 {
    MIGRATIONS.last().map_or(0, |migration| migration.version)
}

/// How long an instance waits for another one that holds the migration lock.
pub const LOCK_WAIT: Duration = Duration::from_secs(120);

const SCHEMA_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version INT UNSIGNED NOT NULL PRIMARY KEY,
    name VARCHAR(200) NOT NULL,
    checksum CHAR(64) NOT NULL,
    applied_at DATETIME(6) NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4";

/// Why the schema could not be brought up to date.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("timed out after {0:?} waiting for the migration lock held by another instance")]
    LockTimeout(Duration),
    #[error("migration {version} ({name}) was changed after it was applied (checksum differs)")]
    Changed { version: u32, name: &'static str },
    #[error("migration {version} ({name}) failed: {cause}")]
    Failed {
        version: u32,
        name: &'static str,
        cause: mysql_async::Error,
    },
    #[error("migration bookkeeping failed: {0}")]
    Db(#[from] mysql_async::Error),
}

/// Applies the migrations this database has not seen yet; returns how many were applied.
///
/// Holds `GET_LOCK('capstan_migrate:<database>')` for the whole run, so instances starting
/// together apply each migration exactly once: the second one waits, then finds nothing to do.
/// A migration whose checksum changed since it was applied is an error, not a silent skip. A
/// schema newer than this binary (after a rollback) is used as it is, with a warning: migrations
/// must therefore stay backward compatible (add columns and tables; never drop or rename).
pub async fn apply(pool: &Pool, database: &str) -> Result<usize, MigrateError> {
    let mut conn = pool.get_conn().await?;
    let lock = lock_name(database);
    let got: Option<Option<i64>> = conn
        .exec_first("SELECT GET_LOCK(?, ?)", (&lock, LOCK_WAIT.as_secs()))
        .await?;
    if got.flatten() != Some(1) {
        return Err(MigrateError::LockTimeout(LOCK_WAIT));
    }

    let applied = apply_locked(&mut conn).await;

    let released: Result<Option<Option<i64>>, _> =
        conn.exec_first("SELECT RELEASE_LOCK(?)", (&lock,)).await;
    if let Err(err) = released {
        tracing::warn!(%err, "could not release the migration lock; it ends with the connection");
    }
    applied
}

async fn apply_locked(conn: &mut mysql_async::Conn) -> Result<usize, MigrateError> {
    conn.query_drop(SCHEMA_TABLE).await?;
    let done: Vec<(u32, String)> = conn
        .query("SELECT version, checksum FROM schema_migrations ORDER BY version")
        .await?;
    let known = latest_version();
    if let Some((found, _)) = done.iter().rev().find(|(version, _)| *version > known) {
        // A rollback runs an older binary on a schema a newer one migrated. Migrations are
        // written to stay backward compatible (add, never drop or rename) so this works.
        tracing::warn!(
            schema_version = found,
            binary_version = known,
            "database schema is newer than this binary; running on it unchanged"
        );
    }

    let mut count = 0;
    for migration in MIGRATIONS {
        let checksum = checksum(migration.sql);
        match done
            .iter()
            .find(|(version, _)| *version == migration.version)
        {
            Some((_, recorded)) if *recorded == checksum => continue,
            Some(_) => {
                return Err(MigrateError::Changed {
                    version: migration.version,
                    name: migration.name,
                });
            }
            None => {}
        }

        tracing::info!(
            version = migration.version,
            name = migration.name,
            "applying migration"
        );
        conn.query_drop(migration.sql)
            .await
            .map_err(|cause| MigrateError::Failed {
                version: migration.version,
                name: migration.name,
                cause,
            })?;
        conn.exec_drop(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at) \
             VALUES (?, ?, ?, UTC_TIMESTAMP(6))",
            (migration.version, migration.name, &checksum),
        )
        .await?;
        count += 1;
    }
    Ok(count)
}

/// The schema version recorded in the database; `None` when no migration ever ran.
pub async fn current_version(
    conn: &mut mysql_async::Conn,
) -> Result<Option<u32>, mysql_async::Error> {
    let result: Result<Option<Option<u32>>, _> = conn
        .query_first("SELECT MAX(version) FROM schema_migrations")
        .await;
    match result {
        Ok(version) => Ok(version.flatten()),
        // ER_NO_SUCH_TABLE: migrations never ran here.
        Err(mysql_async::Error::Server(server)) if server.code == 1146 => Ok(None),
        Err(err) => Err(err),
    }
}

fn checksum(sql: &str) -> String {
    Sha256::digest(sql.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// `GET_LOCK` names are server-wide and at most 64 characters: one per database.
fn lock_name(database: &str) -> String {
    let name = format!("capstan_migrate:{database}");
    if name.len() <= 64 {
        name
    } else {
        format!("capstan_migrate:{}", &checksum(database)[..40])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_migrations_match_the_files_in_assets() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/migrations");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .expect("assets/migrations exists")
            .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
            .filter(|name| name.ends_with(".sql"))
            .collect();
        files.sort();
        let listed: Vec<String> = MIGRATIONS
            .iter()
            .map(|migration| format!("{:04}_{}.sql", migration.version, migration.name))
            .collect();
        assert_eq!(files, listed);
    }

    #[test]
    fn migration_versions_strictly_increase() {
        assert!(
            MIGRATIONS
                .windows(2)
                .all(|pair| pair[0].version < pair[1].version)
        );
    }

    #[test]
    fn lock_names_fit_in_64_characters() {
        assert_eq!(lock_name("person"), "capstan_migrate:person");
        assert!(lock_name(&"d".repeat(64)).len() <= 64);
    }
}
