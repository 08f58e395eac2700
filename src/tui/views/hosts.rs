//! The hosts view: the inventory's hosts with reachability, facts and last run, the selected
//! host's facts in full, and the provisioning run of this session streaming its steps.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table};

use super::jobs::{fit, state_style, symbol};
use crate::ops::JobState;
use crate::tui::app::{App, HostRow, Job, Probe};
use crate::tui::theme::Theme;

pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let table_height = (app.hosts.rows.len() as u16).clamp(1, 10) + 3;
    let [table_area, detail_area, run_area] = Layout::vertical([
        Constraint::Length(table_height),
        Constraint::Length(5),
        Constraint::Min(3),
    ])
    .areas(area);

    table(app, frame, table_area);
    detail(app, frame, detail_area);
    run(app, frame, run_area);
}

fn table(app: &App, frame: &mut Frame, area: Rect) {
    let theme = app.options.theme;
    let block = Block::bordered()
        .title(format!(" hosts · {} ", app.options.project))
        .border_style(theme.border(true));

    if let Some(error) = &app.hosts.error {
        let text = Line::from(Span::styled(format!(" {error}"), theme.error()));
        frame.render_widget(Paragraph::new(text).block(block), area);
        return;
    }
    if app.hosts.rows.is_empty() {
        let text = Line::from(Span::styled(
            " no hosts in the inventory: add one with `capstan hosts add user@host:port`",
            theme.muted(),
        ));
        frame.render_widget(Paragraph::new(text).block(block), area);
        return;
    }

    let header = Row::new([
        "HOST",
        "REACH",
        "OS",
        "SELINUX",
        "FIREWALLD",
        "WEB",
        "LAST RUN",
    ])
    .style(theme.header());
    let rows = app.hosts.rows.iter().enumerate().map(|(index, row)| {
        let (reach, reach_style) = reachability(theme, row);
        let facts = match &row.probe {
            Some(Probe::Facts(facts)) => Some(facts),
            _ => None,
        };
        let cell = |text: Option<String>| Cell::from(text.unwrap_or_else(|| "-".into()));
        let cells = vec![
            Cell::from(row.name.clone()),
            Cell::from(Span::styled(reach, reach_style)),
            cell(facts.map(|f| format!("{} {}", f.os_id, f.os_version))),
            cell(facts.map(|f| f.selinux.clone())),
            cell(facts.map(|f| on_off(f.firewalld).to_string())),
            cell(facts.map(|f| {
                let state = if f.web_server_running { " (up)" } else { "" };
                format!("{}{state}", f.web_server)
            })),
            Cell::from(last_run(app, row, false)),
        ];
        let style = if index == app.hosts.selected {
            theme.selected()
        } else {
            Style::default()
        };
        Row::new(cells).style(style)
    });
    let widths = [
        Constraint::Length(12),
        Constraint::Length(11),
        Constraint::Length(11),
        Constraint::Length(10),
        Constraint::Length(9),
        Constraint::Length(11),
        Constraint::Fill(1),
    ];
    frame.render_widget(Table::new(rows, widths).header(header).block(block), area);
}

fn reachability(theme: Theme, row: &HostRow) -> (&'static str, Style) {
    match (&row.probe, row.probing) {
        (_, true) => ("checking…", theme.warn()),
        (None, false) => ("not checked", theme.muted()),
        (Some(Probe::Facts(_)), false) => ("reachable", theme.ok()),
        (Some(Probe::KeyUnknown { .. }), false) => ("key unknown", theme.warn()),
        (Some(Probe::KeyChanged { .. }), false) => ("KEY CHANGED", theme.error()),
        (Some(Probe::Unreachable(_)), false) => ("unreachable", theme.error()),
    }
}

fn on_off(running: bool) -> &'static str {
    if running { "running" } else { "off" }
}

