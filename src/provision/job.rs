//! A provisioning run on many hosts as one job per host: bounded concurrency, one connection
//! per host reused for every step, every step result streamed as an [`Event::Job`] and appended
//! to the audit log as it completes.
//!
//! The dashboard and the CLI render the same events. Imports from `ops` only the event types.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;

use super::Remote;
use super::audit::{AuditLog, AuditRecord};
use super::playbook::Playbook;
use super::run::{self, Outcome, Progress, RunReport, StepResult, Values};
use crate::ops::{Event, EventSender, JobEvent, JobId, JobState, JobUpdate};

static NEXT_JOB: AtomicU64 = AtomicU64::new(1);

/// A fresh job id, unique in this process.
pub fn next_job_id() -> JobId {
    NEXT_JOB.fetch_add(1, Ordering::Relaxed)
}

/// The job state a step outcome shows as.
pub fn job_state(outcome: Outcome) -> JobState {
    match outcome {
        Outcome::Ok => JobState::Ok,
        Outcome::Changed => JobState::Changed,
        Outcome::Skipped => JobState::Skipped,
        Outcome::Failed => JobState::Failed,
    }
}

/// The `detail` of a step event: the step's detail, then its diff, if any.
pub fn event_detail(result: &StepResult) -> Option<String> {
    match (&result.detail, &result.diff) {
        (Some(detail), Some(diff)) => Some(format!("{detail}\n{diff}")),
        (Some(detail), None) => Some(detail.clone()),
        (None, Some(diff)) => Some(diff.clone()),
        (None, None) => None,
    }
}

/// One host of a run: its job id and the name the user gave.
#[derive(Debug, Clone)]
pub struct HostJob {
    pub id: JobId,
    pub host: String,
    /// This host's values when they differ from the request's (its inventory variables).
    pub values: Option<Arc<Values>>,
}

/// What to run where.
#[derive(Debug, Clone)]
pub struct RunRequest {
    pub playbook: Arc<Playbook>,
    pub values: Arc<Values>,
    /// Change nothing; report what would change.
    pub check: bool,
    pub hosts: Vec<HostJob>,
    /// How many hosts run at once (at least one).
    pub concurrency: usize,
}

/// Runs the request's playbook on every host, at most `concurrency` at a time, and returns
/// each host's report in the order of `hosts`.
///
/// `connect` opens the one connection a host's steps share; a host that cannot be reached
/// gets a report with one failed "connect" step. Audit records that cannot be written are
/// reported as [`Event::Warning`]s; the run goes on.
///
/// Each step shows as [`JobState::Running`] when it starts, then in its final state.
pub async fn run_on_hosts<R, C, F>(
    request: RunRequest,
    connect: C,
    events: EventSender,
    audit: Option<Arc<AuditLog>>,
) -> Vec<RunReport>
where
    R: Remote + 'static,
    C: Fn(String) -> F + Clone + Send + 'static,
    F: Future<Output = anyhow::Result<R>> + Send,
{
    let RunRequest {
        playbook,
        values,
        check,
        hosts,
        concurrency,
    } = request;
    let runs = hosts.into_iter().map(|job| {
        let values = job.values.clone().unwrap_or_else(|| values.clone());
        let (playbook, connect) = (playbook.clone(), connect.clone());
        let (events, audit) = (events.clone(), audit.clone());
        async move {
            let mode = if check { " (check)" } else { "" };
            let title = format!("provision {} on {}{mode}", playbook.name, job.host);
            events.send(Event::Job(JobEvent {
                id: job.id,
                update: JobUpdate::Started { title },
            }));

            let report_step = |result: &StepResult| {
                events.send(Event::Job(JobEvent {
                    id: job.id,
                    update: JobUpdate::Step {
                        name: result.step.clone(),
                        state: job_state(result.outcome),
                        elapsed: result.duration,
                        detail: event_detail(result),
                    },
                }));
                if let Some(log) = &audit {
                    let record = AuditRecord::new(&job.host, &playbook.name, check, result);
                    if let Err(err) = log.append(&record) {
                        events.send(Event::Warning(format!("{err:#}")));
                    }
                }
            };
            let progress = |progress: Progress<'_>| match progress {
                Progress::Started(name) => events.send(Event::Job(JobEvent {
                    id: job.id,
                    update: JobUpdate::Step {
                        name: name.to_string(),
                        state: JobState::Running,
                        elapsed: Duration::ZERO,
                        detail: None,
                    },
                })),
                Progress::Done(result) => report_step(result),
            };

            let started = Instant::now();
            let report = match connect(job.host.clone()).await {
                Ok(remote) => run::run_playbook(&remote, &playbook, &values, check, progress).await,
                Err(err) => {
                    let result = StepResult {
                        step: "connect".into(),
                        kind: "connect".into(),
                        handler: false,
                        outcome: Outcome::Failed,
                        duration: started.elapsed(),
                        detail: Some(values.masker.mask(&format!("{err:#}"))),
                        diff: None,
                    };
                    report_step(&result);
                    RunReport {
                        host: job.host.clone(),
                        playbook: playbook.name.clone(),
                        check,
                        facts: None,
                        results: vec![result],
                        duration: started.elapsed(),
                    }
                }
            };

            let state = if report.failed() {
                JobState::Failed
            } else if report.count(Outcome::Changed) > 0 {
                JobState::Changed
            } else {
                JobState::Ok
            };
            let summary = format!("{}: {}", job.host, report.summary());
            events.send(Event::Job(JobEvent {
                id: job.id,
                update: JobUpdate::Finished { state, summary },
            }));
            report
        }
    });

    futures::stream::iter(runs)
        .buffered(concurrency.max(1))
        .collect()
        .await
}
