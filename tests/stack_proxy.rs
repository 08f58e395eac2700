//! Issue 3's "done when": `capstan provision debian-reverse-proxy` turns this machine's bare
//! Apache into a reverse proxy IN FRONT OF THE RUNNING STACK, and a re-run changes nothing.
//!
//! Everything is real: the stack is brought up by the real binary on the real Docker engine,
//! the playbook runs over the test sshd (`scripts/services/start-sshd.sh`) with its
//! passwordless-sudo user against Debian's apache2, and the answer is read through Apache.
//! Needs `scripts/test` to have started the services; fails, not skips, without.

#[allow(dead_code)]
#[path = "provision/support.rs"]
mod support;

use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard};

use support::{Home, env, free_port, get, sh};

const SITE: &str = "/etc/apache2/sites-available/000-capstan-person.conf";

/// One test of this binary at a time touches Apache; across binaries, `.config/nextest.toml`
/// puts this binary and tests/provision.rs in one test group of one thread.
static APACHE: Mutex<()> = Mutex::new(());

/// Puts this machine's Apache back as it was, even when the test panics: the site removed, the
/// proxy modules disabled when they were before, ports.conf restored, Apache stopped (or
/// reloaded when it ran before). Holds the Apache lock until then.
struct ApacheRestore {
    ports_conf: Vec<u8>,
    mods_before: String,
    was_running: bool,
    _lock: MutexGuard<'static, ()>,
}

impl ApacheRestore {
    fn capture() -> ApacheRestore {
        // A test that failed while holding the lock restored Apache on its way out.
        let lock = APACHE
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        ApacheRestore {
            ports_conf: std::fs::read("/etc/apache2/ports.conf").expect("read ports.conf"),
            mods_before: sh("ls /etc/apache2/mods-enabled"),
            was_running: apache_running(),
            _lock: lock,
        }
    }
}

