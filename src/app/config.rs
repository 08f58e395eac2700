//! What `capstan serve` is asked to do: its roles, where it listens, how it reaches the database.
//!
//! Plain data, built by the command line (`cli::serve`) or by tests. Imports nothing else of the
//! app.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;

/// The roles and settings of one `capstan serve` process.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Where to listen, e.g. `0.0.0.0:8000`.
    pub listen: SocketAddr,
    /// The API role, with its database. `None` when this process serves no API.
    pub api: Option<DbConfig>,
    /// The static role: the folder to serve, with a catch-all to its `index.html`.
    pub static_dir: Option<PathBuf>,
    /// The proxy role: the upstream that `/api/` is forwarded to, e.g. `http://api:8000`.
    pub proxy_api: Option<reqwest::Url>,
}

impl ServeConfig {
    /// Checks that the roles make sense together.
    ///
    /// Errors when no role is chosen, when both the API and the proxy would answer `/api/`, or
    /// when the static folder has no `index.html`.
    pub fn validate(&self) -> anyhow::Result<()> {
        if self.api.is_none() && self.static_dir.is_none() && self.proxy_api.is_none() {
            anyhow::bail!("no role chosen: pass --api, --static DIR and/or --proxy-api URL");
        }
        if self.api.is_some() && self.proxy_api.is_some() {
            anyhow::bail!("--api and --proxy-api both answer /api/: choose one");
        }
        if let Some(dir) = &self.static_dir {
            let index = dir.join("index.html");
            if !index.is_file() {
                anyhow::bail!("static folder {} has no index.html", dir.display());
            }
        }
        if let Some(url) = &self.proxy_api
            && url.scheme() != "http"
        {
            anyhow::bail!("--proxy-api {url}: only http:// upstreams are supported");
        }
        Ok(())
    }
}

/// How the API reaches MariaDB.
#[derive(Debug, Clone)]
pub struct DbConfig {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: Secret,
    /// The database (schema) name; created when missing.
    pub database: String,
    /// How long start-up keeps retrying before it gives up on the database.
    pub wait: Duration,
}

impl DbConfig {
    /// `user@host:port/database`, for logs and errors: never contains the password.
    pub fn describe(&self) -> String {
        format!(
            "{}@{}:{}/{}",
            self.user, self.host, self.port, self.database
        )
    }
}

/// A password that never shows in `Debug` or `Display` output.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// Reads a secret from a file, dropping one trailing newline.
    ///
    /// Errors name the file, never its content.
    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        let raw = std::fs::read_to_string(path)
            .with_context(|| format!("failed to read password file {}", path.display()))?;
        let value = raw.strip_suffix('\n').unwrap_or(&raw);
        let value = value.strip_suffix('\r').unwrap_or(value);
        if value.is_empty() {
            anyhow::bail!("password file {} is empty", path.display());
        }
        Ok(Self(value.to_owned()))
    }

    /// The secret itself: only for handing it to the database driver.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_prints_its_value() {
        let secret = Secret::new("hunter2");
        assert!(!format!("{secret:?} {secret}").contains("hunter2"));
    }

    #[test]
    fn secret_from_file_drops_the_trailing_newline() {
        let dir = tempfile::tempdir().expect("a temp dir can be created");
        let path = dir.path().join("pw");
        std::fs::write(&path, "s3cret\n").expect("the temp dir is writable");
        assert_eq!(
            Secret::from_file(&path).expect("file exists").expose(),
            "s3cret"
        );
    }

    #[test]
    fn secret_from_missing_file_names_the_file() {
        let err = Secret::from_file(Path::new("/nonexistent/pw")).unwrap_err();
        assert!(format!("{err:#}").contains("/nonexistent/pw"));
    }
}
