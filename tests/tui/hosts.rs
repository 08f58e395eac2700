//! The hosts view: facts and last runs from synthetic host messages, `p` running a playbook in
//! check mode first with its plan and diffs, `y` applying it with steps streaming in, the
//! host-key dialog, a changed key refused, and read-only mode allowing check mode only.

use capstan::provision::Facts;
use capstan::tui::{HostMsg, LastRun, PlanStep, Probe};

use super::support::*;

const FINGERPRINT: &str = "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8";

fn facts(os_id: &str, version: &str, selinux: &str, web: &str) -> Facts {
    Facts {
        os_id: os_id.to_string(),
        os_family: if os_id == "debian" { "debian" } else { "rhel" }.to_string(),
        os_version: version.to_string(),
        package_manager: if os_id == "debian" { "apt" } else { "dnf" }.to_string(),
        init: "systemd".to_string(),
        selinux: selinux.to_string(),
        firewalld: os_id != "debian",
        web_server: web.to_string(),
        web_server_running: web != "none",
        login_user: "deploy".to_string(),
    }
}

fn host(app: &mut App, msg: HostMsg) {
    app.update(Msg::Host(msg));
}

/// The hosts view over two hosts: web1 (RHEL, facts gathered, a run an hour ago) and db1
/// (Debian, still being probed).
fn hosts_app(read_only: bool) -> App {
    let mut app = app_with(read_only, Budget::default());
    app.update(Msg::Ops(Event::Services(three_healthy())));
    key(&mut app, KeyCode::Char('H'));
    host(
        &mut app,
        HostMsg::Inventory(vec![
            ("web1".into(), "deploy@web1:22".into()),
            ("db1".into(), "db1".into()),
        ]),
    );
    host(
        &mut app,
        HostMsg::LastRuns(
            [(
                "web1".to_string(),
                LastRun {
                    at: t0() - chrono::Duration::seconds(3_720),
                    playbook: "rhel-reverse-proxy".into(),
                    check: false,
                    outcome: "4 changed".into(),
                },
            )]
            .into_iter()
            .collect(),
        ),
    );
    host(&mut app, HostMsg::Probing { host: "db1".into() });
    host(
        &mut app,
        HostMsg::Probed {
            host: "web1".into(),
            probe: Probe::Facts(facts("rhel", "9.4", "enforcing", "httpd")),
        },
    );
    app
}

fn vhost_plan() -> Vec<PlanStep> {
    let step = |name: &str, state, detail: Option<&str>| PlanStep {
        name: name.to_string(),
        state,
        duration: Duration::from_millis(40),
        detail: detail.map(str::to_string),
    };
    vec![
        step("facts", JobState::Ok, None),
        step("httpd is installed", JobState::Ok, None),
        step(
            "the vhost proxies to the stack",
            JobState::Changed,
            Some(
                "would write /etc/httpd/conf.d/person.conf\n\
                 --- /etc/httpd/conf.d/person.conf (on host)\n\
                 +++ /etc/httpd/conf.d/person.conf (playbook)\n\
                 @@ -0,0 +1,3 @@\n\
                 +<VirtualHost *:80>\n\
                 +    ProxyPass / http://127.0.0.1:8000/\n\
                 +</VirtualHost>",
            ),
        ),
        step(
            "httpd may connect to the network",
            JobState::Changed,
            Some("httpd_can_network_connect: off → on (persistent)"),
        ),
        step("restart httpd", JobState::Changed, None),
    ]
}

#[test]
fn hosts_view_shows_each_hosts_facts_reachability_and_last_run() {
    let app = hosts_app(false);

    let screen = render(&app, 120, 30);

    assert!(screen.contains("rhel 9.4"), "{screen}");
    assert!(screen.contains("enforcing"), "{screen}");
    assert!(screen.contains("httpd (up)"), "{screen}");
    assert!(screen.contains("checking…"), "{screen}");
    assert!(
        screen.contains("4 changed, 1h02m ago")
            && screen.contains("rhel-reverse-proxy: 4 changed, 2026-12-03 10:58 UTC"),
        "{screen}"
    );
    insta::assert_snapshot!("hosts_facts_120x30", screen);
}

