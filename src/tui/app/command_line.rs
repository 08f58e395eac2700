//! The `:` prompt: the CLI's actions typed by name (`up`, `down`, `redeploy api`, ...), parsed
//! and completed against the stack's services. Pure functions; no state, no I/O.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{App, Focus, Popup, StatusKind};
use crate::tui::action::Action;
use crate::tui::input::Command;

/// The commands the prompt knows, as completion offers them.
const COMMANDS: &[&str] = &[
    "up",
    "down",
    "down --volumes",
    "redeploy",
    "rollback",
    "stop",
    "logs",
    "help",
    "quit",
];

/// What a typed line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// Work to start at once.
    Run(Action),
    /// Destructive work to confirm first.
    Confirm(Action),
    /// Show the logs of a service.
    Logs(String),
    Help,
    Quit,
}

/// Parses a command line; the error says what was wrong and what is allowed.
pub fn parse(line: &str, services: &[&str]) -> Result<Parsed, String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let service = |command: &str| -> Result<String, String> {
        match words.get(1..) {
            Some([name]) if services.contains(name) => Ok(name.to_string()),
            Some([name]) => Err(format!(
                "{command}: no service named \"{name}\" (services: {})",
                services.join(", ")
            )),
            _ => Err(format!("{command} needs one service: {command} SERVICE")),
        }
    };

    match words.as_slice() {
        ["up"] => Ok(Parsed::Run(Action::Up)),
        ["down"] => Ok(Parsed::Confirm(Action::Down { volumes: false })),
        ["down", "--volumes"] => Ok(Parsed::Confirm(Action::Down { volumes: true })),
        ["redeploy", ..] => {
            service("redeploy").map(|service| Parsed::Run(Action::Redeploy { service }))
        }
        ["rollback", ..] => {
            service("rollback").map(|service| Parsed::Confirm(Action::Rollback { service }))
        }
        ["stop", ..] => service("stop").map(|service| Parsed::Confirm(Action::Stop { service })),
        ["logs", ..] => service("logs").map(Parsed::Logs),
        ["help"] => Ok(Parsed::Help),
        ["quit"] | ["q"] => Ok(Parsed::Quit),
        [] => Err(
            "type a command: up, down, redeploy SERVICE, rollback SERVICE, stop SERVICE, \
                   logs SERVICE, help, quit"
                .to_string(),
        ),
        _ => Err(format!(
            "unknown command \"{}\": try up, down [--volumes], redeploy SERVICE, \
             rollback SERVICE, stop SERVICE, logs SERVICE, help, quit",
            line.trim()
        )),
    }
}

/// Every whole line that completes `line`: command names first, then service names after a
/// command that takes one.
pub fn complete(line: &str, services: &[&str]) -> Vec<String> {
    for command in ["redeploy", "rollback", "stop", "logs"] {
        if let Some(rest) = line
            .strip_prefix(command)
            .and_then(|rest| rest.strip_prefix(' '))
        {
            let rest = rest.trim_start();
            return services
                .iter()
                .filter(|service| service.starts_with(rest))
                .map(|service| format!("{command} {service}"))
                .collect();
        }
    }
    COMMANDS
        .iter()
        .filter(|command| command.starts_with(line))
        .map(|command| command.to_string())
        .collect()
}

