//! The one place the dashboard reaches `ops`: it loads the stack, starts the watchers that feed
//! the event channel, and turns each [`Action`] into an `ops` task. Never touches the screen.

use tokio::sync::mpsc::{self, UnboundedSender};
use tokio::task::JoinHandle;

use super::action::Action;
use crate::cli::Global;
use crate::ops::{Event, EventSender};

/// Starts work for the dashboard; dropping it stops the watchers and the task that runs
/// actions (jobs already started run to their end).
pub struct Runner {
    actions: UnboundedSender<Action>,
    task: JoinHandle<()>,
}

impl Runner {
    /// Loads the stack in the background and starts watching it; failures arrive as
    /// `Event::Warning`s on `events`, never as errors here, so the dashboard opens at once.
    pub fn start(global: &Global, events: EventSender) -> Runner {
        let (actions, mut rx) = mpsc::unbounded_channel::<Action>();
        let _global = global.clone();

        // Known shortcoming: the ops API (branch `stack`) is not merged yet, so nothing is
        // loaded or watched and every action is reported as unavailable. Wire
        // `ops::Context::load`, `ops::watch`, `ops::up`, `ops::redeploy` and `ops::down` here
        // once it lands.
        let task = tokio::spawn(async move {
            events.send(Event::Warning(
                "the stack engine is not available in this build".to_string(),
            ));
            while let Some(action) = rx.recv().await {
                events.send(Event::Warning(format!(
                    "{}: failed, the stack engine is not available in this build",
                    action.describe()
                )));
            }
        });

        Runner { actions, task }
    }

    /// Starts the work `action` asks for; its progress arrives as job events.
    pub fn dispatch(&self, action: Action) {
        tracing::info!(action = %action.describe(), "dispatching");
        let _ = self.actions.send(action);
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        self.task.abort();
    }
}
