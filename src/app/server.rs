//! Start-up and shutdown of `capstan serve`: database wait and migrations for the API role, the
//! listener, and the graceful drain when asked to stop.
//!
//! Imports the rest of `app`, nothing outside it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use mysql_async::Pool;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::app::config::{DbConfig, ServeConfig};
use crate::app::http::{AppState, router};
use crate::app::metrics::Metrics;
use crate::app::proxy::Proxy;
use crate::app::{db, migrate};

/// How long in-flight requests may take to finish once shutdown is asked for.
pub const DRAIN_MAX: Duration = Duration::from_secs(30);

/// Waits for the database, creates it when missing, applies the migrations; returns the pool.
///
/// Errors name the database as `user@host:port/db` and never contain the password.
pub async fn prepare_database(config: &DbConfig) -> anyhow::Result<Pool> {
    db::wait_and_create(config).await?;

    let pool = db::pool(config);
    let applied = migrate::apply(&pool, &config.database)
        .await
        .with_context(|| format!("failed to migrate database {}", config.describe()))?;

    tracing::info!(
        database = %config.describe(),
        applied,
        schema_version = migrate::latest_version(),
        "schema current"
    );
    Ok(pool)
}

/// Runs `capstan serve` until `shutdown` is cancelled, then drains in-flight requests.
///
/// The API role first waits for its database and migrates it, and only then listens. Cancelling
/// during that wait stops cleanly. Returns `Ok` after a clean drain.
pub async fn run(config: ServeConfig, shutdown: CancellationToken) -> anyhow::Result<()> {
    config.validate()?;

    let pool = match &config.api {
        Some(db) => tokio::select! {
            pool = prepare_database(db) => Some(pool?),
            () = shutdown.cancelled() => {
                tracing::info!("stopped before the database was ready");
                return Ok(());
            }
        },
        None => None,
    };

    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("failed to listen on {}", config.listen))?;
    let proxy = match &config.proxy_api {
        Some(upstream) => Some(Arc::new(Proxy::new(upstream.clone())?)),
        None => None,
    };
    let state = AppState {
        metrics: Arc::new(Metrics::new(pool.as_ref())),
        pool: pool.clone(),
        static_dir: config.static_dir.clone(),
        proxy,
    };

    let address = listener
        .local_addr()
        .context("failed to read the listening address")?;
    tracing::info!(
        %address,
        api = config.api.is_some(),
        static_dir = ?config.static_dir,
        proxy_api = config.proxy_api.as_ref().map(|url| url.as_str()),
        "listening"
    );
    serve(listener, state, shutdown).await?;

    if let Some(pool) = pool
        && let Err(err) = pool.disconnect().await
    {
        tracing::warn!(%err, "database pool did not close cleanly");
    }
    tracing::info!("stopped");
    Ok(())
}

/// Serves `state`'s router on `listener` until `shutdown`, then waits for in-flight requests
/// (at most [`DRAIN_MAX`]).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    let drain = shutdown.clone();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        drain.cancelled().await;
        tracing::info!("shutdown asked; draining in-flight requests");
    });

    tokio::select! {
        served = server => served.context("the HTTP server failed"),
        () = async {
            shutdown.cancelled().await;
            tokio::time::sleep(DRAIN_MAX).await;
        } => {
            tracing::warn!(after = ?DRAIN_MAX, "requests still in flight; stopping anyway");
            Ok(())
        }
    }
}
