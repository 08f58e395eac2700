//! The HTTP surface: the router for the chosen roles, the person handlers, health and readiness,
//! and the middleware that writes one access line and the metrics for every request.
//!
//! Every answer under `/api/` is JSON, including axum's own rejections (malformed bodies, over
//! large bodies, unknown paths and methods). Imports the rest of `app`, nothing outside it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::error_handling::HandleErrorLayer;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, MatchedPath, Path, Query, Request, State};
use axum::http::{StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::{Json, Router};
use mysql_async::Pool;
use serde_json::{Value, json};
use tower_http::compression::CompressionLayer;

use crate::app::error::ApiError;
use crate::app::metrics::{self, Metrics};
use crate::app::proxy::Proxy;
use crate::app::query::ListQuery;
use crate::app::validate::{self, Mode};
use crate::app::{migrate, person, static_files};

/// Largest request body the API accepts.
pub const BODY_LIMIT: usize = 64 * 1024;
/// Longest an API request may take (a hung database must not hold requests, or a drain, for
/// ever); past it the answer is a 503.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long `/api/ready` waits for the database before answering 503.
pub const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// What the router serves: each `Some` is a role.
#[derive(Clone)]
pub struct AppState {
    /// The API role's database pool.
    pub pool: Option<Pool>,
    /// The static role's folder.
    pub static_dir: Option<PathBuf>,
    /// The proxy role.
    pub proxy: Option<Arc<Proxy>>,
    pub metrics: Arc<Metrics>,
}

/// The router for the roles in `state`.
///
/// Always: `GET /healthz` (200 "ok") and `GET /metrics`. API role: `/api/health`, `/api/ready`,
/// `/api/persons[/]`, `/api/persons/{id}[/]`, JSON 404 for other `/api/` paths. Proxy role:
/// `/api` and everything under it is forwarded. Static role: everything else. Without the
/// static role, other paths get a JSON 404.
pub fn router(state: AppState) -> Router {
    let mut app = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics_text));

    if let Some(pool) = &state.pool {
        app = app.merge(api_routes(pool.clone()));
    } else if let Some(proxy) = &state.proxy {
        let forward = any(crate::app::proxy::forward).with_state(proxy.clone());
        app = app
            .route("/api", forward.clone())
            .route("/api/{*rest}", forward);
    }

    app = match &state.static_dir {
        Some(dir) => app.fallback_service(static_files::service(dir)),
        None => app.fallback(not_found),
    };

    let metrics = state.metrics.clone();
    app.method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
        .layer(CompressionLayer::new().gzip(true))
        .layer(middleware::from_fn_with_state(metrics, access_log))
}

fn api_routes(pool: Pool) -> Router<AppState> {
    Router::new()
        .route("/api/health", get(health))
        .route("/api/health/", get(health))
        .route("/api/ready", get(ready))
        .route("/api/ready/", get(ready))
        .route("/api/persons", get(list_persons).post(create_person))
        .route("/api/persons/", get(list_persons).post(create_person))
        .route(
            "/api/persons/{id}",
            get(get_person)
                .put(put_person)
                .patch(patch_person)
                .delete(delete_person),
        )
        .route(
            "/api/persons/{id}/",
            get(get_person)
                .put(put_person)
                .patch(patch_person)
                .delete(delete_person),
        )
        .route("/api", any(not_found))
        .route("/api/{*rest}", any(not_found))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(
            tower::ServiceBuilder::new()
                .layer(HandleErrorLayer::new(|_: tower::BoxError| async {
                    ApiError::Unavailable(format!("request took longer than {REQUEST_TIMEOUT:?}"))
                }))
                .timeout(REQUEST_TIMEOUT),
        )
        .with_state(pool)
}

async fn not_found() -> ApiError {
    ApiError::NotFound("Not found.".to_owned())
}

async fn method_not_allowed() -> Response {
    let body = Json(json!({ "detail": "Method not allowed." }));
    (StatusCode::METHOD_NOT_ALLOWED, body).into_response()
}

async fn metrics_text(State(state): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, metrics::CONTENT_TYPE)],
        state.metrics.encode(),
    )
        .into_response()
}

