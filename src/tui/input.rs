//! Keys: which key does what in which view. The same tables drive dispatch and the `?` help, so
//! help always lists every key the current view answers to. Imports no I/O and no `ops`.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// What a key asks the dashboard to do; [`crate::tui::App`] decides what it means in its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Quit,
    /// Quit at once, whatever runs (Ctrl-C).
    ForceQuit,
    Help,
    Close,
    SelectPrevious,
    SelectNext,
    FocusLogs,
    FocusServices,
    SwitchFocus,
    Up,
    Redeploy,
    Down,
    ScrollUp,
    ScrollDown,
    PageUp,
    PageDown,
    Top,
    Bottom,
    ToggleFollow,
    ToggleWrap,
    ToggleTimestamps,
    Events,
    Search,
    CommandLine,
    NextMatch,
    PreviousMatch,
    Confirm,
}

/// Where keys go; each has its own table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Services,
    Logs,
    Help,
    Events,
    Confirm,
}

/// One key binding: the keys, how help names them, what they do.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub keys: &'static [KeyCode],
    pub label: &'static str,
    pub help: &'static str,
    pub command: Command,
}

const fn bind(
    keys: &'static [KeyCode],
    label: &'static str,
    help: &'static str,
    command: Command,
) -> Binding {
    Binding {
        keys,
        label,
        help,
        command,
    }
}

const SERVICES: &[Binding] = &[
    bind(
        &[KeyCode::Up, KeyCode::Char('k')],
        "↑/k",
        "select previous service",
        Command::SelectPrevious,
    ),
    bind(
        &[KeyCode::Down, KeyCode::Char('j')],
        "↓/j",
        "select next service",
        Command::SelectNext,
    ),
    bind(
        &[KeyCode::Char('l')],
        "l",
        "focus the logs of the selected service",
        Command::FocusLogs,
    ),
    bind(
        &[KeyCode::Tab],
        "Tab",
        "switch focus between services and logs",
        Command::SwitchFocus,
    ),
    bind(
        &[KeyCode::Char('u')],
        "u",
        "bring the stack up",
        Command::Up,
    ),
    bind(
        &[KeyCode::Char('r')],
        "r",
        "redeploy the selected service",
        Command::Redeploy,
    ),
    bind(
        &[KeyCode::Char('e')],
        "e",
        "show the history of results and warnings",
        Command::Events,
    ),
    bind(
        &[KeyCode::Char('D')],
        "D",
        "take the stack down (asks first)",
        Command::Down,
    ),
    bind(
        &[KeyCode::Char(':')],
        ":",
        "type a command, e.g. redeploy api (Tab completes)",
        Command::CommandLine,
    ),
    bind(&[KeyCode::Char('?')], "?", "show this help", Command::Help),
    bind(
        &[KeyCode::Char('q')],
        "q",
        "quit (asks first while a job runs)",
        Command::Quit,
    ),
];

const LOGS: &[Binding] = &[
    bind(
        &[KeyCode::Up, KeyCode::Char('k')],
        "↑/k",
        "scroll back one line",
        Command::ScrollUp,
    ),
    bind(
        &[KeyCode::Down, KeyCode::Char('j')],
        "↓/j",
        "scroll forward one line",
        Command::ScrollDown,
    ),
    bind(
        &[KeyCode::PageUp, KeyCode::Char('b')],
        "PgUp/b",
        "scroll back one page",
        Command::PageUp,
    ),
    bind(
        &[KeyCode::PageDown, KeyCode::Char(' ')],
        "PgDn/Space",
        "scroll forward one page",
        Command::PageDown,
    ),
    bind(
        &[KeyCode::Home, KeyCode::Char('g')],
        "Home/g",
        "jump to the oldest line kept",
        Command::Top,
    ),
    bind(
        &[KeyCode::End, KeyCode::Char('G')],
        "End/G",
        "jump to the newest line and follow",
        Command::Bottom,
    ),
    bind(
        &[KeyCode::Char('f')],
        "f",
        "pause or resume following",
        Command::ToggleFollow,
    ),
    bind(
        &[KeyCode::Char('w')],
        "w",
        "wrap long lines on or off",
        Command::ToggleWrap,
    ),
    bind(
        &[KeyCode::Char('t')],
        "t",
        "show or hide timestamps",
        Command::ToggleTimestamps,
    ),
    bind(
        &[KeyCode::Char('/')],
        "/",
        "search the log (Enter to run, Esc to cancel)",
        Command::Search,
    ),
    bind(
        &[KeyCode::Char('n')],
        "n",
        "next match (older)",
        Command::NextMatch,
    ),
    bind(
        &[KeyCode::Char('N')],
        "N",
        "previous match (newer)",
        Command::PreviousMatch,
    ),
    bind(
        &[KeyCode::Esc, KeyCode::Tab],
        "Esc/Tab",
        "back to the services",
        Command::FocusServices,
    ),
    bind(
        &[KeyCode::Char('r')],
        "r",
        "redeploy the service shown",
        Command::Redeploy,
    ),
    bind(
        &[KeyCode::Char(':')],
        ":",
        "type a command, e.g. redeploy api (Tab completes)",
        Command::CommandLine,
    ),
    bind(&[KeyCode::Char('?')], "?", "show this help", Command::Help),
    bind(
        &[KeyCode::Char('q')],
        "q",
        "quit (asks first while a job runs)",
        Command::Quit,
    ),
];

const HELP: &[Binding] = &[
    bind(
        &[KeyCode::Esc, KeyCode::Char('?')],
        "Esc/?",
        "close the help",
        Command::Close,
    ),
    bind(
        &[KeyCode::Char('q')],
        "q",
        "quit (asks first while a job runs)",
        Command::Quit,
    ),
];

const EVENTS: &[Binding] = &[
    bind(
        &[KeyCode::Esc, KeyCode::Char('e')],
        "Esc/e",
        "close the history",
        Command::Close,
    ),
    bind(
        &[KeyCode::Char('q')],
        "q",
        "quit (asks first while a job runs)",
        Command::Quit,
    ),
];

const CONFIRM: &[Binding] = &[
    bind(&[KeyCode::Char('y')], "y", "go ahead", Command::Confirm),
    bind(
        &[KeyCode::Esc, KeyCode::Char('n')],
        "Esc/n",
        "cancel",
        Command::Close,
    ),
];

/// The bindings of a view, in the order help lists them.
pub fn bindings(view: View) -> &'static [Binding] {
    match view {
        View::Services => SERVICES,
        View::Logs => LOGS,
        View::Help => HELP,
        View::Events => EVENTS,
        View::Confirm => CONFIRM,
    }
}

/// The command a key press means in a view, if any.
///
/// Ctrl-C quits from every view; key releases and repeats of terminals that report them are
/// ignored.
pub fn command(view: View, key: KeyEvent) -> Option<Command> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return (key.code == KeyCode::Char('c')).then_some(Command::ForceQuit);
    }

    bindings(view)
        .iter()
        .find(|binding| binding.keys.contains(&key.code))
        .map(|binding| binding.command)
}
