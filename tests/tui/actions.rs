//! Keys that ask for work or change the view: actions, refusals, popups, quitting, mouse.

use super::support::*;

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
    let stop = key(&mut app, KeyCode::Char('x'));
    let stop_refusal = render(&app, 80, 24);
    let down = key(&mut app, KeyCode::Char('D'));
    let screen = render(&app, 80, 24);

    assert_eq!((up, redeploy, stop, down), (None, None, None, None));
    assert!(
        stop_refusal.contains("stop db: refused, the dashboard is read-only"),
        "{stop_refusal}"
    );
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

#[test]
fn stop_and_rollback_ask_first_naming_the_selected_service() {
    let mut app = running_app();
    key(&mut app, KeyCode::Char('j'));
    let mut other = running_app();
    key(&mut other, KeyCode::Char('j'));

    key(&mut app, KeyCode::Char('x'));
    let stop_question = render(&app, 80, 24);
    let stop = key(&mut app, KeyCode::Char('y'));
    key(&mut other, KeyCode::Char('b'));
    let rollback_question = render(&other, 80, 24);
    let rollback = key(&mut other, KeyCode::Char('y'));

    assert!(stop_question.contains("Stop api?"), "{stop_question}");
    assert!(
        stop_question.contains("Its container stops"),
        "{stop_question}"
    );
    let api = "api".to_string();
    assert_eq!(
        stop,
        Some(Action::Stop {
            service: api.clone()
        })
    );
    assert!(
        rollback_question.contains("Roll api back"),
        "{rollback_question}"
    );
    assert_eq!(rollback, Some(Action::Rollback { service: api }));
}

#[test]
fn command_line_asks_before_stopping_a_service() {
    let mut app = running_app();

    key(&mut app, KeyCode::Char(':'));
    keys(&mut app, "st");
    key(&mut app, KeyCode::Tab);
    keys(&mut app, "d");
    key(&mut app, KeyCode::Tab);
    let typed = render(&app, 80, 24);
    let asked = key(&mut app, KeyCode::Enter);
    let confirmed = key(&mut app, KeyCode::Char('y'));

    assert!(typed.contains(":stop db ▏"), "{typed}");
    assert_eq!(asked, None, "nothing runs before the answer");
    assert_eq!(
        confirmed,
        Some(Action::Stop {
            service: "db".to_string()
        })
    );
}

#[test]
fn command_line_completes_and_runs_a_redeploy() {
    let mut app = running_app();

    key(&mut app, KeyCode::Char(':'));
    keys(&mut app, "red");
    key(&mut app, KeyCode::Tab);
    keys(&mut app, "a");
    key(&mut app, KeyCode::Tab);
    let typed = render(&app, 80, 24);
    let action = key(&mut app, KeyCode::Enter);

    assert!(typed.contains(":redeploy api ▏"), "{typed}");
    assert_eq!(
        action,
        Some(Action::Redeploy {
            service: "api".to_string()
        })
    );
}

#[test]
fn command_line_asks_before_deleting_the_data_volume() {
    let mut app = running_app();

    key(&mut app, KeyCode::Char(':'));
    keys(&mut app, "down --volumes");
    let asked = key(&mut app, KeyCode::Enter);
    let screen = render(&app, 80, 24);
    let confirmed = key(&mut app, KeyCode::Char('y'));

    assert_eq!(asked, None, "nothing runs before the answer");
    assert!(screen.contains("delete its data volume"), "{screen}");
    assert_eq!(confirmed, Some(Action::Down { volumes: true }));
}

#[test]
fn command_line_rejects_an_unknown_command_and_shows_logs_by_name() {
    let mut app = running_app();

    key(&mut app, KeyCode::Char(':'));
    keys(&mut app, "deploy api");
    key(&mut app, KeyCode::Enter);
    let rejected = render(&app, 80, 24);
    key(&mut app, KeyCode::Char(':'));
    keys(&mut app, "logs frontend");
    key(&mut app, KeyCode::Enter);
    let logs = render(&app, 80, 24);

    assert!(
        rejected.contains("✗ unknown command \"deploy api\""),
        "{rejected}"
    );
    assert!(logs.contains("logs: frontend"), "{logs}");
    assert_eq!(app.view(), View::Logs);
}

#[test]
fn a_second_press_before_the_job_starts_is_refused() {
    let mut app = running_app();

    let first = key(&mut app, KeyCode::Char('u'));
    let second = key(&mut app, KeyCode::Char('u'));
    app.update(Msg::Ops(Event::Warning(
        "failed to load the stack: no engine".to_string(),
    )));
    let after_failure = key(&mut app, KeyCode::Char('u'));

    assert_eq!(first, Some(Action::Up));
    assert_eq!(second, None, "the first up has not reported its job yet");
    assert_eq!(
        after_failure,
        Some(Action::Up),
        "a failure to start frees the way"
    );
}

