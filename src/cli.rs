//! The command line: parses arguments and runs the dashboard or one subcommand.
//!
//! Every subcommand reaches the same `ops` jobs as the dashboard; only the renderer differs.

mod hosts;
mod provision;
mod serve;
mod stack;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

/// A terminal dashboard that provisions a RHEL host over SSH, brings up and redeploys the person
/// stack on Docker, and shows it live. With no subcommand, opens the dashboard.
#[derive(Debug, Parser)]
#[command(name = "capstan", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options that every subcommand understands.
#[derive(Debug, Clone, clap::Args)]
pub struct Global {
    /// The stack file to use instead of the embedded person stack.
    #[arg(long, global = true, env = "CAPSTAN_STACK_FILE", value_name = "PATH")]
    pub stack_file: Option<PathBuf>,

    /// The stack's name: its labels, network, volume and container names derive from it.
    #[arg(long, global = true, env = "CAPSTAN_PROJECT", value_name = "NAME")]
    pub project: Option<String>,

    /// The host port the frontend publishes (the stack file says 8000).
    #[arg(
        long,
        global = true,
        env = "CAPSTAN_PORT",
        value_name = "PORT",
        value_parser = clap::value_parser!(u16).range(1..)
    )]
    pub port: Option<u16>,

    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,

    /// Refuse every action that changes something.
    #[arg(long, global = true)]
    pub read_only: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build images and start the stack, each service once what it needs is ready.
    Up(stack::UpArgs),
    /// Remove the stack's containers and network (and its volumes with --volumes).
    Down(stack::DownArgs),
    /// Print the state and health of each service.
    Status(stack::StatusArgs),
    /// Print a service's logs.
    ///
    /// The container's stdout goes to stdout, its stderr to stderr. Written to a terminal, each
    /// line is cleaned as the dashboard cleans it: colours are kept (not with NO_COLOR); cursor
    /// movement, title changes, screen clears and every other control sequence or character
    /// are removed, and tabs become spaces. Written to a pipe or a file, lines keep the bytes
    /// the container wrote, as with `docker logs`.
    Logs(stack::LogsArgs),
    /// Rebuild a service and swap it in once the new container is ready.
    Redeploy(stack::RedeployArgs),
    /// Return a service to the last image that was deployed and healthy.
    Rollback(stack::RollbackArgs),
    /// Stop a service's container; `up` starts it again.
    Stop(stack::StopArgs),
    /// Run a playbook on one or more hosts.
    Provision(provision::ProvisionArgs),
    /// Print the audit log of provisioning runs.
    Audit(provision::AuditArgs),
    /// Manage the host inventory.
    Hosts(hosts::HostsArgs),
    /// Run the person app (what the api and frontend containers run).
    Serve(serve::ServeArgs),
    /// Print shell completions.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page.
    Man,
}

/// Runs the command line and turns the outcome into an exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.global.json;
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("capstan: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };

    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(err) => {
            // A script that asked for JSON reads the failure as JSON on stdout too.
            if json {
                println!("{}", serde_json::json!({ "error": format!("{err:#}") }));
            }
            eprintln!("capstan: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let global = cli.global;
    let Some(command) = cli.command else {
        return crate::tui::run(global).await;
    };

    match command {
        Command::Up(args) => stack::up(&global, args).await,
        Command::Down(args) => stack::down(&global, args).await,
        Command::Status(args) => stack::status(&global, args).await,
        Command::Logs(args) => stack::logs(&global, args).await,
        Command::Redeploy(args) => stack::redeploy(&global, args).await,
        Command::Rollback(args) => stack::rollback(&global, args).await,
        Command::Stop(args) => stack::stop(&global, args).await,
        Command::Provision(args) => provision::provision(&global, args).await,
        Command::Audit(args) => provision::audit(&global, args).await,
        Command::Hosts(args) => hosts::hosts(&global, args).await,
        Command::Serve(args) => serve::serve(args).await,
        Command::Completions { shell } => {
            let mut command = Cli::command();
            clap_complete::generate(shell, &mut command, "capstan", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Command::Man => {
            clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
