//! The real `capstan` binary in a real terminal: tmux runs it in a detached 100×30 session, keys
//! go in with `send-keys`, the screen comes out with `capture-pane`. Each test uses its own tmux
//! server (`-L`), its own state directory, and kills both when it ends, even on failure.

use std::path::Path;
use std::process::{Command, Output};
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
    let state = tempfile::tempdir().expect("a temporary state directory");
    let binary = env!("CARGO_BIN_EXE_capstan");
    let command = format!("{binary} --project smoke-tui-help; echo EXITED $?; sleep 600");
    let tmux = Tmux::start(
        "help",
        100,
        30,
        &[("XDG_STATE_HOME", state.path())],
        &command,
    );

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
    let log = state.path().join("capstan").join("dashboard.log");
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
