//! The log pane's commands on [`App`]: scrolling, merged view, search and its matches, context
//! view, level filter, JSON popup, saving the view, and new lines arriving. The state they
//! change lives in [`LogView`]; `crate::logs` does the searching and filtering.

use super::{Action, App, LogView, Popup, Rows, StatusKind};
use crate::logs::{self, Direction, LogStore, Matches, Query, Scope, Syntax};
use crate::ops::LogLine;

impl App {
    /// Where `S` saves the log view (the working directory unless changed).
    pub fn set_save_dir(&mut self, dir: impl Into<std::path::PathBuf>) {
        self.save_dir = dir.into();
    }

    /// The lines the log pane shows: every service, or the selected one; `None` while the
    /// selected service has logged nothing.
    pub(crate) fn log_scope(&self) -> Option<Scope> {
        if self.log_view.merged {
            return Some(Scope::All);
        }
        let service = self.selected_service()?;
        self.logs.service_id(&service.name).map(Scope::Service)
    }

    /// The rows of the log pane now.
    pub(crate) fn log_rows(&self) -> Option<Rows> {
        let scope = self.log_scope()?;
        Some(self.log_view.rows(&self.logs, scope))
    }

    pub(super) fn scroll_back(&mut self, lines: usize) {
        self.with_logs(|view, store, rows| view.scroll_back(store, rows, lines));
    }

    pub(super) fn scroll_forward(&mut self, lines: usize) {
        self.with_logs(|view, store, rows| view.scroll_forward(store, rows, lines));
    }

    /// Runs `f` on the log view, the store and the pane's rows, when the pane shows any.
    pub(super) fn with_logs<R>(
        &mut self,
        f: impl FnOnce(&mut LogView, &LogStore, &Rows) -> R,
    ) -> Option<R> {
        let rows = self.log_rows()?;
        Some(f(&mut self.log_view, &self.logs, &rows))
    }

    /// The pane now shows other lines (merged on or off, another service): it follows again and
    /// the search, if any, runs over the new lines.
    pub(super) fn rescope(&mut self) {
        self.log_view.bottom_follow();
        self.log_view.current = None;
        let scope = self.log_scope();
        if let (Some(search), Some(scope)) = (self.log_view.search.as_mut(), scope) {
            *search = Matches::new(&self.logs, scope, search.query().clone());
        }
    }

    /// After a filter changed: a paused view stays on (or next to) its line.
    pub(super) fn keep_anchor_visible(&mut self) {
        if let Some(current) = self.log_view.current {
            let context = self.page() / 2;
            self.with_logs(|view, store, rows| view.show(store, rows, current, context));
        }
    }

    pub(super) fn toggle_context(&mut self) {
        if self.log_view.search.is_none() {
            self.set_status(StatusKind::Info, "no search yet: press / to search");
            return;
        }
        self.log_view.context = !self.log_view.context;
        self.keep_anchor_visible();
    }

    pub(super) fn search(&mut self, text: &str) {
        self.log_view.current = None;
        if text.is_empty() {
            self.log_view.search = None;
            self.log_view.context = false;
            return;
        }
        let syntax = if self.log_view.regex {
            Syntax::Regex
        } else {
            Syntax::Plain
        };
        let query = match Query::new(text, syntax, false) {
            Ok(query) => query,
            Err(err) => {
                self.set_status(StatusKind::Error, err.to_string());
                return;
            }
        };
        let Some(scope) = self.log_scope() else {
            self.set_status(StatusKind::Error, format!("no line matches \"{text}\""));
            return;
        };
        let matches = Matches::new(&self.logs, scope, query);
        let empty = matches.is_empty();
        self.log_view.search = Some(matches);
        if empty {
            self.set_status(StatusKind::Error, format!("no line matches \"{text}\""));
            return;
        }

        // The newest match at or above the bottom of the view, else the newest of all.
        let context = self.page() / 2;
        let found = self.with_logs(|view, store, rows| {
            let bottom = view.pointed(store, rows)?;
            let search = view.search.as_ref()?;
            let key = search
                .keys()
                .rev()
                .find(|key| *key <= bottom && store.contains(scope, *key))
                .or_else(|| search.keys().next_back())?;
            view.show(store, rows, key, context);
            Some(())
        });
        if found.flatten().is_none() {
            self.set_status(StatusKind::Error, format!("no line matches \"{text}\""));
        }
    }

