//! The static role: one folder served as a single-page app.
//!
//! A file that exists is served with its content type and `Last-Modified` (tower-http's
//! `ServeDir`, which also answers `If-Modified-Since` and ranges), plus a weak `ETag` added here
//! with `If-None-Match` → 304. A missing path whose last segment has an extension is a 404; any
//! other missing path is a client route and gets `index.html`. Paths with `..`, absolute
//! components or bad percent-encoding never leave the folder: `ServeDir` refuses them and they
//! get `index.html` or 404 like any missing path. Gzip is the router's compression layer.
//!
//! Known shortcoming: a symlink inside the folder that points outside it is followed (as
//! `ServeDir` does); the folder is ours (built into the image), so nothing adds such links.
//!
//! Imports nothing else of the app.

use std::convert::Infallible;
use std::path::Path;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use sha2::{Digest as _, Sha256};
use tower::ServiceExt as _;
use tower::service_fn;
use tower_http::services::{ServeDir, ServeFile};

/// A router that serves `dir` with a catch-all to `dir/index.html`.
pub fn service(dir: &Path) -> Router {
    let index = ServeFile::new(dir.join("index.html"));
    let fallback = service_fn(move |request: Request| {
        let index = index.clone();
        async move {
            if last_segment_has_extension(request.uri().path()) {
                return Ok::<_, Infallible>(not_found());
            }
            let response = match index.oneshot(request).await {
                Ok(response) => response.into_response(),
                Err(never) => match never {},
            };
            Ok(response)
        }
    });

    let files = ServeDir::new(dir)
        .append_index_html_on_directories(true)
        .fallback(fallback);
    Router::new()
        .fallback_service(files)
        .layer(middleware::from_fn(etag))
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "Not found\n").into_response()
}

/// `/app.js` and `/img/logo.png` name files; `/persons/12` and `/v1.2/` are client routes.
pub fn last_segment_has_extension(path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or_default();
    match last.rsplit_once('.') {
        Some((stem, extension)) => {
            !stem.is_empty() && !extension.is_empty() && !extension.chars().all(char::is_numeric)
        }
        None => false,
    }
}

/// Adds a weak ETag derived from `Last-Modified` and `Content-Length` to full file answers, and
/// turns a matching `If-None-Match` into 304.
async fn etag(request: Request, next: Next) -> Response {
    let if_none_match = request.headers().get(header::IF_NONE_MATCH).cloned();
    let mut response = next.run(request).await;
    if response.status() != StatusCode::OK {
        return response;
    }

    let headers = response.headers();
    let (Some(modified), Some(length)) = (
        headers.get(header::LAST_MODIFIED),
        headers.get(header::CONTENT_LENGTH),
    ) else {
        return response;
    };
    let digest = Sha256::new()
        .chain_update(modified.as_bytes())
        .chain_update(b"/")
        .chain_update(length.as_bytes())
        .finalize();
    let hex: String = digest
        .iter()
        .take(8)
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let tag = format!("W/\"{hex}\"");
    let Ok(value) = HeaderValue::from_str(&tag) else {
        return response;
    };

    let matches = if_none_match
        .as_ref()
        .and_then(|header| header.to_str().ok())
        .is_some_and(|header| {
            header.split(',').map(str::trim).any(|candidate| {
                candidate == "*" || candidate.trim_start_matches("W/") == &tag[2..]
            })
        });
    if matches {
        let mut not_modified = StatusCode::NOT_MODIFIED.into_response();
        not_modified.headers_mut().insert(header::ETAG, value);
        if let Some(modified) = response.headers().get(header::LAST_MODIFIED).cloned() {
            not_modified
                .headers_mut()
                .insert(header::LAST_MODIFIED, modified);
        }
        return not_modified;
    }
    response.headers_mut().insert(header::ETAG, value);
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    if is_html {
        // Pages name the current assets: always revalidate them so a redeploy shows at once.
        let no_cache = HeaderValue::from_static("no-cache");
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, no_cache);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_have_extensions_and_client_routes_do_not() {
        assert!(last_segment_has_extension("/app.js"));
        assert!(last_segment_has_extension("/img/logo.png"));
        assert!(!last_segment_has_extension("/persons/12"));
        assert!(!last_segment_has_extension("/"));
        assert!(!last_segment_has_extension("/.hidden"));
        assert!(!last_segment_has_extension("/v1.2"));
    }
}
