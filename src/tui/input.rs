//! Keys: which key does what in which view. The same tables drive dispatch and the `?` help, so
//! help always lists every key the current view answers to; a [`Keymap`] from the user's
//! settings replaces the keys of chosen commands. Imports no I/O and no `ops`.

mod hosts;
mod logs;

use std::collections::HashMap;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

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

/// The user's key overrides: for each command named, the keys that replace its defaults in
/// every view that has the command. Empty by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keymap {
    overrides: HashMap<Command, Vec<KeyCode>>,
}

impl Keymap {
    /// Builds a keymap from `command name → key names`.
    ///
    /// Fails, naming the command or key, on an unknown command or key name, and when the result
    /// would give one key two commands in the same view.
    pub fn from_names<'a>(
        entries: impl IntoIterator<Item = (&'a str, Vec<&'a str>)>,
    ) -> Result<Keymap, String> {
        let mut overrides = HashMap::new();
        for (name, keys) in entries {
            let Some((_, command)) = COMMAND_NAMES.iter().find(|(known, _)| *known == name) else {
                let known: Vec<&str> = COMMAND_NAMES.iter().map(|(known, _)| *known).collect();
                return Err(format!(
                    "unknown command \"{name}\" (known: {})",
                    known.join(", ")
                ));
            };
            if keys.is_empty() {
                return Err(format!("{name}: give at least one key"));
            }
            let codes = keys
                .iter()
                .map(|key| parse_key(key).ok_or_else(|| format!("{name}: unknown key \"{key}\"")))
                .collect::<Result<Vec<_>, _>>()?;
            overrides.insert(*command, codes);
        }

        let keymap = Keymap { overrides };
        keymap.check_conflicts()?;
        Ok(keymap)
    }

    /// The keys that trigger `binding` under this keymap.
    pub fn keys<'a>(&'a self, binding: &'a Binding) -> &'a [KeyCode] {
        self.overrides
            .get(&binding.command)
            .map_or(binding.keys, Vec::as_slice)
    }

    /// How help names the keys of `command` under this keymap, as the services view binds it.
    pub fn label_of(&self, command: Command) -> Option<String> {
        let binding = SERVICES.iter().find(|binding| binding.command == command)?;
        Some(self.label(binding))
    }

    /// How help names the keys of `binding` under this keymap.
    pub fn label(&self, binding: &Binding) -> String {
        match self.overrides.get(&binding.command) {
            Some(keys) => keys.iter().map(key_label).collect::<Vec<_>>().join("/"),
            None => binding.label.to_string(),
        }
    }

    fn check_conflicts(&self) -> Result<(), String> {
        for (view_name, view) in VIEWS {
            let mut seen: HashMap<KeyCode, Command> = HashMap::new();
            for binding in bindings(*view) {
                for key in self.keys(binding) {
                    if let Some(other) = seen.insert(*key, binding.command) {
                        return Err(format!(
                            "key \"{}\" would both {} and {} in the {view_name} view",
                            key_label(key),
                            command_name(other),
                            command_name(binding.command)
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

fn command_name(command: Command) -> &'static str {
    COMMAND_NAMES
        .iter()
        .find(|(_, known)| *known == command)
        .map_or("(built in)", |(name, _)| *name)
}

/// A key named in the settings file: one character, or `up`, `pagedown`, `f5`, `space`, ...
fn parse_key(name: &str) -> Option<KeyCode> {
    let mut chars = name.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return Some(KeyCode::Char(c));
    }
    let code = match name.to_lowercase().as_str() {
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "pageup" => KeyCode::PageUp,
        "pagedown" => KeyCode::PageDown,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "tab" => KeyCode::Tab,
        "esc" => KeyCode::Esc,
        "enter" => KeyCode::Enter,
        "backspace" => KeyCode::Backspace,
        "space" => KeyCode::Char(' '),
        other => {
            let number = other.strip_prefix('f')?.parse::<u8>().ok()?;
            return (1..=12).contains(&number).then_some(KeyCode::F(number));
        }
    };
    Some(code)
}

fn key_label(key: &KeyCode) -> String {
    match key {
        KeyCode::Char(' ') => "Space".to_string(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Up => "↑".to_string(),
        KeyCode::Down => "↓".to_string(),
        KeyCode::Left => "←".to_string(),
        KeyCode::Right => "→".to_string(),
        KeyCode::PageUp => "PgUp".to_string(),
        KeyCode::PageDown => "PgDn".to_string(),
        other => format!("{other}"),
    }
}

/// The command a key press means in a view, if any.
///
/// Ctrl-C quits from every view; key releases and repeats of terminals that report them are
/// ignored.
pub fn command(view: View, key: KeyEvent, keymap: &Keymap) -> Option<Command> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return (key.code == KeyCode::Char('c')).then_some(Command::ForceQuit);
    }

    bindings(view)
        .iter()
        .find(|binding| keymap.keys(binding).contains(&key.code))
        .map(|binding| binding.command)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keymap_replaces_the_keys_of_a_command_in_every_view() {
        let keymap = Keymap::from_names([("redeploy", vec!["R", "f5"])]).expect("a valid keymap");
        let press = |code| KeyEvent::new(code, KeyModifiers::NONE);

        let services = command(View::Services, press(KeyCode::Char('R')), &keymap);
        let logs = command(View::Logs, press(KeyCode::F(5)), &keymap);
        let old = command(View::Services, press(KeyCode::Char('r')), &keymap);

        assert_eq!(
            (services, logs, old),
            (Some(Command::Redeploy), Some(Command::Redeploy), None)
        );
    }

    #[test]
    fn keymap_refuses_unknown_names_and_keys_that_would_do_two_things() {
        let unknown = Keymap::from_names([("deploy", vec!["d"])]).unwrap_err();
        let bad_key = Keymap::from_names([("up", vec!["hyper-u"])]).unwrap_err();
        let clash = Keymap::from_names([("redeploy", vec!["j"])]).unwrap_err();

        assert!(
            unknown.starts_with("unknown command \"deploy\""),
            "{unknown}"
        );
        assert_eq!(bad_key, "up: unknown key \"hyper-u\"");
        assert_eq!(
            clash,
            "key \"j\" would both select_next and redeploy in the services view"
        );
    }
}
