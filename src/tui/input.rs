//! Keys: which key does what in which view. The same tables drive dispatch and the `?` help, so
//! help always lists every key the current view answers to; a [`Keymap`] from the user's
//! settings replaces the keys of chosen commands. Imports no I/O and no `ops`.

mod hosts;
mod keymap;
mod logs;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use keymap::Key;
pub use keymap::Keymap;

/// What a key asks the dashboard to do; [`crate::tui::App`] decides what it means in its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
    Rollback,
    Stop,
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
    Stats,
    Search,
    CommandLine,
    NextMatch,
    PreviousMatch,
    ToggleMerged,
    ToggleContext,
    CycleLevel,
    PrettyJson,
    SaveLogs,
    Confirm,
    /// Switch between the stack's panes and the hosts view.
    Hosts,
    SelectHostPrevious,
    SelectHostNext,
    RefreshFacts,
    /// Pick a playbook to run on the selected host (check mode first).
    Provision,
    /// Take the item selected in a list window.
    Choose,
    PopupUp,
    PopupDown,
    PopupPageUp,
    PopupPageDown,
}

/// The names commands have in the settings file's `[keys]` table.
const COMMAND_NAMES: &[(&str, Command)] = &[
    ("quit", Command::Quit),
    ("help", Command::Help),
    ("close", Command::Close),
    ("select_previous", Command::SelectPrevious),
    ("select_next", Command::SelectNext),
    ("focus_logs", Command::FocusLogs),
    ("focus_services", Command::FocusServices),
    ("switch_focus", Command::SwitchFocus),
    ("up", Command::Up),
    ("redeploy", Command::Redeploy),
    ("rollback", Command::Rollback),
    ("stop", Command::Stop),
    ("down", Command::Down),
    ("scroll_up", Command::ScrollUp),
    ("scroll_down", Command::ScrollDown),
    ("page_up", Command::PageUp),
    ("page_down", Command::PageDown),
    ("top", Command::Top),
    ("bottom", Command::Bottom),
    ("toggle_follow", Command::ToggleFollow),
    ("toggle_wrap", Command::ToggleWrap),
    ("toggle_timestamps", Command::ToggleTimestamps),
    ("events", Command::Events),
    ("stats", Command::Stats),
    ("search", Command::Search),
    ("command_line", Command::CommandLine),
    ("next_match", Command::NextMatch),
    ("previous_match", Command::PreviousMatch),
    ("toggle_merged", Command::ToggleMerged),
    ("toggle_context", Command::ToggleContext),
    ("cycle_level", Command::CycleLevel),
    ("pretty_json", Command::PrettyJson),
    ("save_logs", Command::SaveLogs),
    ("confirm", Command::Confirm),
    ("hosts", Command::Hosts),
    ("select_host_previous", Command::SelectHostPrevious),
    ("select_host_next", Command::SelectHostNext),
    ("refresh_facts", Command::RefreshFacts),
    ("provision", Command::Provision),
    ("choose", Command::Choose),
    ("popup_up", Command::PopupUp),
    ("popup_down", Command::PopupDown),
    ("popup_page_up", Command::PopupPageUp),
    ("popup_page_down", Command::PopupPageDown),
];

/// The views, for checking that a keymap leaves no key doing two things in one view.
const VIEWS: &[(&str, View)] = &[
    ("services", View::Services),
    ("logs", View::Logs),
    ("help", View::Help),
    ("events", View::Events),
    ("stats", View::Stats),
    ("json", View::Json),
    ("confirm", View::Confirm),
    ("hosts", View::Hosts),
    ("host key", View::HostKey),
    ("playbooks", View::Playbooks),
    ("plan", View::Plan),
];

/// Where keys go; each has its own table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Services,
    Logs,
    Help,
    Events,
    Stats,
    Json,
    Confirm,
    Hosts,
    /// The dialog about a host key no known-hosts file records.
    HostKey,
    /// The playbook picker.
    Playbooks,
    /// A check run's plan waiting for confirmation.
    Plan,
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
        &[KeyCode::Char('b')],
        "b",
        "roll the selected service back (asks first)",
        Command::Rollback,
    ),
    bind(
        &[KeyCode::Char('x')],
        "x",
        "stop the selected service (asks first)",
        Command::Stop,
    ),
    bind(
        &[KeyCode::Char('e')],
        "e",
        "show the history of results and warnings",
        Command::Events,
    ),
    bind(
        &[KeyCode::Char('s')],
        "s",
        "show CPU, memory, network and disk of each service",
        Command::Stats,
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
    bind(
        &[KeyCode::Char('H')],
        "H",
        "show the hosts (facts, last runs, provisioning)",
        Command::Hosts,
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
    bind(&[KeyCode::Esc], "Esc", "close the help", Command::Close),
    // The key that opened the help closes it, wherever the keymap moved it.
    bind(&[KeyCode::Char('?')], "?", "close the help", Command::Help),
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

const STATS: &[Binding] = &[
    bind(
        &[KeyCode::Esc, KeyCode::Char('s')],
        "Esc/s",
        "close the stats",
        Command::Close,
    ),
    bind(
        &[KeyCode::Char('q')],
        "q",
        "quit (asks first while a job runs)",
        Command::Quit,
    ),
];

const JSON: &[Binding] = &[
    bind(
        &[KeyCode::Esc, KeyCode::Char('p')],
        "Esc/p",
        "close the JSON",
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
        View::Logs => logs::LOGS,
        View::Help => HELP,
        View::Events => EVENTS,
        View::Stats => STATS,
        View::Json => JSON,
        View::Confirm => CONFIRM,
        View::Hosts => hosts::HOSTS,
        View::HostKey => hosts::HOST_KEY,
        View::Playbooks => hosts::PLAYBOOKS,
        View::Plan => hosts::PLAN,
    }
}

/// The command a key press means in a view, if any.
///
/// Ctrl-C quits from every view; other Ctrl keys do only what the keymap binds them to. Key
/// releases of terminals that report them are ignored.
pub fn command(view: View, key: KeyEvent, keymap: &Keymap) -> Option<Command> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && key.code == KeyCode::Char('c') {
        return Some(Command::ForceQuit);
    }

    // Terminals report Ctrl-R as `r` with Ctrl, some with Shift too as `R`.
    let code = match key.code {
        KeyCode::Char(c) if ctrl => KeyCode::Char(c.to_ascii_lowercase()),
        code => code,
    };
    let pressed = Key { code, ctrl };
    bindings(view)
        .iter()
        .find(|binding| keymap.triggers(binding, pressed))
        .map(|binding| binding.command)
}
