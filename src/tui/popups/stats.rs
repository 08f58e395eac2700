//! The app's request and error rates (from its `/metrics`), then the resource use of each
//! service: CPU and memory now and as sparklines over the samples kept, and network and disk
//! totals, from the engine's stats stream.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Sparkline};

use crate::ops::TrafficSample;
use crate::tui::app::App;
use crate::tui::views::centered;

/// Rows each service takes: its name, CPU, memory, and input/output.
const ROWS_PER_SERVICE: u16 = 4;
/// Rows the app's traffic takes: a title, requests, errors.
const TRAFFIC_ROWS: u16 = 3;
/// Columns the labels left of the sparklines take.
const LABEL_WIDTH: u16 = 18;

pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let theme = app.options.theme;
    let height = app.services.len() as u16 * ROWS_PER_SERVICE + TRAFFIC_ROWS + 2;
    let popup = centered(area, area.width.saturating_sub(4), height.max(4));
    let block = Block::bordered()
        .title(" stats (Esc closes) ")
        .border_style(theme.border(true));
    let inner = block.inner(popup);
    frame.render_widget(Clear, popup);
    frame.render_widget(block, popup);

    let [traffic_area, inner] =
        Layout::vertical([Constraint::Length(TRAFFIC_ROWS), Constraint::Min(0)]).areas(inner);
    traffic(app, frame, traffic_area);

    let rows = Layout::vertical(
        app.services
            .iter()
            .map(|_| Constraint::Length(ROWS_PER_SERVICE)),
    )
    .split(inner);
    for (service, rows) in app.services.iter().zip(rows.iter()) {
        let samples = app.stats.get(&service.name);
        let [name, cpu, memory, io] = Layout::vertical([Constraint::Length(1); 4]).areas(*rows);
        frame.render_widget(Span::styled(service.name.as_str(), theme.header()), name);

        let Some(latest) = app.latest_stats(service) else {
            let why = if service.state == "running" {
                "  no samples yet"
            } else {
                "  -  (no running container)"
            };
            frame.render_widget(Span::styled(why, theme.muted()), cpu);
            continue;
        };
        // Sparklines take integers: CPU in tenths of a percent, memory in KiB.
        let cpu_values: Vec<u64> = samples
            .into_iter()
            .flatten()
            .map(|sample| (sample.cpu_percent * 10.0).max(0.0) as u64)
            .collect();
        let memory_values: Vec<u64> = samples
            .into_iter()
            .flatten()
            .map(|sample| sample.memory_bytes / 1024)
            .collect();
        let cpu_text = format!("  cpu {:>6.1}%", latest.cpu_percent);
        let memory_text = format!("  mem {:>8}", bytes(latest.memory_bytes));
        spark_row(frame, cpu, cpu_text, &cpu_values, theme.ok());
        spark_row(frame, memory, memory_text, &memory_values, theme.warn());

        let io_text = format!(
            "  net ↓{} ↑{}   disk r {} w {}",
            bytes(latest.net_rx_bytes),
            bytes(latest.net_tx_bytes),
            bytes(latest.block_read_bytes),
            bytes(latest.block_write_bytes)
        );
        frame.render_widget(Paragraph::new(Line::from(io_text)), io);
    }
}

/// Requests and 5xx answers per second as the app counts them, over the samples kept.
fn traffic(app: &App, frame: &mut Frame, area: Rect) {
    let theme = app.options.theme;
    let [name, requests, errors] = Layout::vertical([Constraint::Length(1); 3]).areas(area);
    frame.render_widget(Span::styled("app traffic (/metrics)", theme.header()), name);
    if app.traffic.is_empty() {
        frame.render_widget(Span::styled("  no samples yet", theme.muted()), requests);
        return;
    }
    let rate = |rate: fn(&TrafficSample) -> f64| {
        app.current_traffic().map_or_else(
            || format!("{:>8}", "-"),
            |latest| format!("{:>8.1}", rate(latest)),
        )
    };

    // Sparklines take integers: hundredths of a request per second.
    let scaled = |rate: f64| (rate * 100.0).max(0.0).round() as u64;
    let request_values: Vec<u64> = app
        .traffic
        .iter()
        .map(|sample| scaled(sample.requests_per_second))
        .collect();
    let error_values: Vec<u64> = app
        .traffic
        .iter()
        .map(|sample| scaled(sample.errors_per_second))
        .collect();
    let request_text = format!("  req/s {}", rate(|sample| sample.requests_per_second));
    let error_text = format!("  5xx/s {}", rate(|sample| sample.errors_per_second));
    spark_row(frame, requests, request_text, &request_values, theme.ok());
    spark_row(frame, errors, error_text, &error_values, theme.error());
}

/// A label, then a one-row sparkline of the newest values that fit.
fn spark_row(
    frame: &mut Frame,
    area: Rect,
    label: String,
    values: &[u64],
    style: ratatui::style::Style,
) {
    let [label_area, spark_area] =
        Layout::horizontal([Constraint::Length(LABEL_WIDTH), Constraint::Min(1)]).areas(area);
    frame.render_widget(Span::raw(label), label_area);
    let shown = values.len().min(usize::from(spark_area.width));
    let values = &values[values.len() - shown..];
    frame.render_widget(Sparkline::default().data(values).style(style), spark_area);
}

/// Bytes in the largest binary unit that keeps the number at or above one.
fn bytes(count: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = count as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{count} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
