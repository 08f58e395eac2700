//! Where Capstan keeps its files, and the user's configuration.
//!
//! Paths follow the platform's conventions through the `directories` crate; on Linux that means
//! the XDG variables are honoured (`XDG_DATA_HOME`, `XDG_CONFIG_HOME`, `XDG_STATE_HOME`).

use std::path::PathBuf;

use anyhow::Context;

/// The directories Capstan reads and writes.
#[derive(Debug, Clone)]
pub struct Paths {
    /// User configuration: `config.toml`, the host inventory, the known-hosts file.
    pub config: PathBuf,
    /// Durable data: generated secrets, deploy history, the audit log.
    pub data: PathBuf,
    /// Diagnostics: the dashboard's own log file.
    pub state: PathBuf,
}

impl Paths {
    /// The platform directories for the current user.
    ///
    /// Fails only when no home directory can be found.
    pub fn discover() -> anyhow::Result<Paths> {
        let dirs = directories::ProjectDirs::from("dev", "capstan", "capstan")
            .context("no home directory found: set HOME")?;
        let state = dirs
            .state_dir()
            .map(|dir| dir.to_path_buf())
            .unwrap_or_else(|| dirs.cache_dir().to_path_buf());

        Ok(Paths {
            config: dirs.config_dir().to_path_buf(),
            data: dirs.data_dir().to_path_buf(),
            state,
        })
    }
}
