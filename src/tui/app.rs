//! The dashboard's state and how every incoming message changes it.
//!
//! [`App::update`] is the one place state changes: keys, mouse, resize, ticks and `ops` events
//! all arrive as a [`Msg`]. It returns an [`Action`] when the user asked for work; it never
//! starts that work itself. Must not import the runner, the terminal, or any I/O.

mod command_line;
mod hosts;
mod jobs;
mod log_commands;
mod log_view;
mod ops_events;
mod requests;

use std::cell::Cell;
use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

pub use hosts::{HostMsg, HostRow, Hosts, LastRun, PLAYBOOKS, PlanStep, Probe, last_runs};
pub use jobs::{Job, Jobs};
pub use log_view::{LevelFilter, LogView, MAX_LINE_CHARS, Rows};

use super::action::Action;
use super::input::{self, Command, Keymap, View};
use super::theme::Theme;
use crate::logs::{Budget, Direction, LogStore};
use crate::ops::{Event, ReadySample, ServiceView, StatsSample, TRAFFIC_EVERY, TrafficSample};

/// How many `/api/ready` samples are kept (a sample a second: five minutes).
const READY_SAMPLES_KEPT: usize = 300;
/// How many status messages are kept as history.
const HISTORY_KEPT: usize = 100;
/// How many resource samples are kept per service.
const STATS_KEPT: usize = 300;
/// The narrowest services table that also shows CPU and memory columns.
pub(crate) const STATS_MIN_WIDTH: u16 = 110;
/// How many of the app's `/metrics` readings may be missed before its rates count as unknown.
const TRAFFIC_READINGS_MISSED: u32 = 3;
/// Lines the mouse wheel scrolls the log pane by.
const WHEEL_LINES: usize = 3;

/// Everything that can change the dashboard's state, on one channel.
#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    /// The slow tick: the clock moved on (uptimes change).
    Tick(DateTime<Utc>),
    Ops(Event),
    /// What background work found about the inventory's hosts.
    Host(HostMsg),
}

/// Which pane keys go to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Services,
    Logs,
    /// The hosts view, in place of the stack's panes.
    Hosts,
}

/// A window over the panes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Popup {
    /// The keys of the view that was focused when `?` was pressed.
    Help(View),
    /// The history of results and warnings, newest first.
    Events,
    /// Resource use of each service over the last minutes.
    Stats,
    /// A JSON log line pretty-printed (the line itself is unchanged).
    Json(String),
    /// A destructive step waiting for `y`.
    Confirm { question: String, on_yes: Confirmed },
    /// A host key no known-hosts file records, waiting for an explicit `y`.
    HostKey {
        host: String,
        key_type: String,
        fingerprint: String,
    },
    /// The playbooks that can run on `host`; `selected` indexes [`PLAYBOOKS`].
    Playbooks { host: String, selected: usize },
    /// A check run's plan and diffs, waiting for `y` to apply.
    Plan {
        host: String,
        playbook: String,
        steps: Vec<PlanStep>,
        scroll: usize,
    },
}

/// What `y` does in a confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmed {
    Action(Action),
    /// Quit although a job is still running.
    Quit,
}

/// How the status line colours a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusKind {
    Info,
    Ok,
    Error,
}

/// One result or notice for the status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub kind: StatusKind,
    pub text: String,
    pub at: DateTime<Utc>,
}

/// How the dashboard was started.
#[derive(Debug, Clone)]
pub struct Options {
    /// The stack's name, shown in the title.
    pub project: String,
    /// Refuse every action that changes something.
    pub read_only: bool,
    pub theme: Theme,
    /// The user's key overrides.
    pub keymap: Keymap,
    /// The log budget of each service.
    pub budget: Budget,
    /// What all services' logs together may hold, in bytes.
    pub log_total_bytes: usize,
    /// The clock's first reading.
    pub now: DateTime<Utc>,
}

