//! Long-running work as tasks that report progress and results as [`Event`]s on one channel.
//!
//! The dashboard and the plain CLI are two renderers of the same events. Nothing here draws or
//! prints; nothing here imports `tui` or `cli`. A caller loads a [`Context`] once, then runs
//! jobs ([`up`], [`down`], [`redeploy`], [`rollback`]) and spawns the [`watch`]ers.

mod event;
mod follow;
mod job;
mod traffic;
mod watch;

use std::sync::Arc;

use crate::stack::{self, Stack};

pub use event::{
    Event, EventSender, Health, JobEvent, JobId, JobState, JobUpdate, LogLine, LogStream,
    ReadySample, ServiceView, StatsSample, TrafficSample,
};
pub use follow::{BATCH_LINES, BATCH_WAIT, batched, container_lines, follow, follow_batches};
pub use job::Job;
pub use traffic::{TRAFFIC_EVERY, request_counts};
pub use watch::{Watcher, watch};

/// A loaded stack on a connected engine: what every job and watcher works on.
#[derive(Debug, Clone)]
pub struct Context {
    pub stack: Arc<Stack>,
}

impl Context {
    /// Loads the stack file (embedded or `options.stack_file`) with its overrides and connects
    /// to the local engine.
    pub async fn load(options: &stack::Options) -> anyhow::Result<Context> {
        Ok(Context {
            stack: Arc::new(Stack::load(options).await?),
        })
    }

    /// Like [`Context::load`], with secrets and history under `data` instead of the platform
    /// data directory.
    pub async fn load_in(
        options: &stack::Options,
        data: std::path::PathBuf,
    ) -> anyhow::Result<Context> {
        Ok(Context {
            stack: Arc::new(Stack::load_in(options, data).await?),
        })
    }
}

/// Builds images and starts the stack, each service once its dependencies are ready.
pub async fn up(ctx: &Context, events: &EventSender) -> anyhow::Result<()> {
    let job = Job::start(events, format!("up {}", ctx.stack.name()));
    job.finish(stack::up(&ctx.stack, &job).await, "all services ready")
}

/// Removes the stack's containers and network; with `volumes`, its data volumes too.
pub async fn down(ctx: &Context, volumes: bool, events: &EventSender) -> anyhow::Result<()> {
    let job = Job::start(events, format!("down {}", ctx.stack.name()));
    job.finish(
        stack::down(&ctx.stack, volumes, &job).await,
        "stack removed",
    )
}

/// Rebuilds `service` and swaps in a new container once it is ready.
pub async fn redeploy(ctx: &Context, service: &str, events: &EventSender) -> anyhow::Result<()> {
    let job = Job::start(events, format!("redeploy {service}"));
    job.finish(
        stack::redeploy(&ctx.stack, service, None, &job).await,
        "redeployed",
    )
}

/// Returns `service` to the last image that deployed well.
pub async fn rollback(ctx: &Context, service: &str, events: &EventSender) -> anyhow::Result<()> {
    let job = Job::start(events, format!("rollback {service}"));
    job.finish(
        stack::rollback(&ctx.stack, service, &job).await,
        "rolled back",
    )
}

/// Puts a service back as `before` found it, after work on it was interrupted.
pub async fn restore(
    ctx: &Context,
    before: &stack::Before,
    events: &EventSender,
) -> anyhow::Result<()> {
    let job = Job::start(events, format!("restore {}", before.service()));
    job.finish(stack::restore(&ctx.stack, before, &job).await, "as it was")
}

/// Stops `service`'s container; the next `up` starts the service again.
pub async fn stop(ctx: &Context, service: &str, events: &EventSender) -> anyhow::Result<()> {
    let job = Job::start(events, format!("stop {service}"));
    job.finish(stack::stop(&ctx.stack, service, &job).await, "stopped")
}

/// Each service in bring-up order: its container's state and a fresh readiness check.
pub async fn status(ctx: &Context) -> anyhow::Result<Vec<ServiceView>> {
    watch::snapshot(&ctx.stack).await
}

/// The output of `service`'s newest container: the last `tail` lines, then with `follow` every
/// new line, across restarts and recreation of the service's container, until dropped.
pub async fn log_stream(
    ctx: &Context,
    service: &str,
    tail: u64,
    follow: bool,
) -> anyhow::Result<futures::stream::BoxStream<'static, LogLine>> {
    ctx.stack.service(service)?;
    let containers = ctx.stack.containers_of(service).await?;
    let newest = containers.iter().find(|c| c.running).or(containers.first());
    let Some(container) = newest else {
        anyhow::bail!("service `{service}` has no container: run `capstan up` first");
    };
    let service = service.to_string();
    if follow {
        return Ok(follow::follow(ctx.stack.clone(), service, Some(tail)));
    }
    Ok(follow::container_lines(
        &ctx.stack.engine,
        &container.id,
        &service,
        Some(tail),
        false,
    ))
}
