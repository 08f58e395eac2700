//! `provision` and `audit`: playbooks on hosts from the command line.

use std::process::ExitCode;

use super::Global;

#[derive(Debug, clap::Args)]
pub struct ProvisionArgs {
    /// The playbook's name (a file in `playbooks/`) or path.
    pub playbook: String,
    /// Hosts: inventory names or groups, `~/.ssh/config` aliases, or `user@host:port`.
    #[arg(required = true)]
    pub hosts: Vec<String>,
    /// Report what would change, with diffs, and change nothing.
    #[arg(long)]
    pub check: bool,
}

#[derive(Debug, clap::Args)]
pub struct AuditArgs {}

pub async fn provision(_global: &Global, _args: ProvisionArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`provision` is being built (issue 3)")
}

pub async fn audit(_global: &Global, _args: AuditArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`audit` is being built (issue 3)")
}
