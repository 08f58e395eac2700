//! One job: an id, a title, and the events that tell its progress.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::{Event, EventSender, JobEvent, JobId, JobState, JobUpdate};
use crate::stack::{Progress, StepState};

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A running job; it reports stack progress as [`Event::Job`] events.
#[derive(Debug)]
pub struct Job {
    pub id: JobId,
    events: EventSender,
    started: Instant,
}

impl Job {
    /// Starts a job and sends its `Started` event.
    pub fn start(events: &EventSender, title: String) -> Job {
        let job = Job {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            events: events.clone(),
            started: Instant::now(),
        };
        job.send(JobUpdate::Started { title });
        job
    }

    /// Sends `Finished` (ok with `summary` and the total time, or failed with the error's first
    /// line) and hands the result back.
    pub fn finish(&self, result: anyhow::Result<()>, summary: &str) -> anyhow::Result<()> {
        let took = self.started.elapsed().as_secs_f64();
        let (state, summary) = match &result {
            Ok(()) => (JobState::Ok, format!("{summary} in {took:.1}s")),
            Err(err) => {
                let text = format!("{err:#}");
                let first = text.lines().next().unwrap_or_default().to_string();
                (
                    JobState::Failed,
                    format!("failed after {took:.1}s: {first}"),
                )
            }
        };
        self.send(JobUpdate::Finished { state, summary });
        result
    }

    fn send(&self, update: JobUpdate) {
        self.events.send(Event::Job(JobEvent {
            id: self.id,
            update,
        }));
    }
}

impl Progress for Job {
    fn step(&self, name: &str, state: StepState, elapsed: Duration, detail: Option<String>) {
        let state = match state {
            StepState::Running => JobState::Running,
            StepState::Ok => JobState::Ok,
            StepState::Changed => JobState::Changed,
            StepState::Skipped => JobState::Skipped,
            StepState::Failed => JobState::Failed,
        };
        self.send(JobUpdate::Step {
            name: name.to_string(),
            state,
            elapsed,
            detail,
        });
    }

    fn line(&self, line: String) {
        self.send(JobUpdate::Line(line));
    }
}
