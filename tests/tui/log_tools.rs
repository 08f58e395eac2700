//! The log pane's tools over the log store: merged view, ANSI colours, regex search, context
//! view, level filter, JSON popup, saving, batched lines.

use std::path::PathBuf;

use ratatui::style::Color;

use super::support::*;

/// A line of `service` logged `millis` after the fixed clock.
fn line_at(service: &str, millis: i64, text: &str) -> LogLine {
    LogLine {
        service: service.to_string(),
        timestamp: Some(t0() + chrono::Duration::milliseconds(millis)),
        stream: LogStream::Stdout,
        bytes: text.as_bytes().to_vec(),
    }
}

/// The app with the log pane focused and `lines` arrived in one batch.
fn app_with_lines(lines: Vec<LogLine>) -> App {
    let mut app = running_app();
    app.update(Msg::Ops(Event::Logs(lines)));
    key(&mut app, KeyCode::Char('l'));
    app
}

fn ctrl(app: &mut App, c: char) {
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::CONTROL,
    )));
}

#[test]
fn merged_view_interleaves_services_by_timestamp_and_names_each_line() {
    // The api's lines arrive first but the db's are older: the merged view orders by time.
    let mut lines: Vec<LogLine> = (1..=3)
        .map(|n| line_at("api", n * 20, &format!("GET /api/persons/{n} 200")))
        .collect();
    lines.extend((1..=3).map(|n| line_at("db", n * 20 - 10, &format!("db query {n}"))));
    let mut app = app_with_lines(lines);

    let selected = render(&app, 80, 24);
    key(&mut app, KeyCode::Char('m'));
    let merged = render(&app, 80, 24);

    assert!(
        selected.contains("logs: db") && !selected.contains("GET /api"),
        "{selected}"
    );
    let order: Vec<usize> = ["db query 1", "persons/1", "db query 2", "persons/3"]
        .iter()
        .map(|text| merged.find(text).expect("every line is shown"))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{merged}");
    assert!(merged.contains("api │ GET /api/persons/1"), "{merged}");
    insta::assert_snapshot!("merged_80x24", merged);
}

#[test]
fn merged_view_colours_each_service_and_keeps_the_lines_own_ansi_colours() {
    let mut app = App::new(Options {
        theme: Theme::default(),
        ..options(false, Budget::default())
    });
    app.update(Msg::Ops(Event::Services(three_healthy())));
    let lines = vec![
        line_at("db", 0, "plain db line"),
        line_at("api", 10, "\x1b[31mred api line\x1b[0m"),
    ];
    app.update(Msg::Ops(Event::Logs(lines)));
    key(&mut app, KeyCode::Char('l'));
    key(&mut app, KeyCode::Char('m'));

    let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("a test terminal");
    terminal
        .draw(|frame| tui::draw(&app, frame))
        .expect("drawing into a test backend");
    let buffer = terminal.backend().buffer().clone();
    let screen = terminal.backend().to_string();
    let find = |text: &str| -> (u16, u16) {
        let row = screen
            .lines()
            .position(|line| line.contains(text))
            .unwrap_or_else(|| panic!("{text} is on screen: {screen}"));
        let line = screen.lines().nth(row).unwrap_or_default();
        let byte = line.find(text).unwrap_or_default();
        // Columns count characters (the border is one multi-byte character); each row of the
        // text is quoted.
        let column = line[..byte].chars().count() - 1;
        (column as u16, row as u16)
    };

    let (x, y) = find("red api line");
    let (db_x, db_y) = find("db  │");
    let (api_x, api_y) = find("api │");

    assert_eq!(buffer[(x, y)].fg, Color::Red, "{screen}");
    assert!(
        !screen.contains("[31m"),
        "escapes never reach the screen: {screen}"
    );
    assert_ne!(buffer[(db_x, db_y)].fg, buffer[(api_x, api_y)].fg);
    assert_ne!(buffer[(db_x, db_y)].fg, Color::Reset);
}

