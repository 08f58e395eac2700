//! The dashboard: state, input, views. It renders state and never awaits I/O itself; work runs
//! in `ops` tasks (started by [`runner`]) that send events back on one channel.
//!
//! Roles: `app` holds the state and applies messages, `input` maps keys to commands, `views`
//! and `popups` draw, `theme` styles, `event` runs the loop, `terminal` owns the real terminal,
//! `runner` is the only module that calls `ops`. Nothing here prints once the screen switched.

mod action;
mod app;
mod diagnostics;
mod event;
mod input;
mod popups;
mod runner;
mod settings;
mod terminal;
mod theme;
mod views;

use std::io::IsTerminal;
use std::process::ExitCode;

use chrono::Utc;

pub use action::Action;
pub use app::{
    App, Confirmed, Focus, HostMsg, LastRun, Msg, Options, PLAYBOOKS, PlanStep, Popup, Probe,
    Status, StatusKind, last_runs,
};
pub use event::{channel, run_loop};
pub use input::{Binding, Command, Keymap, View, bindings};
pub use theme::{Palette, Theme};
pub use views::draw;

use crate::cli::Global;
use crate::ops::EventSender;

/// The stack name when neither `--project` nor the stack file gives one.
const DEFAULT_PROJECT: &str = "person";
/// How long quitting may take to put back a service whose redeploy was cut short.
const SHUTDOWN_PATIENCE: std::time::Duration = std::time::Duration::from_secs(60);

/// Opens the dashboard on the local engine and runs it until the user quits.
///
/// Prints the diagnostic log's path before the screen switches; the terminal is restored on
/// quit, on error and on panic.
pub async fn run(global: Global) -> anyhow::Result<ExitCode> {
    if !std::io::stdout().is_terminal() {
        anyhow::bail!(
            "the dashboard needs a terminal; for scripts use a subcommand such as `capstan status`"
        );
    }
    let started = std::time::Instant::now();
    let settings_path = crate::config::Paths::discover()?
        .config
        .join(settings::FILE_NAME);
    let settings = settings::load(&settings_path)?;
    let (log_path, _log_guard) = diagnostics::init()?;
    eprintln!("capstan: diagnostic log in {}", log_path.display());

    let (events, ops_rx) = EventSender::channel();
    let (tx, rx) = event::channel();
    let mut runner = runner::Runner::start(&global, events, tx.clone());
    let mut app = App::new(Options {
        project: global
            .project
            .clone()
            .unwrap_or_else(|| DEFAULT_PROJECT.to_string()),
        read_only: global.read_only,
        theme: Theme::from_env().with_palette(settings.palette),
        keymap: settings.keymap,
        budget: settings.budget,
        log_total_bytes: settings.total_bytes,
        now: Utc::now(),
    });
    let _sources = event::spawn_sources(tx, ops_rx);

    let mut guard = terminal::TerminalGuard::enter()?;
    let setup_ms = started.elapsed().as_millis();
    tracing::info!(setup_ms, "terminal ready; the first frame follows");
    #[cfg(debug_assertions)]
    debug_panic_seam();
    let dispatch = |action| runner.dispatch(action);
    let result = event::run_loop(guard.terminal(), &mut app, rx, dispatch).await;
    drop(guard);
    for note in runner.shutdown(SHUTDOWN_PATIENCE).await {
        eprintln!("capstan: {note}");
    }

    if let Err(err) = &result {
        tracing::error!("the dashboard stopped: {err:#}");
    }
    result.map(|frames| {
        tracing::info!(frames, "the dashboard closed");
        ExitCode::SUCCESS
    })
}

/// Test seam, debug builds only: with `CAPSTAN_DEBUG_PANIC_AFTER_MS=N` a background task panics
/// after N ms, so `tests/smoke.rs` can check that a panic anywhere restores the terminal.
#[cfg(debug_assertions)]
fn debug_panic_seam() {
    let Some(millis) = std::env::var("CAPSTAN_DEBUG_PANIC_AFTER_MS")
        .ok()
        .and_then(|value| value.parse::<u64>().ok())
    else {
        return;
    };
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(millis)).await;
        panic!("panic requested by CAPSTAN_DEBUG_PANIC_AFTER_MS");
    });
}
