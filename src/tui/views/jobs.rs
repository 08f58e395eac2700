//! The running (or last) job: its title and state, and each step with its state and time.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::ops::JobState;
use crate::tui::app::{App, Job};
use crate::tui::theme::Theme;

pub fn draw(app: &App, job: &Job, frame: &mut Frame, area: Rect) {
    let theme = app.options.theme;
    let state = job
        .finished
        .as_ref()
        .map_or(JobState::Running, |(state, _)| *state);
    let title = format!(" {} · {} ", job.title, state_word(state));
    let block = Block::bordered()
        .title(Span::styled(title, state_style(theme, state)))
        .border_style(theme.border(job.is_running()));
    let inner = block.inner(area);

    // Names line up in one column, as wide as the longest name but never most of the pane.
    let name_width = job
        .steps
        .iter()
        .map(|step| step.name.chars().count())
        .max()
        .unwrap_or(0)
        .min(usize::from(inner.width) / 2);
    let mut lines: Vec<Line> = job
        .steps
        .iter()
        .map(|step| {
            let mut spans = vec![
                Span::styled(
                    format!("{} ", symbol(step.state)),
                    state_style(theme, step.state),
                ),
                Span::raw(format!("{:<name_width$}", fit(&step.name, name_width))),
                Span::styled(
                    format!("{:>7.1}s", step.elapsed.as_secs_f64()),
                    theme.muted(),
                ),
            ];
            // A provisioning step's detail can hold a whole diff: its first line fits here.
            if let Some(first) = step.detail.as_deref().and_then(|d| d.lines().next()) {
                spans.push(Span::raw(format!(" {first}")));
            }
            Line::from(spans)
        })
        .collect();
    if let Some(last) = job.lines.back().filter(|_| job.is_running()) {
        lines.push(Line::from(Span::styled(last.clone(), theme.muted())));
    }
    // Keep the newest steps in view when there are more than fit.
    let skip = lines.len().saturating_sub(usize::from(inner.height));
    let lines: Vec<Line> = lines.into_iter().skip(skip).collect();

    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// `text` cut to `width` characters, the cut marked with `…`.
pub(crate) fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

pub(crate) fn symbol(state: JobState) -> &'static str {
    match state {
        JobState::Waiting => "·",
        JobState::Running => "…",
        JobState::Ok => "✓",
        JobState::Changed => "✓",
        JobState::Skipped => "-",
        JobState::Failed => "✗",
    }
}

fn state_word(state: JobState) -> &'static str {
    match state {
        JobState::Waiting => "waiting",
        JobState::Running => "running",
        JobState::Ok => "ok",
        JobState::Changed => "changed",
        JobState::Skipped => "skipped",
        JobState::Failed => "failed",
    }
}

pub(crate) fn state_style(theme: Theme, state: JobState) -> Style {
    match state {
        JobState::Waiting | JobState::Skipped => theme.muted(),
        JobState::Running => theme.warn(),
        JobState::Ok | JobState::Changed => theme.ok(),
        JobState::Failed => theme.error(),
    }
}
