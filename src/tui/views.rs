//! Drawing: lays the panes out and draws each from [`App`] state. Reads state only; the one
//! thing it records is where the panes landed, for the mouse and for paging.

mod health;
mod hosts;
pub(crate) mod jobs;
mod logs;
mod services;
mod status;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};

use super::app::{App, Focus};
use super::popups;

/// Rows the health and job panes get.
const MIDDLE_HEIGHT: u16 = 7;

/// Draws the whole screen.
pub fn draw(app: &App, frame: &mut Frame) {
    let area = frame.area();
    if app.focus == Focus::Hosts {
        let [hosts_area, status_area] =
            Layout::vertical([Constraint::Min(3), Constraint::Length(1)]).areas(area);
        hosts::draw(app, frame, hosts_area);
        status::draw(app, frame, status_area);
        if let Some(popup) = &app.popup {
            popups::draw(app, popup, frame, area);
        }
        return;
    }
    let services_height = (app.services.len() as u16).clamp(1, 8) + 3;
    let [services_area, middle, logs_area, status_area] = Layout::vertical([
        Constraint::Length(services_height),
        Constraint::Length(MIDDLE_HEIGHT),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    app.services_area.set(services_area);
    app.logs_area.set(logs_area);

    services::draw(app, frame, services_area);
    match app.jobs.current() {
        Some(job) => {
            let [health_area, job_area] =
                Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)])
                    .areas(middle);
            health::draw(app, frame, health_area);
            jobs::draw(app, job, frame, job_area);
        }
        None => health::draw(app, frame, middle),
    }
    logs::draw(app, frame, logs_area);
    status::draw(app, frame, status_area);

    if let Some(popup) = &app.popup {
        popups::draw(app, popup, frame, area);
    }
}

/// A rectangle of at most `width` × `height` centred in `area`.
pub(crate) fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

/// A duration in whole seconds, in the two largest units: `42s`, `3m07s`, `2h05m`, `4d03h`.
pub(crate) fn short_duration(seconds: i64) -> String {
    let seconds = seconds.max(0);
    let (days, hours, minutes) = (seconds / 86_400, seconds / 3_600 % 24, seconds / 60 % 60);
    if days > 0 {
        format!("{days}d{hours:02}h")
    } else if hours > 0 {
        format!("{hours}h{minutes:02}m")
    } else if minutes > 0 {
        format!("{minutes}m{:02}s", seconds % 60)
    } else {
        format!("{seconds}s")
    }
}

#[cfg(test)]
mod tests {
    use super::short_duration;

    #[test]
    fn short_duration_keeps_the_two_largest_units() {
        assert_eq!(short_duration(42), "42s");
        assert_eq!(short_duration(187), "3m07s");
        assert_eq!(short_duration(7_500), "2h05m");
        assert_eq!(short_duration(356_400), "4d03h");
        assert_eq!(short_duration(-5), "0s");
    }
}
