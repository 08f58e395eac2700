//! Where the log pane looks in the log store: merged or one service, following or paused at a
//! line, wrap and timestamps, the search with its matches, the context view and the level
//! filter. Reads `crate::logs`; does no I/O.
//!
//! A paused view is anchored to a [`LineKey`], not a count of lines: it stays on the same line
//! while new lines arrive and old ones drop off the store.

use crate::logs::{self, Level, LineKey, LogStore, Matches, Row, Scope};

/// The most characters of one line the pane ever looks at, so a 1 MB line costs no more to draw
/// than a long one.
pub const MAX_LINE_CHARS: usize = 4096;

/// Lines shown above and below each match in the context view.
pub const CONTEXT_LINES: usize = 3;

/// Which lines the level filter keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LevelFilter {
    #[default]
    All,
    /// Warnings and worse.
    Warn,
    /// Errors and worse.
    Error,
}

impl LevelFilter {
    /// The next filter of the cycle all → ≥warn → ≥error → all.
    pub fn next(self) -> LevelFilter {
        match self {
            LevelFilter::All => LevelFilter::Warn,
            LevelFilter::Warn => LevelFilter::Error,
            LevelFilter::Error => LevelFilter::All,
        }
    }

    /// The least level kept; `None` keeps every line, those without a level included.
    pub fn min(self) -> Option<Level> {
        match self {
            LevelFilter::All => None,
            LevelFilter::Warn => Some(Level::Warn),
            LevelFilter::Error => Some(Level::Error),
        }
    }
}

/// The log pane's position and options.
#[derive(Debug, Clone, Default)]
pub struct LogView {
    /// Following shows the newest line at the bottom; paused shows `anchor` there.
    pub follow: bool,
    /// The line at the bottom of a paused view.
    pub anchor: Option<LineKey>,
    /// All services interleaved by timestamp instead of the selected one.
    pub merged: bool,
    pub wrap: bool,
    /// Show the engine's timestamp before each line.
    pub timestamps: bool,
    /// The query being typed after `/`, while the prompt is open.
    pub prompt: Option<String>,
    /// The prompt's text is a regular expression (Ctrl-R in the prompt toggles it).
    pub regex: bool,
    /// The last search run; matches are highlighted and `n`/`N` jump between them.
    pub search: Option<Matches>,
    /// The match the last jump landed on.
    pub current: Option<LineKey>,
    /// Only matches and the lines around them are shown.
    pub context: bool,
    pub level: LevelFilter,
}

/// The rows a view shows: every line of its scope, or a filtered list.
#[derive(Debug, Clone)]
pub enum Rows {
    All { scope: Scope, len: usize },
    Filtered { scope: Scope, rows: Vec<Row> },
}

impl Rows {
    pub fn len(&self) -> usize {
        match self {
            Rows::All { len, .. } => *len,
            Rows::Filtered { rows, .. } => rows.len(),
        }
    }

    pub fn scope(&self) -> Scope {
        match self {
            Rows::All { scope, .. } | Rows::Filtered { scope, .. } => *scope,
        }
    }

    /// The row at `index`; `None` past the end.
    pub fn row(&self, store: &LogStore, index: usize) -> Option<Row> {
        match self {
            Rows::All { scope, .. } => store.line(*scope, index).map(|line| Row::Line {
                key: line.key,
                is_match: false,
            }),
            Rows::Filtered { rows, .. } => rows.get(index).copied(),
        }
    }

    /// The key of the line at `index`, or of the nearest line before it (gaps have none).
    fn key_near(&self, store: &LogStore, index: usize) -> Option<LineKey> {
        (0..=index.min(self.len().saturating_sub(1)))
            .rev()
            .chain(index + 1..self.len())
            .find_map(|i| match self.row(store, i)? {
                Row::Line { key, .. } => Some(key),
                Row::Gap => None,
            })
    }

    /// The index of the last row whose line is at or before `key` (0 when none is).
    pub fn index_of(&self, store: &LogStore, key: LineKey) -> usize {
        match self {
            Rows::All { scope, len } => {
                let position = store.position(*scope, key);
                let exact = store.line(*scope, position).is_some_and(|l| l.key == key);
                let index = if exact {
                    position
                } else {
                    position.saturating_sub(1)
                };
                index.min(len.saturating_sub(1))
            }
            Rows::Filtered { rows, .. } => rows
                .iter()
                .rposition(|row| matches!(row, Row::Line { key: k, .. } if *k <= key))
                .unwrap_or(0),
        }
    }
}

