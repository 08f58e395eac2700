//! Windows drawn over the panes: the key help, the confirmation of destructive actions, and the
//! hosts view's windows (host key, playbook picker, check plan).

mod hosts;
mod stats;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::app::{App, Popup, StatusKind};
use super::input::{self, View};
use super::views::centered;

pub fn draw(app: &App, popup: &Popup, frame: &mut Frame, area: Rect) {
    match popup {
        Popup::Help(view) => help(app, *view, frame, area),
        Popup::Events => events(app, frame, area),
        Popup::Stats => stats::draw(app, frame, area),
        Popup::Json(text) => json(app, text, frame, area),
        Popup::Confirm { question, .. } => confirm(app, question, frame, area),
        Popup::HostKey {
            host,
            key_type,
            fingerprint,
        } => hosts::host_key(app, host, key_type, fingerprint, frame, area),
        Popup::Playbooks { host, selected } => hosts::playbooks(app, host, *selected, frame, area),
        Popup::Plan {
            host,
            playbook,
            steps,
            scroll,
        } => hosts::plan(app, (host, playbook), steps, *scroll, frame, area),
    }
}

/// Every key of `view`, then how to close the help.
fn help(app: &App, view: View, frame: &mut Frame, area: Rect) {
    let theme = app.options.theme;
    let name = match view {
        View::Services => "services",
        View::Logs => "logs",
        View::Hosts => "hosts",
        View::Help
        | View::Events
        | View::Stats
        | View::Json
        | View::Confirm
        | View::HostKey
        | View::Playbooks
        | View::Plan => "this window",
    };
    let lines: Vec<Line> = input::bindings(view)
        .iter()
        .map(|binding| {
            Line::from(vec![
                Span::styled(
                    format!(" {:<11}", app.options.keymap.label(binding)),
                    theme.header(),
                ),
                Span::raw(binding.help),
            ])
        })
        .collect();
    // The closing hint sits in the bottom border so the logs' keys fit an 80×24 screen.
    let popup = centered(area, 64, lines.len() as u16 + 2);
    let block = Block::bordered()
        .title(format!(" keys: {name} "))
        .title_bottom(Span::styled(
            " Esc or ? closes this help; Ctrl-C quits anywhere ",
            theme.muted(),
        ))
        .border_style(theme.border(true));
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}

fn confirm(app: &App, question: &str, frame: &mut Frame, area: Rect) {
    let theme = app.options.theme;
    let lines = vec![
        Line::from(question.to_string()),
        Line::from(""),
        Line::from(vec![
            Span::styled(" y ", theme.error()),
            Span::raw("go ahead    "),
            Span::styled(" Esc/n ", theme.header()),
            Span::raw("cancel"),
        ]),
    ];

    let popup = centered(area, 56, 8);
    let block = Block::bordered()
        .title(" confirm ")
        .border_style(theme.border(true));
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: true }).block(block),
        popup,
    );
}

/// The results and warnings seen, newest first, with their times.
fn events(app: &App, frame: &mut Frame, area: Rect) {
    let theme = app.options.theme;
    let popup = centered(
        area,
        area.width.saturating_sub(4),
        area.height.saturating_sub(4),
    );
    let rows = usize::from(popup.height.saturating_sub(2));
    let mut lines: Vec<Line> = app
        .history
        .iter()
        .rev()
        .take(rows)
        .map(|status| {
            let (mark, style) = match status.kind {
                StatusKind::Info => ("•", theme.muted()),
                StatusKind::Ok => ("✓", theme.ok()),
                StatusKind::Error => ("✗", theme.error()),
            };
            Line::from(vec![
                Span::styled(format!(" {} ", status.at.format("%H:%M:%S")), theme.muted()),
                Span::styled(format!("{mark} "), style),
                Span::raw(status.text.clone()),
            ])
        })
        .collect();
    if lines.is_empty() {
        lines.push(Line::from(Span::styled(
            " nothing happened yet",
            theme.muted(),
        )));
    }

    let block = Block::bordered()
        .title(" history (Esc closes) ")
        .border_style(theme.border(true));
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}

/// A JSON log line re-indented; its text is shown as it is, control characters made safe.
fn json(app: &App, text: &str, frame: &mut Frame, area: Rect) {
    let theme = app.options.theme;
    let popup = centered(
        area,
        area.width.saturating_sub(4),
        area.height.saturating_sub(4),
    );
    let lines: Vec<Line> = text
        .lines()
        .map(|line| crate::logs::render(line.as_bytes(), &crate::logs::RenderOptions::default()))
        .collect();

    let block = Block::bordered()
        .title(" JSON line (Esc closes) ")
        .border_style(theme.border(true));
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}