/// The dashboard's whole state. Views draw it; only [`App::update`] changes it.
#[derive(Debug)]
pub struct App {
    pub(crate) options: Options,
    pub(crate) now: DateTime<Utc>,
    pub(crate) services: Vec<ServiceView>,
    pub(crate) selected: usize,
    pub(crate) focus: Focus,
    pub(crate) popup: Option<Popup>,
    pub(crate) ready: VecDeque<ReadySample>,
    pub(crate) last_ready_error: Option<(DateTime<Utc>, String)>,
    pub(crate) logs: LogStore,
    pub(crate) stats: HashMap<String, VecDeque<StatsSample>>,
    /// The app's request and error rates, oldest first.
    pub(crate) traffic: VecDeque<TrafficSample>,
    pub(crate) log_view: LogView,
    pub(crate) jobs: Jobs,
    pub(crate) hosts: Hosts,
    pub(crate) status: Option<Status>,
    pub(crate) history: VecDeque<Status>,
    /// The action handed to the runner whose job has not started yet; no second one meanwhile.
    pub(crate) awaiting_job: Option<String>,
    /// The `:` prompt's text while it is open.
    pub(crate) command_line: Option<String>,
    pub(crate) quit: bool,
    dirty: bool,
    /// Where the last frame drew the services table and the log pane, for the mouse and paging.
    pub(crate) services_area: Cell<Rect>,
    pub(crate) logs_area: Cell<Rect>,
    /// Where `S` saves the log view.
    pub(crate) save_dir: std::path::PathBuf,
}

impl App {
    pub fn new(options: Options) -> App {
        App {
            logs: LogStore::new(options.budget).with_total_bytes(options.log_total_bytes),
            now: options.now,
            options,
            services: Vec::new(),
            selected: 0,
            focus: Focus::Services,
            popup: None,
            ready: VecDeque::new(),
            last_ready_error: None,
            stats: HashMap::new(),
            traffic: VecDeque::new(),
            log_view: LogView::new(),
            jobs: Jobs::default(),
            hosts: Hosts::default(),
            status: None,
            history: VecDeque::new(),
            awaiting_job: None,
            command_line: None,
            quit: false,
            dirty: true,
            services_area: Cell::new(Rect::default()),
            logs_area: Cell::new(Rect::default()),
            save_dir: std::path::PathBuf::from("."),
        }
    }

    /// Applies one message; returns the work the user asked for, if any.
    pub fn update(&mut self, msg: Msg) -> Option<Action> {
        if let Msg::Ops(event) = msg {
            // Events that change nothing on screen (another service's log line, stats while
            // the table is too narrow to show them) cost no frame.
            self.dirty |= self.on_event(event);
            return None;
        }

        self.dirty = true;
        match msg {
            Msg::Key(key) => self.on_key(key),
            Msg::Mouse(mouse) => {
                self.on_mouse(mouse);
                None
            }
            Msg::Resize(..) => None,
            Msg::Tick(now) => {
                self.now = now;
                None
            }
            Msg::Ops(_) => None,
            Msg::Host(msg) => {
                self.on_host_msg(msg);
                None
            }
        }
    }

    /// True once the user asked to quit.
    pub fn should_quit(&self) -> bool {
        self.quit
    }

    /// True when state changed since the last call: the screen needs a redraw.
    pub fn take_dirty(&mut self) -> bool {
        std::mem::take(&mut self.dirty)
    }

    /// The service the table has selected.
    pub fn selected_service(&self) -> Option<&ServiceView> {
        self.services.get(self.selected)
    }

    /// Every service's log lines as the dashboard keeps them.
    pub fn logs(&self) -> &LogStore {
        &self.logs
    }

    /// The newest resource sample of `service`; none while it has no running container, so a
    /// service taken down shows no figures from before.
    pub(crate) fn latest_stats(&self, service: &ServiceView) -> Option<&StatsSample> {
        if service.state != "running" || service.container_id.is_none() {
            return None;
        }
        self.stats.get(&service.name)?.back()
    }

    /// The newest traffic sample while it is recent: a few missed readings of `/metrics` (the
    /// app is down, say) mean the rate is unknown, not what it last was.
    pub(crate) fn current_traffic(&self) -> Option<&TrafficSample> {
        let latest = self.traffic.back()?;
        let stale_after = TRAFFIC_EVERY * TRAFFIC_READINGS_MISSED;
        let age = (self.now - latest.at).to_std().unwrap_or_default();
        (age <= stale_after).then_some(latest)
    }

    /// The status line's current message.
    pub fn status(&self) -> Option<&Status> {
        self.status.as_ref()
    }

    /// The view whose keys apply now.
    pub fn view(&self) -> View {
        match (&self.popup, self.focus) {
            (Some(Popup::Help(_)), _) => View::Help,
            (Some(Popup::Events), _) => View::Events,
            (Some(Popup::Stats), _) => View::Stats,
            (Some(Popup::Json(_)), _) => View::Json,
            (Some(Popup::Confirm { .. }), _) => View::Confirm,
            (Some(Popup::HostKey { .. }), _) => View::HostKey,
            (Some(Popup::Playbooks { .. }), _) => View::Playbooks,
            (Some(Popup::Plan { .. }), _) => View::Plan,
            (None, Focus::Services) => View::Services,
            (None, Focus::Logs) => View::Logs,
            (None, Focus::Hosts) => View::Hosts,
        }
    }