    pub(super) fn jump_to_match(&mut self, direction: Direction) {
        let Some(text) = self
            .log_view
            .search
            .as_ref()
            .map(|m| m.query().text().to_string())
        else {
            self.set_status(StatusKind::Info, "no search yet: press / to search");
            return;
        };
        let context = self.page() / 2;
        let found = self.with_logs(|view, store, rows| {
            let from = view.pointed(store, rows)?;
            let key = view.search.as_ref()?.next(store, from, direction)?;
            view.show(store, rows, key, context);
            Some(())
        });
        if found.flatten().is_none() {
            self.set_status(StatusKind::Info, format!("no line matches \"{text}\""));
        }
    }

    /// Opens the pointed-at line (the current match, else the bottom line) pretty-printed.
    pub(super) fn pretty_json(&mut self) {
        let text = self.with_logs(|view, store, rows| {
            let key = view.pointed(store, rows)?;
            let scope = rows.scope();
            let line = store.line(scope, store.position(scope, key))?;
            logs::pretty_json(&line.line.bytes)
        });
        match text.flatten() {
            Some(text) => self.popup = Some(Popup::Json(text)),
            None => self.set_status(StatusKind::Info, "the line shown is not JSON"),
        }
    }

    /// Asks for what the pane shows (its scope and filters, every kept line) to be saved as
    /// plain text; the text is made here, the file is written by background work.
    pub(super) fn save_logs(&mut self) -> Option<Action> {
        let Some(rows) = self.log_rows() else {
            self.set_status(StatusKind::Error, "save: no log lines to save");
            return None;
        };
        let name = format!("capstan-logs-{}.log", self.now.format("%Y%m%d-%H%M%S"));
        let path = self.save_dir.join(name);
        let scope = rows.scope();
        let store = &self.logs;
        let lines = (0..rows.len()).filter_map(|index| match rows.row(store, index)? {
            logs::Row::Line { key, .. } => store
                .line(scope, store.position(scope, key))
                .filter(|line| line.key == key),
            logs::Row::Gap => None,
        });
        let options = logs::SaveOptions {
            timestamps: self.log_view.timestamps,
            service_names: scope == Scope::All,
        };
        let mut text = Vec::new();
        let lines = match logs::write_plain(store, lines, options, &mut text) {
            Ok(lines) => lines,
            Err(err) => {
                self.set_status(StatusKind::Error, format!("save: {err}"));
                return None;
            }
        };
        let action = Action::SaveLogs { path, text, lines };
        self.set_status(StatusKind::Info, format!("{}…", action.describe()));
        Some(action)
    }

    /// Adds log lines to the store; returns whether the pane shows any of them.
    pub(super) fn add_logs(&mut self, lines: Vec<LogLine>) -> bool {
        let selected = self.selected_service().map(|service| service.name.clone());
        let mut shown = self.log_view.merged;
        for line in lines {
            shown |= selected.as_deref() == Some(line.service.as_str());
            self.logs.push(line);
        }
        if !self.log_view.follow {
            // The lines at the top of a paused view may have just dropped off.
            let page = self.page();
            self.with_logs(|view, store, rows| view.keep_full(store, rows, page));
        }
        let scope = self.log_scope();
        if let Some(search) = self.log_view.search.as_mut() {
            match scope {
                // A service's first line gives it a scope: a search typed before then runs anew.
                Some(scope) if scope != search.scope() => {
                    *search = Matches::new(&self.logs, scope, search.query().clone());
                }
                _ => search.update(&self.logs),
            }
        }
        shown
    }
}
