//! The key tables of the hosts view and its windows (host key, playbook picker, plan).

use crossterm::event::KeyCode;

use super::{Binding, Command, bind};

pub(super) const HOSTS: &[Binding] = &[
    bind(
        &[KeyCode::Up, KeyCode::Char('k')],
        "↑/k",
        "select previous host",
        Command::SelectHostPrevious,
    ),
    bind(
        &[KeyCode::Down, KeyCode::Char('j')],
        "↓/j",
        "select next host",
        Command::SelectHostNext,
    ),
    bind(
        &[KeyCode::Char('p')],
        "p",
        "run a playbook: check first, apply after y",
        Command::Provision,
    ),
    bind(
        &[KeyCode::Char('f')],
        "f",
        "gather the host's facts again",
        Command::RefreshFacts,
    ),
    bind(
        &[KeyCode::Char('e')],
        "e",
        "show the history of results and warnings",
        Command::Events,
    ),
    bind(
        &[KeyCode::Char('H'), KeyCode::Esc],
        "H/Esc",
        "back to the stack",
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

pub(super) const HOST_KEY: &[Binding] = &[
    bind(
        &[KeyCode::Char('y')],
        "y",
        "trust this exact key and connect",
        Command::Confirm,
    ),
    bind(
        &[KeyCode::Esc, KeyCode::Char('n')],
        "Esc/n",
        "refuse the key",
        Command::Close,
    ),
];

pub(super) const PLAYBOOKS: &[Binding] = &[
    bind(
        &[KeyCode::Up, KeyCode::Char('k')],
        "↑/k",
        "previous playbook",
        Command::PopupUp,
    ),
    bind(
        &[KeyCode::Down, KeyCode::Char('j')],
        "↓/j",
        "next playbook",
        Command::PopupDown,
    ),
    bind(
        &[KeyCode::Enter],
        "Enter",
        "run it in check mode (changes nothing)",
        Command::Choose,
    ),
    bind(&[KeyCode::Esc], "Esc", "cancel", Command::Close),
];

pub(super) const PLAN: &[Binding] = &[
    bind(
        &[KeyCode::Up, KeyCode::Char('k')],
        "↑/k",
        "scroll up",
        Command::PopupUp,
    ),
    bind(
        &[KeyCode::Down, KeyCode::Char('j')],
        "↓/j",
        "scroll down",
        Command::PopupDown,
    ),
    bind(
        &[KeyCode::PageUp],
        "PgUp",
        "scroll up a page",
        Command::PopupPageUp,
    ),
    bind(
        &[KeyCode::PageDown, KeyCode::Char(' ')],
        "PgDn/Space",
        "scroll down a page",
        Command::PopupPageDown,
    ),
    bind(
        &[KeyCode::Char('y')],
        "y",
        "apply this plan to the host",
        Command::Confirm,
    ),
    bind(
        &[KeyCode::Esc, KeyCode::Char('n')],
        "Esc/n",
        "cancel, change nothing",
        Command::Close,
    ),
];