#[test]
fn regex_search_is_toggled_with_ctrl_r_and_a_bad_pattern_is_named() {
    let lines = (1..=60)
        .map(|n| line_at("db", n, &format!("request {n:03} took {}ms", n * 7)))
        .collect();
    let mut app = app_with_lines(lines);

    key(&mut app, KeyCode::Char('/'));
    ctrl(&mut app, 'r');
    keys(&mut app, "took 3[0-9]{2}ms");
    let typing = render(&app, 80, 24);
    key(&mut app, KeyCode::Enter);
    let found = render(&app, 80, 24);
    key(&mut app, KeyCode::Char('/'));
    keys(&mut app, "took (");
    key(&mut app, KeyCode::Enter);
    let bad = render(&app, 80, 24);

    assert!(typing.contains("regex /took 3[0-9]{2}ms"), "{typing}");
    // 43 × 7 = 301 … 57 × 7 = 399: fifteen matches, the newest shown first.
    assert!(found.contains("took 3[0-9]{2}ms 15/15"), "{found}");
    assert!(found.contains("request 057 took 399ms"), "{found}");
    assert!(bad.contains("invalid search pattern \"took (\""), "{bad}");
    insta::assert_snapshot!("regex_search_80x24", found);
}

#[test]
fn context_view_shows_only_matches_and_the_lines_around_them() {
    let lines = (1..=100)
        .map(|n| {
            let text = if n % 40 == 0 {
                format!("line {n:03} ERROR disk full")
            } else {
                format!("line {n:03} ok")
            };
            line_at("db", n, &text)
        })
        .collect();
    let mut app = app_with_lines(lines);

    key(&mut app, KeyCode::Char('/'));
    keys(&mut app, "disk full");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('c'));
    key(&mut app, KeyCode::Char('G'));
    let context = render(&app, 80, 36);

    for shown in [
        "line 037 ok",
        "line 040 ERROR",
        "line 043 ok",
        "line 083 ok",
    ] {
        assert!(context.contains(shown), "{shown}: {context}");
    }
    for hidden in ["line 036", "line 044", "line 100"] {
        assert!(!context.contains(hidden), "{hidden}: {context}");
    }
    assert!(
        context.contains("⋯") && context.contains("· context"),
        "{context}"
    );
    insta::assert_snapshot!("context_80x36", context);
}

#[test]
fn level_filter_cycles_warn_error_and_all() {
    let texts = [
        "INFO starting",
        "WARN slow query",
        "ERROR lost connection",
        "INFO ready",
        "level=error msg=\"cannot write\"",
    ];
    let lines = texts
        .iter()
        .enumerate()
        .map(|(n, text)| line_at("db", n as i64, text))
        .collect();
    let mut app = app_with_lines(lines);

    key(&mut app, KeyCode::Char('v'));
    let warn = render(&app, 80, 24);
    key(&mut app, KeyCode::Char('v'));
    let error = render(&app, 80, 24);
    key(&mut app, KeyCode::Char('v'));
    let all = render(&app, 80, 24);

    assert!(
        warn.contains("WARN slow") && !warn.contains("INFO"),
        "{warn}"
    );
    assert!(
        error.contains("ERROR lost") && !error.contains("WARN slow"),
        "{error}"
    );
    assert!(
        error.contains("cannot write") && error.contains("≥error"),
        "{error}"
    );
    assert!(all.contains("INFO starting") && !all.contains("≥"), "{all}");
    insta::assert_snapshot!("level_warn_80x24", warn);
}

#[test]
fn p_pretty_prints_the_json_line_in_a_popup_and_leaves_the_line_as_it_was() {
    let raw = r#"{"level":"info","msg":"saved","person":{"id":7,"name":"Ada"}}"#;
    let mut app = app_with_lines(vec![line_at("api", 0, raw)]);
    key(&mut app, KeyCode::Char('m'));

    key(&mut app, KeyCode::Char('p'));
    let popup = render(&app, 80, 24);
    key(&mut app, KeyCode::Esc);
    let closed = render(&app, 80, 24);

    assert!(
        popup.contains("JSON line") && popup.contains("\"name\": \"Ada\""),
        "{popup}"
    );
    assert!(closed.contains(raw), "{closed}");
    insta::assert_snapshot!("json_popup_80x24", popup);
}