async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// 200 when the database answers and its schema is the newest this binary knows; 503 with the
/// reason otherwise.
async fn ready(State(pool): State<Pool>) -> Response {
    let expected = migrate::latest_version();
    let check = async {
        let mut conn = pool
            .get_conn()
            .await
            .map_err(|err| format!("database: {err}"))?;
        let found = migrate::current_version(&mut conn)
            .await
            .map_err(|err| format!("database: {err}"))?;
        match found {
            Some(version) if version >= expected => Ok(version),
            Some(version) => Err(format!("schema at version {version}, expected {expected}")),
            None => Err("schema not migrated yet".to_owned()),
        }
    };

    let outcome = tokio::time::timeout(READY_TIMEOUT, check)
        .await
        .unwrap_or_else(|_| Err(format!("database did not answer within {READY_TIMEOUT:?}")));
    match outcome {
        Ok(version) => {
            Json(json!({ "status": "ready", "schema_version": version })).into_response()
        }
        Err(reason) => {
            let body = Json(json!({ "status": "unavailable", "reason": reason }));
            (StatusCode::SERVICE_UNAVAILABLE, body).into_response()
        }
    }
}

async fn list_persons(
    State(pool): State<Pool>,
    uri: Uri,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Json<Page>, ApiError> {
    let Query(pairs) = query.map_err(|err| ApiError::Malformed(err.body_text()))?;
    let list = ListQuery::parse(&pairs).map_err(ApiError::Invalid)?;

    let (count, results) = person::list(&pool, &list).await?;
    if results.is_empty() && list.page > 1 {
        return Err(ApiError::NotFound("Invalid page.".to_owned()));
    }

    let path = uri.path();
    Ok(Json(Page {
        count,
        next: list.page_link(path, &pairs, count, list.page + 1),
        previous: list.page_link(path, &pairs, count, list.page - 1),
        results,
    }))
}

/// One page of a list: the total, relative links to the neighbouring pages, the rows.
#[derive(Debug, serde::Serialize)]
pub struct Page {
    pub count: u64,
    pub next: Option<String>,
    pub previous: Option<String>,
    pub results: Vec<person::Person>,
}

async fn create_person(
    State(pool): State<Pool>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let value = json_body(body)?;
    let changes = validate::person(&value, Mode::Full, today()).map_err(ApiError::Invalid)?;
    let created = person::create(&pool, &changes).await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

async fn get_person(
    State(pool): State<Pool>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<person::Person>, ApiError> {
    let id = person_id(id)?;
    person::get(&pool, id)
        .await?
        .map(Json)
        .ok_or_else(|| not_found_person(id))
}

async fn put_person(
    state: State<Pool>,
    id: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<person::Person>, ApiError> {
    update_person(state, id, body, Mode::Full).await
}

async fn patch_person(
    state: State<Pool>,
    id: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<person::Person>, ApiError> {
    update_person(state, id, body, Mode::Partial).await
}

async fn update_person(
    State(pool): State<Pool>,
    id: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
    mode: Mode,
) -> Result<Json<person::Person>, ApiError> {
    let id = person_id(id)?;
    let value = json_body(body)?;
    let changes = validate::person(&value, mode, today()).map_err(ApiError::Invalid)?;
    person::update(&pool, id, &changes)
        .await?
        .map(Json)
        .ok_or_else(|| not_found_person(id))
}

async fn delete_person(
    State(pool): State<Pool>,
    id: Result<Path<String>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let id = person_id(id)?;
    if person::delete(&pool, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found_person(id))
    }
}

/// An id that is not a positive integer names no person: 404, like an unknown one.
fn person_id(id: Result<Path<String>, PathRejection>) -> Result<u64, ApiError> {
    let not_found = || ApiError::NotFound("No person with this id.".to_owned());
    let Path(raw) = id.map_err(|_| not_found())?;
    if raw.is_empty() || !raw.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(not_found());
    }
    raw.parse::<u64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(not_found)
}

fn not_found_person(id: u64) -> ApiError {
    ApiError::NotFound(format!("No person with id {id}."))
}

/// The body as JSON. Any content type is accepted; what matters is that the bytes are JSON.
fn json_body(body: Result<Bytes, BytesRejection>) -> Result<Value, ApiError> {
    let bytes = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge(BODY_LIMIT)
        } else {
            ApiError::Malformed(rejection.body_text())
        }
    })?;
    serde_json::from_slice(&bytes)
        .map_err(|err| ApiError::Malformed(format!("Malformed JSON: {err}.")))
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

/// Writes one access line per request and records it in the metrics.
async fn access_log(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("fallback", |matched| route_label(matched.as_str()))
        .to_owned();

    let response = next.run(request).await;

    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    metrics.record(method.as_str(), &route, status, elapsed.as_secs_f64());
    tracing::info!(
        target: "capstan::access",
        method = %method,
        path = %path,
        status,
        latency_ms = elapsed.as_micros() as f64 / 1000.0,
        "request"
    );
    response
}

/// The metrics label of a matched path: `/api/persons/` and `/api/persons` are one route.
fn route_label(matched: &str) -> &str {
    match matched.strip_suffix('/') {
        Some(trimmed) if !trimmed.is_empty() => trimmed,
        _ => matched,
    }
}
