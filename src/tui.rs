//! The dashboard: state, input, views. It renders state and never awaits I/O itself; work runs
//! in `ops` tasks that send events back on one channel.

use std::process::ExitCode;

use crate::cli::Global;

/// Opens the dashboard on the local engine and runs it until the user quits.
pub async fn run(_global: Global) -> anyhow::Result<ExitCode> {
    anyhow::bail!("the dashboard is being built (issue 2)")
}
