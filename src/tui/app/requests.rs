//! Asking for work: the confirmation before a destructive action, read-only refusals, and the
//! gate that lets one stack job start at a time.

use super::{Action, App, Confirmed, Popup, StatusKind};

impl App {
    /// Opens a confirmation naming what `action` will do, unless read-only mode refuses it.
    pub(super) fn ask_to_confirm(&mut self, action: Action) {
        if self.refuse_when_read_only(&action) {
            return;
        }
        let project = &self.options.project;
        let question = match &action {
            Action::Down { volumes: false } => format!(
                "Take stack {project} down? Its containers and network are removed; the data \
                 volume is kept."
            ),
            Action::Down { volumes: true } => format!(
                "Take stack {project} down AND delete its data volume? Every stored person is \
                 lost."
            ),
            Action::Rollback { service } => format!(
                "Roll {service} back to the last image that deployed well? Its current \
                 container is replaced."
            ),
            Action::Stop { service } => format!(
                "Stop {service}? Its container stops, and services that need it fail until `u` \
                 brings the stack up again."
            ),
            other => format!("{}?", other.describe()),
        };
        let on_yes = Confirmed::Action(action);
        self.popup = Some(Popup::Confirm { question, on_yes });
    }

    /// Hands an action to the runner unless read-only mode or a running job forbids it.
    ///
    /// Work on a host never waits for the stack's jobs (and sets no stack gate): provisioning
    /// web1 while the stack comes up is fine, and the plan dialog already asks before an apply.
    pub(super) fn request(&mut self, action: Action) -> Option<Action> {
        if self.refuse_when_read_only(&action) {
            return None;
        }
        let on_host = matches!(
            action,
            Action::GatherFacts { .. } | Action::Provision { .. }
        );
        if !on_host {
            if let Some(job) = self.jobs.running() {
                let text = format!(
                    "{}: refused, {} is still running",
                    action.describe(),
                    job.title
                );
                self.set_status(StatusKind::Error, text);
                return None;
            }
            if let Some(asked) = &self.awaiting_job {
                let text = format!("{}: refused, {asked} is starting", action.describe());
                self.set_status(StatusKind::Error, text);
                return None;
            }
            self.awaiting_job = Some(action.describe());
        }

        self.set_status(
            StatusKind::Info,
            format!("{}: starting…", action.describe()),
        );
        Some(action)
    }

    fn refuse_when_read_only(&mut self, action: &Action) -> bool {
        if self.options.read_only && action.changes_something() {
            let text = format!("{}: refused, the dashboard is read-only", action.describe());
            self.set_status(StatusKind::Error, text);
        }
        self.options.read_only && action.changes_something()
    }
}
