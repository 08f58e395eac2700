//! Helpers shared by the app's integration tests.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use capstan::app::metrics::Metrics;
use capstan::app::{AppState, DbConfig, Secret, router};
use http_body_util::BodyExt as _;
use mysql_async::prelude::Queryable as _;
use serde_json::Value;
use tower::ServiceExt as _;

/// The MariaDB test server's URL; fails the test with a clear message when it is not set.
pub fn mysql_url() -> String {
    std::env::var("CAPSTAN_TEST_MYSQL").unwrap_or_else(|_| {
        panic!(
            "CAPSTAN_TEST_MYSQL is not set: run scripts/test (it starts the MariaDB test server \
             and sets it), or export CAPSTAN_TEST_MYSQL=mysql://capstan:capstan-test@127.0.0.1:3307"
        )
    })
}

/// A database config on the test server with a database name of its own, so tests run in
/// parallel without seeing each other's rows.
pub fn db_config(test: &str) -> DbConfig {
    let opts = mysql_async::Opts::from_url(&mysql_url())
        .unwrap_or_else(|err| panic!("CAPSTAN_TEST_MYSQL is not a valid mysql:// URL: {err}"));
    let suffix: u32 = rand::random();
    DbConfig {
        host: opts.ip_or_hostname().to_owned(),
        port: opts.tcp_port(),
        user: opts.user().unwrap_or("root").to_owned(),
        password: Secret::new(opts.pass().unwrap_or_default()),
        database: format!("capstan_t_{test}_{suffix:08x}"),
        wait: Duration::from_secs(10),
    }
}

/// Drops a test database (best effort: a leftover one only costs disk).
pub async fn drop_database(config: &DbConfig) {
    let opts = capstan::app::db::opts(config, false);
    if let Ok(mut conn) = mysql_async::Conn::new(opts).await {
        let _ = conn
            .query_drop(format!("DROP DATABASE IF EXISTS `{}`", config.database))
            .await;
        let _ = conn.disconnect().await;
    }
}

/// An API-role router on `pool`.
pub fn api_router(pool: mysql_async::Pool) -> Router {
    router(AppState {
        metrics: Arc::new(Metrics::new(Some(&pool))),
        pool: Some(pool),
        static_dir: None,
        proxy: None,
    })
}

/// A pool that points at a port where nothing listens.
pub fn unreachable_pool() -> mysql_async::Pool {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    let port = listener
        .local_addr()
        .expect("a bound listener has an address")
        .port();
    drop(listener);
    let config = DbConfig {
        host: "127.0.0.1".to_owned(),
        port,
        user: "nobody".to_owned(),
        password: Secret::new("unused"),
        database: "nothing".to_owned(),
        wait: Duration::from_secs(1),
    };
    capstan::app::db::pool(&config)
}

/// One request through the router without a socket; returns the status and the body as JSON
/// (`Value::Null` for an empty body, a string for a non-JSON one).
pub async fn send(
    app: &Router,
    method: &str,
    uri: &str,
    body: Option<&str>,
) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(uri);
    if body.is_some() {
        request = request.header(header::CONTENT_TYPE, "application/json");
    }
    let request = request
        .body(body.map_or_else(Body::empty, |text| Body::from(text.to_owned())))
        .expect("a request from valid parts");
    let response = app
        .clone()
        .oneshot(request)
        .await
        .expect("the router is infallible");
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("the body can be read")
        .to_bytes();
    let value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    (status, value)
}