    fn on_key(&mut self, key: KeyEvent) -> Option<Action> {
        if self.command_line.is_some() {
            return self.on_command_line_key(key);
        }
        if self.log_view.prompt.is_some() {
            self.on_prompt_key(key);
            return None;
        }

        let command = input::command(self.view(), key, &self.options.keymap)?;
        self.on_command(command)
    }

    fn on_prompt_key(&mut self, key: KeyEvent) {
        let Some(prompt) = self.log_view.prompt.as_mut() else {
            return;
        };
        let ctrl = key
            .modifiers
            .contains(crossterm::event::KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('r') if ctrl => self.log_view.regex = !self.log_view.regex,
            KeyCode::Char(_) if ctrl => {}
            KeyCode::Char(c) => prompt.push(c),
            KeyCode::Backspace => {
                prompt.pop();
            }
            KeyCode::Esc => self.log_view.prompt = None,
            KeyCode::Enter => {
                let query = self.log_view.prompt.take().unwrap_or_default();
                self.search(&query);
            }
            _ => {}
        }
    }

    fn on_command(&mut self, command: Command) -> Option<Action> {
        match command {
            Command::ForceQuit => self.quit = true,
            Command::Quit => match self.busy_with() {
                Some(title) => {
                    let question = format!(
                        "{title} is still running. Quit anyway? The job stops; a redeploy or \
                         rollback puts its service back as it was first."
                    );
                    self.popup = Some(Popup::Confirm {
                        question,
                        on_yes: Confirmed::Quit,
                    });
                }
                None => self.quit = true,
            },
            Command::Help => match self.popup {
                Some(Popup::Help(_)) => self.popup = None,
                _ => self.popup = Some(Popup::Help(self.view())),
            },
            Command::Close => self.popup = None,
            Command::SelectPrevious => self.select(self.selected.saturating_sub(1)),
            Command::SelectNext => self.select(self.selected + 1),
            Command::FocusLogs => self.focus = Focus::Logs,
            Command::FocusServices => self.focus = Focus::Services,
            Command::SwitchFocus => {
                self.focus = match self.focus {
                    Focus::Services => Focus::Logs,
                    Focus::Logs | Focus::Hosts => Focus::Services,
                }
            }
            Command::Hosts => {
                self.focus = match self.focus {
                    Focus::Hosts => Focus::Services,
                    Focus::Services | Focus::Logs => Focus::Hosts,
                }
            }
            Command::SelectHostPrevious => self.select_host(self.hosts.selected.saturating_sub(1)),
            Command::SelectHostNext => self.select_host(self.hosts.selected + 1),
            Command::RefreshFacts => return self.refresh_facts(),
            Command::Provision => self.pick_playbook(),
            Command::Choose => return self.choose_playbook(),
            Command::PopupUp => self.move_in_host_popup(-1),
            Command::PopupDown => self.move_in_host_popup(1),
            Command::PopupPageUp => self.move_in_host_popup(-10),
            Command::PopupPageDown => self.move_in_host_popup(10),
            Command::Up => return self.request(Action::Up),
            Command::Redeploy => {
                let action =
                    self.for_selected("redeploy", |service| Action::Redeploy { service })?;
                return self.request(action);
            }
            Command::Rollback => {
                let action =
                    self.for_selected("rollback", |service| Action::Rollback { service })?;
                self.ask_to_confirm(action);
            }
            Command::Stop => {
                let action = self.for_selected("stop", |service| Action::Stop { service })?;
                self.ask_to_confirm(action);
            }
            Command::Down => self.ask_to_confirm(Action::Down { volumes: false }),
            Command::CommandLine => self.command_line = Some(String::new()),
            Command::Confirm => match self.popup.take() {
                Some(Popup::Confirm {
                    on_yes: Confirmed::Action(action),
                    ..
                }) => return self.request(action),
                Some(Popup::Confirm {
                    on_yes: Confirmed::Quit,
                    ..
                }) => self.quit = true,
                Some(popup) => return self.confirm_host_popup(popup),
                None => {}
            },
            Command::ScrollUp => self.scroll_back(1),
            Command::ScrollDown => self.scroll_forward(1),
            Command::PageUp => self.scroll_back(self.page()),
            Command::PageDown => self.scroll_forward(self.page()),
            Command::Top => {
                let page = self.page();
                self.with_logs(|view, store, rows| view.top(store, rows, page));
            }
            Command::Bottom => self.log_view.bottom_follow(),
            Command::ToggleFollow => {
                if self
                    .with_logs(|view, store, rows| view.toggle_follow(store, rows))
                    .is_none()
                {
                    self.log_view.follow = !self.log_view.follow;
                }
            }
            Command::ToggleMerged => {
                self.log_view.merged = !self.log_view.merged;
                self.rescope();
            }
            Command::ToggleContext => self.toggle_context(),
            Command::CycleLevel => {
                self.log_view.level = self.log_view.level.next();
                self.keep_anchor_visible();
            }
            Command::PrettyJson => self.pretty_json(),
            Command::SaveLogs => return self.save_logs(),
            Command::ToggleWrap => self.log_view.wrap = !self.log_view.wrap,
            Command::ToggleTimestamps => self.log_view.timestamps = !self.log_view.timestamps,
            Command::Events => self.popup = Some(Popup::Events),
            Command::Stats => self.popup = Some(Popup::Stats),
            Command::Search => self.log_view.prompt = Some(String::new()),
            Command::NextMatch => self.jump_to_match(Direction::Backward),
            Command::PreviousMatch => self.jump_to_match(Direction::Forward),
        }
        None
    }

