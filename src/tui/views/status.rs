//! The status line: the last action's result (or the search prompt), and the key hints.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::app::{App, StatusKind};
use crate::tui::input::Command;

pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let theme = app.options.theme;
    let keymap = &app.options.keymap;
    let help = keymap.label_of(Command::Help).unwrap_or_default();
    let quit = keymap.label_of(Command::Quit).unwrap_or_default();
    let mode = if app.options.read_only {
        "READ-ONLY  "
    } else {
        ""
    };
    let hints = Span::styled(format!("  {mode}{help} help  {quit} quit "), theme.muted());
    let [left, right] =
        Layout::horizontal([Constraint::Min(1), Constraint::Length(hints.width() as u16)])
            .areas(area);

    let message = if let Some(line) = &app.command_line {
        Line::from(vec![
            Span::styled(":", theme.header()),
            Span::raw(format!("{line}▏")),
        ])
    } else if let Some(prompt) = &app.log_view.prompt {
        Line::from(vec![
            Span::styled(
                if app.log_view.regex { "regex /" } else { "/" },
                theme.header(),
            ),
            Span::raw(format!("{prompt}▏")),
        ])
    } else {
        match &app.status {
            None => Line::from(Span::styled(" ready", theme.muted())),
            Some(status) => {
                let (mark, style) = match status.kind {
                    StatusKind::Info => ("•", theme.muted()),
                    StatusKind::Ok => ("✓", theme.ok()),
                    StatusKind::Error => ("✗", theme.error()),
                };
                Line::from(vec![
                    Span::styled(format!(" {mark} "), style),
                    Span::styled(status.text.clone(), style),
                ])
            }
        }
    };

    frame.render_widget(Paragraph::new(message), left);
    frame.render_widget(Paragraph::new(hints), right);
}
