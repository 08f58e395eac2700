//! The person web app that Capstan deploys (`capstan serve`): a REST API on MariaDB, a static
//! file server for the frontend, and a reverse proxy for `/api/`.
//!
//! It knows nothing of Capstan's operations code: nothing here imports `engine`, `stack`, `ops`,
//! `provision`, `ssh` or `tui`.
//!
//! Roles are combinable in one process ([`ServeConfig`]): the API (`/api/...`, needs the
//! database), static files (a folder with a catch-all to `index.html`) and a proxy of `/api/` to
//! an upstream. Every role also answers `GET /healthz` (200 "ok") and `GET /metrics`.

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
