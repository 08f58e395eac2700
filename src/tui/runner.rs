//! The one place the dashboard reaches `ops`: it loads the stack, starts the watchers that feed
//! the event channel, and turns each [`Action`] into an `ops` task; host actions go to
//! [`hosts`] (inventory, facts, provisioning). Never touches the screen.

mod hosts;

use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use tokio::task::JoinHandle;

use super::action::Action;
use super::app::Msg;
use crate::cli::Global;
use crate::ops::{self, Event, EventSender};
use crate::stack;

/// Starts work for the dashboard. [`Runner::shutdown`] stops it and puts back a service whose
/// redeploy or rollback was cut short; dropping it stops everything where it stands.
pub struct Runner {
    events: EventSender,
    /// `None` once shutting down: closing it ends the task that runs actions.
    actions: Option<UnboundedSender<Action>>,
    host_actions: UnboundedSender<Action>,
    task: JoinHandle<Vec<String>>,
    hosts_task: JoinHandle<()>,
}

impl Runner {
    /// Loads the stack in the background and starts watching it; failures arrive as
    /// `Event::Warning`s on `events`, never as errors here, so the dashboard opens at once.
    /// What the hosts work finds arrives on `msgs`.
    pub fn start(global: &Global, events: EventSender, msgs: UnboundedSender<Msg>) -> Runner {
        let (actions, rx) = mpsc::unbounded_channel::<Action>();
        let (host_actions, host_rx) = mpsc::unbounded_channel::<Action>();
        let hosts_task = tokio::spawn(hosts::serve(global.port, msgs, events.clone(), host_rx));
        let options = stack::Options {
            stack_file: global.stack_file.clone(),
            project: global.project.clone(),
            port: global.port,
        };
        let bring_up = !global.read_only;
        let task = tokio::spawn(serve(options, bring_up, events.clone(), rx));
        Runner {
            events,
            actions: Some(actions),
            host_actions,
            task,
            hosts_task,
        }
    }

    /// Starts the work `action` asks for; its progress arrives as job events.
    pub fn dispatch(&self, action: Action) {
        tracing::info!(action = %action.describe(), "dispatching");
        let sent = match action {
            Action::GatherFacts { .. } | Action::Provision { .. } => {
                self.host_actions.send(action).is_ok()
            }
            Action::SaveLogs { path, text, lines } => {
                save_logs(path, text, lines, self.events.clone());
                true
            }
            _ => self
                .actions
                .as_ref()
                .is_some_and(|actions| actions.send(action).is_ok()),
        };
        if !sent {
            tracing::warn!("an action arrived while the dashboard was closing");
        }
    }

    /// Stops the watchers and every job. A redeploy or rollback cut short puts its service
    /// back as it was first (within `patience`); returns what the user should read about that.
    pub async fn shutdown(&mut self, patience: std::time::Duration) -> Vec<String> {
        self.actions = None;
        match tokio::time::timeout(patience, &mut self.task).await {
            Ok(Ok(notes)) => notes,
            Ok(Err(_)) => Vec::new(),
            Err(_) => vec!["gave up putting the services back: the engine did not answer".into()],
        }
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        self.task.abort();
        self.hosts_task.abort();
    }
}

/// A job the runner started, with what its service ran before when it replaces a container.
struct Running {
    handle: JoinHandle<()>,
    before: Option<stack::Before>,
}

