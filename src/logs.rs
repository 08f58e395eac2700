//! Log lines kept in memory: per-service ring buffers with line and byte budgets, search and
//! filters over them, and safe rendering of untrusted bytes (ANSI, non-UTF-8, very long lines).

mod buffer;

pub use buffer::{Budget, LogBuffer};
