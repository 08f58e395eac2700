//! The hosts view's state: each inventory host's facts, reachability and last run, the
//! playbook picker, the check plan waiting for confirmation, and the host-key dialog.
//!
//! Background work (the runner) reports through [`HostMsg`]; this module only changes state and
//! returns the [`Action`] the user asked for. Must not import the runner, `ssh` or any I/O.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{App, Focus, Popup, StatusKind};
use crate::ops::JobState;
use crate::provision::Facts;
use crate::provision::audit::AuditRecord;
use crate::tui::action::Action;

/// The playbooks the picker offers: the ones shipped in `playbooks/`.
pub const PLAYBOOKS: &[&str] = &["debian-reverse-proxy", "rhel-reverse-proxy", "docker-host"];

/// What background work tells the hosts view.
#[derive(Debug, Clone)]
pub enum HostMsg {
    /// The inventory's hosts, in its order: (name, where it points, e.g. `deploy@web1:22`).
    Inventory(Vec<(String, String)>),
    /// The inventory could not be read.
    InventoryFailed(String),
    /// Facts gathering on `host` started.
    Probing { host: String },
    /// What gathering the facts of `host` found.
    Probed { host: String, probe: Probe },
    /// The latest run of each host, from the audit log.
    LastRuns(HashMap<String, LastRun>),
    /// The check run of `playbook` on `host` finished: the plan to confirm.
    Planned {
        host: String,
        playbook: String,
        steps: Vec<PlanStep>,
    },
}

/// The result of connecting to a host and gathering its facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    Facts(Facts),
    /// The host's key is in no known-hosts file: it needs an explicit yes.
    KeyUnknown {
        key_type: String,
        fingerprint: String,
    },
    /// The host offered a key different from the recorded one: refused.
    KeyChanged {
        expected: String,
        found: String,
    },
    /// Anything else: connection refused, authentication, sudo, facts.
    Unreachable(String),
}

/// A host's latest provisioning run, as the audit log records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastRun {
    pub at: DateTime<Utc>,
    pub playbook: String,
    pub check: bool,
    /// "failed", "3 changed" or "ok".
    pub outcome: String,
}

/// One step of a check run's plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanStep {
    pub name: String,
    pub state: JobState,
    pub duration: Duration,
    /// The step's detail and diff, already masked.
    pub detail: Option<String>,
}

impl PlanStep {
    /// The lines the plan window gives this step: its name, then each line of its detail.
    pub fn line_count(&self) -> usize {
        1 + self
            .detail
            .as_deref()
            .map_or(0, |detail| detail.lines().count())
    }
}

/// One host as the hosts view shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostRow {
    pub name: String,
    pub target: String,
    /// `None` while nothing was gathered yet.
    pub probe: Option<Probe>,
    pub probing: bool,
    pub last_run: Option<LastRun>,
}

/// The hosts view's state.
#[derive(Debug, Default)]
pub struct Hosts {
    pub rows: Vec<HostRow>,
    pub selected: usize,
    /// Why the inventory could not be read, when it could not.
    pub error: Option<String>,
    /// Runs known from the audit log before the inventory arrived.
    last_runs: HashMap<String, LastRun>,
}

impl Hosts {
    pub fn selected_row(&self) -> Option<&HostRow> {
        self.rows.get(self.selected)
    }

    fn row_mut(&mut self, host: &str) -> Option<&mut HostRow> {
        self.rows.iter_mut().find(|row| row.name == host)
    }
}

