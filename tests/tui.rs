//! The dashboard drawn into ratatui's `TestBackend`: synthetic keys, mouse and `ops` events go in
//! through `App::update`, whole screens come out as text (insta snapshots) at 80×24 and 120×40.
//! The clock is fixed by the test, so snapshots need no masking.

use std::time::Duration;

use capstan::logs::Budget;
use capstan::ops::{
    Event, Health, JobEvent, JobState, JobUpdate, LogLine, LogStream, ReadySample, ServiceView,
};
use capstan::tui::{self, Action, App, Msg, Options, StatusKind, Theme, View};
use chrono::{DateTime, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 3, 12, 0, 0)
        .single()
        .expect("a valid fixed date")
}

fn app_with(read_only: bool, budget: Budget) -> App {
    App::new(Options {
        project: "person".to_string(),
        read_only,
        theme: Theme::monochrome(),
        budget,
        now: t0(),
    })
}

fn app() -> App {
    app_with(false, Budget::default())
}

fn service(name: &str, image: &str, port: Option<u16>, up_for: i64) -> ServiceView {
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

fn three_healthy() -> Vec<ServiceView> {
    vec![
        service("db", "mariadb:10.11", None, 3_720),
        service("api", "capstan-person-api:latest", None, 3_600),
        service("frontend", "capstan-person-frontend:latest", Some(8000), 95),
    ]
}

/// An app showing the three healthy services.
fn running_app() -> App {
    let mut app = app();
    app.update(Msg::Ops(Event::Services(three_healthy())));
    app
}

fn key(app: &mut App, code: KeyCode) -> Option<Action> {
    app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn keys(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

fn log(app: &mut App, service: &str, text: &str) {
    app.update(Msg::Ops(Event::Log(LogLine {
        service: service.to_string(),
        timestamp: None,
        stream: LogStream::Stdout,
        bytes: text.as_bytes().to_vec(),
    })));
}

fn job(app: &mut App, id: u64, update: JobUpdate) {
    app.update(Msg::Ops(Event::Job(JobEvent { id, update })));
}

fn step(app: &mut App, id: u64, name: &str, state: JobState, millis: u64) {
    let update = JobUpdate::Step {
        name: name.to_string(),
        state,
        elapsed: Duration::from_millis(millis),
        detail: None,
    };
    job(app, id, update);
}

fn render(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("a test terminal");
    terminal
        .draw(|frame| tui::draw(app, frame))
        .expect("drawing into a test backend");
    terminal.backend().to_string()
}

#[test]
fn services_table_shows_three_healthy_services_at_80x24() {
    let app = running_app();

    let screen = render(&app, 80, 24);

    assert_eq!(screen.matches("healthy").count(), 3, "{screen}");
    assert!(screen.contains("frontend"), "{screen}");
    assert!(screen.contains("8000"), "{screen}");
    assert!(screen.contains("1h02m"), "db's uptime is shown: {screen}");
    insta::assert_snapshot!("three_healthy_80x24", screen);
}

#[test]
fn services_table_shows_three_healthy_services_at_120x40() {
    let app = running_app();

    let screen = render(&app, 120, 40);

    assert!(
        screen.contains("capstan-person-frontend:latest"),
        "{screen}"
    );
    insta::assert_snapshot!("three_healthy_120x40", screen);
}

#[test]
fn services_table_shows_unhealthy_reason_and_missing_service() {
    let mut services = three_healthy();
    services[1].health = Health::Unhealthy("503 database unreachable".to_string());
    services[2].state = "missing".to_string();
    services[2].health = Health::Unknown;
    let mut app = app();
    app.update(Msg::Ops(Event::Services(services)));

    let screen = render(&app, 120, 40);

    assert!(
        screen.contains("unhealthy: 503 database"),
        "the reason shows: {screen}"
    );
    assert!(screen.contains("missing"), "{screen}");
}

#[test]
fn health_pane_draws_latency_sparkline_and_keeps_last_error() {
    let mut app = running_app();
    for second in 0..30 {
        let error = (second == 7).then(|| "connection refused".to_string());
        let latency = error
            .is_none()
            .then(|| Duration::from_millis(5 + (second % 6) * 4));
        let at = t0() + chrono::Duration::seconds(second as i64);
        app.update(Msg::Ops(Event::Ready(ReadySample { at, latency, error })));
    }

    let screen = render(&app, 80, 24);

    assert!(
        screen.contains("ready in 25 ms"),
        "the latest sample: {screen}"
    );
    assert!(
        screen.contains("last error 12:00:07 connection refused"),
        "{screen}"
    );
    assert!(screen.contains('█'), "bars are drawn: {screen}");
    assert!(
        screen.contains('x'),
        "the failed sample is marked: {screen}"
    );
    insta::assert_snapshot!("health_sparkline_80x24", screen);
}

#[test]
fn health_pane_shows_why_the_app_is_not_ready() {
    let mut app = running_app();
    let error = Some("503: migrations pending".to_string());
    app.update(Msg::Ops(Event::Ready(ReadySample {
        at: t0(),
        latency: None,
        error,
    })));

    let screen = render(&app, 80, 24);

    assert!(
        screen.contains("not ready: 503: migrations pending"),
        "{screen}"
    );
}

#[test]
fn log_pane_follows_the_newest_lines_of_the_selected_service() {
    let mut app = running_app();
    key(&mut app, KeyCode::Char('j'));
    for n in 1..=40 {
        log(&mut app, "api", &format!("GET /api/persons/ 200 {n}ms"));
        log(&mut app, "db", &format!("db line {n}"));
    }

    let screen = render(&app, 80, 24);

    assert!(screen.contains("logs: api · following"), "{screen}");
    assert!(screen.contains("GET /api/persons/ 200 40ms"), "{screen}");
    assert!(
        !screen.contains("200 1ms"),
        "old lines are off screen: {screen}"
    );
    assert!(
        !screen.contains("db line"),
        "other services' lines are not shown: {screen}"
    );
    insta::assert_snapshot!("logs_following_80x24", screen);
}

#[test]
fn log_pane_scrolls_back_and_holds_still_while_lines_arrive() {
    let mut app = running_app();
    for n in 1..=100 {
        log(&mut app, "db", &format!("line {n:03}"));
    }
    render(&app, 80, 24);
    key(&mut app, KeyCode::Char('l'));

    keys(&mut app, "kkkkk");
    let paused = render(&app, 80, 24);
    for n in 101..=110 {
        log(&mut app, "db", &format!("line {n:03}"));
    }
    let later = render(&app, 80, 24);

    assert!(paused.contains("paused, 5 back"), "{paused}");
    assert!(
        paused.contains("line 095") && !paused.contains("line 096"),
        "{paused}"
    );
    assert!(
        later.contains("line 095") && !later.contains("line 096"),
        "{later}"
    );
    assert!(later.contains("paused, 15 back"), "{later}");

    key(&mut app, KeyCode::Char('G'));
    let bottom = render(&app, 80, 24);
    assert!(
        bottom.contains("following") && bottom.contains("line 110"),
        "{bottom}"
    );

    key(&mut app, KeyCode::Char('g'));
    let top = render(&app, 80, 24);
    assert!(top.contains("line 001"), "{top}");
}

#[test]
fn log_pane_keeps_memory_within_the_line_budget() {
    let mut app = app_with(
        false,
        Budget {
            lines: 50,
            bytes: 1 << 20,
        },
    );
    app.update(Msg::Ops(Event::Services(three_healthy())));
    for n in 1..=500 {
        log(&mut app, "db", &format!("line {n:03}"));
    }
    key(&mut app, KeyCode::Char('l'));
    key(&mut app, KeyCode::Char('g'));

    let screen = render(&app, 80, 24);

    assert!(
        screen.contains("line 451"),
        "the oldest kept line is the 451st: {screen}"
    );
    assert!(!screen.contains("line 450"), "{screen}");
}

#[test]
fn log_pane_renders_a_one_megabyte_line_with_escapes_and_invalid_utf8_safely() {
    let mut app = running_app();
    let mut bytes = b"\x1b[31mred\x1b[0m \x1b[2J\xff\xfe start ".to_vec();
    bytes.extend(std::iter::repeat_n(b'x', 1024 * 1024));
    app.update(Msg::Ops(Event::Log(LogLine {
        service: "db".to_string(),
        timestamp: None,
        stream: LogStream::Stderr,
        bytes,
    })));
    key(&mut app, KeyCode::Char('l'));

    let cut = render(&app, 80, 24);
    key(&mut app, KeyCode::Char('w'));
    let wrapped = render(&app, 80, 24);

    assert!(cut.contains("│red \u{fffd}\u{fffd} start xxx"), "{cut}");
    assert!(wrapped.contains("xxxxxxxxxx│"), "{wrapped}");
    for screen in [cut, wrapped] {
        assert!(
            !screen.chars().any(|c| c.is_control() && c != '\n'),
            "{screen}"
        );
    }
}

#[test]
fn search_jumps_to_matches_and_highlights_them() {
    let mut app = running_app();
    for n in 1..=200 {
        let text = if n % 50 == 0 {
            format!("line {n:03} ERROR lost the database")
        } else {
            format!("line {n:03} ok")
        };
        log(&mut app, "db", &text);
    }
    render(&app, 80, 24);
    key(&mut app, KeyCode::Char('l'));

    key(&mut app, KeyCode::Char('/'));
    keys(&mut app, "error");
    let typing = render(&app, 80, 24);
    key(&mut app, KeyCode::Enter);
    let first = render(&app, 80, 24);
    key(&mut app, KeyCode::Char('n'));
    let second = render(&app, 80, 24);
    key(&mut app, KeyCode::Char('N'));
    let back = render(&app, 80, 24);

    assert!(
        typing.contains("/error"),
        "the prompt shows what is typed: {typing}"
    );
    assert!(first.contains("line 200 ERROR"), "{first}");
    assert!(
        second.contains("line 150 ERROR") && !second.contains("line 160"),
        "{second}"
    );
    assert!(back.contains("line 200 ERROR"), "{back}");
    assert!(
        first.contains("/error"),
        "the query is in the title: {first}"
    );
    insta::assert_snapshot!("search_second_match_80x24", second);
}

#[test]
fn search_without_match_says_so_in_the_status_line() {
    let mut app = running_app();
    log(&mut app, "db", "all good");
    key(&mut app, KeyCode::Char('l'));
    key(&mut app, KeyCode::Char('/'));
    keys(&mut app, "panic");
    key(&mut app, KeyCode::Enter);

    let screen = render(&app, 80, 24);

    assert!(screen.contains("no line matches \"panic\""), "{screen}");
}

#[test]
fn help_lists_every_key_of_the_services_view_and_esc_closes_it() {
    let mut app = running_app();

    key(&mut app, KeyCode::Char('?'));
    let screen = render(&app, 80, 24);
    key(&mut app, KeyCode::Esc);
    let closed = render(&app, 80, 24);

    for binding in tui::bindings(View::Services) {
        assert!(
            screen.contains(binding.help),
            "help lacks {:?}: {screen}",
            binding.help
        );
        assert!(
            screen.contains(binding.label),
            "help lacks {:?}: {screen}",
            binding.label
        );
    }
    assert!(!closed.contains("keys: services"), "{closed}");
    insta::assert_snapshot!("help_services_80x24", screen);
}

#[test]
fn help_lists_every_key_of_the_logs_view() {
    let mut app = running_app();
    key(&mut app, KeyCode::Char('l'));

    key(&mut app, KeyCode::Char('?'));
    let screen = render(&app, 80, 24);

    for binding in tui::bindings(View::Logs) {
        assert!(
            screen.contains(binding.help),
            "help lacks {:?}: {screen}",
            binding.help
        );
    }
    insta::assert_snapshot!("help_logs_80x24", screen);
}

#[test]
fn redeploy_key_asks_for_the_selected_service_and_shows_each_step() {
    let mut app = running_app();
    key(&mut app, KeyCode::Down);

    let action = key(&mut app, KeyCode::Char('r'));
    job(
        &mut app,
        7,
        JobUpdate::Started {
            title: "redeploy api".to_string(),
        },
    );
    step(&mut app, 7, "build image", JobState::Ok, 12_400);
    step(&mut app, 7, "start new container", JobState::Ok, 900);
    step(&mut app, 7, "wait for /api/ready", JobState::Running, 2_100);
    let screen = render(&app, 80, 24);

    assert_eq!(
        action,
        Some(Action::Redeploy {
            service: "api".to_string()
        })
    );
    assert!(screen.contains("redeploy api · running"), "{screen}");
    assert!(screen.contains("✓ build image"), "{screen}");
    assert!(screen.contains("12.4s"), "{screen}");
    assert!(screen.contains("… wait for /api/ready"), "{screen}");
    insta::assert_snapshot!("redeploy_steps_80x24", screen);
}

#[test]
fn status_line_shows_the_reason_after_a_failed_redeploy() {
    let mut app = running_app();
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Char('r'));
    job(
        &mut app,
        1,
        JobUpdate::Started {
            title: "redeploy api".to_string(),
        },
    );
    step(&mut app, 1, "wait for /api/ready", JobState::Failed, 60_000);
    let summary = "new container never got ready (503 database unreachable); old one kept";
    job(
        &mut app,
        1,
        JobUpdate::Finished {
            state: JobState::Failed,
            summary: summary.into(),
        },
    );

    let screen = render(&app, 120, 40);

    let status = app.status().expect("a status after the job");
    assert_eq!(status.kind, StatusKind::Error);
    assert!(
        screen.contains("✗ redeploy api: new container never got ready"),
        "{screen}"
    );
    assert!(screen.contains("redeploy api · failed"), "{screen}");
    insta::assert_snapshot!("redeploy_failed_120x40", screen);
}

#[test]
fn a_second_action_is_refused_while_a_job_runs() {
    let mut app = running_app();
    key(&mut app, KeyCode::Char('u'));
    job(
        &mut app,
        3,
        JobUpdate::Started {
            title: "up person".to_string(),
        },
    );

    let action = key(&mut app, KeyCode::Char('r'));

    assert_eq!(action, None);
    let status = app.status().expect("a status after the refusal");
    assert_eq!(
        status.text,
        "redeploy db: refused, up person is still running"
    );
}

#[test]
fn read_only_mode_refuses_every_action_that_changes_something() {
    let mut app = app_with(true, Budget::default());
    app.update(Msg::Ops(Event::Services(three_healthy())));

    let up = key(&mut app, KeyCode::Char('u'));
    let redeploy = key(&mut app, KeyCode::Char('r'));
    let down = key(&mut app, KeyCode::Char('D'));
    let screen = render(&app, 80, 24);

    assert_eq!((up, redeploy, down), (None, None, None));
    assert!(
        screen.contains("down: refused, the dashboard is read-only"),
        "{screen}"
    );
    assert!(screen.contains("READ-ONLY"), "{screen}");
}

#[test]
fn down_asks_for_confirmation_naming_what_happens() {
    let mut app = running_app();

    key(&mut app, KeyCode::Char('D'));
    let screen = render(&app, 80, 24);
    let cancelled = key(&mut app, KeyCode::Char('n'));
    key(&mut app, KeyCode::Char('D'));
    let confirmed = key(&mut app, KeyCode::Char('y'));

    assert!(screen.contains("Take stack person down?"), "{screen}");
    assert!(screen.contains("data volume is kept"), "{screen}");
    assert_eq!(cancelled, None);
    assert_eq!(confirmed, Some(Action::Down { volumes: false }));
}

#[test]
fn warnings_from_background_work_reach_the_status_line() {
    let mut app = running_app();

    app.update(Msg::Ops(Event::Warning(
        "lost the engine's event stream".to_string(),
    )));
    let screen = render(&app, 80, 24);

    assert!(
        screen.contains("✗ lost the engine's event stream"),
        "{screen}"
    );
}

#[test]
fn mouse_click_selects_a_service_and_wheel_scrolls_the_logs() {
    let mut app = running_app();
    for n in 1..=100 {
        log(&mut app, "frontend", &format!("frontend line {n:03}"));
    }
    render(&app, 80, 24);

    // Row 0 is the border, row 1 the header, so row 4 is the third service.
    let click = MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: 5,
        row: 4,
        modifiers: KeyModifiers::NONE,
    };
    app.update(Msg::Mouse(click));
    let wheel = MouseEvent {
        kind: MouseEventKind::ScrollUp,
        column: 5,
        row: 18,
        ..click
    };
    app.update(Msg::Mouse(wheel));
    let screen = render(&app, 80, 24);

    assert_eq!(
        app.selected_service().map(|s| s.name.as_str()),
        Some("frontend")
    );
    assert!(
        screen.contains("logs: frontend · paused, 3 back"),
        "{screen}"
    );
}

#[test]
fn selection_follows_the_service_when_the_list_is_refreshed() {
    let mut app = running_app();
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Char('j'));

    let mut reordered = three_healthy();
    reordered.reverse();
    app.update(Msg::Ops(Event::Services(reordered)));

    assert_eq!(
        app.selected_service().map(|s| s.name.as_str()),
        Some("frontend")
    );
}

