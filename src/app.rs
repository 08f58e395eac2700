//! The person web app that Capstan deploys (`capstan serve`): a REST API on MariaDB, a static
//! file server for the frontend, and a reverse proxy for `/api/`.
//!
//! It knows nothing of Capstan's operations code: nothing here imports `engine`, `stack`, `ops`,
//! `provision`, `ssh` or `tui`.
//!
//! # Roles
//!
//! Chosen by [`ServeConfig`], combinable in one process: the API (`--api`, needs the database),
//! static files (`--static DIR`: the folder, with a catch-all to `index.html`) and a proxy of
//! `/api/` to an upstream (`--proxy-api URL`). The API and the proxy exclude each other. Every
//! role answers `GET /healthz` (200 `ok`, process alive) and `GET /metrics` (OpenMetrics text).
//!
//! # The REST API (API role)
//!
//! Every path works with and without its trailing slash, with no redirect. Every answer is JSON.
//!
//! - `GET /api/health`: 200 `{"status":"ok"}` while the process runs.
//! - `GET /api/ready`: 200 `{"status":"ready","schema_version":N}` when the database answers and
//!   its schema is current; else 503 `{"status":"unavailable","reason":"..."}`.
//! - `GET /api/persons/?page=&page_size=&search=&ordering=`: 200
//!   `{"count","next","previous","results"}`; `next`/`previous` are relative links or `null`.
//!   `page_size` defaults to 20 and is clamped to 100; `search` terms (split on spaces) must each
//!   match a name or the email; `ordering` is a comma list of `id`, `first_name`, `last_name`,
//!   `email`, `phone`, `date_of_birth`, `created_at`, `updated_at`, each optionally `-`prefixed.
//!   A page past the last is 404; a bad parameter is 400 `{param: [messages]}`.
//! - `POST /api/persons/`: 201 with the stored person.
//! - `GET|PUT|PATCH|DELETE /api/persons/{id}/`: 200 with the person (PUT replaces, clearing
//!   optional fields it does not send; PATCH changes only what it sends); DELETE 204.
//!
//! A person: `id`, `first_name`, `last_name` (required, 1–100 characters after trimming),
//! `email` (optional, valid, unique ignoring case), `phone` (optional), `date_of_birth`
//! (optional `YYYY-MM-DD`, not in the future), `created_at`, `updated_at` (UTC, ISO 8601, set by
//! the server). Blank or `null` optional fields mean "no value".
//!
//! Errors: 400 `{field: [messages]}` for invalid fields; 400 `{"detail"}` for malformed JSON;
//! 404 `{"detail"}` for an unknown id or path; 405 `{"detail"}`; 409 `{"email": [...]}` for a
//! duplicate email; 413 `{"detail"}` for a body over 64 KiB; 503 `{"detail"}` when the database
//! is unreachable. A refused write changes nothing.

pub mod config;
pub mod db;
pub mod error;
pub mod http;
pub mod metrics;
pub mod migrate;
pub mod person;
pub mod proxy;
pub mod query;
pub mod server;
pub mod static_files;
pub mod validate;

pub use config::{DbConfig, Secret, ServeConfig};
pub use http::{AppState, router};
pub use server::{prepare_database, run};