    /// The title of the stack job running or already asked for but not started yet.
    fn busy_with(&self) -> Option<String> {
        match self.jobs.running() {
            Some(job) => Some(job.title.clone()),
            None => self.awaiting_job.clone(),
        }
    }

    /// The action `make` builds for the selected service; without one, the status line says
    /// that `verb` needs it.
    fn for_selected(&mut self, verb: &str, make: impl FnOnce(String) -> Action) -> Option<Action> {
        let Some(service) = self.selected_service() else {
            self.set_status(StatusKind::Error, format!("{verb}: no service selected"));
            return None;
        };
        Some(make(service.name.clone()))
    }

    fn select(&mut self, index: usize) {
        let index = index.min(self.services.len().saturating_sub(1));
        if index != self.selected {
            self.selected = index;
            if !self.log_view.merged {
                self.rescope();
            }
        }
    }

    fn page(&self) -> usize {
        usize::from(self.logs_area.get().height.saturating_sub(2)).max(1)
    }

    fn on_mouse(&mut self, mouse: MouseEvent) {
        // The hosts view is keyboard-only; the stack's pane areas are stale while it shows.
        if self.popup.is_some() || self.focus == Focus::Hosts {
            return;
        }
        let at = Position::new(mouse.column, mouse.row);
        let services = self.services_area.get();
        let in_logs = self.logs_area.get().contains(at);
        let in_services = services.contains(at);

        match mouse.kind {
            MouseEventKind::ScrollUp if in_logs => self.scroll_back(WHEEL_LINES),
            MouseEventKind::ScrollDown if in_logs => self.scroll_forward(WHEEL_LINES),
            MouseEventKind::ScrollUp if in_services => self.select(self.selected.saturating_sub(1)),
            MouseEventKind::ScrollDown if in_services => self.select(self.selected + 1),
            MouseEventKind::Down(MouseButton::Left) if in_logs => self.focus = Focus::Logs,
            MouseEventKind::Down(MouseButton::Left) if in_services => {
                self.focus = Focus::Services;
                // The table's first two rows are its border and its header.
                let row = mouse.row.saturating_sub(services.y + 2);
                if mouse.row >= services.y + 2 && usize::from(row) < self.services.len() {
                    self.select(usize::from(row));
                }
            }
            _ => {}
        }
    }

    fn set_status(&mut self, kind: StatusKind, text: impl Into<String>) {
        let status = Status {
            kind,
            text: text.into(),
            at: self.now,
        };
        self.status = Some(status.clone());
        self.remember(status);
    }

    /// Adds a notice to the history without showing it on the status line.
    fn record(&mut self, kind: StatusKind, text: String) {
        let at = self.now;
        self.remember(Status { kind, text, at });
    }

    fn remember(&mut self, status: Status) {
        tracing::info!(kind = ?status.kind, "{}", status.text);
        self.history.push_back(status);
        if self.history.len() > HISTORY_KEPT {
            self.history.pop_front();
        }
    }
}
