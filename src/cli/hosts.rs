//! `hosts`: the inventory of hosts Capstan provisions: add, list, check.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::Global;
use crate::ssh::inventory::{HostEntry, Inventory};
use crate::ssh::{
    ConnectOptions, Destination, NewHostKey, Session, SshEnv, SshError, Target, TerminalPrompt,
};

#[derive(Debug, clap::Args)]
pub struct HostsArgs {
    #[command(subcommand)]
    pub command: HostsCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum HostsCommand {
    /// Add a host: `user@host:port`, or an alias from ~/.ssh/config.
    Add {
        /// `[user@]host[:port]`; a bare name is kept as an ~/.ssh/config alias.
        target: String,
        /// The host's name in the inventory (default: the host part).
        #[arg(long)]
        name: Option<String>,
        /// A group the host belongs to (repeatable).
        #[arg(long = "group", value_name = "GROUP")]
        groups: Vec<String>,
        /// A playbook variable for this host (repeatable); `--var` of `provision` wins over it.
        /// Not for secrets: those come from 0600 files through `provision --secret`.
        #[arg(long = "var", value_name = "NAME=VALUE")]
        vars: Vec<String>,
    },
    /// List the inventory.
    List,
    /// Connect to a host, verify its key, log in and try `sudo -n true`, with timings.
    Check {
        /// An inventory name, an ~/.ssh/config alias, or `user@host:port`.
        name: String,
        /// Accept and record the host key if no known-hosts file has one for this host.
        #[arg(long)]
        accept_new_host_key: bool,
    },
}

pub async fn hosts(global: &Global, args: HostsArgs) -> anyhow::Result<ExitCode> {
    let changes = match &args.command {
        HostsCommand::Add { .. } => true,
        HostsCommand::Check {
            accept_new_host_key,
            ..
        } => *accept_new_host_key,
        HostsCommand::List => false,
    };
    if global.read_only && changes {
        anyhow::bail!("--read-only: refusing to change the inventory or record a host key");
    }

    let path = Inventory::default_path()?;
    let mut inventory = Inventory::load(&path)?;

    match args.command {
        HostsCommand::Add {
            target,
            name,
            groups,
            vars,
        } => {
            let target: Target = target.parse()?;
            let mut entry = HostEntry::from_target(&target, name, groups);
            entry.vars = super::provision::pairs(&vars, "--var")?;
            let name = entry.name.clone();
            inventory.add(entry.clone())?;
            if global.json {
                println!("{}", serde_json::to_string_pretty(&entry)?);
            } else {
                println!("added {name} ({target}) to {}", inventory.path().display());
            }
            Ok(ExitCode::SUCCESS)
        }
        HostsCommand::List => {
            list(global, &inventory)?;
            Ok(ExitCode::SUCCESS)
        }
        HostsCommand::Check {
            name,
            accept_new_host_key,
        } => check(global, &inventory, &name, accept_new_host_key).await,
    }
}

fn list(global: &Global, inventory: &Inventory) -> anyhow::Result<()> {
    if global.json {
        println!("{}", serde_json::to_string_pretty(inventory.hosts())?);
        return Ok(());
    }
    if inventory.hosts().is_empty() {
        println!("no hosts in {}", inventory.path().display());
        return Ok(());
    }

    let width = inventory
        .hosts()
        .iter()
        .map(|h| h.name.len())
        .max()
        .unwrap_or(4)
        .max(4);
    println!("{:width$}  {:30}  {:12}  VARS", "NAME", "TARGET", "GROUPS");
    for host in inventory.hosts() {
        let target = match &host.alias {
            Some(_) => format!("{} (ssh config)", host.target()),
            None => host.target().to_string(),
        };
        let vars: Vec<String> = host.vars.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let line = format!(
            "{:width$}  {target:30}  {:12}  {}",
            host.name,
            host.groups.join(","),
            vars.join(" ")
        );
        println!("{}", line.trim_end());
    }
    Ok(())
}

/// One line of `hosts check`.
#[derive(Debug, Serialize)]
struct Step {
    step: &'static str,
    ok: bool,
    /// None when the step passed inside a connection that failed later, untimed.
    millis: Option<u128>,
    detail: String,
}

impl Step {
    fn new(step: &'static str, ok: bool, took: Duration, detail: String) -> Step {
        Step {
            step,
            ok,
            millis: Some(took.as_millis()),
            detail,
        }
    }
}

async fn check(
    global: &Global,
    inventory: &Inventory,
    name: &str,
    accept_new_host_key: bool,
) -> anyhow::Result<ExitCode> {
    let env = SshEnv::discover()?;
    let target = inventory.target(name)?;
    let dest = Destination::resolve(&target, &env)?;
    let options = ConnectOptions {
        new_host_key: match accept_new_host_key {
            true => NewHostKey::Accept,
            false => NewHostKey::Refuse,
        },
        passphrase_prompt: Some(Arc::new(TerminalPrompt)),
        ..ConnectOptions::default()
    };

    let started = Instant::now();
    let steps = match Session::connect(&dest, &env, &options).await {
        Ok(session) => checked_steps(&session).await,
        Err(err) => failed_connect(&err, started.elapsed()),
    };
    let ok = steps.iter().all(|step| step.ok);

    let label = format!("{name} ({}@{}:{})", dest.user, dest.host_name, dest.port);
    if global.json {
        let report = serde_json::json!({ "host": name, "target": label, "ok": ok, "steps": steps });
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("{label}");
        for step in &steps {
            let verdict = if step.ok { "ok" } else { "FAILED" };
            let millis = step.millis.map_or("-".to_string(), |ms| ms.to_string());
            println!(
                "  {:9} {verdict:6} {millis:>6} ms  {}",
                step.step, step.detail
            );
        }
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn checked_steps(session: &Session) -> Vec<Step> {
    let timings = session.timings();
    let key = session.host_key();
    let key_detail = match key.newly_recorded {
        true => format!("{} {} (new, recorded)", key.key_type, key.fingerprint),
        false => format!("{} {}", key.key_type, key.fingerprint),
    };
    let mut steps = vec![
        Step::new("connect", true, timings.tcp, String::new()),
        Step::new("host key", true, timings.handshake, key_detail),
        Step::new(
            "login",
            true,
            timings.auth,
            session.destination().user.clone(),
        ),
    ];

    let started = Instant::now();
    let sudo = session.exec_as_root("true", None).await;
    let took = started.elapsed();
    steps.push(match sudo {
        Ok(output) if output.success() => Step::new("sudo", true, took, "sudo -n true".into()),
        Ok(output) => {
            let detail = format!("exit {}: {}", output.status, output.stderr_text().trim());
            Step::new("sudo", false, took, detail)
        }
        Err(err) => Step::new("sudo", false, took, err.to_string()),
    });
    steps
}

/// The steps of a failed connection: the failing one carries the error.
fn failed_connect(err: &SshError, took: Duration) -> Vec<Step> {
    let failed_step = match err {
        SshError::HostKeyUnknown { .. }
        | SshError::HostKeyChanged { .. }
        | SshError::HostKeyRefused { .. }
        | SshError::KnownHosts { .. } => "host key",
        SshError::AuthFailed { .. } => "login",
        _ => "connect",
    };
    let order = ["connect", "host key", "login"];
    let failed_at = order
        .iter()
        .position(|step| *step == failed_step)
        .unwrap_or(0);

    let mut steps: Vec<Step> = order[..failed_at]
        .iter()
        .map(|step| Step {
            step,
            ok: true,
            millis: None,
            detail: String::new(),
        })
        .collect();
    steps.push(Step::new(failed_step, false, took, err.to_string()));
    steps
}
