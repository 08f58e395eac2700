use super::*;

fn fixture(name: &str) -> String {
    format!(
        "{}/tests/fixtures/provision/playbooks/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn load_err(name: &str) -> String {
    Playbook::load(&fixture(name)).unwrap_err().to_string()
}

fn facts(family: &str, selinux: &str, firewalld: bool) -> Facts {
    Facts {
        os_id: family.into(),
        os_family: family.into(),
        os_version: "9".into(),
        package_manager: "dnf".into(),
        init: "systemd".into(),
        selinux: selinux.into(),
        firewalld,
        web_server: "none".into(),
        web_server_running: false,
        login_user: "deploy".into(),
    }
}

#[test]
fn valid_fixture_has_every_step_kind_in_order() {
    let playbook = Playbook::load(&fixture("valid.toml")).unwrap();
    let kinds: Vec<&str> = playbook.steps.iter().map(|s| s.action.kind()).collect();
    assert_eq!(
        kinds,
        [
            "package",
            "file",
            "template",
            "selinux_boolean",
            "firewall",
            "service",
            "command",
            "flush_handlers",
            "http_check"
        ]
    );
    assert_eq!(playbook.steps[1].notify, ["reload"]);
    assert_eq!(playbook.handlers.len(), 1);
    assert_eq!(playbook.name, "fixture");
}

#[test]
fn every_shipped_playbook_parses() {
    for (name, _) in BUILTIN {
        let playbook = Playbook::load(name).unwrap();
        assert_eq!(&playbook.name, name);
    }
}

#[test]
fn unknown_key_is_refused_with_file_line_step_and_key() {
    let err = load_err("unknown-key.toml");
    assert!(err.contains("unknown-key.toml"), "{err}");
    assert!(err.contains("line 7, step 2 \"write it\""), "{err}");
    assert!(err.contains("colour"), "{err}");
}

#[test]
fn step_with_two_kinds_is_refused_naming_the_step() {
    let err = load_err("two-kinds.toml");
    assert!(err.contains("step 1 \"confused\""), "{err}");
    assert!(err.contains("exactly one of"), "{err}");
}

#[test]
fn notify_of_a_missing_handler_is_refused() {
    let err = load_err("bad-notify.toml");
    assert!(
        err.contains("notifies \"restart ghost\", which is no handler"),
        "{err}"
    );
}

#[test]
fn non_octal_mode_is_refused() {
    let err = load_err("bad-mode.toml");
    assert!(err.contains("mode \"0999\""), "{err}");
}

#[test]
fn unknown_condition_is_refused() {
    let err = load_err("unknown-when.toml");
    assert!(err.contains("weather"), "{err}");
    assert!(err.contains("step 1 \"odd condition\""), "{err}");
}

#[test]
fn playbook_without_steps_is_refused() {
    assert!(load_err("no-steps.toml").contains("has no steps"));
}

#[test]
fn unknown_playbook_name_lists_the_shipped_ones() {
    let err = Playbook::load("no-such-playbook").unwrap_err().to_string();
    assert!(err.contains("rhel-reverse-proxy"), "{err}");
}

#[test]
fn when_matches_any_listed_value_and_all_keys() {
    let when = When {
        os_family: OneOrMany::One("rhel".into()),
        selinux: OneOrMany::Many(vec!["enforcing".into(), "permissive".into()]),
        ..When::default()
    };
    assert_eq!(when.refusal(&facts("rhel", "enforcing", false)), None);
    assert_eq!(when.refusal(&facts("rhel", "permissive", false)), None);
    assert_eq!(
        when.refusal(&facts("rhel", "disabled", false)).as_deref(),
        Some("selinux is disabled, not enforcing or permissive")
    );
    assert_eq!(
        when.refusal(&facts("debian", "enforcing", false))
            .as_deref(),
        Some("os_family is debian, not rhel")
    );
}

#[test]
fn when_firewalld_compares_the_running_state() {
    let when = When {
        firewalld: Some(true),
        ..When::default()
    };
    assert_eq!(when.refusal(&facts("rhel", "enforcing", true)), None);
    assert_eq!(
        when.refusal(&facts("rhel", "enforcing", false)).as_deref(),
        Some("firewalld is not running (the step wants it running)")
    );
    assert_eq!(
        When::default().refusal(&facts("other", "disabled", false)),
        None
    );
}

#[test]
fn template_from_the_playbook_directory_wins_over_the_builtin_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("templates")).unwrap();
    std::fs::write(dir.path().join("templates/debian-vhost.conf.j2"), "mine").unwrap();
    let path = dir.path().join("p.toml");
    std::fs::write(
        &path,
        "[[steps]]\nname = \"c\"\ncommand = { run = \"true\" }\n",
    )
    .unwrap();

    let playbook = Playbook::load(path.to_str().unwrap()).unwrap();
    assert_eq!(
        playbook.template_text("debian-vhost.conf.j2").unwrap(),
        "mine"
    );
    assert!(
        playbook
            .template_text("rhel-vhost.conf.j2")
            .unwrap()
            .contains("VirtualHost")
    );
    assert!(playbook.template_text("../etc/passwd").is_err());
}
