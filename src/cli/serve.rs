//! `serve`: the person app itself, in the roles the stack gives it.
//!
//! Parses flags and environment into an `app::ServeConfig`, sets up logging on stdout, and turns
//! SIGTERM / Ctrl-C into a graceful drain.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use tokio_util::sync::CancellationToken;

use crate::app::{DbConfig, Secret, ServeConfig};

/// Run the person app: the API (`--api`), static files (`--static DIR`) and/or a proxy of
/// `/api/` (`--proxy-api URL`). Every role answers `GET /healthz` and `GET /metrics`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(
        long,
        env = "CAPSTAN_LISTEN",
        default_value = "0.0.0.0:8000",
        value_name = "ADDR"
    )]
    pub listen: SocketAddr,

    /// Serve the REST API under /api/ (needs the database options).
    #[arg(long, env = "CAPSTAN_API")]
    pub api: bool,

    /// Serve this folder, with a catch-all to its index.html for client routes.
    #[arg(long = "static", env = "CAPSTAN_STATIC_DIR", value_name = "DIR")]
    pub static_dir: Option<PathBuf>,

    /// Forward /api/ to this upstream, e.g. http://api:8000.
    #[arg(long, env = "CAPSTAN_PROXY_API", value_name = "URL")]
    pub proxy_api: Option<reqwest::Url>,

    /// Database host.
    #[arg(
        long,
        env = "CAPSTAN_DB_HOST",
        default_value = "127.0.0.1",
        value_name = "HOST"
    )]
    pub db_host: String,

    /// Database port.
    #[arg(
        long,
        env = "CAPSTAN_DB_PORT",
        default_value_t = 3306,
        value_name = "PORT"
    )]
    pub db_port: u16,

    /// Database user.
    #[arg(
        long,
        env = "CAPSTAN_DB_USER",
        default_value = "person",
        value_name = "USER"
    )]
    pub db_user: String,

    /// Database (schema) name; created when missing.
    #[arg(
        long,
        env = "CAPSTAN_DB_NAME",
        default_value = "person",
        value_name = "NAME"
    )]
    pub db_name: String,

    /// File holding the database password (never passed as a value, never logged).
    #[arg(long, env = "CAPSTAN_DB_PASSWORD_FILE", value_name = "PATH")]
    pub db_password_file: Option<PathBuf>,

    /// How long start-up waits for the database, in seconds.
    #[arg(
        long,
        env = "CAPSTAN_DB_WAIT",
        default_value_t = 60,
        value_name = "SECONDS"
    )]
    pub db_wait: u64,

    /// Log format on stdout: text, json, or auto (json when stdout is not a terminal).
    #[arg(
        long,
        env = "CAPSTAN_LOG_FORMAT",
        default_value = "auto",
        value_name = "FORMAT"
    )]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum LogFormat {
    Auto,
    Text,
    Json,
}

pub async fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    init_logging(args.log_format);
    let config = config(args)?;

    let shutdown = CancellationToken::new();
    tokio::spawn(stop_on_signal(shutdown.clone()));
    crate::app::run(config, shutdown).await?;
    Ok(ExitCode::SUCCESS)
}

fn config(args: ServeArgs) -> anyhow::Result<ServeConfig> {
    let api = if args.api {
        let path = args
            .db_password_file
            .as_deref()
            .context("the API role needs --db-password-file (or CAPSTAN_DB_PASSWORD_FILE)")?;
        Some(DbConfig {
            host: args.db_host,
            port: args.db_port,
            user: args.db_user,
            password: Secret::from_file(path)?,
            database: args.db_name,
            wait: Duration::from_secs(args.db_wait),
        })
    } else {
        None
    };

    let config = ServeConfig {
        listen: args.listen,
        api,
        static_dir: args.static_dir,
        proxy_api: args.proxy_api,
    };
    config.validate()?;
    Ok(config)
}

fn init_logging(format: LogFormat) {
    use std::io::IsTerminal as _;
    use tracing_subscriber::EnvFilter;

    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json = match format {
        LogFormat::Json => true,
        LogFormat::Text => false,
        LogFormat::Auto => !std::io::stdout().is_terminal(),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stdout);
    let result = if json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
    if let Err(err) = result {
        eprintln!("capstan serve: logging already set up: {err}");
    }
}

async fn stop_on_signal(shutdown: CancellationToken) {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::warn!(%err, "cannot listen for SIGTERM; only Ctrl-C stops the server");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = terminate => tracing::info!("SIGTERM received"),
        _ = tokio::signal::ctrl_c() => tracing::info!("Ctrl-C received"),
    }
    shutdown.cancel();
}