#[test]
fn q_and_ctrl_c_quit() {
    let mut app = running_app();
    key(&mut app, KeyCode::Char('q'));
    assert!(app.should_quit());

    let mut app = running_app();
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::CONTROL,
    )));
    assert!(app.should_quit());
}

#[test]
fn without_colour_the_screen_uses_no_colours() {
    let mut app = running_app();
    app.update(Msg::Ops(Event::Warning("something failed".to_string())));
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("a test terminal");

    terminal
        .draw(|frame| tui::draw(&app, frame))
        .expect("drawing into a test backend");

    let buffer = terminal.backend().buffer();
    let coloured = buffer.content().iter().filter(|cell| {
        cell.fg != ratatui::style::Color::Reset || cell.bg != ratatui::style::Color::Reset
    });
    assert_eq!(coloured.count(), 0);
}

#[test]
fn an_empty_dashboard_says_what_it_waits_for() {
    let app = app();

    let screen = render(&app, 80, 24);

    assert!(
        screen.contains("waiting for the engine's list of services"),
        "{screen}"
    );
    assert!(screen.contains("waiting for the first sample"), "{screen}");
    assert!(screen.contains("no log lines yet"), "{screen}");
}

#[test]
fn wide_table_shows_each_service_cpu_and_memory() {
    let mut app = running_app();
    app.update(Msg::Ops(Event::Stats(capstan::ops::StatsSample {
        service: "api".to_string(),
        cpu_percent: 2.345,
        memory_bytes: 12 * 1024 * 1024 + 512 * 1024,
        memory_limit_bytes: 1 << 30,
        net_rx_bytes: 0,
        net_tx_bytes: 0,
        block_read_bytes: 0,
        block_write_bytes: 0,
    })));

    let wide = render(&app, 120, 40);
    let narrow = render(&app, 80, 24);

    assert!(wide.contains("CPU") && wide.contains("2.3%"), "{wide}");
    assert!(wide.contains("12.5 MiB"), "{wide}");
    assert!(
        !narrow.contains("CPU"),
        "80 columns keep the table readable: {narrow}"
    );
}