/// The latest run of each host in `records` (oldest first, as the audit log holds them).
///
/// A run is the newest records of a host with the same playbook and mode; its outcome is
/// "failed" when any step failed, else the number of changed steps, else "ok".
pub fn last_runs(records: &[AuditRecord]) -> HashMap<String, LastRun> {
    let mut runs: HashMap<String, (LastRun, usize, bool)> = HashMap::new();
    let mut seen_other: HashMap<String, bool> = HashMap::new();
    for record in records.iter().rev() {
        if seen_other.get(&record.host).copied().unwrap_or(false) {
            continue;
        }
        match runs.get_mut(&record.host) {
            None => {
                let run = LastRun {
                    at: record.time,
                    playbook: record.playbook.clone(),
                    check: record.check,
                    outcome: String::new(),
                };
                let changed = usize::from(record.outcome == "changed");
                runs.insert(
                    record.host.clone(),
                    (run, changed, record.outcome == "failed"),
                );
            }
            Some((run, changed, failed)) => {
                if run.playbook != record.playbook || run.check != record.check {
                    seen_other.insert(record.host.clone(), true);
                    continue;
                }
                *changed += usize::from(record.outcome == "changed");
                *failed |= record.outcome == "failed";
            }
        }
    }

    runs.into_iter()
        .map(|(host, (mut run, changed, failed))| {
            run.outcome = if failed {
                "failed".to_string()
            } else if changed > 0 {
                format!("{changed} changed")
            } else {
                "ok".to_string()
            };
            (host, run)
        })
        .collect()
}

impl App {
    /// Applies what background work found about hosts.
    pub(crate) fn on_host_msg(&mut self, msg: HostMsg) {
        match msg {
            HostMsg::Inventory(hosts) => {
                self.hosts.error = None;
                self.hosts.rows = hosts
                    .into_iter()
                    .map(|(name, target)| HostRow {
                        last_run: self.hosts.last_runs.get(&name).cloned(),
                        name,
                        target,
                        probe: None,
                        probing: false,
                    })
                    .collect();
                self.hosts.selected = self
                    .hosts
                    .selected
                    .min(self.hosts.rows.len().saturating_sub(1));
            }
            HostMsg::InventoryFailed(error) => self.hosts.error = Some(error),
            HostMsg::Probing { host } => {
                if let Some(row) = self.hosts.row_mut(&host) {
                    row.probing = true;
                }
            }
            HostMsg::Probed { host, probe } => self.on_probed(host, probe),
            HostMsg::LastRuns(runs) => {
                for row in &mut self.hosts.rows {
                    if let Some(run) = runs.get(&row.name) {
                        row.last_run = Some(run.clone());
                    }
                }
                self.hosts.last_runs = runs;
            }
            HostMsg::Planned {
                host,
                playbook,
                steps,
            } => match self.popup {
                // A question waiting for an answer is not taken away; the plan is in the run
                // pane and the history, and p runs the check again.
                Some(Popup::Confirm { .. } | Popup::HostKey { .. }) => {
                    let text = format!(
                        "check of {playbook} on {host} done; answer the open question, then p \
                         to see the plan again"
                    );
                    self.set_status(StatusKind::Info, text);
                }
                _ => {
                    self.popup = Some(Popup::Plan {
                        host,
                        playbook,
                        steps,
                        scroll: 0,
                    });
                }
            },
        }
    }

    fn on_probed(&mut self, host: String, probe: Probe) {
        match &probe {
            Probe::KeyUnknown {
                key_type,
                fingerprint,
            } if self.popup.is_none() && self.focus == Focus::Hosts => {
                self.popup = Some(Popup::HostKey {
                    host: host.clone(),
                    key_type: key_type.clone(),
                    fingerprint: fingerprint.clone(),
                });
            }
            Probe::KeyChanged { expected, found } => {
                let text = format!(
                    "{host}: host key refused, it changed: recorded {expected}, offered {found}"
                );
                self.set_status(StatusKind::Error, text);
            }
            _ => {}
        }
        if let Some(row) = self.hosts.row_mut(&host) {
            row.probing = false;
            row.probe = Some(probe);
        }
    }

    pub(crate) fn select_host(&mut self, index: usize) {
        self.hosts.selected = index.min(self.hosts.rows.len().saturating_sub(1));
    }

    /// `f`: gathers the selected host's facts again.
    pub(crate) fn refresh_facts(&mut self) -> Option<Action> {
        let host = self.hosts.selected_row()?.name.clone();
        Some(Action::GatherFacts {
            host,
            accept_fingerprint: None,
        })
    }