impl Drop for ApacheRestore {
    fn drop(&mut self) {
        sh("a2dissite -q 000-capstan-person >/dev/null 2>&1; rm -f \
            /etc/apache2/sites-available/000-capstan-person.conf*");
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

/// The stack of this test, brought up in `home` by the real binary; dropping it runs
/// `down --volumes` and removes the images labelled with its project, even on failure.
struct Stack<'a> {
    home: &'a Home,
    project: String,
    port: u16,
}

impl<'a> Stack<'a> {
    fn up(home: &'a Home) -> Stack<'a> {
        let stack = Stack {
            home,
            project: format!("t-stack-proxy-{}", std::process::id()),
            port: free_port(),
        };
        let up = stack.capstan(&["up"]);
        assert!(
            up.success,
            "capstan up failed (this test needs the Docker engine and the base images: run \
             scripts/test):\n{}",
            up.all_text()
        );
        stack
    }

    fn capstan(&self, args: &[&str]) -> support::Run {
        let port = self.port.to_string();
        let mut all = vec!["--project", &self.project, "--port", &port];
        all.extend_from_slice(args);
        self.home.capstan(&all)
    }
}

impl Drop for Stack<'_> {
    fn drop(&mut self) {
        let down = self.capstan(&["down", "--volumes"]);
        if !down.success {
            eprintln!(
                "capstan down --volumes failed for {}: {}",
                self.project, down.stderr
            );
        }
        let label = format!("label=dev.capstan.stack={}", self.project);
        let listed = Command::new("docker")
            .args(["image", "ls", "--quiet", "--filter", &label])
            .output();
        if let Ok(listed) = listed {
            let ids = String::from_utf8_lossy(&listed.stdout);
            let ids: Vec<&str> = ids.split_whitespace().collect();
            if !ids.is_empty() {
                let _ = Command::new("docker")
                    .args(["image", "rm", "--force"])
                    .args(&ids)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
            }
        }
    }
}

#[test]
fn debian_reverse_proxy_puts_apache_in_front_of_the_running_stack_and_a_rerun_changes_nothing() {
    let home = Home::new(
        "debian-test",
        &env("CAPSTAN_TEST_SSH_PORT"),
        &env("CAPSTAN_TEST_SSH_USER"),
        &env("CAPSTAN_TEST_SSH_KEY"),
    );
    let stack = Stack::up(&home);
    let restore = ApacheRestore::capture();
    let listen = free_port();
    let direct = get(stack.port, "/api/persons/").expect("the stack answers on its port");
    assert_eq!(direct.0, 200, "the stack itself: {direct:?}");

    let listen_var = format!("listen_port={listen}");
    let upstream_var = format!("upstream=127.0.0.1:{}", stack.port);
    let provision = |extra: &[&str]| {
        let mut args = vec![
            "provision",
            "debian-reverse-proxy",
            "debian-test",
            "--json",
            "--var",
            &listen_var,
            "--var",
            &upstream_var,
        ];
        args.extend_from_slice(extra);
        home.capstan(&args)
    };

    let first = provision(&["--accept-new-host-key"]);
    assert!(first.success, "{}", first.all_text());
    assert_eq!(first.count("failed"), 0, "{}", first.stdout);
    assert_eq!(first.outcome("the site proxies to the stack"), "changed");
    assert_eq!(first.outcome("the app answers through the proxy"), "ok");
    let through_apache = get(listen, "/api/persons/").expect("Apache answers on the test port");
    assert_eq!(
        through_apache, direct,
        "Apache must answer the stack's JSON unchanged"
    );
    let page: serde_json::Value =
        serde_json::from_str(&through_apache.1).expect("the stack's JSON through Apache");
    assert!(
        page["results"].is_array() && page["count"].is_u64(),
        "the persons page through Apache: {page}"
    );

    let second = provision(&[]);
    assert!(second.success, "{}", second.all_text());
    assert_eq!(second.count("changed"), 0, "{}", second.stdout);
    assert_eq!(second.count("failed"), 0, "{}", second.stdout);
    eprintln!(
        "debian-reverse-proxy in front of the stack, wall time: first run {:.2} s, re-run {:.2} s",
        first.took.as_secs_f64(),
        second.took.as_secs_f64()
    );

    drop(restore);
    assert!(!std::path::Path::new(SITE).exists(), "the site was left");
    assert!(
        get(listen, "/api/persons/").is_none(),
        "Apache still listens on the test port after the restore"
    );
}

/// A tmux server of its own running one command in a detached session.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(name: &str, command: &str) -> Tmux {
        let tmux = Tmux {
            socket: format!("capstan-{name}-{}", std::process::id()),
        };
        let started = tmux.run(&[
            "new-session",
            "-d",
            "-s",
            "main",
            "-x",
            "110",
            "-y",
            "34",
            command,
        ]);
        assert!(
            started,
            "tmux new-session failed (is tmux installed? run scripts/test)"
        );
        tmux
    }

    fn run(&self, args: &[&str]) -> bool {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "main"];
        args.extend_from_slice(keys);
        assert!(self.run(&args), "tmux send-keys {keys:?} failed");
    }

    fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p", "-t", "main"])
            .output()
            .expect("run tmux");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the screen shows every one of `texts`, failing with the last screen.
    fn wait_for(&self, texts: &[&str]) -> String {
        let started = std::time::Instant::now();
        loop {
            let screen = self.screen();
            if texts.iter().all(|text| screen.contains(text)) {
                return screen;
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(60),
                "timed out waiting for {texts:?}; screen:\n{screen}"
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.run(&["kill-server"]);
    }
}

#[test]
fn dashboard_hosts_view_asks_for_the_host_key_then_shows_facts_and_a_check_plan_over_real_ssh() {
    let home = Home::new(
        "debian-test",
        &env("CAPSTAN_TEST_SSH_PORT"),
        &env("CAPSTAN_TEST_SSH_USER"),
        &env("CAPSTAN_TEST_SSH_KEY"),
    );
    let inventory = home.path().join("config/capstan/hosts.toml");
    std::fs::create_dir_all(inventory.parent().expect("a parent")).expect("create config dir");
    std::fs::write(
        &inventory,
        "[[host]]\nname = \"debian-test\"\nalias = \"debian-test\"\n",
    )
    .expect("write the inventory");
    let fingerprint = sh(&format!(
        "ssh-keygen -lf {} | cut -d' ' -f2",
        env("CAPSTAN_TEST_SSH_HOST_KEY_PUB")
    ));
    let fingerprint = fingerprint.trim();
    assert!(fingerprint.starts_with("SHA256:"), "{fingerprint}");
    let _apache = ApacheRestore::capture();
    let before = support::hash_tree(std::path::Path::new("/etc/apache2"));

    let dir = home.path().display();
    let command = format!(
        "env -u SSH_AUTH_SOCK HOME={dir} XDG_CONFIG_HOME={dir}/config XDG_DATA_HOME={dir}/data \
         XDG_STATE_HOME={dir}/state {} --project t-hosts-tui-{} --port {}; sleep 600",
        env!("CARGO_BIN_EXE_capstan"),
        std::process::id(),
        free_port()
    );
    let tmux = Tmux::start("hosts-tui", &command);
    tmux.wait_for(&["? help"]);

    tmux.keys(&["H"]);
    tmux.wait_for(&["key unknown"]);
    tmux.keys(&["p"]);
    let dialog = tmux.wait_for(&["unknown host key", fingerprint]);
    assert!(dialog.contains("ssh-ed25519"), "{dialog}");
    tmux.keys(&["y"]);
    let facts = tmux.wait_for(&["reachable", "debian 12", "apache2"]);
    assert!(facts.contains("never"), "no run recorded yet: {facts}");

    tmux.keys(&["p"]);
    tmux.wait_for(&["playbook for debian-test", "rhel-reverse-proxy"]);
    tmux.keys(&["Enter"]);
    let plan = tmux.wait_for(&["plan: debian-reverse-proxy on debian-test", "y apply"]);
    assert!(plan.contains("would change"), "{plan}");
    assert!(
        plan.contains("+++ /etc/apache2/sites-available/000-capstan-person.conf (playbook)"),
        "the plan shows the vhost's diff: {plan}"
    );
    tmux.keys(&["Escape"]);
    let after = tmux.wait_for(&["(check) · debian-test:", "debian-reverse-proxy (check):"]);

    assert_eq!(
        support::hash_tree(std::path::Path::new("/etc/apache2")),
        before,
        "the check run changed /etc/apache2:\n{after}"
    );
    let audit = std::fs::read_to_string(home.audit_log()).expect("the check run is audited");
    assert!(audit.contains("\"check\":true"), "{audit}");
    tmux.keys(&["q"]);
}
