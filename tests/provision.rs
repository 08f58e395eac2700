//! Provisioning over real SSH: the Debian playbook against this machine (the test sshd's
//! passwordless-sudo user, Debian's apache2), and the RHEL playbook against the RHEL stand-in
//! host.
//!
//! The RHEL path is verified on a stand-in, because no RHEL can run here: a container with real
//! OpenSSH, sudo and Apache whose `dnf`, `rpm`, `getenforce`, `getsebool`, `setsebool`,
//! `semanage`, `restorecon`, `firewall-cmd`, `systemctl`, `httpd` and `apachectl` are scripts
//! keeping state in files, with the real tools' output formats and exit codes
//! (`assets/images/rhel-standin`, started by `scripts/services/start-rhel-host.sh`). Capstan
//! sends it the same command lines a real RHEL 9 host gets.
//!
//! Both tests need `scripts/test` to have started the services; they fail, not skip, without.

#[path = "provision/support.rs"]
mod support;

use std::os::unix::fs::PermissionsExt;

use support::{Home, Upstream, env, free_port, get, hash_tree, sh};

const SITE: &str = "/etc/apache2/sites-available/000-capstan-person.conf";
const REMOVE_SITE: &str = "a2dissite -q 000-capstan-person >/dev/null 2>&1; \
    rm -f /etc/apache2/sites-available/000-capstan-person.conf*";

/// Puts this machine's Apache back as it was: site and modules disabled, ports.conf restored,
/// Apache stopped (or reloaded when it ran before), even when the test panics.
struct ApacheRestore {
    ports_conf: Vec<u8>,
    mods_before: String,
    was_running: bool,
}

impl ApacheRestore {
    fn capture() -> ApacheRestore {
        ApacheRestore {
            ports_conf: std::fs::read("/etc/apache2/ports.conf").expect("read ports.conf"),
            mods_before: sh("ls /etc/apache2/mods-enabled"),
            was_running: apache_running(),
        }
    }
}

impl Drop for ApacheRestore {
    fn drop(&mut self) {
        sh(REMOVE_SITE);
        for module in ["proxy_http", "headers", "proxy"] {
            if !self.mods_before.contains(&format!("{module}.load")) {
                sh(&format!("a2dismod -q -f {module} >/dev/null 2>&1"));
            }
        }
        let _ = std::fs::write("/etc/apache2/ports.conf", &self.ports_conf);
        if self.was_running {
            sh("apachectl graceful");
        } else {
            sh("apachectl stop >/dev/null 2>&1; for i in $(seq 1 50); do \
                [ -f /run/apache2/apache2.pid ] || break; sleep 0.1; done");
        }
        sh("rm -f /var/log/apache2/capstan-person-*.log");
    }
}

fn apache_running() -> bool {
    sh("[ -f /run/apache2/apache2.pid ] && kill -0 $(cat /run/apache2/apache2.pid) && echo yes")
        .trim()
        == "yes"
}

fn debian_home() -> Home {
    Home::new(
        "debian-test",
        &env("CAPSTAN_TEST_SSH_PORT"),
        &env("CAPSTAN_TEST_SSH_USER"),
        &env("CAPSTAN_TEST_SSH_KEY"),
    )
}

