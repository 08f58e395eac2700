//! A stack owned by one test: its project name, port, data directory, and clean-up.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use capstan::engine::Engine;

/// Connects to the engine, or fails the test saying how to get one.
pub async fn engine() -> Engine {
    Engine::connect().await.unwrap_or_else(|err| {
        panic!("these tests need the Docker engine ({err}); run scripts/test on a machine with it")
    })
}

/// A service of `debian:bookworm-slim` whose perl runs `script` and then answers HTTP on port
/// 8000 (the readiness check); it stops within a second.
pub fn perl_service(name: &str, script: &str) -> String {
    format!(
        r#"
        [services.{name}]
        image = "debian:bookworm-slim"
        command = ["perl", "-MIO::Socket::INET", "-e", '''
            $| = 1;
            {script}
            my $server = IO::Socket::INET->new(LocalPort => 8000, Listen => 5, ReuseAddr => 1)
                or die "listen: $!";
            while (my $client = $server->accept) {{
                <$client>;
                print $client "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok";
                close $client;
            }}
        ''']
        stop_grace_secs = 1
        ready = {{ http = {{ port = 8000, paths = ["/"] }}, timeout_secs = 10 }}
        "#
    )
}

/// Runs `docker ARGS`; fails the test with docker's own message when it fails.
pub fn docker(args: &[&str]) {
    let output = std::process::Command::new("docker")
        .args(args)
        .output()
        .expect("docker runs");
    assert!(
        output.status.success(),
        "docker {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// What one run of the binary printed and whether it succeeded.
pub struct Run {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
    /// Both, for assertion messages.
    pub output: String,
}

pub struct TestStack {
    pub project: String,
    pub port: u16,
    data: tempfile::TempDir,
    stack_file: Option<PathBuf>,
}

impl TestStack {
    /// A stack named after the test and this process, on a free port, with its own data
    /// directory; `stack_file` replaces the embedded stack when given.
    pub fn new(name: &str, stack_file: Option<&str>) -> TestStack {
        let project = format!("t-{name}-{}", std::process::id());
        let port = free_port();
        let data = tempfile::tempdir().expect("a temporary data directory");
        let mut stack = TestStack {
            project,
            port,
            data,
            stack_file: None,
        };
        if let Some(text) = stack_file {
            stack.stack_file = Some(stack.write_stack_file("stack.toml", text));
        }
        stack
    }

    pub fn write_stack_file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.data.path().join(name);
        std::fs::write(&path, text).expect("the test can write its stack file");
        path
    }

    /// Runs `capstan ARGS` for this stack.
    pub async fn capstan(&self, args: &[&str]) -> Run {
        self.run(self.stack_file.as_deref(), args).await
    }

    /// Runs `capstan --stack-file FILE ARGS` for this stack.
    pub async fn capstan_with_file(&self, file: &Path, args: &[&str]) -> Run {
        self.run(Some(file), args).await
    }

    /// `capstan ARGS` for this stack, not started yet (for a command that runs until killed).
    pub fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_capstan"));
        command
            .args(self.global_args(self.stack_file.as_deref()))
            .args(args)
            .env("XDG_DATA_HOME", self.data.path())
            .stdin(Stdio::null())
            .kill_on_drop(true);
        command
    }

    async fn run(&self, file: Option<&Path>, args: &[&str]) -> Run {
        let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_capstan"))
            .args(self.global_args(file))
            .args(args)
            .env("XDG_DATA_HOME", self.data.path())
            .stdin(Stdio::null())
            .output()
            .await
            .expect("the capstan binary runs");
        run_of(&output)
    }

    /// Runs `capstan ARGS` for this stack on a terminal (a pseudo-terminal of util-linux's
    /// `script`): `stdout` is what the terminal received, from stdout and stderr both.
    pub async fn capstan_on_terminal(&self, args: &[&str]) -> Run {
        let words: Vec<String> = std::iter::once(env!("CARGO_BIN_EXE_capstan").to_string())
            .chain(self.global_args(self.stack_file.as_deref()))
            .chain(args.iter().map(|arg| arg.to_string()))
            .map(|word| format!("'{}'", word.replace('\'', r"'\''")))
            .collect();
        let output = tokio::process::Command::new("script")
            .args([
                "--quiet",
                "--return",
                "--command",
                &words.join(" "),
                "/dev/null",
            ])
            .env("XDG_DATA_HOME", self.data.path())
            .stdin(Stdio::null())
            .output()
            .await
            .expect("util-linux `script` runs");
        run_of(&output)
    }

    fn global_args(&self, file: Option<&Path>) -> Vec<String> {
        let mut args = vec!["--project".into(), self.project.clone()];
        match file {
            Some(file) => args.extend(["--stack-file".into(), file.display().to_string()]),
            None => args.extend(["--port".into(), self.port.to_string()]),
        }
        args
    }

    /// The options that load this stack in-process, as the dashboard would.
    pub fn options(&self) -> capstan::stack::Options {
        capstan::stack::Options {
            stack_file: self.stack_file.clone(),
            project: Some(self.project.clone()),
            port: self.stack_file.is_none().then_some(self.port),
        }
    }

    /// The data directory the binary uses for this stack (under its `XDG_DATA_HOME`).
    pub fn data_dir(&self) -> PathBuf {
        self.data.path().join("capstan")
    }

    /// The engine's name of the stack's data volume (the default stack's `data`).
    pub fn volume(&self) -> String {
        format!("capstan-{}-data", self.project)
    }

    /// The generated secrets, as the data directory holds them.
    pub fn secret_values(&self) -> Vec<String> {
        let folder = self
            .data
            .path()
            .join("capstan/stacks")
            .join(&self.project)
            .join("secrets");
        let mut values = Vec::new();
        for entry in std::fs::read_dir(&folder).expect("the secrets folder exists") {
            let path = entry.unwrap().path();
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{}", path.display());
            values.push(std::fs::read_to_string(&path).unwrap());
        }
        values
    }

    /// The id of the running container of `service`, if one runs.
    pub async fn running_container(&self, service: &str) -> Option<String> {
        let containers = engine()
            .await
            .stack_containers(&self.project)
            .await
            .unwrap();
        containers
            .into_iter()
            .find(|c| c.running && c.service.as_deref() == Some(service))
            .map(|c| c.id)
    }

    /// True when the engine holds no container of this stack.
    pub async fn has_no_containers(&self) -> bool {
        let containers = engine()
            .await
            .stack_containers(&self.project)
            .await
            .expect("the engine lists containers");
        containers.is_empty()
    }

    /// The memory the running container of `service` uses, as `docker stats` counts it.
    pub async fn memory_of(&self, service: &str) -> u64 {
        use futures::StreamExt;

        let id = self
            .running_container(service)
            .await
            .expect("the service runs");
        let engine = engine().await;
        let mut stats = Box::pin(engine.stats(&id));
        let reading = stats
            .next()
            .await
            .expect("one stats reading")
            .expect("stats answer");
        reading.memory_bytes
    }
}

