//! The jobs the dashboard has seen: their steps with state and time, and their last lines.

use std::collections::VecDeque;
use std::time::Duration;

use crate::ops::{JobEvent, JobId, JobState, JobUpdate};

/// How many finished jobs are kept for display.
const JOBS_KEPT: usize = 8;
/// How many output lines of one job are kept.
const LINES_KEPT: usize = 200;

/// One step of a job as last reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub name: String,
    pub state: JobState,
    pub elapsed: Duration,
    pub detail: Option<String>,
}

/// One job as last reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: JobId,
    pub title: String,
    pub steps: Vec<Step>,
    pub lines: VecDeque<String>,
    /// The final state and one-line summary, once the job ended.
    pub finished: Option<(JobState, String)>,
}

impl Job {
    pub fn is_running(&self) -> bool {
        self.finished.is_none()
    }
}

/// The jobs seen, oldest first, bounded.
#[derive(Debug, Default)]
pub struct Jobs {
    jobs: VecDeque<Job>,
}

impl Jobs {
    /// Applies one job event; returns the job when this event finished it.
    pub fn apply(&mut self, event: JobEvent) -> Option<&Job> {
        let JobEvent { id, update } = event;
        let index = match self.jobs.iter().position(|job| job.id == id) {
            Some(index) => index,
            None => {
                self.jobs.push_back(Job {
                    id,
                    title: format!("job {id}"),
                    steps: Vec::new(),
                    lines: VecDeque::new(),
                    finished: None,
                });
                self.trim();
                self.jobs.len() - 1
            }
        };
        let job = &mut self.jobs[index];

        match update {
            JobUpdate::Started { title } => job.title = title,
            JobUpdate::Step {
                name,
                state,
                elapsed,
                detail,
            } => {
                let step = Step {
                    name,
                    state,
                    elapsed,
                    detail,
                };
                match job.steps.iter_mut().find(|old| old.name == step.name) {
                    Some(old) => *old = step,
                    None => job.steps.push(step),
                }
            }
            JobUpdate::Line(line) => {
                job.lines.push_back(line);
                if job.lines.len() > LINES_KEPT {
                    job.lines.pop_front();
                }
            }
            JobUpdate::Finished { state, summary } => {
                job.finished = Some((state, summary));
                return Some(job);
            }
        }
        None
    }

    /// The job still running, if any (the newest one when several are).
    pub fn running(&self) -> Option<&Job> {
        self.jobs.iter().rev().find(|job| job.is_running())
    }

    /// The job to show: the running one, else the most recent.
    pub fn current(&self) -> Option<&Job> {
        self.running().or_else(|| self.jobs.back())
    }

    fn trim(&mut self) {
        while self.jobs.len() > JOBS_KEPT {
            match self.jobs.iter().position(|job| !job.is_running()) {
                Some(index) => {
                    self.jobs.remove(index);
                }
                None => break,
            }
        }
    }
}
