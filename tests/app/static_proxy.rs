//! The static role (through the router, without a socket) and the proxy role (over real
//! sockets, with an upstream started by the test).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use axum::routing::any;
use capstan::app::metrics::Metrics;
use capstan::app::proxy::Proxy;
use capstan::app::server::serve;
use capstan::app::{AppState, router};
use http_body_util::BodyExt as _;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt as _;

const INDEX: &str = "<!doctype html><title>persons</title>";
const SECRET: &str = "outside the served folder";

fn site() -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("a temp dir");
    let site = root.path().join("site");
    std::fs::create_dir_all(site.join("css")).expect("create site/css");
    std::fs::write(site.join("index.html"), INDEX).expect("write index.html");
    std::fs::write(site.join("app.js"), "export const x = 1;\n".repeat(200)).expect("write js");
    std::fs::write(site.join("css/style.css"), "body { margin: 0 }\n").expect("write css");
    std::fs::write(root.path().join("secret.txt"), SECRET).expect("write secret");
    std::fs::write(root.path().join("secret"), SECRET).expect("write secret");
    root
}

fn static_router(dir: &Path) -> Router {
    router(AppState {
        pool: None,
        static_dir: Some(dir.join("site")),
        proxy: None,
        metrics: Arc::new(Metrics::new(None)),
    })
}

async fn get(app: &Router, uri: &str, headers: &[(&str, &str)]) -> (StatusCode, HeaderMap, String) {
    let mut request = Request::builder().uri(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request.body(Body::empty()).expect("a valid request");
    let response = app.clone().oneshot(request).await.expect("infallible");
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.expect("readable body").to_bytes();
    (
        parts.status,
        parts.headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

#[tokio::test]
async fn static_role_serves_files_with_their_content_types() {
    let root = site();
    let app = static_router(root.path());
    let (status, headers, body) = get(&app, "/css/style.css", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/css");
    assert_eq!(body, "body { margin: 0 }\n");
    let (_, headers, _) = get(&app, "/app.js", &[]).await;
    assert_eq!(headers[header::CONTENT_TYPE], "text/javascript");
    let (status, headers, body) = get(&app, "/", &[]).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, INDEX));
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap_or_default()
            .starts_with("text/html")
    );
}

#[tokio::test]
async fn client_routes_get_index_html_but_missing_files_with_an_extension_get_404() {
    let root = site();
    let app = static_router(root.path());
    for route in ["/persons", "/persons/12/edit", "/search?q=ada"] {
        let (status, _, body) = get(&app, route, &[]).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, INDEX), "{route}");
    }
    for missing in ["/missing.js", "/css/missing.css", "/favicon.ico"] {
        let (status, _, body) = get(&app, missing, &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
        assert!(!body.contains(INDEX));
    }
}

#[tokio::test]
async fn traversal_attempts_never_leave_the_folder() {
    let root = site();
    let app = static_router(root.path());
    let attempts = [
        "/../secret.txt",
        "/../secret",
        "/%2e%2e/secret.txt",
        "/%2E%2E/secret",
        "/css/../../secret.txt",
        "/..%2fsecret.txt",
        "/%2e%2e%2fsecret",
        "/css/%2e%2e/%2e%2e/secret",
        "//etc/passwd",
        "/%2fetc%2fpasswd",
    ];
    for uri in attempts {
        let (status, _, body) = get(&app, uri, &[]).await;
        assert!(!body.contains(SECRET), "{uri} escaped the folder");
        assert!(!body.contains("root:"), "{uri} served /etc/passwd");
        assert!(
            status == StatusCode::NOT_FOUND || body == INDEX,
            "{uri}: {status} {body}"
        );
    }
}

#[tokio::test]
async fn static_files_are_gzipped_when_the_client_accepts_it() {
    let root = site();
    let app = static_router(root.path());
    let (_, headers, body) = get(&app, "/app.js", &[("accept-encoding", "gzip")]).await;
    assert_eq!(headers[header::CONTENT_ENCODING], "gzip");
    assert!(!body.contains("export const"));
    let (_, headers, _) = get(&app, "/app.js", &[]).await;
    assert!(headers.get(header::CONTENT_ENCODING).is_none());
}

