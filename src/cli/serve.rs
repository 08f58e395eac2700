//! `serve`: the person app itself, in the roles the stack gives it.

use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct ServeArgs {}

pub async fn serve(_args: ServeArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`serve` is being built (issue 2)")
}
