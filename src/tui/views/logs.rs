//! The log pane of the selected service: the lines around the view's position, with search
//! matches highlighted, wrapped or cut at the pane's width.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use crate::tui::app::{App, Focus, plain_text};

pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let theme = app.options.theme;
    let view = &app.log_view;
    let name = app
        .selected_service()
        .map_or("no service", |service| service.name.as_str());
    let buffer = app.selected_logs();

    let mut title = format!(" logs: {name} · ");
    if view.follow {
        title.push_str("following");
    } else {
        title.push_str(&format!("paused, {} back", view.scroll));
    }
    if view.wrap {
        title.push_str(" · wrap");
    }
    if let Some(query) = &view.query {
        title.push_str(&format!(" · /{query}"));
    }
    title.push(' ');
    let block = Block::bordered()
        .title(title)
        .border_style(theme.border(app.focus == Focus::Logs));
    let inner = block.inner(area);

    let (Some(buffer), Some(bottom)) = (buffer, buffer.and_then(|b| view.bottom_index(b))) else {
        let empty = Span::styled("no log lines yet", theme.muted());
        frame.render_widget(Paragraph::new(empty).block(block), area);
        return;
    };

    // Walk back from the bottom line until the pane's rows are used up.
    let height = usize::from(inner.height);
    let width = usize::from(inner.width).max(1);
    let mut rows = 0;
    let matched = view.matched_index(buffer);
    let mut lines = Vec::new();
    for index in (0..=bottom).rev() {
        if rows >= height {
            break;
        }
        let Some(line) = buffer.get(index) else {
            break;
        };
        let mut text = plain_text(&line.bytes);
        if view.timestamps {
            let stamp = line.timestamp.map_or_else(
                || "--:--:--.---".to_string(),
                |at| at.format("%H:%M:%S%.3f").to_string(),
            );
            text.insert_str(0, &format!("{stamp} "));
        }
        rows += if view.wrap {
            text.width().div_ceil(width).max(1)
        } else {
            1
        };
        // Many servers (MariaDB among them) log everything to stderr: the stream gets no colour.
        let base = if matched == Some(index) {
            theme.selected()
        } else {
            Style::new()
        };
        lines.push(highlighted(
            text,
            view.query.as_deref(),
            base,
            theme.highlight(),
        ));
    }
    lines.reverse();

    let mut paragraph = Paragraph::new(lines).block(block);
    if view.wrap {
        let overflow = rows.saturating_sub(height) as u16;
        paragraph = paragraph.wrap(Wrap { trim: false }).scroll((overflow, 0));
    }
    frame.render_widget(paragraph, area);
}

/// The line with every case-insensitive occurrence of `query` in the highlight style.
fn highlighted(text: String, query: Option<&str>, base: Style, highlight: Style) -> Line<'static> {
    let lower = text.to_lowercase();
    let query = match query {
        // Lower-casing can change byte lengths (rare scripts); then the line is not marked.
        Some(query) if !query.is_empty() && lower.len() == text.len() => query,
        _ => return Line::styled(text, base),
    };

    let mut spans = Vec::new();
    let mut from = 0;
    for (start, found) in lower.match_indices(query) {
        if start < from {
            continue;
        }
        if start > from {
            spans.push(Span::styled(text[from..start].to_string(), base));
        }
        let end = start + found.len();
        spans.push(Span::styled(text[start..end].to_string(), highlight));
        from = end;
    }
    if from < text.len() {
        spans.push(Span::styled(text[from..].to_string(), base));
    }
    Line::from(spans)
}
