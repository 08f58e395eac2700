//! The app's way to MariaDB: connection options from [`DbConfig`], the start-up wait with
//! exponential backoff, creating the database when missing, and the request pool.
//!
//! Never logs or formats the password: every message names `user@host:port/db` only. Imports
//! only `app::config`.

use std::time::{Duration, Instant};

use mysql_async::prelude::Queryable as _;
use mysql_async::{Opts, OptsBuilder, Pool, PoolConstraints, PoolOpts};

use crate::app::config::DbConfig;

/// First pause between connection attempts; it doubles up to [`BACKOFF_MAX`].
pub const BACKOFF_START: Duration = Duration::from_millis(200);
/// Longest pause between connection attempts.
pub const BACKOFF_MAX: Duration = Duration::from_secs(5);
/// How long one connection attempt may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Why start-up could not use the database.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(
        "database at {target} not reachable after {waited:.1?} ({attempts} attempts); \
         last error: {last}"
    )]
    Unreachable {
        target: String,
        waited: Duration,
        attempts: u32,
        last: String,
    },
    #[error("database at {target} refused the credentials of user {user}: {cause}")]
    AccessDenied {
        target: String,
        user: String,
        cause: String,
    },
    #[error("invalid database name {0:?}: use 1-64 letters, digits, _ or $")]
    BadName(String),
    #[error("database at {target}: {cause}")]
    Query {
        target: String,
        cause: mysql_async::Error,
    },
}

/// Connection options for `config`; `with_database` selects the app's database.
pub fn opts(config: &DbConfig, with_database: bool) -> Opts {
    let constraints =
        PoolConstraints::new(0, 10).expect("0 <= 10, so the pool constraints are valid");
    let builder = OptsBuilder::default()
        .ip_or_hostname(config.host.clone())
        .tcp_port(config.port)
        .user(Some(config.user.clone()))
        .pass(Some(config.password.expose().to_owned()))
        .prefer_socket(false)
        .pool_opts(PoolOpts::default().with_constraints(constraints));
    let builder = if with_database {
        builder.db_name(Some(config.database.clone()))
    } else {
        builder
    };
    Opts::from(builder)
}

/// The request pool on the app's database. Connects lazily.
pub fn pool(config: &DbConfig) -> Pool {
    Pool::new(opts(config, true))
}

/// Checks a database name so it can be quoted safely in `CREATE DATABASE`.
pub fn check_name(name: &str) -> Result<(), DbError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    if ok {
        Ok(())
    } else {
        Err(DbError::BadName(name.to_owned()))
    }
}

/// Waits until the server accepts the app's credentials, then creates the app's database when
/// it does not exist.
///
/// Retries connection failures with exponential backoff ([`BACKOFF_START`] doubling up to
/// [`BACKOFF_MAX`]) for at most `config.wait`, logging each retry. Wrong credentials fail at
/// once: waiting would not fix them.
pub async fn wait_and_create(config: &DbConfig) -> Result<(), DbError> {
    check_name(&config.database)?;
    let target = config.describe();
    let started = Instant::now();
    let mut pause = BACKOFF_START;
    let mut attempts = 0;

    let mut conn = loop {
        attempts += 1;
        let attempt =
            tokio::time::timeout(CONNECT_TIMEOUT, mysql_async::Conn::new(opts(config, false)))
                .await;
        let error = match attempt {
            Ok(Ok(conn)) => break conn,
            Ok(Err(mysql_async::Error::Server(server))) if is_access_denied(server.code) => {
                return Err(DbError::AccessDenied {
                    target,
                    user: config.user.clone(),
                    cause: server.message,
                });
            }
            Ok(Err(err)) => err.to_string(),
            Err(_) => format!("no answer within {CONNECT_TIMEOUT:?}"),
        };

        let waited = started.elapsed();
        if waited + pause > config.wait {
            return Err(DbError::Unreachable {
                target,
                waited,
                attempts,
                last: error,
            });
        }
        tracing::warn!(
            database = %target,
            attempt = attempts,
            retry_in_ms = pause.as_millis() as u64,
            %error,
            "database not reachable yet"
        );
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(BACKOFF_MAX);
    };

    let create = format!(
        "CREATE DATABASE IF NOT EXISTS `{}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
        config.database
    );
    let mut created = conn.query_drop(create).await;
    if let Err(mysql_async::Error::Server(server)) = &created
        && is_access_denied(server.code)
    {
        // A user granted only its own database may not run CREATE DATABASE; that is fine when
        // the database already exists (the MariaDB image creates it from MARIADB_DATABASE).
        let exists = conn.query_drop(format!("USE `{}`", config.database)).await;
        if exists.is_ok() {
            created = Ok(());
        }
    }
    let _ = conn.disconnect().await;
    created.map_err(|cause| DbError::Query {
        target: target.clone(),
        cause,
    })?;
    tracing::info!(database = %target, attempts, "database reachable");
    Ok(())
}

fn is_access_denied(code: u16) -> bool {
    // ER_DBACCESS_DENIED_ERROR, ER_ACCESS_DENIED_ERROR, ER_ACCESS_DENIED_NO_PASSWORD_ERROR.
    matches!(code, 1044 | 1045 | 1698)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_names_that_could_break_quoting_are_rejected() {
        assert!(check_name("person").is_ok());
        assert!(check_name("capstan_test_1$").is_ok());
        for bad in ["", "a`b", "a b", "x;drop", &"a".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }
}
