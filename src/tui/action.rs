//! What the dashboard asks background work to do. Input produces these; the runner turns each
//! into an `ops` task. Plain data: no I/O here.

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
        }
    }
}
