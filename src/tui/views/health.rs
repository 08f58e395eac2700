//! The app's readiness as seen through the published port: a latency sparkline over the last
//! samples, the latest answer, and the last error with its time.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Sparkline};

use crate::tui::app::App;

pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let theme = app.options.theme;
    let block = Block::bordered()
        .title(" /api/ready ")
        .border_style(theme.border(false));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [spark_area, text_area] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(2)]).areas(inner);

    // One bar per sample, newest on the right; a sample without an answer is an `x` on the
    // bottom row.
    let shown = app.ready.len().min(usize::from(spark_area.width));
    let samples: Vec<_> = app.ready.iter().skip(app.ready.len() - shown).collect();
    let bars: Vec<u64> = samples
        .iter()
        .map(|sample| match sample.latency {
            Some(latency) if sample.error.is_none() => latency.as_millis().max(1) as u64,
            _ => 0,
        })
        .collect();
    frame.render_widget(
        Sparkline::default().data(&bars).style(theme.ok()),
        spark_area,
    );
    if spark_area.height > 0 {
        let bottom = spark_area.bottom() - 1;
        for (x, sample) in (spark_area.x..).zip(&samples) {
            if sample.error.is_some() || sample.latency.is_none() {
                if let Some(cell) = frame.buffer_mut().cell_mut((x, bottom)) {
                    cell.set_symbol("x").set_style(theme.error());
                }
            }
        }
    }

    let latest = match app.ready.back() {
        None => Line::from(Span::styled("waiting for the first sample…", theme.muted())),
        Some(sample) => match (&sample.error, sample.latency) {
            (None, Some(latency)) => {
                let mut spans = vec![
                    Span::styled("ready", theme.ok()),
                    Span::raw(format!(" in {} ms", latency.as_millis())),
                ];
                if let Some((p50, p95)) = percentiles(app) {
                    let text = format!(" · p50 {p50} ms · p95 {p95} ms");
                    spans.push(Span::styled(text, theme.muted()));
                }
                Line::from(spans)
            }
            (Some(error), _) => Line::from(vec![
                Span::styled("not ready: ", theme.error()),
                Span::raw(error.clone()),
            ]),
            (None, None) => Line::from(Span::styled("no answer", theme.error())),
        },
    };
    let last_error = match &app.last_ready_error {
        None => Line::from(Span::styled("no error seen", theme.muted())),
        Some((at, error)) => Line::from(vec![
            Span::styled(
                format!("last error {} ", at.format("%H:%M:%S")),
                theme.warn(),
            ),
            Span::raw(error.clone()),
        ]),
    };
    frame.render_widget(Paragraph::new(vec![latest, last_error]), text_area);
}

/// The median and 95th percentile latency (ms) of the answered samples kept, once there are at
/// least ten.
fn percentiles(app: &App) -> Option<(u128, u128)> {
    let mut millis: Vec<u128> = app
        .ready
        .iter()
        .filter(|sample| sample.error.is_none())
        .filter_map(|sample| sample.latency.map(|latency| latency.as_millis()))
        .collect();
    if millis.len() < 10 {
        return None;
    }
    millis.sort_unstable();
    let at = |fraction: f64| millis[((millis.len() - 1) as f64 * fraction).round() as usize];
    Some((at(0.5), at(0.95)))
}
