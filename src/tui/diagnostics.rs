//! The dashboard's own diagnostic log: a file under the platform state directory, never the
//! screen. Its level comes from `CAPSTAN_LOG` (an `EnvFilter` directive, default `info`).

use std::path::PathBuf;

use anyhow::Context;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// The variable that sets the log level, e.g. `CAPSTAN_LOG=debug`.
pub const LEVEL_VAR: &str = "CAPSTAN_LOG";

/// The log file's name in the state directory.
pub const FILE_NAME: &str = "dashboard.log";

/// Sends tracing output to `<state>/dashboard.log`; returns its path and the guard that flushes
/// it (keep it alive until the dashboard exits).
///
/// Fails when the state directory cannot be created; when another subscriber is already
/// installed (tests), that one is kept.
pub fn init() -> anyhow::Result<(PathBuf, WorkerGuard)> {
    let dir = crate::config::Paths::discover()?.state;
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("failed to create the state directory {}", dir.display()))?;

    let appender = tracing_appender::rolling::never(&dir, FILE_NAME);
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = EnvFilter::try_from_env(LEVEL_VAR).unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init();

    Ok((dir.join(FILE_NAME), guard))
}
