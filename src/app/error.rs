//! The API's errors and how each one looks on the wire.
//!
//! Client mistakes become 4xx JSON bodies and are not logged as errors; server faults become a
//! neutral 500/503 body and their cause is logged once, here. Imports only `app::validate`.

use std::collections::BTreeMap;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::app::validate::FieldErrors;

/// Everything a handler can answer instead of success.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400 with `{field: [messages]}`.
    #[error("invalid input")]
    Invalid(FieldErrors),
    /// 400 with `{"detail": ...}` for a body that is not a JSON object.
    #[error("malformed request: {0}")]
    Malformed(String),
    /// 404 with `{"detail": ...}`.
    #[error("not found: {0}")]
    NotFound(String),
    /// 409: the email is already used by another person.
    #[error("duplicate email")]
    DuplicateEmail,
    /// 413: the body is over the limit.
    #[error("request body over {0} bytes")]
    TooLarge(usize),
    /// 503: the database cannot be reached right now.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// 500: anything else; the cause is logged, the client sees a neutral message.
    #[error("internal error: {0:#}")]
    Internal(anyhow::Error),
}

impl ApiError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut errors = BTreeMap::new();
        errors.insert(field.to_owned(), vec![message.into()]);
        Self::Invalid(errors)
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Invalid(_) | Self::Malformed(_) => StatusCode::BAD_REQUEST,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::DuplicateEmail => StatusCode::CONFLICT,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<mysql_async::Error> for ApiError {
    fn from(err: mysql_async::Error) -> Self {
        match &err {
            mysql_async::Error::Server(server) if server.code == ER_DUP_ENTRY => {
                Self::DuplicateEmail
            }
            mysql_async::Error::Io(_) | mysql_async::Error::Driver(_) => {
                Self::Unavailable(err.to_string())
            }
            _ => Self::Internal(anyhow::Error::new(err).context("database query failed")),
        }
    }
}

/// MariaDB's "Duplicate entry ... for key ...".
pub const ER_DUP_ENTRY: u16 = 1062;

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = match self {
            Self::Invalid(errors) => json!(errors),
            Self::Malformed(detail) => json!({ "detail": detail }),
            Self::NotFound(detail) => json!({ "detail": detail }),
            Self::DuplicateEmail => {
                json!({ "email": ["A person with this email already exists."] })
            }
            Self::TooLarge(limit) => {
                json!({ "detail": format!("Request body is larger than {limit} bytes.") })
            }
            Self::Unavailable(cause) => {
                tracing::warn!(%cause, "database unavailable");
                json!({ "detail": "The database is unavailable; try again shortly." })
            }
            Self::Internal(cause) => {
                tracing::error!(cause = format!("{cause:#}"), "request failed");
                json!({ "detail": "Internal server error." })
            }
        };
        (status, Json(body)).into_response()
    }
}