impl Drop for TestStack {
    /// Takes the stack down with its volumes, whatever the test's outcome.
    fn drop(&mut self) {
        let _ = std::process::Command::new(env!("CARGO_BIN_EXE_capstan"))
            .args(self.global_args(self.stack_file.as_deref()))
            .args(["down", "--volumes"])
            .env("XDG_DATA_HOME", self.data.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        // Images built for the test carry its label; remove them so tests leave nothing.
        let label = format!("label=dev.capstan.stack={}", self.project);
        let listed = std::process::Command::new("docker")
            .args(["image", "ls", "--quiet", "--no-trunc", "--filter", &label])
            .output();
        if let Ok(listed) = listed {
            let ids = String::from_utf8_lossy(&listed.stdout).into_owned();
            let mut ids: Vec<&str> = ids.lines().collect();
            ids.sort();
            ids.dedup();
            if !ids.is_empty() {
                let _ = std::process::Command::new("docker")
                    .args(["image", "rm", "--force"])
                    .args(&ids)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
            }
        }
    }
}

fn run_of(output: &std::process::Output) -> Run {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    Run {
        ok: output.status.success(),
        output: format!("--- stdout\n{stdout}\n--- stderr\n{stderr}"),
        stdout,
        stderr,
    }
}

pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free local port");
    listener
        .local_addr()
        .expect("a bound listener has an address")
        .port()
}
