//! Provisioning a host from playbooks kept as data: facts, steps, check mode with diffs,
//! handlers, and the audit log.
//!
//! Owns: the playbook format ([`playbook`]), the facts script ([`facts`]), the step modules
//! ([`steps`]), one run of a playbook on one host ([`run`]), many hosts at once as a job that
//! emits [`crate::ops::Event`]s ([`job`]), and the append-only audit log ([`audit`]).
//!
//! Everything here reaches a host through the small [`Remote`] trait: [`crate::ssh`] implements
//! it for real hosts, [`LocalShell`] for this machine. Must not import `tui`, `cli` or `stack`;
//! from `ops` it uses only the event types.

pub mod audit;
pub mod facts;
pub mod job;
pub mod mask;
pub mod playbook;
pub mod run;
pub mod steps;

mod local;
mod remote_ssh;

use std::future::Future;

pub use facts::Facts;
pub use local::LocalShell;
pub use mask::Masker;
pub use playbook::{Playbook, PlaybookError};
pub use run::{Outcome, RunOptions, RunReport, StepResult};

/// What one command left behind on a host.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Output {
    /// The exit status; 0 is success.
    pub status: u32,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl Output {
    pub fn success(&self) -> bool {
        self.status == 0
    }

    /// Standard output as text (lossy), without trailing whitespace.
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).trim_end().to_string()
    }

    /// Standard error, or standard output when error is empty, as text for messages.
    pub fn message(&self) -> String {
        let err = String::from_utf8_lossy(&self.stderr).trim().to_string();
        if err.is_empty() {
            self.stdout_text().trim().to_string()
        } else {
            err
        }
    }
}

/// A host that runs shell scripts as root.
///
/// Every step of a playbook is a POSIX `sh` script; an implementation runs it with `sh -c` as
/// root (through `sudo -n` when the login user is not root) and returns its output. A non-zero
/// exit status is an [`Output`], not an error: errors are for a script that could not be run at
/// all (connection lost, sudo wants a password).
pub trait Remote: Send + Sync {
    /// The host's name as the user gave it, for messages and the audit log.
    fn host(&self) -> &str;

    /// Runs `script` as root, feeding it `stdin` when given.
    fn run(
        &self,
        script: &str,
        stdin: Option<&[u8]>,
    ) -> impl Future<Output = anyhow::Result<Output>> + Send;
}

/// Quotes `value` for a POSIX shell: one word, taken literally.
pub fn sh_quote(value: &str) -> String {
    if !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c))
    {
        return value.to_string();
    }
    format!("'{}'", value.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::sh_quote;

    #[test]
    fn sh_quote_leaves_plain_words_and_quotes_the_rest() {
        assert_eq!(
            sh_quote("/etc/httpd/conf.d/a.conf"),
            "/etc/httpd/conf.d/a.conf"
        );
        assert_eq!(sh_quote("a b"), "'a b'");
        assert_eq!(sh_quote("it's"), r"'it'\''s'");
        assert_eq!(sh_quote(""), "''");
        assert_eq!(sh_quote("$(rm -rf /)"), "'$(rm -rf /)'");
    }
}
