//! The dashboard drawn into ratatui's `TestBackend`: synthetic keys, mouse and `ops` events go in
//! through `App::update`, whole screens come out as text (insta snapshots) at 80×24 and 120×40.
//! The clock is fixed by the test, so snapshots need no masking.

#[path = "tui/support.rs"]
mod support;

#[path = "tui/actions.rs"]
mod actions;
#[path = "tui/event_loop.rs"]
mod event_loop;
#[path = "tui/hosts.rs"]
mod hosts;
#[path = "tui/log_tools.rs"]
mod log_tools;
#[path = "tui/logs.rs"]
mod logs;
#[path = "tui/screens.rs"]
mod screens;
