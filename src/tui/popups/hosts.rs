//! The hosts view's windows: the host-key dialog, the playbook picker, and the check plan with
//! its diffs (scrollable) waiting for `y`.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use crate::tui::app::{App, PLAYBOOKS, PlanStep};
use crate::tui::theme::Theme;
use crate::tui::views::centered;
use crate::tui::views::jobs::{state_style, symbol};

/// An unknown host key: its type and SHA256 fingerprint, and that only `y` trusts it.
pub fn host_key(
    app: &App,
    host: &str,
    key_type: &str,
    fingerprint: &str,
    frame: &mut Frame,
    area: Rect,
) {
    let theme = app.options.theme;
    let lines = vec![
        Line::from(format!("The host key of {host} is in no known-hosts file.")),
        Line::from(""),
        Line::from(vec![
            Span::styled(" type        ", theme.muted()),
            Span::raw(key_type.to_string()),
        ]),
        Line::from(vec![
            Span::styled(" fingerprint ", theme.muted()),
            Span::styled(fingerprint.to_string(), theme.header()),
        ]),
        Line::from(""),
        Line::from("Compare it with the host's own (ssh-keygen -lf on the host). Trust it?"),
        Line::from(""),
        Line::from(vec![
            Span::styled(" y ", theme.error()),
            Span::raw("trust this exact key    "),
            Span::styled(" Esc/n ", theme.header()),
            Span::raw("refuse"),
        ]),
    ];

    let popup = centered(area, 72, lines.len() as u16 + 2);
    let block = Block::bordered()
        .title(" unknown host key ")
        .border_style(theme.border(true));
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        popup,
    );
}

/// The shipped playbooks; Enter runs the selected one in check mode.
pub fn playbooks(app: &App, host: &str, selected: usize, frame: &mut Frame, area: Rect) {
    let theme = app.options.theme;
    let mut lines: Vec<Line> = PLAYBOOKS
        .iter()
        .enumerate()
        .map(|(index, name)| {
            let style = if index == selected {
                theme.selected()
            } else {
                Style::default()
            };
            Line::from(Span::styled(format!(" {name:<40}"), style))
        })
        .collect();
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        " Enter runs it in check mode first; Esc cancels",
        theme.muted(),
    )));

    let popup = centered(area, 56, lines.len() as u16 + 2);
    let block = Block::bordered()
        .title(format!(" playbook for {host} "))
        .border_style(theme.border(true));
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}

/// The check run's plan: each step with what it would do, every diff in full, and the keys.
pub fn plan(
    app: &App,
    (host, playbook): (&str, &str),
    steps: &[PlanStep],
    scroll: usize,
    frame: &mut Frame,
    area: Rect,
) {
    let theme = app.options.theme;
    let popup = centered(
        area,
        area.width.saturating_sub(4),
        area.height.saturating_sub(2),
    );
    let block = Block::bordered()
        .title(format!(
            " plan: {playbook} on {host} (check, nothing changed) "
        ))
        .title_bottom(keys_line(theme, app.options.read_only))
        .border_style(theme.border(true));
    let inner = block.inner(popup);

    let lines = plan_lines(theme, steps);
    let last_start = lines.len().saturating_sub(usize::from(inner.height));
    let lines: Vec<Line> = lines.into_iter().skip(scroll.min(last_start)).collect();

    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}

fn keys_line(theme: Theme, read_only: bool) -> Line<'static> {
    let apply = if read_only {
        Span::styled(" read-only: check only ", theme.muted())
    } else {
        Span::styled(" y apply ", theme.error())
    };
    Line::from(vec![
        apply,
        Span::styled(" ↑↓/PgUp/PgDn scroll ", theme.muted()),
        Span::styled(" Esc cancel ", theme.header()),
    ])
}

fn plan_lines(theme: Theme, steps: &[PlanStep]) -> Vec<Line<'static>> {
    let changes = steps
        .iter()
        .filter(|step| step.state == crate::ops::JobState::Changed)
        .count();
    let mut lines = vec![Line::from(Span::styled(
        format!(" {changes} step(s) would change the host"),
        theme.header(),
    ))];
    for step in steps {
        let word = match step.state {
            crate::ops::JobState::Changed => "would change",
            crate::ops::JobState::Ok => "ok",
            crate::ops::JobState::Skipped => "skipped",
            crate::ops::JobState::Failed => "FAILED",
            crate::ops::JobState::Waiting | crate::ops::JobState::Running => "pending",
        };
        lines.push(Line::from(vec![
            Span::styled(
                format!(" {} ", symbol(step.state)),
                state_style(theme, step.state),
            ),
            Span::raw(step.name.clone()),
            Span::styled(format!("  {word}"), state_style(theme, step.state)),
        ]));
        for text in step.detail.iter().flat_map(|detail| detail.lines()) {
            let style = if text.starts_with('+') && !text.starts_with("+++") {
                theme.ok()
            } else if text.starts_with('-') && !text.starts_with("---") {
                theme.error()
            } else {
                theme.muted()
            };
            lines.push(Line::from(Span::styled(format!("     {text}"), style)));
        }
    }
    lines
}
