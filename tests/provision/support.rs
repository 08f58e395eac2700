//! Helpers for the provisioning tests: an isolated home with an `~/.ssh/config` alias, the
//! capstan binary, a tiny upstream HTTP server, and hashes of a host directory.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

/// A test variable set by `scripts/test`; missing means the services were not started.
pub fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run scripts/test (it starts sshd and the RHEL stand-in host)")
    })
}

/// A home of its own (HOME and the XDG dirs), with an `~/.ssh/config` alias for one host.
pub struct Home {
    pub dir: tempfile::TempDir,
}

impl Home {
    pub fn new(alias: &str, port: &str, user: &str, key: &str) -> Home {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let ssh = dir.path().join(".ssh");
        std::fs::create_dir_all(&ssh).expect("create ~/.ssh");
        let config = format!(
            "Host {alias}\n  HostName 127.0.0.1\n  Port {port}\n  User {user}\n  \
             IdentityFile {key}\n"
        );
        std::fs::write(ssh.join("config"), config).expect("write ~/.ssh/config");
        Home { dir }
    }

    /// Adds another `~/.ssh/config` alias.
    pub fn add_alias(&self, alias: &str, port: &str, user: &str, key: &str) {
        let path = self.path().join(".ssh/config");
        let mut config = std::fs::read_to_string(&path).expect("read ~/.ssh/config");
        config.push_str(&format!(
            "Host {alias}\n  HostName 127.0.0.1\n  Port {port}\n  User {user}\n  \
             IdentityFile {key}\n"
        ));
        std::fs::write(&path, config).expect("write ~/.ssh/config");
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn audit_log(&self) -> PathBuf {
        self.path().join("data/capstan/audit.jsonl")
    }

    /// Runs `capstan ARGS` in this home; returns what it printed and how long it took.
    pub fn capstan(&self, args: &[&str]) -> Run {
        let started = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_capstan"))
            .args(args)
            .env("HOME", self.path())
            .env("XDG_CONFIG_HOME", self.path().join("config"))
            .env("XDG_DATA_HOME", self.path().join("data"))
            .env("XDG_STATE_HOME", self.path().join("state"))
            .env_remove("SSH_AUTH_SOCK")
            .output()
            .expect("run the capstan binary");
        Run {
            success: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).to_string(),
            took: started.elapsed(),
        }
    }
}

pub struct Run {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
    pub took: Duration,
}

impl Run {
    /// The `--json` step lines (those with a "step").
    pub fn steps(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("a JSON line"))
            .filter(|v| v.get("step").is_some())
            .collect()
    }

    pub fn outcome(&self, step: &str) -> String {
        self.steps()
            .iter()
            .find(|v| v["step"] == step)
            .map(|v| v["outcome"].as_str().unwrap_or_default().to_string())
            .unwrap_or_else(|| panic!("no step {step:?} in:\n{}", self.stdout))
    }

    pub fn detail(&self, step: &str) -> String {
        self.steps()
            .iter()
            .find(|v| v["step"] == step)
            .and_then(|v| v["detail"].as_str().map(str::to_string))
            .unwrap_or_default()
    }

    /// The `--json` summary lines, by host.
    pub fn summaries(&self) -> BTreeMap<String, serde_json::Value> {
        self.stdout
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|v| {
                Some((
                    v.get("host")?.as_str()?.to_string(),
                    v.get("summary")?.clone(),
                ))
            })
            .collect()
    }

    pub fn count(&self, outcome: &str) -> usize {
        self.steps()
            .iter()
            .filter(|v| v["outcome"] == outcome)
            .count()
    }

    pub fn all_text(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// An HTTP server on 127.0.0.1 answering `200 ok` to everything, recording request headers.
pub struct Upstream {
    pub port: u16,
    pub seen_headers: Arc<Mutex<Vec<String>>>,
}

impl Upstream {
    pub fn start() -> Upstream {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind an upstream port");
        let port = listener.local_addr().expect("a local address").port();
        let seen_headers = Arc::new(Mutex::new(Vec::new()));
        let seen = seen_headers.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let seen = seen.clone();
                std::thread::spawn(move || answer(stream, &seen));
            }
        });
        Upstream { port, seen_headers }
    }
}

fn answer(stream: TcpStream, seen: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(&stream);
    let mut line = String::new();
    while reader.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
        if line == "\r\n" {
            break;
        }
        if let Ok(mut seen) = seen.lock() {
            seen.push(line.trim_end().to_string());
        }
        line.clear();
    }
    let _ = (&stream).write_all(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\
          Connection: close\r\n\r\nok\n",
    );
}

/// A free port on 127.0.0.1 (free when asked; the test uses it right away).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a port");
    listener.local_addr().expect("a local address").port()
}

/// `GET path` on 127.0.0.1:port: (status, body).
pub fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut text = String::new();
    std::io::Read::read_to_string(&mut stream, &mut text).ok()?;
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Some((status, body))
}

/// Every file and symlink under `dir`, with a hash of its content or its link target.
pub fn hash_tree(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&path).unwrap_or_default();
            out.insert(path, format!("link {}", target.display()));
        } else if meta.is_dir() {
            for entry in std::fs::read_dir(&path).into_iter().flatten().flatten() {
                stack.push(entry.path());
            }
        } else {
            let bytes = std::fs::read(&path).unwrap_or_default();
            use std::os::unix::fs::PermissionsExt;
            let mode = meta.permissions().mode();
            out.insert(path, format!("{:x} {mode:o}", Sha256::digest(&bytes)));
        }
    }
    out
}

/// Runs a shell command on this machine; its stdout.
pub fn sh(script: &str) -> String {
    let out = Command::new("sh")
        .arg("-c")
        .arg(script)
        .output()
        .expect("run sh");
    String::from_utf8_lossy(&out.stdout).to_string()
}
