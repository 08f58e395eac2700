//! The user's keymap: which keys replace the defaults of each command, how `dashboard.toml`
//! names keys, and how help names them.

use std::collections::HashMap;

use crossterm::event::KeyCode;

use super::{Binding, COMMAND_NAMES, Command, SERVICES, VIEWS, bindings};

/// One key of a user's keymap: a key code, with Ctrl held or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct Key {
    pub(super) code: KeyCode,
    pub(super) ctrl: bool,
}

impl Key {
    fn plain(code: KeyCode) -> Key {
        Key { code, ctrl: false }
    }
}

/// The key names `dashboard.toml` accepts, for the error about one it does not.
const KEY_NAMES: &str = "one character (e.g. \"R\", \"?\"), up/↑, down/↓, left/←, right/→, \
                         pageup/PgUp, pagedown/PgDn, home, end, tab, esc, enter, backspace, \
                         space, f1 to f12, or ctrl-<character> (also ctrl+<character>), names in \
                         any case";

/// The user's key overrides: for each command named, the keys that replace its defaults in
/// every view that has the command. Empty by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keymap {
    overrides: HashMap<Command, Vec<Key>>,
}

impl Keymap {
    /// Builds a keymap from `command name → key names`.
    ///
    /// Fails, naming the command or key, on an unknown command or key name, and when the result
    /// would give one key two commands in the same view. Ctrl-C stays the quit of every view.
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
                .map(|key| match parse_key(key) {
                    Some(Key {
                        code: KeyCode::Char('c'),
                        ctrl: true,
                    }) => Err(format!("{name}: \"{key}\" always quits at once")),
                    Some(parsed) => Ok(parsed),
                    None => Err(format!("{name}: unknown key \"{key}\" (use {KEY_NAMES})")),
                })
                .collect::<Result<Vec<_>, _>>()?;
            overrides.insert(*command, codes);
        }

        let keymap = Keymap { overrides };
        keymap.check_conflicts()?;
        Ok(keymap)
    }

    /// The keys that trigger `binding` under this keymap.
    fn keys(&self, binding: &Binding) -> Vec<Key> {
        match self.overrides.get(&binding.command) {
            Some(keys) => keys.clone(),
            None => binding.keys.iter().copied().map(Key::plain).collect(),
        }
    }

    /// True when `key` triggers `binding` under this keymap.
    pub(super) fn triggers(&self, binding: &Binding, key: Key) -> bool {
        match self.overrides.get(&binding.command) {
            Some(keys) => keys.contains(&key),
            None => !key.ctrl && binding.keys.contains(&key.code),
        }
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
            let mut seen: HashMap<Key, Command> = HashMap::new();
            for binding in bindings(*view) {
                for key in self.keys(binding) {
                    if let Some(other) = seen.insert(key, binding.command) {
                        return Err(format!(
                            "key \"{}\" would both {} and {} in the {view_name} view",
                            key_label(&key),
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

/// A key named in the settings file: one character, a name as help shows it (`PgUp`, `↑`,
/// `Tab`) or spelled out (`pageup`, `up`), `f5`, `space`, or `ctrl-r` / `ctrl+r`; names in any
/// case.
fn parse_key(name: &str) -> Option<Key> {
    let lower = name.to_lowercase();
    if let Some(rest) = lower
        .strip_prefix("ctrl-")
        .or_else(|| lower.strip_prefix("ctrl+"))
    {
        let mut chars = rest.chars();
        let (Some(c), None) = (chars.next(), chars.next()) else {
            return None;
        };
        return Some(Key {
            code: KeyCode::Char(c),
            ctrl: true,
        });
    }

    let mut chars = name.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        let code = match c {
            '↑' => KeyCode::Up,
            '↓' => KeyCode::Down,
            '←' => KeyCode::Left,
            '→' => KeyCode::Right,
            c => KeyCode::Char(c),
        };
        return Some(Key::plain(code));
    }
    let code = match lower.as_str() {
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "pageup" | "pgup" => KeyCode::PageUp,
        "pagedown" | "pgdn" => KeyCode::PageDown,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "tab" => KeyCode::Tab,
        "esc" => KeyCode::Esc,
        "enter" => KeyCode::Enter,
        "backspace" => KeyCode::Backspace,
        "space" => KeyCode::Char(' '),
        other => {
            let number = other.strip_prefix('f')?.parse::<u8>().ok()?;
            return (1..=12)
                .contains(&number)
                .then_some(Key::plain(KeyCode::F(number)));
        }
    };
    Some(Key::plain(code))
}

fn key_label(key: &Key) -> String {
    let name = match key.code {
        KeyCode::Char(' ') => "Space".to_string(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Up => "↑".to_string(),
        KeyCode::Down => "↓".to_string(),
        KeyCode::Left => "←".to_string(),
        KeyCode::Right => "→".to_string(),
        KeyCode::PageUp => "PgUp".to_string(),
        KeyCode::PageDown => "PgDn".to_string(),
        other => format!("{other}"),
    };
    if key.ctrl {
        format!("Ctrl-{name}")
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::input::{View, command};
    use crossterm::event::{KeyEvent, KeyModifiers};

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
        assert!(
            bad_key.starts_with("up: unknown key \"hyper-u\" (use one character"),
            "{bad_key}"
        );
        assert!(bad_key.contains("ctrl-<character>"), "{bad_key}");
        assert_eq!(
            clash,
            "key \"j\" would both select_next and redeploy in the services view"
        );
    }

    #[test]
    fn keymap_accepts_the_names_help_shows_and_ctrl_keys() {
        // `PgUp`, `PgDn` and `ctrl-r` spelled every way were refused as unknown keys.
        let keymap = Keymap::from_names([
            ("page_up", vec!["PgUp"]),
            ("page_down", vec!["pgdn"]),
            ("redeploy", vec!["Ctrl-r"]),
            ("up", vec!["CTRL+U"]),
        ])
        .expect("a valid keymap");
        let press = |code, modifiers| KeyEvent::new(code, modifiers);

        let page_up = command(
            View::Logs,
            press(KeyCode::PageUp, KeyModifiers::NONE),
            &keymap,
        );
        let redeploy = command(
            View::Services,
            press(KeyCode::Char('r'), KeyModifiers::CONTROL),
            &keymap,
        );
        let up = command(
            View::Services,
            press(KeyCode::Char('u'), KeyModifiers::CONTROL),
            &keymap,
        );
        let plain_r = command(
            View::Services,
            press(KeyCode::Char('r'), KeyModifiers::NONE),
            &keymap,
        );
        let help = SERVICES
            .iter()
            .find(|binding| binding.command == Command::Redeploy)
            .map(|binding| keymap.label(binding));

        assert_eq!(page_up, Some(Command::PageUp));
        assert_eq!(redeploy, Some(Command::Redeploy));
        assert_eq!(up, Some(Command::Up));
        assert_eq!(plain_r, None);
        assert_eq!(help.as_deref(), Some("Ctrl-r"));
        assert!(Keymap::from_names([("up", vec!["ctrl-c"])]).is_err());
    }
}
