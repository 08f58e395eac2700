//! The log pane: the rows of the log view (one service or all merged, filtered or not) around
//! its position, in the lines' own ANSI colours, search matches highlighted, each line marked
//! with its service in the merged view, wrapped or cut at the pane's width.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::logs::{self, RenderOptions, Row, Scope};
use crate::tui::app::{App, Focus, LevelFilter, MAX_LINE_CHARS};
use crate::tui::theme::Theme;

pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let theme = app.options.theme;
    let view = &app.log_view;
    let store = &app.logs;
    let rows = app.log_rows();
    let bottom = rows.as_ref().and_then(|rows| view.bottom(store, rows));

    let block = Block::bordered()
        .title(title(app, rows.as_ref().map_or(0, |r| r.len()), bottom))
        .border_style(theme.border(app.focus == Focus::Logs));
    let inner = block.inner(area);
    let (Some(rows), Some(bottom)) = (rows, bottom) else {
        let empty = Span::styled("no log lines yet", theme.muted());
        frame.render_widget(Paragraph::new(empty).block(block), area);
        return;
    };

    // Walk back from the bottom row until the pane's rows are used up.
    let scope = rows.scope();
    let name_width = match scope {
        Scope::All => store
            .services()
            .map(|(_, name)| name.len())
            .max()
            .unwrap_or(0),
        Scope::Service(_) => 0,
    };
    let height = usize::from(inner.height);
    let width = usize::from(inner.width).max(1);
    // With wrap on, the current match may sit more rows above the bottom than the pane has:
    // the walk goes on until it is reached (within a pane's count of lines), and the rows below
    // it are given up instead of its first rows.
    let seek_current = view.wrap && view.current.is_some();
    let mut current_at = None;
    let mut used = 0;
    let mut lines = Vec::new();
    let mut heights = Vec::new();
    for index in (0..=bottom).rev() {
        let seeking = seek_current && current_at.is_none() && bottom - index < height;
        if used >= height && !seeking {
            break;
        }
        let Some(row) = rows.row(store, index) else {
            break;
        };
        let line = match row {
            Row::Gap => Line::styled("  ⋯", theme.muted()),
            Row::Line { key, .. } => {
                let Some(line) = store
                    .line(scope, store.position(scope, key))
                    .filter(|line| line.key == key)
                else {
                    continue;
                };
                let mut spans = Vec::new();
                if scope == Scope::All {
                    let name = store.service_name(line.service).unwrap_or("?");
                    let colour = line.service.colour_index(Theme::SERVICE_COLOURS);
                    spans.push(Span::styled(
                        format!("{name:<name_width$} │ "),
                        theme.service(colour),
                    ));
                }
                if view.timestamps {
                    let stamp = line.line.timestamp.map_or_else(
                        || "--:--:--.---".to_string(),
                        |at| at.format("%H:%M:%S%.3f").to_string(),
                    );
                    spans.push(Span::styled(format!("{stamp} "), theme.muted()));
                }
                let prefix: usize = spans.iter().map(|span| span.width()).sum();
                let highlights = match &view.search {
                    Some(search) => search.query().ranges(&line.line.bytes),
                    None => Vec::new(),
                };
                let options = RenderOptions {
                    max_columns: if view.wrap {
                        MAX_LINE_CHARS
                    } else {
                        width.saturating_sub(prefix).max(1)
                    },
                    colors: theme.has_color(),
                    highlights: &highlights,
                    highlight: theme.highlight(),
                };
                spans.extend(logs::render(&line.line.bytes, &options).spans);
                let mut shown = Line::from(spans);
                if view.current == Some(key) {
                    shown = shown.patch_style(theme.selected());
                    current_at = Some(lines.len());
                }
                shown
            }
        };
        let rows = if view.wrap {
            line.width().div_ceil(width).max(1)
        } else {
            1
        };
        used += rows;
        heights.push(rows);
        lines.push(line);
    }
    // The rows cut off the top; with a current match, never its first row.
    let mut overflow = used.saturating_sub(height);
    if let (true, Some(current)) = (view.wrap, current_at) {
        let above: usize = heights[current + 1..].iter().sum();
        let mut newest = 0;
        while overflow > above && newest < current {
            overflow = overflow.saturating_sub(heights[newest]);
            newest += 1;
        }
        lines.drain(..newest);
        overflow = overflow.min(above);
    }
    lines.reverse();

    let mut paragraph = Paragraph::new(lines).block(block);
    if view.wrap {
        paragraph = paragraph
            .wrap(Wrap { trim: false })
            .scroll((overflow as u16, 0));
    }
    frame.render_widget(paragraph, area);
}

/// ` logs: api · paused, 5 back · wrap · /query 2/7 · context · ≥warn `
fn title(app: &App, len: usize, bottom: Option<usize>) -> String {
    let view = &app.log_view;
    let name = if view.merged {
        "all services"
    } else {
        app.selected_service()
            .map_or("no service", |service| service.name.as_str())
    };

    let mut title = format!(" logs: {name} · ");
    match (view.follow, bottom) {
        (true, _) => title.push_str("following"),
        (false, Some(bottom)) => {
            title.push_str(&format!("paused, {} back", len.saturating_sub(bottom + 1)));
        }
        (false, None) => title.push_str("paused"),
    }
    if view.wrap {
        title.push_str(" · wrap");
    }
    if let Some(search) = &view.search {
        let mark = if view.regex { "regex " } else { "" };
        let count = search.len();
        let at = view
            .current
            .and_then(|current| search.keys().position(|key| key == current));
        match at {
            Some(at) => title.push_str(&format!(
                " · {mark}/{} {}/{count}",
                search.query().text(),
                at + 1
            )),
            None => title.push_str(&format!(" · {mark}/{} ({count})", search.query().text())),
        }
    }
    if view.context {
        title.push_str(" · context");
    }
    match view.level {
        LevelFilter::All => {}
        LevelFilter::Warn => title.push_str(" · ≥warn"),
        LevelFilter::Error => title.push_str(" · ≥error"),
    }
    title.push(' ');
    title
}
