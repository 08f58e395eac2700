//! `provision` and `audit`: playbooks on hosts from the command line.
//!
//! Renders the provisioning job's events as text or JSON lines; the dashboard renders the same
//! events. Owns no provisioning logic.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;

use super::Global;
use crate::ops::{Event, EventSender, JobState, JobUpdate};
use crate::provision::Playbook;
use crate::provision::audit::AuditLog;
use crate::provision::job::{self, HostJob, RunRequest};
use crate::provision::run::{RunOptions, Values};
use crate::ssh::inventory::Inventory;
use crate::ssh::{ConnectOptions, Destination, NewHostKey, Session, SshEnv, TerminalPrompt};

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
    /// Record the key of a host not yet in known_hosts instead of refusing it.
    #[arg(long)]
    pub accept_new_host_key: bool,
    /// Set a playbook variable (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Set a secret variable from a file of mode 0600 (repeatable); masked in all output.
    #[arg(long = "secret", value_name = "NAME=FILE")]
    pub secrets: Vec<String>,
    /// How many hosts run at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..))]
    pub concurrency: u16,
}

#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// Only records of this host.
    #[arg(long)]
    pub host: Option<String>,
    /// Only the last N records.
    #[arg(long, value_name = "N")]
    pub last: Option<usize>,
}

pub async fn provision(global: &Global, args: ProvisionArgs) -> anyhow::Result<ExitCode> {
    if global.read_only && !args.check {
        anyhow::bail!("--read-only refuses a provisioning run that changes hosts: add --check");
    }

    // Everything that can be refused is refused before any host is touched.
    let playbook = Arc::new(Playbook::load(&args.playbook)?);
    let options = RunOptions {
        check: args.check,
        vars: pairs(&args.vars, "--var")?,
        secret_files: pairs(&args.secrets, "--secret")?
            .into_iter()
            .map(|(k, v)| (k, PathBuf::from(v)))
            .collect(),
    };
    let values = Arc::new(Values::resolve(&playbook, &options)?);
    let inventory = Arc::new(Inventory::load(&Inventory::default_path()?)?);
    let hosts = expand_hosts(&inventory, &args.hosts);
    let mut jobs: Vec<HostJob> = Vec::new();
    for host in &hosts {
        jobs.push(HostJob {
            id: job::next_job_id(),
            host: host.clone(),
            values: host_values(&inventory, host, &playbook, &options)?,
        });
    }
    let audit = Arc::new(AuditLog::open(&AuditLog::default_path()?)?);
    let env = Arc::new(SshEnv::discover()?);
    let connect_options = Arc::new(ConnectOptions {
        new_host_key: if args.accept_new_host_key {
            NewHostKey::Accept
        } else {
            NewHostKey::Refuse
        },
        passphrase_prompt: Some(Arc::new(TerminalPrompt)),
        ..ConnectOptions::default()
    });

    let names: HashMap<_, _> = jobs.iter().map(|j| (j.id, j.host.clone())).collect();
    let connect = move |host: String| {
        let (inventory, env, options) = (inventory.clone(), env.clone(), connect_options.clone());
        async move {
            let target = inventory.target(&host)?;
            let dest = Destination::resolve(&target, &env)?;
            Ok::<_, anyhow::Error>(Session::connect(&dest, &env, &options).await?)
        }
    };

    let (events, mut rx) = EventSender::channel();
    let request = RunRequest {
        playbook,
        values,
        check: args.check,
        hosts: jobs,
        concurrency: usize::from(args.concurrency),
    };
    let run = tokio::spawn(job::run_on_hosts(request, connect, events, Some(audit)));
    while let Some(event) = rx.recv().await {
        render(global.json, &names, &event)?;
    }
    let reports = run.await.context("the provisioning job panicked")?;

    // Summary per host.
    for report in &reports {
        if global.json {
            let line = serde_json::json!({
                "host": report.host,
                "summary": {
                    "ok": report.count(crate::provision::Outcome::Ok),
                    "changed": report.count(crate::provision::Outcome::Changed),
                    "skipped": report.count(crate::provision::Outcome::Skipped),
                    "failed": report.count(crate::provision::Outcome::Failed),
                    "duration_ms": report.duration.as_millis() as u64,
                    "check": report.check,
                }
            });
            println!("{line}");
        } else {
            println!("{}: {}", report.host, report.summary());
        }
    }
    let failed = reports.iter().any(|r| r.failed());
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn render(json: bool, names: &HashMap<u64, String>, event: &Event) -> anyhow::Result<()> {
    match event {
        Event::Job(job) => {
            let host = names.get(&job.id).map(String::as_str).unwrap_or("?");
            match &job.update {
                JobUpdate::Step { state, .. } if !state.is_done() => {}
                JobUpdate::Step {
                    name,
                    state,
                    elapsed,
                    detail,
                } => {
                    let outcome = state_word(*state);
                    if json {
                        let line = serde_json::json!({
                            "host": host,
                            "step": name,
                            "outcome": outcome,
                            "duration_ms": elapsed.as_millis() as u64,
                            "detail": detail,
                        });
                        println!("{line}");
                    } else {
                        let secs = elapsed.as_secs_f64();
                        println!("{host}  {outcome:<8} {name} ({secs:.2} s)");
                        for line in detail.iter().flat_map(|d| d.lines()) {
                            println!("    {line}");
                        }
                    }
                }
                JobUpdate::Started { title } if !json => println!("{title}"),
                JobUpdate::Line(line) if !json => println!("{host}  {line}"),
                _ => {}
            }
        }
        Event::Warning(message) => eprintln!("capstan: warning: {message}"),
        _ => {}
    }
    Ok(())
}

fn state_word(state: JobState) -> &'static str {
    match state {
        JobState::Waiting => "waiting",
        JobState::Running => "running",
        JobState::Ok => "ok",
        JobState::Changed => "changed",
        JobState::Skipped => "skipped",
        JobState::Failed => "failed",
    }
}