impl App {
    /// Edits, completes, runs or cancels the `:` prompt.
    pub(super) fn on_command_line_key(&mut self, key: KeyEvent) -> Option<Action> {
        let owned = self.service_names();
        let services: Vec<&str> = owned.iter().map(String::as_str).collect();
        let line = self.command_line.as_mut()?;
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('c') if ctrl => self.quit = true,
            KeyCode::Char('u') if ctrl => line.clear(),
            KeyCode::Char('w') if ctrl => delete_last_word(line),
            KeyCode::Char(_) if ctrl => {}
            KeyCode::Char(c) => line.push(c),
            KeyCode::Backspace => {
                line.pop();
            }
            KeyCode::Esc => self.command_line = None,
            KeyCode::Tab => {
                let candidates = complete(line, &services);
                match candidates.as_slice() {
                    [] => {}
                    [only] => *line = format!("{only} "),
                    many => {
                        *line = common_prefix(many);
                        let text = format!("completions: {}", many.join(" | "));
                        self.set_status(StatusKind::Info, text);
                    }
                }
            }
            KeyCode::Enter => {
                let line = self.command_line.take().unwrap_or_default();
                return self.run_command_line(&line);
            }
            _ => {}
        }
        None
    }

    fn run_command_line(&mut self, line: &str) -> Option<Action> {
        let owned = self.service_names();
        let services: Vec<&str> = owned.iter().map(String::as_str).collect();
        match parse(line, &services) {
            Ok(Parsed::Run(action)) => return self.request(action),
            Ok(Parsed::Confirm(action)) => self.ask_to_confirm(action),
            Ok(Parsed::Logs(service)) => {
                if let Some(index) = self.services.iter().position(|s| s.name == service) {
                    self.select(index);
                    self.focus = Focus::Logs;
                }
            }
            Ok(Parsed::Help) => self.popup = Some(Popup::Help(self.view())),
            Ok(Parsed::Quit) => return self.on_command(Command::Quit),
            Err(message) => self.set_status(StatusKind::Error, message),
        }
        None
    }

    fn service_names(&self) -> Vec<String> {
        self.services
            .iter()
            .map(|service| service.name.clone())
            .collect()
    }
}

/// Removes the last word of `line` and the blanks after it, as Ctrl-W does in a shell.
fn delete_last_word(line: &mut String) {
    let kept = line.trim_end().len();
    line.truncate(kept);
    let start = line.rfind(char::is_whitespace).map_or(0, |index| index + 1);
    line.truncate(start);
}

/// The longest prefix all `candidates` share.
pub fn common_prefix(candidates: &[String]) -> String {
    let Some(first) = candidates.first() else {
        return String::new();
    };
    let mut prefix = first.as_str();
    for candidate in &candidates[1..] {
        let shared = prefix
            .char_indices()
            .zip(candidate.chars())
            .take_while(|((_, a), b)| a == b)
            .last()
            .map_or(0, |((index, c), _)| index + c.len_utf8());
        prefix = &prefix[..shared];
    }
    prefix.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVICES: &[&str] = &["db", "api", "frontend"];

    #[test]
    fn parse_knows_the_cli_actions_and_asks_to_confirm_destructive_ones() {
        let redeploy = Action::Redeploy {
            service: "api".to_string(),
        };
        let rollback = Action::Rollback {
            service: "db".to_string(),
        };

        assert_eq!(parse("up", SERVICES), Ok(Parsed::Run(Action::Up)));
        assert_eq!(
            parse(" redeploy  api ", SERVICES),
            Ok(Parsed::Run(redeploy))
        );
        assert_eq!(
            parse("rollback db", SERVICES),
            Ok(Parsed::Confirm(rollback))
        );
        let down = Action::Down { volumes: true };
        assert_eq!(parse("down --volumes", SERVICES), Ok(Parsed::Confirm(down)));
        assert_eq!(
            parse("logs frontend", SERVICES),
            Ok(Parsed::Logs("frontend".to_string()))
        );
    }

    #[test]
    fn parse_names_the_unknown_service_and_the_known_ones() {
        let error = parse("redeploy web", SERVICES).unwrap_err();

        assert_eq!(
            error,
            "redeploy: no service named \"web\" (services: db, api, frontend)"
        );
        assert!(
            parse("deploy", SERVICES)
                .unwrap_err()
                .starts_with("unknown command \"deploy\"")
        );
        assert!(
            parse("redeploy", SERVICES)
                .unwrap_err()
                .contains("needs one service")
        );
    }

    #[test]
    fn complete_offers_commands_then_services() {
        assert_eq!(complete("r", SERVICES), vec!["redeploy", "rollback"]);
        assert_eq!(complete("redeploy f", SERVICES), vec!["redeploy frontend"]);
        assert_eq!(complete("down", SERVICES), vec!["down", "down --volumes"]);
        assert_eq!(common_prefix(&complete("r", SERVICES)), "r");
        assert_eq!(common_prefix(&complete("do", SERVICES)), "down");
    }
}
