//! Readiness probes: a real SQL query against MariaDB, HTTP GETs against an endpoint, and the
//! waiting loop with a deadline that keeps the last error.
//!
//! Probes know addresses, not containers: the caller says where to look (a container's IP on
//! the local engine today, a tunnelled address for a remote engine later). Must not import
//! `engine`, `stack`, `ops` or `tui`.

mod http;
mod sql;
mod wait;

pub use http::{HttpProbe, http_client};
pub use sql::{SqlTarget, sql_ready};
pub use wait::{Attempt, NotReady, wait_ready};