/// Loads the stack, watches it, and runs each action as its own task until the dashboard goes;
/// then stops the jobs still running and returns what it did about them.
///
/// With `bring_up`, a stack that has no container at all yet is brought up at once, so the first
/// `capstan` on a machine shows the stack running; a stack that exists is left as it is.
async fn serve(
    options: stack::Options,
    bring_up: bool,
    events: EventSender,
    mut rx: UnboundedReceiver<Action>,
) -> Vec<String> {
    let ctx = match ops::Context::load(&options).await {
        Ok(ctx) => ctx,
        Err(err) => {
            tracing::error!("failed to load the stack: {err:#}");
            events.send(Event::Warning(format!("failed to load the stack: {err:#}")));
            while let Some(action) = rx.recv().await {
                let text = format!("{}: failed, the stack did not load", action.describe());
                events.send(Event::Warning(text));
            }
            return Vec::new();
        }
    };
    // The watchers follow containers that jobs create or replace (they listen to the engine's
    // event stream), so they start once and live as long as the dashboard.
    let watcher = ops::watch(&ctx, &events);
    let mut jobs: Vec<Running> = Vec::new();

    if bring_up && stack_is_absent(&ctx).await {
        let handle = spawn_job(&ctx, &events, Action::Up);
        jobs.push(Running {
            handle,
            before: None,
        });
    }

    while let Some(action) = rx.recv().await {
        jobs.retain(|job| !job.handle.is_finished());
        let before = match &action {
            Action::Redeploy { service } | Action::Rollback { service } => {
                stack::Before::take(&ctx.stack, service).await.ok()
            }
            _ => None,
        };
        let handle = spawn_job(&ctx, &events, action);
        jobs.push(Running { handle, before });
    }

    drop(watcher);
    let mut notes = Vec::new();
    for job in jobs {
        if job.handle.is_finished() {
            continue;
        }
        job.handle.abort();
        let Some(before) = job.before else { continue };
        // Nobody watches these events any more: the screen is gone.
        let (sink, _) = EventSender::channel();
        let service = before.service().to_string();
        match ops::restore(&ctx, &before, &sink).await {
            Ok(()) => notes.push(format!(
                "a job on {service} was cut short; {service} is back as it was"
            )),
            Err(err) => notes.push(format!(
                "a job on {service} was cut short and putting it back failed: {err:#}"
            )),
        }
    }
    notes
}

/// True when none of the stack's services has a container, as on the first run on a machine.
async fn stack_is_absent(ctx: &ops::Context) -> bool {
    match ops::status(ctx).await {
        Ok(services) => services
            .iter()
            .all(|service| service.container_id.is_none()),
        Err(err) => {
            tracing::warn!("cannot tell whether the stack exists: {err:#}");
            false
        }
    }
}

/// Writes the log view the dashboard made into a file on the blocking pool and reports how it
/// went as [`Event::Saved`].
fn save_logs(path: std::path::PathBuf, text: Vec<u8>, lines: usize, events: EventSender) {
    tokio::task::spawn_blocking(move || {
        let (path, error) = match crate::logs::save_file(&path, &text) {
            Ok(written) => (written, None),
            Err(err) => (path, Some(format!("{err:#}"))),
        };
        events.send(Event::Saved { path, lines, error });
    });
}

/// Runs one action as its own task; its progress and outcome arrive as job events.
fn spawn_job(ctx: &ops::Context, events: &EventSender, action: Action) -> JoinHandle<()> {
    let ctx = ctx.clone();
    let events = events.clone();
    tokio::spawn(async move {
        let result = match &action {
            Action::Up => ops::up(&ctx, &events).await,
            Action::Redeploy { service } => ops::redeploy(&ctx, service, &events).await,
            Action::Down { volumes } => ops::down(&ctx, *volumes, &events).await,
            Action::Rollback { service } => ops::rollback(&ctx, service, &events).await,
            Action::Stop { service } => ops::stop(&ctx, service, &events).await,
            // `Runner::dispatch` sends these to the hosts work or saves at once, never here.
            Action::GatherFacts { .. } | Action::Provision { .. } | Action::SaveLogs { .. } => {
                Ok(())
            }
        };
        // The job's own Finished event carries the reason to the status line; the full chain
        // goes to the diagnostic log.
        if let Err(err) = result {
            tracing::warn!(action = %action.describe(), "failed: {err:#}");
        }
    })
}
