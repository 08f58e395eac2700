//! What the background work reports, applied to [`App`]: services and their health changes,
//! log lines, readiness, traffic and resource samples, saves, warnings and job progress.

use super::{App, Popup, READY_SAMPLES_KEPT, STATS_KEPT, StatusKind};
use crate::ops::{Event, Health, JobState, JobUpdate, ServiceView};

impl App {
    /// Applies an `ops` event; returns whether the screen shows the change.
    pub(super) fn on_event(&mut self, event: Event) -> bool {
        match event {
            Event::Services(services) => {
                let changed = services != self.services;
                self.set_services(services);
                changed
            }
            Event::Log(line) => self.add_logs(vec![line]),
            Event::Logs(lines) => self.add_logs(lines),
            Event::Ready(sample) => {
                // A sample that says what the last one said is drawn on the next slow tick, so
                // an idle dashboard costs one frame a second; turning ready or failing is drawn
                // at once.
                let turned = self
                    .ready
                    .back()
                    .is_none_or(|last| last.error.is_some() != sample.error.is_some());
                if let Some(error) = &sample.error {
                    self.last_ready_error = Some((sample.at, error.clone()));
                }
                self.ready.push_back(sample);
                if self.ready.len() > READY_SAMPLES_KEPT {
                    self.ready.pop_front();
                }
                turned
            }
            Event::Traffic(sample) => {
                self.traffic.push_back(sample);
                if self.traffic.len() > STATS_KEPT {
                    self.traffic.pop_front();
                }
                self.popup == Some(Popup::Stats)
            }
            Event::Stats(sample) => {
                let samples = self.stats.entry(sample.service.clone()).or_default();
                samples.push_back(sample);
                if samples.len() > STATS_KEPT {
                    samples.pop_front();
                }
                // The table's CPU and memory columns catch up on the slow tick: samples of each
                // container arrive at their own moments and would each cost a frame.
                self.popup == Some(Popup::Stats)
            }
            Event::Saved { path, lines, error } => {
                match error {
                    None => self.set_status(
                        StatusKind::Ok,
                        format!("saved {lines} lines to {}", path.display()),
                    ),
                    Some(error) => self.set_status(StatusKind::Error, format!("save: {error}")),
                }
                true
            }
            Event::Warning(text) => {
                // A failure to start work arrives as a warning instead of a job.
                self.awaiting_job = None;
                self.set_status(StatusKind::Error, text);
                true
            }
            Event::Job(event) => {
                if matches!(event.update, JobUpdate::Started { .. }) {
                    self.awaiting_job = None;
                }
                if let Some(job) = self.jobs.apply(event) {
                    let (state, summary) = job
                        .finished
                        .clone()
                        .unwrap_or((JobState::Ok, String::new()));
                    let kind = match state {
                        JobState::Failed => StatusKind::Error,
                        _ => StatusKind::Ok,
                    };
                    let text = format!("{}: {summary}", job.title);
                    self.set_status(kind, text);
                }
                true
            }
        }
    }

    /// Replaces the services, keeping the same service selected when it is still there; a
    /// service turning unhealthy or healthy again goes into the history (not the status line,
    /// which a flapping check would keep overwriting).
    fn set_services(&mut self, services: Vec<ServiceView>) {
        for service in &services {
            let before = self.services.iter().find(|old| old.name == service.name);
            let was_unhealthy = matches!(before.map(|old| &old.health), Some(Health::Unhealthy(_)));
            match &service.health {
                Health::Unhealthy(reason) if !was_unhealthy => {
                    let text = format!("{} unhealthy: {reason}", service.name);
                    self.record(StatusKind::Error, text);
                }
                Health::Healthy if was_unhealthy => {
                    self.record(StatusKind::Ok, format!("{} healthy again", service.name));
                }
                _ => {}
            }
        }

        let selected = self.selected_service().map(|service| service.name.clone());
        self.services = services;
        let index = selected
            .and_then(|name| {
                self.services
                    .iter()
                    .position(|service| service.name == name)
            })
            .unwrap_or(self.selected);
        self.selected = index.min(self.services.len().saturating_sub(1));
    }
}
