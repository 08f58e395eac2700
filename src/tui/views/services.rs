//! The services table: name, state, health, uptime, image, published port.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::{Block, Cell, Row, Table, TableState};

use super::short_duration;
use crate::ops::{Health, ServiceView};
use crate::tui::app::{App, Focus, STATS_MIN_WIDTH};

pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let theme = app.options.theme;
    let title = format!(" capstan · {} ", app.options.project);
    let block = Block::bordered()
        .title(title)
        .border_style(theme.border(app.focus == Focus::Services));

    if app.services.is_empty() {
        let waiting = Span::styled(
            "  waiting for the engine's list of services…",
            theme.muted(),
        );
        frame.render_widget(ratatui::widgets::Paragraph::new(waiting).block(block), area);
        return;
    }

    let with_stats = area.width >= STATS_MIN_WIDTH;
    let mut header = vec!["NAME", "STATE", "HEALTH", "UPTIME", "IMAGE", "PORT"];
    let mut widths = vec![
        Constraint::Length(10),
        Constraint::Length(9),
        Constraint::Fill(1),
        Constraint::Length(7),
        Constraint::Fill(1),
        Constraint::Length(6),
    ];
    if with_stats {
        header.extend(["CPU", "MEM"]);
        widths.extend([Constraint::Length(7), Constraint::Length(10)]);
    }
    let header = Row::new(header).style(theme.header());
    let rows = app
        .services
        .iter()
        .map(|service| row(app, service, with_stats));
    let table = Table::new(rows, widths)
        .header(header)
        .block(block)
        .row_highlight_style(theme.selected())
        .highlight_symbol("▶ ");
    let mut state = TableState::default().with_selected(Some(app.selected));
    frame.render_stateful_widget(table, area, &mut state);
}

fn row<'a>(app: &App, service: &'a ServiceView, with_stats: bool) -> Row<'a> {
    let theme = app.options.theme;
    let state_style = if service.state == "running" {
        theme.ok()
    } else {
        theme.warn()
    };
    let (health, health_style) = match &service.health {
        Health::Healthy => ("healthy".to_string(), theme.ok()),
        Health::Starting => ("starting".to_string(), theme.warn()),
        Health::Unhealthy(reason) => (format!("unhealthy: {reason}"), theme.error()),
        Health::Unknown => ("-".to_string(), Style::new()),
    };
    let uptime = match service.started_at {
        Some(started) if service.state == "running" => {
            short_duration((app.now - started).num_seconds())
        }
        _ => "-".to_string(),
    };
    let port = service
        .port
        .map_or_else(|| "-".to_string(), |port| port.to_string());

    let mut cells = vec![
        Cell::from(service.name.as_str()),
        Cell::from(service.state.as_str()).style(state_style),
        Cell::from(health).style(health_style),
        Cell::from(uptime),
        Cell::from(service.image.as_str()),
        Cell::from(port),
    ];
    if with_stats {
        let (cpu, memory) = match app.latest_stats(service) {
            Some(sample) => (
                format!("{:.1}%", sample.cpu_percent),
                mebibytes(sample.memory_bytes),
            ),
            None => ("-".to_string(), "-".to_string()),
        };
        cells.extend([Cell::from(cpu), Cell::from(memory)]);
    }
    Row::new(cells)
}

fn mebibytes(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}
