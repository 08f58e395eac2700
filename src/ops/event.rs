//! The events that background work sends to whoever renders it.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;

/// Everything a renderer learns from background work, in the order it happened.
#[derive(Debug, Clone)]
pub enum Event {
    /// Progress of a long-running job (bring-up, redeploy, a provisioning run).
    Job(JobEvent),
    /// A fresh snapshot of every service of the stack, in dependency order.
    Services(Vec<ServiceView>),
    /// One log line of one service.
    Log(LogLine),
    /// Log lines in the order they arrived, of one or more services: followers batch lines so a
    /// busy service costs one event per few milliseconds, not one per line.
    Logs(Vec<LogLine>),
    /// One sample of the app's readiness endpoint, as seen through the published port.
    Ready(ReadySample),
    /// One sample of a container's resource use.
    Stats(StatsSample),
    /// The app's request and error rates over the last interval, from its `/metrics`.
    Traffic(TrafficSample),
    /// Something went wrong outside any job (a watcher lost the engine, say).
    Warning(String),
    /// A file the dashboard asked for was written, or why not.
    Saved {
        path: PathBuf,
        lines: usize,
        error: Option<String>,
    },
}

/// Identifies one job for as long as the process runs.
pub type JobId = u64;

/// Where a job, or one step of it, stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobState {
    Waiting,
    Running,
    Ok,
    Changed,
    Skipped,
    Failed,
}

impl JobState {
    /// True once nothing more will happen to the job or step.
    pub fn is_done(self) -> bool {
        !matches!(self, JobState::Waiting | JobState::Running)
    }
}

/// One update of one job.
#[derive(Debug, Clone)]
pub struct JobEvent {
    pub id: JobId,
    pub update: JobUpdate,
}

#[derive(Debug, Clone)]
pub enum JobUpdate {
    /// The job began; `title` says what it does ("up person", "redeploy api").
    Started { title: String },
    /// A step of the job changed state; `elapsed` is the step's own time so far.
    Step {
        name: String,
        state: JobState,
        elapsed: Duration,
        detail: Option<String>,
    },
    /// A line of output worth showing (a build line, a container's last logs on failure).
    Line(String),
    /// The job ended; `summary` is one line for a status bar.
    Finished { state: JobState, summary: String },
}

/// What a renderer shows of one service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceView {
    pub name: String,
    /// The engine's container state ("running", "exited", ...) or "missing".
    pub state: String,
    pub health: Health,
    pub started_at: Option<DateTime<Utc>>,
    pub image: String,
    /// The published host port, where the service publishes one.
    pub port: Option<u16>,
    pub container_id: Option<String>,
}

/// What Capstan's own readiness probe last found for a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    Unknown,
    Starting,
    Healthy,
    Unhealthy(String),
}

/// One line from a container's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub service: String,
    /// The engine's timestamp for the line, where it gave one.
    pub timestamp: Option<DateTime<Utc>>,
    pub stream: LogStream,
    /// The raw bytes, without the trailing newline; not necessarily UTF-8.
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogStream {
    Stdout,
    Stderr,
}

/// One sample of the app's `/api/ready`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadySample {
    pub at: DateTime<Utc>,
    /// How long the answer took; `None` when there was no answer.
    pub latency: Option<Duration>,
    /// Why the sample is not ready, if it is not.
    pub error: Option<String>,
}

/// One sample of one container's resource use.
#[derive(Debug, Clone, PartialEq)]
pub struct StatsSample {
    pub service: String,
    pub cpu_percent: f64,
    pub memory_bytes: u64,
    pub memory_limit_bytes: u64,
    pub net_rx_bytes: u64,
    pub net_tx_bytes: u64,
    pub block_read_bytes: u64,
    pub block_write_bytes: u64,
}

/// The app's request rates between two readings of its `/metrics` endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct TrafficSample {
    pub at: DateTime<Utc>,
    pub requests_per_second: f64,
    /// Requests answered with a 5xx status, per second.
    pub errors_per_second: f64,
}

/// The sending half of the one event channel; cheap to clone into every task.
#[derive(Debug, Clone)]
pub struct EventSender(mpsc::UnboundedSender<Event>);

impl EventSender {
    /// A new channel: the sender for tasks, the receiver for the renderer.
    pub fn channel() -> (EventSender, mpsc::UnboundedReceiver<Event>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (EventSender(tx), rx)
    }

    /// Sends an event; a renderer that has gone away is not an error for the sender.
    pub fn send(&self, event: Event) {
        let _ = self.0.send(event);
    }
}