#[test]
fn history_lists_every_result_newest_first() {
    let mut app = running_app();
    app.update(Msg::Ops(Event::Warning("first warning".to_string())));
    app.update(Msg::Tick(t0() + chrono::Duration::seconds(90)));
    job(
        &mut app,
        1,
        JobUpdate::Started {
            title: "up person".to_string(),
        },
    );
    let summary = "all 3 services ready in 41.2s".to_string();
    job(
        &mut app,
        1,
        JobUpdate::Finished {
            state: JobState::Ok,
            summary,
        },
    );

    key(&mut app, KeyCode::Char('e'));
    let screen = render(&app, 80, 24);

    let newest = screen.find("12:01:30 ✓ up person: all 3 services ready in 41.2s");
    let oldest = screen.find("12:00:00 ✗ first warning");
    assert!(newest.is_some() && oldest.is_some(), "{screen}");
    assert!(newest < oldest, "newest first: {screen}");
    key(&mut app, KeyCode::Esc);
    assert!(!render(&app, 80, 24).contains("history"));
}

#[test]
fn timestamps_toggle_prefixes_each_line_with_its_time() {
    let mut app = running_app();
    app.update(Msg::Ops(Event::Log(LogLine {
        service: "db".to_string(),
        timestamp: Some(t0() + chrono::Duration::milliseconds(1_250)),
        stream: LogStream::Stdout,
        bytes: b"ready for connections".to_vec(),
    })));
    key(&mut app, KeyCode::Char('l'));

    key(&mut app, KeyCode::Char('t'));
    let screen = render(&app, 80, 24);

    assert!(
        screen.contains("│12:00:01.250 ready for connections"),
        "{screen}"
    );
}

#[test]
fn q_asks_first_while_a_job_runs_and_ctrl_c_does_not() {
    let mut app = running_app();
    key(&mut app, KeyCode::Char('u'));
    job(
        &mut app,
        4,
        JobUpdate::Started {
            title: "up person".to_string(),
        },
    );

    key(&mut app, KeyCode::Char('q'));
    let screen = render(&app, 80, 24);
    let still_open = !app.should_quit();
    key(&mut app, KeyCode::Char('y'));

    assert!(still_open, "q alone does not quit mid-job");
    assert!(
        screen.contains("up person is still running. Quit anyway?"),
        "{screen}"
    );
    assert!(app.should_quit());

    let mut app = running_app();
    key(&mut app, KeyCode::Char('u'));
    job(
        &mut app,
        5,
        JobUpdate::Started {
            title: "up person".to_string(),
        },
    );
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::CONTROL,
    )));
    assert!(app.should_quit());
}