#[test]
fn h_switches_between_the_stack_and_the_hosts_and_help_lists_the_hosts_keys() {
    let mut app = hosts_app(false);

    key(&mut app, KeyCode::Char('?'));
    let help = render(&app, 80, 24);
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('H'));
    let stack = render(&app, 80, 24);

    for binding in tui::bindings(View::Hosts) {
        assert!(help.contains(binding.help), "help lacks {:?}", binding.help);
    }
    assert!(help.contains("keys: hosts"), "{help}");
    assert_eq!(app.view(), View::Services);
    assert!(stack.contains("frontend"), "{stack}");
}

#[test]
fn p_checks_first_shows_the_plan_with_diffs_and_applies_only_after_y() {
    let mut app = hosts_app(false);

    key(&mut app, KeyCode::Char('p'));
    let picker = render(&app, 80, 24);
    key(&mut app, KeyCode::Down);
    let key_down_moves_to_the_rhel_playbook = key(&mut app, KeyCode::Enter);
    assert_eq!(
        key_down_moves_to_the_rhel_playbook,
        Some(Action::Provision {
            host: "web1".into(),
            playbook: "rhel-reverse-proxy".into(),
            check: true,
        })
    );
    assert!(picker.contains("debian-reverse-proxy"), "{picker}");

    job(
        &mut app,
        3,
        JobUpdate::Started {
            title: "provision rhel-reverse-proxy on web1 (check)".into(),
        },
    );
    for step in vhost_plan() {
        let update = JobUpdate::Step {
            name: step.name.clone(),
            state: step.state,
            elapsed: step.duration,
            detail: step.detail.clone(),
        };
        job(&mut app, 3, update);
    }
    let finished = JobUpdate::Finished {
        state: JobState::Changed,
        summary: "web1: 2 ok, 3 changed, 0 skipped, 0 failed in 0.2 s".into(),
    };
    job(&mut app, 3, finished);
    host(
        &mut app,
        HostMsg::Planned {
            host: "web1".into(),
            playbook: "rhel-reverse-proxy".into(),
            steps: vhost_plan(),
        },
    );
    let plan = render(&app, 100, 30);
    key(&mut app, KeyCode::Char('j'));
    let scrolled = render(&app, 100, 12);

    assert!(
        plan.contains("+    ProxyPass / http://127.0.0.1:8000/"),
        "{plan}"
    );
    assert!(
        plan.contains("httpd_can_network_connect: off → on"),
        "{plan}"
    );
    assert!(plan.contains("3 step(s) would change the host"), "{plan}");
    assert!(
        !scrolled.contains("3 step(s) would change"),
        "j scrolls: {scrolled}"
    );
    insta::assert_snapshot!("hosts_plan_100x30", plan);

    let apply = key(&mut app, KeyCode::Char('y'));
    assert_eq!(
        apply,
        Some(Action::Provision {
            host: "web1".into(),
            playbook: "rhel-reverse-proxy".into(),
            check: false,
        })
    );
    job(
        &mut app,
        4,
        JobUpdate::Started {
            title: "provision rhel-reverse-proxy on web1".into(),
        },
    );
    step(&mut app, 4, "facts", JobState::Ok, 310);
    step(&mut app, 4, "httpd is installed", JobState::Ok, 820);
    let vhost = JobUpdate::Step {
        name: "the vhost proxies to the stack".into(),
        state: JobState::Changed,
        elapsed: Duration::from_millis(450),
        detail: Some("wrote /etc/httpd/conf.d/person.conf\n--- diff".into()),
    };
    job(&mut app, 4, vhost);
    step(
        &mut app,
        4,
        "httpd may connect to the network",
        JobState::Running,
        0,
    );
    let streaming = render(&app, 100, 30);

    assert!(
        streaming.contains("wrote /etc/httpd/conf.d/person.conf"),
        "{streaming}"
    );
    assert!(
        !streaming.contains("--- diff"),
        "one line per step: {streaming}"
    );
    insta::assert_snapshot!("hosts_apply_streaming_100x30", streaming);
}

#[test]
fn esc_on_the_plan_changes_nothing() {
    let mut app = hosts_app(false);
    host(
        &mut app,
        HostMsg::Planned {
            host: "web1".into(),
            playbook: "rhel-reverse-proxy".into(),
            steps: vhost_plan(),
        },
    );

    let cancelled = key(&mut app, KeyCode::Esc);
    let y_afterwards = key(&mut app, KeyCode::Char('y'));

    assert_eq!((cancelled, y_afterwards), (None, None));
    assert_eq!(app.view(), View::Hosts);
}

