//! The real `capstan` binary in a real terminal: tmux runs it in a detached 100×30 session, keys
//! go in with `send-keys`, the screen comes out with `capture-pane`. Each test uses its own tmux
//! server (`-L`), its own state directory, and kills both when it ends, even on failure.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A tmux server of its own with one session running a command.
struct Tmux {
    socket: String,
}

impl Tmux {
    /// Starts `command` (run by `sh -c`) in a detached session of `width`×`height`.
    fn start(name: &str, width: u16, height: u16, env: &[(&str, &Path)], command: &str) -> Tmux {
        let tmux = Tmux {
            socket: format!("capstan-smoke-{name}-{}", std::process::id()),
        };
        let mut args = vec![
            "new-session".to_string(),
            "-d".to_string(),
            "-s".to_string(),
            "smoke".to_string(),
            "-x".to_string(),
            width.to_string(),
            "-y".to_string(),
            height.to_string(),
        ];
        for (key, value) in env {
            args.push("-e".to_string());
            args.push(format!("{key}={}", value.display()));
        }
        args.push(command.to_string());
        let output = tmux.run(&args);
        assert!(
            output.status.success(),
            "tmux new-session failed (is tmux installed? run scripts/test): {}",
            String::from_utf8_lossy(&output.stderr)
        );
        tmux
    }

