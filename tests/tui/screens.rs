//! Whole screens: the services table, the readiness pane, colour, sizes.

use super::support::*;

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
        screen.contains("ready in 25 ms · p50 17 ms · p95 25 ms"),
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
fn a_readiness_sample_like_the_last_waits_for_the_tick_and_a_failure_is_drawn_at_once() {
    let mut app = running_app();
    let sample = |second: i64, error: Option<&str>| ReadySample {
        at: t0() + chrono::Duration::seconds(second),
        latency: error.is_none().then(|| Duration::from_millis(5)),
        error: error.map(str::to_string),
    };
    app.update(Msg::Ops(Event::Ready(sample(0, None))));
    app.take_dirty();

    app.update(Msg::Ops(Event::Ready(sample(1, None))));
    let same = app.take_dirty();
    app.update(Msg::Ops(Event::Ready(sample(
        2,
        Some("connection refused"),
    ))));
    let failed = app.take_dirty();
    app.update(Msg::Ops(Event::Ready(sample(3, None))));
    let recovered = app.take_dirty();

    assert!(!same, "an idle dashboard draws on the slow tick only");
    assert!(failed, "a failure shows at once");
    assert!(recovered, "so does the recovery");
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
fn stats_popup_shows_each_service_over_time_at_80x24() {
    let mut app = running_app();
    for second in 0..40u64 {
        for (index, service) in ["db", "api", "frontend"].iter().enumerate() {
            let index = index as u64;
            app.update(Msg::Ops(Event::Stats(capstan::ops::StatsSample {
                service: service.to_string(),
                cpu_percent: ((second + index * 7) % 10) as f64 * 1.5,
                memory_bytes: (80 + index * 20 + second) * 1024 * 1024,
                memory_limit_bytes: 1 << 30,
                net_rx_bytes: 1_500_000 * (index + 1),
                net_tx_bytes: 300_000,
                block_read_bytes: 0,
                block_write_bytes: 4096 * second,
            })));
        }
    }
    for second in 0..20u32 {
        app.update(Msg::Ops(Event::Traffic(capstan::ops::TrafficSample {
            at: t0() + chrono::Duration::seconds(i64::from(second) * 2),
            requests_per_second: f64::from(second % 5) * 3.5,
            errors_per_second: f64::from(u32::from(second % 7 == 0)) * 0.5,
        })));
    }

    key(&mut app, KeyCode::Char('s'));
    let screen = render(&app, 80, 24);

    assert!(screen.contains("stats (Esc closes)"), "{screen}");
    // The newest traffic sample: 19 % 5 × 3.5 requests, no 5xx.
    assert!(
        screen.contains("req/s     14.0") && screen.contains("5xx/s      0.0"),
        "{screen}"
    );
    assert!(
        screen.contains("cpu   13.5%") && screen.contains("mem 119.0 MiB"),
        "{screen}"
    );
    assert!(
        screen.contains("net ↓4.3 MiB ↑293.0 KiB   disk r 0 B w 156.0 KiB"),
        "{screen}"
    );
    insta::assert_snapshot!("stats_80x24", screen);
}

#[test]
fn tiny_terminals_draw_without_panicking() {
    let mut app = running_app();
    for n in 0..50 {
        log(&mut app, "db", &format!("line {n}"));
    }
    job(
        &mut app,
        1,
        JobUpdate::Started {
            title: "redeploy api".to_string(),
        },
    );
    step(&mut app, 1, "build image", JobState::Running, 100);
    app.update(Msg::Ops(Event::Ready(ReadySample {
        at: t0(),
        latency: None,
        error: Some("refused".to_string()),
    })));

    for (width, height) in [(1, 1), (10, 3), (20, 5), (40, 10), (79, 23)] {
        for popup in [None, Some('?'), Some('s'), Some('e')] {
            if let Some(c) = popup {
                key(&mut app, KeyCode::Char(c));
            }
            render(&app, width, height);
            key(&mut app, KeyCode::Esc);
        }
    }
}

#[test]
fn after_down_the_table_and_stats_show_no_figures_from_before() {
    let mut app = running_app();
    app.update(Msg::Ops(Event::Stats(capstan::ops::StatsSample {
        service: "db".to_string(),
        cpu_percent: 4.2,
        memory_bytes: 108 * 1024 * 1024 + 100 * 1024,
        memory_limit_bytes: 1 << 30,
        net_rx_bytes: 0,
        net_tx_bytes: 0,
        block_read_bytes: 0,
        block_write_bytes: 0,
    })));
    app.update(Msg::Ops(Event::Traffic(capstan::ops::TrafficSample {
        at: t0(),
        requests_per_second: 31.0,
        errors_per_second: 0.0,
    })));
    let before = render(&app, 120, 40);

    // `down --volumes`: every service is missing, and no sample arrives for 10 s.
    let missing = three_healthy()
        .into_iter()
        .map(|service| ServiceView {
            state: "missing".to_string(),
            health: Health::Unknown,
            started_at: None,
            container_id: None,
            ..service
        })
        .collect();
    app.update(Msg::Ops(Event::Services(missing)));
    app.update(Msg::Tick(t0() + chrono::Duration::seconds(10)));
    let table = render(&app, 120, 40);
    key(&mut app, KeyCode::Char('s'));
    let popup = render(&app, 120, 40);

    assert!(before.contains("108.1 MiB"), "{before}");
    assert!(
        !table.contains("108.1 MiB") && !table.contains("4.2%"),
        "{table}"
    );
    assert!(
        !popup.contains("108.1 MiB") && !popup.contains("31.0"),
        "{popup}"
    );
    assert!(popup.contains("req/s        -"), "{popup}");
    assert!(popup.contains("no running container"), "{popup}");
}