/// "4 changed, 1h02m ago"; `long` names the playbook and the mode too.
fn last_run(app: &App, row: &HostRow, long: bool) -> String {
    let Some(run) = &row.last_run else {
        return "never".to_string();
    };
    let ago = super::short_duration((app.now - run.at).num_seconds());
    if !long {
        return format!("{}, {ago} ago", run.outcome);
    }
    let mode = if run.check { " (check)" } else { "" };
    let at = run.at.format("%Y-%m-%d %H:%M UTC");
    format!("{}{mode}: {}, {at} ({ago} ago)", run.playbook, run.outcome)
}

/// The selected host: where it points and what was found there.
fn detail(app: &App, frame: &mut Frame, area: Rect) {
    let theme = app.options.theme;
    let Some(row) = app.hosts.selected_row() else {
        frame.render_widget(Block::bordered().title(" host "), area);
        return;
    };
    let found = match &row.probe {
        None => Span::styled("facts not gathered yet (f gathers them)", theme.muted()),
        Some(Probe::Facts(facts)) => Span::raw(facts.summary()),
        Some(Probe::KeyUnknown {
            key_type,
            fingerprint,
        }) => Span::styled(
            format!("host key not known: {key_type} {fingerprint} (p or f to review)"),
            theme.warn(),
        ),
        Some(Probe::KeyChanged { expected, found }) => Span::styled(
            format!("host key CHANGED, refused: recorded {expected}, offered {found}"),
            theme.error(),
        ),
        Some(Probe::Unreachable(why)) => Span::styled(why.clone(), theme.error()),
    };
    let lines = vec![
        Line::from(vec![
            Span::styled(" target ", theme.muted()),
            Span::raw(row.target.clone()),
        ]),
        Line::from(vec![Span::styled(" facts  ", theme.muted()), found]),
        Line::from(vec![
            Span::styled(" last   ", theme.muted()),
            Span::raw(last_run(app, row, true)),
        ]),
    ];
    let block = Block::bordered().title(format!(" {} ", row.name));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// The provisioning job of this session on the selected host, newest steps in view.
fn run(app: &App, frame: &mut Frame, area: Rect) {
    let theme = app.options.theme;
    let job = app
        .hosts
        .selected_row()
        .and_then(|row| app.jobs.current().filter(|job| is_run_on(job, &row.name)));
    let Some(job) = job else {
        let text = Line::from(Span::styled(
            " no run on this host yet: p picks a playbook (check mode first)",
            theme.muted(),
        ));
        let block = Block::bordered().title(" run ");
        frame.render_widget(Paragraph::new(text).block(block), area);
        return;
    };

    let state = job
        .finished
        .as_ref()
        .map_or(JobState::Running, |(state, _)| *state);
    let title = match &job.finished {
        Some((_, summary)) => format!(" {} · {summary} ", job.title),
        None => format!(" {} · running ", job.title),
    };
    let block = Block::bordered()
        .title(Span::styled(title, state_style(theme, state)))
        .border_style(theme.border(job.is_running()));
    let inner = block.inner(area);
    let name_width = usize::from(inner.width) / 2;
    let lines: Vec<Line> = job
        .steps
        .iter()
        .map(|step| {
            let mut spans = vec![
                Span::styled(
                    format!(" {} ", symbol(step.state)),
                    state_style(theme, step.state),
                ),
                Span::raw(format!("{:<name_width$}", fit(&step.name, name_width))),
                Span::styled(
                    format!("{:>6.1}s", step.elapsed.as_secs_f64()),
                    theme.muted(),
                ),
            ];
            let first = step.detail.as_deref().and_then(|d| d.lines().next());
            if let Some(first) = first {
                spans.push(Span::styled(format!(" {first}"), theme.muted()));
            }
            Line::from(spans)
        })
        .collect();
    let skip = lines.len().saturating_sub(usize::from(inner.height));
    let lines: Vec<Line> = lines.into_iter().skip(skip).collect();
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// True when `job` is a provisioning run on `host` (its title as `provision::job` words it).
fn is_run_on(job: &Job, host: &str) -> bool {
    let Some(rest) = job.title.strip_prefix("provision ") else {
        return false;
    };
    let rest = rest.trim_end_matches(" (check)");
    rest.ends_with(&format!(" on {host}"))
}
