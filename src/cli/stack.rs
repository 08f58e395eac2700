//! `up`, `down`, `status`, `logs`, `redeploy`, `rollback`: the stack from the command line.

use std::process::ExitCode;

use super::Global;

#[derive(Debug, clap::Args)]
pub struct UpArgs {}

#[derive(Debug, clap::Args)]
pub struct DownArgs {
    /// Remove the data volume too.
    #[arg(long)]
    pub volumes: bool,
}

#[derive(Debug, clap::Args)]
pub struct StatusArgs {}

#[derive(Debug, clap::Args)]
pub struct LogsArgs {
    pub service: String,
    /// Keep printing new lines.
    #[arg(short, long)]
    pub follow: bool,
    /// How many of the last lines to start with.
    #[arg(long, default_value_t = 100)]
    pub tail: u64,
}

#[derive(Debug, clap::Args)]
pub struct RedeployArgs {
    pub service: String,
}

#[derive(Debug, clap::Args)]
pub struct RollbackArgs {
    pub service: String,
}

pub async fn up(_global: &Global, _args: UpArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`up` is being built (issue 2)")
}

pub async fn down(_global: &Global, _args: DownArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`down` is being built (issue 2)")
}

pub async fn status(_global: &Global, _args: StatusArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`status` is being built (issue 2)")
}

pub async fn logs(_global: &Global, _args: LogsArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`logs` is being built (issue 2)")
}

pub async fn redeploy(_global: &Global, _args: RedeployArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`redeploy` is being built (issue 2)")
}

pub async fn rollback(_global: &Global, _args: RollbackArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`rollback` is being built")
}
