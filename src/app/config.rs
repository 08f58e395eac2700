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
        warn_if_readable_by_others(path);
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

/// Secrets belong in files of mode 0600 (or 0400); a looser mode is worth a warning, not a
/// refusal (a file mounted by a container runtime may carry the mode its owner chose).
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;

    if let Ok(metadata) = std::fs::metadata(path) {
        let mode = metadata.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(
                path = %path.display(),
                mode = format!("{mode:04o}"),
                "password file is readable by group or others; use mode 0600"
            );
        }
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

    fn roles(api: bool, static_dir: Option<PathBuf>, proxy: Option<&str>) -> ServeConfig {
        ServeConfig {
            listen: "127.0.0.1:0".parse().expect("a valid address"),
            api: api.then(|| DbConfig {
                host: "db".to_owned(),
                port: 3306,
                user: "person".to_owned(),
                password: Secret::new("pw"),
                database: "person".to_owned(),
                wait: Duration::from_secs(1),
            }),
            static_dir,
            proxy_api: proxy.map(|url| reqwest::Url::parse(url).expect("a valid url")),
        }
    }

    #[test]
    fn roles_combine_except_api_with_proxy() {
        let dir = tempfile::tempdir().expect("a temp dir can be created");
        std::fs::write(dir.path().join("index.html"), "<p>").expect("the temp dir is writable");
        let site = Some(dir.path().to_path_buf());
        assert!(roles(true, site.clone(), None).validate().is_ok());
        assert!(
            roles(false, site, Some("http://api:8000"))
                .validate()
                .is_ok()
        );
        let both = roles(true, None, Some("http://api:8000"))
            .validate()
            .unwrap_err();
        assert!(both.to_string().contains("choose one"));
        let none = roles(false, None, None).validate().unwrap_err();
        assert!(none.to_string().contains("no role chosen"));
    }

    #[test]
    fn static_folder_without_index_html_is_refused_naming_the_folder() {
        let dir = tempfile::tempdir().expect("a temp dir can be created");
        let err = roles(false, Some(dir.path().to_path_buf()), None)
            .validate()
            .unwrap_err();
        assert!(err.to_string().contains(&dir.path().display().to_string()));
        assert!(err.to_string().contains("index.html"));
    }

    #[test]
    fn proxy_upstream_must_be_plain_http() {
        let err = roles(false, None, Some("https://api:8443"))
            .validate()
            .unwrap_err();
        assert!(err.to_string().contains("only http://"));
    }

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
