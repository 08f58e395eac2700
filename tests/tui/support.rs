//! What every dashboard test needs: a fixed clock, an app, services, and a screen as text.

pub use std::time::Duration;

pub use capstan::logs::{Budget, DEFAULT_TOTAL_BYTES};
pub use capstan::ops::{
    Event, Health, JobEvent, JobState, JobUpdate, LogLine, LogStream, ReadySample, ServiceView,
};
pub use capstan::tui::{self, Action, App, Keymap, Msg, Options, StatusKind, Theme, View};
pub use chrono::{DateTime, TimeZone, Utc};
pub use crossterm::event::{
    KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
pub use ratatui::Terminal;
pub use ratatui::backend::TestBackend;

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 3, 12, 0, 0)
        .single()
        .expect("a valid fixed date")
}

pub fn app_with(read_only: bool, budget: Budget) -> App {
    App::new(options(read_only, budget))
}

pub fn options(read_only: bool, budget: Budget) -> Options {
    Options {
        project: "person".to_string(),
        read_only,
        theme: Theme::monochrome(),
        keymap: Keymap::default(),
        budget,
        log_total_bytes: DEFAULT_TOTAL_BYTES,
        now: t0(),
    }
}

pub fn app() -> App {
    app_with(false, Budget::default())
}

pub fn service(name: &str, image: &str, port: Option<u16>, up_for: i64) -> ServiceView {
    ServiceView {
        name: name.to_string(),
        state: "running".to_string(),
        health: Health::Healthy,
        started_at: Some(t0() - chrono::Duration::seconds(up_for)),
        image: image.to_string(),
        port,
        container_id: Some(format!("{name}0123456789")),
    }
}

pub fn three_healthy() -> Vec<ServiceView> {
    vec![
        service("db", "mariadb:10.11", None, 3_720),
        service("api", "capstan-person-api:latest", None, 3_600),
        service("frontend", "capstan-person-frontend:latest", Some(8000), 95),
    ]
}

/// An app showing the three healthy services.
pub fn running_app() -> App {
    let mut app = app();
    app.update(Msg::Ops(Event::Services(three_healthy())));
    app
}

pub fn key(app: &mut App, code: KeyCode) -> Option<Action> {
    app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

pub fn keys(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

pub fn log(app: &mut App, service: &str, text: &str) {
    app.update(Msg::Ops(Event::Log(LogLine {
        service: service.to_string(),
        timestamp: None,
        stream: LogStream::Stdout,
        bytes: text.as_bytes().to_vec(),
    })));
}

pub fn job(app: &mut App, id: u64, update: JobUpdate) {
    app.update(Msg::Ops(Event::Job(JobEvent { id, update })));
}

pub fn step(app: &mut App, id: u64, name: &str, state: JobState, millis: u64) {
    let update = JobUpdate::Step {
        name: name.to_string(),
        state,
        elapsed: Duration::from_millis(millis),
        detail: None,
    };
    job(app, id, update);
}

pub fn render(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("a test terminal");
    terminal
        .draw(|frame| tui::draw(app, frame))
        .expect("drawing into a test backend");
    terminal.backend().to_string()
}
