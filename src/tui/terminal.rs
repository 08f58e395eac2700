//! The real terminal: raw mode, the alternate screen and mouse capture, and their undoing on
//! every exit path (drop of the guard, or a panic). Owns no dashboard state.

use std::io::{self, Stdout};
use std::sync::Once;

use anyhow::Context;
use crossterm::cursor::Show;
use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

/// The terminal in dashboard mode; dropping it restores the terminal the user had.
pub struct TerminalGuard {
    terminal: Terminal<CrosstermBackend<Stdout>>,
}

impl TerminalGuard {
    /// Switches the terminal to raw mode and the alternate screen, with mouse capture.
    ///
    /// Installs (once per process) a panic hook that restores the terminal before the panic
    /// message is printed, so the message lands on the user's normal screen, and then ends the
    /// process with code 101: a panic in any task (a watcher, say) must not leave the dashboard
    /// drawing over a terminal that is no longer in raw mode.
    pub fn enter() -> anyhow::Result<TerminalGuard> {
        install_panic_hook();

        enable_raw_mode().context("failed to switch the terminal to raw mode")?;
        let mut stdout = io::stdout();
        if let Err(err) = execute!(stdout, EnterAlternateScreen, EnableMouseCapture) {
            restore();
            return Err(err).context("failed to enter the alternate screen");
        }

        match Terminal::new(CrosstermBackend::new(stdout)) {
            Ok(terminal) => Ok(TerminalGuard { terminal }),
            Err(err) => {
                restore();
                Err(err).context("failed to set up the terminal")
            }
        }
    }

    pub fn terminal(&mut self) -> &mut Terminal<CrosstermBackend<Stdout>> {
        &mut self.terminal
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Leaves the alternate screen and raw mode; safe to call when they were never entered.
pub fn restore() {
    let _ = execute!(
        io::stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        Show
    );
    let _ = disable_raw_mode();
}

fn install_panic_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
            std::process::exit(101);
        }));
    });
}
