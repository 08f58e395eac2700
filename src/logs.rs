//! Log lines kept in memory: per-service ring buffers with line and byte budgets, a merged view
//! of all services by timestamp, search and level filters over them, safe rendering of untrusted
//! bytes (ANSI, non-UTF-8, very long lines) into ratatui lines, and saving a view as plain text.
//!
//! No I/O besides [`save_file`]: the engine's streams feed [`LogStore::push`], the dashboard
//! draws from it. Must not import `engine`, `stack`, `tui` or `cli`; uses `ops` only for
//! [`LogLine`](crate::ops::LogLine).

mod buffer;
mod level;
#[cfg(test)]
mod properties;
mod render;
mod save;
mod search;
mod store;

pub use buffer::{Budget, LineKey, LogBuffer, MAX_LINE_BYTES, cut_marker, line_cost};
pub use level::{Level, detect_level, pretty_json};
pub use render::{RenderOptions, TAB_WIDTH, plain_text, render, terminal_text};
pub use save::{SaveOptions, save_file, write_plain};
pub use search::{Direction, Matches, Query, Row, SearchError, Syntax, at_level, with_context};
pub use store::{DEFAULT_TOTAL_BYTES, LogStore, Scope, ServiceId, ViewLine};
