//! The hosts view's background work: reads the inventory and the audit log, gathers each host's
//! facts over SSH, and runs playbooks (check first) as provisioning jobs. Results reach the app
//! as [`HostMsg`]s and `ops` job events; nothing here touches the screen, and no SSH prompt is
//! ever shown (an encrypted key without an agent is reported, not asked for).

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

use crate::ops::{Event, EventSender};
use crate::provision::Playbook;
use crate::provision::audit::AuditLog;
use crate::provision::job::{self, HostJob, RunRequest};
use crate::provision::run::{RunOptions, Values};
use crate::ssh::inventory::Inventory;
use crate::ssh::{ConnectOptions, Destination, NewHostKey, Session, SshEnv, SshError};
use crate::tui::action::Action;
use crate::tui::app::{HostMsg, Msg, PlanStep, Probe, last_runs};

/// Where the hosts work finds things; the platform's paths in the dashboard.
struct Context {
    inventory: Arc<Inventory>,
    env: Arc<SshEnv>,
    /// The stack's published port: the reverse-proxy playbooks' default upstream.
    stack_port: Option<u16>,
    msgs: UnboundedSender<Msg>,
    events: EventSender,
}

/// Loads the inventory, probes every host, then runs each host action until the dashboard goes.
pub async fn serve(
    stack_port: Option<u16>,
    msgs: UnboundedSender<Msg>,
    events: EventSender,
    mut rx: UnboundedReceiver<Action>,
) {
    let loaded = Inventory::default_path()
        .and_then(|path| Ok(Inventory::load(&path)?))
        .and_then(|inventory| Ok((inventory, SshEnv::discover()?)));
    let (inventory, env) = match loaded {
        Ok(loaded) => loaded,
        Err(err) => {
            let text = format!("failed to read the hosts inventory: {err:#}");
            tracing::warn!("{text}");
            let _ = msgs.send(Msg::Host(HostMsg::InventoryFailed(text)));
            while let Some(action) = rx.recv().await {
                let text = format!("{}: failed, no inventory", action.describe());
                events.send(Event::Warning(text));
            }
            return;
        }
    };
    let hosts = inventory
        .hosts()
        .iter()
        .map(|entry| (entry.name.clone(), entry.target().to_string()))
        .collect::<Vec<_>>();
    let ctx = Arc::new(Context {
        inventory: Arc::new(inventory),
        env: Arc::new(env),
        stack_port,
        msgs,
        events,
    });
    let _ = ctx.msgs.send(Msg::Host(HostMsg::Inventory(hosts.clone())));
    send_last_runs(&ctx);
    for (host, _) in hosts {
        tokio::spawn(probe(ctx.clone(), host, NewHostKey::Refuse));
    }

    while let Some(action) = rx.recv().await {
        let ctx = ctx.clone();
        match action {
            Action::GatherFacts {
                host,
                accept_fingerprint,
            } => {
                let new_key =
                    accept_fingerprint.map_or(NewHostKey::Refuse, NewHostKey::AcceptFingerprint);
                tokio::spawn(probe(ctx, host, new_key));
            }
            Action::Provision {
                host,
                playbook,
                check,
            } => {
                tokio::spawn(provision(ctx, host, playbook, check));
            }
            other => tracing::warn!(action = %other.describe(), "not a hosts action"),
        }
    }
}

/// Connects to `host` (refusing unknown keys unless `new_key` accepts one) and gathers facts.
async fn probe(ctx: Arc<Context>, host: String, new_key: NewHostKey) {
    let _ = ctx
        .msgs
        .send(Msg::Host(HostMsg::Probing { host: host.clone() }));
    let probe = match connect(&ctx, &host, new_key).await {
        Ok(session) => {
            let facts = crate::provision::Facts::gather(&session).await;
            let _ = session.close().await;
            match facts {
                Ok(facts) => Probe::Facts(facts),
                Err(err) => Probe::Unreachable(format!("{err:#}")),
            }
        }
        Err(err) => classify(&err),
    };
    let _ = ctx.msgs.send(Msg::Host(HostMsg::Probed { host, probe }));
}

