//! The log pane: following, scrolling back, budgets, unsafe bytes, search, timestamps.

use super::support::*;

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
fn lines_of_a_service_not_shown_cost_no_redraw() {
    let mut app = running_app();
    app.take_dirty();

    log(&mut app, "api", "a line of a service that is not selected");
    let hidden = app.take_dirty();
    log(&mut app, "db", "a line of the selected service");
    let shown = app.take_dirty();

    assert!(!hidden, "no frame for a line nobody sees");
    assert!(shown);
}

#[test]
fn a_service_snapshot_that_changes_nothing_costs_no_redraw() {
    let mut app = running_app();
    app.take_dirty();

    app.update(Msg::Ops(Event::Services(three_healthy())));
    let same = app.take_dirty();
    let mut changed = three_healthy();
    changed[1].health = Health::Unhealthy("GET /api/ready: 503".to_string());
    app.update(Msg::Ops(Event::Services(changed)));
    let different = app.take_dirty();

    assert!(
        !same,
        "the health sweep's unchanged snapshot draws no frame"
    );
    assert!(different);
}

#[test]
fn a_batch_of_lines_costs_one_redraw_and_shows_every_line() {
    let mut app = running_app();
    app.take_dirty();
    let batch = (1..=5)
        .map(|n| LogLine {
            service: "db".to_string(),
            timestamp: None,
            stream: LogStream::Stdout,
            bytes: format!("batched line {n}").into_bytes(),
        })
        .collect();

    app.update(Msg::Ops(Event::Logs(batch)));

    assert!(app.take_dirty());
    let screen = render(&app, 80, 24);
    for n in 1..=5 {
        assert!(screen.contains(&format!("batched line {n}")), "{screen}");
    }
}

#[test]
fn a_paused_view_at_the_top_stays_full_while_a_full_buffer_drops_its_oldest_lines() {
    let mut app = app_with(
        false,
        Budget {
            lines: 100,
            bytes: 1 << 20,
        },
    );
    app.update(Msg::Ops(Event::Services(three_healthy())));
    for n in 1..=100 {
        log(&mut app, "db", &format!("line {n:04}"));
    }
    key(&mut app, KeyCode::Char('l'));
    render(&app, 80, 24);
    key(&mut app, KeyCode::Char('g'));

    // The buffer is full: each new line drops the oldest, the one the paused view starts at.
    for n in 101..=150 {
        log(&mut app, "db", &format!("line {n:04}"));
    }
    let screen = render(&app, 80, 24);

    let shown: Vec<&str> = screen
        .lines()
        .filter(|row| row.contains("line 0"))
        .collect();
    assert!(
        screen.contains("line 0051"),
        "the oldest kept line: {screen}"
    );
    assert!(!screen.contains("line 0050"), "{screen}");
    assert!(shown.len() > 5, "the pane stays full: {screen}");
    assert!(!screen.contains("paused, 99 back"), "{screen}");
}