impl LogView {
    pub fn new() -> LogView {
        LogView {
            follow: true,
            ..LogView::default()
        }
    }

    /// The rows the view shows in `scope` with its context view and level filter.
    pub fn rows(&self, store: &LogStore, scope: Scope) -> Rows {
        let min = self.level.min();
        let matches = self.search.as_ref().filter(|m| m.scope() == scope);
        match (self.context, matches, min) {
            (true, Some(matches), _) => {
                let mut rows = logs::with_context(store, matches, CONTEXT_LINES);
                if let Some(min) = min {
                    rows.retain(|row| match row {
                        Row::Line { key, .. } => level_of(store, scope, *key) >= Some(min),
                        Row::Gap => true,
                    });
                }
                Rows::Filtered { scope, rows }
            }
            (_, _, Some(min)) => {
                let rows = logs::at_level(store, scope, min)
                    .into_iter()
                    .map(|key| Row::Line {
                        key,
                        is_match: false,
                    })
                    .collect();
                Rows::Filtered { scope, rows }
            }
            _ => Rows::All {
                scope,
                len: store.len(scope),
            },
        }
    }

    /// The index of the row at the bottom of the view.
    pub fn bottom(&self, store: &LogStore, rows: &Rows) -> Option<usize> {
        let last = rows.len().checked_sub(1)?;
        match (self.follow, self.anchor) {
            (false, Some(anchor)) => Some(rows.index_of(store, anchor).min(last)),
            _ => Some(last),
        }
    }

    /// Scrolls back (towards older lines) by `lines`; pauses following.
    pub fn scroll_back(&mut self, store: &LogStore, rows: &Rows, lines: usize) {
        let Some(bottom) = self.bottom(store, rows) else {
            return;
        };
        self.anchor = rows.key_near(store, bottom.saturating_sub(lines));
        self.follow = false;
    }

    /// Scrolls forward (towards newer lines) by `lines`; following resumes at the bottom.
    pub fn scroll_forward(&mut self, store: &LogStore, rows: &Rows, lines: usize) {
        let Some(bottom) = self.bottom(store, rows) else {
            return;
        };
        let index = bottom.saturating_add(lines);
        if index + 1 >= rows.len() {
            self.bottom_follow();
        } else {
            self.anchor = rows.key_near(store, index);
        }
    }

    /// Shows the oldest lines: the oldest at the top of a pane `page` rows high.
    pub fn top(&mut self, store: &LogStore, rows: &Rows, page: usize) {
        self.anchor = rows.key_near(store, page.saturating_sub(1));
        self.follow = false;
    }

    /// Keeps a paused pane `page` rows high full after old lines dropped off the store: when
    /// fewer than a page of rows lie at or above its bottom, it shows the oldest rows kept.
    pub fn keep_full(&mut self, store: &LogStore, rows: &Rows, page: usize) {
        if self.follow {
            return;
        }
        let Some(bottom) = self.bottom(store, rows) else {
            return;
        };
        let full = page.min(rows.len());
        if bottom + 1 < full {
            self.anchor = rows.key_near(store, full - 1);
        }
    }

    pub fn bottom_follow(&mut self) {
        self.anchor = None;
        self.follow = true;
    }

    /// Pauses following where the view is, or resumes it at the newest line.
    pub fn toggle_follow(&mut self, store: &LogStore, rows: &Rows) {
        if self.follow {
            self.anchor = self
                .bottom(store, rows)
                .and_then(|bottom| rows.key_near(store, bottom));
            self.follow = false;
        } else {
            self.bottom_follow();
        }
    }

    /// The line the view points at: the current match, else the bottom line.
    pub fn pointed(&self, store: &LogStore, rows: &Rows) -> Option<LineKey> {
        self.current.or_else(|| {
            self.bottom(store, rows)
                .and_then(|bottom| rows.key_near(store, bottom))
        })
    }

    /// Moves so the line with `key` sits `context` rows above the bottom of the view.
    pub fn show(&mut self, store: &LogStore, rows: &Rows, key: LineKey, context: usize) {
        let index = rows.index_of(store, key).saturating_add(context);
        self.anchor = rows.key_near(store, index.min(rows.len().saturating_sub(1)));
        self.follow = false;
        self.current = Some(key);
    }
}

/// The level of the line with `key` in `scope`, if it is kept and has one.
fn level_of(store: &LogStore, scope: Scope, key: LineKey) -> Option<Level> {
    let line = store.line(scope, store.position(scope, key))?;
    (line.key == key).then_some(line.level).flatten()
}
