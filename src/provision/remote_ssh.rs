//! [`Remote`] for an SSH [`Session`]: every script runs as root (`sudo -n` when the login user
//! is not root) on the session's one connection.

use super::{Output, Remote};
use crate::ssh::Session;

impl Remote for Session {
    fn host(&self) -> &str {
        &self.destination().name
    }

    async fn run(&self, script: &str, stdin: Option<&[u8]>) -> anyhow::Result<Output> {
        let out = self.exec_as_root(script, stdin).await?;
        Ok(Output {
            status: out.status,
            stdout: out.stdout,
            stderr: out.stderr,
        })
    }
}