#[test]
fn p_on_a_line_that_is_not_json_says_so() {
    let mut app = app_with_lines(vec![line_at("db", 0, "plain text")]);

    key(&mut app, KeyCode::Char('p'));

    let screen = render(&app, 80, 24);
    assert!(screen.contains("the line shown is not JSON"), "{screen}");
}

#[test]
fn save_asks_to_write_the_filtered_merged_view_and_the_result_reaches_the_status_line() {
    let lines = vec![
        line_at("db", 0, "INFO db up"),
        line_at("api", 1, "\x1b[33mWARN api slow\x1b[0m"),
        line_at("db", 2, "ERROR db down"),
    ];
    let mut app = app_with_lines(lines);
    app.set_save_dir("/var/tmp/views");
    key(&mut app, KeyCode::Char('m'));
    key(&mut app, KeyCode::Char('v'));

    let action = key(&mut app, KeyCode::Char('S'));

    // The app makes the text; the runner writes it in the background.
    let path = PathBuf::from("/var/tmp/views/capstan-logs-20261203-120000.log");
    let Some(Action::SaveLogs {
        path: asked,
        text,
        lines,
    }) = action
    else {
        panic!("S asks to save, got {action:?}");
    };
    assert_eq!(asked, path);
    assert_eq!(
        String::from_utf8_lossy(&text),
        "api | WARN api slow\ndb | ERROR db down\n"
    );
    app.update(Msg::Ops(Event::Saved {
        path: path.clone(),
        lines,
        error: None,
    }));
    let screen = render(&app, 200, 24);
    assert!(
        screen.contains("saved 2 lines to /var/tmp/views/capstan-logs-20261203-120000.log"),
        "{screen}"
    );
}

#[test]
fn a_failed_save_shows_why_in_the_status_line() {
    let mut app = app_with_lines(vec![line_at("db", 0, "a line")]);
    app.set_save_dir("/nope");
    let action = key(&mut app, KeyCode::Char('S'));
    assert!(
        matches!(action, Some(Action::SaveLogs { .. })),
        "{action:?}"
    );

    let error = "failed to save logs to /nope/x.log: No such file or directory".to_string();
    app.update(Msg::Ops(Event::Saved {
        path: PathBuf::from("/nope/x.log"),
        lines: 1,
        error: Some(error),
    }));

    let screen = render(&app, 200, 24);
    assert!(
        screen.contains("save: failed to save logs to /nope/x.log: No such file"),
        "{screen}"
    );
}

#[test]
fn save_is_allowed_in_read_only_mode_and_while_a_job_runs() {
    let mut app = app_with(true, Budget::default());
    app.update(Msg::Ops(Event::Services(three_healthy())));
    log(&mut app, "db", "a line");
    key(&mut app, KeyCode::Char('l'));
    let title = "up person".to_string();
    job(&mut app, 1, JobUpdate::Started { title });

    let action = key(&mut app, KeyCode::Char('S'));

    assert!(
        matches!(action, Some(Action::SaveLogs { .. })),
        "{action:?}"
    );
}

#[test]
fn with_wrap_on_a_search_jump_shows_the_first_row_of_the_matching_line() {
    // Long JSON lines that wrap over several rows; every tenth answered 400, named at its end.
    let lines = (0..200)
        .map(|n| {
            let status = if n % 10 == 5 { 400 } else { 200 };
            let padding = "x".repeat(220);
            let text = format!(r#"{{"start":{n:03},"pad":"{padding}","status":{status}}}"#);
            line_at("db", n, &text)
        })
        .collect();
    let mut app = app_with_lines(lines);
    key(&mut app, KeyCode::Char('w'));
    render(&app, 80, 24);

    key(&mut app, KeyCode::Char('/'));
    keys(&mut app, r#""status":400"#);
    key(&mut app, KeyCode::Enter);
    let mut screens = vec![render(&app, 80, 24)];
    for _ in 0..2 {
        key(&mut app, KeyCode::Char('n'));
        screens.push(render(&app, 80, 24));
    }

    for (jump, expected) in screens.iter().zip(["195", "185", "175"]) {
        let start = format!(r#"{{"start":{expected}"#);
        assert!(jump.contains(&start), "{start} is shown: {jump}");
    }
}
