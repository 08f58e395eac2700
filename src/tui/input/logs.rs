//! The key table of the log pane: scrolling, following, search, filters and the log tools.

use crossterm::event::KeyCode;

use super::{Binding, Command, bind};

pub(super) const LOGS: &[Binding] = &[
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
        "search (Enter runs, Esc cancels, Ctrl-R: regex)",
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
        &[KeyCode::Char('c')],
        "c",
        "show only matches and the lines around them",
        Command::ToggleContext,
    ),
    bind(
        &[KeyCode::Char('m')],
        "m",
        "all services merged by time, or the selected one",
        Command::ToggleMerged,
    ),
    bind(
        &[KeyCode::Char('v')],
        "v",
        "level filter: all, warnings and worse, errors",
        Command::CycleLevel,
    ),
    bind(
        &[KeyCode::Char('p')],
        "p",
        "pretty-print the match or bottom line as JSON",
        Command::PrettyJson,
    ),
    bind(
        &[KeyCode::Char('S')],
        "S",
        "save the lines of this view to a file",
        Command::SaveLogs,
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