/// `NAME=VALUE` pairs; `flag` names the option in errors.
pub(super) fn pairs(items: &[String], flag: &str) -> anyhow::Result<BTreeMap<String, String>> {
    items
        .iter()
        .map(|item| match item.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
            _ => anyhow::bail!("{flag} {item:?}: expected NAME=VALUE"),
        })
        .collect()
}

/// The values of a run on `host` when its inventory entry sets variables (the command line's
/// `--var`s still win); `None` when the run's shared values serve.
fn host_values(
    inventory: &Inventory,
    host: &str,
    playbook: &Playbook,
    options: &RunOptions,
) -> anyhow::Result<Option<Arc<Values>>> {
    let has_vars = inventory
        .get(host)
        .is_some_and(|entry| !entry.vars.is_empty());
    if !has_vars {
        return Ok(None);
    }

    let secrets: Vec<&str> = playbook
        .secrets
        .keys()
        .chain(options.secret_files.keys())
        .map(String::as_str)
        .collect();
    let vars = inventory.vars_for(host, &secrets, &options.vars)?;
    let options = RunOptions {
        vars,
        ..options.clone()
    };
    let values = Values::resolve(playbook, &options)
        .with_context(|| format!("failed to resolve the variables of host {host}"))?;
    Ok(Some(Arc::new(values)))
}

/// Inventory groups become their hosts; everything else is a host as given. No duplicates.
fn expand_hosts(inventory: &Inventory, given: &[String]) -> Vec<String> {
    let mut hosts: Vec<String> = Vec::new();
    for name in given {
        let group = inventory.group(name);
        let names: Vec<String> = if inventory.get(name).is_none() && !group.is_empty() {
            group.iter().map(|h| h.name.clone()).collect()
        } else {
            vec![name.clone()]
        };
        for host in names {
            if !hosts.contains(&host) {
                hosts.push(host);
            }
        }
    }
    hosts
}

pub async fn audit(global: &Global, args: AuditArgs) -> anyhow::Result<ExitCode> {
    let path = AuditLog::default_path()?;
    let mut records = AuditLog::read(&path)?;
    if let Some(host) = &args.host {
        records.retain(|r| &r.host == host);
    }
    if let Some(last) = args.last {
        let skip = records.len().saturating_sub(last);
        records.drain(..skip);
    }

    for record in &records {
        if global.json {
            println!("{}", serde_json::to_string(record)?);
            continue;
        }
        let mode = if record.check { " (check)" } else { "" };
        println!(
            "{}  {}  {}{mode}  {:<8} {} ({} ms)",
            record.time.format("%Y-%m-%d %H:%M:%S"),
            record.host,
            record.playbook,
            record.outcome,
            record.step,
            record.duration_ms
        );
        for text in [&record.detail, &record.diff].into_iter().flatten() {
            for line in text.lines() {
                println!("    {line}");
            }
        }
    }
    if records.is_empty() && !global.json {
        println!("no provisioning runs recorded in {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}
