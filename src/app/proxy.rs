//! The proxy role: forwards `/api/...` to an upstream (`--proxy-api http://api:8000`), keeping
//! method, headers (minus hop-by-hop ones), status and body, and streaming the answer back.
//!
//! Built for zero-downtime redeploys, where the container behind the upstream's name is swapped:
//! no connection is ever reused (a pooled one could point at the old container), so each request
//! resolves the name again; and a request whose connection could not be opened (refused,
//! unresolvable, connect timeout: nothing was sent) is retried for up to [`RETRY_FOR`], as is an
//! idempotent request whose connection broke before any answer. When the upstream stays
//! unreachable the client gets a JSON 502.
//!
//! Request bodies are buffered (up to [`BODY_LIMIT`]) so they can be sent again on a retry;
//! answers are streamed. Imports nothing else of the app.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// How long a request whose connection cannot be opened keeps being retried.
pub const RETRY_FOR: Duration = Duration::from_secs(5);
/// Largest request body the proxy buffers.
pub const BODY_LIMIT: usize = 16 * 1024 * 1024;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// The upstream and the client that reaches it.
#[derive(Debug)]
pub struct Proxy {
    upstream: reqwest::Url,
    client: reqwest::Client,
    retry_for: Duration,
}

impl Proxy {
    /// A proxy to `upstream` (`http://host:port`, optionally with a path prefix).
    pub fn new(upstream: reqwest::Url) -> anyhow::Result<Self> {
        Self::with_retry(upstream, RETRY_FOR)
    }

    /// Like [`Proxy::new`] with another retry window (tests use a short one).
    pub fn with_retry(upstream: reqwest::Url, retry_for: Duration) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT)
            .read_timeout(READ_TIMEOUT)
            .no_proxy()
            .build()
            .map_err(|err| anyhow::anyhow!("failed to build the proxy's HTTP client: {err}"))?;
        Ok(Self {
            upstream,
            client,
            retry_for,
        })
    }

    fn target(&self, path_and_query: &str) -> String {
        format!(
            "{}{path_and_query}",
            self.upstream.as_str().trim_end_matches('/')
        )
    }
}

/// The axum handler: forwards one request.
pub async fn forward(State(proxy): State<Arc<Proxy>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(body) => body,
        Err(_) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Request body too large to forward.",
            );
        }
    };
    let path = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
    let target = proxy.target(path);
    let client_addr = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0);
    let headers = forwarded_headers(&parts.headers, client_addr);

    let deadline = Instant::now() + proxy.retry_for;
    let mut pause = Duration::from_millis(50);
    let upstream = loop {
        let attempt = proxy
            .client
            .request(parts.method.clone(), &target)
            .headers(headers.clone())
            .body(body.clone())
            .send()
            .await;
        match attempt {
            Ok(upstream) => break upstream,
            Err(err) if retryable(&parts.method, &err) && Instant::now() + pause < deadline => {
                tracing::debug!(url = %target, error = %err, "upstream not ready; retrying");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(500));
            }
            Err(err) => {
                let cause = error_chain(&err);
                tracing::warn!(url = %target, %cause, "proxy request failed");
                let status = if err.is_timeout() {
                    StatusCode::GATEWAY_TIMEOUT
                } else {
                    StatusCode::BAD_GATEWAY
                };
                return error(status, &format!("Upstream {} unreachable.", proxy.upstream));
            }
        }
    };

    let mut response = Response::builder().status(upstream.status());
    if let Some(response_headers) = response.headers_mut() {
        for (name, value) in upstream.headers() {
            if !is_hop_by_hop(name) {
                response_headers.append(name.clone(), value.clone());
            }
        }
    }
    let body = Body::from_stream(upstream.bytes_stream());
    response.body(body).unwrap_or_else(|err| {
        error(
            StatusCode::BAD_GATEWAY,
            &format!("Invalid answer from upstream: {err}."),
        )
    })
}

/// A request may be sent again when its connection could not be opened (nothing was sent), or
/// when it is idempotent and the connection broke before any answer (an upstream that stopped
/// accepting while the connection waited in its backlog resets it).
fn retryable(method: &Method, err: &reqwest::Error) -> bool {
    if err.is_connect() {
        return true;
    }
    let idempotent = matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
    );
    idempotent && err.is_request() && !err.is_timeout() && err.status().is_none()
}

fn error(status: StatusCode, detail: &str) -> Response {
    (status, Json(json!({ "detail": detail }))).into_response()
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The client's headers for the upstream: hop-by-hop ones and `Host` dropped, `X-Forwarded-*`
/// added.
fn forwarded_headers(incoming: &HeaderMap, client: Option<SocketAddr>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in incoming {
        if !is_hop_by_hop(name) && name != header::HOST {
            headers.append(name.clone(), value.clone());
        }
    }
    if let Some(host) = incoming.get(header::HOST) {
        headers.insert(HeaderName::from_static("x-forwarded-host"), host.clone());
    }
    if let Some(client) = client {
        let forwarded_for = match incoming
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
        {
            Some(earlier) => format!("{earlier}, {}", client.ip()),
            None => client.ip().to_string(),
        };
        if let Ok(value) = HeaderValue::from_str(&forwarded_for) {
            headers.insert(HeaderName::from_static("x-forwarded-for"), value);
        }
    }
    headers.insert(
        HeaderName::from_static("x-forwarded-proto"),
        HeaderValue::from_static("http"),
    );
    headers
}

fn is_hop_by_hop(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "proxy-authenticate"
            | "proxy-authorization"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_headers_and_host_are_not_forwarded() {
        let mut incoming = HeaderMap::new();
        incoming.insert(header::HOST, HeaderValue::from_static("example.test"));
        incoming.insert(header::CONNECTION, HeaderValue::from_static("keep-alive"));
        incoming.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        let client = "10.0.0.7:5000".parse().ok();
        let headers = forwarded_headers(&incoming, client);
        assert!(headers.get(header::HOST).is_none());
        assert!(headers.get(header::CONNECTION).is_none());
        assert_eq!(headers["accept"], "application/json");
        assert_eq!(headers["x-forwarded-host"], "example.test");
        assert_eq!(headers["x-forwarded-for"], "10.0.0.7");
    }

    #[test]
    fn target_joins_the_upstream_and_the_request_path() {
        let upstream = reqwest::Url::parse("http://api:8000/").expect("a valid url");
        let proxy = Proxy::new(upstream).expect("a client can be built");
        assert_eq!(
            proxy.target("/api/persons/?page=2"),
            "http://api:8000/api/persons/?page=2"
        );
    }
}
