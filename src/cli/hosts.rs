//! `hosts`: the inventory of hosts Capstan provisions.

use std::process::ExitCode;

use super::Global;

#[derive(Debug, clap::Args)]
pub struct HostsArgs {}

pub async fn hosts(_global: &Global, _args: HostsArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`hosts` is being built (issue 3)")
}
