//! What the dashboard asks background work to do. Input produces these; the runner turns each
//! into an `ops` task. Plain data: no I/O here.

use std::path::PathBuf;

/// One request for work that changes the stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Build what is missing and start every service in dependency order.
    Up,
    /// Rebuild one service and swap it in once the new container is ready.
    Redeploy { service: String },
    /// Remove the stack's containers and network; the data volume too when `volumes`.
    Down { volumes: bool },
    /// Return a service to the last image that deployed well.
    Rollback { service: String },
    /// Stop a service's container until the next `up`.
    Stop { service: String },
    /// Connect to an inventory host and gather its facts; with `accept_fingerprint`, accept
    /// and record its new host key if it is exactly that one.
    GatherFacts {
        host: String,
        accept_fingerprint: Option<String>,
    },
    /// Run a shipped playbook on an inventory host; `check` changes nothing.
    Provision {
        host: String,
        playbook: String,
        check: bool,
    },
    /// Write `text` (the log view as plain text, `lines` lines) to `path`, or beside it under a
    /// numbered name when `path` is taken.
    SaveLogs {
        path: PathBuf,
        text: Vec<u8>,
        lines: usize,
    },
}

impl Action {
    /// How the status line and the confirmation name the action.
    pub fn describe(&self) -> String {
        match self {
            Action::Up => "up".to_string(),
            Action::Redeploy { service } => format!("redeploy {service}"),
            Action::Down { volumes: false } => "down".to_string(),
            Action::Down { volumes: true } => "down --volumes".to_string(),
            Action::Rollback { service } => format!("rollback {service}"),
            Action::Stop { service } => format!("stop {service}"),
            Action::GatherFacts { host, .. } => format!("facts of {host}"),
            Action::SaveLogs { path, .. } => format!("save logs to {}", path.display()),
            Action::Provision {
                host,
                playbook,
                check,
            } => {
                let mode = if *check { " (check)" } else { "" };
                format!("provision {playbook} on {host}{mode}")
            }
        }
    }

    /// True when the action changes a stack or a host: read-only mode refuses it.
    pub fn changes_something(&self) -> bool {
        match self {
            // A local file the user asked for: neither the stack nor a host changes.
            Action::GatherFacts { .. } | Action::SaveLogs { .. } => false,
            Action::Provision { check, .. } => !check,
            Action::Up
            | Action::Redeploy { .. }
            | Action::Down { .. }
            | Action::Rollback { .. }
            | Action::Stop { .. } => true,
        }
    }
}