#[test]
fn a_user_keymap_moves_redeploy_and_help_shows_the_new_key() {
    let keymap = Keymap::from_names([("redeploy", vec!["R"])]).expect("a valid keymap");
    let mut app = App::new(Options {
        keymap,
        ..options(false, Budget::default())
    });
    app.update(Msg::Ops(Event::Services(three_healthy())));

    let old = key(&mut app, KeyCode::Char('r'));
    let new = key(&mut app, KeyCode::Char('R'));
    key(&mut app, KeyCode::Char('?'));
    let help = render(&app, 80, 24);

    assert_eq!(old, None);
    assert_eq!(
        new,
        Some(Action::Redeploy {
            service: "db".to_string()
        })
    );
    assert!(
        help.contains(" R          redeploy the selected service"),
        "{help}"
    );
}

#[test]
fn q_right_after_r_asks_first_although_the_job_has_not_started() {
    let mut app = running_app();

    let action = key(&mut app, KeyCode::Char('r'));
    key(&mut app, KeyCode::Char('q'));
    let screen = render(&app, 80, 24);

    assert!(action.is_some());
    assert!(!app.should_quit(), "quit while redeploy db was starting");
    assert!(screen.contains("redeploy db is still running"), "{screen}");
    key(&mut app, KeyCode::Char('y'));
    assert!(app.should_quit());
}

fn ctrl(app: &mut App, c: char) {
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::CONTROL,
    )));
}

#[test]
fn command_line_ctrl_keys_edit_the_line_instead_of_typing_letters() {
    let mut app = running_app();
    key(&mut app, KeyCode::Char(':'));

    // `:status` then Ctrl-W, Ctrl-A, Ctrl-E, Ctrl-K once typed `:statuswaek`.
    keys(&mut app, "redeploy status");
    for c in ['a', 'e', 'k'] {
        ctrl(&mut app, c);
    }
    let ignored = render(&app, 80, 24);
    ctrl(&mut app, 'w');
    let word_deleted = render(&app, 80, 24);
    ctrl(&mut app, 'u');
    keys(&mut app, "up");
    let cleared = render(&app, 80, 24);
    ctrl(&mut app, 'c');

    assert!(ignored.contains(":redeploy status▏"), "{ignored}");
    assert!(word_deleted.contains(":redeploy ▏"), "{word_deleted}");
    assert!(cleared.contains(":up▏"), "{cleared}");
    assert!(app.should_quit(), "Ctrl-C quits from the command line too");
}

#[test]
fn footer_names_the_rebound_help_and_quit_keys_and_the_help_key_toggles_help() {
    let keymap =
        Keymap::from_names([("help", vec!["F1"]), ("quit", vec!["Z"])]).expect("a valid keymap");
    let mut app = App::new(Options {
        keymap,
        ..options(false, Budget::default())
    });
    app.update(Msg::Ops(Event::Services(three_healthy())));

    let footer = render(&app, 80, 24);
    key(&mut app, KeyCode::F(1));
    let opened = render(&app, 80, 24);
    key(&mut app, KeyCode::F(1));
    let closed = render(&app, 80, 24);

    assert!(footer.contains("F1 help  Z quit"), "{footer}");
    assert!(!footer.contains("? help"), "{footer}");
    assert!(opened.contains("keys: services"), "{opened}");
    assert!(!closed.contains("keys: services"), "{closed}");
}

#[test]
fn history_records_a_service_turning_unhealthy_and_healthy_again() {
    let mut app = running_app();

    // `docker pause` on db for 20 s: the api's check fails, then passes again.
    let mut unhealthy = three_healthy();
    unhealthy[1].health = Health::Unhealthy("503 database unreachable".to_string());
    app.update(Msg::Tick(t0() + chrono::Duration::seconds(5)));
    app.update(Msg::Ops(Event::Services(unhealthy.clone())));
    app.update(Msg::Ops(Event::Services(unhealthy)));
    app.update(Msg::Tick(t0() + chrono::Duration::seconds(25)));
    app.update(Msg::Ops(Event::Services(three_healthy())));
    key(&mut app, KeyCode::Char('e'));
    let screen = render(&app, 80, 24);

    let recovered = screen.find("12:00:25 ✓ api healthy again");
    let failed = screen.find("12:00:05 ✗ api unhealthy: 503 database unreachable");
    assert!(recovered.is_some() && failed.is_some(), "{screen}");
    assert!(recovered < failed, "newest first: {screen}");
    assert_eq!(screen.matches("api unhealthy").count(), 1, "{screen}");
}