#[test]
fn debian_playbook_makes_a_checked_idempotent_reverse_proxy_that_survives_a_broken_template() {
    let home = debian_home();
    let restore = ApacheRestore::capture();
    sh(REMOVE_SITE);
    let upstream = Upstream::start();
    let listen = free_port();
    let secret = format!("capstan-test-secret-{}", std::process::id());
    let secret_file = home.path().join("upstream-token");
    std::fs::write(&secret_file, format!("{secret}\n")).unwrap();
    std::fs::set_permissions(&secret_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let listen_var = format!("listen_port={listen}");
    let upstream_var = format!("upstream=127.0.0.1:{}", upstream.port);
    let secret_arg = format!("upstream_token={}", secret_file.display());
    let args = |extra: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = ["provision", "debian-reverse-proxy", "debian-test", "--json"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        for s in [
            "--var",
            &listen_var,
            "--var",
            &upstream_var,
            "--secret",
            &secret_arg,
        ] {
            args.push(s.to_string());
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };
    let run = |extra: &[&str]| {
        let args = args(extra);
        home.capstan(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };

    // --check changes nothing and shows the exact diff, secret masked.
    let before = hash_tree(std::path::Path::new("/etc/apache2"));
    let check = run(&["--check", "--accept-new-host-key"]);
    assert!(check.success, "{}", check.all_text());
    assert_eq!(
        hash_tree(std::path::Path::new("/etc/apache2")),
        before,
        "--check changed files"
    );
    assert!(
        !apache_running() || restore.was_running,
        "--check started Apache"
    );
    let expected_vhost_diff = format!(
        "--- {SITE} (on host)\n+++ {SITE} (playbook)\n@@ -0,0 +1,11 @@\n\
         +# Managed by Capstan (playbook debian-reverse-proxy): edits here are \
         overwritten on the next run.\n\
         +# The site name sorts before 000-default, so this is the first (default) vhost \
         on its port.\n\
         +<VirtualHost *:{listen}>\n\
         +    ServerName localhost\n\
         +    ProxyPreserveHost On\n\
         +    RequestHeader set X-Upstream-Token \"********\"\n\
         +    ProxyPass        / http://127.0.0.1:{up}/ retry=0\n\
         +    ProxyPassReverse / http://127.0.0.1:{up}/\n\
         +    ErrorLog ${{APACHE_LOG_DIR}}/capstan-person-error.log\n\
         +    CustomLog ${{APACHE_LOG_DIR}}/capstan-person-access.log combined\n\
         +</VirtualHost>\n",
        up = upstream.port
    );
    assert_eq!(check.outcome("the site proxies to the stack"), "changed");
    let detail = check.detail("the site proxies to the stack");
    assert!(
        detail.ends_with(&expected_vhost_diff),
        "diff was:\n{detail}"
    );
    let ports = check.detail("apache2 listens on the proxy port");
    assert!(
        ports.contains("-Listen 80\n") && ports.contains(&format!("+Listen {listen}\n")),
        "{ports}"
    );
    assert_eq!(check.outcome("restart apache2"), "changed");

    // The real run turns the bare Apache into a working reverse proxy.
    let first = run(&[]);
    assert!(first.success, "{}", first.all_text());
    assert_eq!(first.count("failed"), 0);
    assert_eq!(first.outcome("the site proxies to the stack"), "changed");
    assert_eq!(first.outcome("restart apache2"), "changed");
    assert_eq!(first.outcome("the app answers through the proxy"), "ok");
    assert_eq!(
        sh("apachectl configtest 2>&1").trim_end().lines().last(),
        Some("Syntax OK")
    );
    assert_eq!(get(listen, "/api/health"), Some((200, "ok\n".to_string())));
    let seen = upstream.seen_headers.lock().unwrap().clone();
    assert!(
        seen.iter()
            .any(|h| h.eq_ignore_ascii_case(&format!("x-upstream-token: {secret}"))),
        "the upstream never got the token header: {seen:?}"
    );
    assert!(
        seen.iter()
            .any(|h| h.eq_ignore_ascii_case("host: localhost")),
        "{seen:?}"
    );

    // The re-run changes nothing.
    let second = run(&[]);
    assert!(second.success, "{}", second.all_text());
    assert_eq!(second.count("changed"), 0, "{}", second.stdout);
    eprintln!(
        "debian-reverse-proxy wall time: first run {:.2} s, re-run {:.2} s",
        first.took.as_secs_f64(),
        second.took.as_secs_f64()
    );

    // A broken template leaves the working config in place and Apache serving.
    let working = std::fs::read(SITE).unwrap();
    let broken = tempfile::tempdir().unwrap();
    let playbook = broken.path().join("debian-reverse-proxy.toml");
    let shipped = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/playbooks/debian-reverse-proxy.toml"
    );
    std::fs::copy(shipped, &playbook).unwrap();
    std::fs::create_dir(broken.path().join("templates")).unwrap();
    std::fs::write(
        broken.path().join("templates/debian-vhost.conf.j2"),
        "<VirtualHost *:{{ listen_port }}>\n    ProxyPassTypo / http://{{ upstream }}/\n\
         </VirtualHost>\n",
    )
    .unwrap();
    let mut broken_args = args(&[]);
    broken_args[1] = playbook.display().to_string();
    let third = home.capstan(&broken_args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(!third.success, "a refused vhost must fail the run");
    assert_eq!(third.outcome("the site proxies to the stack"), "failed");
    let why = third.detail("the site proxies to the stack");
    assert!(
        why.contains("ProxyPassTypo") && why.contains("put the previous file back"),
        "{why}"
    );
    assert!(
        third.steps().iter().all(|s| s["step"] != "restart apache2"),
        "{}",
        third.stdout
    );
    assert_eq!(
        std::fs::read(SITE).unwrap(),
        working,
        "the working vhost was not restored"
    );
    assert_eq!(
        sh("ls /etc/apache2/sites-available | grep -c capstan-").trim(),
        "1"
    );
    assert_eq!(get(listen, "/api/health"), Some((200, "ok\n".to_string())));

    // The secret appears nowhere: output, diffs, the audit log.
    for run in [&check, &first, &second, &third] {
        assert!(
            !run.all_text().contains(&secret),
            "secret leaked:\n{}",
            run.all_text()
        );
    }
    let audit = std::fs::read_to_string(home.audit_log()).expect("the audit log exists");
    assert!(!audit.contains(&secret), "secret leaked into the audit log");
    assert!(audit.contains("\"check\":true") && audit.contains("\"check\":false"));
    let records = audit.lines().count();
    assert_eq!(
        records,
        check.steps().len() + first.steps().len() + second.steps().len() + third.steps().len()
    );
    let as_json = home.capstan(&["audit", "--json", "--last", "2"]);
    let last: Vec<serde_json::Value> = as_json
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(last.len(), 2, "{}", as_json.stdout);
    assert_eq!(last[1]["host"], "debian-test");
    assert_eq!(last[1]["check"], false);
    let printed = home.capstan(&["audit", "--host", "debian-test"]);
    assert!(
        printed.success
            && printed
                .stdout
                .contains("RequestHeader set X-Upstream-Token \"********\"")
    );

    drop(restore);
    assert!(!std::path::Path::new(SITE).exists());
}

#[test]
fn rhel_playbook_on_the_stand_in_sets_boolean_firewall_vhost_and_restarts_once() {
    let home = Home::new(
        "rhel-test",
        &env("CAPSTAN_TEST_RHEL_SSH_PORT"),
        &env("CAPSTAN_TEST_RHEL_SSH_USER"),
        &env("CAPSTAN_TEST_RHEL_SSH_KEY"),
    );
    let container = env("CAPSTAN_TEST_RHEL_CONTAINER");
    let state = |path: &str| {
        sh(&format!(
            "docker exec {container} cat /var/lib/standin/{path}"
        ))
    };
    sh(&format!("docker exec {container} standin-reset"));
    assert_eq!(
        state("selinux/booleans/httpd_can_network_connect").trim(),
        "off off"
    );

    let args = [
        "provision",
        "rhel-reverse-proxy",
        "rhel-test",
        "--json",
        "--accept-new-host-key",
    ];
    let vhost_path = "/etc/httpd/conf.d/00-capstan-person.conf";
    let snapshot = || {
        sh(&format!(
            "docker exec {container} sh -c \
             'find /var/lib/standin /etc/httpd -type f | sort | xargs sha256sum'"
        ))
    };

    // --check: before → after for the boolean (current and persistent) and the firewall
    // (runtime and permanent), and nothing changed on the host.
    let before = snapshot();
    assert!(
        before.contains("/var/lib/standin/selinux/booleans/"),
        "{before}"
    );
    let check = home.capstan(&[&args[..], &["--check"]].concat());
    assert!(check.success, "{}", check.all_text());
    assert_eq!(snapshot(), before, "--check changed the host");
    assert_eq!(
        check.detail("gather facts"),
        "rhel 9.4 (dnf, systemd), SELinux enforcing, firewalld running, web server none"
    );
    assert_eq!(
        check.detail("httpd may connect to the network (SELinux)"),
        "httpd_can_network_connect: current off → on, persistent off → on"
    );
    assert_eq!(
        check.detail("http is open in firewalld"),
        "service http: runtime closed → open, permanent closed → open"
    );
    let diff = check.detail("the vhost proxies to the stack");
    assert!(
        diff.contains(&format!("+++ {vhost_path} (playbook)")),
        "{diff}"
    );
    assert_eq!(check.outcome("restart httpd"), "changed");

    let first = home.capstan(&args);
    assert!(first.success, "{}", first.all_text());
    for step in [
        "httpd is installed",
        "semanage is installed",
        "the vhost proxies to the stack",
        "httpd may connect to the network (SELinux)",
        "http is open in firewalld",
        "httpd is enabled and running",
        "restart httpd",
    ] {
        assert_eq!(
            first.outcome(step),
            "changed",
            "{step}: {}",
            first.detail(step)
        );
    }
    assert_eq!(first.outcome("the app answers through the proxy"), "ok");
    assert_eq!(
        first.detail("httpd may connect to the network (SELinux)"),
        "httpd_can_network_connect: current off → on, persistent off → on"
    );
    assert_eq!(
        state("selinux/booleans/httpd_can_network_connect").trim(),
        "on on"
    );
    assert!(
        state("firewalld/runtime-services")
            .lines()
            .any(|l| l == "http")
    );
    assert!(
        state("firewalld/permanent-services")
            .lines()
            .any(|l| l == "http")
    );
    assert!(state("systemd/enabled").lines().any(|l| l == "httpd"));
    let vhost = sh(&format!("docker exec {container} cat {vhost_path}"));
    assert!(
        vhost.contains("ProxyPass        / http://127.0.0.1:8000/ retry=0"),
        "{vhost}"
    );

    let second = home.capstan(&args);
    assert!(second.success, "{}", second.all_text());
    assert_eq!(second.count("changed"), 0, "{}", second.stdout);
    eprintln!(
        "rhel-reverse-proxy wall time on the stand-in: first run {:.2} s, re-run {:.2} s",
        first.took.as_secs_f64(),
        second.took.as_secs_f64()
    );
}

#[test]
fn one_run_covers_several_hosts_and_summarises_each_even_when_one_is_unreachable() {
    let home = debian_home();
    home.add_alias(
        "rhel-test",
        &env("CAPSTAN_TEST_RHEL_SSH_PORT"),
        &env("CAPSTAN_TEST_RHEL_SSH_USER"),
        &env("CAPSTAN_TEST_RHEL_SSH_KEY"),
    );
    let nowhere = format!("nobody@127.0.0.1:{}", free_port());

    let run = home.capstan(&[
        "provision",
        "rhel-reverse-proxy",
        "debian-test",
        "rhel-test",
        &nowhere,
        "--check",
        "--json",
        "--accept-new-host-key",
    ]);

    assert!(!run.success, "an unreachable host must fail the run");
    let summaries = run.summaries();
    assert_eq!(summaries.len(), 3, "{}", run.stdout);
    assert_eq!(summaries[&nowhere]["failed"], 1, "{}", run.stdout);
    assert_eq!(summaries["debian-test"]["failed"], 0, "{}", run.stdout);
    // Not asserting rhel-test's outcomes: the RHEL test may be resetting that host meanwhile.
    assert!(summaries.contains_key("rhel-test"), "{}", run.stdout);
    let on_debian: Vec<_> = run
        .steps()
        .into_iter()
        .filter(|s| s["host"] == "debian-test")
        .collect();
    assert!(
        on_debian
            .iter()
            .any(|s| s["step"] == "gather facts" && s["outcome"] == "ok")
    );
    let skipped = on_debian
        .iter()
        .filter(|s| s["outcome"] == "skipped")
        .count();
    assert_eq!(
        skipped,
        on_debian.len() - 1,
        "every RHEL step is skipped on Debian: {on_debian:?}"
    );
    let on_rhel = run
        .steps()
        .into_iter()
        .filter(|s| s["host"] == "rhel-test")
        .count();
    assert!(on_rhel >= 8, "{}", run.stdout);
}
