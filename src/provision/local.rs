//! [`Remote`] for this machine: scripts run with `sh -c` (through `sudo -n` when not root).

use std::process::Stdio;

use anyhow::Context;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use super::{Output, Remote};

/// This machine, reached without SSH; for unit tests and for provisioning the local host.
#[derive(Debug, Clone)]
pub struct LocalShell {
    name: String,
}

impl LocalShell {
    pub fn new(name: impl Into<String>) -> LocalShell {
        LocalShell { name: name.into() }
    }
}

impl Remote for LocalShell {
    fn host(&self) -> &str {
        &self.name
    }

    async fn run(&self, script: &str, stdin: Option<&[u8]>) -> anyhow::Result<Output> {
        let is_root = std::fs::metadata("/proc/self")
            .map(|m| is_uid_zero(&m))
            .unwrap_or(false);
        let mut command = if is_root {
            let mut c = Command::new("sh");
            c.arg("-c").arg(script);
            c
        } else {
            let mut c = Command::new("sudo");
            c.args(["-n", "sh", "-c", script]);
            c
        };
        command
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());

        let mut child = command
            .spawn()
            .context("failed to start sh on this machine")?;
        if let (Some(bytes), Some(mut pipe)) = (stdin, child.stdin.take()) {
            pipe.write_all(bytes)
                .await
                .context("failed to feed a script's input")?;
            drop(pipe);
        }
        let out = child
            .wait_with_output()
            .await
            .context("failed to wait for sh")?;

        Ok(Output {
            status: out.status.code().map(|c| c as u32).unwrap_or(255),
            stdout: out.stdout,
            stderr: out.stderr,
        })
    }
}

fn is_uid_zero(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    meta.uid() == 0
}