#[tokio::test]
async fn etag_and_last_modified_turn_repeat_requests_into_304() {
    let root = site();
    let app = static_router(root.path());
    let (status, headers, _) = get(&app, "/app.js", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let etag = headers[header::ETAG]
        .to_str()
        .expect("ascii etag")
        .to_owned();
    let modified = headers[header::LAST_MODIFIED]
        .to_str()
        .expect("ascii date")
        .to_owned();
    assert!(etag.starts_with("W/\""));

    let (status, headers, body) = get(&app, "/app.js", &[("if-none-match", &etag)]).await;
    assert_eq!((status, body.as_str()), (StatusCode::NOT_MODIFIED, ""));
    assert_eq!(headers[header::ETAG], etag.as_str());
    let (status, _, _) = get(&app, "/app.js", &[("if-modified-since", &modified)]).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    let (status, _, _) = get(&app, "/app.js", &[("if-none-match", "W/\"other\"")]).await;
    assert_eq!(status, StatusCode::OK);
}

/// An upstream that echoes what it received, with a status and header of its own.
fn echo_upstream() -> Router {
    Router::new().fallback(any(|request: Request<Body>| async move {
        let (parts, body) = request.into_parts();
        let body = body
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let echo = serde_json::json!({
            "method": parts.method.as_str(),
            "uri": parts.uri.to_string(),
            "x_test": parts.headers.get("x-test").and_then(|v| v.to_str().ok()),
            "forwarded_host": parts.headers.get("x-forwarded-host").and_then(|v| v.to_str().ok()),
            "body": String::from_utf8_lossy(&body),
        });
        (
            StatusCode::IM_A_TEAPOT,
            [("x-upstream", "yes")],
            echo.to_string(),
        )
    }))
}

async fn spawn_upstream_on(listener: tokio::net::TcpListener) {
    tokio::spawn(async move {
        let _ = axum::serve(listener, echo_upstream()).await;
    });
}

/// A proxy-role server on a free port; returns its address.
async fn spawn_proxy(upstream: SocketAddr, retry_for: Duration) -> (SocketAddr, CancellationToken) {
    let url = reqwest::Url::parse(&format!("http://{upstream}")).expect("a valid url");
    let state = AppState {
        pool: None,
        static_dir: None,
        proxy: Some(Arc::new(
            Proxy::with_retry(url, retry_for).expect("a client"),
        )),
        metrics: Arc::new(Metrics::new(None)),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let shutdown = CancellationToken::new();
    let token = shutdown.clone();
    tokio::spawn(async move { serve(listener, state, token).await });
    (address, shutdown)
}

fn free_port() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address")
}

#[tokio::test]
async fn proxy_forwards_method_path_headers_body_and_status() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let upstream = listener.local_addr().expect("address");
    spawn_upstream_on(listener).await;
    let (proxy, shutdown) = spawn_proxy(upstream, Duration::from_secs(1)).await;

    let response = reqwest::Client::new()
        .request(Method::PATCH, format!("http://{proxy}/api/persons/7/?x=1"))
        .header("x-test", "kept")
        .body("{\"a\":1}")
        .send()
        .await
        .expect("the proxy answers");
    assert_eq!(response.status(), StatusCode::IM_A_TEAPOT);
    assert_eq!(response.headers()["x-upstream"], "yes");
    let echo: serde_json::Value = response.json().await.expect("json echo");
    assert_eq!(echo["method"], "PATCH");
    assert_eq!(echo["uri"], "/api/persons/7/?x=1");
    assert_eq!(echo["x_test"], "kept");
    assert_eq!(echo["forwarded_host"], proxy.to_string());
    assert_eq!(echo["body"], "{\"a\":1}");
    shutdown.cancel();
}

#[tokio::test]
async fn proxy_retries_a_refused_connection_until_the_upstream_appears() {
    let upstream = free_port();
    let (proxy, shutdown) = spawn_proxy(upstream, Duration::from_secs(5)).await;

    // The upstream comes up 1 s after the request was sent, as during a container swap.
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        let listener = tokio::net::TcpListener::bind(upstream)
            .await
            .expect("rebind");
        spawn_upstream_on(listener).await;
    });
    let response = reqwest::Client::new()
        .post(format!("http://{proxy}/api/persons/"))
        .body("late")
        .send()
        .await
        .expect("the proxy answers");
    assert_eq!(response.status(), StatusCode::IM_A_TEAPOT);
    let echo: serde_json::Value = response.json().await.expect("json echo");
    assert_eq!(
        echo["body"], "late",
        "the buffered body is sent again on the retry"
    );
    shutdown.cancel();
}

#[tokio::test]
async fn proxy_answers_a_json_502_when_the_upstream_stays_unreachable() {
    let (proxy, shutdown) = spawn_proxy(free_port(), Duration::from_millis(300)).await;
    let response = reqwest::get(format!("http://{proxy}/api/persons/"))
        .await
        .expect("the proxy answers");
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    let body: serde_json::Value = response.json().await.expect("a json body");
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("unreachable")
    );

    let (status, _) = (reqwest::get(format!("http://{proxy}/healthz")).await)
        .map(|r| (r.status(), ()))
        .expect("healthz answers");
    assert_eq!(status, StatusCode::OK);
    shutdown.cancel();
}

#[tokio::test]
async fn pages_are_always_revalidated_but_assets_may_be_cached() {
    let root = site();
    let app = static_router(root.path());
    let (_, headers, _) = get(&app, "/persons/3", &[]).await;
    assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
    let (_, headers, _) = get(&app, "/app.js", &[]).await;
    assert!(headers.get(header::CACHE_CONTROL).is_none());
}

/// An upstream whose first connection is closed without an answer (as a container that stopped
/// accepting does to connections left in its backlog); later connections get 200 "ok".
async fn upstream_that_drops_the_first_connection() -> SocketAddr {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let mut first = true;
        while let Ok((mut stream, _)) = listener.accept().await {
            if std::mem::take(&mut first) {
                let mut head = [0_u8; 1024];
                let _ = stream.read(&mut head).await;
                drop(stream);
                continue;
            }
            tokio::spawn(async move {
                let mut head = [0_u8; 4096];
                let _ = stream.read(&mut head).await;
                let answer = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok";
                let _ = stream.write_all(answer.as_bytes()).await;
            });
        }
    });
    address
}

#[tokio::test]
async fn proxy_resends_an_idempotent_request_whose_connection_broke_before_an_answer() {
    let (proxy, shutdown) = spawn_proxy(
        upstream_that_drops_the_first_connection().await,
        Duration::from_secs(2),
    )
    .await;
    let response = reqwest::get(format!("http://{proxy}/api/persons/"))
        .await
        .expect("answer");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.expect("body"), "ok");
    shutdown.cancel();
}

#[tokio::test]
async fn proxy_never_resends_a_post_whose_connection_broke_after_sending() {
    let (proxy, shutdown) = spawn_proxy(
        upstream_that_drops_the_first_connection().await,
        Duration::from_secs(2),
    )
    .await;
    let response = reqwest::Client::new()
        .post(format!("http://{proxy}/api/persons/"))
        .body("{}")
        .send()
        .await
        .expect("answer");
    assert_eq!(
        response.status(),
        StatusCode::BAD_GATEWAY,
        "a POST may have been applied"
    );
    shutdown.cancel();
}