/// One connection to `host` from the inventory, with no passphrase prompt.
async fn connect(ctx: &Context, host: &str, new_key: NewHostKey) -> anyhow::Result<Session> {
    let target = ctx.inventory.target(host)?;
    let dest = Destination::resolve(&target, &ctx.env)?;
    let options = ConnectOptions {
        new_host_key: new_key,
        ..ConnectOptions::default()
    };
    Ok(Session::connect(&dest, &ctx.env, &options).await?)
}

/// What a failed connection means for the hosts view.
fn classify(err: &anyhow::Error) -> Probe {
    match err.chain().find_map(|e| e.downcast_ref::<SshError>()) {
        Some(SshError::HostKeyUnknown {
            key_type,
            fingerprint,
            ..
        }) => Probe::KeyUnknown {
            key_type: key_type.clone(),
            fingerprint: fingerprint.clone(),
        },
        Some(SshError::HostKeyChanged {
            expected, found, ..
        }) => Probe::KeyChanged {
            expected: expected.clone(),
            found: found.clone(),
        },
        _ => Probe::Unreachable(format!("{err:#}")),
    }
}

/// Runs a shipped playbook on `host` as one provisioning job; a check run ends with its plan.
async fn provision(ctx: Arc<Context>, host: String, name: String, check: bool) {
    let prepared = prepare(&ctx, &name, check);
    let (playbook, values, audit) = match prepared {
        Ok(prepared) => prepared,
        Err(err) => {
            let text = format!("provision {name} on {host}: {err:#}");
            ctx.events.send(Event::Warning(text));
            return;
        }
    };
    let request = RunRequest {
        playbook,
        values,
        check,
        hosts: vec![HostJob {
            id: job::next_job_id(),
            host: host.clone(),
        }],
        concurrency: 1,
    };
    let connect = {
        let ctx = ctx.clone();
        move |host: String| {
            let ctx = ctx.clone();
            async move {
                let result = connect(&ctx, &host, NewHostKey::Refuse).await;
                if let Err(err) = &result {
                    let probe = classify(err);
                    if !matches!(probe, Probe::Unreachable(_)) {
                        let _ = ctx.msgs.send(Msg::Host(HostMsg::Probed { host, probe }));
                    }
                }
                result
            }
        }
    };
    let reports = job::run_on_hosts(request, connect, ctx.events.clone(), audit).await;
    send_last_runs(&ctx);

    let Some(report) = reports.into_iter().next() else {
        return;
    };
    let refused_at_connect = report.results.iter().any(|r| r.kind == "connect");
    if check && !refused_at_connect {
        let steps = report
            .results
            .iter()
            .map(|result| PlanStep {
                name: result.step.clone(),
                state: job::job_state(result.outcome),
                duration: result.duration,
                detail: job::event_detail(result),
            })
            .collect();
        let planned = HostMsg::Planned {
            host,
            playbook: name,
            steps,
        };
        let _ = ctx.msgs.send(Msg::Host(planned));
    }
}

type Prepared = (Arc<Playbook>, Arc<Values>, Option<Arc<AuditLog>>);

/// The playbook, its values and the audit log; the dashboard's one variable is the upstream.
// Known shortcoming: the dashboard sets no variables but `upstream` (the stack's port) and no
// secrets; runs that need others (a listen port, a token) go through `capstan provision`.
fn prepare(ctx: &Context, name: &str, check: bool) -> anyhow::Result<Prepared> {
    let playbook = Playbook::load(name)?;
    let mut vars = BTreeMap::new();
    if let (Some(port), true) = (ctx.stack_port, playbook.vars.contains_key("upstream")) {
        vars.insert("upstream".to_string(), format!("127.0.0.1:{port}"));
    }
    let options = RunOptions {
        check,
        vars,
        ..RunOptions::default()
    };
    let values = Values::resolve(&playbook, &options)?;
    let audit = AuditLog::open(&AuditLog::default_path()?)?;
    Ok((Arc::new(playbook), Arc::new(values), Some(Arc::new(audit))))
}

/// Reads the audit log and tells the app each host's latest run; a bad log is a warning.
fn send_last_runs(ctx: &Context) {
    let records = AuditLog::default_path().and_then(|path| AuditLog::read(&path));
    match records {
        Ok(records) => {
            let runs = last_runs(&records);
            let _ = ctx.msgs.send(Msg::Host(HostMsg::LastRuns(runs)));
        }
        Err(err) => ctx.events.send(Event::Warning(format!("{err:#}"))),
    }
}