    /// `p`: picks a playbook for the selected host, once its key is trusted.
    pub(crate) fn pick_playbook(&mut self) {
        let Some(row) = self.hosts.selected_row() else {
            self.set_status(StatusKind::Error, "provision: no host selected");
            return;
        };
        let host = row.name.clone();
        match &row.probe {
            Some(Probe::KeyUnknown {
                key_type,
                fingerprint,
            }) => {
                self.popup = Some(Popup::HostKey {
                    host,
                    key_type: key_type.clone(),
                    fingerprint: fingerprint.clone(),
                });
            }
            Some(Probe::KeyChanged { expected, found }) => {
                let text = format!(
                    "provision {host}: refused, its host key changed: recorded {expected}, \
                     offered {found}"
                );
                self.set_status(StatusKind::Error, text);
            }
            _ => self.popup = Some(Popup::Playbooks { host, selected: 0 }),
        }
    }

    /// `y` in a hosts window: trusts the key shown, or applies the plan shown.
    pub(crate) fn confirm_host_popup(&mut self, popup: Popup) -> Option<Action> {
        match popup {
            Popup::HostKey {
                host, fingerprint, ..
            } => {
                self.set_status(
                    StatusKind::Info,
                    format!("{host}: accepting host key {fingerprint}"),
                );
                Some(Action::GatherFacts {
                    host,
                    accept_fingerprint: Some(fingerprint),
                })
            }
            Popup::Plan { host, playbook, .. } => {
                if self.options.read_only {
                    self.set_status(
                        StatusKind::Error,
                        format!(
                            "provision {playbook} on {host}: refused, the dashboard is read-only \
                             (check mode only)"
                        ),
                    );
                    return None;
                }
                self.request(Action::Provision {
                    host,
                    playbook,
                    check: false,
                })
            }
            other => {
                self.popup = Some(other);
                None
            }
        }
    }

    /// Enter in the playbook picker: runs the chosen playbook in check mode first.
    pub(crate) fn choose_playbook(&mut self) -> Option<Action> {
        let Some(Popup::Playbooks { host, selected }) = self.popup.take() else {
            return None;
        };
        let playbook = PLAYBOOKS.get(selected)?.to_string();
        self.request(Action::Provision {
            host,
            playbook,
            check: true,
        })
    }

    /// Moves the picker's selection, or scrolls the plan, by `delta` rows.
    pub(crate) fn move_in_host_popup(&mut self, delta: isize) {
        match &mut self.popup {
            Some(Popup::Playbooks { selected, .. }) => {
                *selected = selected
                    .saturating_add_signed(delta)
                    .min(PLAYBOOKS.len() - 1);
            }
            Some(Popup::Plan { scroll, steps, .. }) => {
                let lines: usize = steps.iter().map(PlanStep::line_count).sum();
                *scroll = scroll.saturating_add_signed(delta).min(lines);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(host: &str, playbook: &str, check: bool, outcome: &str, minute: u32) -> AuditRecord {
        use chrono::TimeZone;
        AuditRecord {
            time: Utc
                .with_ymd_and_hms(2026, 12, 3, 12, minute, 0)
                .single()
                .expect("a valid fixed date"),
            host: host.into(),
            playbook: playbook.into(),
            check,
            step: format!("step {minute}"),
            outcome: outcome.into(),
            duration_ms: 5,
            detail: None,
            diff: None,
        }
    }

    #[test]
    fn last_run_counts_only_the_newest_run_of_each_host() {
        let records = vec![
            record("web1", "debian-reverse-proxy", true, "failed", 1),
            record("web1", "debian-reverse-proxy", false, "changed", 2),
            record("web1", "debian-reverse-proxy", false, "changed", 3),
            record("web1", "debian-reverse-proxy", false, "ok", 4),
            record("web2", "docker-host", false, "failed", 5),
        ];

        let runs = last_runs(&records);

        assert_eq!(runs["web1"].outcome, "2 changed");
        assert!(!runs["web1"].check);
        assert_eq!(runs["web1"].at.format("%H:%M").to_string(), "12:04");
        assert_eq!(runs["web2"].outcome, "failed");
    }
}