    fn run<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux must be installed to run the smoke tests: run scripts/test")
    }

    fn send_keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "smoke"];
        args.extend_from_slice(keys);
        let output = self.run(&args);
        assert!(output.status.success(), "tmux send-keys {keys:?} failed");
    }

    fn screen(&self) -> String {
        let output = self.run(&["capture-pane", "-p", "-t", "smoke"]);
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// True while the program in the pane is on the alternate screen.
    fn alternate_screen(&self) -> bool {
        let output = self.run(&["display-message", "-p", "-t", "smoke", "#{alternate_on}"]);
        String::from_utf8_lossy(&output.stdout).trim() == "1"
    }

    /// Waits until the screen satisfies `ready`, failing with the last screen after `timeout`.
    fn wait_for(&self, what: &str, timeout: Duration, ready: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return screen;
            }
            assert!(
                start.elapsed() < timeout,
                "timed out waiting for {what}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

#[test]
fn dashboard_opens_shows_help_and_q_restores_the_terminal() {
    // No stack runs under this project: the dashboard opens anyway and, read-only, waits for one
    // instead of bringing it up.
    let dirs = tempfile::tempdir().expect("temporary XDG directories");
    let (data, state, config) = (
        dirs.path().join("data"),
        dirs.path().join("state"),
        dirs.path().join("config"),
    );
    let env = [
        ("XDG_DATA_HOME", data.as_path()),
        ("XDG_STATE_HOME", state.as_path()),
        ("XDG_CONFIG_HOME", config.as_path()),
    ];
    let binary = env!("CARGO_BIN_EXE_capstan");
    let command = format!(
        "{binary} --read-only --project smoke-tui-help --port {}; echo EXITED $?; sleep 600",
        free_port()
    );
    let tmux = Tmux::start("help", 100, 30, &env, &command);

    let opened = tmux.wait_for("the dashboard", Duration::from_secs(20), |screen| {
        screen.contains("capstan · smoke-tui-help")
    });
    assert!(
        tmux.alternate_screen(),
        "the dashboard runs on the alternate screen"
    );
    assert!(opened.contains("? help  q quit"), "{opened}");

    tmux.send_keys(&["?"]);
    let help = tmux.wait_for("the help", Duration::from_secs(5), |s| {
        s.contains("keys: services")
    });
    assert!(help.contains("redeploy the selected service"), "{help}");
    tmux.send_keys(&["Escape"]);
    tmux.wait_for("the help to close", Duration::from_secs(5), |s| {
        !s.contains("keys: services")
    });

    tmux.send_keys(&["q"]);
    let after = tmux.wait_for("the exit", Duration::from_secs(10), |s| {
        s.contains("EXITED")
    });
    assert!(after.contains("EXITED 0"), "{after}");
    assert!(
        !tmux.alternate_screen(),
        "q leaves the alternate screen: {after}"
    );
    let log = state.join("capstan").join("dashboard.log");
    assert!(
        after.contains(&format!("diagnostic log in {}", log.display())),
        "{after}"
    );
    assert!(
        log.exists(),
        "the diagnostic log is written to {}",
        log.display()
    );
}

#[test]
fn a_panic_in_a_background_task_restores_the_terminal_and_exits() {
    let dirs = tempfile::tempdir().expect("temporary XDG directories");
    let (data, state, config) = (
        dirs.path().join("data"),
        dirs.path().join("state"),
        dirs.path().join("config"),
    );
    let env = [
        ("XDG_DATA_HOME", data.as_path()),
        ("XDG_STATE_HOME", state.as_path()),
        ("XDG_CONFIG_HOME", config.as_path()),
    ];
    let binary = env!("CARGO_BIN_EXE_capstan");
    // The seam exists in debug builds only, which is what `cargo test` builds.
    let command = format!(
        "RUST_BACKTRACE=0 CAPSTAN_DEBUG_PANIC_AFTER_MS=2000 {binary} --read-only --project smoke-tui-panic --port {}; \
         echo EXITED $?; sleep 600",
        free_port()
    );
    let tmux = Tmux::start("panic", 100, 30, &env, &command);

    tmux.wait_for("the dashboard", Duration::from_secs(20), |screen| {
        screen.contains("capstan · smoke-tui-panic")
    });
    let after = tmux.wait_for("the exit", Duration::from_secs(20), |s| {
        s.contains("EXITED")
    });

    assert!(after.contains("EXITED 101"), "{after}");
    assert!(
        after.contains("panic requested by CAPSTAN_DEBUG_PANIC_AFTER_MS"),
        "{after}"
    );
    assert!(
        !tmux.alternate_screen(),
        "the panic left the alternate screen: {after}"
    );
    assert!(
        !after.contains("capstan · smoke-tui-panic"),
        "no frame is left over: {after}"
    );
}

/// A stack for one test, with its own project, port and XDG directories; dropping it runs
/// `down --volumes`, so a failing test leaves nothing behind.
struct Stack {
    project: String,
    port: u16,
    dirs: tempfile::TempDir,
    /// The stack file replacing the embedded person stack, when the test has one.
    file: Option<std::path::PathBuf>,
}

impl Stack {
    /// A stack that does not exist yet: nothing runs under its project.
    fn absent(name: &str) -> Stack {
        Stack {
            project: format!("t-{name}-{}", std::process::id()),
            port: free_port(),
            dirs: tempfile::tempdir().expect("temporary XDG directories"),
            file: None,
        }
    }

    /// A stack of the services in `text` (a stack file), not brought up yet.
    fn from_file(name: &str, text: &str) -> Stack {
        let mut stack = Stack::absent(name);
        stack.write_file(text);
        stack
    }

    /// Writes (or rewrites) the stack's file.
    fn write_file(&mut self, text: &str) {
        let path = self.dirs.path().join("stack.toml");
        std::fs::write(&path, text).expect("the test can write its stack file");
        self.file = Some(path);
    }

    fn xdg(&self) -> Vec<(&'static str, std::path::PathBuf)> {
        ["XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME"]
            .into_iter()
            .map(|key| (key, self.dirs.path().join(key.to_lowercase())))
            .collect()
    }

    fn global_args(&self) -> String {
        match &self.file {
            Some(file) => format!("--project {} --stack-file {}", self.project, file.display()),
            None => format!("--project {} --port {}", self.project, self.port),
        }
    }

    fn capstan(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_capstan"))
            .args(self.global_args().split(' '))
            .args(args)
            .envs(self.xdg())
            .stdin(Stdio::null())
            .output()
            .expect("the capstan binary runs")
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        let output = self.capstan(&["down", "--volumes"]);
        if !output.status.success() {
            eprintln!(
                "capstan down --volumes failed for {}: {}",
                self.project,
                String::from_utf8_lossy(&output.stderr)
            );
        }

        // `down` keeps images; this test's carry its project's label, so remove them too.
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

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    listener
        .local_addr()
        .expect("a bound listener has an address")
        .port()
}

#[test]
fn dashboard_brings_a_new_stack_up_shows_it_healthy_with_live_logs_and_stats_and_r_redeploys() {
    // The main job on a fresh machine: `capstan` finds no stack and brings it up itself (the test
    // needs the Docker engine and the base images: run scripts/test).
    let stack = Stack::absent("smoke-tui");
    let xdg = stack.xdg();
    let env: Vec<(&str, &Path)> = xdg
        .iter()
        .map(|(key, path)| (*key, path.as_path()))
        .collect();
    let binary = env!("CARGO_BIN_EXE_capstan");
    let command = format!(
        "{binary} {}; echo EXITED $?; sleep 600",
        stack.global_args()
    );
    let tmux = Tmux::start("stack", 100, 30, &env, &command);

    let bring_up = format!("up {} · ", stack.project);
    tmux.wait_for("the bring-up job", Duration::from_secs(30), |screen| {
        screen.contains(&bring_up)
    });
    let healthy = tmux.wait_for(
        "three healthy services",
        Duration::from_secs(300),
        |screen| {
            ["db", "api", "frontend"].iter().all(|name| {
                screen
                    .lines()
                    .any(|line| line.contains(&format!(" {name} ")) && line.contains("healthy"))
            }) && !screen.contains("unhealthy")
        },
    );
    assert!(
        healthy.contains(&stack.port.to_string()),
        "the published port shows: {healthy}"
    );
    tmux.wait_for("the readiness samples", Duration::from_secs(30), |s| {
        s.contains("ready in")
    });

    // db is selected first: its pane shows MariaDB's own lines. Regression: on a stack the
    // dashboard brought up itself, db's pane stayed at "no log lines yet".
    tmux.wait_for("db log lines", Duration::from_secs(30), |screen| {
        screen.contains("logs: db · following") && screen.contains("[Note]")
    });

    // The api logs a line per request; the readiness sampler makes one every second.
    tmux.send_keys(&["j"]);
    let logs = tmux.wait_for("api log lines", Duration::from_secs(30), |screen| {
        screen.contains("logs: api · following") && screen.contains("/api/ready")
    });
    assert!(logs.contains("\"level\":\"INFO\""), "{logs}");

    // Stats come from the engine's stats stream, about one sample a second per container; the
    // app's traffic from its /metrics, a rate once two readings two seconds apart exist.
    tmux.send_keys(&["s"]);
    let stats = tmux.wait_for(
        "stats of every service",
        Duration::from_secs(30),
        |screen| {
            screen.contains("stats (Esc closes)")
                && screen.matches("  cpu ").count() == 3
                && screen.matches("  mem ").count() == 3
                && !screen.contains("no samples yet")
        },
    );
    assert!(stats.contains("app traffic"), "{stats}");
    tmux.send_keys(&["Escape"]);

    tmux.send_keys(&["r"]);
    tmux.wait_for("the redeploy's steps", Duration::from_secs(30), |screen| {
        screen.contains("redeploy api · ") && screen.contains("✓ ")
    });
    let done = tmux.wait_for(
        "the redeploy's result",
        Duration::from_secs(240),
        |screen| screen.contains("✓ redeploy api:") || screen.contains("✗ redeploy api"),
    );
    assert!(done.contains("✓ redeploy api:"), "{done}");

    tmux.send_keys(&["q"]);
    let after = tmux.wait_for("the exit", Duration::from_secs(10), |s| {
        s.contains("EXITED")
    });
    assert!(after.contains("EXITED 0"), "{after}");
    assert!(
        !tmux.alternate_screen(),
        "q leaves the alternate screen: {after}"
    );
}

/// The ids of the stack's containers and whether each runs.
fn containers(project: &str) -> Vec<(String, bool)> {
    let label = format!("label=dev.capstan.stack={project}");
    let output = Command::new("docker")
        .args([
            "ps",
            "--all",
            "--filter",
            &label,
            "--format",
            "{{.ID}} {{.State}}",
        ])
        .output()
        .expect("docker runs");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_once(' '))
        .map(|(id, state)| (id.to_string(), state == "running"))
        .collect()
}

#[test]
fn quitting_during_a_redeploy_puts_the_service_back_as_it_was() {
    // The redeploy's new container never gets ready; `q` and `y` while it waits must not leave
    // two versions running (the quit question says the service is put back).
    let server = r#"
        name = "unused"
        [services.web]
        image = "debian:bookworm-slim"
        command = ["perl", "-MIO::Socket::INET", "-e", '''
            my $s = IO::Socket::INET->new(LocalPort => 8000, Listen => 5, ReuseAddr => 1) or die;
            while (my $c = $s->accept) { <$c>; print $c "HTTP/1.0 200 OK\r\n\r\n"; close $c }
        ''']
        stop_grace_secs = 1
        ready = { http = { port = 8000, paths = ["/"] }, timeout_secs = 20 }
    "#;
    let mut stack = Stack::from_file("quit-redeploy", server);
    let up = stack.capstan(&["up"]);
    assert!(
        up.status.success(),
        "{}",
        String::from_utf8_lossy(&up.stderr)
    );
    let before = containers(&stack.project);
    assert_eq!(before.len(), 1, "{before:?}");
    stack.write_file(
        &server
            .replace("timeout_secs = 20", "timeout_secs = 120")
            .replace("LocalPort => 8000", "LocalPort => 9999"),
    );

    let xdg = stack.xdg();
    let env: Vec<(&str, &Path)> = xdg.iter().map(|(k, p)| (*k, p.as_path())).collect();
    let binary = env!("CARGO_BIN_EXE_capstan");
    let command = format!(
        "{binary} {} 2>&1; echo EXITED $?; sleep 600",
        stack.global_args()
    );
    let tmux = Tmux::start("quit-redeploy", 100, 30, &env, &command);
    tmux.wait_for("the service", Duration::from_secs(30), |s| {
        s.contains(" web ")
    });
    tmux.send_keys(&["r"]);
    tmux.wait_for(
        "the redeploy's new container",
        Duration::from_secs(60),
        |_| containers(&stack.project).len() == 2,
    );
    tmux.send_keys(&["q"]);
    tmux.wait_for("the quit question", Duration::from_secs(10), |s| {
        s.contains("Quit anyway?")
    });
    tmux.send_keys(&["y"]);

    let after = tmux.wait_for("the exit", Duration::from_secs(60), |s| {
        s.contains("EXITED")
    });
    assert!(after.contains("EXITED 0"), "{after}");
    assert!(after.contains("web is back as it was"), "{after}");
    assert_eq!(containers(&stack.project), before);
}