#[test]
fn an_unknown_host_key_shows_type_and_fingerprint_and_only_yes_accepts_that_key() {
    let mut app = hosts_app(false);
    let unknown = Probe::KeyUnknown {
        key_type: "ssh-ed25519".into(),
        fingerprint: FINGERPRINT.into(),
    };

    host(
        &mut app,
        HostMsg::Probed {
            host: "db1".into(),
            probe: unknown,
        },
    );
    let dialog = render(&app, 80, 24);
    let refused = key(&mut app, KeyCode::Char('n'));
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Char('p'));
    let reopened = app.view();
    let accepted = key(&mut app, KeyCode::Char('y'));

    assert!(dialog.contains("ssh-ed25519"), "{dialog}");
    assert!(dialog.contains(FINGERPRINT), "{dialog}");
    assert_eq!(refused, None);
    assert_eq!(
        reopened,
        View::HostKey,
        "p on a host with an unknown key asks again"
    );
    assert_eq!(
        accepted,
        Some(Action::GatherFacts {
            host: "db1".into(),
            accept_fingerprint: Some(FINGERPRINT.into()),
        })
    );
    insta::assert_snapshot!("hosts_host_key_80x24", dialog);
}

#[test]
fn a_changed_host_key_is_refused_with_both_fingerprints() {
    let mut app = hosts_app(false);
    let changed = Probe::KeyChanged {
        expected: "SHA256:recordedrecordedrecorded".into(),
        found: "SHA256:offeredofferedoffered".into(),
    };
    host(
        &mut app,
        HostMsg::Probed {
            host: "web1".into(),
            probe: changed,
        },
    );

    let asked = key(&mut app, KeyCode::Char('p'));
    let screen = render(&app, 120, 30);

    assert_eq!(asked, None);
    assert_eq!(
        app.view(),
        View::Hosts,
        "no playbook picker for a changed key"
    );
    let status = app.status().map(|s| s.text.clone()).unwrap_or_default();
    assert!(
        status.contains("SHA256:recordedrecordedrecorded")
            && status.contains("SHA256:offeredofferedoffered"),
        "{status}"
    );
    assert!(screen.contains("KEY CHANGED"), "{screen}");
}

#[test]
fn read_only_runs_check_mode_but_refuses_to_apply() {
    let mut app = hosts_app(true);

    key(&mut app, KeyCode::Char('p'));
    let check = key(&mut app, KeyCode::Enter);
    host(
        &mut app,
        HostMsg::Planned {
            host: "web1".into(),
            playbook: "debian-reverse-proxy".into(),
            steps: vhost_plan(),
        },
    );
    let plan = render(&app, 100, 30);
    let apply = key(&mut app, KeyCode::Char('y'));

    assert!(matches!(check, Some(Action::Provision { check: true, .. })));
    assert!(plan.contains("read-only: check only"), "{plan}");
    assert_eq!(apply, None);
    let status = app.status().map(|s| s.text.clone()).unwrap_or_default();
    assert!(status.contains("read-only"), "{status}");
}

#[test]
fn a_plan_that_arrives_while_a_host_key_question_is_open_leaves_the_question() {
    let mut app = hosts_app(false);
    let unknown = Probe::KeyUnknown {
        key_type: "ssh-ed25519".into(),
        fingerprint: FINGERPRINT.into(),
    };
    host(
        &mut app,
        HostMsg::Probed {
            host: "db1".into(),
            probe: unknown,
        },
    );

    host(
        &mut app,
        HostMsg::Planned {
            host: "web1".into(),
            playbook: "rhel-reverse-proxy".into(),
            steps: vhost_plan(),
        },
    );

    assert_eq!(app.view(), View::HostKey);
    let status = app.status().map(|s| s.text.clone()).unwrap_or_default();
    assert!(
        status.contains("check of rhel-reverse-proxy on web1 done"),
        "{status}"
    );
}

#[test]
fn scrolling_the_plan_past_its_end_stops_there_so_scrolling_back_is_immediate() {
    let mut app = hosts_app(false);
    host(
        &mut app,
        HostMsg::Planned {
            host: "web1".into(),
            playbook: "rhel-reverse-proxy".into(),
            steps: vhost_plan(),
        },
    );

    for _ in 0..20 {
        key(&mut app, KeyCode::PageDown);
    }
    for _ in 0..13 {
        key(&mut app, KeyCode::Char('k'));
    }
    let screen = render(&app, 100, 12);

    assert!(
        screen.contains("3 step(s) would change the host"),
        "{screen}"
    );
}
